#!/usr/bin/env python3
"""bench.py - our image (mmlspark-init as PID 1) vs a sibling image running the same Jupyter
under `tini -g` (docker-stacks' entrypoint): `docker run -d` -> Jupyter answers GET /api, and
`docker stop` time; N runs each, alternating; medians and ratios. Not a test: prints numbers.
Usage: bench.py --image IMAGE --tini-image IMAGE [-n N]"""
import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time

TOKEN = "bench-token-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/api")
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False


def one_run(image, extra, name):
    port = free_port()
    t0 = time.monotonic()
    subprocess.run(["docker", "run", "-d", "--name", name, "-e", "JUPYTER_TOKEN=" + TOKEN,
                    "-p", "127.0.0.1:%d:8888" % port] + extra + [image],
                   check=True, stdout=subprocess.DEVNULL, timeout=60)
    deadline = t0 + 90
    while not answers(port):
        if time.monotonic() > deadline:
            raise SystemExit("%s: Jupyter did not answer within 90 s" % name)
        time.sleep(0.02)
    start = time.monotonic() - t0
    time.sleep(1)  # let Jupyter settle, as a user's container would before being stopped
    t0 = time.monotonic()
    subprocess.run(["docker", "stop", name], check=True, stdout=subprocess.DEVNULL, timeout=60)
    stop = time.monotonic() - t0
    code = subprocess.run(["docker", "inspect", "--format", "{{.State.ExitCode}}", name],
                          capture_output=True, text=True, timeout=30).stdout.strip()
    subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL, timeout=60)
    return start, stop, code


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--tini-image", required=True)
    ap.add_argument("-n", type=int, default=5)
    a = ap.parse_args()
    variants = [("mmlspark-init", a.image, ["-e", "ACCEPT_EULA=y"]),
                ("tini -g", a.tini_image, [])]
    times = {v[0]: {"start": [], "stop": [], "codes": []} for v in variants}
    names = []
    try:
        for i in range(a.n):
            for label, image, extra in (variants if i % 2 == 0 else variants[::-1]):
                name = "mmlspark-bench-%d-%d-%s" % (os.getpid(), i, label.split()[0])
                names.append(name)
                start, stop, code = one_run(image, extra, name)
                t = times[label]
                t["start"].append(start)
                t["stop"].append(stop)
                t["codes"].append(code)
                print("run %d %-13s start %.3f s  stop %.3f s  exit %s" % (i + 1, label, start,
                                                                         stop, code), flush=True)
    finally:
        for name in names:
            subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
    ours, tini = times["mmlspark-init"], times["tini -g"]
    med = {k: {m: statistics.median(v[m]) for m in ("start", "stop")} for k, v in times.items()}
    print()
    print("%-14s %12s %12s  %s" % ("", "start (med)", "stop (med)", "exit codes"))
    for label in times:
        print("%-14s %10.3f s %10.3f s  %s" % (label, med[label]["start"], med[label]["stop"],
                                               ",".join(times[label]["codes"])))
    rs = med["mmlspark-init"]["start"] / med["tini -g"]["start"]
    rt = med["mmlspark-init"]["stop"] / med["tini -g"]["stop"]
    print("ratio start: %.3f (target <= 1.03)   ratio stop: %.3f (target <= 1.00)" % (rs, rt))
    del ours, tini
    return 0


if __name__ == "__main__":
    sys.exit(main())
