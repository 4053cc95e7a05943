#!/usr/bin/env bash
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds and stages vtranscode for a container image. Both Dockerfiles run it, and
# tests/deploy runs its steps on the CI machine (Debian 12) to prove they work.
#
#   build.sh configure --variant cpu|gpu --builddir DIR --prefix PREFIX
#       meson setup with the image's options (see variant_options below)
#   build.sh compile --builddir DIR
#   build.sh install --builddir DIR [--destdir DIR] [--packages-out FILE] [--runtime-only]
#       meson install (stripped) into DESTDIR (--runtime-only then removes what only
#       a developer needs: headers, pkg-config files, static archives); writes
#       DESTDIR/etc/ld.so.conf.d/
#       vtranscode.conf for the installed library directory, and the list of
#       distribution packages that own every shared library the installed binaries
#       and plugins load (from ldd, mapped with dpkg or rpm) to FILE: the runtime
#       stage installs exactly that list, so it never drifts from what was built.
#
# Run it from the source root. It exits nonzero with a one-line reason on failure.
set -euo pipefail

prog=${0##*/}
die() {
    echo "$prog: $*" >&2
    exit 1
}
usage() {
    echo "usage: $prog configure --variant cpu|gpu --builddir DIR --prefix PREFIX" >&2
    echo "       $prog compile --builddir DIR" >&2
    echo "       $prog install --builddir DIR [--destdir DIR] [--packages-out FILE] [--runtime-only]" >&2
    exit 2
}

variant_options() {
    # Every plugin the variant ships is `enabled`, not `auto`: a missing library
    # fails the image build instead of producing an image without that encoder.
    case $1 in
        cpu) echo "-Dx264=enabled -Dx265=enabled -Dsvtav1=enabled -Dnvenc=disabled -Dvaapi=disabled -Dqsv=disabled" ;;
        gpu) echo "-Dx264=enabled -Dx265=enabled -Dsvtav1=enabled -Dnvenc=enabled -Dvaapi=enabled -Dqsv=enabled" ;;
        *) die "unknown variant '$1' (cpu or gpu)" ;;
    esac
}

step=${1:-}
[ -n "$step" ] || usage
shift
variant="" builddir="" prefix="" destdir="" packages_out="" runtime_only=0
while [ $# -gt 0 ]; do
    case $1 in
        --variant) variant=${2:?--variant needs a value}; shift 2 ;;
        --builddir) builddir=${2:?--builddir needs a value}; shift 2 ;;
        --prefix) prefix=${2:?--prefix needs a value}; shift 2 ;;
        --destdir) destdir=${2:?--destdir needs a value}; shift 2 ;;
        --packages-out) packages_out=${2:?--packages-out needs a value}; shift 2 ;;
        --runtime-only) runtime_only=1; shift ;;
        *) die "unknown argument '$1'" ;;
    esac
done
[ -n "$builddir" ] || die "--builddir is required"
if [ ! -f meson.build ] || [ ! -d containers ]; then
    die "run me from the vtranscode source root"
fi

# One line per owning package, for a shared library path.
owner_of() {
    local lib=$1 alt real
    real=$(readlink -f "$lib")
    for candidate in "$lib" "$real"; do
        # Merged /usr: the package database may record /lib/... for a file the
        # loader found as /usr/lib/... (or the other way round).
        case $candidate in
            /usr/lib/*) alt=${candidate#/usr} ;;
            /lib/*) alt=/usr$candidate ;;
            *) alt=$candidate ;;
        esac
        for path in "$candidate" "$alt"; do
            if command -v dpkg-query >/dev/null 2>&1; then
                if out=$(dpkg-query -S "$path" 2>/dev/null); then
                    printf '%s\n' "$out" | head -n1 | cut -d: -f1
                    return 0
                fi
            elif command -v rpm >/dev/null 2>&1; then
                if out=$(rpm -qf --qf '%{NAME}\n' "$path" 2>/dev/null); then
                    printf '%s\n' "$out" | head -n1
                    return 0
                fi
            else
                die "neither dpkg nor rpm is available to find the package of $lib"
            fi
        done
    done
    return 1
}

is_elf() {
    [ -f "$1" ] && [ ! -L "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]
}

case $step in
    configure)
        [ -n "$variant" ] || die "--variant is required"
        [ -n "$prefix" ] || die "--prefix is required"
        read -r -a options <<<"$(variant_options "$variant")"
        # libdir is fixed (not the multiarch default, which meson derives from
        # dpkg-architecture when present) so the Dockerfiles know where it is.
        meson setup "$builddir" \
            --wrap-mode=nodownload -Dgpl=enabled --prefix "$prefix" --libdir lib \
            --buildtype=release -Dtests=false -Dhost=enabled "${options[@]}"
        ;;
    compile)
        meson compile -C "$builddir"
        ;;
    install)
        [ -f "$builddir/meson-info/intro-buildoptions.json" ] || die "$builddir is not a configured meson build directory"
        install_args=(--no-rebuild --strip -C "$builddir")
        if [ -n "$destdir" ]; then
            mkdir -p "$destdir"
            destdir=$(cd "$destdir" && pwd)
            install_args+=(--destdir "$destdir")
        fi
        meson install "${install_args[@]}" >/dev/null || die "meson install failed"
        read -r prefix libdir < <(python3 - "$builddir" <<'PY'
import json, sys
opts = {o["name"]: o["value"] for o in json.load(open(sys.argv[1] + "/meson-info/intro-buildoptions.json"))}
print(opts["prefix"], opts["libdir"])
PY
)
        case $libdir in /*) libpath=$libdir ;; *) libpath=$prefix/$libdir ;; esac
        root=$destdir
        mkdir -p "$root/etc/ld.so.conf.d"
        echo "$libpath" >"$root/etc/ld.so.conf.d/vtranscode.conf"
        echo "$prog: installed $prefix (libraries in $libpath)${destdir:+ under $root}"
        if [ "$runtime_only" -eq 1 ]; then
            rm -rf "$root$prefix/include" "$root$libpath/pkgconfig"
            find "$root$prefix" -name '*.a' -type f -delete
            echo "$prog: removed headers, pkg-config files and static archives (--runtime-only)"
        fi

        # Runtime packages: ldd of every installed ELF file, the project's own
        # libraries resolved from the staging tree.
        lib_dirs=$(find "$root$prefix" -name '*.so*' -type f -printf '%h\n' 2>/dev/null | sort -u | paste -sd:)
        packages=() unresolved=() unowned=()
        while IFS= read -r -d '' file; do
            is_elf "$file" || continue
            while IFS= read -r line; do
                case $line in
                    *"=> not found"*) unresolved+=("${file#"$root"}: ${line%% *}") ;;
                    *"=> /"*)
                        lib=${line#*=> }
                        lib=${lib%% (*}
                        case $lib in "$root"/*) continue ;; esac
                        if pkg=$(owner_of "$lib"); then packages+=("$pkg"); else unowned+=("$lib"); fi
                        ;;
                esac
            done < <(LD_LIBRARY_PATH="$lib_dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$file" 2>/dev/null || true)
        done < <(find "$root$prefix" -type f -print0)
        [ ${#unresolved[@]} -eq 0 ] || die "unresolved shared libraries: ${unresolved[*]}"
        [ ${#unowned[@]} -eq 0 ] || die "shared libraries no package owns (would be missing at run time): ${unowned[*]}"
        if [ -n "$packages_out" ]; then
            if [ ${#packages[@]} -gt 0 ]; then
                printf '%s\n' "${packages[@]}" | sort -u >"$packages_out"
            else
                : >"$packages_out"
            fi
            echo "$prog: $(grep -c . "$packages_out" || true) runtime packages listed in $packages_out"
        fi
        ;;
    *) usage ;;
esac
