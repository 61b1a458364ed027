#!/usr/bin/env bash
# tests/data/run.sh - your data where it lives (docs/data.md): S3A against moto's S3 API server,
# wasb:// against Azurite, Delta and Iceberg offline, --packages from a mirror and through a
# proxy; servers started by the test on an `--internal` Docker network it creates. Does NOT
# build the image (tests/image/run.sh does). About 6 minutes.
# First tests/data/setup.sh installs moto, Azure's SDK and Azurite once (cached under .cache/data).
# Usage: tests/data/run.sh [IMAGE] [-k NAME_SUBSTRING] (default mmlspark/release:latest).
# Output: PASS/FAIL/SKIP lines, then "N passed, N failed"; exit non-zero on a failure (with
# CI=true, also on a skip). Outputs of failures and the servers' logs: artifacts/data/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../testlib/image_args.sh"
image_args "$@"
image_built
cache=$("$here/setup.sh" | tail -1) && [ -x "$cache/venv/bin/moto_server" ] ||
  suite_fail setup "tests/data/setup.sh could not install moto and Azurite"
echo "== data tests on $image"
exec python3 -u "$here/data.py" --image "$image" --cache "$cache" "${args[@]}"
