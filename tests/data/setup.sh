#!/usr/bin/env bash
# tests/data/setup.sh - the servers of the data tests, installed once and cached under
# ${MMLSPARK_TEST_CACHE:-.cache}/data: a Python venv with moto's S3 API server (moto[server]),
# boto3 and azure-storage-blob (to make buckets, containers and SAS tokens as a user's tools do);
# Azurite, Microsoft's Azure Storage emulator, from npm. Node and npm come from Debian (apt-get, as
# root) when no npm is on PATH. Non-interactive; every step is bounded. Prints the cache directory
# on its last line. Exit: 0 ready, 1 a step failed (its log is named).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${MMLSPARK_TEST_CACHE:-$top/.cache}/data
pins=("moto[server]==5.1.22" "azure-storage-blob==12.31.1")
# Azurite 3.35: the newest that runs on Node 18 (Debian's) and 20
azurite=azurite@3.35.0
mkdir -p "$cache"
log=$cache/setup.log
: >"$log"

setup=tests/data/setup.sh
. "$top/tests/testlib/tool_cache.sh"

install_once "$azurite" "Azurite runs on Node" "${pins[@]}"
"$cache/venv/bin/moto_server" --help >/dev/null
"$cache/node/node_modules/.bin/azurite-blob" --version >/dev/null
echo "$cache"
