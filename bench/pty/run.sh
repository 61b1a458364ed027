#!/usr/bin/env bash
# bench/pty/run.sh - the pty relay's throughput and PID 1's memory, side by side in one run.
#  1. BYTES (default 1 GiB) of output through: a raw pty (the command writes to it directly),
#     `su --pty`, `script -q`, and mmlspark-init dropping root to a user (PAM session + pty
#     relay). Rounds are interleaved; the best round of each counts (the machine is shared).
#     Also the CPU time each relay costs (its command tree's CPU minus the raw run's): on a
#     loaded machine that is the steadier number.
#  2. VmRSS of PID 1 (own PID namespace) while its job runs: mmlspark-init with a PAM session
#     open vs tini (dynamic), same job.
# Usage: bench/pty/run.sh [BYTES] [ROUNDS]      as root; builds a Release init in build-priv-release
# Targets (issue 4): relay >= 1.0 x su --pty and >= 0.9 x raw pty; RSS <= 1.0 x tini.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bytes=${1:-1073741824}
rounds=${2:-3}
user=nobody
[ "$(id -u)" = 0 ] || { echo "bench/pty: needs root (su --pty and the drop)" >&2; exit 77; }

build=$top/build-priv-release
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMMLSPARK_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target mmlspark-init >/dev/null
init=$build/init/mmlspark-init
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cc -O2 -o "$work/ptydrive" "$top/bench/pty/ptydrive.c" -lutil
mkdir -m 755 "$work/pam" && install -m 644 "$top/image/pam.d/mmlspark" "$work/pam/mmlspark"

job="head -c $bytes /dev/zero"
initenv=(env NB_USER=$user NB_UID="$(id -u $user)" MMLSPARK_PAM_CONFDIR="$work/pam" ACCEPT_EULA=yes
         MMLSPARK_LOG=warn MMLSPARK_HOOKS_DIR="$work/none")
run_variant() {
  case $1 in
    raw) "$work/ptydrive" sh -c "$job" ;;
    script) "$work/ptydrive" script -q -c "$job" /dev/null ;;
    su) "$work/ptydrive" su --pty -s /bin/sh -c "$job" $user ;;
    init) "${initenv[@]}" "$work/ptydrive" "$init" -- sh -c "$job" ;;
  esac
}
variants=(raw su script init)
declare -A best cpu
echo "== throughput: $bytes bytes, $rounds interleaved rounds (seconds)"
for r in $(seq "$rounds"); do
  line="round $r:"
  for v in "${variants[@]}"; do
    read -r got secs c < <(run_variant "$v")
    [ "$got" = "$bytes" ] || { echo "$v delivered $got bytes, not $bytes" >&2; exit 1; }
    line+=" $v=${secs}s/${c}cpu"
    if [ -z "${cpu[$v]:-}" ] || awk "BEGIN{exit !($c < ${cpu[$v]})}"; then cpu[$v]=$c; fi
    if [ -z "${best[$v]:-}" ] || awk "BEGIN{exit !($secs < ${best[$v]})}"; then best[$v]=$secs; fi
  done
  echo "$line"
done
for v in "${variants[@]}"; do
  awk -v v="$v" -v s="${best[$v]}" -v b="$bytes" -v c="${cpu[$v]}" -v r="${cpu[raw]}" \
    'BEGIN{printf "%-7s best %7.3f s  %7.1f MiB/s   relay CPU %6.3f s\n", v, s, b/s/1048576, c-r}'
done
awk -v i="${best[init]}" -v su="${best[su]}" -v sc="${best[script]}" -v raw="${best[raw]}" 'BEGIN{
  printf "ratio mmlspark-init / su --pty  = %.2fx (target >= 1.0)\n", su / i
  printf "ratio mmlspark-init / script -q = %.2fx\n", sc / i
  printf "ratio mmlspark-init / raw pty   = %.2fx (target >= 0.9)\n", raw / i }'
awk -v i="${cpu[init]}" -v su="${cpu[su]}" -v r="${cpu[raw]}" 'BEGIN{
  printf "relay CPU su --pty / mmlspark-init = %.2fx (above 1: ours costs less)\n", (su-r)/(i-r) }'

echo "== PID 1 memory while the job runs (VmRSS, kB)"
pid1_rss() { # COMMAND... : starts it as PID 1 of a new PID namespace, prints PID 1's VmRSS
  unshare -fp --mount-proc "$@" </dev/null >/dev/null 2>&1 &
  local ns=$! pid1=""
  for _ in $(seq 50); do
    pid1=$(pgrep -P "$ns" | head -1) && [ -n "$pid1" ] && break
    sleep 0.1
  done
  sleep 1.5 # the job, and for init the PAM session, are up
  awk '/^VmRSS/{print $2}' "/proc/$pid1/status"
  if [ "$2" = NB_USER=$user ]; then # our session process: the PAM session lives there
    local sess; sess=$(pgrep -P "$pid1" | head -1)
    [ -n "$sess" ] && awk '/^VmRSS/{print $2}' "/proc/$sess/status" >"$work/session.rss"
  fi
  wait "$ns" || true
}
rss_init=$(pid1_rss "${initenv[@]}" "$init" -- sleep 3)
rss_tini=$(pid1_rss /usr/bin/tini -- sleep 3)
echo "mmlspark-init (PID 1, job dropped to $user, PAM session open): $rss_init kB"
echo "session process (holds PAM, root, not PID 1):                 $(cat "$work/session.rss" 2>/dev/null || echo '?') kB"
echo "tini (PID 1, dynamic):                                         $rss_tini kB"
awk -v a="$rss_init" -v b="$rss_tini" 'BEGIN{printf "ratio PID-1 RSS mmlspark-init / tini = %.2fx (target <= 1.0)\n", a / b}'
