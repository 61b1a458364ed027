#!/usr/bin/env python3
"""kernel_two_heaps.py - runs inside the image, in a container with a memory limit: two notebook
kernels (as Jupyter starts them, jupyter_client) each start Spark, then both fill their driver's
heap at the same time (arrays held in the JVM up to 65 % of its heap: a busy driver). Prints RESULT lines: each driver's heap (MiB), what each held, the container's OOM kills
(cgroup), and whether both kernels still answer. Exit 0 when both kernels answered every cell."""
import json
import sys
import threading

from jupyter_client.manager import start_new_kernel

from kernel_session import run_cell

HEAP = ("rt = spark._jvm.java.lang.Runtime.getRuntime()\n"
        "print('RESULT heap_%s', rt.maxMemory() // 2**20)")
FILL = ("held, chunk = [], 2**18\n"  # long[] of 256 KiB: not humongous for G1, and py4j
        # keeps a reference to it (a byte[] would be copied to Python)
        "while (len(held) + 1) * chunk < 0.65 * rt.maxMemory():\n"  # G1 keeps a reserve
        "    held.append(sc._gateway.new_array(sc._jvm.long, chunk // 8))\n"
        "import time\ntime.sleep(5)\n"
        "print('RESULT held_%s', len(held) // 4)")
ALIVE = "print('RESULT alive_%s', spark.range(3).count())"


def oom_kills():
    for path, key in (("/sys/fs/cgroup/memory.events", "oom_kill"),
                      ("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill")):
        try:
            with open(path) as f:
                return dict(line.split() for line in f if line.strip()).get(key, "?")
        except OSError:
            continue
    return "?"


def show(cell, out):
    print("CELL %s %s" % (cell, json.dumps(out)), flush=True)
    for line in out.splitlines():
        if line.startswith("RESULT "):
            print(line, flush=True)


def main():
    kernels = {}
    try:
        for name in ("a", "b"):  # the second kernel starts Spark while the first's runs
            km, kc = start_new_kernel(kernel_name="python3", startup_timeout=240)
            kernels[name] = (km, kc)
            show("heap_" + name, run_cell(kc, km, HEAP % name)[2])
        held = {}
        busy = [threading.Thread(target=lambda n, km, kc: held.update({n: run_cell(
            kc, km, FILL % n, timeout=400)[2]}), args=(name, km, kc))
            for name, (km, kc) in kernels.items()]  # both busy at once
        for t in busy:
            t.start()
        for t in busy:
            t.join()
        for name in kernels:
            show("held_" + name, held.get(name, "no reply\n"))
        for name, (km, kc) in kernels.items():
            show("alive_" + name, run_cell(kc, km, ALIVE % name)[2])
        print("RESULT oom_kills %s" % oom_kills(), flush=True)
    finally:
        for km, kc in kernels.values():
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
