#!/usr/bin/env bash
# docker-ready.sh - a usable Docker engine and the debian:bookworm base image, on a fresh machine.
# Runs the shared docker-up.sh; where its base-image import fails (some docker clients have no
# `docker import -q`), builds debian:bookworm with debootstrap and imports it here.
# Usage: tests/image/docker-ready.sh [CA_DIR]   (CA_DIR receives the TLS proxy's CA certificates)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ca_dir=${1:-$top/image/ca}
shared=${MMLSPARK_SHARED:-$top/../shared}
base=debian:bookworm

if ! bash "$shared/env/docker-up.sh" --extra-ca "$ca_dir"; then
  echo "docker-ready: docker-up.sh failed; checking the engine and the base image myself" >&2
fi
docker info >/dev/null 2>&1 || { echo "docker-ready: no Docker engine answers" >&2; exit 1; }
if ! docker image inspect "$base" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  root=$(mktemp -d /tmp/mmlspark-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  echo "docker-ready: building $base with debootstrap" >&2
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/tmp/mmlspark-debootstrap.log 2>&1 \
    || { echo "docker-ready: debootstrap failed; see /tmp/mmlspark-debootstrap.log" >&2; exit 1; }
  tar -C "$root" -c . | docker import - "$base" >/dev/null
fi
mkdir -p "$ca_dir"
cp /usr/local/share/ca-certificates/*.crt "$ca_dir/" 2>/dev/null || true
echo "docker-ready: engine $(docker version --format '{{.Server.Version}}'), base $base present" >&2
