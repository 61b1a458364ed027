#!/usr/bin/env bash
# tests/cluster/run.sh - the image as a Spark standalone cluster (master, 2 workers, drivers,
# notebooks, SynapseML's LightGBM trained on both workers with no outside network; then the
# example docker-compose.yml: two notebooks and a spark-submit at once, workers' cleanup, Spark
# Connect's thin client, the history server, down/up keeping notebooks) on a real Docker engine. Does NOT build the image: tests/image/run.sh
# builds it once per run. Takes about 13 minutes (2 cores; more when the machine is busy; the
# compose tests alone, -k docker_compose, about 5).
# Usage: tests/cluster/run.sh [IMAGE] [-k NAME_SUBSTRING]     (default mmlspark/release:latest)
# Debian packages: docker.io, docker-compose (v1, for the compose tests; skipped without it),
# python3, openjdk-17-jdk-headless (javac/jar for a test Maven package; skipped without), curl.
# Output: PASS/FAIL/SKIP lines, then "N passed, N failed"; exit non-zero on any failure. With
# CI=true a skip (a missing tool) is a failure: tests/setup.sh installs them all there.
# Logs of failing tests' containers: artifacts/cluster/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/testlib/image_args.sh"
image_args "$@"
run_id="mmlspark-cluster-$$"
mkdir -p "$top/artifacts/cluster"

cleanup() { # also when cluster.py itself could not clean up (killed)
  local ids
  ids=$(docker ps -aq --filter "label=mmlspark-cluster-test=$run_id" 2>/dev/null || true)
  [ -n "$ids" ] && docker rm -f -v $ids >/dev/null 2>&1
  ids=$(docker ps -aq --filter "label=com.docker.compose.project=${run_id//-/}compose" 2>/dev/null || true)
  [ -n "$ids" ] && docker rm -f -v $ids >/dev/null 2>&1
  docker network rm "$run_id-net" "${run_id//-/}compose_default" >/dev/null 2>&1 || true
}
py=
stop() { # a signal: let cluster.py clean up, then make sure
  [ -n "$py" ] && kill -TERM "$py" 2>/dev/null && wait "$py" 2>/dev/null
  exit "$1"
}
trap cleanup EXIT
trap 'stop 130' INT
trap 'stop 143' TERM

image_built
# moto's S3 server for the data test on the cluster (tests/data/setup.sh, cached under .cache/data)
if data_tools=$("$top/tests/data/setup.sh" | tail -1); then
  export MMLSPARK_DATA_TOOLS=$data_tools
fi
# Spark Connect's thin client (pyspark[connect] from PyPI, cached under .cache/connect-client)
if connect_client=$("$top/tests/cluster/connect_client.sh" | tail -1); then
  export MMLSPARK_CONNECT_CLIENT=$connect_client
fi
echo "== cluster tests on $image"
start=$SECONDS
rc=0
# In the background, so that a signal to this script is handled at once (bash defers traps
# until a foreground command ends).
python3 -u "$here/cluster.py" --image "$image" --run-id "$run_id" "${args[@]}" &
py=$!
wait "$py" || rc=$?
py=
echo "== cluster tests took $((SECONDS - start)) s"
exit "$rc"
