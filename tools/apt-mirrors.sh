#!/usr/bin/env bash
# apt-mirrors.sh - the Debian archives this machine's apt uses, as the image's build args:
#   DEBIAN_MIRROR=URI            first source whose URI ends in /debian
#   DEBIAN_SECURITY_MIRROR=URI   first source whose URI ends in /debian-security
# one KEY=VALUE line each (a line is left out when apt names no such archive; the Dockerfile then
# uses its base image's own). Read from deb822 *.sources and one-line *.list files.
# Usage: tools/apt-mirrors.sh [APT_ETC]   (default /etc/apt)     Exit: 0
# Example: while read -r kv; do args+=(--build-arg "$kv"); done < <(tools/apt-mirrors.sh)
set -euo pipefail
etc=${1:-/etc/apt}
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
all=$(uris)
mirror=$(grep -m1 -E '/debian/?$' <<<"$all" || true)
security=$(grep -m1 -E '/debian-security/?$' <<<"$all" || true)
[ -z "$mirror" ] || echo "DEBIAN_MIRROR=${mirror%/}"
[ -z "$security" ] || echo "DEBIAN_SECURITY_MIRROR=${security%/}"
