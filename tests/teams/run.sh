#!/usr/bin/env bash
# tests/teams/run.sh - the image where teams run it (README, "Teams"): any uid and gid, read-only
# root, no capabilities, all at once; a name for any uid in every process; UTF-8 JVMs; stock Spark's
# Ivy resolvers; a real JupyterHub (PyPI jupyterhub + dockerspawner, npm configurable-http-proxy)
# spawning the image with the README's jupyterhub_config.py; the k8s/ manifests validated offline.
# Does NOT build the image (tests/image/run.sh does). Takes about 6 minutes. First
# tests/teams/setup.sh installs JupyterHub & co. once (cached under .cache/teams; Node and npm from
# Debian when missing: run as root). Usage: tests/teams/run.sh [IMAGE] [-k NAME_SUBSTRING] (default
# mmlspark/release:latest). Output: PASS/FAIL/SKIP lines, then "N passed, N failed"; exit non-zero
# on a failure (with CI=true, also on a skip). Logs of failures: artifacts/teams/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/testlib/image_args.sh"
image_args "$@"

image_built
cache=$("$here/setup.sh" | tail -1) && [ -x "$cache/venv/bin/python3" ] ||
  suite_fail setup "tests/teams/setup.sh could not install JupyterHub and its proxy"
echo "== teams tests on $image"
rc=0
MMLSPARK_CHP=$cache/node/node_modules/.bin/configurable-http-proxy \
  "$cache/venv/bin/python3" -u "$here/teams.py" --image "$image" "${args[@]}" || rc=$?
exit "$rc"
