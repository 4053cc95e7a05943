#!/usr/bin/env bash
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Staging-install test: the plugin author kit works from the installed files alone.
#
#  1. `meson install --destdir` the build into a staging directory inside the
#     build tree (no root, nothing written outside the build directory).
#  2. With pkg-config pointed into the stage, build examples/plugin-skeleton out
#     of tree twice, with its Makefile and with its own meson project, and prove
#     that every vtranscode header the compiler read came from the stage.
#  3. Check the built plugins export exactly vtc_plugin_entry, install the meson
#     one into the staged plugindir, and load it with a C host compiled here
#     against the staged headers.
#  4. Run the skeleton contract and decode checks (skeleton-check).
#  5. Run the project's own tools on the skeleton, vtc-probe and vtc-conformance,
#     whenever this build installs them. Whether a tool is expected is decided by
#     the build's install plan (meson introspect --installed), not by looking for
#     the file, so a tool the build installs but that fails or goes missing is a
#     failure, never a skip.
#
# Every argument comes from tests/install/meson.build; see `usage` below.
set -euo pipefail

usage() {
    cat >&2 <<'EOF'
usage: staging_install_test.sh --build-root DIR --source-root DIR --work-dir DIR
         --prefix DIR --libdir DIR --plugindir DIR --probe PATH --conformance PATH
         --stream-check EXE --cc CC --meson MESON --make MAKE --python PYTHON
All installed locations (--libdir, --plugindir, --probe, --conformance) are the
paths meson will install to, before the staging directory is prepended.
EOF
    exit 2
}

declare -A arg=()
while [ $# -gt 0 ]; do
    case "$1" in
    --build-root | --source-root | --work-dir | --prefix | --libdir | --plugindir | --probe | \
        --conformance | --stream-check | --cc | --meson | --make | --python)
        [ $# -ge 2 ] || usage
        arg["${1#--}"]="$2"
        shift 2
        ;;
    *) usage ;;
    esac
done
for key in build-root source-root work-dir prefix libdir plugindir probe conformance \
    stream-check cc meson make python; do
    [ -n "${arg[$key]+set}" ] || usage
done

step() { printf 'staging-install: %s\n' "$*"; }
fail() {
    printf 'staging-install: FAIL: %s\n' "$*" >&2
    exit 1
}

build_root=${arg[build-root]}
source_root=${arg[source-root]}
work=${arg[work-dir]}
cc=${arg[cc]}

# Everything this test writes lives under $work, and $work must lie inside the
# build directory: the test never writes anywhere else.
case "$work" in
"$build_root"/?*) ;;
*) fail "work dir $work is not inside the build directory $build_root" ;;
esac
for tool in make meson python; do
    [ -n "${arg[$tool]}" ] || fail "$tool was not found when the build was configured; install it (scripts/install-deps.sh)"
done

# An installed path (absolute, as meson reports it) inside the stage.
stage=$work/stage
staged() { printf '%s%s' "$stage" "$1"; }
case "${arg[libdir]}" in
/*) libdir_abs=${arg[libdir]} ;;
*) libdir_abs=${arg[prefix]}/${arg[libdir]} ;;
esac

rm -rf "$work"
mkdir -p "$work"

# --- 1. staging install ---------------------------------------------------------------
step "installing $build_root into $stage"
"${arg[meson]}" install -C "$build_root" --destdir "$stage" --no-rebuild --quiet </dev/null ||
    fail "meson install --destdir failed"

pcdir=$(staged "$libdir_abs/pkgconfig")
[ -f "$pcdir/vtranscode-plugin.pc" ] || fail "vtranscode-plugin.pc is not installed in $pcdir"

# Only the stage is visible to pkg-config: PKG_CONFIG_LIBDIR replaces the system
# directories, so an installed vtranscode elsewhere cannot satisfy the lookup, and
# the sysroot maps the .pc file's prefix into the stage.
export PKG_CONFIG_PATH=$pcdir
export PKG_CONFIG_LIBDIR=$pcdir
export PKG_CONFIG_SYSROOT_DIR=$stage

cflags=$(pkg-config --cflags vtranscode-plugin) || fail "pkg-config cannot find vtranscode-plugin in the stage"
case " $cflags " in
*" -I$stage/"*) ;;
*) fail "pkg-config --cflags vtranscode-plugin is '$cflags', which does not point into $stage" ;;
esac
case "$cflags" in
*"$source_root/include"*) fail "pkg-config --cflags names the source tree: $cflags" ;;
esac
plugindir=$(pkg-config --variable=plugindir vtranscode-plugin)
[ -n "$plugindir" ] || fail "vtranscode-plugin.pc has no plugindir variable"
[ "$plugindir" = "$(staged "${arg[plugindir]}")" ] ||
    fail "plugindir is '$plugindir', but the host searches '${arg[plugindir]}' (staged: $(staged "${arg[plugindir]}"))"
for header in vtc_plugin.h vtc_types.h vtc_host.h vtc_encoder.h vtc_plugin_sdk.hpp; do
    find "$stage" -path "*/vtranscode/plugin/$header" | grep -q . || fail "$header is not installed"
done
step "pkg-config: cflags '$cflags', plugindir $plugindir"

# --- 2. build the skeleton out of tree --------------------------------------------------
# A copy, so nothing can reach the source tree through a relative path.
skeleton=$work/skeleton-src
cp -R "$source_root/examples/plugin-skeleton" "$skeleton"
rm -rf "$skeleton/build"

# Every vtranscode header in a list of dependency paths must come from the stage.
check_headers() { # $1: description, stdin: paths
    local paths
    # Make and ninja list paths separated by blanks and backslash-newlines.
    # shellcheck disable=SC1003 # the backslash is literal
    paths=$(tr -s '[:blank:]\\' '\n' | grep -E 'vtranscode/plugin/[^/]+\.h(pp)?:?$' | sed 's/:$//' | sort -u) || true
    [ -n "$paths" ] || fail "$1: the compiler recorded no vtranscode header at all"
    while IFS= read -r path; do
        case "$(realpath -m "$path")" in
        "$(realpath -m "$stage")"/*) ;;
        *) fail "$1: header $path does not come from the stage" ;;
        esac
    done <<<"$paths"
    step "$1: all $(wc -l <<<"$paths") vtranscode headers read from the stage"
}

check_exports() { # $1: plugin
    local symbols
    symbols=$(nm -D --defined-only "$1" | awk '{print $NF}' | sort -u)
    [ "$symbols" = "vtc_plugin_entry" ] ||
        fail "$1 exports [$(tr '\n' ' ' <<<"$symbols")] instead of exactly vtc_plugin_entry"
    step "$(basename "$1"): exports exactly vtc_plugin_entry"
}

step "building the skeleton with its Makefile"
make_build=$work/make-build
"${arg[make]}" -s -C "$skeleton" BUILDDIR="$make_build" CC="$cc" CFLAGS="-O2 -g -Werror" ||
    fail "the skeleton's Makefile build failed"
[ -f "$make_build/vtc-skeleton.so" ] || fail "the Makefile did not produce vtc-skeleton.so"
cat "$make_build"/*.d | check_headers "Makefile build"
check_exports "$make_build/vtc-skeleton.so"
"${arg[make]}" -s -C "$skeleton" BUILDDIR="$make_build" CC="$cc" PLUGINDIR="$work/make-install" install ||
    fail "make install failed"
[ -x "$work/make-install/vtc-skeleton.so" ] || fail "make install did not install vtc-skeleton.so"

step "building the skeleton as its own meson project"
meson_build=$work/meson-build
CC=$cc "${arg[meson]}" setup "$meson_build" "$skeleton" -Dwerror=true >"$work/meson-setup.log" 2>&1 ||
    {
        cat "$work/meson-setup.log" >&2
        fail "meson setup of the skeleton failed"
    }
"${arg[meson]}" compile -C "$meson_build" >"$work/meson-compile.log" 2>&1 ||
    {
        cat "$work/meson-compile.log" >&2
        fail "the skeleton's meson build failed"
    }
ninja -C "$meson_build" -t deps | check_headers "meson build"
check_exports "$meson_build/vtc-skeleton.so"
"${arg[meson]}" install -C "$meson_build" --no-rebuild --quiet </dev/null || fail "meson install of the skeleton failed"
installed=$plugindir/vtc-skeleton.so
[ -f "$installed" ] || fail "the skeleton was not installed into the staged plugindir $plugindir"
step "installed $installed"

# --- 3. load it from C --------------------------------------------------------------------
step "compiling a C loader against the staged headers"
# shellcheck disable=SC2086 # cflags is a list of flags
"$cc" -std=c99 -Wall -Wextra -Wpedantic -Werror $cflags -MD -MF "$work/load_plugin.d" \
    -o "$work/load_plugin" "$source_root/tests/install/load_plugin.c" -ldl ||
    fail "the C loader does not compile against the staged headers"
check_headers "C loader" <"$work/load_plugin.d"
for plugin in "$installed" "$make_build/vtc-skeleton.so"; do
    "$work/load_plugin" "$plugin" skeleton skeleton-h264 || fail "the C loader refused $plugin"
done

# --- 4. contract and decode checks ---------------------------------------------------------
step "running skeleton-check on $installed"
VTC_SKELETON_PLUGIN=$installed "${arg[stream-check]}" || fail "skeleton-check failed"

# --- 5. the project's tools, when this build installs them ------------------------------
# The tools run from the stage: their libraries from the staged libdir, plugins
# from the staged plugindir only.
tool_env=(
    "LD_LIBRARY_PATH=$(staged "$libdir_abs")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    "VTC_PLUGIN_PATH=$plugindir"
    "VTC_PLUGIN_SYSTEM_PATH=$plugindir"
)

# Prints the install plan's destination for a file named $1, one per line.
planned_paths() {
    "${arg[meson]}" introspect --installed "$build_root" |
        "${arg[python]}" -c 'import json, os, sys
for dest in json.load(sys.stdin).values():
    if os.path.basename(dest) == sys.argv[1]:
        print(dest)' "$1"
}

# $1: tool name, $2: the path meson.build says it installs to. Returns 0 when the
# build installs it there, 1 when the build does not install it at all, and
# fails when it is installed somewhere else (so a moved tool cannot go unnoticed).
tool_expected() {
    local planned
    planned=$(planned_paths "$1") || fail "meson introspect --installed failed"
    [ -n "$planned" ] || return 1
    grep -qxF "$2" <<<"$planned" ||
        fail "this build installs $1 at [$planned], but tests/install/meson.build expects $2"
    return 0
}

if tool_expected vtc-probe "${arg[probe]}"; then
    probe=$(staged "${arg[probe]}")
    [ -x "$probe" ] || fail "the build installs vtc-probe, but $probe is missing from the stage"
    step "running $probe $installed"
    probe_out=$(env "${tool_env[@]}" "$probe" "$installed") || fail "vtc-probe refused the skeleton: $probe_out"
    printf '%s\n' "$probe_out"
    # The report must accept the plugin and list skeleton-h264 as available.
    "${arg[python]}" -c 'import json, sys
report = json.loads(sys.stdin.read())
ok = report.get("accepted") is True and any(
    e.get("id") == "skeleton-h264" and e.get("available") is True
    for e in report.get("encoders", []))
sys.exit(0 if ok else 1)' <<<"$probe_out" ||
        fail "vtc-probe did not report skeleton-h264 as accepted and available"
else
    step "vtc-probe: this build does not install it (no target yet), so there is nothing to run"
fi

if tool_expected vtc-conformance "${arg[conformance]}"; then
    conformance=$(staged "${arg[conformance]}")
    [ -x "$conformance" ] || fail "the build installs vtc-conformance, but $conformance is missing from the stage"
    step "running $conformance $installed"
    env "${tool_env[@]}" "$conformance" "$installed" || fail "vtc-conformance failed on the skeleton"
else
    step "vtc-conformance: this build does not install it (no target yet), so there is nothing to run"
fi

step "PASS"
