#!/usr/bin/env bash
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs one of the Node.js checks in tests/deploy with the npm packages pinned in
# tests/deploy/package.json and package-lock.json. They are installed once, with
# `npm ci`, into a cache directory inside the build directory (never the source
# tree), and again only when the lock file changes. Tests running in parallel share
# the install through a lock.
#
# usage: run_node.sh BUILD_DIR SCRIPT.mjs [ARGS...]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache_parent=${1:?usage: run_node.sh BUILD_DIR SCRIPT.mjs [ARGS...]}
script=${2:?usage: run_node.sh BUILD_DIR SCRIPT.mjs [ARGS...]}
shift 2

for tool in node npm flock; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "run_node: '$tool' not found; install the test dependencies with scripts/install-deps.sh" >&2
        exit 1
    }
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
    echo "run_node: Node.js $(node --version) is too old; the pinned kubernetes-models needs 20 or newer" >&2
    exit 1
fi

npm_dir=$cache_parent/deploy-npm
mkdir -p "$npm_dir"
exec 9>"$npm_dir.lock"
flock 9
want=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$npm_dir/.installed" 2>/dev/null || true)" != "$want" ] || [ ! -d "$npm_dir/node_modules" ]; then
    rm -rf "$npm_dir/node_modules" "$npm_dir/.installed"
    cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
    echo "run_node: npm ci into $npm_dir"
    if ! (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error --cache "$npm_dir/.npm-cache") >"$npm_dir/npm-ci.log" 2>&1; then
        echo "run_node: npm ci failed (is the npm registry reachable?): $(tail -n 5 "$npm_dir/npm-ci.log" | tr '\n' ' ')" >&2
        exit 1
    fi
    echo "$want" >"$npm_dir/.installed"
fi
# The scripts import the packages by name, which Node resolves from the script's own
# directory, so they run from a copy next to node_modules (replaced atomically: a
# parallel test may be starting from the previous copy).
for f in "$here"/*.mjs; do
    cp "$f" "$npm_dir/.$(basename "$f").$$"
    mv -f "$npm_dir/.$(basename "$f").$$" "$npm_dir/$(basename "$f")"
done
flock -u 9
exec node "$npm_dir/$(basename "$script")" "$@"
