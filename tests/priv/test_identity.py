#!/usr/bin/env python3
"""test_identity.py - every uid gets a user name and a writable HOME from init itself, whatever
the command (issue 27, item 10): `--user 12345:0 IMAGE whoami` works, and so does Python's
getpass.getuser(), without any shell profile.

Usage: test_identity.py TEST_NAME MMLSPARK_INIT SOURCE_DIR   (as root; exit 77 = skipped)
Runs in priv_tests.py's sandbox. The name comes through nss_wrapper (Debian's libnss-wrapper,
which tests/setup.sh installs); without it, init says so in one line and the test checks that.
"""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import priv_tests as p  # noqa: E402

HAVE_NSS_WRAPPER = bool(glob.glob("/usr/lib/*/libnss_wrapper.so"))


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
    tmp = tmpdir()
    r = p.run_init(["sh", "-c", 'whoami; python3 -c "import getpass; print(getpass.getuser())"; '
                    'echo "$HOME"; id -un'],
                   p.init_env(HOME="/", TMPDIR=tmp, MMLSPARK_PAM_CONFDIR=None),
                   preexec=as_uid(12345))
    if not HAVE_NSS_WRAPPER:
        p.check("no libnss_wrapper" in r.stderr, "without nss_wrapper: one line says so",
                r.stderr)
        return
    p.check(r.returncode == 0, "init exits 0", r.returncode, r.stdout, r.stderr)
    out = r.stdout.split()
    p.check(out[:2] == ["mmlspark-12345"] * 2 and out[3] == "mmlspark-12345",
            "whoami, getpass.getuser() and id -un name uid 12345", r.stdout, r.stderr)
    p.check(out[2] in (f"{p.T}/home/{p.USER}", f"{tmp}/home-12345"), "a HOME", r.stdout)
    p.check(sorted(f for f in os.listdir(tmp) if f.startswith("mmlspark-passwd")) ==
            ["mmlspark-passwd-12345"], "one passwd file per uid, the name docker exec shells reuse",
            os.listdir(tmp))


def test_any_uid_without_a_writable_home_gets_one_in_tmpdir():
    tmp = tmpdir()
    home = f"{p.T}/home/{p.USER}"
    os.chmod(home, 0o755)  # the notebook user's home is not writable for uid 12345
    r = p.run_init(["sh", "-c", 'echo "$HOME"; touch "$HOME/x" && echo home-ok; '
                    'stat -c %a "$HOME"'],
                   p.init_env(HOME="/", TMPDIR=tmp, MMLSPARK_PAM_CONFDIR=None),
                   preexec=as_uid(12345))
    p.check(r.returncode == 0, "init exits 0", r.returncode, r.stderr)
    p.check(r.stdout.split() == [f"{tmp}/home-12345", "home-ok", "700"],
            "HOME is $TMPDIR/home-UID, ours alone, writable", r.stdout, r.stderr)


def test_a_uid_with_a_passwd_entry_keeps_its_own_name():
    r = p.run_init(["sh", "-c", 'whoami; echo "${NSS_WRAPPER_PASSWD:-none}"'],
                   p.init_env(MMLSPARK_PAM_CONFDIR=None), preexec=as_uid(1500, 1500))
    p.check(r.returncode == 0 and r.stdout.split() == [p.USER, "none"],
            "the notebook user is itself, without nss_wrapper", r.stdout, r.stderr)


def main():
    return p.driver(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
