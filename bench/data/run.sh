#!/usr/bin/env bash
# bench/data/run.sh - what the connectors and table formats add to a notebook's first cell:
# mmlspark/release:latest against images derived from it with none, one group, of the
# connector links (bench/data/bench.py). Usage: bench/data/run.sh [N] (N >= 5, default 5; about
# 2 min per N on a quiet 2-core machine). Not a test: prints numbers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-5}
case "$n" in ''|*[!0-9]*) echo "usage: $0 [N]   (N >= 5)" >&2; exit 2 ;; esac
[ "$n" -ge 5 ] || { echo "$0: N=$n: at least 5 runs of each variant" >&2; exit 2; }
label="mmlspark-bench-data=$$"
work=$(mktemp -d /tmp/mmlspark-bench-data.XXXXXX)
trap 'ids=$(docker ps -aq --filter "label=$label"); [ -z "$ids" ] || docker rm -f $ids >/dev/null; rm -rf "$work"' EXIT
chmod 755 "$work"
image=$(docker image inspect --format '{{.Id}}' mmlspark/release:latest) || { echo "$0: no image mmlspark/release:latest" >&2; exit 1; }
echo "image: mmlspark/release:latest = $image; host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$here/bench.py" --image "$image" --work "$work" --label "$label" -n "$n"
