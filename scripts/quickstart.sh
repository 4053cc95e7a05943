#!/usr/bin/env bash
# Quick start: installs what is missing (apt), builds vtranscode with every
# plugin this machine can build, generates a 10 s 720p sample with sound, and
# transcodes it into a CMAF ladder. Prints where the ladder is.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

build_dir=${VTC_BUILD_DIR:-build}
jobs=${VTC_JOBS:-2}
if [ -f "$build_dir/build.ninja" ]; then
    meson setup --reconfigure "$build_dir" --wrap-mode=nodownload -Dgpl=enabled >/dev/null
else
    meson setup "$build_dir" --wrap-mode=nodownload -Dgpl=enabled
fi
meson compile -C "$build_dir" -j "$jobs"

work="$build_dir/quickstart"
sample="$work/sample.mp4"
ladder="$work/ladder"
mkdir -p "$work"
if [ ! -f "$sample" ]; then
    ffmpeg -hide_banner -loglevel error -y \
        -f lavfi -i "testsrc2=s=1280x720:r=30:d=10,noise=alls=6:allf=t" \
        -f lavfi -i "sine=f=440:d=10" -ac 2 \
        -c:v libx264 -preset veryfast -crf 18 -c:a aac -b:a 128k -shortest "$sample"
fi
rm -rf "$ladder"
mkdir -p "$ladder"

echo
echo "== encoder backends"
meson devenv -C "$build_dir" vtranscode backends || true
echo
echo "== transcoding $sample"
meson devenv -C "$build_dir" vtranscode transcode "$PWD/$sample" "$PWD/$ladder" --format cmaf --codec h264
echo
echo "The ladder is in $PWD/$ladder (open master.m3u8 or manifest.mpd in an HLS/DASH player)."
