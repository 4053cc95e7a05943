#!/bin/sh
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Nightly backup of VLog's PostgreSQL database, run by k8s/backup-cronjob.yaml (which
# embeds this file verbatim; tests/deploy checks that both copies are identical and runs
# this one against a real PostgreSQL server).
#
# Environment (the CronJob takes the PG* variables from Secret postgres-backup-credentials):
#   PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD   libpq connection settings
#   PGCONNECT_TIMEOUT        seconds to wait for the server (default 10)
#   BACKUP_DIR               directory for the dumps (default /backups)
#   BACKUP_RETENTION_DAYS    dumps older than this are deleted after a good backup (default 7)
#   BACKUP_PREFIX            file name prefix (default vlog): PREFIX-YYYYMMDDTHHMMSSZ.dump
#
# A dump is written under a .partial name, verified twice (pg_restore --list reads the
# table of contents; a full pg_restore to /dev/null reads and decompresses every data
# block, which --list alone would not notice being truncated) and only then renamed.
# Old dumps are pruned only after a verified backup, so a failing job never eats into
# the backups that still exist.
#
# Exit status: 0 backup written and verified; 1 backup failed (nothing from this run is
# left behind); 2 configuration error. Every failure is one line on stderr.

set -u
umask 077

prog=backup

fail() {
    printf '%s: %s\n' "$prog" "$1" >&2
    exit "${2:-1}"
}

# First meaningful line of a tool's stderr, without the tool's own "name: error: " prefix.
first_error() {
    line=$(grep -m1 -E 'error|FATAL|fatal|failed|could not|invalid|unexpected' "$1" 2>/dev/null)
    [ -n "$line" ] || line=$(grep -m1 -v '^[[:space:]]*$' "$1" 2>/dev/null)
    [ -n "$line" ] || line="no error message"
    printf '%s' "$line" | sed -e 's/^pg_[a-z]*: error: //' -e 's/^pg_[a-z]*: //' | tr -s ' \t' '  '
}

: "${PGHOST:=}" "${PGDATABASE:=}" "${PGUSER:=}"
backup_dir=${BACKUP_DIR:-/backups}
retention_days=${BACKUP_RETENTION_DAYS:-7}
prefix=${BACKUP_PREFIX:-vlog}

for var in PGHOST PGDATABASE PGUSER; do
    eval "value=\${$var}"
    # shellcheck disable=SC2154 # assigned by the eval above
    [ -n "$value" ] || fail "$var is not set (expected from Secret postgres-backup-credentials)" 2
done
case $retention_days in
    '' | *[!0-9]*) fail "BACKUP_RETENTION_DAYS must be a whole number of days, got '$retention_days'" 2 ;;
esac
if [ "$retention_days" -lt 1 ] || [ "$retention_days" -gt 3650 ]; then
    fail "BACKUP_RETENTION_DAYS must be between 1 and 3650, got $retention_days" 2
fi
case $prefix in
    '' | *[!A-Za-z0-9._-]*) fail "BACKUP_PREFIX may only use letters, digits, . _ and -, got '$prefix'" 2 ;;
esac
[ -d "$backup_dir" ] || fail "BACKUP_DIR $backup_dir does not exist (is the backup volume mounted?)" 2
[ -w "$backup_dir" ] || fail "BACKUP_DIR $backup_dir is not writable by uid $(id -u)" 2
command -v pg_dump >/dev/null 2>&1 || fail "pg_dump not found in PATH" 2
command -v pg_restore >/dev/null 2>&1 || fail "pg_restore not found in PATH" 2

export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"
target="database '$PGDATABASE' on $PGHOST:${PGPORT:-5432} as $PGUSER"

# A .partial file can only be left by a run that was killed (the CronJob forbids
# concurrent runs), so it is never a usable backup.
find "$backup_dir" -maxdepth 1 -type f -name "$prefix-*.dump.partial" -exec rm -f {} + 2>/dev/null

stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$backup_dir/$prefix-$stamp.dump"
partial="$final.partial"
[ -e "$final" ] && fail "$final already exists; refusing to overwrite it"
errfile=$(mktemp "${TMPDIR:-/tmp}/backup-err.XXXXXX") || fail "cannot create a temporary file in ${TMPDIR:-/tmp}"
listfile=$(mktemp "${TMPDIR:-/tmp}/backup-list.XXXXXX") || fail "cannot create a temporary file in ${TMPDIR:-/tmp}"
trap 'rm -f "$partial" "$errfile" "$listfile"' EXIT
trap 'exit 1' HUP INT TERM

echo "$prog: dumping $target to $final"
if ! pg_dump --format=custom --compress=6 --no-password --file="$partial" 2>"$errfile"; then
    fail "pg_dump of $target failed: $(first_error "$errfile")"
fi
[ -s "$partial" ] || fail "pg_dump of $target produced an empty file; nothing kept"

if ! pg_restore --list "$partial" >"$listfile" 2>"$errfile"; then
    fail "verification failed, corrupt dump deleted: pg_restore --list: $(first_error "$errfile")"
fi
if ! pg_restore --file=/dev/null "$partial" 2>"$errfile"; then
    fail "verification failed, corrupt dump deleted: pg_restore could not read the data: $(first_error "$errfile")"
fi
entries=$(grep -c -v -e '^;' -e '^[[:space:]]*$' "$listfile")

mv -f "$partial" "$final" || fail "cannot rename $partial to $final"
size_bytes=$(wc -c <"$final" | tr -d ' ')
echo "$prog: verified $final ($size_bytes bytes, $entries archive entries)"

# Retention: only this job's own files, only after a verified backup.
deleted=0
retention_min=$((retention_days * 1440))
find "$backup_dir" -maxdepth 1 -type f -name "$prefix-*.dump" -mmin +"$retention_min" >"$listfile"
while IFS= read -r old; do
    [ "$old" = "$final" ] && continue
    if rm -f "$old"; then
        echo "$prog: deleted $old (older than $retention_days days)"
        deleted=$((deleted + 1))
    else
        echo "$prog: warning: could not delete $old" >&2
    fi
done <"$listfile"
kept=$(find "$backup_dir" -maxdepth 1 -type f -name "$prefix-*.dump" | wc -l | tr -d ' ')
echo "$prog: done: $kept backups kept, $deleted deleted"
