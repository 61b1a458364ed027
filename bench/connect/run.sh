#!/usr/bin/env bash
# bench/connect/run.sh - Spark Connect against plain pyspark (bench/connect/bench.py): a thin
# client's range(1000).count() against a running SPARK_MODE=connect container of
# mmlspark/release:latest, side by side with the same count in a fresh pyspark of the image,
# medians of N (default 5, at least 5); import time and memory of both. The thin client is
# tests/cluster/connect_client.sh's (installed on first use). About 1 min per N on 2 cores.
# bench.py removes its containers and files also when interrupted.
# Usage: bench/connect/run.sh [N] [IMAGE]      Not a test: prints numbers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
n=${1:-5}
tag=${2:-mmlspark/release:latest}
case "$n" in ''|*[!0-9]*) echo "usage: $0 [N] [IMAGE]   (N >= 5)" >&2; exit 2 ;; esac
[ "$n" -ge 5 ] || { echo "$0: N=$n: at least 5 runs of each side" >&2; exit 2; }
client=$("$top/tests/cluster/connect_client.sh" | tail -1)
image=$(docker image inspect --format '{{.Id}}' "$tag") || { echo "$0: no image $tag" >&2; exit 1; }
echo "image: $tag = $image; host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec python3 "$here/bench.py" --image "$image" --client "$client/venv" \
  --label "mmlspark-bench-connect=$$" -n "$n"
