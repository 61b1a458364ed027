#!/usr/bin/env bash
# tests/valgrind/run.sh - the programs under valgrind memcheck (a plain Debug build: ASan and
# valgrind do not mix): no invalid access, no uninitialised use, no leak in init's own process.
# Each case prints PASS/FAIL; the last line is "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed (apt-get install valgrind)"; exit 0; }
b=build-valgrind
cmake -S . -B $b -DCMAKE_BUILD_TYPE=Debug -DMMLSPARK_TESTS=OFF -DMMLSPARK_WERROR=ON >/dev/null &&
  cmake --build $b -j"$(nproc)" >/dev/null || { echo "FAIL: Debug build"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p artifacts/valgrind
tmp=$(mktemp -d)
chmod 755 "$tmp" # mmlspark-eula reads the text after dropping root
trap 'rm -rf "$tmp"' EXIT
printf 'port = "9999"\nremap_exit = "143"\n' > "$tmp/good.conf"
printf 'port = "99999"\n' > "$tmp/bad.conf"
printf 'EULA text with <markup> & "quotes"\n' > "$tmp/eula.txt"
pass=0 fail=0
skip='/bin/*,/usr/bin/*,/sbin/*,/usr/sbin/*,/proc/*'
vg() { # NAME EXPECTED_EXIT CMD...   (valgrind exits 99 on any error it finds)
  local name=$1 want=$2
  shift 2
  rm -f artifacts/valgrind/"$name".*.log
  # Children are followed (mmlspark-init, PID 1's program, starts mmlspark-setup), except the
  # system's programs; one log per process and exec (%p.%n).
  ACCEPT_EULA=yes valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --trace-children=yes --trace-children-skip="$skip" --log-file="artifacts/valgrind/$name.%p.%n.log" "$@" >/dev/null 2>&1
  local rc=$?
  if [ "$rc" = "$want" ] && [ -z "$(cat artifacts/valgrind/"$name".*.log 2>/dev/null)" ]; then
    echo "PASS: $name"; pass=$((pass + 1))
  else
    echo "FAIL: $name (exit $rc, want $want; see artifacts/valgrind/$name.*.log)"; fail=$((fail + 1))
  fi
}
init=$b/init/mmlspark-init
vg init_runs_a_job 7 $init -- sh -c 'exit 7'
vg init_remaps_sigterm 0 $init --config "$tmp/good.conf" -- sh -c 'kill -TERM $$'
vg init_print_config 0 $init --config "$tmp/good.conf" --print-config
vg init_bad_config 78 $init --config "$tmp/bad.conf" -- true
vg init_not_found 127 $init -- no-such-command
vg init_stragglers 0 $init -g 1 -- sh -c 'sleep 5 & exit 0'
# The drop path: root -> PAM session (pam_limits, pam_unix) -> the job as `nobody` (valgrind follows
# the forked session process too).
mkdir -m 755 "$tmp/pam" && install -m 644 image/pam.d/mmlspark "$tmp/pam/mmlspark"
NB_USER=nobody NB_UID="$(id -u nobody)" MMLSPARK_PAM_CONFDIR="$tmp/pam" \
  vg init_drops_root_with_a_pam_session 0 $init -- id -u
vg env_prints 0 $b/spark-env/mmlspark-env
# Hooks (issue 14): one root's hook runs (checked on its descriptor, fexecve'd), one user-owned
# hook is refused (exit 1); as root with NB_USER=root no drop is needed.
if [ "$(id -u)" = 0 ]; then
  mkdir -m 755 "$tmp/hooks" "$tmp/badhooks"
  printf '#!/bin/sh\nexit 0\n' > "$tmp/hooks/10-ok" && chmod 755 "$tmp/hooks/10-ok"
  cp "$tmp/hooks/10-ok" "$tmp/badhooks/10-users" && chown 1000 "$tmp/badhooks/10-users"
  NB_USER=root MMLSPARK_HOOKS_DIR="$tmp/hooks" vg init_runs_a_hook 0 $init -- true
  NB_USER=root MMLSPARK_HOOKS_DIR="$tmp/badhooks" vg init_refuses_a_users_hook 1 $init -- true
fi
# The NB_UID/NB_GID change (issue 20: the account edit, the ownership walk at any depth, hard
# links, the own group) and the EULA page's leftovers, in tests/priv's sandbox (a private /etc):
# the priv test runs init through a wrapper that puts it under valgrind; every log must be empty.
if [ "$(id -u)" = 0 ]; then
  printf '#!/bin/sh\nexec valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --trace-children=yes --trace-children-skip="%s" --log-file=%s/artifacts/valgrind/priv.%%p.%%n.log %s/%s "$@"\n' \
    "$skip,/tmp/mmlspark-priv-test/*" "$top" "$top" "$init" >"$tmp/vg-init" && chmod 755 "$tmp/vg-init"  # the tests' jobs live there (not all of /tmp: a checkout in /tmp would leave mmlspark-setup untraced)
  for t in crash:tree_deeper_than_path_max_is_walked crash:hard_link_to_outside_file_keeps_owner_and_is_reported \
           crash:own_group_is_renumbered_and_walked_when_primary_group_is_another \
           remap:remap_edits_passwd_and_group_atomically isolation:hook_background_service_survives_eula_accept_in_browser; do
    rm -f artifacts/valgrind/priv.*.log
    out=$(python3 "tests/priv/test_${t%%:*}.py" "${t#*:}" "$tmp/vg-init" "$top" 2>&1)
    rc=$?
    logs=$(cat artifacts/valgrind/priv.*.log 2>/dev/null)
    if [ "$rc" = 0 ] && [ -z "$logs" ]; then
      echo "PASS: priv_${t#*:}"; pass=$((pass + 1))
    else
      printf '%s\n%s\n' "$logs" "$out" >"artifacts/valgrind/priv_${t#*:}.log"
      echo "FAIL: priv_${t#*:} (see artifacts/valgrind/priv_${t#*:}.log)"; fail=$((fail + 1))
    fi
  done
  rm -f artifacts/valgrind/priv.*.log
fi
if [ -x $b/eula/mmlspark-eula ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  ( sleep 2; curl -s -o /dev/null "http://127.0.0.1:$port/"; curl -s -o /dev/null "http://127.0.0.1:$port/healthz"
    pkill -TERM -f "mmlspark-eula --listen 127.0.0.1 --port $port" ) &
  vg eula_serves_then_stops_on_sigterm 143 $b/eula/mmlspark-eula --listen 127.0.0.1 --port "$port" --eula-file "$tmp/eula.txt"
  wait
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
