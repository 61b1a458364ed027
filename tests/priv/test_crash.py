#!/usr/bin/env python3
"""test_crash.py - an NB_UID/NB_GID change that a kill interrupts at any step is completed by the
next start; a stop signal ends a long ownership walk at once; deep trees, hard links and the own
group (issue 20, items 1 to 4).

Usage: test_crash.py TEST_NAME MMLSPARK_INIT SOURCE_DIR   (as root; exit 77 = skipped)

Runs in priv_tests.py's sandbox. The kills are strace's fault injection
(`-e inject=SYSCALL:signal=SIGKILL:when=N`): the preparation process dies at the Nth rename or
fchownat, as under docker's SIGKILL after the grace period.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import priv_tests as p  # noqa: E402

USER = p.USER
NEW = (4321, 4322)
RECORD = "/etc/.mmlspark-renumber"
ACCOUNT_FILES = ("passwd", "group", "gshadow", "shadow")


def owner(path):
    s = os.lstat(path)
    return (s.st_uid, s.st_gid)


def strace():
    path = shutil.which("strace")
    if path is None:
        print("FAILED: strace is missing (tests/setup.sh installs it)")
        sys.exit(1)
    return path


def make_home(n_files=6):
    """The user's files in the home and the notebook dir; returns their paths."""
    home, nb = f"{p.T}/home/{USER}", f"{p.T}/notebooks"
    paths = [home, nb]
    for d in (f"{home}/data", f"{home}/data/sub", f"{nb}/work"):
        os.makedirs(d, exist_ok=True)
        os.chown(d, 1500, 1500)
        paths.append(d)
    for i in range(n_files):
        f = f"{home}/data/f{i:03d}" if i % 2 else f"{nb}/work/f{i:03d}"
        p.write(f, "x")
        os.chown(f, 1500, 1500)
        paths.append(f)
    return paths


def snapshot():
    state = {}
    for f in ACCOUNT_FILES:
        with open("/etc/" + f) as fh:
            state[f] = fh.read()
    return state


def restore(state, paths):
    for f, text in state.items():
        with open("/etc/" + f, "w") as fh:
            fh.write(text)
    for name in os.listdir("/etc"):
        if ".mmlspark-" in name:
            os.unlink("/etc/" + name)
    for path in paths:
        os.lchown(path, 1500, 1500)


def traced(env):
    """LeakSanitizer cannot run under ptrace: the traced run only checks behaviour."""
    return dict(env, ASAN_OPTIONS="detect_leaks=0")


def run_killed_at(syscall, n, env):
    """Runs init under strace with a SIGKILL at the nth `syscall` of any of its processes."""
    return subprocess.run([strace(), "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + syscall,
                           "-e", f"inject={syscall}:signal=SIGKILL:when={n}",
                           p.INIT, "--", "id", "-u"],
                          env=traced(env), capture_output=True, text=True, timeout=60)


def consistent(paths, what, *context):
    """The state a user must find: one account with the new ids, its files with them."""
    getent = subprocess.run(["getent", "passwd", USER], capture_output=True, text=True).stdout
    p.check(getent.split(":")[2:4] == [str(i) for i in NEW], f"{what}: passwd has {NEW}", getent,
            *context)
    grp_line = subprocess.run(["getent", "group", str(NEW[1])], capture_output=True,
                              text=True).stdout
    p.check(grp_line.split(":")[0] == USER, f"{what}: the user's own group has {NEW[1]}",
            grp_line, *context)
    # the group file's (the image's NSS module names every gid)
    p.check(subprocess.run(["getent", "-s", "files", "group", "1500"],
                           capture_output=True).returncode != 0,
            f"{what}: no group keeps the old gid 1500", *context)
    left = [n for n in os.listdir("/etc") if ".mmlspark-" in n]
    p.check(left == [], f"{what}: no record or temporary copy left in /etc", left, *context)
    wrong = [(f, owner(f)) for f in paths if owner(f) != NEW]
    p.check(wrong == [], f"{what}: every file of the user has {NEW}", wrong, *context)


def crash_then_start(syscall):
    paths = make_home()
    before = snapshot()
    env = p.init_env(NB_UID=str(NEW[0]), NB_GID=str(NEW[1]))
    killed = 0
    for n in range(1, 200):
        crash = run_killed_at(syscall, n, env)
        if crash.returncode == 0:
            break  # fewer than n such calls: every step has been killed once
        killed += 1
        p.check(crash.returncode == 70 and "died before it reported" in crash.stderr,
                f"killed at {syscall} #{n}: init reports the dead preparation (70)",
                crash.returncode, crash.stderr)
        r = p.run_init(["sh", "-c", "id -u; id -g; id -gn"], env)
        p.check(r.returncode == 0, f"start after a kill at {syscall} #{n} exits 0", r.stdout,
                r.stderr)
        p.check(r.stdout.split() == [str(NEW[0]), str(NEW[1]), USER],
                f"after a kill at {syscall} #{n}: the job runs as {NEW} in group {USER}",
                r.stdout, r.stderr)
        warns = [l for l in r.stderr.split("\n") if "interrupted" in l or "unfinished" in l]
        p.check(len(warns) <= 2 and all(USER in l or "/etc" in l for l in warns),
                f"after a kill at {syscall} #{n}: at most one line each for the record and the "
                "copies", r.stderr)
        consistent(paths, f"after a kill at {syscall} #{n}", crash.stderr, r.stderr)
        restore(before, paths)
    p.check(killed >= 2, f"the change makes at least two {syscall} calls to kill", killed)
    consistent(paths, "the uninterrupted start")


# ---- the tests ----

def test_kill_at_every_rename_is_completed_by_next_start():
    crash_then_start("rename")


def test_kill_at_every_chown_is_completed_by_next_start():
    crash_then_start("fchownat")


def stop_during_slow_walk(sig):
    paths = make_home(n_files=200)
    env = p.init_env(NB_UID=str(NEW[0]), NB_GID=str(NEW[1]))
    # Every fchownat takes 50 ms: the walk alone would take over 10 s.
    proc = subprocess.Popen([strace(), "-f", "-qq", "-o", "/dev/null", "-e", "trace=fchownat",
                             "-e", "inject=fchownat:delay_exit=50000", p.INIT, "--", "id", "-u"],
                            env=traced(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 20
    while all(owner(f)[0] != NEW[0] for f in paths) and time.monotonic() < deadline:
        time.sleep(0.02)  # until the walk has begun
    time.sleep(0.3)
    sent = time.monotonic()
    with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
        init_pid = int(f.read().split()[0])  # strace's child: init, as docker stop finds it
    os.kill(init_pid, sig)
    out, err = proc.communicate(timeout=30)
    took = time.monotonic() - sent
    name = signal.Signals(sig).name
    p.check(proc.returncode == 128 + sig, f"{name}: init exits {128 + sig}", proc.returncode,
            err)
    p.check(took < 2.0, f"{name}: the walk stopped at once ({took:.1f} s, grace period 5 s)",
            err)
    p.check(str(NEW[0]) not in out, f"{name}: the job did not start", out)
    p.check(os.path.exists(RECORD), "the change stays recorded for the next start", err)
    r = p.run_init(["id", "-u"], env)
    p.check(r.returncode == 0 and r.stdout.strip() == str(NEW[0]), "the next start runs the job",
            r.stdout, r.stderr)
    consistent(paths, "after the stopped walk", err, r.stderr)


def test_term_ends_slow_ownership_walk_and_next_start_completes_it():
    stop_during_slow_walk(signal.SIGTERM)


def test_hup_ends_slow_ownership_walk_like_term():
    stop_during_slow_walk(signal.SIGHUP)


def test_home_left_with_old_owner_without_record_is_walked():
    # A walk killed by an mmlspark-init without the record (or a home re-owned by hand): the
    # account files already have the new ids, the home and its files still the old ones.
    paths = make_home()
    for f, old, new in (("passwd", f"{USER}:x:1500:1500:", f"{USER}:x:{NEW[0]}:{NEW[1]}:"),
                        ("group", f"{USER}:x:1500:", f"{USER}:x:{NEW[1]}:")):
        with open("/etc/" + f) as fh:
            text = fh.read()
        p.check(old in text, f"the sandbox's {f} has {old}", text)
        with open("/etc/" + f, "w") as fh:
            fh.write(text.replace(old, new))
    r = p.run_init(["id", "-u"], p.init_env(NB_UID=str(NEW[0]), NB_GID=str(NEW[1])))
    p.check(r.returncode == 0 and r.stdout.strip() == str(NEW[0]), "init runs the job", r.stdout,
            r.stderr)
    warns = [l for l in r.stderr.split("\n") if "is owned by 1500:1500" in l]
    p.check(len(warns) == 1, "one line says the home was left behind", r.stderr)
    consistent(paths, "after the start", r.stderr)


def test_tree_deeper_than_path_max_is_walked():
    home = f"{p.T}/home/{USER}"
    name = "d" * 100
    fd = os.open(home, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(60):  # 60 x 101 bytes: past PATH_MAX (4096)
        os.mkdir(name, dir_fd=fd)
        os.chown(name, 1500, 1500, dir_fd=fd, follow_symlinks=False)
        sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = sub
    leaf = os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.fchown(leaf, 1500, 1500)
    os.close(leaf)
    r = p.run_init(["id", "-u"], p.init_env(NB_UID=str(NEW[0]), NB_GID=str(NEW[1])))
    p.check(r.returncode == 0, "init exits 0", r.stdout, r.stderr)
    st = os.stat("leaf", dir_fd=fd, follow_symlinks=False)
    os.close(fd)
    p.check((st.st_uid, st.st_gid) == NEW, "a file 6000 bytes deep follows the user",
            (st.st_uid, st.st_gid), r.stderr)


def users_file(path):
    p.write(path, "x")
    os.chown(path, 1500, 1500)


def outside_file_linked_from(directory):
    """T/outside/secret, the old user's, with a hard link directory/link-to-outside; its path."""
    os.makedirs(f"{p.T}/outside")
    users_file(f"{p.T}/outside/secret")
    os.link(f"{p.T}/outside/secret", f"{directory}/link-to-outside")
    return f"{p.T}/outside/secret"


def test_hard_link_to_outside_file_keeps_owner_and_is_reported():
    home = f"{p.T}/home/{USER}"
    outside_file_linked_from(home)
    users_file(f"{home}/twice-a")
    os.link(f"{home}/twice-a", f"{home}/twice-b")
    r = p.run_init(["id", "-u"], p.init_env(NB_UID=str(NEW[0]), NB_GID=str(NEW[1])))
    p.check(r.returncode == 0, "init exits 0", r.stdout, r.stderr)
    p.check(owner(f"{p.T}/outside/secret") == (1500, 1500),
            "a file with a link outside the home keeps its owner", owner(f"{p.T}/outside/secret"))
    p.check(owner(f"{home}/twice-a") == NEW, "a file linked twice inside the home follows")
    warns = [l for l in r.stderr.split("\n") if "hard links outside" in l]
    p.check(len(warns) == 1 and "link-to-outside" in warns[0] and "1 file" in warns[0],
            "one warning line names it", r.stderr)


def test_own_group_is_renumbered_and_walked_when_primary_group_is_another():
    home = f"{p.T}/home/{USER}"
    p.sh("usermod", "-g", "nbextra", USER)  # primary 5000; own group nbuser keeps 1500
    p.write(f"{home}/own-group", "x")
    os.chown(f"{home}/own-group", 1500, 1500)
    p.write(f"{home}/extra-group", "x")
    os.chown(f"{home}/extra-group", 1500, 5000)
    r = p.run_init(["id", "-g"], p.init_env(NB_GID="4400"))
    p.check(r.returncode == 0 and r.stdout.strip() == "4400", "primary group 4400", r.stdout,
            r.stderr)
    p.check(owner(f"{home}/own-group") == (1500, 4400), "the own group's file follows it",
            owner(f"{home}/own-group"))
    p.check(owner(f"{home}/extra-group") == (1500, 5000), "nbextra's file keeps nbextra",
            owner(f"{home}/extra-group"))


# ---- driver ----

def main():
    return p.driver(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
