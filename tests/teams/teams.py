#!/usr/bin/env python3
"""teams - the image where teams run it (README, "Teams"), against a real Docker engine: any uid
and gid, a read-only root, no capabilities, all at once; a name for any uid in every process
(docker exec included); UTF-8 JVMs; one hosts file per uid; stock Spark's Ivy resolvers; a real JupyterHub (PyPI jupyterhub + dockerspawner, npm
configurable-http-proxy) spawning the image with the README's jupyterhub_config.py; the k8s/
manifests against the Kubernetes API schema, offline.

Run by tests/teams/run.sh with the Python of its venv (tests/teams/setup.sh), which has JupyterHub,
tornado (the kernels' websocket) and kubernetes-validate. Prints PASS/FAIL/SKIP lines, then
"N passed, N failed"; exit 1 on a failure (or, with CI=true, a skip).
"""
import argparse
import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "testlib"))
import maven_repo as maven  # noqa: E402
import pywheel  # noqa: E402
from harness import (Fail, check, docker, free_port, host_lacks, run, run_tests,  # noqa: E402
                     save_log, wait_for)

ARTIFACTS = os.path.join(TOP, "artifacts", "teams")
RUN_ID = "mmlspark-teams-%d" % os.getpid()
image = "mmlspark/release:latest"
made = {"containers": [], "dirs": [], "networks": [], "volumes": [], "procs": []}

# The settings Kubernetes' restricted profile and OpenShift impose, alone and all at once.
ANY_IDS = ["--user", "12345:12345"]
# (exec: Docker's tmpfs is noexec unless asked, and SynapseML unpacks its native code there)
READ_ONLY = ["--read-only", "--tmpfs", "/tmp:exec"]
NO_CAPS = ["--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
WHEEL = "mmlspark_teams_hello"
RUNTIMES = [("default", []), ("any_uid_and_gid", ANY_IDS), ("read_only_root", READ_ONLY),
            ("no_capabilities", NO_CAPS), ("all_at_once", ANY_IDS + READ_ONLY + NO_CAPS)]

# What a user runs in a kernel: a Spark job, a SynapseML model, the wheel they pip-installed.
KERNEL_CODE = """
import os, getpass
print("SPARK-SUM", spark.range(1000).selectExpr("sum(id) AS s").first().s)
from pyspark.ml.feature import VectorAssembler
from synapse.ml.lightgbm import LightGBMRegressor
df = VectorAssembler(inputCols=["x"], outputCol="features").transform(
    spark.createDataFrame([(float(i), 2.0 * i) for i in range(200)], ["x", "y"]))
m = LightGBMRegressor(labelCol="y", numIterations=30, verbosity=-1).fit(df)
print("SYNAPSEML-PREDICTS", round(m.transform(df).filter("x = 100").first().prediction))
import mmlspark_teams_hello
print("WHEEL", mmlspark_teams_hello.hello())
print("WHO", getpass.getuser(), os.path.expanduser("~"))
"""


def new_name(tag):
    name = "%s-%s" % (RUN_ID, tag)
    made["containers"].append(name)
    return name


def new_dir(tag):
    d = tempfile.mkdtemp(prefix="%s-%s." % (RUN_ID, tag))
    os.chmod(d, 0o755)
    made["dirs"].append(d)
    return d


def http_req(url, method="GET", body=None, headers=None, timeout=10):
    """(status, body text) of a request to http://127.0.0.1:PORT/...; (None, error) if nothing
    answers. Never through a proxy."""
    m = re.match(r"http://([^/:]+):(\d+)(/.*)", url)
    try:
        c = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=timeout)
        c.request(method, m.group(3), body=body, headers=headers or {})
        r = c.getresponse()
        status, text = r.status, r.read().decode("utf-8", "replace")
        c.close()
        return status, text
    except (OSError, http.client.HTTPException) as e:
        return None, str(e)


def save_logs(test, name, text=None):
    save_log(ARTIFACTS, test, name.replace(RUN_ID + "-", ""), text)


def wheel(directory):
    return pywheel.wheel(directory, WHEEL)


def run_in_kernel(base, headers, code, timeout=300):
    """Starts a kernel through Jupyter's REST API at base (http://127.0.0.1:PORT/PREFIX/), runs
    code in it over the kernel's websocket as JupyterLab does, and returns what it printed (errors
    included)."""
    from tornado import httpclient, websocket
    hdrs = dict(headers, **{"Content-Type": "application/json"})
    status, body = http_req(base + "api/kernels", "POST", json.dumps({"name": "python3"}), hdrs)
    check(status == 201, "POST %sapi/kernels answered %s: %s" % (base, status, body[:300]))
    kernel = json.loads(body)["id"]

    async def execute():
        req = httpclient.HTTPRequest("ws" + base[4:] + "api/kernels/%s/channels" % kernel,
                                     headers=headers)
        ws = await websocket.websocket_connect(req)
        msg_id, out = uuid.uuid4().hex, []
        ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": "teams", "session": uuid.uuid4().hex,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        while True:
            raw = await ws.read_message()
            if raw is None:
                raise Fail("the kernel's websocket closed; output so far: %r" % "".join(out))
            msg = json.loads(raw) if isinstance(raw, str) else {}
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                out.append("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                ws.close()
                return "".join(out)

    try:
        return asyncio.run(asyncio.wait_for(execute(), timeout))
    except asyncio.TimeoutError:
        raise Fail("the kernel did not finish within %d s" % timeout)


def check_kernel_output(out, who):
    check("SPARK-SUM 499500" in out, "no Spark job result in the kernel: %r" % out[-1500:])
    m = re.search(r"SYNAPSEML-PREDICTS (\d+)", out)
    check(m and abs(int(m.group(1)) - 200) <= 10,
          "the SynapseML model did not train (x=100 should predict about 200): %r" % out[-1500:])
    check("WHEEL " + pywheel.GREETING in out,
          "the kernel did not import the wheel pip installed: %r" % out[-1500:])
    m = re.search(r"WHO (\S+) (\S+)", out)
    check(m and m.group(1) == who, "the kernel's user is not %s: %r" % (who, out[-600:]))
    return m.group(2)


# --------------------------------------------------------------------------------------- tests
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def image_user_is_numeric_and_names_the_notebook_user(ctx):
    """Kubernetes' runAsNonRoot checks the image's USER by number: it is 1000, mmlspark."""
    rc, out = docker("image", "inspect", "--format", "{{.Config.User}}", image)
    check(rc == 0 and out.strip() == "1000", "the image's USER is %r, not 1000" % out.strip())
    rc, out = docker("run", "--rm", image, "id")
    check(rc == 0 and "uid=1000(mmlspark)" in out and "0(root)" in out,
          "the default user is not mmlspark (uid 1000, group 0 member): %r" % out)


def runtime_test(tag, args):
    def fn(ctx):
        """Jupyter answers with its token only; `pip install --user` of a local wheel, `whoami`
        and `~` work in a terminal (docker exec, login and interactive shell); a kernel runs a
        Spark job, trains a SynapseML model and imports the wheel."""
        wheels = new_dir("wheels")
        whl = os.path.basename(wheel(wheels))
        name = new_name(tag)
        ctx["containers"] = [name]
        port = free_port()
        rc, out = docker("run", "-d", "--name", name, "-p", "127.0.0.1:%d:8888" % port,
                         "-v", "%s:/wheels:ro" % wheels, "-e", "ACCEPT_EULA=yes",
                         "-e", "JUPYTER_TOKEN=teams-token", "-e", "MMLSPARK_LOG=info",
                         *args, image, timeout=60)
        check(rc == 0, "docker run failed: %s" % out)
        base = "http://127.0.0.1:%d/" % port
        auth = {"Authorization": "token teams-token"}
        wait_for("Jupyter answering /api/status with the token",
                 lambda: http_req(base + "api/status", headers=auth)[0] == 200, 120, 0.5)
        status, _ = http_req(base + "api/status", headers={"Authorization": "token wrong"})
        check(status == 403, "a wrong token got HTTP %s, not 403" % status)
        uid = "12345" if args[:2] == ANY_IDS else "1000"
        who = "mmlspark-12345" if uid == "12345" else "mmlspark"
        # a terminal: Jupyter's terminals are login shells; `docker exec -it NAME bash -l` an
        # interactive login shell (Docker's HOME=/ for a uid without a passwd line: bash.bashrc)
        probe = ("whoami; echo HOME=~; touch ~/probe && echo HOME-WRITABLE; "
                 "pip install --user --no-index /wheels/%s 2>&1 | tail -1" % whl)
        rc, out = docker("exec", name, "bash", "-lic", probe, timeout=120)
        ctx["output"] = out
        check(rc == 0 and re.search(r"^%s$" % who, out, re.M),
              "whoami in a login shell is not %s: %r" % (who, out))
        check("HOME-WRITABLE" in out, "~ is not writable in a login shell: %r" % out)
        check(re.search(r"Successfully installed mmlspark[-_]teams[-_]hello-1\.0", out),
              "pip install --user of the wheel failed: %r" % out)
        home = re.search(r"^HOME=(\S+)$", out, re.M).group(1)
        rc, out = docker("exec", name, "bash", "-ic", "whoami; echo HOME=~", timeout=60)
        check(re.search(r"^%s$" % who, out, re.M) and "HOME=%s" % home in out,
              "an interactive bash (docker exec -it) has not the same user and home: %r" % out)
        out = run_in_kernel(base, auth, KERNEL_CODE)
        ctx["output"] += out
        kernel_home = check_kernel_output(out, who)
        check(kernel_home == home, "the kernel's ~ (%s) is not the terminal's (%s)"
              % (kernel_home, home))
        print("    %s: user %s, HOME %s" % (" ".join(args) or "no options", who, home))
    fn.__name__ = "jupyter_spark_synapseml_pip_whoami_with_%s" % tag
    return fn


for _tag, _args in RUNTIMES:
    test(runtime_test(_tag, _args))


@test
def read_only_root_with_a_noexec_tmp_runs_spark_and_says_how_to_load_native_code(ctx):
    """--read-only --tmpfs /tmp (noexec, Docker's default): Jupyter answers and a kernel runs a
    Spark job; the log has one line saying SynapseML's native code needs /tmp mounted exec."""
    name = new_name("noexec")
    ctx["containers"] = [name]
    port = free_port()
    rc, out = docker("run", "-d", "--name", name, "-p", "127.0.0.1:%d:8888" % port, "--read-only",
                     "--tmpfs", "/tmp", "-e", "ACCEPT_EULA=yes", "-e", "JUPYTER_TOKEN=teams-token",
                     "-e", "MML_PACKAGE=", image, timeout=60)
    check(rc == 0, "docker run failed: %s" % out)
    base, auth = "http://127.0.0.1:%d/" % port, {"Authorization": "token teams-token"}
    wait_for("Jupyter answering /api/status with the token",
             lambda: http_req(base + "api/status", headers=auth)[0] == 200, 120, 0.5)
    out = run_in_kernel(base, auth, 'print("SPARK-SUM", spark.range(1000).selectExpr("sum(id) AS s").first().s)')
    ctx["output"] = out
    check("SPARK-SUM 499500" in out, "no Spark job result in the kernel: %r" % out[-1500:])
    rc, logs = docker("logs", name, timeout=30)
    lines = [l for l in logs.splitlines() if "is mounted noexec" in l]
    check(len(lines) == 1 and "--tmpfs /tmp:exec" in lines[0],
          "not one line about the noexec /tmp and the fix: %r" % lines)


@test
def pip_install_user_without_a_writable_place_says_where(ctx):
    """--read-only with no tmpfs: no place to write at all; a login shell says so in one line
    (naming the fix) and pip's own error names the read-only path."""
    rc, out = docker("run", "--rm", "--read-only", *ANY_IDS, image, "bash", "-lc",
                     "pip install --user --no-index /nonexistent.whl; true", timeout=60)
    ctx["output"] = out
    check(re.search(r"mmlspark[-\w]*: (warn: )?no writable directory for HOME .*--tmpfs /tmp", out),
          "no clear line about the missing writable place: %r" % out)


@test
def every_jvm_reports_utf8_and_spark_writes_non_ascii_names(ctx):
    """java -XshowSettings and a spark-submit's driver (its SparkSubmit JVM) report
    sun.jnu.encoding = UTF-8, for the default user and any uid; Spark writes and reads a
    non-ASCII path."""
    script = ("from pyspark.sql import SparkSession\n"
              "spark = SparkSession.builder.master('local[1]').getOrCreate()\n"
              "jvm = spark._jvm.java.lang.System\n"
              "print('DRIVER', jvm.getProperty('sun.jnu.encoding'), jvm.getProperty('file.encoding'))\n"
              "spark.createDataFrame([('été',)], ['w']).write.mode('overwrite').text('/tmp/données-ü')\n"
              "print('READ', spark.read.text('/tmp/données-ü').first()[0])\n")
    for who in ([], ANY_IDS):
        rc, out = docker("run", "--rm", "-i", *who, image, "bash", "-c",
                         "java -XshowSettings:properties -version 2>&1 | grep -E 'jnu|file.enc'; "
                         "cat >/tmp/u.py && spark-submit /tmp/u.py 2>/dev/null",
                         input=script.encode(), timeout=180)
        ctx["output"] = out
        check(re.search(r"sun\.jnu\.encoding = UTF-8", out),
              "java -XshowSettings: sun.jnu.encoding is not UTF-8 (%s): %r" % (who, out))
        check("DRIVER UTF-8 UTF-8" in out, "spark-submit's JVM is not UTF-8 (%s): %r" % (who, out))
        check("READ été" in out, "Spark did not write and read a non-ASCII path: %r" % out[-800:])


@test
def spark_launches_leave_one_hosts_file_per_uid_and_no_passwd_file(ctx):
    """Three spark-submit launches as a uid without a passwd entry, without network: one hosts
    file for that uid, reused, nothing per launch; no passwd file (the NSS module names the uid)."""
    rc, out = docker("run", "--rm", "--network", "none", *ANY_IDS, image, "bash", "-c",
                     "for i in 1 2 3; do spark-submit --version >/dev/null 2>&1 || echo FAILED; "
                     "done; ls -A /tmp", timeout=180)
    ctx["output"] = out
    check(rc == 0 and "FAILED" not in out, "spark-submit --version failed: %r" % out)
    files = sorted(f for f in out.splitlines() if re.fullmatch(r"mmlspark\S*", f))
    check(files == ["mmlspark-hosts-12345"],
          "/tmp holds %s, not one hosts file for uid 12345" % files)


@test
def any_uid_has_a_name_and_a_home_in_every_process_docker_exec_included(ctx):
    """--user 12345:12345 (no passwd line): `whoami` as the container's command; in a `docker
    exec` (not started by init, no shell profile) Python's getpass and pwd, `id` with a group name,
    an interactive bash's HOME, and a Spark JVM whose user is the name; the same under
    --read-only --tmpfs /tmp."""
    rc, out = docker("run", "--rm", *ANY_IDS, "-e", "ACCEPT_EULA=yes", image, "whoami",
                     timeout=60)
    ctx["output"] = out
    check(rc == 0 and out.splitlines()[-1:] == ["mmlspark-12345"],
          "docker run --user 12345:12345 IMAGE whoami: %r" % out)
    # root (a derived image's RUN, a hook) sees the files alone: free ids stay free
    rc, out = docker("run", "--rm", "--user", "root", "-e", "ACCEPT_EULA=yes", image, "sh", "-c",
                     "useradd -m alice && groupadd -g 12345 team && id -un alice && "
                     "getent group 12345 | cut -d: -f1", timeout=60)
    check(rc == 0 and out.splitlines()[-2:] == ["alice", "team"],
          "useradd and groupadd as root in the image: %r" % out)
    pyprobe = ("import getpass, pwd, os; "
               "print('WHO', getpass.getuser(), pwd.getpwuid(os.getuid()).pw_dir)")
    spark = ("from pyspark.sql import SparkSession; "
             "s = SparkSession.builder.master('local[1]').getOrCreate(); "
             "print('SPARK', s.range(10).selectExpr('sum(id)').first()[0], "
             "s.sparkContext.sparkUser()); s.stop()")
    for tag, extra in (("plain", []), ("read_only", ["--read-only", "--tmpfs", "/tmp"])):
        name = new_name("exec-" + tag)
        rc, out = docker("run", "-d", "--name", name, *ANY_IDS, *extra, "-e", "ACCEPT_EULA=yes",
                         image, "sleep", "600", timeout=60)
        check(rc == 0, "docker run -d failed: %s" % out)
        rc, out = docker("exec", name, "python3", "-c", pyprobe, timeout=60)
        ctx["output"] += out
        check(rc == 0 and "WHO mmlspark-12345 /tmp/home-12345" in out,
              "%s: docker exec python3 (getpass.getuser(), pw_dir): %r" % (tag, out))
        rc, out = docker("exec", name, "id", timeout=60)
        check(rc == 0 and "uid=12345(mmlspark-12345) gid=12345(mmlspark-12345)" in out,
              "%s: docker exec id has no user and group names: %r" % (tag, out))
        rc, out = docker("exec", name, "bash", "-ic",
                         'echo "HOME=$HOME"; touch ~/probe && echo HOME-WRITABLE', timeout=60)
        check("HOME=/tmp/home-12345" in out and "HOME-WRITABLE" in out,
              "%s: an interactive docker exec bash has not the uid's home: %r" % (tag, out))
        rc, out = docker("exec", name, "python3", "-c", spark, timeout=240)
        ctx["output"] += out
        check(rc == 0 and "SPARK 45 mmlspark-12345" in out,
              "%s: a Spark JVM in docker exec did not run as mmlspark-12345: %r"
              % (tag, out[-1500:]))
        docker("rm", "-f", name, timeout=60)


def ivy_local_publication(root):
    """org.example:hello:1.0 published as `sbt publishLocal` / `ivy:publish` lays it out in
    ~/.ivy2/local, with the maven_repo jar (org.example.Hello.greet)."""
    repo = maven.build_hello_repo(new_dir("m2"), new_dir("src"))
    mod = os.path.join(root, "org.example", "hello", "1.0")
    os.makedirs(os.path.join(mod, "ivys"))
    os.makedirs(os.path.join(mod, "jars"))
    shutil.copy(os.path.join(repo, "org", "example", "hello", "1.0", "hello-1.0.jar"),
                os.path.join(mod, "jars", "hello.jar"))
    with open(os.path.join(mod, "ivys", "ivy.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<ivy-module version="2.0">\n'
                '  <info organisation="org.example" module="hello" revision="1.0" status="release"/>\n'
                '  <configurations><conf name="default"/><conf name="compile"/>'
                '<conf name="runtime"/><conf name="master"/></configurations>\n'
                '  <publications><artifact name="hello" type="jar" ext="jar" conf="*"/></publications>\n'
                '</ivy-module>\n')
    for d, _dirs, fs in os.walk(root):
        os.chmod(d, 0o755)
        for f in fs:
            os.chmod(os.path.join(d, f), 0o644)


@test
def packages_resolve_from_the_users_ivy_local_offline(ctx):
    """`spark-submit --packages` finds a package the user published to ~/.ivy2/local (stock
    Spark's local-ivy-cache resolver, kept after the image's repositories), on a network with no
    way out."""
    if maven.missing_tools():
        host_lacks("a JDK (openjdk-17-jdk-headless)", "%s not installed on the host"
                   % " ".join(maven.missing_tools()))
    pub = new_dir("ivy-local")
    ivy_local_publication(pub)
    with open(os.path.join(pub, "greet.py"), "w") as f:
        f.write("from pyspark.sql import SparkSession\n"
                "spark = SparkSession.builder.getOrCreate()\n"
                "print('RESULT:', spark._jvm.org.example.Hello.greet('ivy'))\n")
    os.chmod(os.path.join(pub, "greet.py"), 0o644)
    net = RUN_ID + "-offline"
    rc, out = docker("network", "create", "--internal", net, timeout=30)
    check(rc == 0, "docker network create --internal failed: %s" % out)
    made["networks"].append(net)
    rc, out = docker("run", "--rm", "--network", net, "-v", "%s:/publish:ro" % pub, image,
                     "bash", "-c", "mkdir -p ~/.ivy2 && cp -r /publish ~/.ivy2/local && "
                     "spark-submit --packages org.example:hello:1.0 /publish/greet.py 2>&1",
                     timeout=240)
    ctx["output"] = out
    check("found org.example#hello;1.0 in local-ivy-cache" in out,
          "Ivy did not find the package in ~/.ivy2/local: %r" % out[-1500:])
    check("RESULT: hello from the jar, ivy" in out, "the job did not use the jar: %r" % out[-1500:])
    rc, out = docker("run", "--rm", image, "cat", "/opt/spark/conf/ivysettings.xml")
    order = re.findall(r'<(?:ibiblio|filesystem) name="([^"]+)"', out)
    check(order == ["image-synapseml", "image-connectors", "local-m2-cache", "local-ivy-cache", "central",
                    "spark-packages"], "the resolvers are not stock Spark's order after the "
          "image's: %s" % order)


@test
def nb_uid_without_cap_chown_says_which_privilege_and_what_to_do(ctx):
    """--user root -e NB_UID under --cap-drop ALL: one line naming the missing capabilities and
    the fix, exit 70, nothing changed."""
    rc, out = docker("run", "--rm", "--user", "root", "--cap-drop", "ALL", "-e", "NB_UID=2000",
                     "-e", "ACCEPT_EULA=yes", image, "id", timeout=60)
    ctx["output"] = out
    lines = [l for l in out.splitlines() if "CAP_CHOWN" in l]
    check(rc == 70 and len(lines) == 1 and "--cap-add CHOWN" in lines[0]
          and "--user UID:GID" in lines[0],
          "exit %d, expected 70 and one line naming CAP_CHOWN and the fix: %r" % (rc, out))
    check("uid=" not in out, "the job ran anyway: %r" % out)


# ---------------------------------------------------------------------------------- JupyterHub
HUB = {}


def readme_hub_config():
    """The jupyterhub_config.py of docs/teams.md (section JupyterHub), verbatim."""
    with open(os.path.join(TOP, "docs", "teams.md")) as f:
        text = f.read()
    m = re.search(r"```python\n(# jupyterhub_config\.py.*?)```", text, re.S)
    check(m, "docs/teams.md has no ```python block starting with '# jupyterhub_config.py'")
    return m.group(1)


def hub_api(path, method="GET", body=None):
    headers = {"Authorization": "token " + HUB["admin_token"]}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return http_req(HUB["url"] + "hub/api/" + path, method,
                    None if body is None else json.dumps(body), headers, timeout=40)


def start_hub():
    """The README's config, plus what a test needs: its image tag, a network of its own, the
    hub on that network's gateway, the proxy on loopback, an admin service token, and a
    pre-spawn hook that leaves ACCEPT_EULA out for the user 'noeula'."""
    if "url" in HUB:
        return
    venv = os.path.dirname(sys.executable)
    chp = os.environ.get("MMLSPARK_CHP")
    if not chp or not os.access(chp, os.X_OK) or not os.path.exists(os.path.join(venv, "jupyterhub")):
        host_lacks("JupyterHub and configurable-http-proxy",
                   "no JupyterHub venv or configurable-http-proxy (tests/teams/setup.sh)")
    net = RUN_ID + "-hub"
    rc, out = docker("network", "create", net, timeout=30)
    check(rc == 0, "docker network create failed: %s" % out)
    made["networks"].append(net)
    rc, gw = docker("network", "inspect", "--format", "{{(index .IPAM.Config 0).Gateway}}", net)
    check(rc == 0 and gw.strip(), "no gateway address for %s: %s" % (net, gw))
    work = new_dir("hub")
    HUB.update(admin_token=uuid.uuid4().hex, port=free_port(), work=work,
               log=os.path.join(work, "hub.log"))
    HUB["url"] = "http://127.0.0.1:%d/" % HUB["port"]
    config = readme_hub_config() + """
# ---- tests/teams/teams.py: this run's image, network, ports, admin token and EULA-less user
c.DockerSpawner.image = %(image)r
c.DockerSpawner.network_name = %(net)r
c.DockerSpawner.name_template = %(prefix)r + "-{username}"
c.DockerSpawner.volumes = {%(prefix)r + "-{username}": "/notebooks"}
c.DockerSpawner.mem_limit = None
c.JupyterHub.hub_ip = %(gw)r
c.JupyterHub.hub_port = %(hub_port)d
c.JupyterHub.bind_url = "http://127.0.0.1:%(port)d"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%(api_port)d"
c.ConfigurableHTTPProxy.command = [%(chp)r]
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.services = [{"name": "teams-test", "api_token": %(token)r}]
c.JupyterHub.load_roles = [{"name": "admin", "services": ["teams-test"]}]
c.Spawner.http_timeout = 60


def _no_eula_for_noeula(spawner):
    if spawner.user.name == "noeula":
        spawner.environment = {k: v for k, v in spawner.environment.items() if k != "ACCEPT_EULA"}
        spawner.http_timeout = 20


c.Spawner.pre_spawn_hook = _no_eula_for_noeula
""" % {"image": image, "net": net, "prefix": RUN_ID, "gw": gw.strip(), "hub_port": free_port(),
       "port": HUB["port"], "api_port": free_port(), "chp": chp, "token": HUB["admin_token"]}
    with open(os.path.join(work, "jupyterhub_config.py"), "w") as f:
        f.write(config)
    env = dict(os.environ, PATH=os.path.dirname(chp) + ":" + venv + ":" + os.environ["PATH"])
    log = open(HUB["log"], "w")
    proc = subprocess.Popen([os.path.join(venv, "jupyterhub"), "-f", "jupyterhub_config.py"],
                            cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    made["procs"].append(proc)
    HUB["proc"] = proc

    def up():
        if proc.poll() is not None:
            raise Fail("JupyterHub exited with %s: %s" % (proc.returncode, hub_log()[-1500:]))
        return hub_api("")[0] == 200
    wait_for("JupyterHub answering /hub/api/ through its proxy", up, 90, 0.5)


def hub_log():
    with open(HUB["log"], errors="replace") as f:
        return f.read()


def hub_user(ctx, user):
    """Starts the hub (once) and creates user there; returns the name of the container the hub
    will spawn for them (removed at exit with its volume). The hub's log is saved on a failure."""
    ctx["hub_log"] = True
    start_hub()
    status, body = hub_api("users/" + user, "POST", {})
    check(status in (201, 409), "cannot create the hub user %s: %s %s" % (user, status, body[:200]))
    name = "%s-%s" % (RUN_ID, user)
    made["containers"].append(name)
    made["volumes"].append(name)
    ctx["containers"] = [name]
    return name


def user_server(user):
    status, body = hub_api("users/" + user)
    if status != 200:
        return {}
    return json.loads(body).get("servers", {}).get("", {})


@test
def jupyterhub_spawns_the_single_user_server_and_a_kernel_runs_spark_through_its_proxy(ctx):
    """A real JupyterHub with the README's DockerSpawner config spawns the image: the hub sees
    JupyterHub's single-user server (its version header, no warning); through the hub's proxy
    the server answers with the hub's token only; a kernel there runs a Spark job and a
    SynapseML model; the kernel's Spark UI is under the user's prefix."""
    name = hub_user(ctx, "alice")
    status, body = hub_api("users/alice/server", "POST", {})
    check(status in (201, 202), "spawn request answered %s: %s" % (status, body[:300]))
    wait_for("alice's server ready", lambda: user_server("alice").get("ready"), 120, 1)
    log = hub_log()
    check("Single-user server has no version header" not in log,
          "the hub found no single-user server: its log warns about the version header")
    status, body = hub_api("users/alice/tokens", "POST", {"note": "teams test"})
    check(status in (200, 201), "no token for alice: %s %s" % (status, body[:300]))
    token = json.loads(body)["token"]
    base = HUB["url"] + "user/alice/"
    status, body = http_req(base + "api/status", headers={"Authorization": "token " + token})
    check(status == 200 and '"kernels"' in body,
          "GET /user/alice/api/status through the proxy with the hub's token: %s %r"
          % (status, body[:300]))
    for bad in ({}, {"Authorization": "token " + uuid.uuid4().hex}):
        status, body = http_req(base + "api/status", headers=bad)
        check(status in (302, 403) and '"kernels"' not in body,
              "without the hub's token the server answered %s: %r" % (status, body[:200]))
    rc, logs = docker("logs", name, timeout=30)
    check(not re.search(r"\?token=[0-9a-f]{16}", logs),
          "the server printed a token of its own: %r" % logs[-800:])
    wheels = new_dir("hub-wheels")
    whl = os.path.basename(wheel(wheels))
    rc, out = docker("cp", os.path.join(wheels, whl), name + ":/tmp/" + whl)
    check(rc == 0, "docker cp of the wheel failed: %s" % out)
    rc, out = docker("exec", name, "bash", "-lc", "pip install --user --no-index /tmp/" + whl,
                     timeout=120)
    check(rc == 0, "pip install --user in the hub's server failed: %s" % out[-800:])
    auth = {"Authorization": "token " + token}
    out = run_in_kernel(base, auth, KERNEL_CODE)
    ctx["output"] = out
    check_kernel_output(out, "mmlspark")
    ui = [p for p in range(4040, 4046)
          if http_req(base + "proxy/%d/jobs/" % p, headers=auth)[0] == 200]
    check(ui, "no Spark UI under /user/alice/proxy/404x/jobs/")
    status, body = http_req(base + "proxy/%d/jobs/" % ui[0], headers=auth)
    check("Spark Jobs" in body, "the Spark UI under the user's prefix: %r" % body[:300])


@test
def jupyterhub_spawn_without_accept_eula_fails_with_one_line_in_the_hubs_log(ctx):
    """The admin left ACCEPT_EULA out: the spawn fails (no EULA page nobody could reach), and
    the hub's log has the container's one line saying what to set, once."""
    hub_user(ctx, "noeula")
    status, body = hub_api("users/noeula/server", "POST", {})
    check(status in (201, 202, 500), "spawn request answered %s: %s" % (status, body[:300]))
    wait_for("the container's line in the hub's log",
             lambda: "JupyterHub started this image but its EULA" in hub_log(), 120, 1)
    wait_for("noeula's spawn to end", lambda: not user_server("noeula").get("pending"), 30, 1)
    check(not user_server("noeula").get("ready"), "noeula's server is ready without the EULA")
    lines = [l for l in hub_log().splitlines()
             if "JupyterHub started this image but its EULA" in l]
    check(len(lines) == 1 and "ACCEPT_EULA=yes" in lines[0],
          "expected one line naming ACCEPT_EULA=yes in the hub's log, got %r" % lines)
    print("    hub log: %s" % lines[0][:200])


# ---------------------------------------------------------------------------------- Kubernetes
@test
def kubernetes_manifests_validate_offline_with_the_restricted_profile(ctx):
    """k8s/*.yaml against the Kubernetes API schema (kubernetes-validate --strict, no network:
    its own copy of the schemas); a misspelt field fails; the Deployment has the restricted
    profile's settings, a volume at /notebooks and the token from a Secret."""
    import yaml
    validate = os.path.join(os.path.dirname(sys.executable), "kubernetes-validate")
    if not os.path.exists(validate):
        host_lacks("kubernetes-validate", "no kubernetes-validate (tests/teams/setup.sh)")
    files = sorted(os.path.join(TOP, "k8s", f) for f in os.listdir(os.path.join(TOP, "k8s"))
                   if f.endswith(".yaml"))
    check(files, "no k8s/*.yaml")
    offline = ["unshare", "-n"] if os.geteuid() == 0 and shutil.which("unshare") else []
    rc, out = run(offline + [validate, "--strict"] + files, timeout=120)
    ctx["output"] = out
    check(rc == 0 and "did not validate" not in out, "kubernetes-validate: %s" % out)
    bad = os.path.join(new_dir("k8s"), "bad.yaml")
    with open(os.path.join(TOP, "k8s", "notebook.yaml")) as f, open(bad, "w") as g:
        g.write(f.read().replace("runAsNonRoot:", "runAsNonRot:"))
    rc, out = run(offline + [validate, "--strict", bad], timeout=120)
    check(rc != 0 and "runAsNonRot" in out, "a misspelt field passed: %s" % out)
    with open(os.path.join(TOP, "k8s", "notebook.yaml")) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    dep = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    pod, ctr = dep["securityContext"], dep["containers"][0]
    sc = ctr["securityContext"]
    check(pod.get("runAsNonRoot") is True and pod.get("seccompProfile", {}).get("type")
          == "RuntimeDefault", "pod security context is not restricted: %s" % pod)
    check(sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities", {}).get("drop")
          == ["ALL"] and sc.get("readOnlyRootFilesystem") is True,
          "container security context is not restricted: %s" % sc)
    mounts = {m["mountPath"]: m["name"] for m in ctr["volumeMounts"]}
    vols = {v["name"]: v for v in dep["volumes"]}
    check("/notebooks" in mounts and "persistentVolumeClaim" in vols[mounts["/notebooks"]],
          "no volume claim at /notebooks: %s" % mounts)
    env = {e["name"]: e for e in ctr["env"]}
    check("secretKeyRef" in env.get("JUPYTER_TOKEN", {}).get("valueFrom", {}),
          "JUPYTER_TOKEN does not come from a Secret: %s" % env.get("JUPYTER_TOKEN"))


# ------------------------------------------------------------------------------------- runner
def cleanup():
    for proc in made["procs"]:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    for name in made["containers"]:
        subprocess.run(["docker", "rm", "-f", "-v", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    for vol in made["volumes"]:
        subprocess.run(["docker", "volume", "rm", "-f", vol], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    for net in made["networks"]:
        subprocess.run(["docker", "network", "rm", net], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    for d in made["dirs"]:
        shutil.rmtree(d, ignore_errors=True)


def after_test(name, ctx, outcome):
    """A failure's logs into artifacts/teams/; the test's containers go at once (a running JVM
    in each would slow the next tests)."""
    if outcome == "FAIL":
        for container in ctx.get("containers", []):
            save_logs(name, container)
        if "output" in ctx:
            save_logs(name, "output", ctx["output"])
        if ctx.get("hub_log") and "log" in HUB:
            save_logs(name, "hub", hub_log())
    for container in ctx.get("containers", []):
        subprocess.run(["docker", "rm", "-f", "-v", container], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)


def main():
    global image
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", default=image)
    ap.add_argument("-k", default="")
    opts = ap.parse_args()
    image = opts.image
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    try:
        return run_tests(TESTS, opts.k, after_test)
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
