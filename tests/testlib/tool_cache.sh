# tool_cache.sh - what the suites' tool installers (tests/data/setup.sh, tests/teams/setup.sh)
# share. Source it with `setup` (the script's name, for messages) and `log` (its log file) set.
# step WHAT SECONDS COMMAND...: runs COMMAND bounded, output to $log; on a failure its tail and
#   one line naming WHAT, exit 1.
# need_npm WHY: Debian's nodejs and npm (apt-get, as root) when no npm is on PATH.
# install_once (below): the suite's venv and Node package, installed once.
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
# install_once NPM_PACKAGE WHY PIN...: a venv at $cache/venv with the PyPI PINs and NPM_PACKAGE
#   under $cache/node (WHY: what runs on Node), unless $cache/ready says they are there already.
install_once() {
  local npm_pkg=$1 why=$2
  shift 2
  local stamp="$* $npm_pkg"
  [ "$(cat "$cache/ready" 2>/dev/null)" != "$stamp" ] || return 0
  need_npm "$why"
  echo "$setup: installing $* and $npm_pkg under $cache"
  rm -rf "$cache/venv" "$cache/node"
  step "python3 -m venv" 120 /usr/bin/python3 -m venv "$cache/venv"
  step "pip install $*" 600 "$cache/venv/bin/pip" install --no-input --disable-pip-version-check \
    --cert /etc/ssl/certs/ca-certificates.crt "$@"
  step "npm install $npm_pkg" 600 npm install --no-audit --no-fund --prefix "$cache/node" "$npm_pkg"
  echo "$stamp" >"$cache/ready"
}
