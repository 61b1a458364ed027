"""harness - what the Docker end-to-end suites share: outcomes, checks and bounded commands."""
import subprocess


class Fail(Exception):
    pass


class Skip(Exception):
    pass


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
