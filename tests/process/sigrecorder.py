#!/usr/bin/env python3
"""Test job: prints "<tag> <SIGNAME>" for each forwarded signal, then exits 0.

--with-child: fork a second recorder (tag "child") in the same process group first.
--ignore-term: ignore SIGTERM (prints "ready" and sleeps; for the grace-period tests).
"""
import os
import signal
import sys
import time

SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
           signal.SIGUSR2, signal.SIGWINCH, signal.SIGCONT]

tag = "job"
timeout = 20.0
for arg in sys.argv:
    if arg.startswith("--timeout="):
        timeout = float(arg.split("=", 1)[1])
child = 0
if "--ignore-term" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(60)
    sys.exit(0)
if "--with-child" in sys.argv:
    child = os.fork()
    if child == 0:
        tag = "child"

got = []
for s in SIGNALS:
    signal.signal(s, lambda n, _f: got.append(n))
print(f"{tag} ready", flush=True)
deadline = time.monotonic() + timeout
while not got and time.monotonic() < deadline:
    time.sleep(0.01)
for n in got:
    print(f"{tag} {signal.Signals(n).name}", flush=True)
if child:
    os.waitpid(child, 0)
sys.exit(0 if got or tag == "child" else 1)
