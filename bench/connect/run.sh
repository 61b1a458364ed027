#!/usr/bin/env bash
# bench/connect/run.sh - Spark Connect against plain pyspark (bench/connect/bench.py): a thin
# client's range(1000).count() against a running SPARK_MODE=connect container of
# mmlspark/release:latest, side by side with the same count in a fresh pyspark of the image,
# medians of N (default 5, at least 5); import time and memory of both. The thin client is
# tests/cluster/connect_client.sh's (installed on first use). About 1 min per N on 2 cores.
# Usage: bench/connect/run.sh [N] [IMAGE]      Not a test: prints numbers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
n=${1:-5}
tag=${2:-mmlspark/release:latest}
case "$n" in ''|*[!0-9]*) echo "usage: $0 [N] [IMAGE]   (N >= 5)" >&2; exit 2 ;; esac
[ "$n" -ge 5 ] || { echo "$0: N=$n: at least 5 runs of each side" >&2; exit 2; }
label="mmlspark-bench-connect=$$"
pypid=
cleanup() {
  local ids
  if [ -n "$pypid" ] && kill -0 "$pypid" 2>/dev/null; then
    kill -TERM "$pypid" 2>/dev/null || true
    wait "$pypid" 2>/dev/null || true
  fi
  ids=$(docker ps -aq --filter "label=$label" 2>/dev/null || true)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
client=$("$top/tests/cluster/connect_client.sh" | tail -1)
image=$(docker image inspect --format '{{.Id}}' "$tag") || { echo "$0: no image $tag" >&2; exit 1; }
echo "image: $tag = $image; host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$here/bench.py" --image "$image" --client "$client/venv" --label "$label" -n "$n" &
pypid=$!
wait "$pypid"
pypid=
