#!/usr/bin/env bash
# run.sh - benchmark mmlspark-init against tini and dumb-init (Debian packages), side by side.
#
# Usage: bench/init/run.sh [--quick]      (as root: each init runs as PID 1 of `unshare -fp`)
# Builds a Release build into build-bench/, then measures in one run:
#   - PID-1 VmRSS / Pss / private memory while supervising `sleep` (read from outside);
#   - wall time of a 10 000-orphan storm until the init exits, and the zombies left (see orphans.c
#     for why the job waits for PID 1 to reap every orphan before it exits), the CPU time of the
#     whole namespace (steadier than the wall on a shared machine), and, for information, a burst
#     where 3 000 live orphans exit at once (its drain is dominated by the kernel's wait4 walk of
#     PID 1's child list, so it swings from run to run whichever init runs);
#   - start overhead of `INIT -- true` with hyperfine, outside a PID namespace and inside one;
#   - the NB_UID/NB_GID ownership walk over a 100 000-file tree against GNU chown -R --from
#     (measure_walk.py, appended to the same file).
# Prints a table with ratios and writes it to artifacts/bench-init.txt. Exit 1 if a target is missed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
build=build-bench
quick=()
[[ ${1:-} == --quick ]] && quick=(--quick)

if [[ $(id -u) -ne 0 ]]; then
    echo "run.sh: needs root (unshare -p and mounting /proc)" >&2
    exit 64
fi
for tool in unshare timeout hyperfine python3 cc /usr/bin/tini /usr/bin/dumb-init; do
    if ! command -v "$tool" >/dev/null; then
        echo "run.sh: '$tool' not found (apt-get install tini dumb-init hyperfine util-linux gcc)" >&2
        exit 69
    fi
done

echo "building a Release build in $build/ ..." >&2
timeout 900 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DMMLSPARK_TESTS=OFF >/dev/null
timeout 900 cmake --build "$build" -j2 >/dev/null
# Static and small, so that forking 20 000 times costs the spawner as little as possible.
cc -O2 -static -Wall -Wextra -o "$build/bench-orphans" bench/init/orphans.c
# The ownership walk of NB_UID/NB_GID alone, as init runs it, against GNU chown -R --from.
cc -O2 -Wall -Wextra -D_GNU_SOURCE -Iinit -Ilib -o "$build/bench-walk" bench/init/walk.c \
    init/chowntree.c lib/log.c lib/stopsig.c

# The default config file and the EULA notice stay as a user would have them; only the log
# level is left at its default too, so this measures the binary as shipped.
# Which code was measured: the commit, plus a mark when init/ or lib/ have uncommitted changes.
BENCH_COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- init lib || echo '+dirty')"
export BENCH_COMMIT
status=0
timeout 1800 python3 bench/init/measure.py "$root/$build/init/mmlspark-init" \
    "$root/$build/bench-orphans" "$root/artifacts/bench-init.txt" "${quick[@]}" || status=1
timeout 900 python3 bench/init/measure_walk.py "$root/$build/bench-walk" \
    "$root/artifacts/bench-init.txt" || status=1
exit $status
