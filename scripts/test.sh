#!/usr/bin/env bash
# Builds vtranscode with every plugin this machine can build and runs the whole
# test suite. This is the command CI runs (.ci/run) and the README's second
# Quick start command.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

build_dir=${VTC_BUILD_DIR:-build-test}
jobs=${VTC_JOBS:-2}
if [ -f "$build_dir/build.ninja" ]; then
    meson setup --reconfigure "$build_dir" --wrap-mode=nodownload -Dgpl=enabled
else
    meson setup "$build_dir" --wrap-mode=nodownload -Dgpl=enabled
fi
meson compile -C "$build_dir" -j "$jobs"
meson test -C "$build_dir" --print-errorlogs --num-processes "$jobs" "$@"
