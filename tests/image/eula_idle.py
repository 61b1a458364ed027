#!/usr/bin/env python3
"""eula_idle.py - the EULA page of the real image keeps serving a new browser while 10 000 idle
connections from one address are held open to it, with its memory bounded (PID 1's VmRSS during
the page is printed for the record), and while more busy connections than it may hold trickle
their bodies a byte every two seconds. Python stdlib only; every wait is bounded; the containers
are removed at the end, also on failure.

The connections go to the container's address on the bridge (they all come from the host's one
bridge address, as every browser behind a port mapping does), not through the published port:
Docker's userland proxy (docker-proxy, 2 descriptors and 2 goroutines per connection, the
engine's descriptor limit) is the engine's, and on this machine it stops accepting under such a
flood before the page sees it. The published port is checked once before the flood.

Prints PASS/FAIL per test and a last line "N passed, N failed".
Usage: eula_idle.py --image NAME [-k NAME_SUBSTRING]
"""
import argparse
import http.client
import re
import resource
import socket
import subprocess
import sys
import os
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
from busyconn import open_busy  # noqa: E402
from harness import Fail, check, docker, wait_for  # noqa: E402

IDLE = 10000
NAME = "mmlspark-eula-idle-%d" % os.getpid()


def get(port, path="/", timeout=2.0, host="127.0.0.1"):
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def start_page(image, name=NAME, *args):
    """docker run -d [args] image: the EULA page; returns its address on the bridge."""
    rc, out = docker("run", "-d", "--name", name, "-p", "127.0.0.1::8888", *args, image,
                     timeout=120)
    check(rc == 0, "docker run: %s" % out)
    rc, out = docker("port", name, "8888/tcp")
    m = re.search(r":(\d+)\s*$", out.strip().split("\n")[0])
    check(rc == 0 and m, "docker port: %s" % out)
    port = int(m.group(1))

    def serving():
        try:
            return get(port, "/healthz")[0] == 200
        except OSError:
            return False
    wait_for("the EULA page answers on the published port", serving, 120, 0.5)
    rc, ip = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                    name)
    check(rc == 0 and ip.strip(), "docker inspect: the container's address: %s" % ip)
    return ip.strip()


def vmrss_kb(pid_expr):
    rc, out = docker("exec", NAME, "sh", "-c", "grep VmRSS /proc/%s/status" % pid_expr)
    m = re.search(r"VmRSS:\s+(\d+)", out)
    check(rc == 0 and m, "VmRSS of %s: %s" % (pid_expr, out))
    return int(m.group(1))


def test_new_browser_is_served_while_10000_idle_connections_are_held(ctx):
    host, port = start_page(ctx["image"]), 8888
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = IDLE + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    idle = []
    try:
        for _ in range(IDLE):
            idle.append(socket.create_connection((host, port), timeout=5))
        time.sleep(1.0)  # the proxy has passed them all on to the page
        slow = []
        for i in range(20):
            t0 = time.monotonic()
            try:
                status, body = get(port, host=host)
            except OSError as e:
                raise Fail("GET %d of 20 failed: %s" % (i + 1, e))
            took = time.monotonic() - t0
            check(status == 200 and b"accept" in body.lower(), "GET %d: status %d" % (i + 1,
                                                                                  status))
            if took >= 2.0:
                slow.append("%d: %.2f s" % (i + 1, took))
        check(not slow, "GETs slower than 2 s: %s" % slow)
        page_kb = vmrss_kb("$(pgrep -o mmlspark-eula)")
        pid1_kb = vmrss_kb("1")
        print("   with %d idle connections held: the page's VmRSS %d kB, PID 1's VmRSS %d kB"
              % (IDLE, page_kb, pid1_kb), flush=True)
        check(page_kb < 128 * 1024, "the page's memory stays bounded: %d kB" % page_kb)
    finally:
        for s in idle:
            s.close()


BUSY_NAME = NAME + "-busy"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0", "Accept-Encoding":
           "gzip, deflate", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
           "Accept-Language": "en-US,en;q=0.9", "Connection": "keep-alive"}


def test_browser_is_served_while_busy_trickling_connections_exceed_the_limit(ctx):
    """--ulimit nofile=256 (the page then holds fewer than 200 connections): 100 idle
    connections, then 280 POSTs announcing 1000 bytes and 40 GETs announcing a huge body, each
    with complete headers and its body trickled a byte every 2 s; a browser's GET / gets the
    page, each of five times, in under 5 s (the page's whole-request deadline is 10 s)."""
    host, port = start_page(ctx["image"], BUSY_NAME, "--ulimit", "nofile=256:256"), 8888
    heads = [b"POST /accept HTTP/1.1\r\nHost: %s:8888\r\nContent-Length: 1000\r\n"
             b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" % host.encode()] * 280
    heads += [b"GET / HTTP/1.1\r\nHost: %s:8888\r\nContent-Length: 99999999\r\n\r\n"
              % host.encode()] * 40
    held, busy, stop = [], [], threading.Event()

    def trickle():
        while not stop.wait(2.0):
            for c in busy:
                try:
                    c.send(b"n")
                except OSError:
                    pass
    trickler = threading.Thread(target=trickle, daemon=True)
    try:
        for _ in range(100):
            held.append(socket.create_connection((host, port), timeout=5))
        for head in heads:
            busy.append(open_busy((host, port), head))
        trickler.start()
        slow = []
        for i in range(5):
            t0 = time.monotonic()
            try:
                c = http.client.HTTPConnection(host, port, timeout=5.0)
                c.request("GET", "/", headers=BROWSER)
                r = c.getresponse()
                status, body = r.status, r.read()
                c.close()
            except OSError as e:
                status, body = None, str(e).encode()
            took = time.monotonic() - t0
            if status != 200 or b"accept" not in body.lower() or took >= 5.0:
                slow.append("GET %d: %s after %.1f s" % (i + 1, status or body.decode(), took))
            time.sleep(1.0)
        check(not slow, "a browser under a flood of %d busy and 100 idle connections: %s"
              % (len(heads), "; ".join(slow)))
    finally:
        stop.set()
        if trickler.is_alive():
            trickler.join(5)
        for c in held + busy:
            c.close()


TESTS = [test_new_browser_is_served_while_10000_idle_connections_are_held,
         test_browser_is_served_while_busy_trickling_connections_exceed_the_limit]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("-k", default="")
    opts = ap.parse_args()
    results = {"pass": 0, "fail": 0}
    try:
        for fn in TESTS:
            if opts.k not in fn.__name__:
                continue
            t0 = time.monotonic()
            try:
                fn({"image": opts.image})
                outcome, why = "PASS", ""
            except Fail as e:
                outcome, why = "FAIL", str(e)
            except Exception:
                outcome, why = "FAIL", traceback.format_exc()
            results[outcome.lower()] += 1
            print("%s: %s (%.1f s)%s" % (outcome, fn.__name__, time.monotonic() - t0,
                                         ": " + why if why else ""), flush=True)
            for name in (NAME, BUSY_NAME):
                rc, logs = docker("logs", "--tail", "40", name)
                if outcome == "FAIL" and rc == 0:
                    print(logs, flush=True)
                subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=60)
    finally:
        for name in (NAME, BUSY_NAME):
            subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
    print("%d passed, %d failed" % (results["pass"], results["fail"]), flush=True)
    return 1 if results["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
