#!/usr/bin/env python3
"""test_identity.py - every uid has a user name and a writable HOME, whatever the command (issue 27,
item 10): `--user 12345:0 IMAGE whoami` works, and so do Python's getpass.getuser() and a process
init did not start (`docker exec`), through the image's NSS module (nss/, libnss_mmlspark.so.2),
without a shell profile, nss_wrapper or a passwd file.

Usage: test_identity.py TEST_NAME MMLSPARK_INIT SOURCE_DIR   (as root; exit 77 = skipped)
Runs in priv_tests.py's sandbox, whose own /etc gets the module as the image has it: in
/etc/nsswitch.conf (passwd: files mmlspark) and in the loader's cache (ldconfig), from the build
tree (MMLSPARK_NSS_DIR, set by ctest).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import priv_tests as p  # noqa: E402


def use_module():
    d = os.environ.get("MMLSPARK_NSS_DIR", "")
    lib = os.path.join(d, "libnss_mmlspark.so.2")
    if not os.path.exists(lib):
        print("SKIPPED: no libnss_mmlspark.so.2 in MMLSPARK_NSS_DIR=%r" % d)
        sys.exit(77)
    lib = p.reachable_by_all(lib)
    p.write("/etc/ld.so.conf.d/zz-mmlspark-test.conf", os.path.dirname(lib) + "\n")
    subprocess.run(["ldconfig", "-X"], check=True)
    with open("/etc/nsswitch.conf") as f:
        text = f.read()
    text = re.sub(r"^(passwd|group):(.*)$", r"\1:\2 mmlspark", text, flags=re.M)
    p.write("/etc/nsswitch.conf", text)


def as_uid(uid, gid=0):
    def become():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return become


def tmpdir():
    d = f"{p.T}/tmp"
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o1777)
    return d


def test_any_uid_gets_a_name_for_a_plain_command():
    use_module()
    tmp = tmpdir()
    r = p.run_init(["sh", "-c", 'whoami; python3 -c "import getpass; print(getpass.getuser())"; '
                    'echo "$HOME"; id -un; echo "$USER $LOGNAME"; '
                    'echo "preload=${LD_PRELOAD-}${NSS_WRAPPER_PASSWD-}"'],
                   p.init_env(HOME="/", TMPDIR=tmp, MMLSPARK_PAM_CONFDIR=None),
                   preexec=as_uid(12345))
    p.check(r.returncode == 0, "init exits 0", r.returncode, r.stdout, r.stderr)
    out = r.stdout.split("\n")
    p.check(out[:2] == ["mmlspark-12345"] * 2 and out[3] == "mmlspark-12345",
            "whoami, getpass.getuser() and id -un name uid 12345", r.stdout, r.stderr)
    p.check(out[2] in (f"{p.T}/home/{p.USER}", f"{tmp}/home-12345"), "a HOME", r.stdout)
    p.check(out[4] == "mmlspark-12345 mmlspark-12345", "USER and LOGNAME are the name", r.stdout)
    p.check(out[5] == "preload=", "no nss_wrapper, no LD_PRELOAD", r.stdout)
    p.check(os.listdir(tmp) in ([], ["home-12345"]), "no passwd file", os.listdir(tmp))


def test_a_process_init_did_not_start_has_a_name_a_group_and_a_home():
    """What `docker exec` runs: no init, no profile, the module alone."""
    use_module()
    tmp = tmpdir()
    env = {"PATH": p.PATH, "HOME": "/", "TMPDIR": tmp}
    r = subprocess.run(["sh", "-c", "whoami; id -gn; python3 -c 'import getpass, pwd, os; "
                        "print(getpass.getuser(), pwd.getpwuid(os.getuid()).pw_dir)'"],
                       env=env, capture_output=True, text=True, timeout=30,
                       preexec_fn=as_uid(12345, 12345))
    p.check(r.returncode == 0, "the commands exit 0", r.returncode, r.stdout, r.stderr)
    p.check(r.stdout.split("\n")[:3] == ["mmlspark-12345", "mmlspark-12345",
                                         f"mmlspark-12345 {tmp}/home-12345"],
            "name, group name and $TMPDIR/home-UID without init", r.stdout, r.stderr)


def test_any_uid_without_a_writable_home_gets_one_in_tmpdir():
    use_module()
    tmp = tmpdir()
    home = f"{p.T}/home/{p.USER}"
    os.chmod(home, 0o755)  # the notebook user's home is not writable for uid 12345
    r = p.run_init(["sh", "-c", 'echo "$HOME"; touch "$HOME/x" && echo home-ok; '
                    'stat -c %a "$HOME"; getent passwd 12345 | cut -d: -f6'],
                   p.init_env(HOME="/", TMPDIR=tmp, MMLSPARK_PAM_CONFDIR=None),
                   preexec=as_uid(12345))
    p.check(r.returncode == 0, "init exits 0", r.returncode, r.stderr)
    p.check(r.stdout.split() == [f"{tmp}/home-12345", "home-ok", "700", f"{tmp}/home-12345"],
            "HOME is $TMPDIR/home-UID, ours alone, writable, and the module names the same",
            r.stdout, r.stderr)


def test_a_uid_with_a_passwd_entry_keeps_its_own_name():
    use_module()
    r = p.run_init(["sh", "-c", 'whoami; getent passwd mmlspark-1500 || echo no-second-name'],
                   p.init_env(MMLSPARK_PAM_CONFDIR=None), preexec=as_uid(1500, 1500))
    p.check(r.returncode == 0 and r.stdout.split() == [p.USER, "no-second-name"],
            "the notebook user is itself, and has no mmlspark- name", r.stdout, r.stderr)


def test_without_the_module_init_says_so_in_one_line():
    tmp = tmpdir()
    r = p.run_init(["sh", "-c", "echo ran"],
                   p.init_env(HOME="/", TMPDIR=tmp, MMLSPARK_PAM_CONFDIR=None),
                   preexec=as_uid(12345))
    lines = [ln for ln in r.stderr.splitlines() if "has no user name" in ln]
    p.check(r.returncode == 0 and r.stdout == "ran\n", "the job runs", r.stdout, r.stderr)
    p.check(len(lines) == 1 and "libnss_mmlspark.so.2" in lines[0],
            "one line names what is missing", r.stderr)


def test_root_adds_users_and_groups_with_the_module_loaded():
    """useradd and groupadd (root, in derived images and hooks) find free ids free: root is
    answered for its own ids alone."""
    use_module()
    r = subprocess.run(["sh", "-c", "useradd -u 2345 fixed && useradd auto && groupadd -g 3456 g1 "
                        "&& groupadd g2 && id -u fixed && getent group g1 | cut -d: -f3 && "
                        "getent passwd 12345 || echo root-sees-files-only"],
                       capture_output=True, text=True, timeout=60)
    p.check(r.returncode == 0 and r.stdout.split() == ["2345", "3456", "root-sees-files-only"],
            "useradd and groupadd work, root sees no mmlspark- names", r.stdout, r.stderr)


def test_a_home_left_with_an_old_gid_is_walked_although_nss_names_that_gid():
    """NB_UID/NB_GID's repair of a home left with old ids asks the group file, not getgrgid(3),
    whether the old gid is gone: the module names every gid."""
    import test_crash
    use_module()
    test_crash.test_home_left_with_old_owner_without_record_is_walked()


def main():
    return p.driver(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
