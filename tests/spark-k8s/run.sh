#!/usr/bin/env bash
# tests/spark-k8s/run.sh - the image as Spark's Kubernetes driver and executor image, with real
# Spark on both sides: spark-submit --master k8s://... against a Kubernetes API server the test
# starts (fabric8's kubernetes-server-mock in CRUD mode, tests/spark-k8s/mock/) and a test kubelet
# (kubelet.py) that runs the pods Spark creates as `docker run` on a Docker network. SynapseML's
# LightGBM on two executor pods in client mode (an executor killed mid-job is replaced) and in
# cluster mode; `executor` without its environment. Does NOT build the image.
# Usage: tests/spark-k8s/run.sh [IMAGE] [-k NAME_SUBSTRING]     (default mmlspark/release:latest)
#        tests/spark-k8s/run.sh [IMAGE] --bench   (bench/k8s/run.sh: the job here and on compose)
# Needs: docker, python3, openjdk-17-jdk-headless (java, javac), maven (the mock server's jars,
# resolved from Maven Central once into the cache: $MMLSPARK_TEST_CACHE, default
# ~/.cache/mmlspark). Output: PASS/FAIL/SKIP lines, then "N passed, N failed"; exit non-zero on
# a failure. With CI=true a missing tool is a failure. Logs: artifacts/spark-k8s/.
# Takes about 5 minutes on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
IMAGE_ARGS_FLAGS="--bench"
. "$top/tests/testlib/image_args.sh"
image_args "$@"
artifacts=$top/artifacts/spark-k8s
mkdir -p "$artifacts"

missing=()
for tool in docker python3 java javac mvn; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${CI:-}" = true ]; then
    echo "FAIL: setup: missing ${missing[*]} (CI=true: tests/setup.sh should have installed them)"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "SKIP: all spark-k8s tests: missing ${missing[*]}; tests/setup.sh installs them"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi

# The API server: fabric8's mock, its jars resolved once (bounded) and cached; compiled when the
# source changed.
cache=${MMLSPARK_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmlspark}/k8s-mock
mkdir -p "$cache"
if [ ! -s "$cache/classpath" ] || [ "$here/mock/pom.xml" -nt "$cache/classpath" ]; then
  if ! timeout 600 mvn -B -q -f "$here/mock/pom.xml" -Dmaven.repo.local="$cache/m2" \
       dependency:build-classpath -Dmdep.outputFile="$cache/classpath.new" \
       >"$artifacts/mvn.log" 2>&1; then
    echo "FAIL: setup: cannot resolve the mock API server's jars (artifacts/spark-k8s/mvn.log)"
    echo "0 passed, 1 failed"
    exit 1
  fi
  mv "$cache/classpath.new" "$cache/classpath"
fi
if [ ! -f "$cache/classes/MockApiServer.class" ] \
   || [ "$here/mock/MockApiServer.java" -nt "$cache/classes/MockApiServer.class" ]; then
  rm -rf "$cache/classes"
  javac -d "$cache/classes" -cp "$(cat "$cache/classpath")" "$here/mock/MockApiServer.java"
fi

exec python3 "$here/k8s.py" --image "$image" --mock-classpath "$cache/classes:$(cat "$cache/classpath")" \
  --artifacts "$artifacts" "${args[@]}"
