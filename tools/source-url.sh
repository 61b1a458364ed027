#!/usr/bin/env bash
# tools/source-url.sh - prints the project's repository URL for the image's
# org.opencontainers.image.source label: $MMLSPARK_SOURCE when set, else the checkout's
# `origin` remote when it is a network URL (https://, http://, ssh://, git://, or user@host:path);
# a local path (a clone of a clone) says nothing about where the project lives, so then nothing is
# printed and the label stays empty. Exit 0 always.
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${MMLSPARK_SOURCE:-}" ]; then
  printf '%s\n' "$MMLSPARK_SOURCE"
  exit 0
fi
url=$(git -C "$top" remote get-url origin 2>/dev/null || true)
case $url in
  https://* | http://* | ssh://* | git://* | [A-Za-z0-9._-]*@[A-Za-z0-9.-]*:*) printf '%s\n' "$url" ;;
esac
exit 0
