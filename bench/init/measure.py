#!/usr/bin/env python3
"""measure.py - runs mmlspark-init, tini and dumb-init side by side as PID 1 and prints ratios.

Called by run.sh (which builds the binaries); every child process runs under a timeout.
Usage: measure.py MMLSPARK_INIT ORPHANS_HELPER OUT_FILE [--quick]
"""
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

UNSHARE = ["unshare", "-fp", "--mount-proc"]
RSS_REPS = 7
STORM_REPS = 7  # trickle (the target); the burst runs BURST_REPS
BURST_REPS = 5
STORM_ORPHANS = 10000
# The burst holds all its orphans alive at once: kept smaller so that it does not eat the pids
# (kernel.pid_max is 32768 here) that other jobs on the machine need.
BURST_ORPHANS = 3000
STORM_TIMEOUT = 120  # seconds for one storm run, init included
HF_WARMUP, HF_RUNS = 20, 300


def inits(mml):
    """name -> argv prefix that runs the rest of the argv under that init."""
    return {
        "mmlspark-init": [mml, "--"],
        "tini": ["/usr/bin/tini", "--"],
        "dumb-init": ["/usr/bin/dumb-init"],
    }


NAMES = ["mmlspark-init", "tini", "dumb-init"]


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def memory(pid):
    """VmRSS, Pss and Private (Private_Clean + Private_Dirty) of pid, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                out["rss"] = int(line.split()[1])
            elif line.startswith("RssAnon:"):
                out["anon"] = int(line.split()[1])
    priv = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key == "Pss":
                out["pss"] = int(rest.split()[0])
            elif key in ("Private_Clean", "Private_Dirty"):
                priv += int(rest.split()[0])
    out["priv"] = priv
    return out


def rss_once(prefix, log):
    """Starts INIT sleep as PID 1 of a new namespace, reads its memory from outside, kills it."""
    un = subprocess.Popen(UNSHARE + prefix + ["sleep", "300"], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        init = None
        while time.monotonic() < deadline:
            kids = children(un.pid)
            if kids:
                init = kids[0]
                # Settled: the init's child has exec'd sleep.
                if any(comm(k) == "sleep" for k in children(init)):
                    break
            time.sleep(0.01)
        else:
            raise RuntimeError(f"{prefix[0]} did not start sleep within 10 s")
        time.sleep(0.3)
        return memory(init)
    finally:
        # SIGKILL to a namespace's init from its parent namespace always works; the kernel then
        # kills the rest of the namespace.
        for k in children(un.pid):
            os.kill(k, signal.SIGKILL)
        try:
            un.wait(timeout=10)
        except subprocess.TimeoutExpired:
            un.kill()
            un.wait()


def storm_once(prefix, orphans, mode, count):
    """Wall time from starting the namespace until the init exited; the helper's own figures."""
    argv = ["timeout", "-k", "5", str(STORM_TIMEOUT)] + UNSHARE + prefix + [
        orphans, mode, str(count), str(STORM_TIMEOUT - 10)]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    wall = (time.monotonic() - t0) * 1e3
    # Every process of the namespace was reaped by an ancestor, so this is the CPU time of the
    # whole storm (helper, orphans, init): far less sensitive to other jobs' load than the wall.
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    tree_cpu = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) * 1e3
    fields = {}
    for word in p.stdout.split():
        k, _, v = word.partition("=")
        fields[k] = float(v)
    if p.returncode != 0 or "zombies" not in fields or fields.get("orphans") != count:
        print(f"  storm under {prefix[0]}: exit {p.returncode}, output {p.stdout.strip()!r}",
              file=sys.stderr)
        for k in ("orphans", "spawn_ms", "drain_ms", "init_cpu_ms", "drain_cpu_ms", "left",
                  "zombies"):
            fields.setdefault(k, float("nan"))
    fields["wall_ms"] = wall
    fields["tree_cpu_ms"] = tree_cpu
    fields["rc"] = p.returncode or (0 if fields["orphans"] == count else 1)
    return fields


def hyperfine(cmds, tmpdir, tag):
    """Median wall time in ms of each command (hyperfine, no shell)."""
    out = os.path.join(tmpdir, f"hf-{tag}.json")
    argv = ["timeout", "600", "hyperfine", "-N", "--style", "none", "--warmup", str(HF_WARMUP),
            "--runs", str(HF_RUNS), "--export-json", out] + cmds
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    with open(out) as f:
        res = json.load(f)["results"]
    # Wall medians swing with the machine's load; user+sys CPU time (means) much less so.
    return [(r["median"] * 1e3, (r["user"] + r["system"]) * 1e3) for r in res]


def start_overhead(mml, tmpdir):
    # Outside a namespace every init is a plain child of hyperfine: mmlspark-init registers as a
    # child subreaper by itself, tini does so with -s, dumb-init has no such mode.
    outside = {
        "mmlspark-init": f"{mml} -- true",
        "tini": "/usr/bin/tini -s -- true",
        "dumb-init": "/usr/bin/dumb-init true",
        "baseline": "true",
    }
    us = " ".join(UNSHARE)
    inside = {
        "mmlspark-init": f"{us} {mml} -- true",
        "tini": f"{us} /usr/bin/tini -- true",
        "dumb-init": f"{us} /usr/bin/dumb-init true",
        "baseline": f"{us} true",
    }
    result = {}
    for tag, cmds in (("outside", outside), ("inside", inside)):
        keys = list(cmds)
        times = hyperfine([cmds[k] for k in keys], tmpdir, tag)
        for k, t in zip(keys, times):
            result[(tag, k)] = t
    return result, outside, inside


def fmt(v, digits=1):
    if v is None or v != v:
        return "n/a"
    return f"{v:.{digits}f}"


def ratio(a, b):
    if not b or a != a or b != b:
        return "n/a"
    return f"{a / b:.2f}"


def main():
    mml, orphans, out_file = sys.argv[1:4]
    quick = "--quick" in sys.argv
    global RSS_REPS, STORM_REPS, BURST_REPS, HF_RUNS
    if quick:
        RSS_REPS, STORM_REPS, BURST_REPS, HF_RUNS = 3, 2, 1, 50
    prefixes = inits(mml)
    lines = []

    def say(s=""):
        print(s, flush=True)
        lines.append(s)

    env_note = (f"mmlspark-init at {os.environ.get('BENCH_COMMIT', '?')}; "
                f"{os.uname().release}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f} at "
                f"start; {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print("RSS: each init supervising sleep as PID 1 ...", file=sys.stderr, flush=True)
    mem = {n: [] for n in NAMES}
    with open(os.devnull, "w") as log:
        for _ in range(RSS_REPS):  # interleaved so background load hits all three alike
            for n in NAMES:
                mem[n].append(rss_once(prefixes[n], log))
    med = {n: {k: statistics.median(m[k] for m in mem[n]) for k in ("rss", "anon", "pss", "priv")}
           for n in NAMES}
    # The memory targets compare the minimum of the runs: the least noise from fault-around and
    # page-cache state that other jobs on the machine change between runs.
    low = {n: {k: min(m[k] for m in mem[n]) for k in ("rss", "anon")} for n in NAMES}

    print(f"orphan storm: {STORM_ORPHANS} orphans x {STORM_REPS} runs per init ...",
          file=sys.stderr, flush=True)
    keys = ("wall_ms", "tree_cpu_ms", "spawn_ms", "drain_ms", "init_cpu_ms", "drain_cpu_ms")
    storms = {n: [] for n in NAMES}
    for _ in range(STORM_REPS):
        for n in NAMES:
            storms[n].append(storm_once(prefixes[n], orphans, "trickle", STORM_ORPHANS))
    st = {n: {k: statistics.median(r[k] for r in storms[n]) for k in keys} for n in NAMES}
    bursts = {n: [] for n in NAMES}
    for _ in range(BURST_REPS):
        for n in NAMES:
            bursts[n].append(storm_once(prefixes[n], orphans, "burst", BURST_ORPHANS))
    bu = {n: {k: statistics.median(r[k] for r in bursts[n]) for k in keys} for n in NAMES}
    zombies = {n: max(r["zombies"] + r["left"] for r in storms[n] + bursts[n]) for n in NAMES}
    failed = {n: sum(r["rc"] != 0 for r in storms[n] + bursts[n]) for n in NAMES}
    raw = {"rss": mem, "storm": storms, "burst": bursts}

    print(f"start overhead: hyperfine --warmup {HF_WARMUP} --runs {HF_RUNS} ...",
          file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        start, outside, inside = start_overhead(mml, tmp)

    rows = [
        ("PID-1 VmRSS, supervising sleep (KiB)", {n: med[n]["rss"] for n in NAMES}, 0),
        (f"PID-1 VmRSS, min of {RSS_REPS} (KiB)", {n: low[n]["rss"] for n in NAMES}, 0),
        ("PID-1 RssAnon (KiB)", {n: med[n]["anon"] for n in NAMES}, 0),
        (f"PID-1 RssAnon, min of {RSS_REPS} (KiB)", {n: low[n]["anon"] for n in NAMES}, 0),
        ("PID-1 Pss (smaps_rollup) (KiB)", {n: med[n]["pss"] for n in NAMES}, 0),
        ("PID-1 Private_Clean+Dirty (KiB)", {n: med[n]["priv"] for n in NAMES}, 0),
        (f"orphan storm {STORM_ORPHANS}: wall until init exit (ms)",
         {n: st[n]["wall_ms"] for n in NAMES}, 1),
        ("  of which: helper forking (ms)", {n: st[n]["spawn_ms"] for n in NAMES}, 1),
        ("  of which: drain after the last fork (ms)", {n: st[n]["drain_ms"] for n in NAMES}, 1),
        ("  init CPU time during the storm (ms)", {n: st[n]["init_cpu_ms"] for n in NAMES}, 1),
        ("  CPU time of the whole namespace (ms)", {n: st[n]["tree_cpu_ms"] for n in NAMES}, 1),
        (f"burst: {BURST_ORPHANS} orphans exit at once: wall (ms)",
         {n: bu[n]["wall_ms"] for n in NAMES}, 1),
        ("  burst drain: exit until all reaped (ms)", {n: bu[n]["drain_ms"] for n in NAMES}, 1),
        ("  init CPU time during the drain (ms)", {n: bu[n]["drain_cpu_ms"] for n in NAMES}, 1),
        ("zombies/processes left at the end (max)", zombies, 0),
        ("storm/burst runs that failed", failed, 0),
        ("start `INIT -- true`, outside (subreaper) (ms)",
         {n: start[("outside", n)][0] for n in NAMES}, 3),
        ("start `INIT -- true`, inside as PID 1 (ms)",
         {n: start[("inside", n)][0] for n in NAMES}, 3),
        ("  the same, CPU user+sys, outside (ms)", {n: start[("outside", n)][1] for n in NAMES}, 3),
        ("  the same, CPU user+sys, inside (ms)", {n: start[("inside", n)][1] for n in NAMES}, 3),
    ]
    say(f"mmlspark-init vs tini vs dumb-init, measured in one run ({env_note})")
    say(f"RSS: median (and min) of {RSS_REPS}; storm: median of {STORM_REPS}, burst: median of {BURST_REPS}; "
        f"start: hyperfine median of {HF_RUNS} (warmup {HF_WARMUP}); runs interleaved")
    say()
    w = 48
    say(f"{'metric':<{w}} {'mmlspark-init':>13} {'tini':>10} {'dumb-init':>10} "
        f"{'vs tini':>8} {'vs dumb':>8}")
    say("-" * (w + 55))
    for label, vals, d in rows:
        a, t, di = vals["mmlspark-init"], vals["tini"], vals["dumb-init"]
        say(f"{label:<{w}} {fmt(a, d):>13} {fmt(t, d):>10} {fmt(di, d):>10} "
            f"{ratio(a, t):>8} {ratio(a, di):>8}")
    say()
    say(f"baselines (no init): `true` {start[('outside', 'baseline')][0]:.3f} ms "
        f"(CPU {start[('outside', 'baseline')][1]:.3f}), `{' '.join(UNSHARE)} true` "
        f"{start[('inside', 'baseline')][0]:.3f} ms (CPU {start[('inside', 'baseline')][1]:.3f})")
    say("start overhead net of baseline (ms): " + ", ".join(
        f"{n} outside {start[('outside', n)][0] - start[('outside', 'baseline')][0]:.3f} / "
        f"inside {start[('inside', n)][0] - start[('inside', 'baseline')][0]:.3f}" for n in NAMES))
    # Each round runs the three inits back to back, so a per-round ratio cancels most of the
    # drift in background load that the medians above still carry.
    def paired(runs, other):
        return statistics.median(a["wall_ms"] / b["wall_ms"]
                                 for a, b in zip(runs["mmlspark-init"], runs[other]))
    say(f"storm wall, median of per-round ratios: vs tini {paired(storms, 'tini'):.2f}, "
        f"vs dumb-init {paired(storms, 'dumb-init'):.2f}; burst wall: vs tini "
        f"{paired(bursts, 'tini'):.2f}, vs dumb-init {paired(bursts, 'dumb-init'):.2f}")
    say("storm wall per run (ms): " + "; ".join(
        f"{n} " + " ".join(f"{r['wall_ms']:.0f}" for r in storms[n]) for n in NAMES))
    say()
    targets = [
        ("VmRSS <= 1.0 x tini", low["mmlspark-init"]["rss"] <= low["tini"]["rss"],
         f"{low['mmlspark-init']['rss'] / low['tini']['rss']:.2f} x tini, "
         f"{low['mmlspark-init']['rss'] / low['dumb-init']['rss']:.2f} x dumb-init, "
         f"min of {RSS_REPS}"),
        ("RssAnon <= 1.5 x tini", low["mmlspark-init"]["anon"] <= 1.5 * low["tini"]["anon"],
         f"{low['mmlspark-init']['anon'] / low['tini']['anon']:.2f} x tini, "
         f"{low['mmlspark-init']['anon'] / low['dumb-init']['anon']:.2f} x dumb-init, "
         f"min of {RSS_REPS}"),
        ("orphan storm <= 1.0 x tini", paired(storms, "tini") <= 1.0,
         f"{paired(storms, 'tini'):.2f} x, median of per-round ratios; "
         f"{st['mmlspark-init']['wall_ms'] / st['tini']['wall_ms']:.2f} x of the medians"),
        ("0 zombies", zombies["mmlspark-init"] == 0 and failed["mmlspark-init"] == 0,
         f"{zombies['mmlspark-init']:.0f} left, {failed['mmlspark-init']} failed runs"),
    ]
    for name, ok, val in targets:
        say(f"target {name:<28} {'MET' if ok else 'MISSED':<7} ({val})")
    say()
    say("commands:")
    for n in NAMES:
        say(f"  {n}: rss: {' '.join(UNSHARE + prefixes[n])} sleep 300")
        say(f"  {n}: storm: {' '.join(UNSHARE + prefixes[n])} bench-orphans trickle "
            f"{STORM_ORPHANS} {STORM_TIMEOUT - 10}  (burst: bench-orphans burst {BURST_ORPHANS} ...)")
        say(f"  {n}: start: `{outside[n]}` and `{inside[n]}`")
    os.makedirs(os.path.dirname(out_file) or ".", exist_ok=True)
    with open(out_file, "w") as f:
        f.write("\n".join(lines) + "\n")
    raw["start"] = {f"{k[0]} {k[1]}": {"median_ms": v[0], "cpu_ms": v[1]}
                    for k, v in start.items()}
    with open(os.path.splitext(out_file)[0] + ".json", "w") as f:
        json.dump(raw, f, indent=1)
    print(f"\nwritten to {out_file}", file=sys.stderr)
    return 0 if all(ok for _, ok, _ in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
