#!/usr/bin/env bash
# tests/browser/run.sh - the EULA page and JupyterLab in a real browser: headless Chromium opens
# the page of a fresh container, clicks "Accept", lands on the login of the Jupyter that
# mmlspark-init started, logs in with the token from `docker logs`, arrives in JupyterLab, opens a
# notebook and runs `spark.range(1000).count()` in it; one screenshot per step in
# artifacts/browser/.
#
# Needs these Debian packages (installs nothing itself): chromium chromium-driver python3-selenium
# (and docker.io, curl). Runs /usr/bin/python3, Debian's, which sees python3-selenium.
# Usage: tests/browser/run.sh [IMAGE]     IMAGE defaults to mmlspark/release:latest.
# Exit: 0 passed; 1 failed; 77 skipped (a needed program is missing).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
image=${1:-mmlspark/release:latest}
art="$top/artifacts/browser"
mkdir -p "$art"
rm -f "$art"/*.png "$art"/*.log

for need in docker curl /usr/bin/chromium /usr/bin/chromedriver /usr/bin/python3; do
  command -v "$need" >/dev/null || { echo "SKIP: $need is missing (see the top of $0)"; exit 77; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || { echo "SKIP: python3-selenium is missing"; exit 77; }
docker image inspect "$image" >/dev/null 2>&1 || { echo "FAIL: image $image not found"; exit 1; }

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
profile=$(mktemp -d /tmp/eula-browser-profile.XXXXXX)
cid=""
cleanup() {
  if [ -n "$cid" ]; then
    docker logs "$cid" >"$art/container.log" 2>&1 || true
    docker rm -f "$cid" >/dev/null 2>&1 || true
  fi
  rm -rf "$profile"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== docker run -d -p 127.0.0.1:$port:8888 $image (no ACCEPT_EULA)"
cid=$(docker run -d -p "127.0.0.1:$port:8888" "$image")
ok=0
for _ in $(seq 1 120); do   # at most 60 s for the page to come up
  if curl -fsS -m 2 "http://127.0.0.1:$port/healthz" 2>/dev/null | grep -q eula-pending; then ok=1; break; fi
  sleep 0.5
done
[ "$ok" = 1 ] || { echo "FAIL: the EULA page did not come up on port $port"; docker logs "$cid" | tail -20; exit 1; }

nb=browser-test.ipynb   # an empty notebook for the browser to type into
printf '%s' '{"cells":[{"cell_type":"code","execution_count":null,"metadata":{},"outputs":[],"source":[]}],"metadata":{"kernelspec":{"display_name":"Python 3 (PySpark)","language":"python","name":"python3"}},"nbformat":4,"nbformat_minor":5}' >"$profile/$nb"
docker exec -i "$cid" sh -c "cat > /notebooks/$nb" <"$profile/$nb"   # as the notebook user

echo "== headless Chromium: page, accept, Jupyter login, JupyterLab, a cell with Spark"
timeout 480 /usr/bin/python3 "$top/tests/browser/eula_browser.py" \
  --url "http://127.0.0.1:$port/" --artifacts "$art" --profile "$profile" --container "$cid" \
  --notebook "$nb"
echo "PASS: browser test (screenshots in $art)"
