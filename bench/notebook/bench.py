#!/usr/bin/env python3
"""bench.py - notebook benchmarks of mmlspark/release, all with `--network none`:
  1. first cell: host wall clock just before `docker run` -> the first cell of a notebook runs in
     the fresh container (headless `jupyter nbconvert --execute`). Variant "synapseml" (the
     image's default MML_PACKAGE) runs `import synapse.ml.lightgbm` with `spark` ready; variant
     "plain" (`-e MML_PACKAGE=`) only checks `spark`. Both print time.time() (the container
     shares the host's clock). Alternating A, B, B, A, ..., N runs each; each run's time, a
     breakdown (container start, kernel process, Spark JVM, SparkContext, cell), medians,
     min/max and the ratio synapseml/plain.
  2. the quickstart: /notebooks/synapseml-quickstart.ipynb executed headless; its printed
     `LightGBM fit: X s` (parsed from the executed notebook, copied out with `docker cp`).
(run.sh adds the image size.) Not a test: prints numbers. Python stdlib only.
Usage: bench.py --image IMAGE --work DIR [-n N] [--fit-runs K] [--label LABEL]
                [--only first-cell|fit]
  DIR is mounted read-only as /bench; every container gets --label LABEL (run.sh removes them).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

RUN_TIMEOUT = 300  # s, one headless first-cell notebook (startup alone is ~15 s)
FIT_TIMEOUT = 900  # s, the whole quickstart notebook
STARTUP_TIMEOUT = 240  # s, kernel start incl. Spark (nbconvert's default, 60 s, is too short
#                        for a Spark kernel on a busy 2-core machine)
MARK = "MMLSPARK_BENCH "

# The first (only) cell. t_cell: the cell starts; t_ready: its work is done (the number that
# counts). The rest is diagnostics, collected after t_ready so it does not count.
CELL_COMMON_TAIL = r'''
t_ready = time.time()
def _cpu():
    # CPU time used so far by every process of the container (its cgroup; v2, else v1)
    try:
        with open('/sys/fs/cgroup/cpu.stat') as f:
            return int(dict(l.split() for l in f)['usage_usec']) / 1e6
    except (OSError, KeyError, ValueError):
        pass
    try:
        with open('/sys/fs/cgroup/cpuacct/cpuacct.usage') as f:
            return int(f.read()) / 1e9
    except (OSError, ValueError):
        return float('nan')
cpu_ready = _cpu()
import json, os
def _start(pid):
    # process start, wall clock: /proc/uptime and the process' start tick (shared host kernel)
    with open('/proc/%s/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    with open('/proc/uptime') as f:
        up = float(f.read().split()[0])
    with open('/proc/%s/cmdline' % pid, 'rb') as f:
        cmd = f.read().replace(b'\0', b' ').decode(errors='replace').strip()
    return int(fields[1]), time.time() - (up - int(fields[19]) / os.sysconf('SC_CLK_TCK')), cmd
chain, pid = [], os.getpid()
while pid > 0:
    ppid, started, cmd = _start(pid)
    chain.append([pid, started, cmd[:80]])
    pid = ppid
jvm = sc._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
from pyspark import SparkFiles
copied = 0
for root, _dirs, files in os.walk(SparkFiles.getRootDirectory()):
    copied += sum(os.path.getsize(os.path.join(root, f)) for f in files)
print(@MARK@ + json.dumps({
    'variant': VARIANT, 't_cell': t_cell, 't_ready': t_ready, 'cpu': cpu_ready, 'chain': chain,
    'jvm_start': jvm.getStartTime() / 1000.0, 'sc_start': sc.startTime / 1000.0,
    'copied': copied, 'jars': len([j for j in (sc.getConf().get('spark.jars') or '').split(',') if j])
            + len([j for j in (sc.getConf().get('spark.driver.extraClassPath') or '').split(':')
                   if j.startswith('/opt/synapseml/')]),
    'notes': list(globals().get('_mmlspark_notes') or []),
    'mml_package': os.environ.get('MML_PACKAGE', ''), 'check': CHECK}))
'''

CELLS = {
    "synapseml": "import time\nt_cell = time.time()\nVARIANT = 'synapseml'\n"
                 "import synapse.ml.lightgbm\n"
                 "CHECK = synapse.ml.lightgbm.LightGBMClassifier.__module__ + ' / ' + spark.version\n",
    "plain": "import time\nt_cell = time.time()\nVARIANT = 'plain'\n"
             "CHECK = spark.version\n",
}

VARIANTS = [("synapseml", []), ("plain", ["-e", "MML_PACKAGE="])]


def notebook(source):
    return {"cells": [{"cell_type": "code", "id": "bench-first-cell", "metadata": {},
                       "execution_count": None, "outputs": [], "source": source}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def docker(*args, timeout=120, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True,
                          timeout=timeout, check=check)


def docker_time(text):
    """RFC 3339 with nanoseconds, UTC (docker inspect) -> epoch seconds."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", text.strip())
    if not m:
        return None
    import calendar
    base = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return base + (float("0." + m.group(2)) if m.group(2) else 0.0)


class Runner:
    def __init__(self, image, work, label):
        self.image, self.work, self.label = image, work, label
        self.names = []

    def run_notebook(self, name, extra, nb_path, timeout):
        """docker run (foreground) a headless nbconvert of NB_PATH; returns (t0, rc, stderr,
        executed notebook or None, container started-at). The container is kept until the
        executed notebook has been copied out, then removed."""
        self.names.append(name)
        cmd = ["docker", "run", "--name", name, "--network", "none", "--label", self.label,
               "-v", self.work + ":/bench:ro"] + extra + [
               self.image, "bash", "-c",
               "mmlspark-env -- jupyter nbconvert --to notebook --execute "
               "--ExecutePreprocessor.timeout=%d --ExecutePreprocessor.startup_timeout=%d "
               "--output /tmp/out.ipynb %s" % (timeout, STARTUP_TIMEOUT, nb_path)]
        t0 = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 30)
            rc, err = p.returncode, p.stderr
        except subprocess.TimeoutExpired:
            docker("rm", "-f", name, check=False)
            raise SystemExit("%s: did not finish within %d s" % (name, timeout + 30))
        started = docker_time(docker("inspect", "--format", "{{.State.StartedAt}}", name,
                                     check=False).stdout)
        out = os.path.join(self.work, name + ".ipynb")
        nb = None
        if docker("cp", name + ":/tmp/out.ipynb", out, check=False).returncode == 0:
            with open(out) as f:
                nb = json.load(f)
        docker("rm", "-f", name, check=False)
        return t0, rc, err, nb, started

    def cleanup(self):
        for name in self.names:
            subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)


def outputs_text(nb):
    text = []
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                t = o.get("text", "")
                text.append(t if isinstance(t, str) else "".join(t))
            elif o.get("output_type") == "error":
                text.append("%s: %s\n" % (o.get("ename"), o.get("evalue")))
    return "".join(text)


def fail(what, rc, err, nb):
    tail = "\n".join(err.strip().splitlines()[-25:])
    extra = outputs_text(nb) if nb else "(no executed notebook)"
    raise SystemExit("%s failed (exit %s)\n--- stderr (tail)\n%s\n--- cell output\n%s"
                     % (what, rc, tail, extra))


def first_cell_run(r, variant, extra, i):
    name = "mmlspark-nbbench-%d-%d-%s" % (os.getpid(), i, variant)
    t0, rc, err, nb, started = r.run_notebook(name, extra, "/bench/%s.ipynb" % variant,
                                              RUN_TIMEOUT - 30)
    if rc != 0 or nb is None:
        fail(name, rc, err, nb)
    line = [l for l in outputs_text(nb).splitlines() if l.startswith(MARK)]
    if not line:
        fail(name + " (no benchmark line in the cell output)", rc, err, nb)
    d = json.loads(line[0][len(MARK):])
    if d["notes"]:
        raise SystemExit("%s: the kernel warned: %s" % (name, d["notes"]))
    if variant == "synapseml" and d["jars"] == 0:
        raise SystemExit("%s: SynapseML variant without SynapseML's jars (spark.jars or the "
                         "driver's class path)" % name)
    if variant == "plain" and (d["jars"] or d["mml_package"]):
        raise SystemExit("%s: plain variant but jars/MML_PACKAGE are set" % name)
    # chain: [kernel, its parent (nbconvert), ..., PID 1 (mmlspark-init)]
    kernel_start = d["chain"][0][1]
    nbconvert = [c for c in d["chain"] if "nbconvert" in c[2]]
    return {
        "total": d["t_ready"] - t0,
        "cell_start": d["t_cell"] - t0,
        "cpu": d["cpu"],  # CPU s the container used until the cell was ready (less noisy)
        # phases, each measured from the end of the previous one
        "container": (started - t0) if started else float("nan"),  # docker run -> State.StartedAt
        "nbconvert": (nbconvert[0][1] if nbconvert else kernel_start) - (started or t0),
        "kernel": kernel_start - (nbconvert[0][1] if nbconvert else (started or t0)),
        "jvm": d["jvm_start"] - kernel_start,   # kernel process -> Spark's driver JVM starts
        "sc": d["sc_start"] - d["jvm_start"],   # JVM start -> SparkContext constructed (begins)
        "to_cell": d["t_cell"] - d["sc_start"],  # SparkContext -> the first cell runs
        "cell": d["t_ready"] - d["t_cell"],     # the cell itself (import synapse.ml.lightgbm)
        # not a phase of the chain above: the kernel's start plus the client's readiness check
        "kernel_to_cell": d["t_cell"] - kernel_start,
        "jars": d["jars"],
        "copied_mb": d["copied"] / 1e6,  # jars Spark's local executor copied to its userFiles
        "check": d["check"],
    }


PHASES = [("container", "docker run -> container started (daemon StartedAt)"),
          ("nbconvert", "container started -> nbconvert process started"),
          ("kernel", "nbconvert started -> kernel process started"),
          ("jvm", "kernel started -> Spark driver JVM started"),
          ("sc", "JVM started -> SparkContext construction begins"),
          ("to_cell", "SparkContext init, kernel ready -> first cell starts"),
          ("cell", "first cell (import synapse.ml.lightgbm / spark check)")]


def bench_first_cell(r, n):
    for variant, source in CELLS.items():
        with open(os.path.join(r.work, variant + ".ipynb"), "w") as f:
            json.dump(notebook(source + CELL_COMMON_TAIL.replace("@MARK@", repr(MARK))), f)
        os.chmod(os.path.join(r.work, variant + ".ipynb"), 0o644)
    res = {v: [] for v, _ in VARIANTS}
    for i in range(n):
        # A B, B A, A B, ...: neither variant always runs right after the other
        for variant, extra in (VARIANTS if i % 2 == 0 else VARIANTS[::-1]):
            others, load = noise()
            x = first_cell_run(r, variant, extra, i)
            x["others"], x["load"] = others, load
            res[variant].append(x)
            print("run %d %-9s first cell ready %6.2f s  (cell starts %6.2f s; CPU %5.1f s; "
                  "%2d jars, %3.0f MB copied to userFiles; other containers %d, load %.1f)"
                  % (i + 1, variant, x["total"], x["cell_start"], x["cpu"], x["jars"],
                     x["copied_mb"], others, load), flush=True)
    print()
    print("%-10s %9s %9s %9s   %s" % ("", "median", "min", "max", "runs"))
    med = {}
    for variant, _ in VARIANTS:
        t = [x["total"] for x in res[variant]]
        med[variant] = statistics.median(t)
        print("%-10s %7.2f s %7.2f s %7.2f s   %s" % (variant, med[variant], min(t), max(t),
                                                   " ".join("%.2f" % v for v in t)))
    ratio = med["synapseml"] / med["plain"]
    print("ratio synapseml/plain (median, first cell ready): %.3f (target <= 1.10)%s"
          % (ratio, "" if ratio <= 1.10 else "  ABOVE TARGET"))
    print("difference synapseml - plain (median): %+.2f s" % (med["synapseml"] - med["plain"]))
    cpu = {v: statistics.median(x["cpu"] for x in res[v]) for v, _ in VARIANTS}
    print("CPU time the container used until the cell was ready (median; less sensitive to other "
          "load): synapseml %.1f s, plain %.1f s, ratio %.3f"
          % (cpu["synapseml"], cpu["plain"], cpu["synapseml"] / cpu["plain"]))
    print()
    print("where the time goes (medians per phase, s):")
    print("  %-55s %9s %9s %8s" % ("phase", "synapseml", "plain", "diff"))
    for key, what in PHASES:
        a = statistics.median(x[key] for x in res["synapseml"])
        b = statistics.median(x[key] for x in res["plain"])
        print("  %-55s %9.2f %9.2f %+8.2f" % (what, a, b, a - b))
    print("  %-55s %s" % ("kernel started -> first cell starts, each run (s)",
                         "  ".join("%s %s" % (v, " ".join("%.2f" % x["kernel_to_cell"]
                                                           for x in res[v]))
                                   for v, _ in VARIANTS)))
    runs = [x for v in res.values() for x in v]
    busy = [x for x in runs if x["others"]]
    print()
    print("noise: other running containers at the start of %d of %d runs; 1-min load average "
          "(includes this benchmark's own kernels) "
          "%.1f..%.1f (%d cores)" % (len(busy), len(runs), min(x["load"] for x in runs),
                                     max(x["load"] for x in runs), os.cpu_count() or 0))
    # this benchmark's own kernels keep the load near the core count: only more is other work
    if busy or max(x["load"] for x in runs) > 2 * (os.cpu_count() or 1):
        print("noise: the machine was busy during this run; the times (and less so the ratio) "
              "are inflated by other work")
    return res


def noise():
    """(other running containers, 1-min load average) just before a run."""
    p = docker("ps", "-q", "--filter", "status=running", check=False)
    with open("/proc/loadavg") as f:
        load = float(f.read().split()[0])
    return len(p.stdout.split()), load


def bench_fit(r, runs):
    fits = []
    for i in range(runs):
        name = "mmlspark-nbbench-%d-fit-%d" % (os.getpid(), i)
        others, load = noise()
        t0, rc, err, nb, _ = r.run_notebook(name, [], "/notebooks/synapseml-quickstart.ipynb",
                                            FIT_TIMEOUT)
        wall = time.time() - t0
        if rc != 0 or nb is None:
            fail(name, rc, err, nb)
        text = outputs_text(nb)
        m = re.search(r"LightGBM fit: ([0-9.]+) s", text)
        if not m:
            fail(name + " (no `LightGBM fit:` line)", rc, err, nb)
        fits.append(float(m.group(1)))
        acc = re.search(r"^accuracy\s+([0-9.]+)", text, re.M)
        auc = re.search(r"^AUC\s+([0-9.]+)", text, re.M)
        print("quickstart run %d: LightGBM fit: %s s   (whole notebook incl. container: %.1f s%s; "
              "other containers %d, load %.1f)"
              % (i + 1, m.group(1), wall,
                 "; accuracy %s, AUC %s" % (acc.group(1), auc.group(1)) if acc and auc else "",
                 others, load), flush=True)
    if runs > 1:
        print("LightGBM fit median: %.1f s (min %.1f, max %.1f)"
              % (statistics.median(fits), min(fits), max(fits)))
    return fits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--work", required=True, help="temp dir, mounted read-only as /bench")
    ap.add_argument("--label", default="mmlspark-bench-notebook=%d" % os.getpid())
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--fit-runs", type=int, default=1)
    ap.add_argument("--only", choices=["first-cell", "fit"], default=None)
    a = ap.parse_args()
    r = Runner(a.image, a.work, a.label)
    try:
        if a.only in (None, "first-cell"):
            print("== first cell ready: docker run -> first cell ran (--network none), N=%d each, "
                  "alternating" % a.n, flush=True)
            bench_first_cell(r, a.n)
        if a.only in (None, "fit") and a.fit_runs > 0:
            print()
            print("== quickstart (/notebooks/synapseml-quickstart.ipynb, --network none), "
                  "%d run(s)" % a.fit_runs, flush=True)
            bench_fit(r, a.fit_runs)
    finally:
        r.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
