#!/usr/bin/env python3
"""priv_tests.py - mmlspark-init's privilege drop, PAM session, uid/gid remap, hooks and pty relay.

Usage: priv_tests.py TEST_NAME MMLSPARK_INIT SOURCE_DIR   (as root; exit 77 = skipped)

Each test re-runs itself in new mount and PID namespaces (unshare -mpf --mount-proc), copies
/etc into a tmpfs and binds it over /etc (shadow's tools replace files by rename, which a bound
single file would refuse), puts a tmpfs on /var/log (usermod moves lastlog entries) and creates
its notebook user only there: the host's /etc and /var/log are never changed.
"""
import fcntl
import grp
import os
import pwd
import re
import select
import signal
import stat
import struct
import subprocess
import sys
import termios
import time
import tty

INIT = SRC = T = None
USER = "nbuser"
ENV_KEYS = ("PATH", "TERM")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/spark/bin"
PY = "/usr/bin/python3"


# ---- namespace and fixtures ----

def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def enter_sandbox():
    """Runs in the new namespaces: a private /etc, /var/log and test directory."""
    global T
    T = "/tmp/mmlspark-priv-test"
    os.makedirs(T, exist_ok=True)
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", T)
    sh("cp", "-a", "/etc", f"{T}/etc")
    sh("mount", "--bind", f"{T}/etc", "/etc")
    sh("mount", "-t", "tmpfs", "tmpfs", "/var/log")
    os.makedirs(f"{T}/home", mode=0o755)
    sh("groupadd", "-g", "5000", "nbextra")
    sh("useradd", "-l", "-m", "-d", f"{T}/home/{USER}", "-s", "/bin/bash", "-U",
       "-u", "1500", "-G", "nbextra", USER)
    os.makedirs(f"{T}/notebooks")
    os.chown(f"{T}/notebooks", 1500, pwd.getpwnam(USER).pw_gid)
    write_pam_stack("pam", "session required pam_exec.so quiet " + f"{T}/marker.sh")
    write(f"{T}/marker.sh", '#!/bin/sh\necho "$PAM_TYPE $PAM_USER" >> ' + f"{T}/markers\n", 0o755)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def write_pam_stack(name, session_line):
    d = f"{T}/{name}"
    os.makedirs(d, mode=0o755, exist_ok=True)
    write(f"{d}/pam_env.conf", "MMLSPARK_PAM_TEST DEFAULT=from-pam\n")
    write(f"{d}/mmlspark",
          f"auth required pam_env.so readenv=0 conffile={d}/pam_env.conf\n"
          "account required pam_permit.so\n" + session_line + "\n")
    return d


def init_env(**extra):
    env = {k: os.environ[k] for k in ENV_KEYS if k in os.environ}
    env.update(PATH=PATH, HOME="/root", NB_USER=USER, ACCEPT_EULA="yes",
               MMLSPARK_NOTEBOOK_DIR=f"{T}/notebooks", MMLSPARK_HOOKS_DIR=f"{T}/hooks",
               MMLSPARK_PAM_CONFDIR=f"{T}/pam", ASAN_OPTIONS="detect_leaks=1")
    env.update({k: v for k, v in extra.items() if v is not None})
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
    return env


def run_init(cmd, env=None, preexec=None, timeout=30):
    return subprocess.run([INIT, "--"] + cmd, env=env or init_env(), capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec)


def markers():
    try:
        with open(f"{T}/markers") as f:
            return f.read().split("\n")[:-1]
    except FileNotFoundError:
        return []


def status_fields(text):
    return dict(re.findall(r"^(\w+):\s*(.*)$", text, re.M))


def check(cond, what, *context):
    if not cond:
        print("FAILED:", what)
        for c in context:
            print("----\n" + str(c))
        sys.exit(1)


def hook(name, body, mode=0o755):
    os.makedirs(f"{T}/hooks", exist_ok=True)
    write(f"{T}/hooks/{name}", "#!/bin/sh\n" + body + "\n", mode)


# ---- the tests: the job's identity ----

def test_drop_runs_job_as_notebook_user_without_capabilities():
    r = run_init(["sh", "-c", "cat /proc/self/status; " + PY +
                  " -c 'import os; os.setuid(0)' 2>&1; echo setuid-exit=$?; umask"],
                 init_env(NB_UID="1500", NB_UMASK="027"))
    check(r.returncode == 0, "init exits 0", r.stdout, r.stderr)
    st = status_fields(r.stdout)
    u = pwd.getpwnam(USER)
    check(st["Uid"].split() == [str(u.pw_uid)] * 4, "every uid is the user's", st["Uid"])
    check(st["Gid"].split() == [str(u.pw_gid)] * 4, "every gid is the user's", st["Gid"])
    groups = set(st["Groups"].split())
    check(groups == {str(u.pw_gid), "5000"}, "groups are the user's (initgroups)", groups)
    for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        check(int(st[cap], 16) == 0, f"{cap} is empty", st[cap])
    check("PermissionError" in r.stdout and "setuid-exit=1" in r.stdout, "setuid(0) fails",
          r.stdout)
    check(r.stdout.strip().endswith("0027"), "NB_UMASK reaches the job", r.stdout)


def test_drop_sets_user_environment_and_keeps_path():
    r = run_init(["sh", "-c", 'echo "$HOME|$USER|$LOGNAME|$SHELL|$PATH|$MMLSPARK_PAM_TEST|'
                  '${MMLSPARK_PAM_CONFDIR-unset}"'], init_env(NB_UID="1500"))
    check(r.returncode == 0, "init exits 0", r.stderr)
    want = f"{T}/home/{USER}|{USER}|{USER}|/bin/bash|{PATH}|from-pam|unset"
    check(r.stdout.strip() == want, "HOME USER LOGNAME SHELL set, PATH kept, PAM env merged",
          r.stdout, want)


def test_pam_session_opens_before_job_and_closes_after():
    r = run_init(["sh", "-c", f"cat {T}/markers"], init_env(NB_UID="1500"))
    check(r.returncode == 0, "init exits 0", r.stderr)
    check(r.stdout.split("\n")[:-1] == [f"open_session {USER}"], "session open while the job runs",
          r.stdout)
    check(markers() == [f"open_session {USER}", f"close_session {USER}"],
          "session closed after the job", markers())


def test_job_exit_status_passes_through_session():
    r = run_init(["sh", "-c", "exit 5"], init_env(NB_UID="1500"))
    check(r.returncode == 5, "exit code 5", r.returncode, r.stderr)
    r = run_init(["sh", "-c", "kill -KILL $$"], init_env(NB_UID="1500"))
    check(r.returncode == 137, "killed by signal 9 gives 137", r.returncode, r.stderr)
    r = run_init(["no-such-command-here"], init_env(NB_UID="1500"))
    check(r.returncode == 127, "a missing command gives 127", r.returncode, r.stderr)


def test_sigterm_reaches_dropped_job_and_session_closes():
    p = subprocess.Popen([INIT, "--", "sh", "-c",
                          'trap "echo got-term; exit 7" TERM; echo ready; '
                          'while :; do sleep 0.1; done'],
                         env=init_env(NB_UID="1500"), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    check(p.stdout.readline().strip() == "ready", "job started")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    check(p.returncode == 7 and "got-term" in out, "TERM reached the job once, status passed",
          p.returncode, out, err)
    check(markers()[-1] == f"close_session {USER}", "session closed", markers())


def test_root_without_requests_runs_job_as_root():
    r = run_init(["sh", "-c", "id -u; cat /proc/self/status"])
    check(r.returncode == 0 and r.stdout.split()[0] == "0", "job runs as root", r.stdout, r.stderr)
    check(markers() == [], "no PAM session for a root job", markers())


def test_arbitrary_uid_without_passwd_entry_gets_usable_home():
    home = f"{T}/home/{USER}"
    os.chown(home, 1500, 0)
    os.chmod(home, 0o2775)  # as the image: group 0 may write the notebook user's home

    def become_12345():
        os.setgroups([])
        os.setgid(0)
        os.setuid(12345)

    r = run_init(["sh", "-c", 'id -u; echo "$HOME"; touch "$HOME/x" && echo home-ok'],
                 init_env(HOME="/", MMLSPARK_PAM_CONFDIR=None), preexec=become_12345)
    check(r.returncode == 0, "init exits 0", r.stdout, r.stderr)
    check(r.stdout.split() == ["12345", home, "home-ok"], "runs as 12345 with a usable HOME",
          r.stdout, r.stderr)


def test_nb_uid_and_nb_gid_remap_user_and_fix_ownership():
    nb = f"{T}/notebooks"
    old_gid = pwd.getpwnam(USER).pw_gid
    write(f"{nb}/mine.ipynb", "{}")
    os.chown(f"{nb}/mine.ipynb", 1500, old_gid)
    write(f"{nb}/roots.txt", "")
    write(f"{T}/home/{USER}/.profile-test", "")
    os.chown(f"{T}/home/{USER}/.profile-test", 1500, old_gid)
    os.makedirs(f"{T}/volume")
    write(f"{T}/volume/host-file", "")
    os.chown(f"{T}/volume/host-file", 1500, old_gid)
    os.makedirs(f"{nb}/myfiles")
    sh("mount", "--bind", f"{T}/volume", f"{nb}/myfiles")
    r = run_init(["sh", "-c", "id -u; id -g"], init_env(NB_UID="4321", NB_GID="4322"))
    check(r.returncode == 0, "init exits 0", r.stdout, r.stderr)
    check(r.stdout.split() == ["4321", "4322"], "the job runs with NB_UID and NB_GID", r.stdout)
    u = pwd.getpwnam(USER)
    check((u.pw_uid, u.pw_gid) == (4321, 4322), "passwd entry remapped", u)
    check(grp.getgrgid(4322).gr_name == USER, "the user's group renumbered", grp.getgrgid(4322))

    def owner(p):
        s = os.lstat(p)
        return (s.st_uid, s.st_gid)
    check(owner(nb) == (4321, 4322), "notebook dir follows", owner(nb))
    check(owner(f"{nb}/mine.ipynb") == (4321, 4322), "the user's notebook follows")
    check(owner(f"{nb}/roots.txt") == (0, 0), "root's file untouched")
    check(owner(f"{T}/home/{USER}") == (4321, 4322), "home follows", owner(f"{T}/home/{USER}"))
    check(owner(f"{T}/home/{USER}/.profile-test") == (4321, 4322), "home contents follow")
    check(owner(f"{T}/volume/host-file") == (1500, old_gid), "a mounted volume keeps its owners",
          owner(f"{T}/volume/host-file"))
    r = run_init(["id", "-u"], init_env(NB_UID="4321", NB_GID="4322"))
    check(r.returncode == 0 and r.stdout.strip() == "4321", "a second start (restart) works",
          r.stdout, r.stderr)


def test_nb_gid_of_existing_group_is_joined():
    r = run_init(["id", "-g"], init_env(NB_GID="5000"))
    check(r.returncode == 0 and r.stdout.strip() == "5000", "primary group 5000", r.stdout,
          r.stderr)
    check(grp.getgrnam("nbextra").gr_gid == 5000 and grp.getgrnam(USER).gr_gid != 5000,
          "existing groups keep their ids")


def test_bad_requests_exit_64_with_one_line():
    cases = [dict(NB_UID="abc"), dict(NB_UID="0"), dict(NB_UID="-1"),
             dict(NB_UID="2147483647"), dict(NB_UID="12 "), dict(NB_GID="x"),
             dict(NB_UMASK="0999"), dict(NB_UMASK="abc"),
             dict(NB_USER="nosuchuser", NB_UID="1500")]
    for c in cases:
        r = run_init(["true"], init_env(**c))
        lines = [l for l in r.stderr.split("\n") if ": error: " in l or ": warn: " in l]
        check(r.returncode == 64, f"{c} exits 64", r.returncode, r.stderr)
        check(len(lines) == 1, f"{c}: one error line", r.stderr)
        key = list(c)[0]
        check(key in lines[0] or "nosuchuser" in lines[0], f"{c}: the line names it", lines)


def test_pam_failure_exits_77():
    write_pam_stack("pam", "session requisite pam_deny.so")
    r = run_init(["sh", "-c", "echo job-ran"], init_env(NB_UID="1500"))
    check(r.returncode == 77, "exit 77", r.returncode, r.stderr)
    check("job-ran" not in r.stdout and "pam_open_session" in r.stderr, "one clear line, no job",
          r.stdout, r.stderr)


def test_unsafe_pam_confdir_is_refused():
    os.chmod(f"{T}/pam", 0o777)
    r = run_init(["true"], init_env(NB_UID="1500"))
    check(r.returncode == 64 and "MMLSPARK_PAM_CONFDIR" in r.stderr, "refused with 64",
          r.returncode, r.stderr)


def test_shipped_pam_service_opens_session():
    d = f"{T}/shipped"
    os.makedirs(d, mode=0o755)
    with open(f"{SRC}/image/pam.d/mmlspark") as f:
        write(f"{d}/mmlspark", f.read())
    r = run_init(["id", "-un"], init_env(NB_UID="1500", MMLSPARK_PAM_CONFDIR=d))
    check(r.returncode == 0 and r.stdout.strip() == USER, "image's service file works",
          r.stdout, r.stderr)


# ---- hooks ----

def test_hooks_run_in_order_as_root_before_drop():
    log = f"{T}/hooks.log"
    write(log, "", 0o666)
    hook("20-second", f'echo "20 $(id -u)" >> {log}')
    hook("10-first", f'echo "10 $(id -u)" >> {log}')
    hook(".hidden", f'echo hidden >> {log}')
    hook("30-not-executable", f'echo nope >> {log}', 0o644)
    r = run_init(["sh", "-c", f'echo "job $(id -un)" >> {log}'], init_env())
    check(r.returncode == 0, "init exits 0", r.stderr)
    with open(log) as f:
        got = f.read().split("\n")[:-1]
    check(got == ["10 0", "20 0", f"job {USER}"], "hooks in order as root, then the job dropped",
          got)
    check("30-not-executable" in r.stderr, "the skipped hook is named", r.stderr)


def test_hooks_run_as_invoking_user_when_not_root():
    log = f"{T}/hooks.log"
    write(log, "", 0o666)
    hook("10-who", f'echo "hook $(id -u)" >> {log}')

    def become_12345():
        os.setgroups([])
        os.setgid(0)
        os.setuid(12345)
    r = run_init(["sh", "-c", f'echo "job $(id -u)" >> {log}'],
                 init_env(MMLSPARK_PAM_CONFDIR=None), preexec=become_12345)
    with open(log) as f:
        got = f.read().split("\n")[:-1]
    check(r.returncode == 0 and got == ["hook 12345", "job 12345"], "hook then job, as 12345",
          got, r.stderr)


def test_session_killed_takes_job_with_it():
    # Without PDEATHSIG the job would outlive the session process by a second grace period.
    p = subprocess.Popen([INIT, "--grace", "3", "--", "sh", "-c",
                          'trap "" TERM; echo ready; while :; do sleep 0.1; done'],
                         env=init_env(NB_UID="1500"), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    check(p.stdout.readline().strip() == "ready", "job started")
    start = time.time()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    check(p.returncode == 137, "a job ignoring TERM ends with SIGKILL", p.returncode, err)
    check(time.time() - start < 5.0, "within one grace period (3 s), not two", time.time() - start,
          err)


def test_failing_hook_stops_start_naming_it():
    log = f"{T}/hooks.log"
    hook("10-ok", f"echo 10 >> {log}")
    hook("20-bad", "exit 3")
    hook("30-never", f"echo 30 >> {log}")
    r = run_init(["sh", "-c", f"echo job >> {log}"], init_env())
    with open(log) as f:
        got = f.read().split("\n")[:-1]
    check(r.returncode == 1, "exit 1", r.returncode, r.stderr)
    check(got == ["10"], "later hooks and the job do not run", got)
    errors = [l for l in r.stderr.split("\n") if "error" in l]
    check(len(errors) == 1 and "20-bad" in errors[0] and "exit code 3" in errors[0],
          "one line naming the hook and its status", r.stderr)


# ---- the pty relay, driven through an outer pty ----

class Pty:
    """init on a fresh outer pty, as `docker run -it` gives it one."""

    def __init__(self, cmd, env, rows=30, cols=100, outer_mode=None):
        self.master, self.slave = os.openpty()
        self.set_size(rows, cols)
        self.outer_name = os.ttyname(self.slave)
        if outer_mode is not None:
            os.chmod(self.outer_name, outer_mode)
        self.cooked = termios.tcgetattr(self.slave)
        env = dict(env, OUTER_TTY=self.outer_name)
        self.out = b""
        self.pid = os.fork()
        if self.pid == 0:
            os.setsid()
            fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(self.slave, fd)
            os.execve(INIT, [INIT, "--"] + cmd, env)
        self.status = None

    def set_size(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def read_until(self, pattern, timeout=15):
        end = time.time() + timeout
        while pattern not in self.out:
            left = end - time.time()
            if left <= 0 or not self._read(left):
                check(False, f"output {pattern!r} seen", self.out)
        return self.out

    def _read(self, timeout):
        if not select.select([self.master], [], [], timeout)[0]:
            return False
        try:
            self.out += os.read(self.master, 65536)
        except OSError:
            return False
        return True

    def send(self, data):
        os.write(self.master, data)

    def wait(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            self._read(0.05)
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self._read(0.1):
                    pass
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
        os.kill(self.pid, signal.SIGKILL)
        check(False, "init ended in time", self.out)

    def lflag(self):
        return termios.tcgetattr(self.slave)[3]


def test_pty_relay_passes_ctrl_c_and_exit_status():
    p = Pty(["sh", "-c", 'trap "echo caught-int; exit 42" INT; echo READY; '
             "while :; do sleep 0.1; done"], init_env(NB_UID="1500"))
    p.read_until(b"READY")
    check(not (p.lflag() & (termios.ICANON | termios.ECHO)), "outer terminal is raw")
    p.send(b"\x03")
    check(p.wait() == 42 and b"caught-int" in p.out, "Ctrl+C reached the job, 42 passed on",
          p.status, p.out)
    p = Pty(["sh", "-c", "echo READY; exec sleep 100"], init_env(NB_UID="1500"))
    p.read_until(b"READY")
    p.send(b"\x03")
    check(p.wait() == 130, "an untrapped Ctrl+C gives 130", p.status, p.out)


def test_pty_relay_passes_eof():
    p = Pty(["sh", "-c", "echo READY; cat; echo cat-done"], init_env(NB_UID="1500"))
    p.read_until(b"READY")
    p.send(b"hello\r")
    p.read_until(b"hello\r\nhello")
    p.send(b"\x04")
    check(p.wait() == 0 and b"cat-done" in p.out, "Ctrl+D ends cat's input", p.status, p.out)


def test_pty_relay_ends_when_job_leaves_a_writer_behind():
    p = Pty(["sh", "-c", "yes > /dev/tty & echo started; sleep 0.2; exit 3"],
            init_env(NB_UID="1500", MMLSPARK_LOG="warn"))
    check(p.wait() == 3, "the job's exit ends the relay despite a writer on the pty", p.status)


def test_pty_relay_follows_window_size():
    p = Pty(["sh", "-c", 'stty size; echo READY; while [ "$(stty size)" = "30 100" ]; '
             "do sleep 0.05; done; echo now $(stty size)"], init_env(NB_UID="1500"))
    p.read_until(b"READY")
    check(b"30 100" in p.out, "initial size copied", p.out)
    p.set_size(45, 132)
    p.read_until(b"now 45 132")
    check(p.wait() == 0, "exit 0", p.out)


def test_pty_relay_restores_terminal_after_child_killed():
    p = Pty(["sh", "-c", "echo PID=$$ END; exec sleep 100"], init_env(NB_UID="1500"))
    out = p.read_until(b" END")
    pid = int(re.search(rb"PID=(\d+) END", out).group(1))
    check(not (p.lflag() & termios.ICANON), "outer terminal is raw while the job runs", out)
    os.kill(pid, signal.SIGKILL)
    check(p.wait() == 137, "killed job gives 137", p.status, p.out)
    check(termios.tcgetattr(p.slave) == p.cooked, "outer terminal settings restored",
          termios.tcgetattr(p.slave), p.cooked)


TIOCSTI_JOB = r"""
import fcntl, os, sys, termios
inner = os.stat(os.ttyname(0)).st_rdev
targets = [os.environ["OUTER_TTY"], "/proc/%d/fd/0" % os.getppid(), "/dev/console"]
targets += ["/proc/self/fd/" + f for f in os.listdir("/proc/self/fd")]
for t in targets:
    try:
        fd = os.open(t, os.O_RDWR | os.O_NOCTTY)
    except OSError as e:
        print("open", t, "refused", e.errno); continue
    if os.isatty(fd) and os.fstat(fd).st_rdev == inner:
        continue
    try:
        for c in b"echo PWNED\n":
            fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
        print("INJECTED via", t)
    except OSError as e:
        print("tiocsti", t, "refused", e.errno)
print("inner", os.ttyname(0), "outer", os.environ["OUTER_TTY"])
"""


def test_pty_relay_blocks_tiocsti_into_outer_tty():
    write(f"{T}/tiocsti.py", TIOCSTI_JOB)
    # Even with the outer terminal open to everyone, it is not the job's controlling terminal.
    p = Pty([PY, f"{T}/tiocsti.py"], init_env(NB_UID="1500"), outer_mode=0o666)
    check(p.wait() == 0, "job exit 0", p.status, p.out)
    check(b"INJECTED" not in p.out, "no TIOCSTI reached a terminal but the job's own", p.out)
    check(f"tiocsti {p.outer_name} refused".encode() in p.out, "TIOCSTI on the outer tty refused",
          p.out)
    m = re.search(rb"inner (\S+) outer (\S+)", p.out)
    check(m and m.group(1) != m.group(2), "the job runs on a new pty", p.out)
    os.set_blocking(p.slave, False)
    try:
        leaked = os.read(p.slave, 4096)
    except BlockingIOError:
        leaked = b""
    check(b"PWNED" not in leaked, "nothing waits in the outer terminal's input", leaked)


# ---- driver ----

def reachable_by_all(path):
    """PATH, or the same file through a bind mount under T (this namespace's own) when a directory
    above it is closed to other users (a clone in /root/src, mode 0700): the tests run INIT as
    other uids. The whole build tree is mounted, so that INIT's sibling programs come along."""
    d = os.path.dirname(path)
    while d != "/":
        if not os.stat(d).st_mode & 0o001:
            break
        d = os.path.dirname(d)
    else:
        return path
    build = os.path.dirname(os.path.dirname(path))
    os.makedirs(f"{T}/build", exist_ok=True)
    sh("mount", "--bind", build, f"{T}/build")
    return f"{T}/build/" + os.path.relpath(path, build)


def driver(tests, doc):
    """The command line of priv_tests.py and of the files that reuse its sandbox (test_remap.py,
    trust_tests.py): NAME INIT SRC. Runs test_NAME from `tests` (a module's globals) as root in a
    mount and PID namespace of its own; 77 (ctest's skip code, with the reason) when not root."""
    global INIT, SRC
    if len(sys.argv) != 4:
        print(doc)
        return 2
    name, INIT, SRC = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    test = tests.get("test_" + name)
    if test is None:
        print("no such test:", name)
        return 2
    if os.geteuid() != 0:
        print("SKIPPED: the privilege tests need root")
        return 77
    if os.environ.get("MMLSPARK_PRIV_SANDBOX") != "1":
        env = dict(os.environ, MMLSPARK_PRIV_SANDBOX="1")
        return subprocess.run(["unshare", "-mpf", "--mount-proc", sys.executable] + sys.argv,
                              env=env).returncode
    enter_sandbox()
    INIT = reachable_by_all(INIT)
    test()
    print("PASSED:", name)
    return 0


def main():
    return driver(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
