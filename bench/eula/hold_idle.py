#!/usr/bin/env python3
"""Opens N idle TCP connections to 127.0.0.1:PORT and holds them for SECONDS (bounded).

Usage: hold_idle.py PORT N SECONDS   Prints "holding K" once connected, then sleeps.
"""
import resource
import socket
import sys
import time

port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
socks = []
for _ in range(n):
    try:
        socks.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    except OSError:
        break  # a backlog that is full is part of the result
print("holding %d" % len(socks), flush=True)
time.sleep(secs)
