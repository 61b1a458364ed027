"""Process tests of the one process tree (issue 20): PID 1 is the small supervisor from its first
child on and shows the arguments it was started with; its one child does the setup and becomes
the job; nothing of init's reaches the job.

Needs root (unshare) and the built binaries: MMLSPARK_INIT (mmlspark-init, with
mmlspark-setup next to it).
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_init import INIT, PID1, ENV, eula_page_setup, run_pid1  # noqa: E402  (one copy of the helpers)

ROOT = os.geteuid() == 0
SHOW = ('tr "\\0" " " < /proc/1/cmdline; echo; cat /proc/1/comm; echo "ppid=$PPID"; '
        'readlink /proc/1/exe; ls /proc/self/fd | wc -l')


@unittest.skipUnless(ROOT, "process tests need root for unshare -p")
class ProcessTree(unittest.TestCase):
    def test_pid1_is_the_supervisor_showing_the_users_arguments_and_the_job_is_its_child(self):
        r = run_pid1(["-g", "2", "--", "sh", "-c", SHOW])
        self.assertEqual(r.returncode, 0, r.stderr)
        cmdline, comm, ppid, exe, fds = r.stdout.split("\n")[:5]
        self.assertEqual(cmdline.strip(), f"{INIT} -g 2 -- sh -c {SHOW}", "ps shows init's argv")
        self.assertEqual(comm, "mmlspark-init", "ps -e, top and pgrep find PID 1 by its name")
        self.assertEqual(exe, INIT, "PID 1 runs the small supervisor, the entrypoint itself")
        self.assertEqual(ppid, "ppid=1", "the job is PID 1's own child (the setup exec'd it)")
        # 0, 1, 2 and the one ls opens for /proc/self/fd: no pipe of init's reaches the job.
        self.assertEqual(fds, "4", "no descriptor of init's in the job")

    def test_pid1_is_the_supervisor_while_the_eula_page_runs(self):
        with tempfile.TemporaryDirectory() as d:
            conf, env = eula_page_setup(d, SHOW + "\nexit 3")
            r = run_pid1(["--config", conf], env=env)
        self.assertEqual(r.returncode, 3, "the page's decline: exit 3; " + r.stderr)
        exe = r.stdout.split("\n")[3]
        self.assertEqual(exe, INIT, "PID 1 is the supervisor during the page")

    def test_pgrep_finds_pid1_by_the_name_mmlspark_init(self):
        r = run_pid1(["--", "sh", "-c", "pgrep -x mmlspark-init"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1", r.stdout.split(), "pgrep mmlspark-init lists PID 1")

    def test_a_users_MMLSPARK_SETUP_does_not_make_the_job_pid1(self):
        env = dict(os.environ, MMLSPARK_SETUP="3 0")
        r = run_pid1(["--", "sh", "-c", "echo pid=$$ ppid=$PPID; readlink /proc/1/exe"], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("pid=1 ", r.stdout, "the job is not PID 1")
        self.assertIn("ppid=1", r.stdout)
        self.assertTrue(r.stdout.strip().endswith(INIT), r.stdout)

    def test_the_setup_option_from_a_user_is_refused(self):
        for args in (["--setup=3:0", "--", "true"], ["--setup=0:0", "true"]):
            r = run_pid1(args)
            self.assertEqual(r.returncode, 64, r.stderr)
        setup = os.path.join(os.path.dirname(INIT), "mmlspark-setup")
        r = subprocess.run(PID1 + [setup, "--setup=3:0", "true"], capture_output=True, text=True,
                           pass_fds=(), timeout=30)
        self.assertEqual(r.returncode, 64, "the setup started by anyone but PID 1 refuses")
        self.assertIn("mmlspark-setup is started by mmlspark-init only", r.stderr)



def closed_pipe():
    """The write end of a pipe whose reader is gone: a log line there raises SIGPIPE."""
    r, w = os.pipe()
    os.close(r)
    return w


@unittest.skipUnless(ROOT, "process tests need root for unshare -p")
class OwnSigpipe(unittest.TestCase):
    def test_a_sigpipe_pid1_raised_itself_is_not_passed_to_the_job(self):
        with tempfile.TemporaryDirectory() as d:
            rec = os.path.join(d, "rec")
            # The job's own stderr goes elsewhere: only init's lines meet the closed pipe.
            job = (f"exec 2>/dev/null; trap 'echo PIPE >> {rec}' PIPE; trap 'echo USR1 >> {rec}' USR1; "
                   f"trap 'echo TERM >> {rec}; exit 0' TERM; : > {rec}.ready; "
                   "while :; do sleep 0.05; done")
            w = closed_pipe()
            env = dict(ENV, MMLSPARK_LOG="debug")
            # PID 1's every debug line ("forwarding SIGUSR1 to the job") meets a closed stderr.
            proc = subprocess.Popen(PID1 + [INIT, "--", "sh", "-c", job], env=env,
                                    stdout=subprocess.DEVNULL, stderr=w)
            os.close(w)
            try:
                deadline = time.monotonic() + 10
                while not os.path.exists(rec + ".ready") and time.monotonic() < deadline:
                    time.sleep(0.02)
                with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
                    init_pid = int(f.read().split()[0])
                os.kill(init_pid, signal.SIGUSR1)
                time.sleep(0.5)
                os.kill(init_pid, signal.SIGTERM)
                rc = proc.wait(20)
            finally:
                if proc.poll() is None:
                    proc.kill()
            with open(rec) as f:
                got = f.read().split()
        self.assertIn("USR1", got)
        self.assertNotIn("PIPE", got, "PID 1's own SIGPIPE reached the job")
        self.assertEqual(rc, 0, got)

    def test_a_sigpipe_the_setup_raised_does_not_kill_the_job(self):
        w = closed_pipe()
        env = dict(ENV, MMLSPARK_LOG="debug")  # the setup logs "running 'sh'" on a closed stderr
        r = subprocess.run(PID1 + [INIT, "--", "sh", "-c", "sleep 0.2; echo job-ran"], env=env,
                           stdout=subprocess.PIPE, stderr=w, text=True, timeout=30)
        os.close(w)
        self.assertEqual(r.returncode, 0, "the job is not killed by the setup's SIGPIPE (141)")
        self.assertEqual(r.stdout.strip(), "job-ran")


if __name__ == "__main__":
    unittest.main()
