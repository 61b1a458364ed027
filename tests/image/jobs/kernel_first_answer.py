#!/usr/bin/env python3
"""kernel_first_answer.py - runs inside the image: starts the image's notebook kernel (its
kernel.json) and, as a client that starts a kernel does (nbconvert, papermill), connects to it
at once and asks for kernel_info. The client's output (IOPub) subscription reaches the kernel
later than its request (it retries its connection every 0.5 s, the request's every 10 ms), the
order that made the first answer's status messages get lost and the client ask again. Prints
RESULT lines: whether the status of the first request arrived on IOPub, and the kernel's answer.
Exit 0 when the kernel answered."""
import sys
import time

import zmq
from jupyter_client import KernelManager
from jupyter_client.session import Session


def main():
    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    try:
        info = km.get_connection_info()
        session = Session(key=info["key"], signature_scheme=info["signature_scheme"])
        ctx = zmq.Context()

        def socket(kind, port, reconnect_ms):
            s = ctx.socket(kind)
            s.setsockopt(zmq.RECONNECT_IVL, reconnect_ms)
            s.setsockopt(zmq.LINGER, 0)
            if kind == zmq.SUB:
                s.setsockopt(zmq.SUBSCRIBE, b"")
            s.connect("%s://%s:%d" % (info["transport"], info["ip"], port))
            return s

        iopub = socket(zmq.SUB, info["iopub_port"], 500)
        shell = socket(zmq.DEALER, info["shell_port"], 10)
        request = session.send(shell, "kernel_info_request", {})
        t0 = time.monotonic()
        if not shell.poll(30000):
            print("RESULT answered no")
            return 1
        reply = session.recv(shell, mode=0)[1]
        print("RESULT answered %s after %.2f s" % (reply["msg_type"], time.monotonic() - t0))
        statuses = []
        until = time.monotonic() + 2
        while time.monotonic() < until:
            if iopub.poll(100):
                msg = session.recv(iopub, mode=0)[1]
                if (msg["msg_type"] == "status"
                        and msg["parent_header"].get("msg_id") == request["header"]["msg_id"]):
                    statuses.append(msg["content"]["execution_state"])
                    if "idle" in statuses:
                        break
        print("RESULT first_statuses %s" % ",".join(statuses or ["none"]))
        return 0
    finally:
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    sys.exit(main())
