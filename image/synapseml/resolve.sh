#!/usr/bin/env bash
# resolve.sh - build time: resolve MML_PACKAGE with Spark's own Ivy (the resolution a user's
# `--packages` gets) and keep the result as a Maven-layout repository plus the classpath.
# Usage: resolve.sh "GROUP:ARTIFACT:VERSION[,...]" OUT_DIR INSTALLED_DIR
# (OUT_DIR is copied to INSTALLED_DIR, /opt/synapseml, in the image)
# OUT_DIR/maven      the repository (poms and jars; MML_M2REPOS lists it first)
# OUT_DIR/package    the coordinates it was resolved for
# OUT_DIR/classpath  the resolved jars, one absolute path a line
# OUT_DIR/pythonpath those of them holding Python modules (SynapseML's Python API)
# An empty MML_PACKAGE gives an empty repository and classpath.
set -euo pipefail
package=$1
out=$2
installed=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/maven"
printf '%s\n' "$package" >"$out/package"
: >"$out/classpath"
: >"$out/pythonpath"
[ -n "$package" ] || exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'pass\n' >"$work/noop.py"
# spark-submit resolves and retrieves the packages before it runs the (empty) Python program.
spark-submit --conf spark.jars.ivy="$work/ivy" --packages "$package" "$work/noop.py" \
  >"$work/resolve.log" 2>&1 || { tail -40 "$work/resolve.log" >&2; exit 1; }
grep -E '^\s+(found|downloading)' "$work/resolve.log" | grep -c found | sed 's/^/resolve.sh: modules found: /'
python3 "$here/ivy2maven.py" "$work/ivy" "$out" "$installed"
chmod -R a+rX,go-w "$out"
