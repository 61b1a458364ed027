#!/usr/bin/env bash
# tools/release.sh - build mmlspark/release:VERSION and :latest with the version stamped in (OCI
# labels; mmlspark-init --version comes from the same VERSION file) and the pinned inputs of
# versions.env, write the release notes (tags, pins, the image's manifest of installed versions);
# --push pushes the tags to the registry named by MMLSPARK_REGISTRY.
# Only a final version (X.Y.Z) moves :latest; a pre-release (1.2.3-rc1) gets its own tag only.
# The git tree must be clean (no uncommitted or untracked files): a release is a commit.
#
# Usage: tools/release.sh [--push] [--dry-run] [--allow-dirty] [--notes FILE] [--pyspark X.Y.Z]
#                         [--mml-package G:A:V] [--mml-m2repos URL] [--tag-suffix SUFFIX]
#   --push          push the tags (nothing is pushed without it; needs MMLSPARK_REGISTRY)
#   --dry-run       print the docker commands instead of running them
#   --allow-dirty   build from a tree with changes anyway: the version becomes VERSION-dirty
#                   (so never :latest) and the revision COMMIT-dirty
#   --notes FILE    where the release notes go (default artifacts/release-notes-TAG.md)
#   --pyspark, --mml-package, --mml-m2repos
#                   build for another Spark / SynapseML than versions.env pins. The tag then says
#                   so: VERSION-sparkX.Y[-synapsemlV] (or VERSION-SUFFIX with --tag-suffix), and
#                   :latest is left alone (it always means the pinned versions).
# Environment: MMLSPARK_REGISTRY=HOST[:PORT] names the tags HOST[:PORT]/mmlspark/release:...
#              (unset: mmlspark/release:..., local only). DOCKER_BUILDKIT is forced to 0.
# Exit: 0 built (and pushed); 64 bad usage or versions.env; 65 the git tree has changes (no
#       --allow-dirty); 66 the built image has no /usr/share/mmlspark/manifest.txt (nothing
#       pushed); else docker's failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
repo=mmlspark/release

die_usage() { echo "release.sh: $*" >&2; exit 64; }

push=0
dry=0
allow_dirty=0
notes=""
suffix=""
declare -A override=()
while [ $# -gt 0 ]; do
  case $1 in
    --push) push=1 ;;
    --dry-run) dry=1 ;;
    --allow-dirty) allow_dirty=1 ;;
    --notes) [ $# -ge 2 ] || die_usage "--notes needs a file name"; notes=$2; shift ;;
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

# The stamp. A release is a commit: a tree with changes (or untracked files) is refused, or with
# --allow-dirty built under a version that says so.
if revision=$(git -C "$top" rev-parse HEAD 2>/dev/null); then
  changes=$(git -C "$top" status --porcelain --untracked-files=normal 2>/dev/null | wc -l)
  if [ "$changes" -gt 0 ]; then
    [ "$allow_dirty" = 1 ] || {
      echo "release.sh: $top has $changes uncommitted or untracked file(s) (git status): commit them, or give --allow-dirty for a VERSION-dirty build" >&2
      exit 65
    }
    echo "release.sh: warning: $changes uncommitted file(s); building version '$version-dirty', revision '$revision-dirty'" >&2
    version="$version-dirty"
    revision="$revision-dirty"
  fi
else
  echo "release.sh: warning: $top is not a git checkout; revision 'unknown'" >&2
  revision=unknown
fi
# Only a final version is the one `docker pull` without a tag gets.
final=0
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] && final=1

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
elif [ "$final" = 1 ]; then
  tags=("$name:$version" "$name:latest")
else
  tags=("$name:$version")
  echo "release.sh: $version is not a final version (X.Y.Z): :latest is left where it is" >&2
fi
[ "$push" = 0 ] || [ -n "${MMLSPARK_REGISTRY:-}" ] ||
  die_usage "--push needs MMLSPARK_REGISTRY=HOST[:PORT] (nothing is pushed to Docker Hub by accident)"

created=$(date -u +%Y-%m-%dT%H:%M:%SZ)

args=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created")
for k in "${keys[@]}"; do args+=(--build-arg "$k=${pin[$k]}"); done
# The same Debian archives as tests/image/run.sh (so the tests' layer cache is reused) and the
# project's repository for the source label.
while read -r kv; do args+=(--build-arg "$kv"); done < <("$top/tools/apt-mirrors.sh")
source_url=$("$top/tools/source-url.sh")
[ -z "$source_url" ] || args+=(--build-arg "SOURCE=$source_url")
# Built under its first tag only; :latest is added once the image has passed the notes step.
args+=(-t "${tags[0]}")

run() {
  if [ "$dry" = 1 ]; then
    printf '%q ' "$@"
    echo
  else
    "$@"
  fi
}

manifest_path=/usr/share/mmlspark/manifest.txt
[ -n "$notes" ] || notes=$top/artifacts/release-notes-${tags[0]##*:}.md

# The release notes: what was built from what, and every version installed in the image (the
# image's own manifest). Written before any push: an image without a manifest is not published.
write_notes() {
  local manifest
  if ! manifest=$(docker run --rm --entrypoint cat "${tags[0]}" "$manifest_path" 2>/dev/null) ||
     [ -z "$manifest" ]; then
    echo "release.sh: ${tags[0]} has no $manifest_path (the installed versions); not released" >&2
    exit 66
  fi
  mkdir -p "$(dirname "$notes")"
  {
    echo "# $repo $version"
    echo
    echo "- tags: ${tags[*]}"
    echo "- version: $version"
    echo "- revision: $revision"
    echo "- created: $created"
    echo "- image id: $(docker image inspect --format '{{.Id}}' "${tags[0]}")"
    echo
    echo "## Pinned inputs (versions.env$([ ${#override[@]} = 0 ] || echo ', with overrides'))"
    echo
    echo '```'
    for k in "${keys[@]}"; do echo "$k=${pin[$k]}"; done
    echo '```'
    echo
    echo "## Installed versions ($manifest_path)"
    echo
    echo '```'
    printf '%s\n' "$manifest"
    echo '```'
  } >"$notes"
  echo "release.sh: release notes in $notes" >&2
}

echo "release.sh: building ${tags[*]} (version $version, revision $revision, created $created)" >&2
run env DOCKER_BUILDKIT=0 docker build "${args[@]}" "$top"
if [ "$dry" = 1 ]; then
  run docker run --rm --entrypoint cat "${tags[0]}" "$manifest_path"
else
  write_notes
fi
for t in "${tags[@]:1}"; do run docker tag "${tags[0]}" "$t"; done
if [ "$push" = 1 ]; then
  for t in "${tags[@]}"; do run docker push "$t"; done
  if [ "$dry" = 0 ]; then
    printf '\n- pushed: %s\n' "$(docker image inspect --format '{{join .RepoDigests " "}}' "${tags[0]}")" >>"$notes"
    echo "release.sh: pushed ${tags[*]}" >&2
  fi
else
  echo "release.sh: not pushed (give --push with MMLSPARK_REGISTRY set to publish)" >&2
fi
