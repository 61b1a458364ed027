#!/usr/bin/env bash
# tests/setup.sh - makes a Debian 12 machine ready for tests/run.sh: installs the Debian packages
# the tests need (only the missing ones, saying which and why), then makes a Docker engine and
# the debian:bookworm base image usable (tests/image/docker-ready.sh). tests/run.sh and .ci/run
# call it; when everything is there it installs nothing and takes a second or two.
#
# Usage: tests/setup.sh [--no-docker] [--bench]
#   --no-docker  packages only (tests/run.sh --no-image)
#   --bench      also the benchmarks' tools (bench/: tini, hyperfine, wrk, nginx, bc)
# Run as root when something is missing (apt-get). Exit: 0 ready; 1 a step failed (one line
# says which; apt's output is in artifacts/setup-apt.log); 64 bad usage.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
docker_too=1
bench=0
for a in "$@"; do
  case $a in
    --no-docker) docker_too=0 ;;
    --bench) bench=1 ;;
    *) echo "tests/setup.sh: unknown argument '$a' (usage: tests/setup.sh [--no-docker] [--bench])" >&2; exit 64 ;;
  esac
done

# PACKAGES: why they are needed (printed when they are installed).
wants=(
  "build-essential cmake pkg-config|build the C programs (cmake, gcc)"
  "libconfuse-dev libpam0g-dev libmicrohttpd-dev libcap-dev|headers of the libraries the programs use"
  "libcmocka-dev|unit tests (cmocka)"
  "musl-tools|PID 1's static musl build as the image makes it"
  "libpam-modules util-linux procps python3 dumb-init|process tests (PAM session, unshare, script, ps; dumb-init's behaviour compared)"
  "clang libclang-rt-14-dev|fuzz tests (libFuzzer, clang's sanitizers)"
  "valgrind|memcheck of the programs"
  "strace|crash tests of the NB_UID/NB_GID change (fault injection: a kill at every rename and chown)"
  "curl ca-certificates|HTTP checks of the EULA page, Jupyter and the registry"
  "openjdk-17-jdk-headless|javac and jar for the test Maven repository (image and cluster tests)"
  "chromium chromium-driver python3-selenium|browser test (headless Chromium)"
  "debootstrap|the debian:bookworm base image where no registry is reachable"
  "docker-registry|release tests (a local registry)"
  "docker-compose|cluster tests of the example docker-compose.yml"
  "maven|the spark-k8s tests' Kubernetes API server (fabric8's mock, its jars resolved once)"
  "git|tools/release.sh stamps the commit"
  "tinyproxy|data tests: a proxy for --packages (tests/data; its own service is stopped: it would take port 8888)"
  "python3-venv|teams tests: a venv for JupyterHub, dockerspawner and kubernetes-validate from PyPI (tests/teams/setup.sh)"
)
[ "$bench" = 0 ] || wants+=("tini hyperfine wrk nginx-light bc|benchmarks (bench/)")

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

missing=()
reasons=()
for w in "${wants[@]}"; do
  lack=()
  for p in ${w%%|*}; do installed "$p" || lack+=("$p"); done
  [ ${#lack[@]} = 0 ] && continue
  missing+=("${lack[@]}")
  reasons+=("  ${lack[*]}: ${w#*|}")
done

if [ ${#missing[@]} = 0 ]; then
  echo "tests/setup.sh: the Debian packages the tests need are installed"
else
  echo "tests/setup.sh: ${#missing[@]} Debian packages the tests need are missing:"
  printf '%s\n' "${reasons[@]}"
  [ "$(id -u)" = 0 ] || { echo "tests/setup.sh: run as root to install them (sudo tests/setup.sh)" >&2; exit 1; }
  echo "tests/setup.sh: installing them with apt-get"
  mkdir -p "$top/artifacts"
  log=$top/artifacts/setup-apt.log
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -15 "$log" >&2
    echo "tests/setup.sh: apt-get could not install them (log: artifacts/setup-apt.log)" >&2
    exit 1
  fi
  echo "tests/setup.sh: installed ${missing[*]}"
  # tinyproxy's Debian service, where the machine starts services, listens on 8888 (Jupyter's
  # port in the image tests); the data tests start a tinyproxy of their own
  if [[ " ${missing[*]} " == *" tinyproxy "* ]] && pgrep -x tinyproxy >/dev/null; then
    service tinyproxy stop >/dev/null 2>&1 || pkill -x tinyproxy || true
  fi
fi

if [ "$docker_too" = 1 ]; then
  echo "tests/setup.sh: making the Docker engine usable (tests/image/docker-ready.sh)"
  "$top/tests/image/docker-ready.sh" || { echo "tests/setup.sh: no usable Docker engine (see above)" >&2; exit 1; }
fi
