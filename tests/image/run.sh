#!/usr/bin/env bash
# tests/image/run.sh - image end-to-end tests against a real Docker engine: makes the engine and
# base image ready, builds mmlspark/release:latest once, runs the seed's commands (e2e.py), then
# the browser test if it exists. Usage: tests/image/run.sh [-k NAME_SUBSTRING] [--no-build]
# [--image NAME:TAG] (default mmlspark/release:latest; a developer's branch builds its own tag)
# Exit: 0 when every test passed. Build log and failing containers' logs: artifacts/image/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
image=mmlspark/release:latest
build=1
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    -k) args+=(-k "$2"); shift ;;
    --image) image=$2; shift ;;
    *) echo "usage: $0 [-k NAME_SUBSTRING] [--no-build] [--image NAME:TAG]" >&2; exit 64 ;;
  esac
  shift
done
mkdir -p "$top/artifacts/image"

"$here/docker-ready.sh" "$top/image/ca"

if [ "$build" = 1 ]; then
  echo "== docker build -t $image (log: artifacts/image/build.log)"
  start=$(date +%s)
  # this machine's Debian archives (security updates come from them) and the project's repository
  build_args=(--build-arg VERSION="$(cat "$top/VERSION")")
  while read -r kv; do build_args+=(--build-arg "$kv"); done < <("$top/tools/apt-mirrors.sh")
  source_url=$("$top/tools/source-url.sh")
  [ -z "$source_url" ] || build_args+=(--build-arg SOURCE="$source_url")
  if ! (cd "$top" && DOCKER_BUILDKIT=0 timeout 3600 docker build \
          "${build_args[@]}" -t "$image" .) >"$top/artifacts/image/build.log" 2>&1; then
    tail -40 "$top/artifacts/image/build.log" >&2
    echo "FAIL: docker_build"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "PASS: docker_build ($(( $(date +%s) - start )) s, $(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
fi

rc=0
python3 "$here/e2e.py" --image "$image" "${args[@]}" || rc=$?
# the notebook kernels' Spark, as a user meets it
python3 "$here/kernel_e2e.py" --image "$image" "${args[@]}" || rc=1
# the EULA page keeps serving a new browser while 10 000 idle connections are held
[ ${#args[@]} -eq 0 ] && { python3 "$here/eula_idle.py" --image "$image" || rc=1; }

if [ -x "$top/tests/browser/run.sh" ] && [ ${#args[@]} -eq 0 ]; then
  echo "== tests/browser/run.sh $image"
  "$top/tests/browser/run.sh" "$image" || rc=1
fi
exit "$rc"
