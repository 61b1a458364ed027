#!/usr/bin/env bash
# tests/standalone/run.sh - the project stands on its own, from locked inputs:
#   lock_covers_exactly_the_images_python_packages  `pip list` in IMAGE = image/python/requirements.lock
#   lock_holds_the_pins_of_versions_env             every *_VERSION pin is in the lock
#   pip_install_of_the_lock_fails_on_a_hash_mismatch
#                                                   image/python/install.sh (the build's installer) with
#                                                   one package's hashes altered: refused; as locked: installs
#   maven_resolution_fails_on_a_checksum_mismatch   image/synapseml/resolve.sh --check (the build's
#                                                   resolver) with one recorded sha256 altered: refused;
#                                                   as recorded: accepted
#   pip_override_of_an_image_package_works          the README's override of a package of the image
#                                                   (`PIP_CONSTRAINT= pip install --no-deps --target
#                                                   ~/overrides`, PYTHONPATH) wins, in a shell and a kernel
#   clone_builds_with_the_readmes_commands          `git clone` of HEAD into an empty directory; there
#                                                   the README's commands: tests/image/docker-ready.sh,
#                                                   a plain `docker build -t ... .` (no build args), and
#                                                   tools/release.sh; the image starts and serves the
#                                                   EULA page; no file refers outside the repository
# The builds use the engine's layer cache (a plain build shares it with tests/image/run.sh: see
# tools/apt-mirrors.sh); the download tests need PyPI and Maven Central, as the build does.
# Usage: tests/standalone/run.sh [IMAGE]   (IMAGE: the image under test, mmlspark/release:latest)
# Output: PASS/FAIL lines, then "N passed, N failed"; exit 1 if any failed. Logs: artifacts/standalone/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
image=${1:-mmlspark/release:latest}
art=$top/artifacts/standalone
mkdir -p "$art"
NAME=standalone
. "$top/tests/testlib/harness.sh"
tmp=$(mktemp -d /tmp/mmlspark-standalone.XXXXXX)
stage=mmlspark/standalone-test-download:$$
spark_stage=mmlspark/standalone-test-spark:$$
clone_tags=()
cleanup() {
  docker rm -f "mmlspark-standalone-$$" >/dev/null 2>&1
  docker rmi --no-prune "$stage" "$spark_stage" "${clone_tags[@]}" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "FAIL: interrupted"; exit 130' INT TERM
lock=$top/image/python/requirements.lock
# "name version" per line, names as PEP 503 normalizes them, sorted
normalized() { awk -F'==' '{ n = tolower($1); gsub(/[-_.]+/, "-", n); print n, $2 }' | LC_ALL=C sort; }
locked() { sed -nE 's/^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+).*/\1==\2/p' "$1" | normalized; }

if ! docker image inspect "$image" >/dev/null 2>&1; then
  fail image_under_test_exists "no image $image (build it first: tests/image/run.sh)"
  summary
  exit 1
fi

# --- the lock against the image and versions.env
in_image=$(docker run --rm --entrypoint python3 "$image" -m pip list --format=freeze 2>"$art/pip-list.err" | normalized)
want=$(locked "$lock")
if [ -n "$in_image" ] && [ "$in_image" = "$want" ]; then
  pass lock_covers_exactly_the_images_python_packages "$(wc -l <<<"$want") packages"
else
  fail lock_covers_exactly_the_images_python_packages "only in the image: $(comm -23 <(echo "$in_image") <(echo "$want") | tr '\n' ' ')only in the lock: $(comm -13 <(echo "$in_image") <(echo "$want") | tr '\n' ' ')"
fi
missing=""
while IFS='=' read -r k v; do
  name=${k%_VERSION}
  name=${name,,}
  grep -qxF "${name//_/-} $v" <<<"$want" || missing="$missing ${name//_/-}==$v"
done < <(grep -E '^[A-Z][A-Z0-9_]*_VERSION=' "$top/versions.env")
[ -z "$missing" ] && pass lock_holds_the_pins_of_versions_env ||
  fail lock_holds_the_pins_of_versions_env "not in the lock:$missing (tools/lock.sh)"

# --- hash and checksum mismatches: the build's own installer and resolver, in the build's
# download and spark stages (the build machine's CA, as the build has it; cached), on small inputs
# NAME WHAT PATTERN LOG: passes when the input as recorded was accepted ($rc_good 0) and the
# altered one refused ($rc_bad not 0) saying PATTERN in LOG
only_altered_refused() {
  if [ "$rc_good" = 0 ] && [ "$rc_bad" != 0 ] && grep -q "$3" "$4"; then
    pass "$1" "$2: exit $rc_bad, \"$3\"; as recorded: exit 0"
  else
    fail "$1" "$2: exit $rc_bad; as recorded: exit $rc_good (${4#"$top"/})"
  fi
}
args=()
while read -r kv; do args+=(--build-arg "$kv"); done < <("$top/tools/apt-mirrors.sh")
if DOCKER_BUILDKIT=0 docker build "${args[@]}" --target download -t "$stage" "$top" >"$art/build-download.log" 2>&1; then
  # the lock's entries for pip, setuptools and six (a small package), the last with its hashes altered
  entry() { awk -v p="^$1==" '$0 ~ p { keep = 1; print; next } /^[A-Za-z0-9#]/ { keep = 0 } keep && /--hash/' "$lock"; }
  mkdir -p "$tmp/good" "$tmp/bad"
  { entry pip; entry setuptools; entry six; } >"$tmp/good/requirements.lock"
  { entry pip; entry setuptools; entry six | sed -E 's/sha256:[0-9a-f]{8}/sha256:00000000/'; } >"$tmp/bad/requirements.lock"
  run_install() { # good|bad
    docker run --rm --user root -v "$top/image/python/install.sh:/install.sh:ro" -v "$tmp/$1:/lock:ro" \
      "$stage" /install.sh /lock/requirements.lock >"$art/install-$1.log" 2>&1
  }
  rc_good=0
  rc_bad=0
  run_install good || rc_good=$?
  run_install bad || rc_bad=$?
  only_altered_refused pip_install_of_the_lock_fails_on_a_hash_mismatch "six with altered hashes" \
    "DO NOT MATCH THE HASHES" "$art/install-bad.log"
else
  fail pip_install_of_the_lock_fails_on_a_hash_mismatch "docker build --target download failed (artifacts/standalone/build-download.log)"
fi
if DOCKER_BUILDKIT=0 docker build "${args[@]}" --target spark -t "$spark_stage" "$top" >"$art/build-spark.log" 2>&1; then
  # a small Maven package through resolve.sh: its recorded sums accepted, one altered sum refused
  pkg=com.beust:jcommander:1.27
  run_resolve() {
    docker run --rm --user root -v "$top/image:/image:ro" -v "$tmp:/t" "$spark_stage" /image/synapseml/resolve.sh "$@"
  }
  if run_resolve --record "$pkg" /tmp/out /opt/synapseml >"$tmp/sums" 2>"$art/resolve-record.log" &&
     grep -q "jcommander-1.27.jar$" "$tmp/sums"; then
    sed -E '/jcommander-1.27.jar$/ s/^[0-9a-f]{8}/00000000/' "$tmp/sums" >"$tmp/sums.bad"
    rc_good=0
    rc_bad=0
    run_resolve --check /t/sums "$pkg" /tmp/out /opt/synapseml >"$art/resolve-good.log" 2>&1 || rc_good=$?
    run_resolve --check /t/sums.bad "$pkg" /tmp/out /opt/synapseml >"$art/resolve-bad.log" 2>&1 || rc_bad=$?
    only_altered_refused maven_resolution_fails_on_a_checksum_mismatch "$pkg, one sha256 altered" \
      "differs from the recorded checksums" "$art/resolve-bad.log"
  else
    fail maven_resolution_fails_on_a_checksum_mismatch "resolve.sh --record $pkg failed (artifacts/standalone/resolve-record.log)"
  fi
else
  fail maven_resolution_fails_on_a_checksum_mismatch "docker build --target spark failed (artifacts/standalone/build-spark.log)"
fi

# --- the README's override of an image package: a local wheel of threadpoolctl 99.0 (a
# module scikit-learn imports, Jupyter does not), offline
python3 - "$tmp/wheels" <<'EOF'
import base64, hashlib, os, sys, zipfile
d = sys.argv[1]
os.makedirs(d)
dist = "threadpoolctl-99.0.dist-info"
files = {"threadpoolctl.py": "__version__ = '99.0'\n",
         dist + "/METADATA": "Metadata-Version: 2.1\nName: threadpoolctl\nVersion: 99.0\n",
         dist + "/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
record = ["%s,sha256=%s,%d" % (p, base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b"=").decode(),
                               len(t.encode())) for p, t in files.items()] + [dist + "/RECORD,,"]
with zipfile.ZipFile(os.path.join(d, "threadpoolctl-99.0-py3-none-any.whl"), "w") as z:
    for p, t in files.items():
        z.writestr(p, t)
    z.writestr(dist + "/RECORD", "\n".join(record) + "\n")
EOF
chmod -R a+rX "$tmp/wheels"
# in a shell, and in a notebook kernel of a container started with the README's -e PYTHONPATH
nb='{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
  "source": "import threadpoolctl, numpy\nprint(\"KERNEL threadpoolctl\", threadpoolctl.__version__, \"numpy\", numpy.__version__)"}],
  "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
  "nbformat": 4, "nbformat_minor": 5}'
out=$(docker run -i --rm --network none -e PYTHONPATH=/home/mmlspark/overrides -v "$tmp/wheels:/wheels:ro" "$image" bash -c '
  cd /tmp && cat >t.ipynb
  env -u PYTHONPATH python3 -c "import threadpoolctl as t; print(\"IMAGE threadpoolctl\", t.__version__)"
  PIP_CONSTRAINT= pip install --no-deps --target ~/overrides /wheels/threadpoolctl-99.0-py3-none-any.whl 2>&1 | tail -1
  python3 -c "import threadpoolctl as t; print(\"SHELL threadpoolctl\", t.__version__)"
  env -u PYTHONPATH python3 -c "import threadpoolctl as t; print(\"WITHOUT threadpoolctl\", t.__version__)"
  MMLSPARK_SPARK_SESSION=no jupyter nbconvert --to notebook --execute --stdout t.ipynb 2>/dev/null |
    grep -o "KERNEL threadpoolctl [0-9.]* numpy [0-9.]*"' <<<"$nb" 2>&1)
echo "$out" >"$art/pip-override.log"
base_tp=$(awk '$1 == "threadpoolctl" { print $2 }' <<<"$want")
base_numpy=$(awk '$1 == "numpy" { print $2 }' <<<"$want")
grep -qx "IMAGE threadpoolctl $base_tp" <<<"$out" && grep -qx "SHELL threadpoolctl 99.0" <<<"$out" &&
  grep -qx "WITHOUT threadpoolctl $base_tp" <<<"$out" && grep -qx "KERNEL threadpoolctl 99.0 numpy $base_numpy" <<<"$out" &&
  pass pip_override_of_an_image_package_works "threadpoolctl $base_tp in the image; pip install --target ~/overrides of 99.0: a shell and a new kernel with PYTHONPATH import 99.0, without it $base_tp" ||
  fail pip_override_of_an_image_package_works "$(tr '\n' ' ' <<<"$out" | tail -c 600)"

# --- a clone of HEAD, with nothing beside it, built and started with the README's commands
t0=$SECONDS
clone=$tmp/clone/mmlspark
mkdir -p "$tmp/clone"
tag=mmlspark/release:standalone-test-$$
reg=standalone-test-$$.invalid
if git clone -q "$top" "$clone" >"$art/clone.log" 2>&1; then
  # (the patterns do not match their own text in this file)
  outside=$(cd "$clone" && git grep -l -E -e '\.\./shar(ed)' -e '/work/shar(ed)' -- . || true)
  [ -z "$outside" ] && pass clone_has_no_reference_outside_the_repository "git grep of the team's folder outside the repository: none" ||
    fail clone_has_no_reference_outside_the_repository "$(tr '\n' ' ' <<<"$outside")"
  # README: tests/image/docker-ready.sh; docker build -t mmlspark/release . (here under a test tag);
  # tools/release.sh (here with a registry name of its own: it tags NAME:VERSION and NAME:latest)
  clone_tags=("$tag" "$reg/mmlspark/release:$(cat "$clone/VERSION")" "$reg/mmlspark/release:latest")
  if (cd "$clone" && tests/image/docker-ready.sh) >"$art/clone-docker-ready.log" 2>&1 &&
     (cd "$clone" && DOCKER_BUILDKIT=0 timeout 3600 docker build -t "$tag" .) >"$art/clone-build.log" 2>&1 &&
     (cd "$clone" && MMLSPARK_REGISTRY=$reg timeout 3600 tools/release.sh) >"$art/clone-release.log" 2>&1; then
    pass clone_builds_with_the_readmes_commands "$((SECONDS - t0)) s: docker-ready.sh, docker build -t $tag ., tools/release.sh"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    docker run -d --name "mmlspark-standalone-$$" -p "127.0.0.1:$port:8888" "$tag" >/dev/null 2>&1
    page=""
    for _ in $(seq 60); do
      page=$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null) && break
      sleep 1
    done
    grep -q 'Accept' <<<"$page" && grep -q 'Decline' <<<"$page" &&
      pass clone_image_serves_the_eula_page "http://127.0.0.1:$port/ has Accept and Decline" ||
      fail clone_image_serves_the_eula_page "no EULA page within 60 s: $(docker logs "mmlspark-standalone-$$" 2>&1 | tail -3 | tr '\n' ' ')"
  else
    fail clone_builds_with_the_readmes_commands "see artifacts/standalone/clone-*.log: $(tail -2 "$art"/clone-*.log | tr '\n' ' ' | tail -c 400)"
  fi
else
  fail clone_builds_with_the_readmes_commands "git clone failed (artifacts/standalone/clone.log)"
fi

summary
[ "$failed" = 0 ]
