# tool_cache.sh - what the suites' tool installers (tests/data/setup.sh, tests/teams/setup.sh)
# share. Source it with `setup` (the script's name, for messages) and `log` (its log file) set.
# step WHAT SECONDS COMMAND...: runs COMMAND bounded, output to $log; on a failure its tail and
#   one line naming WHAT, exit 1.
# need_npm WHY: Debian's nodejs and npm (apt-get, as root) when no npm is on PATH.
step() {
  local what=$1 secs=$2
  shift 2
  if ! timeout "$secs" "$@" >>"$log" 2>&1 </dev/null; then
    tail -15 "$log" >&2
    echo "$setup: $what failed (log: $log)" >&2
    exit 1
  fi
}
need_npm() {
  command -v npm >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || { echo "$setup: npm is missing: run as root to install Debian's nodejs and npm" >&2; exit 1; }
  echo "$setup: installing Debian's nodejs and npm ($1)"
  step "apt-get update" 300 env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  step "apt-get install nodejs npm" 600 env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends nodejs npm
}
