#!/usr/bin/env bash
# tests/run.sh - every test layer, in order: unit + process (ctest, ASan/UBSan build, warnings
# are errors), fuzz smoke, image end-to-end (real Docker engine; it also runs the browser test),
# data (object stores, table formats, mirror and proxy), cluster, releases, standalone (a plain
# clone), teams, Spark on Kubernetes. A failing layer does
# not stop the others; the exit code says if any failed.
# First tests/setup.sh installs the missing Debian packages (saying which and why) and makes the
# Docker engine usable; with everything there it only checks. With CI=true a skipped image test
# fails its layer.
# Usage: tests/run.sh [--no-image]      (as root, on Debian 12)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
run_image=1
[ "${1:-}" = "--no-image" ] && run_image=0
mkdir -p artifacts

echo "== setup (tests/setup.sh)"
setup_args=()
[ "$run_image" = 1 ] || setup_args=(--no-docker)
tests/setup.sh "${setup_args[@]}" || { echo "== setup failed: no test was run"; exit 1; }
passed=0
failed=0
failed_names=""

layer() { # NAME COMMAND...
  local name=$1
  shift
  echo
  echo "== layer: $name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "== layer $name: PASS ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    failed_names="$failed_names $name"
    echo "== layer $name: FAIL ($((SECONDS - t0)) s)"
  fi
}

build_and_ctest() {
  cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Sanitize -DMMLSPARK_WERROR=ON >/dev/null &&
    cmake --build build-sanitize -j"$(nproc)" &&
    ctest --test-dir build-sanitize --output-on-failure --timeout 300 -j2
}

layer "unit+process (ctest, ASan+UBSan)" build_and_ctest
layer "docs (links, reference, troubleshooting)" python3 tests/docs/check.py
[ -x tests/valgrind/run.sh ] && layer "valgrind (memcheck, Debug build)" tests/valgrind/run.sh
[ -x tests/fuzz/run.sh ] && layer "fuzz (libFuzzer, short)" tests/fuzz/run.sh
if [ "$run_image" = 1 ]; then
  # The image is built once, by the image layer; the later layers use it.
  [ -x tests/image/run.sh ] && layer "image end-to-end + browser" tests/image/run.sh
  [ -x tests/data/run.sh ] && layer "data (S3A on moto, wasb on Azurite, Delta, Iceberg, mirror, proxy)" tests/data/run.sh mmlspark/release:latest
  [ -x tests/cluster/run.sh ] && layer "cluster" tests/cluster/run.sh mmlspark/release:latest
  [ -x tests/spark-k8s/run.sh ] && layer "spark on kubernetes" tests/spark-k8s/run.sh mmlspark/release:latest
  [ -x tests/release/run.sh ] && layer "releases" tests/release/run.sh mmlspark/release:latest
  [ -x tests/standalone/run.sh ] && layer "standalone (clone, plain build, locks)" tests/standalone/run.sh mmlspark/release:latest
  [ -x tests/teams/run.sh ] && layer "teams (JupyterHub, any uid, read-only root, k8s)" tests/teams/run.sh mmlspark/release:latest
else
  echo "== SKIPPED image, browser, cluster and release layers: --no-image was given"
fi

echo
[ -n "$failed_names" ] && echo "failed layers:$failed_names"
echo "layers: $passed passed, $failed failed; total $((SECONDS / 60)) min $((SECONDS % 60)) s"
[ "$failed" = 0 ]
