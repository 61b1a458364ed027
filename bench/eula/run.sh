#!/usr/bin/env bash
# bench/eula/run.sh - requests/s of GET / on mmlspark-eula vs the original design (Python's
# single-threaded http.server) vs nginx-light (one worker), all serving the same page bytes on
# loopback, in one run; then the same while 10 000 idle connections from one address are held
# open (a stuck tab or a port scanner behind Docker's proxy, which gives every client one address).
# Needs: wrk, nginx-light, python3, curl, cmake + the build dependencies.
# Env: BENCH_SECONDS (default 5) per wrk run, BENCH_CONNS (default 50), BENCH_IDLE (default 10000),
#      BENCH_ROUNDS (default 5; the median is reported, and a round slowed by another job on the
#      2 cores, which can halve it, weighs less than among 3), BENCH_BUSY (default 5000, more than
#      the page's 4096 connections) busy connections, each a POST body trickled a byte a second.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
here="$top/bench/eula"
secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNS:-50}
idle=${BENCH_IDLE:-10000}
busy=${BENCH_BUSY:-5000}
rounds=${BENCH_ROUNDS:-5}
build="$top/build-bench-eula"
tmp=$(mktemp -d /tmp/bench-eula.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== build mmlspark-eula (Release) in $build"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMMLSPARK_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target mmlspark-eula >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {  # URL: up to 10 s
  for _ in $(seq 1 100); do curl -fsS -m 1 -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "server at $1 did not come up" >&2; tail -n5 "$tmp"/*.log "$tmp"/*.stderr >&2 || true; return 1
}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

p_eula=$(free_port); p_py=$(free_port); p_ngx=$(free_port)
printf 'The same license text for all three servers: <terms> & conditions.\n\n%.0s' $(seq 1 20) >"$tmp/EULA.txt"
printf '# bench\n' >"$tmp/eula.conf"
"$build/eula/mmlspark-eula" --config "$tmp/eula.conf" --listen 127.0.0.1 --port "$p_eula" \
  --eula-file "$tmp/EULA.txt" 2>"$tmp/eula.log" & pids+=($!)
wait_http "http://127.0.0.1:$p_eula/healthz"
mkdir -p "$tmp/www"
chmod 755 "$tmp/www"
curl -fsS "http://127.0.0.1:$p_eula/" -o "$tmp/www/index.html"   # the page as rendered
chmod 644 "$tmp/www/index.html"
python3 "$here/original_server.py" "$p_py" "$tmp/www/index.html" 2>"$tmp/python.log" & pids+=($!)
cat >"$tmp/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  # tuned as an upper anchor: cached open(), sendfile, long keep-alive like the others
  open_file_cache max=16 inactive=60s;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$p_ngx;
    root $tmp/www;
    location / { index index.html; }
  }
}
NGX
nginx -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/nginx.stderr" & pids+=($!)
wait_http "http://127.0.0.1:$p_py/"
wait_http "http://127.0.0.1:$p_ngx/"
size=$(stat -c %s "$tmp/www/index.html")
echo "== page: $size bytes; wrk -t1 -c$conns -d${secs}s per server (2 cores: wrk on one, server on the other)"

# wrk RPS for URL (0 if it got nothing); --timeout bounds each request
rps() {
  local out
  out=$(timeout $((secs + 15)) wrk -t1 -c"$conns" -d"${secs}s" --timeout 2s "$1" 2>&1 || true)
  echo "$out" >>"$tmp/wrk.log"
  echo "$out" | awk '/Requests\/sec/ {print int($2); found=1} END {if (!found) print 0}'
}

# The machine is shared: R interleaved rounds, the median of each server is reported.
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
port_of() { case $1 in eula) echo "$p_eula" ;; python) echo "$p_py" ;; nginx) echo "$p_ngx" ;; esac; }
declare -A plain held runs_plain runs_held
for r in $(seq 1 "$rounds"); do
  for name in eula python nginx; do
    runs_plain[$name]+=" $(rps "http://127.0.0.1:$(port_of $name)/")"
  done
done
for name in eula python nginx; do plain[$name]=$(median ${runs_plain[$name]}); done

# held_runs KIND N RUNS [--busy]: RUNS[server] gets each round's req/s while N connections of
# KIND (idle, busy) are held open to that server.
held_runs() {
  local kind=$1 n=$2 p holder
  local -n runs=$3
  for r in $(seq 1 "$rounds"); do
    for name in eula python nginx; do
      p=$(port_of $name)
      python3 "$here/hold_idle.py" "$p" "$n" $((secs + 20)) "${@:4}" >"$tmp/$kind.$name" &
      holder=$!
      for _ in $(seq 1 100); do grep -qs holding "$tmp/$kind.$name" && break; sleep 0.1; done
      runs[$name]+=" $(rps "http://127.0.0.1:$p/")"
      [ "$r" = 1 ] && echo "   $name: $(cat "$tmp/$kind.$name") $kind connections"
      kill "$holder" 2>/dev/null || true
      wait "$holder" 2>/dev/null || true
    done
  done
}
echo "== again while $idle idle connections are held open to each server"
held_runs idle "$idle" runs_held
for name in eula python nginx; do held[$name]=$(median ${runs_held[$name]}); done
echo "== again while $busy busy connections (request bodies trickled a byte a second) are held"
declare -A busyh runs_busy
held_runs busy "$busy" runs_busy --busy
for name in eula python nginx; do busyh[$name]=$(median ${runs_busy[$name]}); done
echo "   runs (req/s): plain: eula${runs_plain[eula]} | python${runs_plain[python]} | nginx${runs_plain[nginx]}"
echo "                 held:  eula${runs_held[eula]} | python${runs_held[python]} | nginx${runs_held[nginx]}"
echo "                 busy:  eula${runs_busy[eula]} | python${runs_busy[python]} | nginx${runs_busy[nginx]}"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
echo
echo "== summary (median requests/s of $rounds runs, GET / of the same $size-byte page, loopback)"
printf '%-28s %12s %12s %12s %12s %12s\n' "" "eula" "python" "nginx" "eula/nginx" "eula/python"
for mode in plain held busyh; do
  declare -n m=$mode
  case $mode in
    plain) label="no idle connections" ;;
    held) label="$idle idle connections held" ;;
    busyh) label="$busy busy connections held" ;;
  esac
  printf '%-28s %12s %12s %12s %12s %12s\n' "$label" "${m[eula]}" "${m[python]}" "${m[nginx]}" \
    "$(ratio "${m[eula]}" "${m[nginx]}")" "$(ratio "${m[eula]}" "${m[python]}")"
done
echo "(target: eula/nginx >= 1.0; python 0 = the single-threaded server stalled on an idle socket)"
