#!/usr/bin/env bash
# bench/image/run.sh - image benchmarks: start (docker run -d -> Jupyter answers) and stop times of
# mmlspark/release vs a sibling image with the same Jupyter under `tini -g`, built in this run;
# the image size; the rebuild time after one C file changes. Usage: bench/image/run.sh [N]
# Builds mmlspark/release:latest first unless MMLSPARK_BENCH_NO_BUILD=1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
n=${1:-5}
image=mmlspark/release:latest
tini_image=mmlspark/release:bench-tini
work=$(mktemp -d /tmp/mmlspark-bench.XXXXXX)
trap 'rm -rf "$work"; docker rmi -f "$tini_image" mmlspark/release:bench-rebuild >/dev/null 2>&1 || true' EXIT
export DOCKER_BUILDKIT=0

"$top/tests/image/docker-ready.sh" "$top/image/ca" >/dev/null 2>&1
if [ "${MMLSPARK_BENCH_NO_BUILD:-0}" != 1 ]; then
  echo "== building $image"
  (cd "$top" && docker build -q --build-arg VERSION="$(cat VERSION)" -t "$image" . >/dev/null 2>"$work/build.err") \
    || { cat "$work/build.err" >&2; exit 1; }
fi

echo "== building $tini_image (same image, same Jupyter command, PID 1 = tini -g)"
cat >"$work/Dockerfile" <<DOCKERFILE
FROM $image
USER root
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
USER mmlspark
ENTRYPOINT ["tini", "-g", "--"]
CMD ["mmlspark-env", "--", "jupyter", "lab", "--no-browser", "--ip=*", "--port=8888", \
     "--port-retries=0", "--notebook-dir=/notebooks"]
DOCKERFILE
docker build -q -t "$tini_image" "$work" >/dev/null 2>"$work/build.err" || { cat "$work/build.err" >&2; exit 1; }

echo "== start and stop, N=$n each, alternating"
python3 "$here/bench.py" --image "$image" --tini-image "$tini_image" -n "$n"

echo
echo "== image size"
docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%s: %.0f MB\n", "'"$image"'", $1/1e6}'

echo "== rebuild after one C file changes (a copy of the tree; spark-env/main.c gets a comment)"
mkdir -p "$work/tree"
(cd "$top" && tar -cf - --exclude='./build*' --exclude=./artifacts --exclude=./.git .) | tar -C "$work/tree" -xf -
echo "/* rebuild benchmark $(date +%s%N) */" >>"$work/tree/spark-env/main.c"
start=$(date +%s.%N)
(cd "$work/tree" && docker build -q --build-arg VERSION="$(cat VERSION)" -t mmlspark/release:bench-rebuild . >/dev/null 2>"$work/build.err") \
  || { cat "$work/build.err" >&2; exit 1; }
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "rebuild after a C change: %.1f s\n", e - s }'
