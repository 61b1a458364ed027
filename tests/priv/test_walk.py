#!/usr/bin/env python3
"""test_walk.py - the ownership walk of NB_UID/NB_GID stays bounded whatever the tree (issue 27,
items 2, 3 and 6): hard links and depth under a small fd limit, a notebook directory inside the
home walked once, and a walk that could not finish keeps its record for the next start.

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


def main():
    return p.driver(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
