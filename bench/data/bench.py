#!/usr/bin/env python3
"""bench/data/bench.py - what each connector and table format adds to a notebook's first cell.

The first cell of a headless notebook with plain Spark (bench/notebook's "plain" cell, `-e
MML_PACKAGE=`, `--network none`), measured the way bench/notebook measures it (host wall clock
before `docker run` -> the cell has run), on images that differ only in which of the image's
connector jars are linked into Spark's jars/ (derived from IMAGE by removing links; nothing else
changes): none (the anchor), each group alone, and all (the image as shipped). Alternating
variants, N runs each; medians, the difference to "none" and the ratio.
Usage: bench.py --image IMAGE --work DIR [-n N] [--label LABEL]     Not a test: prints numbers.
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "notebook"))
import bench as nb  # noqa: E402  (bench/notebook/bench.py: Runner, first_cell_run, the cells)

# link targets under /opt/connectors/maven/ of each group (the rest: "all" only)
GROUPS = {
    "s3a": "com/amazonaws/ org/apache/hadoop/hadoop-aws/ software/amazon/ com/fasterxml/",
    "azure": "com/microsoft/azure/ org/apache/hadoop/hadoop-azure/ org/eclipse/jetty/ org/wildfly/",
    "delta": "io/delta/",
    "iceberg": "org/apache/iceberg/",
}


def derived(image, keep, tag):
    """IMAGE with only the links to jars under the prefixes KEEP (space-separated) in jars/."""
    pats = "|".join("/opt/connectors/maven/%s*" % p for p in keep.split()) or "/nothing"
    dockerfile = ("FROM %s\nUSER root\nRUN cd /opt/spark/jars && for l in $(find . -maxdepth 1 -type l); do "
                  "case \"$(readlink \"$l\")\" in %s) ;; *) rm \"$l\" ;; esac; done && "
                  "echo \"links left: $(find . -maxdepth 1 -type l | wc -l)\"\nUSER 1000\n" % (image, pats))
    p = subprocess.run(["docker", "build", "-q", "-t", tag, "-"], input=dockerfile, text=True,
                       capture_output=True, env=dict(os.environ, DOCKER_BUILDKIT="0"), timeout=300)
    if p.returncode != 0:
        raise SystemExit("docker build of %s failed: %s" % (tag, p.stderr[-800:]))
    return tag


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--label", default="mmlspark-bench-data=%d" % os.getpid())
    ap.add_argument("-n", type=int, default=5)
    a = ap.parse_args()
    variants = [("none", derived(a.image, "", "mmlspark-bench-data:none"))]
    for g, keep in GROUPS.items():
        variants.append((g, derived(a.image, keep, "mmlspark-bench-data:" + g)))
    variants.append(("all", a.image))
    import json
    with open(os.path.join(a.work, "plain.ipynb"), "w") as f:
        json.dump(nb.notebook(nb.CELLS["plain"] + nb.CELL_COMMON_TAIL.replace("@MARK@", repr(nb.MARK))), f)
    os.chmod(os.path.join(a.work, "plain.ipynb"), 0o644)
    runners = {v: nb.Runner(img, a.work, a.label) for v, img in variants}
    res = {v: [] for v, _ in variants}
    try:
        for i in range(a.n):
            order = variants if i % 2 == 0 else variants[::-1]
            for v, _ in order:
                x = nb.first_cell_run(runners[v], "plain", ["-e", "MML_PACKAGE="], i)
                res[v].append(x)
                print("run %d %-8s first cell ready %6.2f s (JVM start -> SparkContext %5.2f s; CPU %5.1f s)"
                      % (i + 1, v, x["total"], x["sc"], x["cpu"]), flush=True)
    finally:
        for r in runners.values():
            r.cleanup()
    base = statistics.median(x["total"] for x in res["none"])
    print()
    print("%-8s %9s %9s %9s %8s" % ("variant", "median", "min", "max", "vs none"))
    for v, _ in variants:
        t = [x["total"] for x in res[v]]
        m = statistics.median(t)
        print("%-8s %7.2f s %7.2f s %7.2f s %+6.2f s  ratio %.3f" % (v, m, min(t), max(t), m - base, m / base))


if __name__ == "__main__":
    main()
