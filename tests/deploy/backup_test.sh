#!/usr/bin/env bash
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs k8s/scripts/backup.sh (the script the backup CronJob runs) against a real,
# private PostgreSQL cluster started here on loopback, and checks each promise it makes:
# a dump that pg_restore accepts and that restores to the same data, corrupt dumps
# detected and removed, retention that deletes only old backups of its own and only
# after a good backup, and a clear one-line error with a nonzero exit on a wrong
# password, an unreachable server or bad configuration.
#
# Usage: backup_test.sh <source root>
# PostgreSQL refuses to run as root, so as root the test re-runs itself as the
# `postgres` user (or `nobody`) inside a private temporary directory.
set -euo pipefail

if [ "${1:-}" = "--inner" ]; then
    inner=1
    work=$2
    script=$work/backup.sh
else
    inner=0
    src_root=$(cd "${1:?usage: backup_test.sh <source root>}" && pwd)
    script=$src_root/k8s/scripts/backup.sh
fi

pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n1)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "backup_test: PostgreSQL server binaries not found under /usr/lib/postgresql (install the 'postgresql' package: scripts/install-deps.sh)" >&2
    exit 1
fi

if [ "$inner" -eq 0 ]; then
    [ -r "$script" ] || { echo "backup_test: $script not found" >&2; exit 1; }
    work=$(mktemp -d "${TMPDIR:-/tmp}/vtc-backup-test.XXXXXX")
    cp "$script" "$work/backup.sh"
    cp "$0" "$work/backup_test.sh"
    chmod 0755 "$work/backup.sh" "$work/backup_test.sh"
    if [ "$(id -u)" -eq 0 ]; then
        run_as=postgres
        getent passwd postgres >/dev/null || run_as=nobody
        chown -R "$run_as" "$work"
        echo "backup_test: running as '$run_as' (PostgreSQL refuses to run as root)"
        rc=0
        runuser -u "$run_as" -- env TMPDIR="$work" bash "$work/backup_test.sh" --inner "$work" || rc=$?
    else
        rc=0
        TMPDIR="$work" bash "$work/backup_test.sh" --inner "$work" || rc=$?
    fi
    if [ "$rc" -eq 0 ]; then
        rm -rf "$work"
    else
        echo "backup_test: work directory kept for inspection: $work" >&2
    fi
    exit "$rc"
fi

# ---- inner part: unprivileged, everything under $work ----
cd "$work"
export PATH="$pg_bin:$PATH"
pgdata=$work/pgdata
sockdir=$work/sock
mkdir -p "$sockdir"
password="s3cret-$$-$RANDOM"
printf '%s\n' "$password" >"$work/pwfile"

stop_server() {
    pg_ctl -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true
}
trap stop_server EXIT

initdb -D "$pgdata" -U vlog --pwfile="$work/pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --no-sync >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; exit 1; }

port=""
for _ in 1 2 3; do
    candidate=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if pg_ctl -D "$pgdata" -l "$work/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -c port=$candidate -c unix_socket_directories=$sockdir -c fsync=off" \
        start >/dev/null 2>&1; then
        port=$candidate
        break
    fi
done
[ -n "$port" ] || { echo "backup_test: could not start PostgreSQL" >&2; cat "$work/server.log" >&2; exit 1; }
echo "backup_test: $(postgres --version) on 127.0.0.1:$port"

sql() { psql -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" -U vlog "$@"; }
sql -d postgres -c "CREATE DATABASE vlog"
# Enough rows that the data blocks dwarf the table of contents, so a truncated dump is
# one whose TOC is intact (the case pg_restore --list alone would miss).
sql -d vlog -c "CREATE TABLE videos (id serial PRIMARY KEY, slug text NOT NULL, duration_s real);
                INSERT INTO videos (slug, duration_s)
                SELECT md5(i::text), i * 0.5 FROM generate_series(1, 20000) AS i;
                CREATE TABLE transcoding_jobs (id serial PRIMARY KEY, video_id int REFERENCES videos (id));
                INSERT INTO transcoding_jobs (video_id) SELECT id FROM videos WHERE id % 7 = 0;"
checksum_sql="SELECT count(*) || ':' || md5(string_agg(slug || duration_s::text, ',' ORDER BY id)) FROM videos"
expected_checksum=$(sql -d vlog -At -c "$checksum_sql")

passed=0
failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
failc() { echo "FAIL: $1"; failed=$((failed + 1)); }
# expect <what> <detail shown on failure> <command...>
expect() {
    local what=$1 detail=$2
    shift 2
    if "$@"; then pass "$what"; else failc "$what: $detail"; fi
}
absent() { [ ! -e "$1" ]; }

# run_backup <backup dir> [VAR=value ...]: runs the script with the good credentials
# (overridable), captures stdout/stderr/exit status in $out, $err, $status.
run_backup() {
    local dir=$1
    shift
    status=0
    env PGHOST=127.0.0.1 PGPORT="$port" PGDATABASE=vlog PGUSER=vlog PGPASSWORD="$password" \
        PGCONNECT_TIMEOUT=5 BACKUP_DIR="$dir" BACKUP_RETENTION_DAYS=7 "$@" \
        /bin/sh "$script" >"$work/out" 2>"$work/err" || status=$?
    out=$(cat "$work/out")
    err=$(cat "$work/err")
}

# expect_one_line_error <case> <expected status> <regex>
expect_one_line_error() {
    local name=$1 want_status=$2 pattern=$3 lines
    lines=$(grep -c '' "$work/err" || true)
    if [ "$status" -ne "$want_status" ]; then
        failc "$name: exit status $status, expected $want_status (stderr: $err)"
    elif [ "$lines" -ne 1 ]; then
        failc "$name: expected exactly one error line, got $lines: $err"
    elif ! grep -Eq "$pattern" "$work/err"; then
        failc "$name: error line does not match /$pattern/: $err"
    else
        pass "$name: exit $status, '$err'"
    fi
}

dumps_in() { find "$1" -maxdepth 1 -type f -name 'vlog-*' | sort; }

# 1. A good backup: one verified dump that restores to the same data.
d=$work/b-ok
mkdir "$d"
run_backup "$d"
files=$(dumps_in "$d")
if [ "$status" -ne 0 ]; then
    failc "backup: exit status $status: $err"
elif [ "$(printf '%s\n' "$files" | grep -c .)" -ne 1 ] || ! printf '%s' "$files" | grep -Eq '/vlog-[0-9]{8}T[0-9]{6}Z\.dump$'; then
    failc "backup: expected exactly one vlog-<UTC stamp>.dump, found: ${files:-nothing}"
else
    dump=$files
    if ! pg_restore --list "$dump" >"$work/list" 2>&1; then
        failc "backup: pg_restore --list rejects the dump: $(cat "$work/list")"
    elif ! grep -q 'TABLE DATA public videos' "$work/list" || ! grep -q 'TABLE DATA public transcoding_jobs' "$work/list"; then
        failc "backup: dump's table of contents lacks the tables' data"
    else
        pass "backup: pg_restore --list accepts $(basename "$dump") ($(wc -c <"$dump") bytes)"
    fi
    sql -d postgres -c "CREATE DATABASE restored"
    if pg_restore --exit-on-error -h "$sockdir" -p "$port" -U vlog -d restored "$dump" 2>"$work/restore.err"; then
        got=$(sql -d restored -At -c "$checksum_sql")
        if [ "$got" = "$expected_checksum" ]; then
            pass "backup: restores to identical data ($got)"
        else
            failc "backup: restored data differ: $got, expected $expected_checksum"
        fi
    else
        failc "backup: pg_restore into a fresh database failed: $(cat "$work/restore.err")"
    fi
    perms=$(stat -c %a "$dump")
    expect "backup: dump is private (mode 600)" "mode is $perms" test "$perms" = 600
fi
expect "backup: reports the verification" "output: $out" grep -q 'verified' "$work/out"

# 2. Retention: older than 7 days deleted, newer kept, other files untouched.
d=$work/b-retention
mkdir "$d"
touch -d '8 days ago' "$d/vlog-20000101T000000Z.dump"
touch -d '30 days ago' "$d/vlog-19990101T000000Z.dump"
touch -d '6 days ago' "$d/vlog-20000109T000000Z.dump"
touch -d '30 days ago' "$d/notes.txt" "$d/other-20000101T000000Z.dump"
run_backup "$d"
if [ "$status" -ne 0 ]; then
    failc "retention: backup failed: $err"
else
    left=$(find "$d" -mindepth 1 -printf "%f ")
    expect "retention: 8-day-old backup deleted" "left: $left" absent "$d/vlog-20000101T000000Z.dump"
    expect "retention: 30-day-old backup deleted" "left: $left" absent "$d/vlog-19990101T000000Z.dump"
    expect "retention: 6-day-old backup kept" "left: $left" test -e "$d/vlog-20000109T000000Z.dump"
    expect "retention: unrelated file kept" "left: $left" test -e "$d/notes.txt"
    expect "retention: other prefix kept" "left: $left" test -e "$d/other-20000101T000000Z.dump"
    expect "retention: new backup + recent one remain" "left: $left" test "$(dumps_in "$d" | grep -c .)" -eq 2
fi

# 3. Corrupt dumps (pg_dump "succeeds" but the file is bad): detected, deleted, exit 1,
# and retention does not run after a failed backup.
mkdir -p "$work/shim"
cat >"$work/shim/pg_dump" <<SHIM
#!/bin/sh
"$pg_bin/pg_dump" "\$@" || exit \$?
file=""
for arg in "\$@"; do
    case \$arg in --file=*) file=\${arg#--file=} ;; esac
done
[ -n "\$file" ] || { echo "pg_dump shim: the backup script no longer passes --file=" >&2; exit 99; }
case \$SHIM_MODE in
    garbage) head -c 65536 /dev/urandom >"\$file" ;;
    truncate) truncate -s \$((\$(wc -c <"\$file") * 6 / 10)) "\$file" ;;
esac
SHIM
chmod 0755 "$work/shim/pg_dump"
for mode in garbage truncate; do
    d=$work/b-corrupt-$mode
    mkdir "$d"
    touch -d '8 days ago' "$d/vlog-20000101T000000Z.dump"
    run_backup "$d" PATH="$work/shim:$PATH" SHIM_MODE="$mode"
    expect_one_line_error "corrupt dump ($mode)" 1 'verification failed, corrupt dump deleted'
    leftovers=$(find "$d" -maxdepth 1 -newer "$work/pwfile" -name 'vlog-*')
    expect "corrupt dump ($mode): nothing left behind" "left: $leftovers" test -z "$leftovers"
    expect "corrupt dump ($mode): old backups kept after a failed run" "retention ran although the backup failed" \
        test -e "$d/vlog-20000101T000000Z.dump"
done

# 4. Wrong password.
d=$work/b-password
mkdir "$d"
run_backup "$d" PGPASSWORD=wrong-password
expect_one_line_error "wrong password" 1 'pg_dump of database .vlog. .* failed: .*password authentication failed'
expect "wrong password: no file written" "left: $(ls "$d")" test -z "$(dumps_in "$d")"

# 5. Server not reachable.
d=$work/b-down
mkdir "$d"
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_backup "$d" PGPORT="$closed_port"
expect_one_line_error "server unreachable" 1 "failed: .*(refused|could not connect|Connection)"

# 6. Configuration errors.
run_backup "$work/b-ok" PGHOST=
expect_one_line_error "missing PGHOST" 2 'PGHOST is not set'
run_backup "$work/b-ok" BACKUP_RETENTION_DAYS=seven
expect_one_line_error "bad retention" 2 'BACKUP_RETENTION_DAYS must be a whole number'
run_backup "$work/does-not-exist"
expect_one_line_error "missing backup dir" 2 'does not exist'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
