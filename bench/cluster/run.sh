#!/usr/bin/env bash
# bench/cluster/run.sh - seconds from `docker-compose up -d` (the example docker-compose.yml:
# master, two workers, notebook) to a finished job submitted from the notebook container, and
# `docker-compose down`; anchor: the same job with --master local[2] in one `docker run`.
# Usage: bench/cluster/run.sh [ROUNDS] [IMAGE]   (defaults 3, mmlspark/release:latest)
# Needs: docker.io, docker-compose. Uses host ports on 127.0.0.1 only; removes what it made.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
image=${2:-mmlspark/release:latest}
project="mmlsparkbench$$"
job='
import time
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("bench").getOrCreate()
sc = spark.sparkContext
if sc.master.startswith("spark://"):  # count from the moment both executors are there (or 300 s)
    deadline = time.time() + 300
    while sc._jsc.sc().getExecutorMemoryStatus().size() < 3 and time.time() < deadline:
        time.sleep(0.1)
print("RESULT", sc.parallelize(range(1000000), 8).map(lambda x: x % 97).sum())
spark.stop()
'
export MMLSPARK_IMAGE=$image ACCEPT_EULA=yes
for v in MASTER_WEBUI_PORT WORKER1_WEBUI_PORT WORKER2_WEBUI_PORT NOTEBOOK_PORT NOTEBOOK_SPARK_UI_PORT; do
  export "$v=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
done
# The example's cluster secret (authentication on, as users run it), readable by the image's uid.
secret_dir=$(mktemp -d)
chmod 755 "$secret_dir"
openssl rand -hex 32 >"$secret_dir/spark-auth.secret" 2>/dev/null \
  || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$secret_dir/spark-auth.secret"
chmod 644 "$secret_dir/spark-auth.secret"
export SPARK_AUTH_SECRET_FILE=$secret_dir/spark-auth.secret
dc() { docker-compose -f "$top/docker-compose.yml" -p "$project" "$@"; }
trap 'dc down -v -t 3 >/dev/null 2>&1 || true; rm -rf "$secret_dir"' EXIT
now() { date +%s.%N; }
submit='cat > /tmp/job.py && spark-submit --driver-memory 512m --conf spark.executor.memory=512m --conf spark.ui.enabled=false "$@" /tmp/job.py 2>/dev/null | grep RESULT'

printf '%-6s %14s %12s %12s %10s\n' round "up -d (s)" "job (s)" "total (s)" "down (s)"
totals=()
for r in $(seq "$rounds"); do
  t0=$(now)
  dc up -d >/dev/null 2>&1
  t1=$(now)
  # spark.cores.max=2: one core on each worker (the example gives an application 1 by default)
  echo "$job" | dc exec -T notebook bash -c "$submit" _ --master spark://master:7077 \
    --conf spark.cores.max=2 >/dev/null
  t2=$(now)
  dc down -v -t 10 >/dev/null 2>&1
  t3=$(now)
  total=$(echo "$t2 - $t0" | bc)
  totals+=("$total")
  printf '%-6s %14.1f %12.1f %12.1f %10.1f\n' "$r" "$(echo "$t1 - $t0" | bc)" \
    "$(echo "$t2 - $t1" | bc)" "$total" "$(echo "$t3 - $t2" | bc)"
done
t0=$(now)
echo "$job" | docker run --rm -i -e ACCEPT_EULA=yes "$image" bash -c "$submit" _ --master 'local[2]' >/dev/null
local_s=$(echo "$(now) - $t0" | bc)
median=$(printf '%s\n' "${totals[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'median up -d to a finished job: %.1f s; anchor, docker run with local[2]: %.1f s; ratio %.2f\n' \
  "$median" "$local_s" "$(echo "$median / $local_s" | bc -l)"
