#!/usr/bin/env python3
"""nospark.py - a notebook kernel that never touches Spark against a plain ipykernel of the same
image: the kernel's start (start_new_kernel until it answers) and its idle memory after one
plain cell and 5 s idle (VmRSS, Pss and private pages of the kernel and its children, from
/proc/PID/smaps_rollup). The plain ipykernel is ipykernel's own launcher (ipykernel_launcher,
not the image's mmlspark_kernel_app) with the image's startup file
(/etc/ipython/startup/00-spark.py) moved away. Alternating, N runs each, medians and ratios
(target <= 1.05); each run also says how many Java processes the kernel has (0 expected).
Runs inside the image as root (it moves that file and puts it back):
  docker run --rm --network none -u 0 -v $PWD/bench/notebook:/bench:ro IMAGE \
      python3 /bench/nospark.py [-n N]
Not a test: prints numbers."""
import argparse
import json
import os
import statistics
import tempfile
import time

from jupyter_client.manager import start_new_kernel

STARTUP = "/etc/ipython/startup/00-spark.py"  # the image's Spark in kernels
SPEC = "/opt/venv/share/jupyter/kernels/python3/kernel.json"  # the image's kernel
CELL = "import os, sys\nx = sum(range(1000))\nprint(x)"
FIELDS = ("Rss", "Pss", "Private_Clean", "Private_Dirty")


def tree(pid):
    """PID and its descendants."""
    children = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % p) as f:
                children.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(int(p))
        except (OSError, ValueError, IndexError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def memory_kib(pid):
    total = dict.fromkeys(FIELDS, 0)
    for p in tree(pid):
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    key, _, rest = line.partition(":")
                    if key in total:
                        total[key] += int(rest.split()[0])
        except OSError:
            continue
    return {"rss": total["Rss"], "pss": total["Pss"],
            "private": total["Private_Clean"] + total["Private_Dirty"]}


def plain_kernelspec():
    """A kernelspec dir (for JUPYTER_PATH) whose kernel `ipykernel-plain` is the image's with
    ipykernel's own launcher."""
    with open(SPEC) as f:
        spec = json.load(f)
    spec["argv"] = [a if a != "mmlspark_kernel_app" else "ipykernel_launcher"
                    for a in spec["argv"]]
    top = tempfile.mkdtemp()
    os.makedirs(os.path.join(top, "kernels", "ipykernel-plain"))
    with open(os.path.join(top, "kernels", "ipykernel-plain", "kernel.json"), "w") as f:
        json.dump(spec, f)
    return top


def one(plain):
    if plain:
        os.rename(STARTUP, STARTUP + ".bench-off")
    try:
        t0 = time.monotonic()
        km, kc = start_new_kernel(kernel_name="ipykernel-plain" if plain else "python3",
                                  startup_timeout=120)
        started = time.monotonic() - t0
    finally:
        if plain:
            os.rename(STARTUP + ".bench-off", STARTUP)
    try:
        reply = kc.execute_interactive(CELL, timeout=60, output_hook=lambda m: None)
        assert reply["content"]["status"] == "ok", reply["content"]
        time.sleep(5)
        mem = memory_kib(km.provisioner.process.pid)
        java = sum(1 for p in tree(km.provisioner.process.pid)
                   if open("/proc/%d/comm" % p).read().strip() == "java")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return dict(mem, start=started, java=java)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    n = ap.parse_args().n
    os.environ["JUPYTER_PATH"] = plain_kernelspec()
    res = {"image's kernel": [], "plain ipykernel": []}
    for i in range(n):
        for label in (list(res) if i % 2 == 0 else list(res)[::-1]):
            x = one(label == "plain ipykernel")
            res[label].append(x)
            print("run %d %-15s start %5.2f s  VmRSS %6d KiB  Pss %6d KiB  private %6d KiB  "
                  "Java processes %d" % (i + 1, label, x["start"], x["rss"], x["pss"],
                                         x["private"], x["java"]), flush=True)
    print()
    ours, plain = res["image's kernel"], res["plain ipykernel"]
    for key, what in (("start", "start (s)"), ("rss", "VmRSS (KiB)"), ("pss", "Pss (KiB)"),
                      ("private", "private (KiB)")):
        a = statistics.median(x[key] for x in ours)
        b = statistics.median(x[key] for x in plain)
        print("%-14s image's kernel %9.2f  plain ipykernel %9.2f  ratio %.3f (target <= 1.05)%s"
              % (what, a, b, a / b, "" if a / b <= 1.05 else "  ABOVE TARGET"))


if __name__ == "__main__":
    main()
