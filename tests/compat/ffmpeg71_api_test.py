#!/usr/bin/env python3
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compiles every FFmpeg-using source of this build against FFmpeg 7.1's headers.

The GPU image is built against FFmpeg 7.1 (Rocky Linux 10, RPM Fusion); CI only has
Debian 12's FFmpeg 5.1. This test fetches Debian 13's FFmpeg 7.1 -dev packages
(signed by Debian's archive keyring, unpacked into the build directory, never
installed) and re-runs the build's own compile commands with those headers first
on the include path, as -fsyntax-only with deprecation warnings as errors. A
version check that is missing where the APIs differ fails here.

usage: ffmpeg71_api_test.py BUILD_DIR
"""

import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys

PACKAGES = ["libavcodec-dev", "libavformat-dev", "libavutil-dev", "libswscale-dev",
            "libswresample-dev"]
SOURCES_LIST = ("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                "http://deb.debian.org/debian trixie main\n")
MULTIARCH = "/usr/include/x86_64-linux-gnu"


def fetch_headers(cache):
    root = os.path.join(cache, "root")
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return root
    os.makedirs(os.path.join(cache, "lists", "partial"), exist_ok=True)
    os.makedirs(os.path.join(cache, "archives", "partial"), exist_ok=True)
    with open(os.path.join(cache, "sources.list"), "w") as f:
        f.write(SOURCES_LIST)
    apt = ["apt-get", "-q",
           "-o", "Dir::Etc::SourceList=" + os.path.join(cache, "sources.list"),
           "-o", "Dir::Etc::SourceParts=/dev/null",
           "-o", "Dir::State::Lists=" + os.path.join(cache, "lists"),
           "-o", "Dir::Cache=" + cache,
           "-o", "APT::Sandbox::User=root"]
    for step in (["update"], ["download"] + PACKAGES):
        result = subprocess.run(apt + step, cwd=cache, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit("cannot fetch Debian 13's FFmpeg 7.1 headers (apt-get %s): %s"
                     % (step[0], result.stderr.strip().splitlines()[-1:]))
    os.makedirs(root, exist_ok=True)
    for name in os.listdir(cache):
        if name.endswith(".deb"):
            subprocess.run(["dpkg-deb", "-x", os.path.join(cache, name), root], check=True)
    open(marker, "w").close()
    return root


def ffmpeg_objects(build):
    """Object files whose recorded header dependencies include FFmpeg's headers.

    Ninja keeps the compiler's dependency output in its own log (`ninja -t deps`)."""
    result = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True,
                            text=True, check=True)
    objects = set()
    current = None
    for line in result.stdout.splitlines():
        if line and not line[0].isspace():
            current = line.split(":", 1)[0]
        elif current and re.search(
                r"/(libavcodec|libavformat|libavutil|libswscale|libswresample)/", line):
            objects.add(current)
    return objects


def object_of(entry):
    args = shlex.split(entry["command"])
    return args[args.index("-o") + 1] if "-o" in args else None


def syntax_command(entry, include_dir):
    args = shlex.split(entry["command"])
    out = []
    skip = 0
    injected = False
    for i, arg in enumerate(args):
        if skip:
            skip -= 1
            continue
        if arg in ("-o", "-MQ", "-MF", "-MT"):
            skip = 1
            continue
        if arg in ("-MD", "-MMD", "-c"):
            continue
        if arg == "-I" + MULTIARCH and not injected:
            out.append("-I" + include_dir)
            injected = True
        out.append(arg)
    if not injected:
        out.insert(1, "-I" + include_dir)
    out += ["-fsyntax-only", "-Werror=deprecated-declarations", "-fdiagnostics-color=never"]
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    root = fetch_headers(os.path.join(build, "ffmpeg71"))
    include_dir = root + MULTIARCH
    version = open(os.path.join(include_dir, "libavcodec", "version_major.h")).read()
    major = int(re.search(r"LIBAVCODEC_VERSION_MAJOR\s+(\d+)", version).group(1))
    if major != 61:
        sys.exit("expected libavcodec 61 (FFmpeg 7.1), got %d" % major)

    objects = ffmpeg_objects(build)
    entries = [e for e in json.load(open(os.path.join(build, "compile_commands.json")))
               if object_of(e) in objects]
    if not entries:
        sys.exit("no FFmpeg-using source found in compile_commands.json (build first)")

    def check(entry):
        cmd = syntax_command(entry, include_dir)
        result = subprocess.run(cmd, cwd=entry["directory"], capture_output=True, text=True)
        return entry["file"], result.returncode, result.stderr

    failures = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for file, rc, stderr in pool.map(check, entries):
            rel = os.path.relpath(os.path.join(build, file)) if not os.path.isabs(file) else file
            if rc == 0:
                print("PASS", rel)
            else:
                failures += 1
                print("FAIL", rel)
                print(stderr[-4000:])
    print("%d of %d FFmpeg-using sources compile against FFmpeg 7.1" % (
        len(entries) - failures, len(entries)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
