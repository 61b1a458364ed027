#!/usr/bin/env bash
# install.sh - build time: /opt/venv from the lock, and nothing else. Every file pip downloads must
# match one of the lock's sha256 hashes (--require-hashes), only the locked packages are installed
# (--no-deps; `pip check` then proves the lock is complete). A package PyPI serves only as source
# (pyspark) is built with the locked setuptools, installed first (--no-build-isolation: a build
# would otherwise fetch its own, unlocked, build tools).
# Usage: install.sh LOCK NAME==VERSION...
#   NAME==VERSION  the pins the build was asked for (versions.env, or --build-arg); the build
#                  stops when the lock holds another version: the lock is generated from the pins
#                  by tools/lock.sh, and a build never resolves anything itself.
set -euo pipefail
lock=$1
shift
# names compared as PEP 503 normalizes them (Jupyter_Server = jupyter-server)
norm() { tr '[:upper:]' '[:lower:]' | sed -E 's/[-_.]+/-/g'; }
locked=$(sed -nE 's/^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+).*/\1 \2/p' "$lock" |
  while read -r n v; do echo "$(norm <<<"$n") $v"; done)
stale=""
for pin in "$@"; do
  name=$(norm <<<"${pin%%==*}")
  grep -qxF "$name ${pin#*==}" <<<"$locked" ||
    stale="$stale $pin (lock: $(awk -v n="$name" '$1 == n { print $2 }' <<<"$locked" | grep . || echo none))"
done
if [ -n "$stale" ]; then
  echo "install.sh: the lock does not hold the pinned versions:$stale" >&2
  echo "install.sh: regenerate it from versions.env with tools/lock.sh (README, \"Versions and updates\")" >&2
  exit 1
fi
python3 -m venv --system-site-packages /opt/venv
locked_install() { /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps --no-build-isolation "$@"; }
tools=$(mktemp)
awk '/^(pip|setuptools)==/ { keep = 1 } /^[A-Za-z0-9]/ && !/^(pip|setuptools)==/ { keep = 0 } keep' "$lock" >"$tools"
locked_install -r "$tools"
rm -f "$tools"
locked_install -r "$lock"
/opt/venv/bin/pip check
