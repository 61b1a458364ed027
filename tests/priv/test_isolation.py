#!/usr/bin/env python3
"""test_isolation.py - what init keeps to itself (issue 20, items 5 to 8): a failed drop is
init's own failure (not remapped by -e); the hooks' background services outlive the EULA page;
no descriptor or setting of init's reaches the
hooks, the job or the EULA page.

Usage: test_isolation.py TEST_NAME MMLSPARK_INIT SOURCE_DIR   (as root; exit 77 = skipped)

Runs in priv_tests.py's sandbox.
"""
import ctypes
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import priv_tests as p  # noqa: E402

PR_SET_SECUREBITS = 28
SECBIT_NO_SETUID_FIXUP = 1 << 2
SECRET = "a-cluster-secret-nobody-else-knows"


def out_dir():
    d = f"{p.T}/out"
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)  # the dropped job writes here too
    return d


def script(path, body):
    p.write(path, "#!/bin/sh\n" + body + "\n", 0o755)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def notebook_config(page_body, jupyter_body):
    """A config whose EULA page and Jupyter are scripts: the page 'accepts' by exiting 0."""
    script(f"{p.T}/page", page_body)
    script(f"{p.T}/jupyter", jupyter_body)
    conf = f"{p.T}/mmlspark.conf"
    p.write(conf, f'eula_command = "{p.T}/page"\njupyter_command = "{p.T}/jupyter"\n')
    return conf


def run_notebook(conf, **env):
    return subprocess.run([p.INIT, "--config", conf], env=p.init_env(ACCEPT_EULA=None, **env),
                          capture_output=True, text=True, timeout=60)


# ---- item 5 ----

def test_failed_drop_is_init_own_error_not_remapped_by_e_70():
    def keep_caps_across_setuid():
        # The drop's proof then finds capabilities left after setuid: the drop fails.
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECUREBITS)")

    r = subprocess.run([p.INIT, "-e", "70", "--", "sh", "-c", "echo job-ran"],
                       env=p.init_env(NB_UID="1500"), capture_output=True, text=True,
                       timeout=30, preexec_fn=keep_caps_across_setuid)
    p.check("job-ran" not in r.stdout, "the job does not run", r.stdout, r.stderr)
    errors = [l for l in r.stderr.split("\n") if ": error: " in l]
    p.check(len(errors) == 1 and "refusing to run the job" in errors[0], "one error line says why",
            r.stderr)
    p.check(r.returncode == 70, "init's own 70 stays 70 under -e 70", r.returncode, r.stderr)


# ---- item 6 ----

def test_hook_background_service_survives_eula_accept_in_browser():
    out = out_dir()
    p.hook("10-service", f"sleep 300 &\necho $! > {out}/service.pid")
    conf = notebook_config("exit 0",
                           f'[ -d "/proc/$(cat {out}/service.pid)" ] && echo alive > {out}/result')
    r = run_notebook(conf)
    p.check(r.returncode == 0, "init exits 0", r.returncode, r.stderr)
    p.check(read(f"{out}/result") == "alive\n",
            "the hook's service still runs when Jupyter starts", read(f"{out}/result"), r.stderr)


# ---- item 8 ----

def test_hook_descriptor_does_not_reach_the_hook_or_its_children():
    out = out_dir()
    p.hook("10-fds", f"ls -l /proc/self/fd/ > {out}/fds")
    r = p.run_init(["true"])
    p.check(r.returncode == 0, "init exits 0", r.returncode, r.stderr)
    fds = read(f"{out}/fds") or ""
    leaked = [l for l in fds.split("\n") if "/hooks/" in l]
    p.check(fds and leaked == [], "no descriptor of the hook file in what the hook starts", fds)


def test_kill_group_setting_does_not_reach_the_dropped_job():
    r = p.run_init(["sh", "-c", 'echo "${MMLSPARK_KILL_GROUP-unset}"'], p.init_env(NB_UID="1500"))
    p.check(r.returncode == 0 and r.stdout.strip() == "unset",
            "MMLSPARK_KILL_GROUP (init to the session process) is not in the job's environment",
            r.stdout, r.stderr)


def test_eula_page_gets_only_the_settings_environment():
    out = out_dir()
    conf = notebook_config(f"env > {out}/page-env", "exit 0")
    r = run_notebook(conf, SPARK_AUTH_SECRET=SECRET, JUPYTER_TOKEN="tok-abc",
                     MMLSPARK_JUPYTER_PORT="8999")
    p.check(r.returncode == 0, "init exits 0", r.returncode, r.stderr)
    env = read(f"{out}/page-env") or ""
    p.check(SECRET not in env and "tok-abc" not in env,
            "neither the Spark secret nor the Jupyter token reaches the EULA page", env)
    p.check("MMLSPARK_JUPYTER_PORT=8999" in env and "PATH=" in env,
            "the page's own settings and PATH do", env)


# ---- driver ----

def main():
    return p.driver(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
