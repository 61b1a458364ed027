#!/usr/bin/env bash
# tools/release.sh - build mmlspark/release:VERSION and :latest with the version stamped in (OCI
# labels; mmlspark-init --version comes from the same VERSION file) and the pinned inputs of
# versions.env; --push pushes both tags to the registry named by MMLSPARK_REGISTRY.
#
# Usage: tools/release.sh [--push] [--dry-run] [--pyspark X.Y.Z] [--mml-package G:A:V]
#                         [--mml-m2repos URL] [--tag-suffix SUFFIX]
#   --push          push the tags (nothing is pushed without it; needs MMLSPARK_REGISTRY)
#   --dry-run       print the docker commands instead of running them
#   --pyspark, --mml-package, --mml-m2repos
#                   build for another Spark / SynapseML than versions.env pins. The tag then says
#                   so: VERSION-sparkX.Y[-synapsemlV] (or VERSION-SUFFIX with --tag-suffix), and
#                   :latest is left alone (it always means the pinned versions).
# Environment: MMLSPARK_REGISTRY=HOST[:PORT] names the tags HOST[:PORT]/mmlspark/release:...
#              (unset: mmlspark/release:..., local only). DOCKER_BUILDKIT is forced to 0.
# Exit: 0 built (and pushed); 64 bad usage or versions.env; else docker's failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
repo=mmlspark/release

die_usage() { echo "release.sh: $*" >&2; exit 64; }

push=0
dry=0
suffix=""
declare -A override=()
while [ $# -gt 0 ]; do
  case $1 in
    --push) push=1 ;;
    --dry-run) dry=1 ;;
    --pyspark) [ $# -ge 2 ] || die_usage "--pyspark needs a version"; override[PYSPARK_VERSION]=$2; shift ;;
    --mml-package) [ $# -ge 2 ] || die_usage "--mml-package needs group:artifact:version"; override[MML_PACKAGE]=$2; shift ;;
    --mml-m2repos) [ $# -ge 2 ] || die_usage "--mml-m2repos needs a URL"; override[MML_M2REPOS]=$2; shift ;;
    --tag-suffix) [ $# -ge 2 ] || die_usage "--tag-suffix needs a value"; suffix=$2; shift ;;
    -h|--help) sed -n '2,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die_usage "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

version=$(head -n1 "$top/VERSION")
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
  die_usage "$top/VERSION: '$version' is not a version like 1.2.3"

# versions.env: KEY=VALUE lines, read as data (never sourced). Kept in file order.
keys=()
declare -A pin=()
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
  [[ $line =~ ^([A-Z][A-Z0-9_]*)=([^[:space:]\"\'\$\`]*)$ ]] ||
    die_usage "$top/versions.env:$lineno: expected KEY=VALUE (no quotes, spaces or \$), got '$line'"
  keys+=("${BASH_REMATCH[1]}")
  pin[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done <"$top/versions.env"

for k in "${!override[@]}"; do
  [ -n "${pin[$k]+set}" ] || die_usage "versions.env has no $k to override"
  [ -n "${override[$k]}" ] || die_usage "empty value for $k"
done
[ -z "$suffix" ] || [[ $suffix =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] ||
  die_usage "--tag-suffix '$suffix': letters, digits, '.', '_', '-' only"
if [ -z "$suffix" ]; then
  if [ -n "${override[PYSPARK_VERSION]:-}" ] && [ "${override[PYSPARK_VERSION]}" != "${pin[PYSPARK_VERSION]}" ]; then
    [[ ${override[PYSPARK_VERSION]} =~ ^([0-9]+\.[0-9]+) ]] ||
      die_usage "--pyspark '${override[PYSPARK_VERSION]}' is not a version like 3.4.4"
    suffix="spark${BASH_REMATCH[1]}"
  fi
  if [ -n "${override[MML_PACKAGE]:-}" ] && [ "${override[MML_PACKAGE]}" != "${pin[MML_PACKAGE]}" ]; then
    suffix="${suffix:+$suffix-}synapseml${override[MML_PACKAGE]##*:}"
  fi
  if [ -n "${override[MML_M2REPOS]:-}" ] && [ "${override[MML_M2REPOS]}" != "${pin[MML_M2REPOS]}" ] && [ -z "$suffix" ]; then
    die_usage "--mml-m2repos alone changes no version: give --tag-suffix to name that build"
  fi
fi
for k in "${!override[@]}"; do pin[$k]=${override[$k]}; done

name=${MMLSPARK_REGISTRY:+${MMLSPARK_REGISTRY%/}/}$repo
tags=()
if [ -n "$suffix" ]; then
  tags=("$name:$version-$suffix")
else
  tags=("$name:$version" "$name:latest")
fi
[ "$push" = 0 ] || [ -n "${MMLSPARK_REGISTRY:-}" ] ||
  die_usage "--push needs MMLSPARK_REGISTRY=HOST[:PORT] (nothing is pushed to Docker Hub by accident)"

# The stamp. A tree with uncommitted changes in the build context says so in the revision.
if revision=$(git -C "$top" rev-parse HEAD 2>/dev/null); then
  if [ -n "$(git -C "$top" status --porcelain -- Dockerfile versions.env VERSION CMakeLists.txt lib init eula spark-env image 2>/dev/null)" ]; then
    echo "release.sh: warning: uncommitted changes in the build context; revision '$revision-dirty'" >&2
    revision="$revision-dirty"
  fi
else
  echo "release.sh: warning: $top is not a git checkout; revision 'unknown'" >&2
  revision=unknown
fi
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)

args=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created")
for k in "${keys[@]}"; do args+=(--build-arg "$k=${pin[$k]}"); done
for t in "${tags[@]}"; do args+=(-t "$t"); done

run() {
  if [ "$dry" = 1 ]; then
    printf '%q ' "$@"
    echo
  else
    "$@"
  fi
}

echo "release.sh: building ${tags[*]} (version $version, revision $revision, created $created)" >&2
run env DOCKER_BUILDKIT=0 docker build "${args[@]}" "$top"
if [ "$push" = 1 ]; then
  for t in "${tags[@]}"; do run docker push "$t"; done
  [ "$dry" = 1 ] || echo "release.sh: pushed ${tags[*]}" >&2
else
  echo "release.sh: not pushed (give --push with MMLSPARK_REGISTRY set to publish)" >&2
fi
