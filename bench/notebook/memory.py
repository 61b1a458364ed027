#!/usr/bin/env python3
"""memory.py - idle memory of a notebook kernel with Spark (the kernel's Python + its Spark JVM,
VmRSS) against plain pyspark (python3 making a SparkSession with pyspark's defaults) in the same
container, after each ran the same small job and sat idle for 10 s. Runs inside the image:
  docker run --rm --network none -v $PWD/bench/notebook:/bench:ro IMAGE python3 /bench/memory.py
Prints both figures (MB) and the ratio. Not a test."""
import os
import subprocess
import sys
import time

JOB = "spark.range(100000).selectExpr('sum(id)').collect()"


def tree_rss_mb(pid):
    """(VmRSS, Pss, private) of PID and all its descendants, MB (smaps_rollup: Pss counts a page
    shared by n processes, such as a class-data archive's, as 1/n)."""
    children = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % p) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(p))
    total, todo = {"Rss": 0, "Pss": 0, "Private": 0}, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    key, _, rest = line.partition(":")
                    if key in ("Rss", "Pss"):
                        total[key] += int(rest.split()[0])
                    elif key in ("Private_Clean", "Private_Dirty"):
                        total["Private"] += int(rest.split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return tuple(total[k] / 1024 for k in ("Rss", "Pss", "Private"))


def kernel():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=240)
    try:
        reply = kc.execute_interactive(JOB, timeout=240)
        assert reply["content"]["status"] == "ok", reply["content"]
        time.sleep(10)
        return tree_rss_mb(km.provisioner.process.pid)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def plain():
    code = ("import os, sys, time\nfrom pyspark.sql import SparkSession\n"
            "spark = SparkSession.builder.getOrCreate()\n" + JOB + "\n"
            "print('READY', flush=True)\ntime.sleep(600)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    try:
        for line in p.stdout:  # the JVM shares this stdout (Ivy's "loading settings" line)
            if line.strip() == "READY":
                break
        else:
            raise SystemExit("plain pyspark did not run the job")
        time.sleep(10)
        return tree_rss_mb(p.pid)
    finally:
        p.kill()
        p.wait()


def main():
    k = kernel()
    q = plain()
    print("idle memory after one job (Python + Spark JVM, MB): VmRSS / Pss / private")
    print("  notebook kernel (image's defaults, SynapseML on the class path): %5.0f / %5.0f / %5.0f"
          % k)
    print("  plain pyspark (SparkSession.builder.getOrCreate(), no packages): %5.0f / %5.0f / %5.0f"
          % q)
    print("  ratio kernel / plain pyspark: %.2f / %.2f / %.2f" % tuple(a / b for a, b in zip(k, q)))


if __name__ == "__main__":
    main()
