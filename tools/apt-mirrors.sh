#!/usr/bin/env bash
# apt-mirrors.sh - the build args that make the image's apt use the Debian archives this
# machine's apt uses:
#   DEBIAN_MIRROR=URI            first source whose URI ends in /debian
#   DEBIAN_SECURITY_MIRROR=URI   first source whose URI ends in /debian-security
# one KEY=VALUE line each, read from deb822 *.sources and one-line *.list files. A line is left
# out when apt names no such archive, and when the Dockerfile would take the same URI from the
# base image without it (its own archive, and that archive's "-security" sibling): a base made by
# tests/image/docker-ready.sh from this machine's mirror needs no build args, so a plain
# `docker build` and the tests' builds are one build and share one layer cache.
# Usage: tools/apt-mirrors.sh [APT_ETC [BASE_IMAGE]]   (default /etc/apt, debian:bookworm)
#        (BASE_IMAGE "", or not in the engine: the base is not asked)     Exit: 0
# Example: while read -r kv; do args+=(--build-arg "$kv"); done < <(tools/apt-mirrors.sh)
set -euo pipefail
etc=${1:-/etc/apt}
base=${2-debian:bookworm}
uris() {
  local f
  for f in "$etc"/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: "URIs: a b" on stanzas whose Types include deb
    awk 'BEGIN { RS = ""; FS = "\n" }
         { deb = 0; u = ""
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^Types:/ && $i ~ /[[:space:]]deb([[:space:]]|$)/) deb = 1
             if ($i ~ /^URIs:/) { u = $i; sub(/^URIs:[[:space:]]*/, "", u) }
           }
           if (deb && u != "") { n = split(u, a, /[[:space:]]+/); for (j = 1; j <= n; j++) print a[j] } }' "$f"
  done
  for f in "$etc"/sources.list "$etc"/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { if ($2 ~ /^\[/) { for (i = 2; i <= NF && $i !~ /\]$/; i++) ; print $(i + 1) } else print $2 }' "$f"
  done
}
first() { grep -m1 -E "/$1/?\$" | sed 's#/$##' || true; }
all=$(uris)
mirror=$(first debian <<<"$all")
security=$(first debian-security <<<"$all")
# What the Dockerfile's runtime stage takes when no build arg is given (the same rules).
base_sources=""
if [ -n "$base" ] && docker image inspect "$base" >/dev/null 2>&1; then
  base_sources=$(timeout 60 docker run --rm --entrypoint sh "$base" -c \
    'cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '"'"'$1 == "deb" { print ($2 ~ /^\[/ ? $3 : $2) }'"'"';
     sed -n "s/^URIs:[[:space:]]*//p" /etc/apt/sources.list.d/*.sources 2>/dev/null | tr " " "\n"' 2>/dev/null) ||
    base_sources=""
fi
base_mirror=$(first debian <<<"$base_sources")
base_security=$(first debian-security <<<"$base_sources")
if [ -n "$mirror" ] && [ "$mirror" != "$base_mirror" ]; then
  echo "DEBIAN_MIRROR=$mirror"
else
  mirror=$base_mirror
fi
if [ -n "$security" ] && [ "$security" != "${base_security:-${mirror:+$mirror-security}}" ]; then
  echo "DEBIAN_SECURITY_MIRROR=$security"
fi
