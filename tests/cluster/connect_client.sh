#!/usr/bin/env bash
# tests/cluster/connect_client.sh - Spark Connect's thin client for the cluster tests, installed
# once and cached under ${MMLSPARK_TEST_CACHE:-.cache}/connect-client: a venv of this machine's
# Python 3.11 (Debian 12's, the Python of the image's Debian) with `pyspark[connect]` from PyPI at
# the versions of the image's lock (pyspark, grpcio, grpcio-status, googleapis-common-protos,
# protobuf, pandas, pyarrow, numpy): what a user's `pip install "pyspark[connect]==3.5.9"` gets.
# The tests run it in a container without a JVM. Non-interactive, bounded; prints the cache
# directory on its last line. Exit: 0 ready, 1 a step failed (its log is named).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${MMLSPARK_TEST_CACHE:-$top/.cache}/connect-client
lock=$top/image/python/requirements.lock
mkdir -p "$cache"
log=$cache/setup.log
: >"$log"
setup=tests/cluster/connect_client.sh
. "$top/tests/testlib/tool_cache.sh"

pins=("pyspark[connect]==$(sed -n 's/^pyspark==\([^ ]*\).*/\1/p' "$lock")")
for name in py4j grpcio grpcio-status googleapis-common-protos protobuf pandas pyarrow numpy; do
  v=$(sed -n "s/^$name==\([^ ]*\).*/\1/p" "$lock")
  [ -n "$v" ] || { echo "$setup: $name is not in $lock" >&2; exit 1; }
  pins+=("$name==$v")
done
stamp="${pins[*]}"
if [ "$(cat "$cache/ready" 2>/dev/null)" != "$stamp" ]; then
  echo "$setup: installing ${pins[*]} under $cache"
  rm -rf "$cache/venv"
  step "python3 -m venv" 120 /usr/bin/python3 -m venv "$cache/venv"
  step "pip install ${pins[*]}" 900 "$cache/venv/bin/pip" install --no-input \
    --disable-pip-version-check --cert /etc/ssl/certs/ca-certificates.crt "${pins[@]}"
  echo "$stamp" >"$cache/ready"
fi
"$cache/venv/bin/python3" -c 'import pyspark.sql.connect.session' >>"$log" 2>&1 ||
  { tail -5 "$log" >&2; echo "$setup: the client does not import" >&2; exit 1; }
echo "$cache"
