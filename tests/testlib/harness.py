"""harness - what the Docker end-to-end suites share: outcomes, checks and bounded commands."""
import os
import socket
import subprocess
import time


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def host_lacks(what, reason):
    """The host misses a tool a test needs: SKIP with the reason; in CI (CI=true), where
    tests/setup.sh installs everything, a FAIL."""
    if os.environ.get("CI") == "true":
        raise Fail("%s (CI=true: tests/setup.sh should have installed it)" % reason)
    raise Skip("%s; tests/setup.sh installs %s" % (reason, what))


def check(cond, what):
    if not cond:
        raise Fail(what)


def run(args, timeout=120, input=None, env=None):
    """(exit code, combined output) of a command; a timeout is a failure."""
    try:
        p = subprocess.run(args, input=input, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise Fail("%s: no result within %d s; output so far: %r"
                   % (" ".join(args[:6]), timeout, (e.output or b"")[-800:]))
    return p.returncode, p.stdout.decode("utf-8", "replace")


def docker(*args, timeout=120, input=None):
    return run(["docker"] + list(args), timeout=timeout, input=input)


def wait_for(what, fn, timeout, interval=0.25):
    """Polls fn() until it returns a truthy value; Fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise Fail("%s: not within %d s (last: %r)" % (what, timeout, last))


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
