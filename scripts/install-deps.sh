#!/usr/bin/env bash
# Installs, with apt, the Debian 12 packages vtranscode needs to build and test.
# Only missing packages are installed; nothing is downloaded from anywhere else.
set -euo pipefail

packages=(
    # build
    meson ninja-build pkg-config g++ gcc cmake make
    # libvtranscode and plugins
    libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev
    libx264-dev libx265-dev libsvtav1enc-dev libva-dev libvpl-dev libffmpeg-nvenc-dev
    libboost-dev libfmt-dev nlohmann-json3-dev
    # worker host
    libcurl4-openssl-dev libcpp-httplib-dev libhiredis-dev libarchive-dev libssl-dev
    # tests and benchmarks
    doctest-dev ffmpeg libxml2-utils redis-server time hyperfine
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

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
