#!/usr/bin/env bash
# Installs, with apt, the Debian 12 packages vtranscode needs to build and test.
# Only missing packages are installed; nothing is downloaded from anywhere else.
#   --build-only   only what building needs, not the test tools (the container
#                  build stage, containers/Dockerfile.worker, uses this)
set -euo pipefail

build_only=0
case "${1:-}" in
    --build-only) build_only=1 ;;
    "") ;;
    *) echo "usage: $0 [--build-only]" >&2; exit 2 ;;
esac

packages=(
    # build
    meson ninja-build pkg-config g++ gcc cmake make
    # libvtranscode and plugins
    libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev
    libx264-dev libx265-dev libsvtav1enc-dev libva-dev libvpl-dev libffmpeg-nvenc-dev
    libboost-dev libfmt-dev nlohmann-json3-dev
    # worker host
    libcurl4-openssl-dev libcpp-httplib-dev libhiredis-dev libarchive-dev libssl-dev
)
test_packages=(
    # tests and benchmarks
    doctest-dev ffmpeg libxml2-utils redis-server time hyperfine
    # deployment checks (tests/deploy): PostgreSQL for the backup job, linters, and
    # Node.js for the Kubernetes schema validation (npm: see below)
    postgresql yamllint shellcheck nodejs python3
)
if [ "$build_only" -eq 0 ]; then
    packages+=("${test_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

# Debian ships npm as its own package; NodeSource's nodejs bundles it and conflicts
# with Debian's, so npm is only asked for when no npm command exists.
if [ "$build_only" -eq 0 ] && ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
