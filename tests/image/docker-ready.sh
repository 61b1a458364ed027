#!/usr/bin/env bash
# docker-ready.sh - a usable Docker engine and the debian:bookworm base image, on a fresh machine.
# The shared docker-up.sh does the work (Debian's docker.io, dockerd, the base image built with
# debootstrap from the mirror in this machine's apt sources) and copies the host's extra CA
# certificates into CA_DIR; this checks its result.
# Usage: tests/image/docker-ready.sh [CA_DIR]   (CA_DIR receives the TLS proxy's CA certificates)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ca_dir=${1:-$top/image/ca}
shared=${MMLSPARK_SHARED:-$top/../shared}
base=debian:bookworm

bash "$shared/env/docker-up.sh" --base "$base" --extra-ca "$ca_dir" \
  || { echo "docker-ready: $shared/env/docker-up.sh failed (see its message above)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "docker-ready: no Docker engine answers" >&2; exit 1; }
docker image inspect "$base" >/dev/null 2>&1 || { echo "docker-ready: no $base image" >&2; exit 1; }
echo "docker-ready: engine $(docker version --format '{{.Server.Version}}'), base $base present" >&2
