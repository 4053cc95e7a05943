#!/usr/bin/env bash
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Embedding test: another C++ application can use the installed library.
#  1. `meson install --destdir` this build into a staging directory in the build tree.
#  2. Build examples/embed with `pkg-config --cflags --libs vtranscode` pointed
#     into the stage only (and check that nothing from the source tree leaks in).
#  3. Run it, with the staged plugins and probe, on a generated clip, and check
#     the ladder it wrote.
#
# usage: embed_test.sh BUILD_ROOT SOURCE_ROOT WORK_DIR PREFIX LIBDIR PLUGINDIR PROBE CXX
set -euo pipefail
[ $# -eq 8 ] || { echo "usage: $0 BUILD_ROOT SOURCE_ROOT WORK_DIR PREFIX LIBDIR PLUGINDIR PROBE CXX" >&2; exit 2; }
build_root=$1 source_root=$2 work=$3 prefix=$4 libdir=$5 plugindir=$6 probe=$7 cxx=$8

fail() { echo "embed-install: FAIL: $*" >&2; exit 1; }
step() { echo "embed-install: $*"; }

rm -rf "$work"
mkdir -p "$work"
stage="$work/stage"
meson install -C "$build_root" --destdir "$stage" --no-rebuild --quiet >"$work/install.log" 2>&1 ||
    fail "meson install failed (see $work/install.log)"
staged_libdir="$stage$prefix/$libdir"
[ -d "$staged_libdir" ] || staged_libdir="$stage$libdir"
[ -f "$staged_libdir/pkgconfig/vtranscode.pc" ] || fail "vtranscode.pc was not installed"

# The staged vtranscode.pc first; the system's .pc files (FFmpeg and others it
# names in Requires.private) after it. Its prefix is moved into the stage.
export PKG_CONFIG_PATH="$staged_libdir/pkgconfig"
pc=(pkg-config "--define-variable=prefix=$stage$prefix")
cflags=$("${pc[@]}" --cflags vtranscode) || fail "pkg-config --cflags vtranscode failed"
libs=$("${pc[@]}" --libs vtranscode) || fail "pkg-config --libs vtranscode failed"
case "$cflags $libs" in
*"$stage"*) ;;
*) fail "pkg-config did not resolve vtranscode into the stage: $cflags $libs" ;;
esac
case " $cflags " in
*" -I$source_root/include "* | *" -I$source_root/libvtranscode"*)
    fail "pkg-config points into the source tree: $cflags" ;;
esac
step "pkg-config: $cflags $libs"

# Build a copy so the compiler cannot find headers next to the source either.
cp "$source_root/examples/embed/embed.cpp" "$work/embed.cpp"
# shellcheck disable=SC2086 # word splitting of pkg-config output is intended
"$cxx" -std=c++20 -Wall -Wextra -Werror -O1 $cflags -o "$work/embed" "$work/embed.cpp" $libs ||
    fail "the example does not build against the installed headers and library"
step "built examples/embed against the staged library"

ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=640x360:r=30:d=4" \
    -f lavfi -i "sine=d=4" -c:v libx264 -preset ultrafast -c:a aac -shortest "$work/clip.mp4" ||
    fail "cannot generate the test clip"
mkdir -p "$work/out"
LD_LIBRARY_PATH="$staged_libdir" \
    VTC_PLUGIN_PATH='' VTC_PLUGIN_SYSTEM_PATH="$stage$plugindir" VTC_PROBE_PATH="$stage$probe" \
    "$work/embed" "$work/clip.mp4" "$work/out" >"$work/embed.out" 2>"$work/embed.err" ||
    fail "the example failed: $(tail -3 "$work/embed.err")"
cat "$work/embed.out"
LD_LIBRARY_PATH="$staged_libdir" ldd "$work/embed" | grep -q "$staged_libdir/libvtranscode.so" ||
    fail "the example did not load the staged libvtranscode.so"
[ -f "$work/out/master.m3u8" ] || fail "no master.m3u8"
for q in 360p 240p original; do
    if [ ! -f "$work/out/$q/stream.m3u8" ] || [ ! -f "$work/out/$q/init.mp4" ]; then
        fail "rendition $q is missing"
    fi
done
grep -q "360p .*avc1\." "$work/embed.out" || fail "the example's output does not list the 360p rendition"
step "the embedding example transcoded a clip with the staged plugins"
