#!/usr/bin/env python3
"""e2e.py - the seed's commands against the real image, as a user runs them (Python stdlib only).

Every test prints PASS/FAIL/SKIP with its name; the last line is "N passed, N failed". A test
SKIPs only when the host lacks a tool (with the reason); with CI=true that is a FAIL, and any SKIP
in CI makes the exit code non-zero (the skipped tests are listed at the end). Every wait
is bounded; every container, network and volume made here is removed at the end, also on failure
or Ctrl+C. `docker logs` of failing containers (or the client's output for --rm runs) are saved
in artifacts/image/. Usage: e2e.py [--image NAME] [-k SUBSTRING]
"""
import argparse
import atexit
import errno
import fcntl
import http.client
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import maven_repo as maven  # noqa: E402
import pywheel  # noqa: E402
from harness import Fail, Skip, check, docker, host_lacks, run, run_tests, wait_for  # noqa: E402,F401

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ARTIFACTS = os.path.join(TOP, "artifacts", "image")
RUN_ID = "mmlspark-e2e-%d" % os.getpid()
PROMPT = r"\$ (\x1b\[K)?$"  # bash's prompt, as the terminal shows it
TOKEN_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]{32,})")

image = "mmlspark/release:latest"
made_containers = []  # names, removed at exit
made_dirs = []
made_networks = []


def new_name(tag):
    name = "%s-%s" % (RUN_ID, tag)
    made_containers.append(name)
    return name


def new_dir(tag):
    d = tempfile.mkdtemp(prefix="mmlspark-e2e-%s." % tag)
    made_dirs.append(d)
    return d


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_req(port, path="/", method="GET", body=None, headers=None, timeout=3):
    """(status, body text), or (None, error text) when nothing answers. Never uses a proxy."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        status, text = r.status, r.read().decode("utf-8", "replace")
        c.close()
        return status, text
    except (OSError, http.client.HTTPException) as e:
        return None, str(e)


def jupyter_answers(port, timeout=90):
    def probe():
        status, body = http_req(port, "/api")
        if status == 200 and '"version"' in body:
            return body
        return None
    return wait_for("Jupyter answering GET /api on port %d" % port, probe, timeout)


def container_state(name):
    rc, out = docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name,
                     timeout=20)
    return out.split() if rc == 0 else ["gone", "-1"]


def save_logs(test, name, text=None):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, "%s.%s.log" % (test, name.replace(RUN_ID + "-", "")))
    if text is None:
        rc, text = docker("logs", "--timestamps", name, timeout=30)
        if rc != 0:
            return
    with open(path, "w") as f:
        f.write(text)
    print("    logs saved: %s" % os.path.relpath(path, TOP))


class Pty:
    """A command on a new pseudo-terminal (as `docker run -it` in a terminal), 80x24."""

    def __init__(self, argv):
        self.buf = b""
        self.status = None
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError as e:
            if e.errno != errno.EIO:
                raise
            data = b""
        if not data:
            return False
        self.buf += data
        return True

    def text(self):
        return self.buf.decode("utf-8", "replace")

    def expect(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.text())
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(min(left, 0.5)) and self.poll() is not None:
                raise Fail("no %r on the terminal within %d s; it shows: %r"
                           % (pattern, timeout, self.text()[-800:]))

    def send(self, data):
        os.write(self.fd, data)

    def poll(self):
        if self.status is None:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
        return self.status

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0):  # drain what is left
            if not select.select([self.fd], [], [], 0)[0]:
                break
        return self.status

    def close(self):
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.wait(5)
        try:
            os.close(self.fd)
        except OSError:
            pass


def start_detached(tag, *args, port=None):
    """docker run -d --name N -p 127.0.0.1:P:8888 [args] image; returns (name, port)."""
    name = new_name(tag)
    port = port or free_port()
    rc, out = docker("run", "-d", "--name", name, "-p", "127.0.0.1:%d:8888" % port, *args, image,
                     timeout=60)
    check(rc == 0, "docker run -d failed: %s" % out)
    return name, port


# --------------------------------------------------------------------------------------- tests
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def eula_page_then_accept_starts_jupyter(ctx):
    """docker run -it -p P:8888 IMAGE: GET / is the EULA page; accept -> Jupyter on P."""
    name = new_name("eula")
    port = free_port()
    term = Pty(["docker", "run", "-it", "--rm", "--name", name, "-p", "127.0.0.1:%d:8888" % port,
                image])
    ctx["pty"], ctx["containers"] = term, [name]
    term.expect(r"ACCEPT_EULA|EULA|http://localhost", 30)

    def page():
        status, body = http_req(port, "/")
        return body if status == 200 and 'action="/accept"' in body else None
    body = wait_for("the EULA page on GET /", page, 30)
    check("<form" in body, "the EULA page has no form: %r" % body[:300])
    nonce = re.search(r'name="nonce" value="([0-9a-f]+)"', body)
    check(nonce, "no nonce in the EULA page's accept form")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # Another site's page posting the form (right nonce) is refused; the page's own origin, as
    # the browser names it through Docker's port mapping (the host's port), is not.
    status, _ = http_req(port, "/accept", "POST", "nonce=" + nonce.group(1),
                         dict(form, Origin="http://evil.example"))
    check(status == 403, "POST /accept from another Origin answered %s, not 403" % status)
    status, _ = http_req(port, "/accept", "POST", "nonce=" + nonce.group(1),
                         dict(form, Origin="http://127.0.0.1:%d" % port))
    check(status is not None and status < 400, "POST /accept answered %s" % status)
    jupyter_answers(port, 60)
    m = term.expect(TOKEN_URL.pattern, 30)
    status, _ = http_req(port, "/api/contents?token=" + m.group(2))
    check(status == 200, "Jupyter with the printed token answered %s" % status)
    term.send(b"\x03")
    check(term.wait(20) is not None, "the container did not end after Ctrl+C")


def accept_eula_value(ctx, value):
    name, port = start_detached("accept-" + value, "-e", "ACCEPT_EULA=" + value)
    ctx["containers"] = [name]
    jupyter_answers(port)
    status, _ = http_req(port, "/")
    check(status in (200, 302), "GET / answered %s" % status)
    status, _ = http_req(port, "/api/contents")
    check(status == 403, "Jupyter answered %s without a token (authentication is off?)" % status)
    if value == "y":  # the image's HEALTHCHECK (every 10 s) reports the container healthy
        def healthy():
            rc, out = docker("inspect", "--format", "{{.State.Health.Status}}", name, timeout=20)
            return out.strip() == "healthy"
        wait_for("docker's health status 'healthy'", healthy, 40, interval=1)


@test
def accept_eula_y_starts_jupyter_directly(ctx):
    accept_eula_value(ctx, "y")


@test
def accept_eula_yes_starts_jupyter_directly(ctx):
    accept_eula_value(ctx, "yes")


@test
def accept_eula_maybe_exits_64_with_one_clear_line(ctx):
    rc, out = docker("run", "--rm", "-e", "ACCEPT_EULA=maybe", image, timeout=60)
    ctx["output"] = out
    check(rc == 64, "exit code %d, expected 64; output: %r" % (rc, out))
    lines = [l for l in out.splitlines() if "ACCEPT_EULA" in l]
    check(len(lines) == 1 and "maybe" in lines[0] and "yes" in lines[0],
          "expected one line naming ACCEPT_EULA='maybe' and the valid values: %r" % out)


@test
def jupyter_port_80_is_reached_from_the_host(ctx):
    port = free_port()
    name = new_name("port80")
    ctx["containers"] = [name]
    rc, out = docker("run", "-d", "--name", name, "-e", "ACCEPT_EULA=y",
                     "-e", "MMLSPARK_JUPYTER_PORT=80", "-p", "127.0.0.1:%d:80" % port, image)
    check(rc == 0, "docker run failed: %s" % out)
    jupyter_answers(port)
    rc, logs = docker("logs", name)
    check("http://127.0.0.1:80/?token=" in logs, "the logs show no URL on port 80")


@test
def ctrl_c_stops_jupyter_and_the_container(ctx):
    """docker run -it --rm -e ACCEPT_EULA=y -p 127.0.0.1:P:8888 IMAGE; Ctrl+C ends it all."""
    name = new_name("ctrlc")
    port = free_port()
    term = Pty(["docker", "run", "-it", "--rm", "--name", name, "-e", "ACCEPT_EULA=y",
                "-p", "127.0.0.1:%d:8888" % port, image])
    ctx["pty"], ctx["containers"] = term, [name]
    jupyter_answers(port)
    term.expect(TOKEN_URL.pattern, 20)
    t0 = time.monotonic()
    term.send(b"\x03")
    status = term.wait(15)
    check(status is not None, "docker run -it still running 15 s after Ctrl+C")
    took = time.monotonic() - t0
    wait_for("the container to be gone", lambda: container_state(name)[0] == "gone", 15)
    print("    Ctrl+C -> container gone in %.2f s, docker run exit %s" % (took, status))


@test
def detached_server_logs_stop_start_exec(ctx):
    name, port = start_detached("server", "-e", "ACCEPT_EULA=y")
    ctx["containers"] = [name]
    jupyter_answers(port)
    rc, logs = docker("logs", name)
    m = TOKEN_URL.search(logs)
    check(m, "docker logs shows no one-click token URL: %r" % logs[-800:])
    status, _ = http_req(port, "/api/contents?token=" + m.group(2))
    check(status == 200, "the logged token does not open Jupyter (HTTP %s)" % status)

    rc, ps = docker("exec", name, "ps", "auxw")
    check(rc == 0, "docker exec ps auxw failed: %s" % ps)
    rows = [l.split(None, 10) for l in ps.splitlines()[1:]]
    pid1 = [r for r in rows if r[1] == "1"]
    check(pid1 and "mmlspark-init" in pid1[0][10], "PID 1 is not mmlspark-init:\n" + ps)
    zombies = [r for r in rows if r[7].startswith("Z") or "<defunct>" in r[10]]
    check(not zombies, "zombies in the container:\n" + ps)

    term = Pty(["docker", "exec", "-it", name, "bash", "-c", "echo $MML_PACKAGE $MML_M2REPOS; id -un"])
    term.expect(r"mmlspark\s*$", 20)
    check(term.wait(10) == 0, "docker exec -it bash exited %s" % term.status)
    check("com.microsoft.azure:synapseml_2.12:1.1.0 file:/opt/synapseml/maven"
          in term.text(), "MML_PACKAGE/MML_M2REPOS not as built: %r" % term.text())
    term.close()

    term = Pty(["docker", "exec", "-it", name, "top"])
    term.expect(r"load average", 20)
    term.send(b"q")
    check(term.wait(10) == 0, "docker exec -it top did not end on 'q' (%s)" % term.status)
    term.close()

    rc, out = docker("exec", "-u", "root", name, "id", "-u")
    check(rc == 0 and out.strip() == "0", "docker exec -u root id -u: %r" % out)
    rc, out = docker("exec", name, "mmlspark-healthcheck")
    check(rc == 0, "the healthcheck fails on a running Jupyter: %s" % out)

    t0 = time.monotonic()
    rc, out = docker("stop", name, timeout=30)
    took = time.monotonic() - t0
    state = container_state(name)
    print("    docker stop: %.2f s, exit code %s" % (took, state[1]))
    check(rc == 0, "docker stop failed: %s" % out)
    # How fast is bench/image's question; here: stopped by Jupyter itself, well before Docker's
    # SIGKILL at 10 s (a timed bound tighter than that only measures the machine's load).
    check(took < 8.0, "docker stop took %.2f s: Jupyter did not stop by itself" % took)
    check(state[1] in ("0", "143"), "exit code after docker stop is %s, not 0 or 143" % state[1])

    rc, out = docker("start", name)
    check(rc == 0, "docker start failed: %s" % out)
    jupyter_answers(port)
    rc, logs = docker("logs", name)
    urls = TOKEN_URL.findall(logs)
    check(len(urls) >= 2, "no new token URL after docker start")
    status, _ = http_req(port, "/api/contents?token=" + urls[-1][1])
    check(status == 200, "the token URL logged after docker start does not open Jupyter "
          "(HTTP %s)" % status)


@test
def kernel_started_by_jupyter_starts_spark(ctx):
    """A kernel the running Jupyter starts (REST API, as the browser does) runs the venv's Python
    and, with MMLSPARK_SPARK_HEAD_START=yes, brings Spark up at once (its SparkSubmit JVM
    appears) with the container's Spark environment; `docker stop` then ends cleanly. (Without
    it a kernel launches nothing until pyspark is imported: kernel_e2e.py.)"""
    name, port = start_detached("kernel", "-e", "ACCEPT_EULA=y", "-e", "JUPYTER_TOKEN=e2e-token",
                                "-e", "MML_PACKAGE=", "-e", "MMLSPARK_SPARK_HEAD_START=yes")
    ctx["containers"] = [name]
    jupyter_answers(port)
    status, body = http_req(port, "/api/kernels", "POST", json.dumps({"name": "python3"}),
                            {"Authorization": "token e2e-token",
                             "Content-Type": "application/json"})
    check(status == 201, "POST /api/kernels answered %s: %s" % (status, body[:300]))

    def spark_jvm():
        rc, out = docker("exec", name, "ps", "-eo", "pid,ppid,args", timeout=20)
        kernel = re.search(r"/opt/venv/bin/python3 -m mmlspark_kernel_app", out)
        return out if kernel and "org.apache.spark.deploy.SparkSubmit" in out else None
    wait_for("the kernel's Spark JVM", spark_jvm, 90, interval=1)
    time.sleep(2)
    t0 = time.monotonic()
    rc, out = docker("stop", name, timeout=30)
    took = time.monotonic() - t0
    state = container_state(name)
    print("    docker stop with a Spark kernel running: %.2f s, exit code %s" % (took, state[1]))
    # the time is printed (bench/image measures it); what a user must never see is SIGKILL's 137
    check(state[1] in ("0", "143"), "stop took %.2f s, exit %s" % (took, state[1]))


@test
def arbitrary_uid_in_group_0_runs_jupyter(ctx):
    """OpenShift style: --user 12345:0 (no passwd entry) still serves Jupyter."""
    name, port = start_detached("uid", "--user", "12345:0", "-e", "ACCEPT_EULA=y")
    ctx["containers"] = [name]
    jupyter_answers(port)


@test
def user_root_and_default_user(ctx):
    rc, out = docker("run", "--rm", "--user", "root", image, "bash", "-c",
                     "id -u; apt-get --version | head -1")
    ctx["output"] = out
    check(rc == 0, "exit %d: %s" % (rc, out))
    check(re.search(r"^0$", out, re.M), "--user root: id -u is not 0: %r" % out)
    check("apt " in out, "apt-get --version did not run: %r" % out)
    rc, out = docker("run", "--rm", image, "id", "-un")
    check(rc == 0 and re.search(r"^mmlspark$", out, re.M), "default user is not mmlspark: %r" % out)


@test
def spark_commands_are_on_path(ctx):
    rc, out = docker("run", "--rm", image, "bash", "-c", "command -v pyspark spark-submit")
    ctx["output"] = out
    check(rc == 0, "exit %d: %s" % (rc, out))
    for cmd in ("pyspark", "spark-submit"):
        check(re.search(r"^/\S*/%s$" % cmd, out, re.M), "%s is not on PATH: %r" % (cmd, out))
    for user in ("mmlspark", "root"):  # login shells (/etc/profile resets PATH) too
        rc, out = docker("run", "--rm", "--user", user, image, "bash", "-lc",
                         "command -v spark-submit spark-shell spark-class")
        ctx["output"] += out
        check(rc == 0 and out.count("/opt/venv/bin/") == 3,
              "spark commands not on a login shell's PATH for %s: %r" % (user, out))


def users_dir(tag, uid, gid):
    """A directory as the host user uid:gid makes it with mkdir (umask 022): theirs, 0755."""
    d = new_dir(tag)
    os.chown(d, uid, gid)
    os.chmod(d, 0o755)
    return d


def maven_repo():
    """A Maven-layout repository with org.example:hello:1.0 (built with javac/jar once)."""
    if "repo" in CACHE:
        return CACHE["repo"]
    if maven.missing_tools():
        host_lacks("a JDK (openjdk-17-jdk-headless)", "%s not installed on the host"
                   % " ".join(maven.missing_tools()))
    try:
        CACHE["repo"] = maven.build_hello_repo(new_dir("repo"), new_dir("src"))
    except RuntimeError as e:
        check(False, str(e))
    return CACHE["repo"]


CACHE = {}
PKG_ENV = ["-e", "MML_M2REPOS=file:///repo", "-e", "MML_PACKAGE=org.example:hello:1.0"]
# Spark's Ivy also asks Maven Central and spark-packages for a package; these tests stay off the
# internet (and prove that the local repository and the cache suffice) on an --internal network
# made here. (--network none would leave Spark without a resolvable host name.)
OFFLINE = ["--network", RUN_ID + "-offline"]


def offline_network():
    if "net" not in CACHE:
        rc, out = docker("network", "create", "--internal", OFFLINE[1], timeout=30)
        check(rc == 0, "docker network create --internal failed: %s" % out)
        made_networks.append(OFFLINE[1])
        CACHE["net"] = OFFLINE[1]


@test
def pyspark_loads_the_package_from_the_repositories(ctx):
    """pyspark --repositories "$MML_M2REPOS" --packages "$MML_PACKAGE" --master "local[*]"."""
    offline_network()
    repo = maven_repo()
    name = new_name("pyspark")
    term = Pty(["docker", "run", "-it", "--rm", "--name", name, "-v", "%s:/repo:ro" % repo]
               + OFFLINE + PKG_ENV + [image, "bash"])
    ctx["pty"], ctx["containers"] = term, [name]
    term.expect(PROMPT, 30)
    term.send(b'pyspark --repositories "$MML_M2REPOS" --packages "$MML_PACKAGE" --master "local[*]"\r')
    term.expect(r"SparkSession available as 'spark'[\s\S]*>>> $", 180)
    term.send(b'print("RESULT:", spark._jvm.org.example.Hello.greet("pyspark"), '
              b'spark.range(10).count())\r')
    term.expect(r"RESULT: hello from the jar, pyspark 10", 60)
    term.send(b"exit()\r")
    term.expect(PROMPT, 60)
    term.send(b"exit\r")
    check(term.wait(30) == 0, "bash did not exit 0 (%s)" % term.status)


NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source":
         "print('RESULT:', spark._jvm.org.example.Hello.greet('notebook'))\n"
         "print('PACKAGES:', spark.conf.get('spark.jars.packages', ''))"},
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source":
         "df = spark.createDataFrame([(i, i * i) for i in range(5)], ['n', 'square'])\n"
         "df.coalesce(1).write.mode('overwrite').option('header', True).csv('myfiles/out.csv')\n"
         "print('WROTE', df.count())"},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


@test
def notebook_kernel_has_spark_with_the_package_and_writes_to_the_volume(ctx):
    """A notebook run headless (nbconvert) in /notebooks: `spark` is ready with $MML_PACKAGE from
    $MML_M2REPOS, and `myfiles/out.csv` lands in the host directory mounted at /notebooks/myfiles.
    The directory is made as the README says a host user whose uid is the image user's (1000)
    makes it: `mkdir ~/myfiles` (owner 1000, mode 0755, nothing opened up for the test)."""
    offline_network()
    repo = maven_repo()
    files = users_dir("myfiles", 1000, 1000)
    with open(os.path.join(files, "e2e-test.ipynb"), "w") as f:
        json.dump(NOTEBOOK, f)
    name = new_name("notebook")
    ctx["containers"] = [name]
    rc, out = docker("run", "--name", name, "-v", "%s:/repo:ro" % repo, *OFFLINE,
                     "-v", "%s:/notebooks/myfiles" % files, *PKG_ENV, image, "bash", "-c",
                     "cp myfiles/e2e-test.ipynb . && mmlspark-env -- jupyter nbconvert --to "
                     "notebook --execute --ExecutePreprocessor.timeout=240 "
                     "--ExecutePreprocessor.startup_timeout=300 --output /tmp/out.ipynb "
                     "e2e-test.ipynb && cat /tmp/out.ipynb", timeout=300)
    check(rc == 0, "nbconvert exited %d" % rc)
    nb = json.loads(out[out.index("{"):])
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    check("RESULT: hello from the jar, notebook" in text, "the jar's class was not called: %r" % text)
    check("PACKAGES: org.example:hello:1.0" in text, "packages not set: %r" % text)
    check("WROTE 5" in text, "the notebook did not write the CSV: %r" % text)
    parts = [p for p in os.listdir(os.path.join(files, "out.csv")) if p.endswith(".csv")]
    check(parts, "no part file in myfiles/out.csv on the host")
    with open(os.path.join(files, "out.csv", parts[0])) as f:
        check(f.read().splitlines()[:2] == ["n,square", "0,0"], "unexpected CSV content")
    st = os.stat(os.path.join(files, "out.csv", parts[0]))
    check(st.st_uid == 1000,
          "the CSV on the host is owned by uid %d, not the user's 1000" % st.st_uid)


@test
def package_resolved_once_then_works_offline(ctx):
    """The first kernel resolves $MML_PACKAGE into ~/.ivy2; with the repository gone, the next
    kernel still loads it from the cache."""
    offline_network()
    repo = maven_repo()
    name = new_name("offline")
    ctx["containers"] = [name]
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": "print('RESULT:', spark._jvm.org.example.Hello.greet('offline'))"}],
          "metadata": NOTEBOOK["metadata"], "nbformat": 4, "nbformat_minor": 5}
    run_nb = ("mmlspark-env -- jupyter nbconvert --to notebook --execute "
              "--ExecutePreprocessor.startup_timeout=300 --stdout t.ipynb "
              "2>/dev/null | grep -o 'RESULT: [a-z ,]*'")
    rc, out = docker("run", "-i", "--name", name, "-v", "%s:/repo:ro" % repo, *OFFLINE,
                     "-e", "MML_M2REPOS=file:///tmp/repo", "-e", "MML_PACKAGE=org.example:hello:1.0",
                     image, "bash", "-c",
                     "cd /tmp && cat > t.ipynb && cp -r /repo /tmp/repo && " + run_nb +
                     " && rm -rf /tmp/repo && echo REPOSITORY GONE && " + run_nb,
                     input=json.dumps(nb).encode(), timeout=400)
    check(rc == 0, "exit %d: %s" % (rc, out[-1500:]))
    check(out.count("RESULT: hello from the jar, offline") == 2 and "REPOSITORY GONE" in out,
          "the package did not load from the cache: %r" % out[-1500:])


@test
def kernel_without_reachable_package_still_has_spark(ctx):
    """A package that cannot be resolved: the kernel warns and still gives a working `spark`."""
    offline_network()
    name = new_name("nopkg")
    ctx["containers"] = [name]
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": "print('COUNT', spark.range(7).count())"}],
          "metadata": NOTEBOOK["metadata"], "nbformat": 4, "nbformat_minor": 5}
    rc, out = docker("run", "-i", "--name", name, *OFFLINE,
                     "-e", "MML_PACKAGE=org.example:missing:9.9",
                     "-e", "MML_M2REPOS=file:///nonexistent", image, "bash", "-c",
                     "cd /tmp && cat > t.ipynb && mmlspark-env -- jupyter nbconvert --to notebook "
                     "--execute --ExecutePreprocessor.startup_timeout=300 "
                     "--output /tmp/out.ipynb t.ipynb && cat /tmp/out.ipynb",
                     input=json.dumps(nb).encode(), timeout=300)
    check(rc == 0, "nbconvert exited %d" % rc)
    check("mmlspark: warning: could not load MML_PACKAGE=org.example:missing:9.9" in out,
          "no clear warning about the unresolvable package")
    check("COUNT 7" in out, "spark did not work without the package")


@test
def nb_uid_owns_the_files_it_writes(ctx):
    """A host user whose uid is not 1000 made ~/myfiles (mode 0755): the image's user cannot write
    there; with --user root -e NB_UID -e NB_GID (the README's way) the job runs as that uid and
    its files are owned by it."""
    uid, gid = 4242, 4343  # a host user's ids (the tests run as root here)
    files = users_dir("nbuid", uid, gid)
    rc, out = docker("run", "--rm", "-v", "%s:/notebooks/myfiles" % files, image,
                     "bash", "-c", "echo n,square > myfiles/out.csv", timeout=60)
    ctx["output"] = out
    check(rc != 0 and "Permission denied" in out,
          "uid 1000 wrote into a 0755 directory of uid %d (exit %d: %s)" % (uid, rc, out))
    rc, out = docker("run", "--rm", "--user", "root", "-e", "NB_UID=%d" % uid,
                     "-e", "NB_GID=%d" % gid, "-v", "%s:/notebooks/myfiles" % files, image,
                     "bash", "-c", "id -u; id -g; echo n,square > myfiles/out.csv", timeout=60)
    ctx["output"] += out
    check(rc == 0, "exit %d: %s" % (rc, out))
    ids = re.findall(r"^(\d+)$", out, re.M)
    check(ids[:2] == [str(uid), str(gid)], "job ran as %s, expected %d:%d" % (ids, uid, gid))
    st = os.stat(os.path.join(files, "out.csv"))
    check((st.st_uid, st.st_gid) == (uid, gid),
          "myfiles/out.csv is owned by %d:%d, expected %d:%d" % (st.st_uid, st.st_gid, uid, gid))


# ------------------------------------------------------------------------- SynapseML, offline
# SynapseML is inside the image: these run with --network none (no network at all, so also no
# resolvable host name: Spark must start on the loopback address by itself).
NONE = ["--network", "none"]
HERE = os.path.dirname(os.path.abspath(__file__))
ARBITRARY_UID = ["--user", "12345:0"]  # OpenShift style: no passwd entry, group 0


def run_notebook(ctx, tag, notebook, *args, timeout=420):
    """Executes NOTEBOOK (a path in the image; tests/image/notebooks is at /tests) headless in a
    fresh offline container; returns the executed notebook's outputs as (text, output list)."""
    name = new_name("%s-%d" % (tag, len(ctx.setdefault("containers", []))))
    ctx["containers"].append(name)
    rc, out = docker("run", "--name", name, *NONE, "-v", "%s/notebooks:/tests:ro" % HERE, *args,
                     image, "bash", "-c",
                     "mmlspark-env -- jupyter nbconvert --to notebook --execute "
                     "--ExecutePreprocessor.timeout=300 --ExecutePreprocessor.startup_timeout=300 "
                     "--output /tmp/out.ipynb " + notebook,
                     timeout=timeout)
    ctx["output"] = ctx.get("output", "") + out
    check(rc == 0, "nbconvert of %s exited %d: %s" % (notebook, rc, out[-1500:]))
    got = os.path.join(new_dir("nb"), "out.ipynb")
    rc, cp_out = docker("cp", "%s:/tmp/out.ipynb" % name, got)
    check(rc == 0, "docker cp of the executed notebook failed: %s" % cp_out)
    with open(got) as f:
        outputs = [o for c in json.load(f)["cells"] for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    check(not errors, "%s raised %s" % (notebook, [(e["ename"], e["evalue"][:300]) for e in errors]))
    text = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                   for o in outputs)
    check("Traceback" not in text and "ScalaMonitor" not in text,
          "a traceback in the outputs of %s run headless: %r" % (notebook, text[-1500:]))
    return text, outputs


def notebook_trains_as_default_user_and_arbitrary_uid(ctx, tag, notebook, done, metrics):
    """Runs NOTEBOOK as the default user, then as an arbitrary uid in group 0: each run must print
    DONE; prints the METRICS (a regex) each reached."""
    for who in ([], ARBITRARY_UID):
        text, _ = run_notebook(ctx, tag, notebook, *who)
        check(done in text, "the notebook did not finish (%s): %r"
              % (who or "default user", text[-800:]))
        print("    %s: %s" % (" ".join(who) or "default user", "; ".join(re.findall(metrics, text))))


@test
def lightgbm_notebook_trains_offline_as_default_user_and_arbitrary_uid(ctx):
    """LightGBMClassifier (AUC > 0.95) and LightGBMRegressor (R2 > 0.3) train in a notebook, with
    ValueIndexer and CleanMissingData, from the image's SynapseML, without network."""
    notebook_trains_as_default_user_and_arbitrary_uid(
        ctx, "lgbm", "/tests/lightgbm.ipynb", "LIGHTGBM-NOTEBOOK-OK",
        r"(?:classifier AUC|regressor R2) [0-9.]+")


@test
def vowpal_wabbit_notebook_trains_offline_as_default_user_and_arbitrary_uid(ctx):
    """VowpalWabbitClassifier (AUC > 0.9) trains in a notebook, without network."""
    notebook_trains_as_default_user_and_arbitrary_uid(
        ctx, "vw", "/tests/vowpal-wabbit.ipynb", "VW-NOTEBOOK-OK", r"vw AUC [0-9.]+")


@test
def quickstart_notebook_runs_top_to_bottom_offline(ctx):
    """/notebooks/synapseml-quickstart.ipynb, as shipped: trains, evaluates, plots inline."""
    text, outputs = run_notebook(ctx, "quick", "/notebooks/synapseml-quickstart.ipynb")
    check(any("image/png" in o.get("data", {}) for o in outputs),
          "no inline plot (image/png) in the quickstart's outputs")
    fit = re.search(r"LightGBM fit: ([0-9.]+) s", text)
    check(fit and re.search(r"accuracy\s+0\.9", text), "no fit time or accuracy: %r" % text[-800:])
    print("    LightGBM fit in the quickstart: %s s" % fit.group(1))


@test
def seed_pyspark_line_trains_lightgbm_offline(ctx):
    """The seed's line, typed on a terminal with no network: SynapseML loads from the image and
    a LightGBM model trains in the pyspark shell."""
    name = new_name("seed-pyspark")
    term = Pty(["docker", "run", "-it", "--rm", "--name", name, *NONE, image, "bash"])
    ctx["pty"], ctx["containers"] = term, [name]
    term.expect(PROMPT, 30)
    term.send(b'pyspark --repositories "$MML_M2REPOS" --packages "$MML_PACKAGE" --master "local[*]"\r')
    term.expect(r"SparkSession available as 'spark'[\s\S]*>>> $", 240)
    term.send(b"from synapse.ml.lightgbm import LightGBMRegressor; "
              b"from pyspark.ml.feature import VectorAssembler; "
              b"df = VectorAssembler(inputCols=['x'], outputCol='features').transform("
              b"spark.createDataFrame([(float(i), 2.0 * i) for i in range(200)], ['x', 'y'])); "
              b"m = LightGBMRegressor(labelCol='y', numIterations=30, verbosity=-1).fit(df); "
              b"print('RESULT', round(m.transform(df).filter('x = 100').first().prediction))\r")
    m = term.expect(r"RESULT (\d+)", 180)
    check(abs(int(m.group(1)) - 200) <= 10, "the model predicts %s for x=100, expected about 200"
          % m.group(1))
    term.send(b"exit()\r")
    term.expect(PROMPT, 60)
    term.send(b"exit\r")
    check(term.wait(30) == 0, "bash did not exit 0 (%s)" % term.status)


@test
def spark_submit_packages_runs_every_native_component_offline(ctx):
    """spark-submit --packages "$MML_PACKAGE": LightGBM, Vowpal Wabbit, OpenCV and ONNX Runtime
    load their native code (as the default user and as root); the image's jars are used where
    they are: the user's Ivy cache stays small."""
    for who in ([], ["--user", "root"]):
        rc, out = docker("run", "--rm", *NONE, "-v", "%s/jobs:/jobs:ro" % HERE, *who, image,
                         "bash", "-c", 'spark-submit --packages "$MML_PACKAGE" '
                         "/jobs/synapseml_natives.py && du -sm ~/.ivy2/cache", timeout=420)
        ctx["output"] = ctx.get("output", "") + out
        check(rc == 0, "exit %d (%s): %s" % (rc, who or "default user", out[-1500:]))
        for part in ("lightgbm", "vowpal-wabbit", "opencv", "onnxruntime"):
            check("NATIVE %s ok" % part in out, "%s did not work (%s)" % (part, who or "default"))
        cache = re.search(r"^(\d+)\s+\S*\.ivy2/cache$", out, re.M)
        check(cache and int(cache.group(1)) < 20, "the Ivy cache holds copies of the jars: %s MB"
              % (cache and cache.group(1)))


@test
def spark_local_ip_only_where_the_host_name_does_not_resolve(ctx):
    """Spark's environment (load-spark-env.sh, as every Spark launcher sources it):
    --network none gives 127.0.0.1; a resolvable host gets nothing; a user's value wins."""
    show = ["bash", "-c", '. "$SPARK_HOME/bin/load-spark-env.sh"; echo "IP=$SPARK_LOCAL_IP."']
    for args, want in ((NONE, "IP=127.0.0.1."), ([], "IP=."),
                       (NONE + ["-e", "SPARK_LOCAL_IP=127.0.0.2"], "IP=127.0.0.2.")):
        rc, out = docker("run", "--rm", *args, image, *show, timeout=60)
        check(rc == 0 and want in out, "%s: expected %s, got %r" % (args, want, out))


# ------------------------------------------------------------------------- Jupyter of today
def wheel(directory, name="mmlspark_e2e_hello", version="1.0"):
    """A minimal pure-Python wheel whose module says hello (testlib/pywheel); returns its path."""
    return pywheel.wheel(directory, name, version)


@test
def pip_install_lands_in_the_users_site_and_a_new_kernel_imports_it(ctx):
    """pip install of a local wheel as the default user and as an arbitrary uid in group 0: a new
    kernel imports it; what the image ships is protected (PIP_CONSTRAINT): a numpy other than the
    image's is refused with pip's clear conflict message, and the image's numpy still imports."""
    wheels = new_dir("wheels")
    os.chmod(wheels, 0o755)
    whl = os.path.basename(wheel(wheels))
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": "import mmlspark_e2e_hello, numpy\n"
                               "print('RESULT:', mmlspark_e2e_hello.hello(), numpy.__version__)"}],
          "metadata": NOTEBOOK["metadata"], "nbformat": 4, "nbformat_minor": 5}
    for who in ([], ARBITRARY_UID):
        rc, out = docker("run", "-i", "--rm", *NONE, "-v", "%s:/wheels:ro" % wheels, *who, image,
                         "bash", "-c",
                         "cd /tmp && cat > t.ipynb && pip install --no-index /wheels/%s && "
                         "(pip install --no-index numpy==1.26.3 2>&1; true) && "
                         "MMLSPARK_SPARK_SESSION=no jupyter nbconvert --to notebook --execute "
                         "--stdout t.ipynb 2>/dev/null | grep -o 'RESULT: [a-z0-9 .]*'" % whl,
                         input=json.dumps(nb).encode(), timeout=180)
        ctx["output"] = ctx.get("output", "") + out
        check(rc == 0, "exit %d (%s): %s" % (rc, who or "default user", out[-1500:]))
        check(re.search(r"Successfully installed mmlspark[-_]e2e[-_]hello-1\.0", out),
              "pip did not install the wheel: %r" % out[-800:])
        check(re.search(r"user requested \(constraint\) numpy==1\.26\.4", out),
              "a numpy other than the image's was not refused: %r" % out[-800:])
        check(re.search(r"RESULT: hello from a wheel the user installed 1\.26\.4", out),
              "the new kernel did not import the wheel with the image's numpy: %r" % out[-800:])


# Runs one cell in a kernel of the container's Jupyter (its connection file, as a frontend would
# connect), printing the reply's status.
RUN_CELL = ("import os, sys\n"
            "from jupyter_client import BlockingKernelClient\n"
            "from jupyter_core.paths import jupyter_runtime_dir\n"
            "kc = BlockingKernelClient(connection_file=os.path.join(jupyter_runtime_dir(),\n"
            "                          'kernel-%s.json' % sys.argv[1]))\n"
            "kc.load_connection_file(); kc.start_channels(); kc.wait_for_ready(timeout=120)\n"
            "print(kc.execute_interactive(sys.argv[2], timeout=150)['content']['status'])\n")


def kernel_with_spark(name, port, token):
    """Starts a kernel through Jupyter's REST API and runs a cell that uses `spark` in it (the
    kernel makes its session on first use); returns the port of its Spark UI once the UI
    answers through Jupyter's proxy."""
    status, body = http_req(port, "/api/kernels", "POST", json.dumps({"name": "python3"}),
                            {"Authorization": "token " + token,
                             "Content-Type": "application/json"})
    check(status == 201, "POST /api/kernels answered %s: %s" % (status, body[:300]))
    rc, out = docker("exec", name, "python3", "-c", RUN_CELL, json.loads(body)["id"],
                     "spark.range(3).count()", timeout=200)
    check(rc == 0 and out.strip().endswith("ok"), "a cell using spark failed: %s" % out[-800:])

    def ui_port():
        rc, out = docker("exec", name, "python3", "-c",
                         "import socket\nfor p in range(4040, 4050):\n"
                         "    s = socket.socket()\n"
                         "    if s.connect_ex(('127.0.0.1', p)) == 0:\n        print(p); break",
                         timeout=20)
        return out.strip() if rc == 0 and out.strip().isdigit() else None
    ui = wait_for("the kernel's Spark UI", ui_port, 120, interval=1)

    def started():  # the UI answers "Spark is starting up" until the SparkContext is ready
        status, body = http_req(port, "/proxy/%s/jobs/" % ui, timeout=10,
                                headers={"Authorization": "token " + token})
        return status == 200 and "<title>" in body
    wait_for("the Spark UI's Jobs page", started, 120, interval=1)
    return ui


@test
def spark_ui_is_reached_through_jupyter_with_its_token_only(ctx):
    """-p 8888:8888 alone: each kernel's Spark UI is at /proxy/PORT/ behind Jupyter's own
    authentication; the Jobs and Executors pages answer with Spark's content and their links stay
    under the proxy."""
    token = "e2e-proxy-token"
    name, port = start_detached("proxy", "-e", "ACCEPT_EULA=y", "-e", "JUPYTER_TOKEN=" + token,
                                "-e", "MML_PACKAGE=")
    ctx["containers"] = [name]
    jupyter_answers(port)
    ui = kernel_with_spark(name, port, token)
    status, body = http_req(port, "/proxy/%s/jobs/" % ui)
    check(status in (302, 403) and "Spark Jobs" not in body,
          "without the token the Spark UI answered %s" % status)
    auth = {"Authorization": "token " + token}
    # (the SQL tab appears with the first DataFrame query; the browser test runs one)
    for page, content in (("jobs", "Spark Jobs"), ("executors", "Executors"),
                          ("stages", "Stages"), ("environment", "Environment")):
        status, body = http_req(port, "/proxy/%s/%s/" % (ui, page), headers=auth, timeout=10)
        title = re.search(r"<title>([^<]*)</title>", body)
        check(status == 200 and title and content in title.group(1),
              "/proxy/%s/%s/ answered %s, title %r: %r" % (ui, page, status,
                                                           title and title.group(1), body[:300]))
    status, body = http_req(port, "/proxy/%s/jobs/" % ui, headers=auth, timeout=10)
    links = re.findall(r'href="(/[^"]*)"', body)
    check(links and all(h.startswith("/proxy/%s/" % ui) for h in links
                        if re.match(r"/(jobs|stages|storage|environment|executors|SQL)/", h)
                        or h.startswith("/proxy/")),
          "the UI's links leave the proxy: %s" % links[:10])
    check(any(h.startswith("/proxy/%s/executors" % ui) for h in links),
          "no Executors link under /proxy/%s/: %s" % (ui, links[:10]))


def browser_session(port, token):
    """A logged-in browser session as Jupyter's login page makes one: (opener, _xsrf value)."""
    import http.cookiejar
    import urllib.parse
    import urllib.request
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPCookieProcessor(jar))
    base = "http://127.0.0.1:%d" % port
    opener.open(base + "/login", timeout=10).read()
    xsrf = next((c.value for c in jar if c.name == "_xsrf"), None)
    check(xsrf, "Jupyter's login page set no _xsrf cookie")
    form = urllib.parse.urlencode({"password": token, "_xsrf": xsrf}).encode()
    opener.open(base + "/login", data=form, timeout=10).read()
    check(any(c.name.startswith("username-") for c in jar), "logging in with the token failed")
    return opener, xsrf


def session_post(opener, port, path, headers):
    import urllib.error
    import urllib.request
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method="POST",
                                 data=json.dumps({"type": "notebook"}).encode(),
                                 headers=dict({"Content-Type": "application/json"}, **headers))
    try:
        return opener.open(req, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code


@test
def jupyter_checks_xsrf_and_origin_and_listens_on_ipv6(ctx):
    """Jupyter's own checks are on for a logged-in browser: a POST without the XSRF token, or
    from another origin, is refused; the same POST from Jupyter's own page is accepted. Jupyter
    answers on IPv6 as on IPv4 (as the EULA page does)."""
    token = "e2e-origin-token"
    name, port = start_detached("origin", "--sysctl", "net.ipv6.conf.all.disable_ipv6=0",
                                "-e", "ACCEPT_EULA=y", "-e", "JUPYTER_TOKEN=" + token)
    ctx["containers"] = [name]
    jupyter_answers(port)
    opener, xsrf = browser_session(port, token)
    own = "http://127.0.0.1:%d" % port
    status = session_post(opener, port, "/api/contents", {"Origin": own})
    check(status == 403, "a POST without the XSRF token answered %s, expected 403" % status)
    status = session_post(opener, port, "/api/contents",
                          {"X-XSRFToken": xsrf, "Origin": "http://evil.example"})
    check(status in (403, 404), "a cross-origin POST answered %s, expected 403/404" % status)
    status = session_post(opener, port, "/api/contents", {"X-XSRFToken": xsrf, "Origin": own})
    check(status == 201, "Jupyter's own POST with the XSRF token answered %s" % status)
    rc, out = docker("exec", name, "python3", "-c",
                     "import socket\ns = socket.socket(socket.AF_INET6)\ns.settimeout(3)\n"
                     "try:\n    s.connect(('::1', 8888)); print('IPV6 OK')\n"
                     "except OSError as e:\n    print('IPV6', e.errno, e)", timeout=20)
    check("IPV6 OK" in out, "Jupyter does not answer on [::1]:8888: %s" % out)


@test
def docker_stop_at_any_moment_exits_cleanly(ctx):
    """docker stop at 0, 0.5, 1, 2 s after start, and 1, 2, 5, 15 s after a kernel was started: exit
    0 or 143 each time, never SIGKILL's 137 (the times are printed; bench/image and
    bench/notebook/stop.py measure them)."""
    token = "e2e-stop-token"
    times = []
    for after_kernel, delay in [(False, 0), (False, 0.5), (False, 1), (False, 2),
                                (True, 1), (True, 2), (True, 5), (True, 15)]:
        name, port = start_detached("stop", "-e", "ACCEPT_EULA=y", "-e", "JUPYTER_TOKEN=" + token,
                                    "-e", "MML_PACKAGE=")
        ctx["containers"] = [name]
        if after_kernel:
            jupyter_answers(port)
            status, body = http_req(port, "/api/kernels", "POST",
                                    json.dumps({"name": "python3"}),
                                    {"Authorization": "token " + token,
                                     "Content-Type": "application/json"})
            check(status == 201, "POST /api/kernels answered %s" % status)
        time.sleep(delay)
        t0 = time.monotonic()
        rc, out = docker("stop", name, timeout=30)
        took = time.monotonic() - t0
        code = container_state(name)[1]
        times.append("%s%.1fs: %.2fs exit %s" % ("kernel+" if after_kernel else "start+", delay,
                                                took, code))
        check(code in ("0", "143"), "docker stop %s %.1f s after %s: exit %s"
              % (name, delay, "a kernel" if after_kernel else "start", code))
        subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    print("    " + "; ".join(times))


SLOW_EXTENSION_CONFIG = """# an extension that takes 20 s to load, as on a busy machine
import time
from jupyter_server.serverapp import ServerApp
_load = ServerApp.load_server_extensions
def _slow_load(self):
    open("/tmp/e2e-extensions-loading", "w").close()
    time.sleep(20)
    _load(self)
ServerApp.load_server_extensions = _slow_load
"""


@test
def docker_stop_during_a_slow_jupyter_start_exits_cleanly(ctx):
    """A Jupyter whose extensions take 20 s to load (longer than the 5 s grace period) is stopped
    0.5, 1, 2 and 3 s after docker run, while the extensions load, and once it answers: exit 0
    or 143 each time, within the grace period, never SIGKILL's 137."""
    conf = new_dir("slow-start")
    os.chmod(conf, 0o755)
    with open(os.path.join(conf, "jupyter_server_config.py"), "w") as f:
        f.write(SLOW_EXTENSION_CONFIG)
    times, bad = [], []
    for moment in (0.5, 1, 2, 3, "loading", "idle"):
        name, port = start_detached("slow-stop", "-e", "ACCEPT_EULA=y", "-e", "MML_PACKAGE=",
                                    "-v", "%s:/etc/mmlspark-e2e:ro" % conf,
                                    "-e", "JUPYTER_CONFIG_PATH=/etc/mmlspark-e2e")
        ctx["containers"] = [name]
        if moment == "loading":
            wait_for("the extensions loading", lambda: docker(
                "exec", name, "test", "-e", "/tmp/e2e-extensions-loading", timeout=20)[0] == 0,
                60)
        elif moment == "idle":
            jupyter_answers(port)
        else:
            time.sleep(moment)
        t0 = time.monotonic()
        docker("stop", name, timeout=30)
        took = time.monotonic() - t0
        code = container_state(name)[1]
        times.append("%s: exit %s after %.1f s" % (moment, code, took))
        if code not in ("0", "143") or took >= 5:
            bad.append(times[-1])
        subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    print("    " + "; ".join(times))
    check(not bad, "docker stop during a slow start: %s" % "; ".join(bad))


@test
def nb_uid_leaves_the_owners_of_a_volume_under_the_home_alone(ctx):
    """--user root -e NB_UID=1001 -v DIR:/home/mmlspark/work: Jupyter starts, the notebook user
    is 1001, and the host's DIR and DIR/f keep their owner 1000 (mounted volumes are never
    re-owned)."""
    files = new_dir("nbuid-home")
    with open(os.path.join(files, "f"), "w") as f:
        f.write("host file\n")
    for path in (files, os.path.join(files, "f")):
        os.chown(path, 1000, 1000)
    token = "e2e-nbuid-home-token"
    name, port = start_detached("nbuid-home", "--user", "root", "-e", "NB_UID=1001",
                                "-e", "ACCEPT_EULA=y", "-e", "JUPYTER_TOKEN=" + token,
                                "-v", "%s:/home/mmlspark/work" % files)
    ctx["containers"] = [name]
    jupyter_answers(port)
    rc, out = docker("exec", name, "id", "-u", "mmlspark", timeout=20)
    check(rc == 0 and out.strip() == "1001", "the notebook user is %r, expected 1001" % out)
    for path in (files, os.path.join(files, "f")):
        st = os.stat(path)
        check((st.st_uid, st.st_gid) == (1000, 1000), "host's %s is now owned by %d:%d, "
              "expected 1000:1000" % (path, st.st_uid, st.st_gid))


@test
def nb_uid_leaves_the_owners_of_a_volume_at_notebooks_alone(ctx):
    """--user root -e NB_UID=1002 -v DIR:/notebooks: the job runs as 1002 in /notebooks, and the
    host's DIR and DIR/g keep their owner 1000."""
    files = new_dir("nbuid-notebooks")
    os.chmod(files, 0o755)
    with open(os.path.join(files, "g"), "w") as f:
        f.write("host file\n")
    for path in (files, os.path.join(files, "g")):
        os.chown(path, 1000, 1000)
    rc, out = docker("run", "--rm", "--user", "root", "-e", "NB_UID=1002",
                     "-v", "%s:/notebooks" % files, image,
                     "bash", "-c", "id -u; pwd; cat g", timeout=60)
    ctx["output"] = out
    check(rc == 0, "exit %d: %s" % (rc, out))
    check(re.search(r"^1002\n/notebooks\nhost file$", out, re.M) is not None,
          "the job did not run as 1002 in /notebooks: %s" % out)
    for path in (files, os.path.join(files, "g")):
        st = os.stat(path)
        check((st.st_uid, st.st_gid) == (1000, 1000), "host's %s is now owned by %d:%d, "
              "expected 1000:1000" % (path, st.st_uid, st.st_gid))


# ------------------------------------------ what the image ships: trust, updates, manifest, labels
def build_cas():
    """The build machine's extra CA certificates the Dockerfile's download stages trusted
    (image/ca/*.crt): {file name: (DER bytes, one base64 line of its PEM body)}."""
    import base64
    import glob
    cas = {}
    for path in sorted(glob.glob(os.path.join(TOP, "image", "ca", "*.crt"))):
        with open(path) as f:
            text = f.read()
        for i, m in enumerate(re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
                                         text, re.S)):
            lines = [ln.strip() for ln in m.strip().splitlines() if ln.strip()]
            der = base64.b64decode("".join(lines))
            cas["%s#%d" % (os.path.basename(path), i)] = (der, lines[len(lines) // 2])
    if not cas:
        raise Skip("image/ca/ has no *.crt: this machine's build trusted no extra CA, nothing "
                   "to look for (docker-ready.sh copies the host's there)")
    return cas


def sha256_hex(data):
    import hashlib
    return hashlib.sha256(data).hexdigest()


TRUST_PROBE = r"""
import glob, hashlib, json, os, re, ssl, subprocess
def fps(text):
    return sorted({hashlib.sha256(ssl.PEM_cert_to_DER_cert(m)).hexdigest() for m in
                   re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)})
out = lambda *a: subprocess.run(a, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
debian = set()
for f in out("dpkg", "-L", "ca-certificates").split():
    if f.endswith(".crt") and os.path.isfile(f):
        debian.update(fps(open(f).read()))
ks = out("keytool", "-list", "-cacerts", "-storepass", "changeit")
links = [f for f in glob.glob("/etc/ssl/certs/*")
         if os.path.islink(f) and not os.path.realpath(f).startswith("/usr/share/ca-certificates/")]
print(json.dumps({
    "debian": sorted(debian),
    "bundle": fps(open("/etc/ssl/certs/ca-certificates.crt").read()),
    "java": sorted({m.replace(":", "").lower() for m in re.findall(r"SHA-256\): ([0-9A-F:]+)", ks)}),
    "java_count": re.findall(r"contains (\d+) entr", ks),
    "local": glob.glob("/usr/local/share/ca-certificates/**/*", recursive=True),
    "links": links,
    "dpkg_verify": out("dpkg", "-V", "ca-certificates"),
    "pip_config": out("python3", "-m", "pip", "config", "list"),
    "env": {k: os.environ.get(k) for k in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE",
                                           "SSL_CERT_DIR", "CURL_CA_BUNDLE", "JAVA_TOOL_OPTIONS")},
}))
"""


@test
def released_trust_stores_are_debians_without_the_build_ca(ctx):
    """No .crt under /usr/local/share/ca-certificates; the system bundle and Java's cacerts hold
    exactly the certificates of Debian's ca-certificates package as installed (dpkg -V clean) and
    none of the build machine's CAs; pip/requests settings point at nothing else."""
    cas = build_cas()
    rc, out = docker("run", "--rm", "--user", "root", image, "python3", "-c", TRUST_PROBE,
                     timeout=120)
    ctx["output"] = out
    check(rc == 0, "trust probe: exit %d: %s" % (rc, out[-800:]))
    got = json.loads(out.strip().splitlines()[-1])
    leaked = [n for n, (der, _) in cas.items() if sha256_hex(der) in set(got["bundle"]) | set(got["java"])]
    check(not leaked, "the released image trusts the build machine's CA(s): %s" % leaked)
    check(not [f for f in got["local"] if f.endswith(".crt")],
          "*.crt under /usr/local/share/ca-certificates: %s" % got["local"])
    check(not got["links"], "/etc/ssl/certs links to certificates outside Debian's package: %s"
          % got["links"])
    # the image drops documentation (image/dpkg/): only changes elsewhere count
    changed = [ln for ln in got["dpkg_verify"].splitlines()
               if not re.search(r" /usr/share/(doc|man|info|locale)/", ln)]
    check(not changed, "dpkg -V ca-certificates: %s" % changed)
    debian, bundle, java = set(got["debian"]), set(got["bundle"]), set(got["java"])
    check(len(debian) > 100, "Debian's ca-certificates lists only %d certificates" % len(debian))
    check(bundle == debian, "/etc/ssl/certs/ca-certificates.crt is not Debian's: %d extra, %d missing"
          % (len(bundle - debian), len(debian - bundle)))
    check(java == debian and got["java_count"] == [str(len(debian))],
          "Java's cacerts is not Debian's: %s entries, %d extra, %d missing"
          % (got["java_count"], len(java - debian), len(debian - java)))
    for ln in got["pip_config"].splitlines():  # e.g. :env:.cert='/etc/ssl/certs/ca-certificates.crt'
        m = re.match(r"^\S*\.(cert|client-cert|trusted-host)='?(.*?)'?$", ln)
        check(not m or (m.group(1) == "cert" and m.group(2) == "/etc/ssl/certs/ca-certificates.crt"),
              "pip trusts more than the system bundle: %r" % ln)
    for k, v in got["env"].items():
        check(v in (None, "/etc/ssl/certs/ca-certificates.crt"), "%s=%s in the image" % (k, v))


@test
def no_layer_of_the_image_holds_the_build_ca(ctx):
    """docker save: no layer's bytes contain a build CA (DER, as in Java's cacerts, or a line of
    its PEM); a Debian CA that the image does ship is found the same way (the scan works); no
    history step copied certificates into /usr/local/share/ca-certificates."""
    import base64
    cas = build_cas()
    rc, pem = docker("run", "--rm", image, "cat",
                     "/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt", timeout=60)
    check(rc == 0, "no Debian CA to calibrate with: %s" % pem)
    m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S)
    check(m, "no PEM certificate in: %r" % pem[:300])
    body = [ln.strip() for ln in m.group(1).splitlines() if ln.strip()]
    needles = {"debian-der": base64.b64decode("".join(body)), "debian-pem": body[len(body) // 2].encode()}
    for name, (der, line) in cas.items():
        needles[name + "-der"] = der
        needles[name + "-pem"] = line.encode()
    keep = max(len(n) for n in needles.values())
    found, tail, total = set(), b"", 0
    p = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 900
    try:
        while time.monotonic() < deadline:
            chunk = p.stdout.read(8 << 20)
            if not chunk:
                break
            total += len(chunk)
            buf = tail + chunk
            found.update(n for n, b in needles.items() if b in buf)
            tail = buf[-keep:]
        else:
            raise Fail("docker save did not finish within 900 s (%d MB read)" % (total >> 20))
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(30)
    check(p.returncode == 0, "docker save exit %s: %s" % (p.returncode, p.stderr.read()[-400:]))
    check({"debian-der", "debian-pem"} <= found,
          "the scan of %d MB did not even find Debian's ISRG Root X1 (found: %s)" % (total >> 20, found))
    leaked = sorted(found - {"debian-der", "debian-pem"})
    check(not leaked, "layers of the image contain the build CA: %s" % leaked)
    rc, hist = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image, timeout=60)
    check(rc == 0, "docker history: %s" % hist)
    check("/usr/local/share/ca-certificates" not in hist,
          "a history step of the image installs certificates: %s"
          % [ln for ln in hist.splitlines() if "ca-certificates/" in ln])
    print("    scanned %d MB of docker save: no build CA, %d needles" % (total >> 20, len(needles)))


@test
def apt_has_the_security_suite_and_no_leftovers(ctx):
    """As root in the image: no apt lists, no downloaded .deb, no build logs (apt, dpkg,
    debootstrap), no held packages or pins; then
    `apt-get update` fetches the security and updates suites; an upgrade would not be blocked."""
    script = ("set -e; echo LEFT $(find /var/cache/apt /var/lib/apt/lists -type f ! -name lock "
              "| wc -l) $(du -sk /var/cache/apt /var/lib/apt/lists /var/log /tmp /root "
              "| awk '{s += $1} END {print s}'); echo LOGS $(find /var/log -type f -size +0 -printf '%p '); "
              "echo HOLD $(apt-mark showhold | wc -l) "
              "$(find /etc/apt/preferences.d /etc/apt/preferences -type f 2>/dev/null | wc -l); "
              "apt-get update; apt-get -s upgrade | grep -E '^[0-9]+ upgraded'")
    rc, out = docker("run", "--rm", "--user", "root", image, "bash", "-c", script, timeout=600)
    ctx["output"] = out
    check(rc == 0, "exit %d: %s" % (rc, out[-1500:]))
    left = re.search(r"^LEFT (\d+) (\d+)$", out, re.M)
    check(left and left.group(1) == "0", "apt lists or cached packages left in the image: %r"
          % (left and left.group(0)))
    check(int(left.group(2)) < 1024, "apt cache, logs, /tmp and /root hold %s KB" % left.group(2))
    logs = re.search(r"^LOGS ?(.*)$", out, re.M)
    check(logs and not logs.group(1).strip(), "build logs left in /var/log: %r" % (logs and logs.group(1)))
    check(re.search(r"^HOLD 0 0$", out, re.M), "held packages or apt pins: %r"
          % re.findall(r"^HOLD.*", out, re.M))
    check(re.search(r"^(Get|Hit):\d+ \S+ \S+-security ", out, re.M),
          "apt-get update did not fetch a -security suite: %s" % out[-1500:])
    check(re.search(r"^(Get|Hit):\d+ \S+ \S+-updates ", out, re.M),
          "apt-get update did not fetch an -updates suite: %s" % out[-1500:])
    print("    " + re.search(r"^\d+ upgraded.*", out, re.M).group(0) + " (since the build)")


@test
def manifest_lists_exactly_what_is_installed(ctx):
    """/usr/share/mmlspark/manifest.txt: a header, then `deb|pypi|maven NAME VERSION`, equal to
    dpkg-query -W, pip list and the image's Maven repositories (SynapseML's, the connectors'), with
    MML_PACKAGE and DATA_PACKAGES in it."""
    script = ("echo ===; cat /usr/share/mmlspark/manifest.txt; echo ===; "
              "dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\\n'; echo ===; "
              "python3 -m pip list --format=freeze; echo ===; "
              "cd /opt && find synapseml/maven connectors/maven -name '*.pom'; echo ===; "
              "echo \"$MML_PACKAGE,$(cat /opt/connectors/package)\"")
    # --entrypoint: only this script's output (init's notices go to the same stream)
    rc, out = docker("run", "--rm", "--entrypoint", "bash", image, "-c", script, timeout=120)
    ctx["output"] = out
    check(rc == 0, "exit %d: %s" % (rc, out[-800:]))
    manifest, dpkg, pip, poms, pkg = out.split("===\n")[1:]
    lines = manifest.splitlines()
    check(lines and lines[0].startswith("# "), "no header line: %r" % lines[:1])
    bad = [ln for ln in lines[1:] if not re.match(r"^(deb|pypi|maven) \S+ \S+$", ln)]
    check(not bad, "manifest lines not `KIND NAME VERSION`: %r" % bad[:5])
    kinds = {"deb": set(), "pypi": set(), "maven": set()}
    for ln in lines[1:]:
        kind, name, version = ln.split()
        kinds[kind].add((name, version))
    installed = {tuple(ln.split()[1:3]) for ln in dpkg.splitlines() if ln.startswith("ii ")}
    check(kinds["deb"] == installed, "deb lines differ from dpkg-query -W: missing %s, extra %s"
          % (sorted(installed - kinds["deb"])[:5], sorted(kinds["deb"] - installed)[:5]))
    check(("openjdk-17-jre-headless" in dict(kinds["deb"])), "no openjdk-17-jre-headless line")
    listed = {tuple(ln.split("==", 1)) for ln in pip.splitlines() if "==" in ln}
    check(kinds["pypi"] == listed, "pypi lines differ from pip list: missing %s, extra %s"
          % (sorted(listed - kinds["pypi"])[:5], sorted(kinds["pypi"] - listed)[:5]))
    check("pyspark" in dict(kinds["pypi"]), "no pyspark line")
    repo = set()
    for pom in poms.split():
        parts = pom.split("/")[2:]
        repo.add((".".join(parts[:-3]) + ":" + parts[-3], parts[-2]))
    check(kinds["maven"] == repo, "maven lines differ from /opt/{synapseml,connectors}/maven: missing %s, extra %s"
          % (sorted(repo - kinds["maven"])[:5], sorted(kinds["maven"] - repo)[:5]))
    for coord in filter(None, pkg.strip().split(",")):
        g, a, v = coord.split(":")[:3]
        check(("%s:%s" % (g, a), v) in kinds["maven"], "%s is not in the manifest" % coord)
    print("    %d deb, %d pypi, %d maven" % (len(kinds["deb"]), len(kinds["pypi"]), len(kinds["maven"])))


@test
def labels_and_exposed_ports(ctx):
    """licenses: the EULA the image ships under; source: this project's repository (what
    tools/source-url.sh says; never SynapseML's); EXPOSE: 8888 only (`docker run -P`
    publishes nothing unauthenticated: no Spark UI, no cluster port)."""
    rc, out = docker("image", "inspect", "--format",
                     "{{json .Config.Labels}}|{{json .Config.ExposedPorts}}", image, timeout=30)
    check(rc == 0, "docker image inspect: %s" % out)
    labels, ports = (json.loads(x) for x in out.strip().split("|", 1))
    check(labels.get("org.opencontainers.image.licenses") == "LicenseRef-MMLSpark-EULA",
          "licenses label: %r" % labels.get("org.opencontainers.image.licenses"))
    source = labels.get("org.opencontainers.image.source", "")
    check("SynapseML" not in source, "source label names SynapseML's repository: %r" % source)
    # tests/image/run.sh builds with SOURCE from tools/source-url.sh ($MMLSPARK_SOURCE, else the
    # checkout's origin when it is a network URL; a clone of a local path labels nothing)
    rc, want = run([os.path.join(TOP, "tools", "source-url.sh")], timeout=30)
    check(rc == 0, "tools/source-url.sh failed: %r" % want)
    check(source == want.strip(), "source label %r, tools/source-url.sh says %r"
          % (source, want.strip()))
    check(sorted(ports or {}) == ["8888/tcp"], "EXPOSE: %s" % sorted(ports or {}))
    rc, out = docker("run", "--rm", image, "bash", "-c",
                     "test -s /usr/share/mmlspark/EULA.txt && ls /usr/share/doc/*/copyright | wc -l",
                     timeout=60)
    check(rc == 0 and int(out.split()[-1]) > 50, "EULA or Debian copyright files missing: %r" % out)


@test
def ca_mounted_at_run_time_is_trusted_as_the_readme_says(ctx):
    """README "Trusted certificates", at run time: the image's bundle + the CA and its cacerts +
    the CA, mounted read-only: pip downloads from its index through this machine's proxy, and
    Java's cacerts lists the CA. Without the mounts, a TLS-intercepting proxy is refused."""
    cas = build_cas()
    d = new_dir("ca")
    pems = []
    for path in sorted(os.listdir(os.path.join(TOP, "image", "ca"))):
        if path.endswith(".crt"):
            with open(os.path.join(TOP, "image", "ca", path)) as f:
                pems.append((path, f.read()))
    rc, bundle = docker("run", "--rm", "--entrypoint", "cat", image,
                        "/etc/ssl/certs/ca-certificates.crt", timeout=60)
    check(rc == 0 and "BEGIN CERTIFICATE" in bundle, "cannot read the image's bundle: %r" % bundle[:200])
    with open(os.path.join(d, "ca-bundle.crt"), "w") as f:
        f.write(bundle + "".join(t if t.endswith("\n") else t + "\n" for _, t in pems))
    script = "docker run --rm --entrypoint cat %s /etc/ssl/certs/java/cacerts > %s/cacerts" % (image, d)
    rc, out = run(["bash", "-c", script], timeout=60)
    check(rc == 0, "cannot copy the image's cacerts: %s" % out)
    for i, (name, _) in enumerate(pems):
        with open(os.path.join(d, name), "w") as f:
            f.write(pems[i][1])
        rc, out = docker("run", "--rm", "--user", "%d:%d" % (os.getuid(), os.getgid()),
                         "-v", "%s:/w" % d, "-w", "/w", image,
                         "keytool", "-importcert", "-noprompt", "-keystore", "cacerts",
                         "-storepass", "changeit", "-alias", "corp-%d" % i, "-file", name, timeout=60)
        check(rc == 0, "keytool -importcert %s: %s" % (name, out[-400:]))
    os.chmod(os.path.join(d, "cacerts"), 0o644)
    os.chmod(os.path.join(d, "ca-bundle.crt"), 0o644)
    fetch = ("pip download --no-deps --no-cache-dir --disable-pip-version-check -d /tmp/dl six "
             ">/tmp/pip.log 2>&1 && echo FETCHED || { grep -o -m1 'CERTIFICATE_VERIFY_FAILED' /tmp/pip.log "
             "|| tail -3 /tmp/pip.log; echo REFUSED; }; keytool -list -cacerts -storepass changeit")
    rc, plain = docker("run", "--rm", image, "bash", "-c", fetch, timeout=300)
    rc2, mounted = docker("run", "--rm",
                          "-v", "%s/ca-bundle.crt:/etc/ssl/certs/ca-certificates.crt:ro" % d,
                          "-v", "%s/cacerts:/etc/ssl/certs/java/cacerts:ro" % d,
                          image, "bash", "-c", fetch, timeout=300)
    ctx["output"] = "--- without mounts\n%s\n--- with mounts\n%s" % (plain, mounted)
    check(rc2 == 0 and "FETCHED" in mounted, "pip download with the CA mounted: %s" % mounted[-800:])
    fps = {":".join("%02X" % b for b in bytes.fromhex(sha256_hex(der))) for der, _ in cas.values()}
    check(all(fp in mounted for fp in fps), "the mounted cacerts does not list the CA(s)")
    check(not any(fp in plain for fp in fps), "the image's own cacerts lists the build CA(s)")
    if "FETCHED" in plain:
        print("    pip reached its index without the mounts too: this network does not intercept TLS")
    else:
        check("CERTIFICATE_VERIFY_FAILED" in plain, "without mounts pip failed otherwise: %s"
              % plain[-800:])
    # "or once, in your own image"
    with open(os.path.join(d, "Dockerfile.corp"), "w") as f:
        f.write("FROM %s\nUSER root\n" % image
                + "".join("COPY %s /usr/local/share/ca-certificates/%s\n" % (n, n) for n, _ in pems)
                + "RUN update-ca-certificates\nUSER mmlspark\n")
    tag = "%s-corp:latest" % RUN_ID
    rc, out = run(["docker", "build", "-q", "-f", os.path.join(d, "Dockerfile.corp"), "-t", tag, d],
                  timeout=300, env=dict(os.environ, DOCKER_BUILDKIT="0"))
    check(rc == 0, "docker build of the README's own-image example: %s" % out[-800:])
    try:
        rc3, own = docker("run", "--rm", tag, "bash", "-c", fetch, timeout=300)
    finally:
        docker("rmi", "-f", tag, timeout=120)
    ctx["output"] += "\n--- own image\n" + own
    check(rc3 == 0 and "FETCHED" in own and all(fp in own for fp in fps),
          "the README's own image does not trust the CA (pip and Java): %s" % own[-800:])



# ------------------------------------------------------------- Spark in notebooks, user's terms
EXT_SOURCE = ("package mmltest;\n"
              "import org.apache.spark.sql.SparkSessionExtensions;\n"
              "import scala.runtime.AbstractFunction1;\n"
              "import scala.runtime.BoxedUnit;\n"
              "public class Ext extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {\n"
              "  public BoxedUnit apply(SparkSessionExtensions e) {\n"
              "    System.setProperty(\"mmltest.ext\", \"loaded\");\n"
              "    return BoxedUnit.UNIT;\n  }\n}\n")


def extension_jar():
    """A jar with a SQL extension (spark.sql.extensions=mmltest.Ext) that records that Spark
    applied it, compiled against the image's own Spark jars."""
    if "ext" in CACHE:
        return CACHE["ext"]
    if maven.missing_tools():
        host_lacks("a JDK (openjdk-17-jdk-headless)", "%s not installed on the host"
                   % " ".join(maven.missing_tools()))
    work = new_dir("ext")
    rc, out = docker("run", "--rm", "--network", "none", "-u", "0", "-v", "%s:/out" % work,
                     "--entrypoint", "sh", image, "-c",
                     "cp /opt/spark/jars/spark-sql_*.jar /opt/spark/jars/spark-catalyst_*.jar "
                     "/opt/spark/jars/scala-library-*.jar /out/", timeout=60)
    check(rc == 0, "copying Spark's jars out of the image failed: %s" % out)
    os.makedirs(os.path.join(work, "mmltest"))
    with open(os.path.join(work, "mmltest", "Ext.java"), "w") as f:
        f.write(EXT_SOURCE)
    cp = ":".join(os.path.join(work, j) for j in os.listdir(work) if j.endswith(".jar"))
    for cmd in (["javac", "-cp", cp, "-d", work, os.path.join(work, "mmltest", "Ext.java")],
                ["jar", "cf", os.path.join(work, "ext.jar"), "-C", work, "mmltest/Ext.class"]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "%s failed: %s" % (cmd[0], r.stdout + r.stderr))
    os.chmod(work, 0o755)
    CACHE["ext"] = work
    return work


def notebook_of(*cells):
    return {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                       "outputs": [], "source": c} for c in cells],
            "metadata": NOTEBOOK["metadata"], "nbformat": 4, "nbformat_minor": 5}


def run_cells(ctx, tag, cells, *args, timeout=300):
    """Runs CELLS as a notebook headless (nbconvert --execute) in a fresh container with
    `--network none` and ARGS; returns (all outputs' text, RESULT lines as a dict). Fails on an
    error output or any traceback in any output (the image's extensions included)."""
    name = new_name("%s-%d" % (tag, len(ctx.setdefault("containers", []))))
    ctx["containers"].append(name)
    rc, out = docker("run", "-i", "--name", name, *NONE, *args, image, "bash", "-c",
                     "cd /tmp && cat > t.ipynb && mmlspark-env -- jupyter nbconvert --to notebook "
                     "--execute --ExecutePreprocessor.timeout=240 "
                     "--ExecutePreprocessor.startup_timeout=240 --output /tmp/out.ipynb t.ipynb "
                     ">/dev/null 2>&1; rc=$?; cat /tmp/out.ipynb; exit $rc",
                     input=json.dumps(notebook_of(*cells)).encode(), timeout=timeout)
    ctx["output"] = ctx.get("output", "") + out
    check(rc == 0 and "{" in out, "nbconvert exited %d: %s" % (rc, out[-1500:]))
    # raw_decode: init's own line may follow the notebook (processes still ending at the job's end)
    nb = json.JSONDecoder().raw_decode(out[out.index("{"):])[0]
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    errors = [(o["ename"], o["evalue"][:300]) for o in outputs if o["output_type"] == "error"]
    check(not errors, "a cell failed: %s" % errors)
    text = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                   for o in outputs)
    check("Traceback" not in text and "ScalaMonitor" not in text,
          "a traceback in the notebook's outputs: %r" % text[-1500:])
    results = dict(line.split(" ", 2)[1:] for line in text.splitlines()
                   if line.startswith("RESULT ") and line.count(" ") >= 2)
    return text, results


@test
def users_builder_settings_win_in_the_first_cell_and_late_ones_are_named(ctx):
    """The user's SparkSession.builder in the first cell gets its master, driver memory, a SQL
    extension from a jar and a package from a local Maven repository, with SynapseML still there
    and getActiveSession() finding the session; a builder run when Spark already runs says in
    one line which setting it could not apply (and applies the runtime SQL one). Headless, with
    no network: no traceback in any output."""
    repo = maven_repo()
    ext = extension_jar()
    text, got = run_cells(
        ctx, "builder", [
        "from pyspark.sql import SparkSession\n"
        "spark = (SparkSession.builder.master('local[1]').config('spark.driver.memory', '3g')\n"
        "         .config('spark.jars', '/ext/ext.jar').config('spark.sql.extensions', 'mmltest.Ext')\n"
        "         .config('spark.jars.packages', 'org.example:hello:1.0')\n"
        "         .config('spark.jars.repositories', 'file:///repo').getOrCreate())\n"
        "print('RESULT master', spark.sparkContext.master)\n"
        "print('RESULT heap_mb', spark._jvm.java.lang.Runtime.getRuntime().maxMemory() // 2**20)\n"
        "print('RESULT ext', spark._jvm.java.lang.System.getProperty('mmltest.ext'))\n"
        "print('RESULT hello', spark._jvm.org.example.Hello.greet('builder').replace(' ', '_'))\n"
        "active = SparkSession.getActiveSession()\n"
        "print('RESULT active', active is not None and active._jsparkSession.equals(spark._jsparkSession))\n"
        "import synapse.ml.lightgbm\n"
        "print('RESULT synapseml', type(spark._jvm.com.microsoft.azure.synapse.ml.lightgbm"
        ".LightGBMClassifier).__name__)\n"
        "print('RESULT count', spark.range(100).count())",
        "again = (SparkSession.builder.config('spark.driver.memory', '5g')\n"
        "         .config('spark.sql.shuffle.partitions', '7').getOrCreate())\n"
        "print('RESULT partitions', again.conf.get('spark.sql.shuffle.partitions'))"],
        "-v", "%s:/repo:ro" % repo, "-v", "%s:/ext:ro" % ext)
    print("    %s" % got)
    check(got.get("master") == "local[1]", "master is %r, not the builder's local[1]" % got.get("master"))
    check(2700 <= int(got.get("heap_mb", 0)) <= 3072, "driver heap %s MB, not the builder's 3g"
          % got.get("heap_mb"))
    check(got.get("ext") == "loaded", "the SQL extension was not applied: %r" % got.get("ext"))
    check(got.get("hello") == "hello_from_the_jar,_builder", "the package's class: %r" % got.get("hello"))
    check(got.get("active") == "True", "getActiveSession() is not the session: %r" % got.get("active"))
    check(got.get("synapseml") == "JavaClass", "SynapseML's classes are missing: %r" % got.get("synapseml"))
    check(got.get("count") == "100", "the job did not run: %r" % got.get("count"))
    late = [line for line in text.splitlines() if line.startswith("mmlspark: not applied")]
    check(len(late) == 1 and "spark.driver.memory=5g" in late[0]
          and "shuffle.partitions" not in late[0],
          "no single line naming the late spark.driver.memory setting: %r" % late)
    check(got.get("partitions") == "7", "the runtime SQL setting was not applied")


@test
def driver_heap_follows_the_container_memory_limit(ctx):
    """With `-m 6g` and no setting the driver heap is sized from the limit (3g); with
    SPARK_DRIVER_MEMORY the user's value wins."""
    cell = "print('RESULT heap_mb', spark._jvm.java.lang.Runtime.getRuntime().maxMemory() // 2**20)"
    _, got = run_cells(ctx, "heap", [cell], "-m", "6g")
    _, own = run_cells(ctx, "heap-own", [cell], "-m", "6g", "-e", "SPARK_DRIVER_MEMORY=2g")
    print("    -m 6g: %s MB; -m 6g -e SPARK_DRIVER_MEMORY=2g: %s MB"
          % (got.get("heap_mb"), own.get("heap_mb")))
    check(2700 <= int(got.get("heap_mb", 0)) <= 3072,
          "heap %s MB with -m 6g, not the 3g sized from the limit" % got.get("heap_mb"))
    check(1800 <= int(own.get("heap_mb", 0)) <= 2048,
          "heap %s MB with SPARK_DRIVER_MEMORY=2g" % own.get("heap_mb"))


@test
def interrupt_cancels_spark_jobs_in_any_cell_and_nothing_is_copied(ctx):
    """A kernel started as Jupyter starts it: the ready `spark` runs a job with SynapseML's
    classes there and no jar copied into Spark's temporary files; getActiveSession() finds it;
    the stop button in the third cell returns at once and leaves no Spark job running."""
    name = new_name("interrupt")
    ctx["containers"] = [name]
    rc, out = docker("run", "--name", name, *NONE, "-v", "%s/jobs:/jobs:ro" % HERE, image,
                     "python3", "/jobs/kernel_session.py", timeout=400)
    ctx["output"] = out
    check(rc == 0, "kernel_session.py exited %d: %s" % (rc, out[-1500:]))
    cells = {int(m.group(1)): (m.group(2), float(m.group(3)))
             for m in re.finditer(r"^CELL (\d) (\w+) ([0-9.]+)", out, re.M)}
    got = dict(m.groups() for m in re.finditer(r"^RESULT (\w+) (.*)$", out, re.M))
    print("    cells %s; %s" % (cells, got))
    check(got.get("jobs") == "1000", "the ready spark did not run a job: %r" % out[-800:])
    first = re.search(r"^CELL 1 \w+ [0-9.]+ (.*)$", out, re.M)
    check(first and "MMLTEST Initial job has not accepted any resources" in first.group(1),
          "a Spark warning that explains a stuck cell was not shown in the cell")
    check(re.search(r"WARN TaskSchedulerImpl: MMLTEST", out),
          "Spark's log (slf4j, log4j) did not reach the kernel's stderr (docker logs)")
    check(got.get("synapseml") == "JavaClass", "no SynapseML classes in the kernel's Spark")
    check(got.get("copied") is not None and int(got["copied"]) < 1e6,
          "%s bytes copied into Spark's temporary files" % got.get("copied"))
    check(got.get("active") == "True", "getActiveSession() did not find the kernel's session")
    check(cells.get(3, ("", 99))[0] == "error" and cells[3][1] < 30,
          "the interrupted third cell: %s (status, seconds after the interrupt)" % (cells.get(3),))
    check(got.get("active_jobs") == "[]", "Spark jobs still running after the interrupt: %r"
          % got.get("active_jobs"))


# ------------------------------------------------------------------------------------- runner
def cleanup():
    for name in made_containers:
        subprocess.run(["docker", "rm", "-f", "-v", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    for net in made_networks:
        subprocess.run(["docker", "network", "rm", net], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    for d in made_dirs:
        # Containers may have written files as other uids: root on the host removes them.
        shutil.rmtree(d, ignore_errors=True)


def main():
    global image
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", default=image)
    ap.add_argument("-k", default="")
    opts = ap.parse_args()
    image = opts.image
    atexit.register(cleanup)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    return run_tests(TESTS, opts.k, after=after_test)


def after_test(test, ctx, outcome):
    """A failed test's container logs, terminal and output go to artifacts/image/; its terminal
    is closed and its containers removed."""
    term = ctx.get("pty")
    if outcome == "FAIL":
        for name in ctx.get("containers", []):
            save_logs(test, name)
        if term is not None:
            save_logs(test, "terminal", term.text())
        if "output" in ctx:
            save_logs(test, "output", ctx["output"])
    if term is not None:
        term.close()
    for name in ctx.get("containers", []):
        subprocess.run(["docker", "rm", "-f", "-v", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)


if __name__ == "__main__":
    sys.exit(main())
