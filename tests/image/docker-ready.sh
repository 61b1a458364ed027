#!/usr/bin/env bash
# docker-ready.sh - a usable Docker engine and the debian:bookworm base image, on this machine.
#
# Each step runs only when it is needed, so on a machine where Docker runs and a registry answers
# this only checks:
#   1. the engine: Debian's docker.io is installed when there is no dockerd; dockerd is started
#      in the background (log: /var/log/dockerd.log) when no engine answers;
#   2. the base image: `docker pull debian:bookworm`; where no registry answers, the same image is
#      made with debootstrap (minbase) from the Debian mirror this machine's apt uses, and
#      imported under that name, so the Dockerfile's `FROM debian:bookworm` is unchanged;
#   3. the build CA: the machine's extra CA certificates (/usr/local/share/ca-certificates, e.g.
#      a TLS-intercepting proxy's) are copied into CA_DIR (default image/ca/), which only the
#      Dockerfile's download stages trust. With none there, CA_DIR is left empty.
#
# Usage: tests/image/docker-ready.sh [CA_DIR]
# Exit: 0 ready; 1 a step failed (one line says which).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ca_dir=${1:-$top/image/ca}
base=debian:bookworm
say() { echo "docker-ready: $*" >&2; }
fail() { say "$*"; exit 1; }

apt_updated=0
apt_add() { # PACKAGE...
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >/dev/null || fail "apt-get update failed"; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || fail "apt-get could not install $*"
}

engine_answers() { timeout 20 docker info >/dev/null 2>&1; }

start_engine() {
  command -v dockerd >/dev/null 2>&1 || { say "installing Debian's docker.io"; apt_add docker.io; }
  say "starting dockerd (log: /var/log/dockerd.log)"
  nohup dockerd >>/var/log/dockerd.log 2>&1 &
  local i
  for i in $(seq 1 120); do engine_answers && return 0; sleep 0.5; done
  fail "dockerd did not answer within 60 s; see /var/log/dockerd.log"
}

# The Debian mirror of this machine's apt configuration: deb822 .sources first, then sources.list.
apt_mirror() {
  local m
  m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  [ -n "$m" ] || m=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
  echo "${m%/}"
}

debootstrap_base() {
  local suite=${base#debian:} mirror root log=/var/log/docker-ready-debootstrap.log
  mirror=$(apt_mirror)
  [ -n "$mirror" ] || fail "no registry answers and no Debian mirror is configured in /etc/apt"
  command -v debootstrap >/dev/null 2>&1 || apt_add debootstrap
  root=$(mktemp -d /tmp/docker-ready-rootfs.XXXXXX)
  say "no registry answers: building $base with debootstrap from the machine's apt mirror"
  if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$log" 2>&1; then
    rm -rf "$root"
    fail "debootstrap failed; see $log"
  fi
  tar -C "$root" -c . | docker import - "$base" >/dev/null || { rm -rf "$root"; fail "docker import of $base failed"; }
  rm -rf "$root"
}

engine_answers || start_engine
if ! docker image inspect "$base" >/dev/null 2>&1; then
  if timeout 60 docker pull -q "$base" >/dev/null 2>&1; then say "pulled $base"; else debootstrap_base; fi
fi
docker image inspect "$base" >/dev/null 2>&1 || fail "no $base image"

mkdir -p "$ca_dir"
n=0
for c in /usr/local/share/ca-certificates/*.crt; do
  [ -e "$c" ] || continue
  cmp -s "$c" "$ca_dir/${c##*/}" || cp "$c" "$ca_dir/"
  n=$((n + 1))
done
say "engine $(docker version --format '{{.Server.Version}}'), base $base present, $n build CA certificate(s) in ${ca_dir#"$top"/}"
