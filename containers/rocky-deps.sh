#!/usr/bin/env bash
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Rocky Linux 10 package installation for containers/Dockerfile.worker.gpu.
#
#   rocky-deps.sh build
#       build stage: compilers, meson, and the -devel packages of every library the
#       engine, the worker and all plugins use (FFmpeg 7.1.2 from RPM Fusion)
#   rocky-deps.sh runtime PACKAGES_FILE
#       runtime stage: the packages listed by `containers/build.sh install
#       --packages-out` (owners of every shared library the staged binaries and
#       plugins load), the GPU user-space drivers the plugins load at run time
#       (intel-media-driver 25.2.6, the oneVPL GPU runtime), curl for the
#       HEALTHCHECK, and the unprivileged user 1000 in group video
#
# No Rocky machine is available to CI: tests/deploy checks this script with bash -n
# and shellcheck only. The versions below are verified after installation, so a
# repository that no longer carries them fails the image build loudly.
set -euo pipefail
prog=${0##*/}

FFMPEG_VERSION=7.1.2
INTEL_MEDIA_DRIVER_VERSION=25.2.6
EL_MAJOR=10

die() {
    echo "$prog: $*" >&2
    exit 1
}

enable_repositories() {
    dnf -y install dnf-plugins-core epel-release
    # CRB carries the -devel halves of several AppStream libraries.
    dnf config-manager --set-enabled crb
    # RPM Fusion free (FFmpeg, x264, x265) and nonfree (intel-media-driver with the
    # non-free codecs).
    dnf -y install \
        "https://mirrors.rpmfusion.org/free/el/rpmfusion-free-release-${EL_MAJOR}.noarch.rpm" \
        "https://mirrors.rpmfusion.org/nonfree/el/rpmfusion-nonfree-release-${EL_MAJOR}.noarch.rpm"
}

# check_version PACKAGE VERSION: the installed version must be exactly VERSION.
check_version() {
    local got
    got=$(rpm -q --qf '%{VERSION}' "$1") || die "$1 is not installed"
    [ "$got" = "$2" ] || die "$1 is $got, expected $2"
}

case ${1:-} in
    build)
        enable_repositories
        dnf -y install \
            gcc gcc-c++ meson ninja-build pkgconf-pkg-config cmake findutils python3 binutils \
            "ffmpeg-devel-${FFMPEG_VERSION}" \
            x264-devel x265-devel svt-av1-devel \
            libva-devel libvpl-devel nv-codec-headers \
            boost-devel fmt-devel json-devel \
            libcurl-devel cpp-httplib-devel hiredis-devel libarchive-devel openssl-devel
        check_version ffmpeg-devel "$FFMPEG_VERSION"
        dnf clean all
        ;;
    runtime)
        list=${2:?usage: $prog runtime PACKAGES_FILE}
        [ -r "$list" ] || die "cannot read $list"
        mapfile -t packages < <(grep -Ev '^[[:space:]]*(#|$)' "$list")
        enable_repositories
        # FFmpeg's libraries pinned to the version the build stage compiled against;
        # the GPU drivers are loaded with dlopen, so ldd never lists them.
        dnf -y install --setopt=install_weak_deps=False \
            "ffmpeg-libs-${FFMPEG_VERSION}" \
            "intel-media-driver-${INTEL_MEDIA_DRIVER_VERSION}" \
            libva libvpl intel-vpl-gpu-rt \
            curl ca-certificates shadow-utils \
            "${packages[@]}"
        check_version ffmpeg-libs "$FFMPEG_VERSION"
        check_version intel-media-driver "$INTEL_MEDIA_DRIVER_VERSION"
        dnf clean all
        rm -rf /var/cache/dnf
        ldconfig
        # uid/gid 1000 as in the pods' securityContext; group video for /dev/dri.
        groupadd --gid 1000 vtranscode
        useradd --uid 1000 --gid 1000 --groups video --no-create-home --home-dir /work \
            --shell /sbin/nologin vtranscode
        install -d -o 1000 -g 1000 -m 0750 /work
        ;;
    *)
        echo "usage: $prog build | runtime PACKAGES_FILE" >&2
        exit 2
        ;;
esac
