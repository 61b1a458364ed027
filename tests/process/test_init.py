"""Process tests: mmlspark-init as PID 1 in its own PID namespace (unshare -fp --mount-proc).

Each test is named after the behaviour it shows. Needs root (for unshare) and the built
binaries: MMLSPARK_INIT (mmlspark-init) and MMLSPARK_ORPHANS (the orphan-storm helper).
"""
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
INIT = os.environ.get("MMLSPARK_INIT", "")
ORPHANS = os.environ.get("MMLSPARK_ORPHANS", "")
RECORDER = [sys.executable, os.path.join(HERE, "sigrecorder.py")]
PID1 = ["unshare", "-fp", "--mount-proc"]
ENV = dict(os.environ, ACCEPT_EULA="yes")


def straggler_job(mark, code):
    """A shell job that leaves a TERM-trapping straggler (it writes TERM to mark), waits until
    the trap is set, then exits with code."""
    return (f"(trap 'echo TERM >> {mark}; exit 0' TERM; : > {mark}.ready; "
            f"while :; do sleep 0.05; done) & "
            f"while [ ! -e {mark}.ready ]; do sleep 0.02; done; exit {code}")


def eula_page_setup(d, page_body, jupyter="false"):
    """A config in directory d whose EULA page is the shell script page_body, and the
    environment without ACCEPT_EULA: (config path, env)."""
    page = os.path.join(d, "page")
    with open(page, "w") as f:
        f.write("#!/bin/sh\n" + page_body + "\n")
    os.chmod(page, 0o755)
    conf = os.path.join(d, "conf")
    with open(conf, "w") as f:
        f.write(f'eula_command = "{page}"\njupyter_command = "{jupyter}"\n')
    env = dict(ENV)
    env.pop("ACCEPT_EULA")
    return conf, env


def run_pid1(args, timeout=60, **kw):
    return subprocess.run(PID1 + [INIT] + args, capture_output=True, text=True,
                          timeout=timeout, env=kw.pop("env", ENV), **kw)


class Pid1:
    """mmlspark-init started as PID 1; .init_pid is its pid as seen from here."""

    def __init__(self, args, env=None):
        self.proc = subprocess.Popen(PID1 + [INIT] + args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env or ENV)
        self.init_pid = self._child_of(self.proc.pid)
        self.seen = ""

    @staticmethod
    def _child_of(pid):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{pid}/task/{pid}/children") as f:
                    kids = f.read().split()
                if kids:
                    return int(kids[0])
            except FileNotFoundError:
                pass
            time.sleep(0.01)
        raise AssertionError("init did not start")

    def wait_line(self, text, timeout=20):
        """Waits for text on the job's stdout; reads raw bytes so nothing hides in a buffer."""
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while text not in self.seen and time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                data = os.read(fd, 4096)
                if not data:
                    break
                self.seen += data.decode()
        if text not in self.seen:
            raise AssertionError(f"never saw {text!r}; got {self.seen!r}")

    def finish(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, self.seen + out, err


@unittest.skipUnless(os.geteuid() == 0, "process tests need root for unshare -p")
class Signals(unittest.TestCase):
    def _forward(self, sig, extra=()):
        p = Pid1(["--"] + RECORDER + list(extra))
        p.wait_line("job ready")
        if extra:
            p.wait_line("child ready")
        os.kill(p.init_pid, sig)
        return p.finish()

    def test_each_catchable_signal_reaches_the_job(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
                    signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGCONT):
            with self.subTest(signal=sig.name):
                rc, out, err = self._forward(sig)
                self.assertIn(f"job {sig.name}", out, err)
                self.assertEqual(rc, 0, err)

    def test_signal_reaches_child_process_group(self):
        rc, out, err = self._forward(signal.SIGUSR1, ["--with-child"])
        self.assertIn("job SIGUSR1", out)
        self.assertIn("child SIGUSR1", out)
        self.assertEqual(rc, 0, err)

    def test_no_process_group_option_signals_the_leader_only(self):
        p = Pid1(["-p", "--"] + RECORDER + ["--with-child", "--timeout=2"])
        p.wait_line("job ready")
        p.wait_line("child ready")
        os.kill(p.init_pid, signal.SIGUSR1)
        rc, out, err = p.finish()
        self.assertIn("job SIGUSR1", out)
        self.assertNotIn("child SIGUSR1", out)  # the child timed out on its own instead
        self.assertEqual(rc, 0, err)


@unittest.skipUnless(os.geteuid() == 0, "process tests need root for unshare -p")
class Reaping(unittest.TestCase):
    def test_10000_orphans_are_reaped_with_no_zombie_left(self):
        r = run_pid1(["--", ORPHANS, "trickle", "10000", "60"], timeout=120)
        self.assertIn("orphans=10000", r.stdout)
        self.assertIn("zombies=0", r.stdout, r.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


@unittest.skipUnless(os.geteuid() == 0, "process tests need root for unshare -p")
class ExitCodes(unittest.TestCase):
    def test_every_exit_code_0_to_255_is_passed_on(self):
        for code in range(256):
            r = run_pid1(["--", "sh", "-c", f"exit {code}"])
            self.assertEqual(r.returncode, code, r.stderr)

    def test_death_by_signal_gives_128_plus_n(self):
        for sig, code in (("TERM", 143), ("KILL", 137), ("SEGV", 139), ("INT", 130)):
            with self.subTest(signal=sig):
                r = run_pid1(["--", "sh", "-c", f"kill -{sig} $$"])
                self.assertEqual(r.returncode, code, r.stderr)

    def test_remap_option_maps_chosen_codes_to_0(self):
        r = run_pid1(["-e", "143", "--", "sh", "-c", "kill -TERM $$"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run_pid1(["-e", "143", "-e", "3", "--", "sh", "-c", "exit 3"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run_pid1(["-e", "143", "--", "sh", "-c", "exit 4"])
        self.assertEqual(r.returncode, 4, r.stderr)
        r = run_pid1(["--", "sh", "-c", "exit 143"], env=dict(ENV, MMLSPARK_REMAP_EXIT="143"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_command_not_found_gives_127(self):
        r = run_pid1(["--", "no-such-command-anywhere"])
        self.assertEqual(r.returncode, 127)
        self.assertIn("no-such-command-anywhere", r.stderr)

    def test_command_not_executable_gives_126(self):
        with tempfile.NamedTemporaryFile("w", suffix=".sh") as f:
            f.write("#!/bin/sh\necho hi\n")
            f.flush()
            os.chmod(f.name, 0o644)
            r = run_pid1(["--", f.name])
        self.assertEqual(r.returncode, 126)
        self.assertIn("Permission denied", r.stderr)


@unittest.skipUnless(os.geteuid() == 0, "process tests need root for unshare -p")
class Stopping(unittest.TestCase):
    def test_sigterm_then_sigkill_after_grace_for_a_job_ignoring_term(self):
        p = Pid1(["-g", "1", "--"] + RECORDER + ["--ignore-term"])
        p.wait_line("ready")
        t0 = time.monotonic()
        os.kill(p.init_pid, signal.SIGTERM)
        rc, _, err = p.finish()
        elapsed = time.monotonic() - t0
        self.assertEqual(rc, 137, err)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 10)
        self.assertIn("SIGKILL", err)

    def test_sigterm_stops_a_cooperative_job_at_once(self):
        p = Pid1(["-g", "30", "--", "sleep", "60"])
        time.sleep(0.2)
        t0 = time.monotonic()
        os.kill(p.init_pid, signal.SIGTERM)
        rc, _, err = p.finish()
        self.assertEqual(rc, 143, err)
        self.assertLess(time.monotonic() - t0, 10)  # far from the 30 s grace

    def test_stragglers_get_term_before_kill(self):
        with tempfile.TemporaryDirectory() as d:
            mark = os.path.join(d, "mark")
            job = straggler_job(mark, 5)
            r = run_pid1(["-g", "20", "--", "sh", "-c", job])
            self.assertEqual(r.returncode, 5, r.stderr)
            with open(mark) as f:
                self.assertEqual(f.read().strip(), "TERM")
            self.assertIn("left behind", r.stderr)

    def test_straggler_ignoring_term_is_killed_after_grace(self):
        with tempfile.TemporaryDirectory() as d:
            ready = os.path.join(d, "ready")
            ended = os.path.join(d, "ended")
            # The job ends only once the straggler really ignores TERM; it stamps its end.
            job = (f"{sys.executable} -c 'import signal,time; "
                   f"signal.signal(signal.SIGTERM, signal.SIG_IGN); open(\"{ready}\", \"w\"); "
                   f"time.sleep(60)' & while [ ! -e {ready} ]; do sleep 0.02; done; "
                   f": > {ended}; exit 0")
            r = run_pid1(["-g", "1", "--", "sh", "-c", job])
            after_job = time.time() - os.stat(ended).st_mtime
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreaterEqual(after_job, 0.9)  # the grace period ran
        self.assertLess(after_job, 15)
        self.assertIn("SIGKILL", r.stderr)


class Subreaper(unittest.TestCase):
    def test_not_pid1_registers_as_subreaper_and_adopts_orphans(self):
        job = [sys.executable, "-c",
               "import os,time\n"
               "if os.fork() == 0:\n"
               "    if os.fork() == 0:\n"
               "        time.sleep(0.3); print('orphan-ppid', os.getppid(), flush=True); os._exit(0)\n"
               "    os._exit(0)\n"
               "time.sleep(1)\n"]
        p = subprocess.Popen([INIT, "--"] + job, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=ENV)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn(f"orphan-ppid {p.pid}", out)
        self.assertIn("child subreaper", err)


    def test_not_pid1_still_stops_the_stragglers_it_adopted(self):
        with tempfile.TemporaryDirectory() as d:
            mark = os.path.join(d, "mark")
            job = straggler_job(mark, 6)
            r = subprocess.run([INIT, "-g", "20", "--", "sh", "-c", job], capture_output=True,
                               text=True, timeout=60, env=ENV)
            self.assertEqual(r.returncode, 6, r.stderr)
            with open(mark) as f:
                self.assertEqual(f.read().strip(), "TERM")


def drive_pty(argv, script, timeout=30):
    """Runs argv on a new pty; script is [(wait_for_text, bytes_to_send)]. Returns (status, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, ENV)
    out = b""
    deadline = time.monotonic() + timeout
    steps = list(script)
    status = None
    while time.monotonic() < deadline:
        if steps and steps[0][0].encode() in out:
            os.write(fd, steps.pop(0)[1])
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                break
            out += data
    else:
        os.kill(pid, signal.SIGKILL)  # bounded: a hung job fails the test, not the run
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


@unittest.skipUnless(os.geteuid() == 0, "process tests need root for unshare -p")
class Tty(unittest.TestCase):
    def test_interactive_shell_exit_0_gives_0(self):
        rc, out = drive_pty(PID1 + [INIT, "--", "env", "PS1=prompt> ", "sh", "-i"],
                            [("prompt> ", b"echo alive\rexit 0\r")])
        self.assertIn("alive", out)
        self.assertEqual(rc, 0, out)

    def test_ctrl_c_reaches_the_foreground_job_and_gives_130(self):
        rc, out = drive_pty(PID1 + [INIT, "--", "sh", "-c", "echo go; exec sleep 30"],
                            [("go", b"\x03")])
        self.assertEqual(rc, 130, out)

    def test_job_on_a_tty_gets_no_spurious_sighup(self):
        # dumb-init's issue 136: detaching from the tty sent the job SIGHUP (and SIGCONT).
        rc, out = drive_pty(PID1 + [INIT, "--"] + RECORDER + ["--timeout=1.5"], [])
        self.assertIn("job ready", out)
        self.assertNotIn("SIGHUP", out)
        self.assertNotIn("SIGCONT", out)
        self.assertEqual(rc, 1, out)  # the recorder's "no signal at all" exit

    def test_terminal_is_left_sane_after_the_job_is_killed(self):
        inner = f"{' '.join(PID1)} {INIT} -- sh -c 'stty raw -echo; kill -KILL $$'; stty -a"
        rc, out = drive_pty(["sh", "-c", inner], [])
        self.assertIn(" icanon", out)
        self.assertIn(" echo ", out)
        self.assertNotIn("-icanon", out)


class Config(unittest.TestCase):
    def test_help_and_version_exit_0(self):
        r = subprocess.run([INIT, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: mmlspark-init", r.stdout)
        r = subprocess.run([INIT, "--version"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^mmlspark-init \d+\.\d+\.\d+")

    def test_unknown_option_gives_64_and_one_line(self):
        r = subprocess.run([INIT, "--frobnicate"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 64)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("--frobnicate", r.stderr)

    def test_bad_env_values_give_64_naming_the_variable(self):
        for var, val in (("MMLSPARK_JUPYTER_PORT", "0"), ("MMLSPARK_JUPYTER_PORT", "http"),
                         ("ACCEPT_EULA", "maybe"), ("MMLSPARK_LOG", "loud"),
                         ("MML_PACKAGE", "x"), ("MMLSPARK_GRACE_PERIOD", "-1"),
                         ("SPARK_MODE", "driver"), ("SPARK_MASTER_URL", "master:7077")):
            with self.subTest(var=var, val=val):
                r = subprocess.run([INIT, "--", "true"], capture_output=True, text=True,
                                   env=dict(ENV, **{var: val}))
                self.assertEqual(r.returncode, 64, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertIn(var, r.stderr)

    def test_bad_config_file_gives_78_naming_file_line_and_key(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write('user = "mmlspark"\ngrace_period = soon\n')
            f.flush()
            r = subprocess.run([INIT, "--config", f.name, "--", "true"], capture_output=True,
                               text=True, env=ENV)
        self.assertEqual(r.returncode, 78)
        self.assertIn(f"{f.name}:2:", r.stderr)
        self.assertIn("grace_period", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_print_config_shows_where_each_setting_came_from(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write('notebook_dir = "/srv/nb"\n')
            f.flush()
            r = subprocess.run([INIT, "--config", f.name, "--print-config"], capture_output=True,
                               text=True, env=dict(ENV, MMLSPARK_JUPYTER_PORT="80"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r'notebook_dir\s+= "/srv/nb"  # file')
        self.assertRegex(r.stdout, r'port\s+= "80"  # environment MMLSPARK_JUPYTER_PORT')
        self.assertRegex(r.stdout, r'user\s+= "mmlspark"  # default')

    def test_worker_without_master_url_gives_64(self):
        r = subprocess.run([INIT], capture_output=True, text=True,
                           env=dict(ENV, SPARK_MODE="worker"))
        self.assertEqual(r.returncode, 64)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("SPARK_MASTER_URL", r.stderr)

    def test_eula_page_stopped_by_a_signal_does_not_start_jupyter(self):
        with tempfile.TemporaryDirectory() as d:
            conf, env = eula_page_setup(d, "kill -INT $$")  # as Ctrl+C on the page under -it
            r = subprocess.run([INIT, "--config", conf], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 130, r.stderr)
        self.assertIn("Jupyter not started", r.stderr)
        self.assertNotIn("starting Jupyter", r.stderr)

    def hub_spawn(self, env_extra, eula=True):
        """init as JupyterHub starts it (JUPYTERHUB_API_TOKEN set), with a hub_command that
        records its arguments and JUPYTERHUB_ROOT_DIR, and an EULA page that must not run."""
        with tempfile.TemporaryDirectory() as d:
            out, page, hub = (os.path.join(d, n) for n in ("out", "page", "hub"))
            with open(page, "w") as f:
                f.write(f"#!/bin/sh\necho PAGE > {out}\n")
            with open(hub, "w") as f:
                f.write(f'#!/bin/sh\necho "$JUPYTERHUB_ROOT_DIR $*" > {out}\n')
            os.chmod(page, 0o755)
            os.chmod(hub, 0o755)
            os.mkdir(os.path.join(d, "hooks"))
            conf = os.path.join(d, "conf")
            with open(conf, "w") as f:
                f.write(f'eula_command = "{page}"\nhub_command = "{hub}"\n'
                        f'hooks_dir = "{d}/hooks"\nnotebook_dir = "{d}"\n')
            env = dict(ENV, JUPYTERHUB_API_TOKEN="hub-token", **env_extra)
            if not eula:
                env.pop("ACCEPT_EULA")
            r = subprocess.run([INIT, "--config", conf], capture_output=True, text=True, env=env,
                               timeout=30)
            ran = ""
            if os.path.exists(out):
                with open(out) as f:
                    ran = f.read().strip()
            return r, ran, d

    def test_hub_spawn_runs_the_hub_command_in_the_notebook_dir(self):
        r, ran, d = self.hub_spawn({})
        self.assertEqual(r.returncode, 0, r.stderr)
        allow_root = " --allow-root" if os.geteuid() == 0 else ""
        self.assertEqual(ran, f"{d} {allow_root.strip()}".strip())
        self.assertNotIn("token=", r.stderr)  # the hub authenticates: no token of our own
        r, ran, _ = self.hub_spawn({"JUPYTERHUB_ROOT_DIR": "/srv/hub"})
        self.assertTrue(ran.startswith("/srv/hub"), ran)  # the hub's notebook_dir wins

    def test_hub_spawn_without_accept_eula_fails_with_one_line(self):
        r, ran, _ = self.hub_spawn({}, eula=False)
        self.assertEqual(r.returncode, 3)
        self.assertEqual(ran, "")  # neither the page nor the server ran
        errors = [l for l in r.stderr.splitlines() if "error" in l]
        self.assertEqual(len(errors), 1, r.stderr)
        self.assertIn("ACCEPT_EULA=yes", errors[0])
        self.assertIn("JupyterHub", errors[0])

    def test_declined_eula_stops_the_notebook_job_with_3(self):
        r = subprocess.run([INIT], capture_output=True, text=True,
                           env=dict(ENV, ACCEPT_EULA="no"))
        self.assertEqual(r.returncode, 3)
        self.assertIn("ACCEPT_EULA=yes", r.stderr)

    def test_other_commands_print_a_notice_when_eula_not_accepted(self):
        env = dict(ENV)
        env.pop("ACCEPT_EULA")
        r = subprocess.run([INIT, "--", "true"], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0)
        self.assertIn("ACCEPT_EULA=yes", r.stderr)
        r = subprocess.run([INIT, "--", "true"], capture_output=True, text=True, env=ENV)
        self.assertNotIn("notice", r.stderr)


if __name__ == "__main__":
    unittest.main()
