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


def run_tests(tests, select="", after=None):
    """Runs every test fn(ctx) whose name contains select, in order, and prints one line each:
    "PASS|FAIL|SKIP: NAME (N s)[: why]". after(name, ctx, outcome) runs after each test (save
    logs of a failure, remove its containers). Then, if any was skipped, a line saying so, and
    last "N passed, N failed". Returns the exit code: 1 after a failure, or a skip with CI=true
    (a skipped test proved nothing, and CI installs every tool)."""
    import traceback
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    skipped = []
    for fn in tests:
        if select not in fn.__name__:
            continue
        ctx = {}
        t0 = time.monotonic()
        try:
            fn(ctx)
            outcome, why = "PASS", ""
        except Skip as e:
            outcome, why = "SKIP", str(e)
        except Fail as e:
            outcome, why = "FAIL", str(e)
        except Exception:
            outcome, why = "FAIL", traceback.format_exc()
        if after is not None:
            after(fn.__name__, ctx, outcome)
        counts[outcome] += 1
        if outcome == "SKIP":
            skipped.append(fn.__name__)
        print("%s: %s (%.1f s)%s" % (outcome, fn.__name__, time.monotonic() - t0,
                                     ": " + why if why else ""), flush=True)
    in_ci = os.environ.get("CI") == "true"
    if skipped:
        print("%s: %d skipped: %s" % ("FAIL (CI=true)" if in_ci else "not run", len(skipped),
                                      ", ".join(skipped)))
    print("%d passed, %d failed" % (counts["PASS"], counts["FAIL"])
          + (", %d skipped" % counts["SKIP"] if counts["SKIP"] else ""))
    return 1 if counts["FAIL"] or (skipped and in_ci) else 0


def save_log(directory, test, name, text=None):
    """Writes text (default: `docker logs --timestamps NAME`) to DIRECTORY/TEST.NAME.log for a
    failed test, and prints where."""
    os.makedirs(directory, exist_ok=True)
    if text is None:
        rc, text = docker("logs", "--timestamps", name, timeout=30)
        if rc != 0:
            return
    path = os.path.join(directory, "%s.%s.log" % (test, name))
    with open(path, "w") as f:
        f.write(text)
    print("    logs saved: %s" % path)
