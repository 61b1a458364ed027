#!/usr/bin/env bash
# tests/fuzz/run.sh - builds the libFuzzer harnesses of mmlspark-eula, of mmlspark-env's cgroup
# limit parser and of the NSS module's name parser with clang into their own build dir and runs
# each for a bounded time; any crash, sanitizer report or hang fails.
# Usage: tests/fuzz/run.sh [HARNESS...]   (default: form nonce htmlesc origin server deadline
#        memlimit idname)
# Env: FUZZ_SECONDS (default 20) per harness; FUZZ_BUILD (default build-fuzz) build dir;
#      FUZZ_JOBS (default 1) harnesses run at once.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
here="$top/tests/fuzz"
out=${FUZZ_BUILD:-$top/build-fuzz}
secs=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-1}
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(form nonce htmlesc origin server deadline memlimit idname)
mkdir -p "$out"

cc=${CC_FUZZ:-clang}
cflags=(-g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
        -Wall -Wextra -Werror -I"$top/eula" -I"$top/lib" -I"$top/spark-env" -I"$top/nss")
declare -A srcs=(
  [form]="eula/form.c"
  [nonce]="eula/nonce.c"
  [origin]="eula/origin.c"
  [htmlesc]="eula/htmlesc.c eula/page.c"
  [memlimit]="spark-env/memlimit.c lib/smallfile.c"
  [idname]="nss/idname.c"
  [deadline]="lib/log.c"
  [server]="eula/server.c eula/idle.c eula/listen.c eula/form.c eula/nonce.c eula/origin.c eula/htmlesc.c eula/page.c lib/log.c"
)
for h in "${harnesses[@]}"; do
  [ -n "${srcs[$h]:-}" ] || { echo "unknown harness $h" >&2; exit 64; }
  files=()
  for f in ${srcs[$h]}; do files+=("$top/$f"); done
  libs=()
  case $h in server|deadline) read -ra libs <<<"$(pkg-config --cflags --libs libmicrohttpd)" ;; esac
  echo "== build fuzz_$h"
  "$cc" "${cflags[@]}" -o "$out/fuzz_$h" "$here/fuzz_$h.c" "${files[@]}" "${libs[@]}" -lpthread
done

run_one() {
  local h=$1 corpus="$out/corpus/$1" log="$out/fuzz_$1.log" extra=()
  mkdir -p "$corpus"
  [ "$h" = server ] && extra=(-dict="$here/http.dict" -max_len=4096)
  # -timeout: one input taking >10 s is a hang; -error_exitcode: any finding fails the run.
  if "$out/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -error_exitcode=77 -print_final_stats=1 -artifact_prefix="$out/fuzz_$h-" "${extra[@]}" \
      "$corpus" "$here/seeds/$h" >"$log" 2>&1; then
    echo "fuzz_$h: ok, $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs in ${secs}s, corpus $(find "$corpus" -type f | wc -l) files, $(find "$corpus" -type f -exec cat {} + | wc -c) bytes"
  else
    echo "fuzz_$h: FAILED (log: $log; reproducer: $out/fuzz_$h-crash-* etc.)"; tail -40 "$log"; return 1
  fi
}

status=0
pids=()
for h in "${harnesses[@]}"; do
  run_one "$h" & pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
