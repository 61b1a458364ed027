#!/usr/bin/env python3
"""stop.py - `docker stop` of a notebook container 1, 2, 5 and 15 s after a kernel was started
(through Jupyter's REST API, as JupyterLab starts one), for each IMAGE given, alternating; the
first image is measured, the others are anchors (e.g. the image of the previous release). Prints
every stop's time and exit code, the medians and the ratios to the first anchor. Not a test.
Usage: stop.py -n N IMAGE [ANCHOR_IMAGE ...]"""
import argparse
import http.client
import json
import socket
import statistics
import subprocess
import time

TOKEN = "bench-stop-token-0123456789"
DELAYS = (1, 2, 5, 15)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request(method, path, body, {"Authorization": "token " + TOKEN,
                                       "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except OSError:
        return None


def docker(*args, timeout=120):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=timeout)


def one_stop(image, delay, label):
    """Starts IMAGE detached, starts a kernel, waits DELAY s, stops it: (seconds, exit code)."""
    port = free_port()
    name = "mmlspark-bench-stop-%d-%d" % (port, int(time.time() * 1000) % 100000)
    r = docker("run", "-d", "--name", name, "--label", label, "-p", "127.0.0.1:%d:8888" % port,
               "-e", "ACCEPT_EULA=yes", "-e", "JUPYTER_TOKEN=" + TOKEN, image)
    if r.returncode != 0:
        raise SystemExit("docker run %s failed: %s" % (image, r.stderr))
    try:
        deadline = time.monotonic() + 120
        while request(port, "GET", "/api") != 200:
            if time.monotonic() > deadline:
                raise SystemExit("%s: Jupyter did not answer within 120 s" % image)
            time.sleep(0.2)
        if request(port, "POST", "/api/kernels", json.dumps({"name": "python3"})) != 201:
            raise SystemExit("%s: POST /api/kernels failed" % image)
        time.sleep(delay)
        t0 = time.monotonic()
        docker("stop", name, timeout=60)
        took = time.monotonic() - t0
        code = docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        return took, code
    finally:
        docker("rm", "-f", name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("images", nargs="+")
    opts = ap.parse_args()
    label = "mmlspark-bench-stop=%d" % time.time()
    times = {(img, d): [] for img in opts.images for d in DELAYS}
    try:
        for i in range(opts.n):
            order = opts.images if i % 2 == 0 else opts.images[::-1]
            for d in DELAYS:
                for img in order:
                    took, code = one_stop(img, d, label)
                    times[(img, d)].append(took)
                    print("run %d %-40s kernel+%2ds: docker stop %.2f s, exit %s"
                          % (i + 1, img, d, took, code), flush=True)
    finally:
        ids = docker("ps", "-aq", "--filter", "label=" + label).stdout.split()
        if ids:
            docker("rm", "-f", *ids)
    print("\n%-40s %s" % ("docker stop, median of %d (s)" % opts.n,
                          "  ".join("kernel+%2ds" % d for d in DELAYS)))
    for img in opts.images:
        print("%-40s %s" % (img, "  ".join("%10.2f" % statistics.median(times[(img, d)])
                                            for d in DELAYS)))
    if len(opts.images) > 1:
        base = opts.images[1]
        print("%-40s %s" % ("ratio %s / %s" % (opts.images[0].split(":")[-1], base.split(":")[-1]),
                            "  ".join("%9.2fx" % (statistics.median(times[(opts.images[0], d)])
                                                  / statistics.median(times[(base, d)]))
                                      for d in DELAYS)))


if __name__ == "__main__":
    main()
