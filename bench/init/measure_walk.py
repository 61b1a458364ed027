#!/usr/bin/env python3
"""measure_walk.py - init's ownership walk (NB_UID/NB_GID) against GNU `chown -R --from`, the same
100 000-file tree on tmpfs, in one run; prints wall and CPU medians, the ratio, and peak memory.

Usage: measure_walk.py WALK_HELPER OUT_FILE [--files N] [--rounds R] [--also LABEL=HELPER]...
(as root; run.sh builds the helper). Each round gives the tree to 4321:4322 and back to
1500:1500 with one tool, then with the next (interleaved); every tool's rounds touch every file.
--also times another build of the walk in the same rounds (the walk before a change, say); its
ratio to chown -R is printed beside the walk's.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROUNDS = 7


def make_tree(top, n_files):
    """n_files files in directories of 100, three levels deep, and a few hard links."""
    os.makedirs(top)
    made = 0
    a = 0
    while made < n_files:
        for b in range(10):
            d = os.path.join(top, f"a{a}", f"b{b}")
            os.makedirs(d)
            for i in range(100):
                if made >= n_files:
                    break
                with open(os.path.join(d, f"f{i}"), "w"):
                    pass
                made += 1
        a += 1
    subprocess.run(["chown", "-R", "1500:1500", top], check=True)


def timed(argv):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(argv, check=True)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall * 1000, cpu * 1000, r1.ru_maxrss


def main():
    walk, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[sys.argv.index("--files") + 1]) if "--files" in sys.argv else 100000
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else ROUNDS
    also = [sys.argv[i + 1].split("=", 1) for i, a in enumerate(sys.argv) if a == "--also"]
    top = f"/dev/shm/mmlspark-bench-walk-{os.getpid()}"
    make_tree(top, n)
    tools = {
        "mmlspark walk": lambda o, nw: [walk, top, *o, *nw],
        "chown -R": lambda o, nw: ["chown", "-R", "--from", f"{o[0]}:{o[1]}", f"{nw[0]}:{nw[1]}",
                                   top],
    }
    for label, helper in also:
        tools[label] = lambda o, nw, h=helper: [h, top, *o, *nw]
    res = {k: {"wall": [], "cpu": []} for k in tools}
    try:
        for _ in range(rounds):
            for name, argv in tools.items():
                for o, nw in ((("1500", "1500"), ("4321", "4322")),
                              (("4321", "4322"), ("1500", "1500"))):
                    wall, cpu, _ = timed(argv(o, nw))
                    res[name]["wall"].append(wall)
                    res[name]["cpu"].append(cpu)
        st = os.stat(os.path.join(top, "a0", "b0", "f0"))
        assert (st.st_uid, st.st_gid) == (1500, 1500), "the tree went back to 1500:1500"
    finally:
        shutil.rmtree(top, ignore_errors=True)
    w, c = res["mmlspark walk"], res["chown -R"]
    lines = [f"ownership walk over {n} files on tmpfs, {rounds} rounds x 2 directions, one run",
             f"{'':32}{'mmlspark walk':>14}{'chown -R':>10}{'ratio':>8}"
             + "".join(f"{label:>16}{'ratio':>8}" for label, _ in also)]
    for key, label in (("wall", "wall, median (ms)"), ("cpu", "CPU user+sys, median (ms)")):
        a, b = statistics.median(w[key]), statistics.median(c[key])
        extra = "".join(f"{statistics.median(res[t][key]):16.1f}"
                        f"{statistics.median(res[t][key]) / b:8.2f}" for t, _ in also)
        lines.append(f"{label:32}{a:14.1f}{b:10.1f}{a / b:8.2f}{extra}")
    ratio = statistics.median(w["wall"]) / statistics.median(c["wall"])
    lines.append(f"target walk <= 1.2 x chown -R     {'MET' if ratio <= 1.2 else 'MISSED'}"
                 f"     ({ratio:.2f} x)")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with open(out, "a") as f:
        f.write("\n" + text)
    return 0 if ratio <= 1.2 else 1


if __name__ == "__main__":
    sys.exit(main())
