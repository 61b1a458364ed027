#!/usr/bin/env bash
# tests/run.sh - every test layer, in order: unit + process (ctest, ASan/UBSan build),
# fuzz smoke, image end-to-end (real Docker engine) and browser (headless Chromium).
# Usage: tests/run.sh [--no-image]     Exit: 0 all passed, non-zero otherwise.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
run_image=1
[ "${1:-}" = "--no-image" ] && run_image=0
mkdir -p artifacts

echo "== build (Sanitize: ASan + UBSan, warnings are errors)"
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Sanitize -DMMLSPARK_WERROR=ON >/dev/null
cmake --build build-sanitize -j"$(nproc)"

echo "== unit and process tests (ctest)"
ctest --test-dir build-sanitize --output-on-failure --timeout 300

for layer in tests/fuzz/run.sh tests/image/run.sh; do
  [ -x "$layer" ] || continue
  if [ "$layer" = tests/image/run.sh ] && [ "$run_image" = 0 ]; then
    echo "== SKIPPED image and browser tests: --no-image was given"
    continue
  fi
  echo "== $layer"
  "$layer"
done
