#!/usr/bin/env python3
"""Opens N TCP connections to 127.0.0.1:PORT and holds them for SECONDS (bounded): idle, or with
--busy each a request whose body trickles a byte a second (a POST announcing 1000 bytes), the
connections a server counts as busy.

Usage: hold_idle.py PORT N SECONDS [--busy]   Prints "holding K" once connected.
"""
import resource
import socket
import sys
import time

port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
busy = "--busy" in sys.argv[4:]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
HEAD = (b"POST /accept HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
socks = []
for _ in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        if busy:
            s.setblocking(False)
            s.send(HEAD)
        socks.append(s)
    except OSError:
        break  # a backlog that is full is part of the result
print("holding %d" % len(socks), flush=True)
end = time.monotonic() + secs
while time.monotonic() < end:
    time.sleep(1.0)
    if busy:
        for s in socks:
            try:
                s.send(b"n")
            except OSError:
                pass
