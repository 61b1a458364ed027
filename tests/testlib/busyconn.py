"""busyconn - a connection a server counts as busy: the request's headers sent, its body still to
come (the EULA page's tests trickle it a byte at a time against the deadline and the eviction)."""
import socket
import time


def open_busy(address, head, timeout=5.0):
    """Connects to address (host, port) and sends head without blocking (a full send buffer is
    part of a flood, not an error); returns the socket once the server has had 10 ms to read the
    headers, so that it counts the connection as busy."""
    c = socket.create_connection(address, timeout=timeout)
    c.setblocking(False)
    try:
        c.send(head)
    except OSError:
        pass
    time.sleep(0.01)
    return c
