#!/usr/bin/env bash
# tests/release/run.sh - releases against a real registry, as the guide's sections "Running a
# specific version" and "Updating the MMLSpark image" describe them. Starts Debian's distribution
# registry on 127.0.0.1:FREE_PORT, publishes version A with tools/release.sh --push (warm layer
# cache: only the label layer is new), then B and C as small images on top of the image under test
# (a marker file and labels), and follows a user through pulls, updates, <none> and prune.
#
# Usage: tests/release/run.sh [IMAGE]      (IMAGE: the image under test, mmlspark/release:latest)
# Debian packages: docker-registry (/usr/bin/docker-registry), curl, git, python3, docker.io.
# Two names for the one registry keep the publisher's and the user's local tags apart:
#   publisher localhost:PORT/mmlspark/release, user 127.0.0.1:PORT/mmlspark/release
# (Docker treats 127.0.0.0/8 as an insecure registry by default: plain HTTP, no daemon config).
# Pruning: with CI=true the step runs the guide's `docker system prune -f`, which also removes
# OTHER dangling images and stopped containers on this engine. Otherwise (a shared dev machine)
# it removes only the test's own <none> image with `docker image rm ID`.
# tools/release.sh refuses a tree with changes: with uncommitted changes here, the releases are made
# from a committed snapshot of this tree (in a temporary git repository; the PASS line says so).
# Release notes: the image must have /usr/share/mmlspark/manifest.txt, else the release (and this
# test) FAILs.
# Output: PASS/FAIL lines, then "N passed, N failed"; exit 1 if any failed. Logs: artifacts/release/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
image=${1:-mmlspark/release:latest}
art=$top/artifacts/release
mkdir -p "$art"
NAME=release
. "$top/tests/testlib/harness.sh"
# A step whose failure makes the rest meaningless ends the run (cleanup still happens).
fatal() { fail "$@"; summary; exit 1; }

tmp=$(mktemp -d /tmp/mmlspark-release-test.XXXXXX)
reg_pid=""
port=""
cleanup() {
  local r
  if [ -n "$port" ]; then
    # Every tag and digest reference the test made, under both names of the registry.
    for r in "localhost:$port/mmlspark/release" "127.0.0.1:$port/mmlspark/release"; do
      docker images --format '{{.Repository}}:{{.Tag}}' "$r" 2>/dev/null | grep -v ':<none>$' |
        xargs -r docker rmi --no-prune >/dev/null 2>&1
      docker images --digests --format '{{.Repository}}@{{.Digest}}' "$r" 2>/dev/null |
        grep -v '@<none>$' | xargs -r docker rmi --no-prune >/dev/null 2>&1
    done
  fi
  if [ -n "$reg_pid" ]; then
    kill "$reg_pid" 2>/dev/null
    wait "$reg_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "FAIL: interrupted (cleaning up)"; summary; exit 130' INT TERM

docker image inspect "$image" >/dev/null 2>&1 || fatal image_under_test_exists "no image $image (build it first: tests/image/run.sh)"
if [ ! -x /usr/bin/docker-registry ] && [ "$(id -u)" = 0 ]; then
  # .ci/run installs it; this is for a machine that has not (its service is not used).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry \
    >"$art/apt.log" 2>&1
fi
[ -x /usr/bin/docker-registry ] || fatal registry_installed "/usr/bin/docker-registry missing: apt-get install docker-registry"

A=$(head -n1 "$top/VERSION")
IFS=. read -r maj min pat <<<"${A%%[-+]*}"
B=$maj.$min.$((pat + 1))-test
C=$maj.$min.$((pat + 2))-test

# --- the registry: our own config and storage, our own process (not the system service)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pub=localhost:$port/mmlspark/release
# the repository URL release.sh puts into the source label (MMLSPARK_SOURCE wins over the remote)
test_source=https://git.example/mmlspark/image
usr=127.0.0.1:$port/mmlspark/release
mkdir -p "$tmp/storage"
cat >"$tmp/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $tmp/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
/usr/bin/docker-registry serve "$tmp/config.yml" >"$art/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null && break
  kill -0 "$reg_pid" 2>/dev/null || break
  sleep 0.2
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null ||
  fatal registry_answers_v2 "no answer on 127.0.0.1:$port/v2/ within 20 s (log: artifacts/release/registry.log)"
pass registry_answers_v2 "127.0.0.1:$port"

# --- helpers
# DIR gets this tree as it is (uncommitted and ignored files too: image/ca is the build's), all
# committed in a git repository of its own.
snapshot() {
  mkdir -p "$1"
  tar -C "$top" --exclude=./.git --exclude='./build*' --exclude=./artifacts -cf - . | tar -C "$1" -xf - &&
    git -C "$1" init -q && git -C "$1" add -A &&
    git -C "$1" -c user.name=release-test -c user.email=release-test@localhost commit -qm snapshot
}
label() { docker image inspect --format "{{index .Config.Labels \"org.opencontainers.image.$2\"}}" "$1" 2>/dev/null; }
image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null; }
# What a running container says its version is: the test marker of B and C, else mmlspark-init's.
reported() {
  docker run --rm "$1" sh -c 'cat /usr/share/mmlspark/release-test-version 2>/dev/null ||
    mmlspark-init --version | sed "s/^mmlspark-init //"' 2>>"$art/run.log"
}
# IMAGE runs and reports VERSION through both its label and the running container.
reports() {
  local got_label got_run
  got_label=$(label "$1" version)
  got_run=$(reported "$1")
  [ "$got_label" = "$2" ] && [ "$got_run" = "$2" ] && return 0
  why="label '$got_label', container says '$got_run', expected '$2'"
  return 1
}
registry_digest() {
  curl -fsS -I -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:$port/v2/mmlspark/release/manifests/$1" 2>/dev/null |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
# Rows of `docker images` for the user's repository: "TAG ID", sorted.
user_rows() { docker images --no-trunc --format '{{.Tag}} {{.ID}}' "$usr" | sort; }
# Publish a test version: a small image on top of the image under test, pushed as :V and :latest
# under the publisher's name, whose local tags are then removed (the publisher is another machine).
# rmi --no-prune everywhere: the untagged parents are the engine's layer cache (and IMAGE may be an
# untagged id), not the test's to delete.
publish_small() {
  local v=$1 ctx=$tmp/ctx-$1
  mkdir -p "$ctx"
  echo "$v" >"$ctx/release-test-version"
  cat >"$ctx/Dockerfile" <<EOF
FROM $image
LABEL org.opencontainers.image.version="$v" org.opencontainers.image.revision="test-$v"
COPY release-test-version /usr/share/mmlspark/release-test-version
EOF
  DOCKER_BUILDKIT=0 docker build -q -t "$pub:$v" -t "$pub:latest" "$ctx" >>"$art/publish.log" 2>&1 &&
    docker push -q "$pub:$v" >>"$art/publish.log" 2>&1 &&
    docker push -q "$pub:latest" >>"$art/publish.log" 2>&1 &&
    docker rmi --no-prune "$pub:$v" "$pub:latest" >>"$art/publish.log" 2>&1
}
pull() { docker pull -q "$1" >>"$art/pull.log" 2>&1; }

# --- pins: versions.env is the one place; the Dockerfile's ARG defaults must mirror it
drift=""
while IFS='=' read -r k v; do
  grep -qxF "ARG $k=$v" "$top/Dockerfile" || drift="$drift $k"
done < <(grep -E '^[A-Z][A-Z0-9_]*=' "$top/versions.env")
[ -z "$drift" ] && pass versions_env_matches_dockerfile_arg_defaults ||
  fail versions_env_matches_dockerfile_arg_defaults "Dockerfile has no 'ARG KEY=VALUE' equal to versions.env for:$drift"

# --- where releases are made from: this tree when it is committed, else a committed snapshot
src=$top
src_note=""
if [ -n "$(git -C "$top" status --porcelain --untracked-files=normal 2>/dev/null)" ]; then
  src=$tmp/src
  snapshot "$src" >"$art/snapshot.log" 2>&1 || fatal release_source_snapshot "see artifacts/release/snapshot.log"
  src_note="; this tree has uncommitted changes: released from a committed snapshot of it"
fi

# --- tools/release.sh: a tree with changes is refused; --allow-dirty builds VERSION-dirty, never :latest
dirty=$tmp/dirty
snapshot "$dirty" >"$art/snapshot.log" 2>&1 || fatal release_dirty_snapshot "see artifacts/release/snapshot.log"
for change in untracked modified; do
  if [ "$change" = untracked ]; then
    echo scratch >"$dirty/notes.txt"
  else
    rm "$dirty/notes.txt"
    echo "a local edit" >>"$dirty/README.md"
  fi
  rc=0
  out=$("$dirty/tools/release.sh" --dry-run 2>&1) || rc=$?
  [ "$rc" = 65 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -q "uncommitted or untracked" <<<"$out" &&
    pass "release_sh_refuses_dirty_tree_${change}_file" "exit 65: $out" ||
    fail "release_sh_refuses_dirty_tree_${change}_file" "exit $rc, expected 65 and one line: $out"
done
out=$("$dirty/tools/release.sh" --dry-run --allow-dirty 2>/dev/null)
drev=$(git -C "$dirty" rev-parse HEAD)-dirty
grep -q -- "-t mmlspark/release:$A-dirty " <<<"$out" && ! grep -q -- ":latest" <<<"$out" &&
  grep -q -- "--build-arg VERSION=$A-dirty " <<<"$out" && grep -q -- "--build-arg REVISION=$drev " <<<"$out" &&
  pass release_sh_allow_dirty_builds_version_dirty_not_latest ":$A-dirty, revision ...-dirty, no :latest" ||
  fail release_sh_allow_dirty_builds_version_dirty_not_latest "$out"

# --- tools/release.sh: usage, tags for another Spark/SynapseML (dry run: no build)
out=$("$src/tools/release.sh" --dry-run --pyspark 3.4.4 --mml-package com.microsoft.azure:synapseml_2.12:0.11.4 2>/dev/null)
if grep -q -- "-t mmlspark/release:$A-spark3.4-synapseml0.11.4 " <<<"$out" && ! grep -q -- ":latest" <<<"$out" &&
   grep -q -- "--build-arg PYSPARK_VERSION=3.4.4 " <<<"$out"; then
  pass release_sh_override_tag_says_spark_and_synapseml ":$A-spark3.4-synapseml0.11.4, no :latest"
else
  fail release_sh_override_tag_says_spark_and_synapseml "$out"
fi
rc=0
env -u MMLSPARK_REGISTRY "$src/tools/release.sh" --push >/dev/null 2>&1 || rc=$?
[ "$rc" = 64 ] && pass release_sh_push_without_registry_is_refused "exit 64" ||
  fail release_sh_push_without_registry_is_refused "exit $rc, expected 64"

# --- version A: the real release command, pushed to the registry (publisher's name)
t0=$SECONDS
before=$(date -u +%s)
notes=$art/notes-$A.md
rm -f "$notes"
rc=0
MMLSPARK_SOURCE=$test_source MMLSPARK_REGISTRY=localhost:$port "$src/tools/release.sh" --push --notes "$notes" >"$art/release-sh.log" 2>&1 || rc=$?
if [ "$rc" = 0 ]; then
  pass release_sh_builds_and_pushes_version_and_latest "$((SECONDS - t0)) s, log: artifacts/release/release-sh.log$src_note"
elif [ "$rc" = 66 ]; then
  fatal release_notes_include_the_images_manifest "tools/release.sh refused to publish: $(tail -1 "$art/release-sh.log")"
else
  tail -20 "$art/release-sh.log" >&2
  fatal release_sh_builds_and_pushes_version_and_latest "exit $rc, see artifacts/release/release-sh.log"
fi
after=$(date -u +%s)
[ -n "$(image_id "$pub:$A")" ] && [ "$(image_id "$pub:$A")" = "$(image_id "$pub:latest")" ] &&
  pass release_sh_tags_version_and_latest_alike "$pub:$A = :latest" ||
  fail release_sh_tags_version_and_latest_alike "ids '$(image_id "$pub:$A")' vs '$(image_id "$pub:latest")'"

head_rev=$(git -C "$src" rev-parse HEAD)
created=$(label "$pub:$A" created)
created_s=$(date -u -d "$created" +%s 2>/dev/null || echo 0)
why=""
[ "$(label "$pub:$A" version)" = "$A" ] || why="$why version='$(label "$pub:$A" version)'"
[[ $(label "$pub:$A" revision) =~ ^$head_rev(-dirty)?$ ]] || why="$why revision='$(label "$pub:$A" revision)' (HEAD $head_rev)"
[[ $created =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] &&
  [ "$created_s" -ge $((before - 2)) ] && [ "$created_s" -le $((after + 2)) ] || why="$why created='$created'"
[ "$(label "$pub:$A" source)" = "$test_source" ] || why="$why source='$(label "$pub:$A" source)' (MMLSPARK_SOURCE=$test_source)"
[ -n "$(label "$pub:$A" licenses)" ] || why="$why licenses empty"
[ -z "$why" ] && pass release_labels_version_revision_created_source_licenses \
  "$A $(label "$pub:$A" revision | cut -c1-12) $created $(label "$pub:$A" source) $(label "$pub:$A" licenses)" ||
  fail release_labels_version_revision_created_source_licenses "$why"

got=$(docker run --rm "$pub:$A" mmlspark-init --version 2>/dev/null)
[ "$got" = "mmlspark-init $A" ] && pass release_init_version_matches_label "$got" ||
  fail release_init_version_matches_label "'$got', expected 'mmlspark-init $A'"
log=$(docker run --rm -e ACCEPT_EULA=no "$pub:$A" 2>&1 >/dev/null)
grep -q "mmlspark-init $A: starting the " <<<"$log" && pass release_start_log_names_version ||
  fail release_start_log_names_version "no 'mmlspark-init $A: starting the ...' in: $(head -3 <<<"$log")"

tags=$(curl -fsS "http://127.0.0.1:$port/v2/mmlspark/release/tags/list")
dA=$(registry_digest "$A")
[[ $tags == *"\"$A\""* && $tags == *'"latest"'* ]] && [ -n "$dA" ] && [ "$dA" = "$(registry_digest latest)" ] &&
  pass registry_has_version_and_latest_same_digest "$tags ${dA:0:19}" ||
  fail registry_has_version_and_latest_same_digest "tags $tags, digests '$dA' '$(registry_digest latest)'"

# The notes carry the released image's own manifest, byte for byte, with its version and revision.
manifest=$(docker run --rm --entrypoint cat "$pub:$A" /usr/share/mmlspark/manifest.txt 2>/dev/null)
in_notes=$(awk '/^## Installed versions/ {h = 1; next} h && /^```/ {if (b) exit; b = 1; next} b' "$notes" 2>/dev/null)
[ -n "$manifest" ] && [ "$in_notes" = "$manifest" ] && grep -qx -- "- version: $A" "$notes" &&
  grep -qx -- "- revision: $(label "$pub:$A" revision)" "$notes" &&
  pass release_notes_include_the_images_manifest "$(wc -l <<<"$manifest") lines, artifacts/release/notes-$A.md" ||
  fail release_notes_include_the_images_manifest "notes $notes vs the image's manifest ($(wc -l <<<"$manifest") lines)"

# --- a pre-release (A-rc1), released for real: its own tag; latest stays A, locally and in the registry
pre=$tmp/pre
t0=$SECONDS
if snapshot "$pre" >"$art/snapshot.log" 2>&1 && echo "$A-rc1" >"$pre/VERSION" &&
   git -C "$pre" -c user.name=release-test -c user.email=release-test@localhost commit -qam "$A-rc1" &&
   MMLSPARK_REGISTRY=localhost:$port "$pre/tools/release.sh" --push --notes "$art/notes-$A-rc1.md" \
     >"$art/release-sh-rc.log" 2>&1; then
  tags=$(curl -fsS "http://127.0.0.1:$port/v2/mmlspark/release/tags/list")
  why=""
  [[ $tags == *"\"$A-rc1\""* ]] || why="$why no $A-rc1 in $tags;"
  [ "$(registry_digest latest)" = "$dA" ] || why="$why registry latest moved;"
  [ "$(image_id "$pub:latest")" = "$(image_id "$pub:$A")" ] || why="$why local latest moved;"
  got=$(docker run --rm "$pub:$A-rc1" mmlspark-init --version 2>/dev/null)
  [ "$got" = "mmlspark-init $A-rc1" ] || why="$why rc reports '$got';"
  [ -z "$why" ] && pass release_sh_prerelease_leaves_latest_alone "$((SECONDS - t0)) s, :$A-rc1 pushed, latest still $A" ||
    fail release_sh_prerelease_leaves_latest_alone "$why log: artifacts/release/release-sh-rc.log"
else
  fail release_sh_prerelease_leaves_latest_alone "release of $A-rc1 failed: $(tail -1 "$art/release-sh-rc.log" 2>/dev/null)"
fi
docker rmi --no-prune "$pub:$A-rc1" >>"$art/publish.log" 2>&1

docker rmi --no-prune "$pub:$A" "$pub:latest" >>"$art/publish.log" 2>&1
! docker image inspect "$pub:$A" >/dev/null 2>&1 && ! docker image inspect "$pub:latest" >/dev/null 2>&1 &&
  pass publisher_local_copies_removed || fail publisher_local_copies_removed
user_rows | grep -q . && fatal user_starts_without_local_copies "$(user_rows)"

# --- the user: pull by tag, pull without tag ("Running a specific version")
why=""
pull "$usr:$A" && reports "$usr:$A" "$A" && pass pull_by_tag_runs_A "$usr:$A" || fail pull_by_tag_runs_A "${why:-pull failed}"
why=""
t0=$SECONDS
pull "$usr" && reports "$usr" "$A" && [ "$(image_id "$usr")" = "$(image_id "$usr:$A")" ] &&
  pass pull_without_tag_is_latest_same_image_as_A "$((SECONDS - t0)) s" ||
  fail pull_without_tag_is_latest_same_image_as_A "${why:-pull failed or another image}"

# --- version B published; the user updates ("Updating the MMLSpark image")
t0=$SECONDS
publish_small "$B" && pass publish_B_as_B_and_latest "$((SECONDS - t0)) s" ||
  fatal publish_B_as_B_and_latest "see artifacts/release/publish.log"
why=""
reports "$usr" "$A" && pass run_without_pull_still_runs_local_A ||
  fail run_without_pull_still_runs_local_A "$why"
why=""
pull "$usr" && reports "$usr" "$B" && pass pull_without_tag_gets_B ||
  fail pull_without_tag_gets_B "${why:-pull failed}"
why=""
reports "$usr:$A" "$A" && pass version_tag_A_still_runs_and_reports_A ||
  fail version_tag_A_still_runs_and_reports_A "$why"
rows=$(user_rows)
id_a=$(image_id "$usr:$A")
id_b=$(image_id "$usr")
[ "$rows" = "$(printf '%s %s\n%s %s' "$A" "$id_a" latest "$id_b" | sort)" ] &&
  pass images_show_A_and_latest_no_none "the old latest keeps its tag $A" ||
  fail images_show_A_and_latest_no_none "$(tr '\n' ';' <<<"$rows")"

# --- version C published; this user knew B only as latest: B becomes <none>, prune removes it
t0=$SECONDS
publish_small "$C" && pass publish_C_as_C_and_latest "$((SECONDS - t0)) s" ||
  fatal publish_C_as_C_and_latest "see artifacts/release/publish.log"
why=""
pull "$usr" && reports "$usr" "$C" && pass pull_without_tag_gets_C ||
  fail pull_without_tag_gets_C "${why:-pull failed}"
rows=$(user_rows)
# Dangling (no tag) is what `docker system prune` removes.
grep -qxF "<none> $id_b" <<<"$rows" && docker images -q --no-trunc -f dangling=true | grep -qxF "$id_b" &&
  pass previous_latest_B_shows_as_none "$(docker images "$usr" | sed -n 's/^\([^ ]* *<none> *[^ ]*\).*/\1/p' | head -1)" ||
  fail previous_latest_B_shows_as_none "$(tr '\n' ';' <<<"$rows")"
if [ "${CI:-}" = true ]; then
  prune_cmd="docker system prune -f"
  docker system prune -f >"$art/prune.log" 2>&1
else
  prune_cmd="docker image rm ${id_b#sha256:} (CI=true runs docker system prune -f)"
  docker image rm "$id_b" >"$art/prune.log" 2>&1
fi
rows=$(user_rows)
[ "$rows" = "$(printf '%s %s\n%s %s' "$A" "$id_a" latest "$(image_id "$usr")" | sort)" ] &&
  ! docker image inspect "$id_b" >/dev/null 2>&1 &&
  pass prune_removes_none_keeps_A_and_latest "$prune_cmd" ||
  fail prune_removes_none_keeps_A_and_latest "$prune_cmd; rows: $(tr '\n' ';' <<<"$rows")"
why=""
pull "$usr:$B" && reports "$usr:$B" "$B" && pass pull_by_tag_B_after_prune_runs_B ||
  fail pull_by_tag_B_after_prune_runs_B "${why:-pull failed}"
rows=$(user_rows)
for v in "$A" "$B" latest; do grep -q "^$v " <<<"$rows" || why="$why no $v;"; done
grep -q '^<none> ' <<<"$rows" && why="$why a <none> row;"
[ -z "$why" ] && pass images_show_A_B_latest "$(awk '{print $1}' <<<"$rows" | tr '\n' ' ')" ||
  fail images_show_A_B_latest "$why $(tr '\n' ';' <<<"$rows")"

# --- the guide's last step: docker rmi NAME:TAG removes an unwanted version
docker rmi "$usr:$A" >>"$art/pull.log" 2>&1 && ! docker image inspect "$id_a" >/dev/null 2>&1 &&
  pass rmi_name_tag_removes_old_version "$usr:$A" || fail rmi_name_tag_removes_old_version

summary
[ "$failed" = 0 ]
