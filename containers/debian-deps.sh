#!/usr/bin/env bash
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Debian 12 package installation for containers/Dockerfile.worker (CPU image).
#
#   debian-deps.sh build
#       build stage: what building needs, from scripts/install-deps.sh --build-only
#       (the project's one package list)
#   debian-deps.sh runtime PACKAGES_FILE
#       runtime stage: the packages listed by `containers/build.sh install
#       --packages-out` (the owners of every shared library the staged binaries and
#       plugins load), curl for the HEALTHCHECK, and the unprivileged user 1000
set -euo pipefail
prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)

case ${1:-} in
    build)
        exec "$here/../scripts/install-deps.sh" --build-only
        ;;
    runtime)
        list=${2:?usage: $prog runtime PACKAGES_FILE}
        [ -r "$list" ] || { echo "$prog: cannot read $list" >&2; exit 1; }
        mapfile -t packages < <(grep -Ev '^[[:space:]]*(#|$)' "$list")
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends ca-certificates curl "${packages[@]}"
        rm -rf /var/lib/apt/lists/*
        ldconfig
        # The pods run as uid/gid 1000 (runAsUser/runAsGroup in k8s/); the same ids
        # here make `docker run` behave like the cluster.
        groupadd --gid 1000 vtranscode
        useradd --uid 1000 --gid 1000 --no-create-home --home-dir /work --shell /usr/sbin/nologin vtranscode
        install -d -o 1000 -g 1000 -m 0750 /work
        ;;
    *)
        echo "usage: $prog build | runtime PACKAGES_FILE" >&2
        exit 2
        ;;
esac
