#!/usr/bin/env python3
"""test_walk.py - the ownership walk of NB_UID/NB_GID stays bounded whatever the tree (issue 27,
items 2, 3 and 6): hard links and depth under a small fd limit, a notebook directory inside the
home walked once, and a walk that could not finish keeps its record for the next start. The lock
(issue 27, item 1): a directory only its owner can write is root's while its files change by
name, a kill leaves it noted for the next start, and the others' files change through a
descriptor each.

Usage: test_walk.py TEST_NAME MMLSPARK_INIT SOURCE_DIR   (as root; exit 77 = skipped)
Runs in priv_tests.py's sandbox (test_crash.py's helpers).
"""
import os
import resource
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import priv_tests as p  # noqa: E402
import test_crash as c  # noqa: E402

USER = p.USER
NEW = c.NEW
ENV = None
NOTE = c.RECORD + ".lock"


def env():
    return p.init_env(NB_UID=str(NEW[0]), NB_GID=str(NEW[1]))


def nofile(n):
    """A preexec that sets the soft and hard fd limits: the walk cannot raise them."""
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return limit


def test_800_hard_linked_files_under_ulimit_n_64_all_follow_the_user():
    home = f"{p.T}/home/{USER}"
    os.makedirs(f"{home}/a")
    os.makedirs(f"{home}/b")
    for d in (f"{home}/a", f"{home}/b"):
        os.chown(d, 1500, 1500)
    for i in range(800):
        f = f"{home}/a/f{i}"
        p.write(f, "x")
        os.chown(f, 1500, 1500)
        os.link(f, f"{home}/b/f{i}")
    r = p.run_init(["id", "-u"], env(), preexec=nofile(64))
    p.check(r.returncode == 0 and r.stdout.strip() == str(NEW[0]), "init runs the job",
            r.returncode, r.stderr)
    wrong = [i for i in range(800) if c.owner(f"{home}/a/f{i}") != NEW]
    p.check(wrong == [], "every hard-linked file follows the user", len(wrong), r.stderr[-2000:])
    p.check("hard links outside" not in r.stderr and "cannot" not in r.stderr,
            "no false report of links outside, no error", r.stderr[-2000:])
    p.check(not os.path.exists(c.RECORD), "the finished change leaves no record", r.stderr)


def test_2000_files_in_one_directory_under_ulimit_n_16_all_follow_the_user():
    # The files' descriptors are closed in runs: one that meets the fd limit is closed at once.
    home = f"{p.T}/home/{USER}"
    os.makedirs(f"{home}/many")
    os.chown(f"{home}/many", 1500, 1500)
    for i in range(2000):
        f = f"{home}/many/f{i}"
        p.write(f, "x")
        os.chown(f, 1500, 1500)
    r = p.run_init(["id", "-u"], env(), preexec=nofile(16))
    p.check(r.returncode == 0 and r.stdout.strip() == str(NEW[0]), "init runs the job",
            r.returncode, r.stderr[-2000:])
    wrong = [i for i in range(2000) if c.owner(f"{home}/many/f{i}") != NEW]
    p.check(wrong == [], "every file follows the user", len(wrong), r.stderr[-2000:])
    p.check("out of file descriptors" not in r.stderr, "no file is skipped", r.stderr[-2000:])
    p.check(not os.path.exists(c.RECORD), "the finished change leaves no record", r.stderr)


def test_chain_3000_deep_under_ulimit_n_32_is_walked_with_a_few_descriptors():
    home = f"{p.T}/home/{USER}"
    fd = os.open(home, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(3000):
        os.mkdir("d", dir_fd=fd)
        os.chown("d", 1500, 1500, dir_fd=fd, follow_symlinks=False)
        sub = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = sub
    leaf = os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.fchown(leaf, 1500, 1500)
    os.close(leaf)
    r = p.run_init(["id", "-u"], env(), preexec=nofile(32))
    p.check(r.returncode == 0, "init exits 0", r.returncode, r.stderr[-2000:])
    st = os.stat("leaf", dir_fd=fd, follow_symlinks=False)
    os.close(fd)
    p.check((st.st_uid, st.st_gid) == NEW, "a file 3000 levels deep follows the user",
            (st.st_uid, st.st_gid), r.stderr[-2000:])
    p.check("out of file descriptors" not in r.stderr, "no level is skipped", r.stderr[-2000:])


def test_notebook_dir_inside_home_is_walked_once():
    # MMLSPARK_NOTEBOOK_DIR=$HOME/work: a hard link from it to a file outside both is seen once,
    # so the outside file keeps its owner.
    home = f"{p.T}/home/{USER}"
    work = f"{home}/work"
    os.makedirs(work)
    os.chown(work, 1500, 1500)
    c.outside_file_linked_from(work)
    c.users_file(f"{work}/mine")
    r = p.run_init(["id", "-u"], p.init_env(NB_UID=str(NEW[0]), NB_GID=str(NEW[1]),
                                            MMLSPARK_NOTEBOOK_DIR=work))
    p.check(r.returncode == 0, "init exits 0", r.returncode, r.stderr)
    p.check(c.owner(f"{p.T}/outside/secret") == (1500, 1500),
            "the outside file keeps its owner", c.owner(f"{p.T}/outside/secret"), r.stderr)
    p.check(c.owner(f"{work}/mine") == NEW, "the notebook dir's own file follows", r.stderr)
    warns = [l for l in r.stderr.split("\n") if "hard links outside" in l]
    p.check(len(warns) == 1 and "1 file" in warns[0], "one warning counts it once", r.stderr)


def test_walk_that_cannot_finish_keeps_its_record_and_next_start_completes_it():
    paths = c.make_home(n_files=20)
    e = env()
    # The second directory read fails for want of memory (strace's fault injection).
    r = subprocess.run([c.strace(), "-f", "-qq", "-o", "/dev/null", "-e", "trace=getdents64",
                        "-e", "inject=getdents64:error=ENOMEM:when=2+", p.INIT, "--", "id", "-u"],
                       env=c.traced(e), capture_output=True, text=True, timeout=60)
    p.check("the next start completes it" in r.stderr, "one line says the walk is unfinished",
            r.stderr)
    p.check(os.path.exists(c.RECORD), "the record stays", r.stderr)
    r2 = p.run_init(["id", "-u"], e)
    p.check(r2.returncode == 0 and r2.stdout.strip() == str(NEW[0]), "the next start runs",
            r2.stderr)
    c.consistent(paths, "after the next start", r.stderr, r2.stderr)


def users_dir(path, mode, uid=1500, gid=1500):
    os.makedirs(path)
    os.chown(path, uid, gid)
    os.chmod(path, mode)
    return path


def users_files(directory, prefix, n=3):
    """n files of the old ids in directory; their paths."""
    paths = [f"{directory}/{prefix}-f{i}" for i in range(n)]
    for f in paths:
        c.users_file(f)
    return paths


def mode(path):
    return os.lstat(path).st_mode & 0o7777


def roots_dirs(top):
    """The directories under top (itself included) that root owns."""
    return [d for d, _, _ in os.walk(top) if os.lstat(d).st_uid == 0]


def write_note(dev, ino, ids):
    """A lock note as a walk that a kill ended leaves it."""
    with open(NOTE, "w") as f:
        f.write(f"{dev:20d} {ino:20d} {ids[0]:10d} {ids[1]:10d}\n")


def test_nested_directories_follow_the_user_and_keep_their_modes():
    home = f"{p.T}/home/{USER}"
    dirs = {f"{home}/p": 0o755, f"{home}/p/q": 0o2750, f"{home}/p/q/r": 0o700,
            f"{home}/p/q/r/s": 0o1777, f"{home}/p/shared": 0o2775}
    files = []
    for d, m in dirs.items():
        users_dir(d, m)
        files += users_files(d, os.path.basename(d))
    os.symlink("p-f0", f"{home}/p/link")
    os.lchown(f"{home}/p/link", 1500, 1500)
    users_dir(f"{home}/p/roots", 0o755, 0, 0)
    files += users_files(f"{home}/p/roots", "roots")
    users_dir(f"{home}/p/new", 0o700, *NEW)  # the new ids' already: locked, and given back
    files += users_files(f"{home}/p/new", "new")
    dirs[f"{home}/p/new"] = 0o700
    modes = {d: mode(d) for d in [home, *dirs]}
    r = p.run_init(["id", "-u"], env())
    p.check(r.returncode == 0 and r.stdout.strip() == str(NEW[0]), "init runs the job",
            r.returncode, r.stderr)
    wrong = [(f, c.owner(f)) for f in [home, *dirs, *files, f"{home}/p/link"] if c.owner(f) != NEW]
    p.check(wrong == [], "every directory, file and symlink follows the user", wrong, r.stderr)
    changed = [(d, oct(m), oct(mode(d))) for d, m in modes.items() if mode(d) != m]
    p.check(changed == [], "the directories keep their modes (set-group-ID, sticky)", changed)
    p.check(c.owner(f"{home}/p/roots") == (0, 0), "root's directory stays root's", r.stderr)
    p.check(not os.path.exists(NOTE) and not os.path.exists(c.RECORD),
            "the finished change leaves no lock note and no record", os.listdir("/etc"))


def test_files_of_directories_others_can_write_are_changed_through_descriptors():
    # The directory only its owner can write is locked and its files change by name; those that
    # others can write (group, sticky, a third uid's) keep the O_PATH descriptor per file.
    home = f"{p.T}/home/{USER}"
    kinds = {"own": (0o755, 1500), "shared": (0o2775, 1500), "sticky": (0o1777, 1500),
             "third": (0o755, 1600)}
    files = {}
    for kind, (m, uid) in kinds.items():
        users_dir(f"{home}/{kind}", m, uid, uid)
        files[kind] = users_files(f"{home}/{kind}", kind)
    log = f"{p.T}/strace.log"
    r = subprocess.run([c.strace(), "-f", "-qq", "-o", log, "-e", "trace=openat", p.INIT, "--",
                        "id", "-u"], env=c.traced(env()), capture_output=True, text=True,
                       timeout=60)
    p.check(r.returncode == 0 and r.stdout.strip() == str(NEW[0]), "init runs the job",
            r.returncode, r.stderr)
    wrong = [(f, c.owner(f)) for fs in files.values() for f in fs if c.owner(f) != NEW]
    p.check(wrong == [], "every file follows the user", wrong, r.stderr)
    p.check(c.owner(f"{home}/third") == (1600, 1600), "the third uid's directory keeps its owner")
    p.check(c.owner(f"{home}/shared") == NEW and mode(f"{home}/shared") == 0o2775,
            "the group-writable directory follows the user and keeps its mode",
            c.owner(f"{home}/shared"), oct(mode(f"{home}/shared")))
    with open(log) as f:
        opened = [l for l in f if "O_PATH" in l]
    by_fd = {k: [f for f in fs if any(f'"{os.path.basename(f)}"' in l for l in opened)]
             for k, fs in files.items()}
    p.check(by_fd["own"] == [], "the owner-only directory's files are changed by name", by_fd)
    for kind in ("shared", "sticky", "third"):
        p.check(by_fd[kind] == files[kind],
                f"the {kind} directory's files are changed through their descriptors", by_fd)


def test_kill_at_every_lock_and_unlock_leaves_no_directory_to_root():
    # strace kills the preparation at each fchown: the walk's locks and unlocks (and the account
    # files' copies before them). A kill while a directory is root's leaves it noted.
    paths = c.make_home()
    before = c.snapshot()
    e = env()
    killed = locked = 0
    for n in range(1, 200):
        crash = c.run_killed_at("fchown", n, e)
        if crash.returncode == 0:
            break
        killed += 1
        p.check(crash.returncode == 70, f"killed at fchown #{n}: init exits 70", crash.returncode,
                crash.stderr)
        rooted = [f for f in paths if os.lstat(f).st_uid == 0]
        if rooted:
            locked += 1
            p.check(len(rooted) == 1 and os.path.exists(NOTE),
                    f"killed at fchown #{n}: one directory is root's, and noted", rooted)
        r = p.run_init(["id", "-u"], e)
        p.check(r.returncode == 0 and r.stdout.strip() == str(NEW[0]),
                f"the start after a kill at fchown #{n} runs the job", r.stdout, r.stderr)
        c.consistent(paths, f"after a kill at fchown #{n}", crash.stderr, r.stderr)
        p.check(roots_dirs(f"{p.T}/home/{USER}") + roots_dirs(f"{p.T}/notebooks") == [],
                f"after a kill at fchown #{n}: no directory is root's", r.stderr)
        c.restore(before, paths)
    p.check(locked >= 2, "at least two kills came while a directory was locked", killed, locked)


def test_directory_a_killed_walk_left_to_root_gets_the_noted_owner():
    paths = c.make_home()
    data = f"{p.T}/home/{USER}/data"
    os.chown(data, 0, 1500)  # locked, as a kill leaves it: root's, the old group
    os.chmod(data, 0o2750)
    st = os.lstat(data)
    write_note(st.st_dev, st.st_ino, NEW)
    r = p.run_init(["id", "-u"], env())
    p.check(r.returncode == 0 and r.stdout.strip() == str(NEW[0]), "init runs the job",
            r.returncode, r.stderr)
    c.consistent(paths, "after the start", r.stderr)
    p.check(mode(data) == 0o2750, "the directory keeps its mode", oct(mode(data)))
    p.check("lock" not in r.stderr and "ignored" not in r.stderr, "nothing to warn about",
            r.stderr)


def note_warned_once(note_text, what):
    paths = c.make_home()
    with open(NOTE, "w") as f:
        f.write(note_text)
    r = p.run_init(["id", "-u"], env())
    p.check(r.returncode == 0 and r.stdout.strip() == str(NEW[0]), "init runs the job",
            r.returncode, r.stderr)
    warns = [l for l in r.stderr.split("\n") if NOTE in l]
    p.check(len(warns) == 1 and what in warns[0], f"one warning line says {what!r}", r.stderr)
    c.consistent(paths, "after the start", r.stderr)


def test_lock_note_of_a_directory_gone_gives_one_warning_and_the_walk_completes():
    gone = f"{p.T}/home/{USER}/gone"
    os.mkdir(gone)
    st = os.lstat(gone)
    os.rmdir(gone)
    note_warned_once(f"{st.st_dev:20d} {st.st_ino:20d} {NEW[0]:10d} {NEW[1]:10d}\n",
                     "not under the walked directories")


def test_unreadable_lock_note_gives_one_warning_and_the_walk_completes():
    note_warned_once("a note from elsewhere\n", "expected 'DEV INO UID GID'")


def main():
    return p.driver(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
