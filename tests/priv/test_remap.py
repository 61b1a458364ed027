#!/usr/bin/env python3
"""test_remap.py - NB_UID/NB_GID renumber the notebook user without touching mounted volumes;
NB_UMASK alone keeps a root start root (issue 14, defects 1 and 5).

Usage: test_remap.py TEST_NAME MMLSPARK_INIT SOURCE_DIR   (as root; exit 77 = skipped)

Runs in priv_tests.py's sandbox (own mount and PID namespaces, a private copy of /etc, the
notebook user nbuser with uid 1500 created only there).
"""
import grp
import os
import pwd
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import priv_tests as p  # noqa: E402

USER = p.USER
ETC_FILES = ("passwd", "group", "shadow", "gshadow")


def owner(path):
    s = os.lstat(path)
    return (s.st_uid, s.st_gid)


def make_file(path, uid, gid, text=""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    p.write(path, text)
    os.chown(path, uid, gid)


def etc_state():
    """Per file: (mode, uid, gid, text); and the names in /etc."""
    state = {}
    for f in ETC_FILES:
        path = "/etc/" + f
        if os.path.exists(path):
            s = os.stat(path)
            with open(path) as fh:
                state[f] = (s.st_mode, s.st_uid, s.st_gid, fh.read())
    return state, set(os.listdir("/etc"))


def lines_without(text, name):
    return [l for l in text.split("\n") if not l.startswith(name + ":")]


def remap_env(**extra):
    return p.init_env(NB_UID="4321", NB_GID="4322", **extra)


# ---- the tests ----

def test_remap_leaves_volumes_under_home_and_at_notebook_dir_alone():
    T = p.T
    home, nb = f"{T}/home/{USER}", f"{T}/notebooks"
    old_gid = pwd.getpwnam(USER).pw_gid
    # A volume (another file system) at a subdirectory of the home, as -v DIR:/home/USER/work.
    os.makedirs(f"{home}/work")
    p.sh("mount", "-t", "tmpfs", "-o", "mode=0777", "tmpfs", f"{home}/work")
    os.chown(f"{home}/work", 1500, old_gid)
    make_file(f"{home}/work/f", 1500, old_gid)
    make_file(f"{home}/work/sub/g", 1500, old_gid)
    os.chown(f"{home}/work/sub", 1500, old_gid)
    # A volume exactly at the notebook directory, as -v DIR:/notebooks (a bind mount of the
    # same file system as the home: same st_dev, still another mount).
    os.makedirs(f"{T}/host-notebooks")
    os.chown(f"{T}/host-notebooks", 1500, old_gid)
    make_file(f"{T}/host-notebooks/g.ipynb", 1500, old_gid)
    p.sh("mount", "--bind", f"{T}/host-notebooks", nb)
    # A bind mount of the same file system inside the home, and a single bound file.
    os.makedirs(f"{T}/samefs/d")
    make_file(f"{T}/samefs/d/h", 1500, old_gid)
    os.chown(f"{T}/samefs/d", 1500, old_gid)
    os.makedirs(f"{home}/samefs")
    p.sh("mount", "--bind", f"{T}/samefs", f"{home}/samefs")
    make_file(f"{T}/single", 1500, old_gid)
    make_file(f"{home}/single", 0, 0)
    p.sh("mount", "--bind", f"{T}/single", f"{home}/single")
    # Not mounted: these follow the user; others' files keep their owners.
    make_file(f"{home}/.profile-test", 1500, old_gid)
    make_file(f"{home}/a/b/c/deep", 1500, old_gid)
    os.chown(f"{home}/a", 1500, old_gid)
    make_file(f"{home}/others", 1600, 1600)
    make_file(f"{home}/group0", 1500, 0)
    # Symlinks pointing outside: the link itself follows, never what it points to.
    make_file(f"{T}/outside/target", 1500, old_gid)
    os.chown(f"{T}/outside", 1500, old_gid)
    os.symlink(f"{T}/outside/target", f"{home}/link")
    os.symlink(f"{T}/outside", f"{home}/dirlink")
    os.lchown(f"{home}/link", 1500, old_gid)
    os.lchown(f"{home}/dirlink", 1500, old_gid)

    r = p.run_init(["sh", "-c", "id -u; id -g; touch ~/work/new; echo job-ran"], remap_env())
    p.check(r.returncode == 0, "init exits 0", r.stdout, r.stderr)
    p.check(r.stdout.split() == ["4321", "4322", "job-ran"], "the job runs as 4321:4322",
            r.stdout, r.stderr)
    kept = (1500, old_gid)
    for path in (f"{home}/work", f"{home}/work/f", f"{home}/work/sub", f"{home}/work/sub/g",
                 nb, f"{nb}/g.ipynb", f"{home}/samefs/d/h", f"{home}/samefs/d", f"{T}/single",
                 f"{T}/outside", f"{T}/outside/target"):
        p.check(owner(path) == kept, f"{path} keeps its owner {kept}", owner(path), r.stderr)
    p.check(owner(f"{home}/work/new") == (4321, 4322), "the job's new file in the volume is its")
    new = (4321, 4322)
    for path in (home, f"{home}/.profile-test", f"{home}/a", f"{home}/a/b/c/deep", f"{home}/link",
                 f"{home}/dirlink"):
        p.check(owner(path) == new, f"{path} follows the user", owner(path), r.stderr)
    p.check(owner(f"{home}/others") == (1600, 1600), "another user's file untouched")
    p.check(owner(f"{home}/group0") == (4321, 0), "group 0 stays group 0", owner(f"{home}/group0"))
    p.check(owner(f"{home}/a/b") == (0, 0), "root's directory untouched", owner(f"{home}/a/b"))


def test_remap_edits_passwd_and_group_atomically():
    os.chmod("/etc/group", 0o640)  # an unusual mode and owner must survive the rewrite
    os.chown("/etc/group", 0, 42)
    before, names_before = etc_state()
    inodes = {f: os.stat("/etc/" + f).st_ino for f in ("passwd", "group")}
    r = p.run_init(["id", "-u"], remap_env())
    p.check(r.returncode == 0 and r.stdout.strip() == "4321", "init exits 0, job is 4321",
            r.stdout, r.stderr)
    after, names_after = etc_state()
    p.check(names_after - names_before <= {".pwd.lock"},
            "no temporary or backup file left in /etc", names_after - names_before)
    for f in before:
        p.check(before[f][:3] == after[f][:3], f"/etc/{f} keeps mode and owner", before[f][:3],
                after[f][:3])
    for f in inodes:
        p.check(os.stat("/etc/" + f).st_ino != inodes[f], f"/etc/{f} replaced whole (rename), "
                "not rewritten in place")
    for f in ("passwd", "shadow"):
        p.check(lines_without(before[f][3], USER) == lines_without(after[f][3], USER),
                f"the other lines of /etc/{f} are unchanged")
    p.check(after["shadow"][3] == before["shadow"][3], "/etc/shadow unchanged")
    getent = subprocess.run(["getent", "passwd", USER], capture_output=True, text=True).stdout
    p.check(getent.split(":")[2:4] == ["4321", "4322"], "getent shows the new ids", getent)
    getent = subprocess.run(["getent", "group", "4322"], capture_output=True, text=True).stdout
    p.check(getent.split(":")[0] == USER, "the user's group has the new gid", getent)
    p.check(grp.getgrnam("nbextra").gr_mem == [USER], "supplementary groups kept",
            grp.getgrnam("nbextra"))


def test_remap_failure_changes_nothing():
    # /etc/passwd bound over itself: it cannot be replaced by rename (EBUSY).
    p.sh("mount", "--bind", "/etc/passwd", "/etc/passwd")
    before, names_before = etc_state()
    r = p.run_init(["sh", "-c", "echo job-ran"], remap_env())
    after, names_after = etc_state()
    p.check(r.returncode == 70, "exit 70 (EXIT_SOFTWARE)", r.returncode, r.stderr)
    lines = [l for l in r.stderr.split("\n") if ": error: " in l]
    p.check(len(lines) == 1 and "passwd" in lines[0], "one error line naming passwd", r.stderr)
    p.check("job-ran" not in r.stdout, "the job does not run", r.stdout)
    p.check(after == before, "passwd, group, shadow and gshadow unchanged")
    p.check(names_after - names_before <= {".pwd.lock"}, "no temporary file left in /etc",
            names_after - names_before)
    u = pwd.getpwnam(USER)
    p.check((u.pw_uid, u.pw_gid) == (1500, grp.getgrnam(USER).gr_gid), "user keeps its ids")


def test_nb_gid_new_creates_group_when_user_group_is_shared():
    # The user's primary group is 'nbextra' (not its own name): a new gid renumbers the user's
    # own group 'nbuser' (its primary group moves there), nbextra keeps 5000.
    p.sh("usermod", "-g", "nbextra", USER)
    r = p.run_init(["id", "-g"], p.init_env(NB_GID="4400"))
    p.check(r.returncode == 0 and r.stdout.strip() == "4400", "primary group 4400", r.stdout,
            r.stderr)
    p.check(grp.getgrnam("nbextra").gr_gid == 5000, "nbextra keeps 5000")
    p.check(grp.getgrgid(4400).gr_name == USER, "the user's own group renumbered")


def test_nb_umask_alone_keeps_root_job_root():
    r = p.run_init(["sh", "-c", "id -u; umask"], p.init_env(NB_UMASK="027"))
    p.check(r.returncode == 0, "init exits 0", r.stdout, r.stderr)
    p.check(r.stdout.split() == ["0", "0027"], "job runs as root with umask 027", r.stdout,
            r.stderr)
    p.check(p.markers() == [], "no PAM session", p.markers())


def test_read_only_root_asking_for_the_current_ids_runs_the_job():
    # --user root --read-only -e NB_UID=<the user's uid>: nothing to change, so no lock to take.
    home = f"{p.T}/home/{USER}"
    gid = pwd.getpwnam(USER).pw_gid
    p.sh("mount", "-o", "remount,bind,ro", "/etc")
    try:
        r = p.run_init(["id", "-u"], p.init_env(NB_UID="1500"))
        p.check(r.returncode == 0 and r.stdout.strip() == "1500",
                "NB_UID already so on a read-only root: the job runs", r.returncode, r.stderr)
        r = p.run_init(["id", "-g"], p.init_env(NB_UID="1500", NB_GID=str(gid)))
        p.check(r.returncode == 0 and r.stdout.strip() == str(gid),
                "NB_UID and NB_GID already so: the job runs", r.returncode, r.stderr)
        r = p.run_init(["id", "-u"], p.init_env(NB_UID="4321"))
        p.check(r.returncode == 70 and "cannot lock the user database" in r.stderr,
                "a real change on a read-only root is still refused with one line (70)",
                r.returncode, r.stderr)
    finally:
        p.sh("mount", "-o", "remount,bind,rw", "/etc")
    p.check(owner(home)[0] == 1500, "nothing was re-owned", owner(home))


def test_nb_gid_naming_an_existing_group_gives_the_same_result_on_every_start():
    home = f"{p.T}/home/{USER}"
    own = grp.getgrnam(USER).gr_gid
    make_file(f"{home}/mine", 1500, own)
    results = []
    for start in range(2):
        r = p.run_init(["id", "-g"], p.init_env(NB_GID="5000"))
        p.check(r.returncode == 0 and r.stdout.strip() == "5000", f"start {start}: group 5000",
                r.returncode, r.stderr)
        p.check("interrupted" not in r.stderr and "not by its ids" not in r.stderr,
                f"start {start}: no warning of an interrupted change", r.stderr)
        results.append((owner(home), owner(f"{home}/mine")))
    p.check(results[0] == results[1], "the same environment gives the same files", results)
    p.check(results[0][1] == (1500, own), "the own group's files keep the own group", results)


# ---- driver ----

def main():
    return p.driver(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
