#!/usr/bin/env bash
# tests/teams/setup.sh - the tools of the teams tests, installed once and cached under
# ${MMLSPARK_TEST_CACHE:-.cache}/teams: a Python venv with a real JupyterHub (PyPI jupyterhub +
# dockerspawner, the versions below) and kubernetes-validate (the Kubernetes API schemas, for the
# offline manifest check); configurable-http-proxy (JupyterHub's proxy) from npm. Node and npm come
# from Debian (apt-get, as root) when no npm is on PATH. Non-interactive; every step is bounded.
# Prints the cache directory on its last line. Exit: 0 ready, 1 a step failed (its log is named).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${MMLSPARK_TEST_CACHE:-$top/.cache}/teams
# The hub's JupyterHub is the image's (versions.env: JUPYTERHUB_VERSION), as JupyterHub advises.
hub_version=$(sed -n 's/^JUPYTERHUB_VERSION=//p' "$top/versions.env")
pins=("jupyterhub==$hub_version" "dockerspawner==14.0.0" "kubernetes-validate==1.37.0")
chp=configurable-http-proxy@5.3.0
mkdir -p "$cache"
log=$cache/setup.log
: >"$log"

setup=tests/teams/setup.sh
. "$top/tests/testlib/tool_cache.sh"

install_once "$chp" "configurable-http-proxy runs on Node" "${pins[@]}"
"$cache/venv/bin/jupyterhub" --version >/dev/null
"$cache/node/node_modules/.bin/configurable-http-proxy" --version >/dev/null
echo "$cache"
