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
    """VmRSS of PID and all its descendants, MB."""
    children = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % p) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(p))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open("/proc/%d/status" % p) as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


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
    print("idle memory after one job (VmRSS, Python + Spark JVM):")
    print("  notebook kernel (image's defaults, SynapseML on the class path): %7.0f MB" % k)
    print("  plain pyspark (SparkSession.builder.getOrCreate(), no packages): %7.0f MB" % q)
    print("  ratio kernel / plain pyspark: %.2f" % (k / q))


if __name__ == "__main__":
    main()
