#!/usr/bin/env python3
"""trust_tests.py - what mmlspark-init trusts and what it lets through (issue 14): only root's
hooks run as root, a stop during the hooks ends the start, the job without a pty has no
controlling terminal, and the pty relay survives an outer terminal that stalls.

Usage: trust_tests.py TEST_NAME MMLSPARK_INIT SOURCE_DIR   (as root; exit 77 = skipped)

Same sandbox as priv_tests.py (its fixtures are reused): own mount and PID namespaces, a private
/etc, the notebook user nbuser (uid 1500) created only there.
"""
import errno
import fcntl
import os
import re
import select
import signal
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import priv_tests as pt  # noqa: E402

check, write = pt.check, pt.write


def hooks_dir():
    return f"{pt.T}/hooks"


def error_lines(text):
    return [l for l in text.split("\n") if "error" in l]


def refused_alone(r, name, reason):
    """The start failed with exit 1, one error line naming the hook and why, and nothing ran."""
    check(r.returncode == 1, "exit 1 (a hook failed)", r.returncode, r.stderr)
    errors = error_lines(r.stderr)
    check(len(errors) == 1 and f"{hooks_dir()}/{name}" in errors[0] and reason in errors[0],
          f"one error line naming {name} and '{reason}'", r.stderr)
    check(not os.path.exists(f"{pt.T}/ran"), "no hook and no job ran",
          open(f"{pt.T}/ran").read() if os.path.exists(f"{pt.T}/ran") else "")


def trusted_and_untrusted(untrusted_name, untrusted_mode=0o755, owner=0):
    pt.hook("10-trusted", f"echo hook >> {pt.T}/ran")
    pt.hook(untrusted_name, f"echo {untrusted_name} >> {pt.T}/ran", untrusted_mode)
    os.chown(f"{hooks_dir()}/{untrusted_name}", owner, 0)
    return pt.run_init(["sh", "-c", f"echo job >> {pt.T}/ran"], pt.init_env())


# ---- hooks: only root's run as root ----

def test_user_owned_hook_is_refused():
    r = trusted_and_untrusted("20-users", owner=1500)
    refused_alone(r, "20-users", "owned by uid 1500")


def test_group_writable_hook_is_refused():
    r = trusted_and_untrusted("20-group-writable", untrusted_mode=0o775)
    refused_alone(r, "20-group-writable", "writable by its group")


def test_world_writable_hook_is_refused():
    r = trusted_and_untrusted("20-world-writable", untrusted_mode=0o757)
    refused_alone(r, "20-world-writable", "writable by others")


def test_hook_in_user_owned_dir_is_refused():
    # A start.d mounted from the host, owned by the notebook user: the file itself is root's.
    pt.hook("10-roots-file", f"echo hook >> {pt.T}/ran")
    os.chown(hooks_dir(), 1500, 0)
    r = pt.run_init(["sh", "-c", f"echo job >> {pt.T}/ran"], pt.init_env())
    refused_alone(r, "10-roots-file", f"its directory {hooks_dir()} is owned by uid 1500")


def test_symlinked_hook_is_refused():
    write(f"{pt.T}/elsewhere.sh", f"#!/bin/sh\necho linked >> {pt.T}/ran\n", 0o755)
    pt.hook("10-trusted", f"echo hook >> {pt.T}/ran")
    os.symlink(f"{pt.T}/elsewhere.sh", f"{hooks_dir()}/20-link")
    r = pt.run_init(["sh", "-c", f"echo job >> {pt.T}/ran"], pt.init_env())
    refused_alone(r, "20-link", "symbolic link")


def test_root_owned_hook_runs_as_root():
    write(f"{pt.T}/ran", "", 0o666)
    pt.hook("10-root", f'echo "hook $(id -u) $MMLSPARK_HOOK" >> {pt.T}/ran')
    r = pt.run_init(["sh", "-c", f'echo "job $(id -un)" >> {pt.T}/ran'], pt.init_env())
    check(r.returncode == 0 and not error_lines(r.stderr), "exit 0, no error", r.stderr)
    got = open(f"{pt.T}/ran").read().split("\n")[:-1]
    check(got == [f"hook 0 {hooks_dir()}/10-root", f"job {pt.USER}"],
          "the hook ran as root (knowing its path), then the job as the user", got)


# ---- a stop during the hooks ----

def stop_during_slow_hook(body, before=""):
    # `before` runs ahead of the mark the test waits for (a trap set after it could miss the TERM).
    pt.hook("10-slow", f"{before}echo started > {pt.T}/hook-started; {body}")
    pt.hook("20-never", f"echo 20 >> {pt.T}/ran")
    p = subprocess.Popen([pt.INIT, "--grace", "2", "--", "sh", "-c", f"echo job >> {pt.T}/ran"],
                         env=pt.init_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    end = time.time() + 20
    while not os.path.exists(f"{pt.T}/hook-started") and time.time() < end and p.poll() is None:
        time.sleep(0.05)
    check(os.path.exists(f"{pt.T}/hook-started"), "the slow hook started", p.poll())
    p.send_signal(signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=30)  # the hook sleeps 60 s: far beyond the grace of 2 s
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        check(False, "init ended after TERM, without waiting the hook out", err)
    check(p.returncode == 143, "the start ends with 143 (SIGTERM)", p.returncode, err)
    check(not os.path.exists(f"{pt.T}/ran"), "no later hook and no job ran",
          open(f"{pt.T}/ran").read() if os.path.exists(f"{pt.T}/ran") else "")
    check(not error_lines(err), "a stop is not an error", err)
    check("10-slow" in err, "the log names the hook that was stopped", err)
    left = subprocess.run(["pgrep", "-f", "sleep 60"], capture_output=True, text=True).stdout
    check(not left.strip(), "nothing of the hook is left", left)


def test_term_during_slow_hook_ends_start():
    stop_during_slow_hook("sleep 60")


def test_term_during_hook_ignoring_it_ends_start_after_grace():
    stop_during_slow_hook("sleep 60", before="trap '' TERM; ")


# ---- the dropped job without a pty: no controlling terminal ----

NO_CTTY_JOB = r"""
import fcntl, os, termios
print("open fds", sorted(int(f) for f in os.listdir("/proc/self/fd")))
try:
    os.open("/dev/tty", os.O_RDWR); print("ctty yes")
except OSError as e:
    print("ctty no", e.errno)
try:
    print("foreground", os.tcgetpgrp(1) == os.getpgrp())
except OSError as e:
    print("foreground no", e.errno)
for t in ("/proc/self/fd/1", os.environ["OUTER_TTY"]):
    try:
        fd = os.open(t, os.O_RDWR | os.O_NOCTTY)
    except OSError as e:
        print("open", t, "refused", e.errno); continue
    try:
        for c in b"echo PWNED\n":
            fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
        print("INJECTED via", t)
    except OSError as e:
        print("tiocsti refused", e.errno)
    os.close(fd)
"""


def on_outer_tty(cmd, env, stdin_null=False, nonblocking=False):
    """Starts init on a new outer terminal as `docker run -it` does; returns (pid, master, slave).
    A root hook is there, so the job is dropped to the notebook user through the session."""
    pt.hook("10-drop", "true")
    master, slave = os.openpty()
    name = os.ttyname(slave)
    os.chmod(name, 0o666)  # even open to everyone, it must not become the job's
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if stdin_null:
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
        if nonblocking:
            os.set_blocking(1, False)  # another program on the terminal set it: shared by all
        os.execve(pt.INIT, [pt.INIT, "--"] + cmd, dict(env, OUTER_TTY=name))
    return pid, master, slave


def read_all_until_exit(pid, master, timeout=60, out=b""):
    end = time.time() + timeout
    status = None
    while time.time() < end:
        if select.select([master], [], [], 0.05)[0]:
            try:
                out += os.read(master, 65536)
                continue
            except OSError:
                pass
        got, st = os.waitpid(pid, os.WNOHANG)
        if got:
            status = os.waitstatus_to_exitcode(st)
            while select.select([master], [], [], 0.2)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            return status, out
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    check(False, "init ended in time", out[-2000:])


def test_job_without_pty_has_no_controlling_tty():
    write(f"{pt.T}/noctty.py", NO_CTTY_JOB)
    pid, master, slave = on_outer_tty([pt.PY, f"{pt.T}/noctty.py"], pt.init_env(),
                                      stdin_null=True)
    status, out = read_all_until_exit(pid, master)
    check(status == 0, "job exit 0", status, out)
    check(b"ctty no %d" % errno.ENXIO in out, "the job has no controlling terminal", out)
    check(b"foreground True" not in out, "the job never holds the terminal's foreground", out)
    check(b"INJECTED" not in out, "TIOCSTI into the outer terminal is refused", out)
    refused = re.findall(rb"tiocsti refused (\d+)", out)
    check(len(refused) == 2 and all(int(e) in (errno.EPERM, errno.EIO) for e in refused),
          "TIOCSTI fails with EPERM/EIO on both ways to the outer terminal", out)
    fds = re.search(rb"open fds \[([^\]]*)\]", out)
    check(fds and fds.group(1).split(b", ")[:3] == [b"0", b"1", b"2"] and
          len(fds.group(1).split(b", ")) == 4, "only 0-2 (and listdir's own fd) are open", out)
    os.set_blocking(slave, False)
    try:
        leaked = os.read(slave, 4096)
    except BlockingIOError:
        leaked = b""
    check(b"PWNED" not in leaked, "nothing waits in the outer terminal's input", leaked)


# ---- the pty relay under an outer terminal that stalls ----

LINES = 200000
STALL_JOB = r"""
import os, signal, sys, time
d = sys.argv[1]
signal.signal(signal.SIGUSR1, lambda *a: open(d + "/usr1", "w").close())
open(d + "/started", "w").close()
out = sys.stdout.buffer
for i in range(%d):
    out.write(b"%%08d\n" %% i)
out.write(b"END\n")
out.flush()
end = time.time() + 60
while not os.path.exists(d + "/usr1") and time.time() < end:
    time.sleep(0.05)
sys.exit(7)
""" % LINES


def relay_under_stalled_reader(nonblocking):
    d = f"{pt.T}/notebooks"  # the user's
    write(f"{pt.T}/stall.py", STALL_JOB)
    pid, master, slave = on_outer_tty([pt.PY, f"{pt.T}/stall.py", d],
                                      pt.init_env(MMLSPARK_LOG="warn"), nonblocking=nonblocking)
    end = time.time() + 20
    while not os.path.exists(f"{d}/started") and time.time() < end:
        time.sleep(0.05)
    check(os.path.exists(f"{d}/started"), "the job started")
    time.sleep(1.0)  # not reading: every buffer on the way fills and the job waits
    os.kill(pid, signal.SIGUSR1)
    end = time.time() + 20
    while not os.path.exists(f"{d}/usr1") and time.time() < end:
        time.sleep(0.05)
    forwarded = os.path.exists(f"{d}/usr1")
    status, out = read_all_until_exit(pid, master)
    check(forwarded, "a signal reached the job while the outer terminal was not read")
    check(status == 7, "the job's exit status passed on", status, out[-500:])
    nums = re.findall(rb"(\d{8})\r\n", out)
    first_bad = next((i for i, n in enumerate(nums) if int(n) != i), None)
    check(len(nums) == LINES and first_bad is None,
          f"all {LINES} lines arrived, in order", len(nums), first_bad)
    check(out.rstrip().endswith(b"END"), "the end marker arrived last", out[-200:])


def test_pty_relay_survives_stalled_reader():
    relay_under_stalled_reader(nonblocking=False)


def test_pty_relay_survives_stalled_nonblocking_terminal():
    relay_under_stalled_reader(nonblocking=True)


# ---- driver (as priv_tests.py) ----

def main():
    return pt.driver(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
