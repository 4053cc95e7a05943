#!/usr/bin/env bash
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs the container build scripts on this machine (Debian 12, the CPU image's base)
# and checks what they stage, the way containers/Dockerfile.worker uses them:
#   1. containers/debian-deps.sh build   (scripts/install-deps.sh --build-only)
#   2. containers/build.sh configure     for both image variants (cpu, gpu): the
#      meson options are accepted and select the right plugins
#   3. containers/build.sh install       from the test's own, already compiled build
#      directory into a staging DESTDIR, with --runtime-only and the runtime package
#      list the image's runtime stage installs
#   4. the staged tree: complete, no development files, every shared library owned
#      by a runtime package, plugins still export their entry point after
#      stripping, and `vtranscode-worker check` runs from the staging tree.
#
# Why not a full `build.sh compile` into a second build directory: it would compile
# the whole project a second time on CI's two cores for no new information, since
# meson test has just compiled the same sources with the same compiler. The image's
# own configure step (2) and install step (3) are the parts only this test covers.
#
# Usage: container_build_test.sh <source root> <build root> <worker built: true|false> <plugin ABI major>
set -euo pipefail

src_root=$(cd "${1:?source root}" && pwd)
build_root=$(cd "${2:?build root}" && pwd)
worker_built=${3:?worker built (true or false)}
abi_major=${4:?plugin ABI major}

passed=0
failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
failc() { echo "FAIL: $1"; failed=$((failed + 1)); }
finish() {
    echo "$passed passed, $failed failed"
    if [ "$failed" -eq 0 ]; then exit 0; fi
    exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/vtc-container-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$src_root"

# ---- 1. build dependencies through the same script the image uses ----
if containers/debian-deps.sh build >"$work/deps.log" 2>&1; then
    pass "debian-deps.sh build: $(tail -n1 "$work/deps.log")"
else
    failc "debian-deps.sh build failed: $(tail -n3 "$work/deps.log" | tr '\n' ' ')"
fi

# Installed files of a configured build directory, one absolute path a line.
install_plan() {
    python3 - "$1" <<'PY'
import json, sys
for dest in sorted(json.load(open(sys.argv[1] + "/meson-info/intro-installed.json")).values()):
    print(dest)
PY
}
install_plan "$build_root" >"$work/plan-test"
plugin_re="/vtranscode-$abi_major/[^/]+\\.so\$"
hw_re='(nvenc|vaapi|qsv)'
grep -E "$plugin_re" "$work/plan-test" | xargs -r -n1 basename | sort >"$work/plugins-test" || true
grep -Evi "$hw_re" "$work/plugins-test" >"$work/plugins-test-sw" || true

# ---- 2. configure both image variants ----
for variant in cpu gpu; do
    dir=$work/cfg-$variant
    if ! containers/build.sh configure --variant "$variant" --builddir "$dir" --prefix /opt/vtranscode \
        >"$work/configure-$variant.log" 2>&1; then
        failc "configure --variant $variant: $(grep -m1 -E 'ERROR|error' "$work/configure-$variant.log" || tail -n1 "$work/configure-$variant.log")"
        continue
    fi
    pass "configure --variant $variant accepted by meson"
    install_plan "$dir" >"$work/plan-$variant"
    grep -E "$plugin_re" "$work/plan-$variant" | xargs -r -n1 basename | sort >"$work/plugins-$variant" || true
    if [ "$variant" = cpu ]; then
        hw=$(grep -Ei "$hw_re" "$work/plugins-cpu" | tr '\n' ' ' || true)
        if [ -z "$hw" ]; then pass "cpu variant ships no hardware plugin"; else failc "cpu variant ships hardware plugins: $hw"; fi
        want=$work/plugins-test-sw
    else
        want=$work/plugins-test
        # The GPU image exists for these three: each must be in its install plan.
        for hw in nvenc vaapi qsv; do
            if grep -qx "vtc-$hw.so" "$work/plugins-gpu"; then
                pass "gpu variant ships vtc-$hw.so"
            else
                failc "gpu variant does not ship vtc-$hw.so"
            fi
        done
    fi
    missing=$(comm -23 "$want" "$work/plugins-$variant" | tr '\n' ' ')
    if [ -z "$missing" ]; then
        pass "$variant variant ships every plugin this build has ($(grep -c . "$want" || true) plugins)"
    else
        failc "$variant variant lacks plugins that CI builds: $missing"
    fi
    if [ "$worker_built" = true ]; then
        if grep -q '/bin/vtranscode-worker$' "$work/plan-$variant"; then
            pass "$variant variant installs vtranscode-worker"
        else
            failc "$variant variant does not install vtranscode-worker"
        fi
    fi
done

# ---- 3. stage an install from the test's build directory ----
stage=$work/stage
if containers/build.sh install --builddir "$build_root" --destdir "$stage" \
    --packages-out "$work/runtime-packages.txt" --runtime-only >"$work/install.log" 2>&1; then
    pass "build.sh install staged into DESTDIR"
else
    failc "build.sh install: $(tail -n1 "$work/install.log")"
    finish
fi

# ---- 4. the staged tree ----
missing_files=() dev_files=()
while IFS= read -r dest; do
    case $dest in
        */include/* | */pkgconfig/* | *.a) [ -e "$stage$dest" ] && dev_files+=("$dest") ;;
        *) [ -e "$stage$dest" ] || missing_files+=("$dest") ;;
    esac
done <"$work/plan-test"
if [ ${#missing_files[@]} -eq 0 ]; then
    pass "all $(grep -c . "$work/plan-test" || true) planned files staged (development files excepted)"
else
    failc "planned files missing from the staging tree: ${missing_files[*]}"
fi
if [ ${#dev_files[@]} -eq 0 ]; then pass "--runtime-only left no headers, pkg-config files or archives"; else
    failc "development files left in the runtime tree: ${dev_files[*]}"; fi

libpath=$(cat "$stage/etc/ld.so.conf.d/vtranscode.conf" 2>/dev/null || true)
if [ -z "$libpath" ]; then
    failc "build.sh install wrote no etc/ld.so.conf.d/vtranscode.conf"
elif grep -Eq '/lib[^/]*\.so' "$work/plan-test" && ! grep -q "^$libpath/lib[^/]*\.so" "$work/plan-test"; then
    failc "ld.so.conf.d/vtranscode.conf names $libpath, which holds none of the installed libraries"
else
    pass "ld.so.conf.d/vtranscode.conf names the library directory ($libpath)"
fi

elf_count=0
while IFS= read -r -d '' f; do
    if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then elf_count=$((elf_count + 1)); fi
done < <(find "$stage" -type f -print0)
pkg_count=$(grep -c . "$work/runtime-packages.txt" || true)
if [ "$elf_count" -gt 0 ] && [ "$pkg_count" -eq 0 ]; then
    failc "$elf_count ELF files staged but the runtime package list is empty"
else
    pass "runtime package list: $pkg_count packages for $elf_count ELF files ($(tr '\n' ' ' <"$work/runtime-packages.txt"))"
fi
dev_pkgs=$(grep -E -- '-dev$' "$work/runtime-packages.txt" | tr '\n' ' ' || true)
if [ -z "$dev_pkgs" ]; then pass "runtime package list has no -dev package"; else
    failc "runtime stage would need development packages: $dev_pkgs"; fi

plugin_dir=$(grep -E "$plugin_re" "$work/plan-test" | head -n1 | xargs -r dirname || true)
while IFS= read -r name; do
    so=$stage$plugin_dir/$name
    if nm -D --defined-only "$so" 2>/dev/null | grep -qw vtc_plugin_entry; then
        pass "stripped plugin $name still exports vtc_plugin_entry"
    else
        failc "stripped plugin $name does not export vtc_plugin_entry"
    fi
done <"$work/plugins-test"

# ---- the worker ----
worker_planned=false
grep -q '/bin/vtranscode-worker$' "$work/plan-test" && worker_planned=true
if [ "$worker_built" != true ] && [ "$worker_planned" = true ]; then
    failc "vtranscode-worker is installed but tests/deploy/meson.build did not find its target variable: name it one of those listed there"
elif [ "$worker_built" = true ] && [ "$worker_planned" != true ]; then
    failc "meson built vtranscode-worker but does not install it (install: true missing?)"
elif [ "$worker_built" = true ]; then
    worker=$stage$(grep '/bin/vtranscode-worker$' "$work/plan-test")
    closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    health_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    key="deploy-test-key-$RANDOM$RANDOM"
    mkdir -p "$work/worker-dir"
    rc=0
    env -i PATH=/usr/bin:/bin HOME="$work" \
        LD_LIBRARY_PATH="$stage$libpath" VTC_PLUGIN_PATH="$stage$plugin_dir" \
        VLOG_WORKER_API_URL="http://127.0.0.1:$closed_port" VLOG_WORKER_API_KEY="$key" \
        VLOG_WORKER_WORK_DIR="$work/worker-dir" VLOG_WORKER_HEALTH_PORT="$health_port" \
        timeout 120 "$worker" check >"$work/check.out" 2>&1 || rc=$?
    out=$(head -c 2000 "$work/check.out")
    if [ "$rc" -eq 1 ] && [ -s "$work/check.out" ]; then
        pass "staged vtranscode-worker check ran and reported the unreachable API (exit 1)"
    else
        failc "staged vtranscode-worker check: exit $rc (expected 1 for an unreachable API), output: $out"
    fi
    if grep -qF "$key" "$work/check.out"; then
        failc "vtranscode-worker check printed the API key"
    else
        pass "vtranscode-worker check did not print the API key"
    fi
else
    echo "NOTE: vtranscode-worker is not part of this build (meson: host feature off or not yet written); its 'check' step is not run"
fi

finish
