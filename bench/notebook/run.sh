#!/usr/bin/env bash
# bench/notebook/run.sh - notebook benchmarks of mmlspark/release:latest, every container with
# `--network none`:
#   1. first cell ready: host wall clock taken just before `docker run` -> the first cell of a
#      headless notebook (`mmlspark-env -- jupyter nbconvert --execute`, notebook mounted read-only
#      from a temp dir) has run in the fresh container: with the image's SynapseML (default
#      MML_PACKAGE; the cell runs `import synapse.ml.lightgbm` with `spark` ready) vs plain Spark
#      (`-e MML_PACKAGE=`; the cell checks `spark`). The cell prints time.time() (containers share
#      the host clock). Alternating, N runs each: every run, a per-phase breakdown, medians,
#      min/max and the ratio synapseml/plain (target <= 1.10). Plain Spark is the anchor.
#   2. the LightGBM fit time printed by /notebooks/synapseml-quickstart.ipynb run headless
#      (MMLSPARK_BENCH_FIT_RUNS times, default 1; 0 skips it).
#   3. a kernel that never uses Spark against a plain ipykernel (nospark.py): start, VmRSS, Pss,
#      private pages (target <= 1.05).
#   4. the image size (target <= 1.6 GB) and its big parts, measured with du inside the image.
# Usage: bench/notebook/run.sh [N]      N >= 5 (default 5). Takes about 0.5-1 min per N plus ~1-3 min
# for the quickstart on a quiet 2-core machine. Does not build the image: it measures the image
# mmlspark/release:latest points to when it starts (pinned by id for the whole run).
# Not a test: prints numbers. Other Docker work on the machine adds noise; each run line shows the
# other running containers and the load average at its start.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-5}
fit_runs=${MMLSPARK_BENCH_FIT_RUNS:-1}
tag=mmlspark/release:latest
case "$n" in ''|*[!0-9]*) echo "usage: $0 [N]   (N >= 5 runs of each variant)" >&2; exit 2 ;; esac
if [ "$n" -lt 5 ]; then
  echo "$0: N=$n: at least 5 runs of each variant are needed for a meaningful median" >&2
  exit 2
fi

label="mmlspark-bench-notebook=$$"
work=$(mktemp -d /tmp/mmlspark-bench-notebook.XXXXXX)
pypid=
cleanup() {
  local ids
  if [ -n "$pypid" ] && kill -0 "$pypid" 2>/dev/null; then
    kill -TERM "$pypid" 2>/dev/null || true
    wait "$pypid" 2>/dev/null || true
  fi
  ids=$(docker ps -aq --filter "label=$label" 2>/dev/null || true)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$work"  # the notebook user (uid 1000) reads the mounted notebooks

image=$(docker image inspect --format '{{.Id}}' "$tag") || { echo "$0: no image $tag" >&2; exit 1; }
echo "image: $tag = $image (created $(docker image inspect --format '{{.Created}}' "$image"))"
echo "host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM; load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "other running containers: $(docker ps -q | wc -l)"
echo

# in the background and waited for, so that a signal reaches the trap at once (cleanup stops it)
python3 "$here/bench.py" --image "$image" --work "$work" --label "$label" -n "$n" \
  --fit-runs "$fit_runs" &
pypid=$!
wait "$pypid"
pypid=

echo
echo "== a kernel that never uses Spark vs a plain ipykernel of the same image (nospark.py, N=$n each)"
docker run --rm --network none --label "$label" -u 0 -v "$here:/bench:ro" "$image" \
  python3 /bench/nospark.py -n "$n"

echo
echo "== image size (docker image inspect .Size; parts: du -sb inside the image, apparent bytes)"
size=$(docker image inspect --format '{{.Size}}' "$image")
parts=$(docker run --rm --network none --label "$label" -u 0 --entrypoint sh "$image" -c '
  for d in /usr/lib/jvm /opt/venv /opt/venv/lib/python3.11/site-packages/pyspark \
           /opt/venv/lib/python3.11/site-packages/pyspark/jars /opt/synapseml /usr/lib/python3; do
    # one du each: du counts a file once per call. A missing directory prints -1.
    if [ -e "$d" ]; then printf "%s %s\n" "$d" "$(du -sb "$d" | cut -f1)"; else printf "%s -1\n" "$d"; fi
  done')
awk -v size="$size" -v parts="$parts" 'BEGIN {
  n = split(parts, lines, "\n")
  for (i = 1; i <= n; i++) { split(lines[i], f, " "); b[f[1]] = f[2] }
  venv = b["/opt/venv"]; spark = b["/opt/venv/lib/python3.11/site-packages/pyspark"]
  jars = b["/opt/venv/lib/python3.11/site-packages/pyspark/jars"]
  jre = b["/usr/lib/jvm"]; syn = b["/opt/synapseml"]
  printf "image: %.0f MB = %.2f GB  (target <= 1.6 GB: %s)\n", size / 1e6, size / 1e9, size <= 1.6e9 ? "met" : "NOT met"
  printf "  %-62s %7.0f MB\n", "JRE (/usr/lib/jvm)", jre / 1e6
  printf "  %-62s %7.0f MB\n", "Python stack (/opt/venv minus pyspark)", (venv - spark) / 1e6
  printf "  %-62s %7.0f MB  (jars %.0f MB, Python %.0f MB)\n", "Spark (/opt/venv/lib/python3.11/site-packages/pyspark)", spark / 1e6, jars / 1e6, (spark - jars) / 1e6
  printf "  %-62s %7.0f MB\n", "SynapseML jars (/opt/synapseml)", syn / 1e6
  deb = b["/usr/lib/python3"] < 0 ? "absent" : sprintf("%.0f MB", b["/usr/lib/python3"] / 1e6)
  printf "  %-62s %7.0f MB  (of it Debian Python packages /usr/lib/python3: %s)\n", "rest (Debian base, system Python, ...)", (size - jre - venv - syn) / 1e6, deb
}'

now=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || echo none)
[ "$now" = "$image" ] || echo "note: $tag was retagged during the run (now $now); all numbers are for $image"
