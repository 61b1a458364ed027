#!/usr/bin/env python3
"""cluster.py - the image as a Spark standalone cluster, on a real Docker engine (stdlib only).

A master and two workers (SPARK_MODE=master|worker) on an --internal network made here, drivers
and notebooks run against them (among them SynapseML's LightGBM, from the image, on both
workers), then docker-compose runs the example docker-compose.yml with its defaults: two
notebooks and a spark-submit at once, the workers' cleanup, down/up keeping notebooks. Every
test prints PASS/FAIL/SKIP and its name; the last line is "N passed, N failed". Every wait is
bounded; every container and network made here is removed at the end (also on failure or a
signal). `docker logs` of the containers of a failing test go to artifacts/cluster/.
Usage: cluster.py --image IMAGE --run-id ID [-k SUBSTRING]
"""
import argparse
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
import maven_repo as maven  # noqa: E402
from harness import Fail, Skip, check, docker, host_lacks, run, wait_for  # noqa: E402,F401
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
ARTIFACTS = os.path.join(TOP, "artifacts", "cluster")
JOBS = os.path.join(HERE, "jobs")

image = "mmlspark/release:latest"
run_id = "mmlspark-cluster-%d" % os.getpid()
label = "mmlspark-cluster-test"
results = {"pass": 0, "fail": 0, "skip": 0}
made_dirs = []
compose_projects = []
cluster = {}  # role -> container name, once started
timings = {}

# Small: one core and 1 GiB per worker, 512 MiB executors and drivers, 256 MiB daemons.
EULA = ["-e", "ACCEPT_EULA=yes"]
WORKER_ENV = ["-e", "SPARK_MODE=worker", "-e", "SPARK_MASTER_URL=spark://master:7077",
              "-e", "SPARK_WORKER_CORES=1", "-e", "SPARK_WORKER_MEMORY=1g",
              "-e", "SPARK_DAEMON_MEMORY=256m"]
SUBMIT = ["spark-submit", "--master", "spark://master:7077", "--driver-memory", "512m",
          "--conf", "spark.executor.memory=512m", "--conf", "spark.executor.cores=1",
          "--conf", "spark.cores.max=2", "--conf", "spark.ui.enabled=false",
          "--py-files", "/jobs/common.py"]


def network():
    return run_id + "-net"


def start(role, *args, cmd=()):
    """docker run -d a container named RUN_ID-ROLE, host name and network alias ROLE."""
    name = "%s-%s" % (run_id, role)
    rc, out = docker("run", "-d", "--name", name, "--hostname", role, "--network", network(),
                     "--network-alias", role, "--label", label + "=" + run_id,
                     "-v", "%s:/jobs:ro" % JOBS, *EULA, *args, image, *cmd, timeout=60)
    check(rc == 0, "docker run %s failed: %s" % (role, out))
    cluster[role] = name
    return name


def state(name):
    rc, out = docker("inspect", "--format", "{{json .State}}", name, timeout=20)
    return json.loads(out) if rc == 0 else {}


def health(name):
    h = state(name).get("Health") or {}
    return h.get("Status"), h.get("Log") or []


def wait_healthy(name, timeout=120):
    def healthy():
        status, log = health(name)
        return (status, log[-1]["Output"].strip() if log else "") if status == "healthy" else None
    return wait_for("%s healthy" % name, healthy, timeout, interval=1)


def logs(name):
    rc, out = docker("logs", name, timeout=30)
    return out


def exec_py(name, code, timeout=30):
    return docker("exec", name, "python3", "-c", code, timeout=timeout)


def json_api(name, url, what, timeout=5):
    """GET of a JSON API from inside container NAME (the network is internal; no curl there)."""
    rc, out = exec_py(name, "import urllib.request as u; print(u.urlopen(%r, timeout=%d)"
                      ".read().decode())" % (url, timeout), timeout=timeout + 30)
    check(rc == 0, "%s (%s): %s" % (what, url, out[-800:]))
    return json.loads(out)


def master_state():
    return json_api(cluster["master"], "http://127.0.0.1:8080/json/", "master's JSON API")


def result_of(text, tag="RESULT"):
    m = re.findall(r"^%s (.*)$" % tag, text, re.M)
    check(m, "no %s line in the output: %r" % (tag, text[-1500:]))
    return json.loads(m[-1])


def save_logs(test, names):
    os.makedirs(ARTIFACTS, exist_ok=True)
    for name in names:
        rc, out = docker("logs", "--timestamps", name, timeout=30)
        if rc != 0:
            continue
        path = os.path.join(ARTIFACTS, "%s.%s.log" % (test, name.replace(run_id + "-", "")))
        with open(path, "w") as f:
            f.write(out)
        print("    logs saved: %s" % os.path.relpath(path, TOP))


def stop_timed(name, timeout=30):
    t0 = time.monotonic()
    docker("stop", name, timeout=timeout)
    took = time.monotonic() - t0
    return took, str(state(name).get("ExitCode"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TESTS = []


def test(needs_cluster=False):
    def wrap(fn):
        fn.needs_cluster = needs_cluster
        TESTS.append(fn)
        return fn
    return wrap


# -------------------------------------------------------------------------- usage errors (64)
def one_line_exit_64(env, expect):
    rc, out = docker("run", "--rm", "--label", label + "=" + run_id, *env, image, timeout=60)
    lines = [line for line in out.splitlines() if line.strip()]
    check(rc == 64, "exit %d, expected 64: %r" % (rc, out))
    check(len(lines) == 1 and "error" in lines[0] and expect in lines[0],
          "expected one error line naming %r: %r" % (expect, out))
    print("    " + lines[0])


@test()
def bad_spark_mode_exits_64_with_one_clear_line(ctx):
    one_line_exit_64(["-e", "SPARK_MODE=driver"], "SPARK_MODE")


@test()
def worker_without_master_url_exits_64_with_one_clear_line(ctx):
    one_line_exit_64(["-e", "SPARK_MODE=worker", "-e", "ACCEPT_EULA=yes"], "SPARK_MASTER_URL")


@test()
def worker_with_a_malformed_master_url_exits_64(ctx):
    one_line_exit_64(["-e", "SPARK_MODE=worker", "-e", "SPARK_MASTER_URL=master:7077"],
                     "SPARK_MASTER_URL")


# ---------------------------------------------------------------------- the cluster, healthy
@test()
def master_and_workers_are_healthy_only_once_registered(ctx):
    """A worker started before its master stays unhealthy (its check says why); the master is
    healthy once ALIVE; the worker once the master lists it ALIVE (image HEALTHCHECK, 10 s)."""
    rc, out = docker("network", "create", "--internal", "--label", label + "=" + run_id,
                     network(), timeout=30)
    check(rc == 0, "docker network create: %s" % out)
    t0 = time.monotonic()
    w1 = start("w1", *WORKER_ENV)
    ctx["containers"] = [w1]

    def checked_once():
        status, log = health(w1)
        return (status, log) if log else None
    status, log = wait_for("a first health check of w1", checked_once, 60, interval=1)
    check(status != "healthy" and log[-1]["ExitCode"] != 0,
          "w1 is %s without a master: %r" % (status, log[-1]))
    print("    w1 without a master: %s, %r" % (status, log[-1]["Output"].strip()))

    master = start("master", "-e", "SPARK_MODE=master", "-e", "SPARK_MASTER_HOST=master",
                   "-e", "SPARK_DAEMON_MEMORY=256m")
    w2 = start("w2", *WORKER_ENV)
    ctx["containers"] = [master, w1, w2]
    print("    master: %s" % wait_healthy(master)[1])
    for w in (w1, w2):
        print("    %s: %s" % (w.replace(run_id + "-", ""), wait_healthy(w)[1]))
    timings["cluster healthy after docker run"] = time.monotonic() - t0
    st = master_state()
    check(st["status"] == "ALIVE" and st["aliveworkers"] == 2 and st["cores"] == 2
          and st["memory"] == 2048, "master JSON: %r" % {k: st[k] for k in
                                                         ("status", "aliveworkers", "cores", "memory")})
    check(st["url"] == "spark://master:7077", "master URL %r" % st["url"])


# ---------------------------------------------------------------------------------- jobs
def submit(ctx, role, job, *extra, timeout=240):
    name = start(role, cmd=SUBMIT + list(extra) + ["/jobs/" + job])
    ctx["containers"] = list(cluster.values())
    return name


def wait_exit(name, timeout):
    st = wait_for("%s to finish" % name, lambda: (lambda s: s if s.get("Status") == "exited"
                                                  else None)(state(name)), timeout, interval=1)
    return st["ExitCode"], logs(name)


@test(needs_cluster=True)
def a_job_runs_on_executors_from_both_workers(ctx):
    t0 = time.monotonic()
    driver = submit(ctx, "driver1", "both_workers.py")
    rc, out = wait_exit(driver, 240)
    timings["spark-submit of a job, start to end"] = time.monotonic() - t0
    check(rc == 0, "the driver exited %d: %s" % (rc, out[-1500:]))
    r = result_of(out)
    print("    executors %d, tasks on %s, master's workers' cores used %s"
          % (r["executors"], r["task_hosts"], r["master_workers_cores_used"]))
    check(r["executors"] == 2, "executors: %r" % r["executors"])
    check(r["task_hosts"] == ["w1", "w2"], "tasks ran on %r, expected w1 and w2" % r["task_hosts"])
    check(r["master_status"] == "ALIVE" and r["app_id"] in r["master_app_ids"],
          "the master's JSON API did not list the application: %r" % r)
    check(r["master_workers_cores_used"] == [1, 1], "workers' cores used: %r" % r)
    check(r["sum_of_squares"] == sum(x * x for x in range(1000)), "wrong sum: %r" % r)
    expected = {}
    for x in range(1000):
        expected[str(x % 7)] = expected.get(str(x % 7), 0) + x
    check(r["by_key"] == expected, "wrong reduceByKey result: %r" % r["by_key"])
    done = [a for a in master_state()["completedapps"] if a["id"] == r["app_id"]]
    check(done and done[0]["state"] == "FINISHED", "master's completed apps: %r" % done)


@test(needs_cluster=True)
def s3a_delta_and_iceberg_written_by_executors_on_both_workers(ctx):
    """docs/data.md on the cluster: a driver with the AWS keys and endpoint in its environment (the
    workers have none) writes parquet, a Delta table and an Iceberg table (warehouse on S3) to
    moto's S3 API server through executors on both workers, and reads them back. The secret key
    is in no log and no `docker top` of any container of the cluster."""
    s3, moto = s3_server(network(), "cluster")
    try:
        secret = "mmlspark-cluster-%s" % os.urandom(12).hex()
        env = ["-e", "AWS_ACCESS_KEY_ID=AKIACLUSTERTEST", "-e", "AWS_SECRET_ACCESS_KEY=" + secret,
               "-e", "AWS_ENDPOINT_URL=" + s3,
               "-e", "MMLSPARK_TABLE_FORMATS=delta,iceberg",
               "-e", "MMLSPARK_ICEBERG_WAREHOUSE=s3a://cluster/iceberg"]
        driver = start("driver-s3", *env, cmd=SUBMIT + ["/jobs/s3_tables_both_workers.py", "cluster"])
        ctx["containers"] = list(cluster.values())
        # the driver's command lines while its JVM runs (docker top), for the secret
        top = wait_for("the driver's JVM in docker top", lambda: (lambda t: t if "java" in t else None)(
            docker("top", driver, "-eo", "pid,args", timeout=20)[1]), 120, interval=1)
        rc, out = wait_exit(driver, 300)
        check(rc == 0, "the driver exited %d: %s" % (rc, out[-2000:]))
        r = result_of(out)
        print("    %s" % r)
        for kind in ("parquet", "delta", "iceberg"):
            check(r[kind + "_rows"] == 200 and r[kind + "_hosts"] == ["w1", "w2"],
                  "%s: %d rows written by %r, expected 200 by w1 and w2" % (kind, r[kind + "_rows"], r[kind + "_hosts"]))
        seen = top + "".join(logs(c) for c in cluster.values())
        check(secret not in seen, "the secret key shows in a log or in docker top")
    finally:
        moto.terminate()
        moto.wait(10)


# LightGBM (SynapseML) on the cluster: jobs/lightgbm_train.py trains on both executors, says RESULT
# (stdout and /tmp/lightgbm-result.json) and keeps the application up until the test has read its
# REST API (port 4040, from inside the driver's container) and creates /tmp/lightgbm-checked.
# spark-submit --packages "$MML_PACKAGE": resolved by Ivy from the image's /opt/synapseml, shipped
# to the executors by the driver.
LIGHTGBM_SUBMIT = ("exec spark-submit --master spark://master:7077 --packages \"$MML_PACKAGE\" "
                   "--driver-memory 768m --conf spark.executor.memory=512m "
                   "--conf spark.executor.cores=1 --conf spark.cores.max=2 "
                   "--conf spark.ui.enabled=true --conf spark.ui.port=4040 "
                   "--py-files /jobs/common.py,/jobs/lightgbm_train.py "
                   "/jobs/lightgbm_both_workers.py")
# A notebook kernel (00-spark.py, default MML_PACKAGE: the image's jars as local: jars).
LIGHTGBM_NOTEBOOK = ("cd /tmp && exec mmlspark-env -- jupyter nbconvert --to notebook --execute "
                     "--ExecutePreprocessor.startup_timeout=300 --ExecutePreprocessor.timeout=600 "
                     "--output /tmp/out.ipynb /jobs/lightgbm_notebook.ipynb")
LIGHTGBM_WAIT = 600  # spark-submit or kernel start to RESULT (a loaded 2-core machine: ~300 s)


def executors_by_worker(driver, app_id):
    """{worker role: [(executor id, host, completed tasks, jars in its work dir)]} of the
    application: executors from its REST API (port 4040), placed on workers by the workers' own
    JSON APIs (port 8081) and checked against the hosts the master's JSON API lists (which also
    runs the application, with 2 cores)."""
    api = "http://127.0.0.1:4040/api/v1/applications/%s" % app_id
    # The first request starts the REST API (Jersey), slow on a busy machine.
    execs = {e["id"]: e for e in json_api(driver, api + "/executors", "the application's REST API",
                                          timeout=60) if e["id"] != "driver"}
    st = master_state()
    apps = [a for a in st["activeapps"] if a["id"] == app_id]
    check(apps and apps[0]["state"] == "RUNNING" and apps[0]["cores"] == 2,
          "the master's JSON API on the application: %r" % apps)
    hosts = {w["id"]: w["host"] for w in st["workers"]}
    placed = {}
    for role in ("w1", "w2"):
        ws = json_api(cluster[role], "http://127.0.0.1:8081/json/", "%s's JSON API" % role)
        for e in ws["executors"]:
            if e["appid"] != app_id or str(e["id"]) not in execs:
                continue
            x = execs[str(e["id"])]
            host = x["hostPort"].rsplit(":", 1)[0]
            check(host == hosts.get(ws["id"]), "executor %s on %s: its host %s is not the "
                  "worker's %s" % (x["id"], role, host, hosts.get(ws["id"])))
            rc, jars = exec_py(cluster[role], "import glob; print(len(glob.glob("
                               "'/tmp/spark-worker/%s/%s/*.jar')))" % (app_id, x["id"]))
            check(rc == 0, "jars of executor %s on %s: %s" % (x["id"], role, jars))
            placed.setdefault(role, []).append((x["id"], host, x["completedTasks"],
                                                int(jars)))
    return placed


def stage_tasks_by_executor(driver, app_id, group):
    """[(stage id, name, {executor id: succeeded tasks})] of the jobs of job group GROUP."""
    api = "http://127.0.0.1:4040/api/v1/applications/%s" % app_id
    jobs = [j for j in json_api(driver, api + "/jobs", "the application's jobs", timeout=20)
            if j.get("jobGroup") == group]
    check(jobs, "no job in group %r" % group)
    found = []
    for sid in sorted({s for j in jobs for s in j["stageIds"]}):
        rc, out = exec_py(driver, "import urllib.request as u; print(u.urlopen(%r, timeout=20)"
                          ".read().decode())" % ("%s/stages/%d?details=true" % (api, sid)),
                          timeout=60)
        if rc != 0:  # a skipped stage (its output reused) has no data
            continue
        for attempt in json.loads(out):
            found.append((sid, attempt["name"], {k: v["succeededTasks"] for k, v in
                                                 attempt.get("executorSummary", {}).items()
                                                 if v["succeededTasks"]}))
    return found


def lightgbm_result(name):
    """The RESULT of the LightGBM run in container NAME, once there (bounded); fails at once if
    the container ends first."""
    def ready():
        rc, out = docker("exec", name, "cat", "/tmp/lightgbm-result.json", timeout=20)
        if rc == 0 and out.strip().startswith("{"):
            return json.loads(out)
        check(state(name).get("Status") != "exited", "%s exited before its RESULT: %s"
              % (name, logs(name)[-2000:]))
    return wait_for("the LightGBM RESULT of %s" % name, ready, LIGHTGBM_WAIT, interval=2)


def added_jars(driver, app_id):
    """The jars the application added (its REST API's environment), as the executors get them:
    spark://DRIVER:PORT/jars/... (served by the driver) or file:/... (each executor's own file).
    Not .../files/...: the copies spark-submit adds for Python (--packages jars are py-files)."""
    env = json_api(driver, "http://127.0.0.1:4040/api/v1/applications/%s/environment" % app_id,
                   "the application's environment", timeout=20)
    return sorted(p for p, source in env["classpathEntries"]
                  if source == "Added By User" and "/files/" not in p)


def check_lightgbm_on_both_workers(name, r, jars_from):
    """What a LightGBM run in container NAME promises: a good model, tasks of the fit (and its
    last stage, the training) on executors of both workers, no way out of the network, and
    SynapseML's jars reaching the executors from JARS_FROM (a prefix of their URLs), or with
    JARS_FROM None from the executors' own class path: no jar added, none in a work directory."""
    print("    fit %.1f s on %d+%d rows in %d partitions, %d trees: AUC %.4f, accuracy %.4f"
          % (r["fit_seconds"], r["train_rows"], r["test_rows"], r["train_partitions"], r["trees"],
             r["auc"], r["accuracy"]))
    print("    job steps (s since its start): %s" % r["steps"])
    print("    connections out of the network: %s" % r["outside"])
    placed = executors_by_worker(name, r["app_id"])
    print("    executors (id, host, completed tasks, jars in its work dir): %s" % placed)
    added = added_jars(name, r["app_id"])
    print("    jars added: %d, e.g. %s" % (len(added), added[:1]))
    stages = stage_tasks_by_executor(name, r["app_id"], "lightgbm-fit")
    check(r["master"] == "spark://master:7077", "master %r" % r["master"])
    check(r["train_rows"] + r["test_rows"] == 569, "rows: %r" % r)
    check(r["auc"] > 0.95 and r["accuracy"] > 0.9, "a poor model: AUC %s, accuracy %s"
          % (r["auc"], r["accuracy"]))
    check(r["trees"] > 0, "no trees: %r" % r)
    check(all(v != "connected" for v in r["outside"].values()),
          "a connection out of the --internal network succeeded: %r" % r["outside"])
    check(r["executors"] == 2 and sorted(placed) == ["w1", "w2"]
          and all(sum(e[2] for e in placed[w]) > 0 for w in placed),
          "completed tasks on executors of both workers expected: %r" % placed)
    check(len({e[1] for w in placed for e in placed[w]}) == 2,
          "the executors are not on two different hosts: %r" % placed)
    if jars_from is None:
        check(not added and all(e[3] == 0 for w in placed for e in placed[w]),
              "jars added or copied into executors' work directories: %r %r" % (added, placed))
    else:
        check(len(added) >= 30 and all(re.match(jars_from, j) for j in added),
              "SynapseML's jars should come from %s: %r" % (jars_from, added))
        check(all(e[3] == len(added) for w in placed for e in placed[w]),
              "not every executor has the %d jars: %r" % (len(added), placed))
    owner = {e[0]: w for w in placed for e in placed[w]}
    ran = [(sid, nm, {owner.get(e, e): n for e, n in t.items()}) for sid, nm, t in stages if t]
    check(ran, "no stage of the fit ran: %r" % stages)
    sid, nm, training = ran[-1]
    print("    training stage %d (%s): tasks per worker %s" % (sid, nm, training))
    check(sorted(training) == ["w1", "w2"], "the training stage did not run on both workers: "
          "%r" % ran)


def release(name, failed):
    """Lets the LightGBM application in NAME end (it waits for the test); on a failure, stops
    the container so that it does not hold the cluster's cores."""
    docker("exec", name, "touch", "/tmp/lightgbm-checked", timeout=20)
    if failed:
        docker("stop", "-t", "5", name, timeout=30)


@test(needs_cluster=True)
def lightgbm_trains_across_both_workers_with_no_outside_network(ctx):
    """SynapseML from the image (spark-submit --packages "$MML_PACKAGE", no network): a
    LightGBMClassifier fit on the breast cancer data runs its training tasks on executors of both
    workers (the application's REST API, the workers' JSON APIs) and the model is good."""
    rc, out = docker("network", "inspect", "--format", "{{.Internal}}", network(), timeout=20)
    check(rc == 0 and out.strip() == "true", "network %s is not --internal: %s" % (network(), out))
    t0 = time.monotonic()
    driver = start("driver-lgbm", cmd=["bash", "-c", LIGHTGBM_SUBMIT])
    ctx["containers"] = list(cluster.values())
    failed = True
    try:
        r = lightgbm_result(driver)
        timings["spark-submit --packages to a trained LightGBM model"] = time.monotonic() - t0
        timings["LightGBM fit, spark-submit (the job's own measure)"] = r["fit_seconds"]
        # --packages: the driver serves the jars it resolved; executors fetch them from it
        check_lightgbm_on_both_workers(driver, r, r"spark://[^/]+/jars/")
        failed = False
    finally:
        release(driver, failed)
    rc, out = wait_exit(driver, 120)
    check(rc == 0 and re.search(r"^CHECKED$", out, re.M),
          "the driver exited %d: %s" % (rc, out[-1500:]))
    found = re.findall(r"^\s*found (\S+) in (\S+)$", out, re.M)
    took = re.search(r"resolve (\d+)ms", out)
    print("    Ivy: %d modules found, in %s; resolution took %s ms"
          % (len(found), sorted({where for _, where in found}), took and took.group(1)))
    check(len(found) >= 30 and all(where == "image-synapseml" for _, where in found),
          "$MML_PACKAGE was not resolved from the image's repository: %r" % found)


@test(needs_cluster=True)
def notebook_kernel_trains_lightgbm_on_both_workers_with_the_image_jars(ctx):
    """A notebook kernel (nbconvert --execute, SPARK_MASTER_URL, default MML_PACKAGE) gets
    SynapseML on the driver's and executors' class path from /opt/synapseml: the executors load
    them from their own image, nothing is added or copied into their work directories, and
    LightGBM trains on both workers."""
    t0 = time.monotonic()
    nb = start("notebook-lgbm", "-e", "SPARK_MASTER_URL=spark://master:7077",
               "-e", "PYSPARK_SUBMIT_ARGS=--driver-memory 768m --conf spark.executor.memory=512m "
               "--conf spark.executor.cores=1 --conf spark.cores.max=2 pyspark-shell",
               cmd=["bash", "-c", LIGHTGBM_NOTEBOOK])
    ctx["containers"] = list(cluster.values())
    failed = True
    try:
        r = lightgbm_result(nb)
        timings["notebook kernel start to a trained LightGBM model"] = time.monotonic() - t0
        timings["LightGBM fit, notebook kernel (its own measure)"] = r["fit_seconds"]
        cp = r["executor_class_path"].split(":")
        check(r["packages"] == "" and r["jars"] == "" and len(cp) >= 20
              and all(j.startswith("/opt/synapseml/maven/") for j in cp),
              "the kernel did not put the image's jars on the executors' class path: %r" % r)
        check_lightgbm_on_both_workers(nb, r, None)
        failed = False
    finally:
        release(nb, failed)
    rc, out = wait_exit(nb, 120)  # its last cell asserts that the test had looked in time
    check(rc == 0, "nbconvert exited %d: %s" % (rc, out[-2000:]))


def maven_repo():
    """A Maven-layout repository with org.example:hello:1.0 (javac/jar on the host)."""
    if maven.missing_tools():
        host_lacks("a JDK (openjdk-17-jdk-headless)",
                   "%s not installed on the host" % " ".join(maven.missing_tools()))
    repo = tempfile.mkdtemp(prefix="mmlspark-cluster-repo.")
    src = tempfile.mkdtemp(prefix="mmlspark-cluster-src.")
    made_dirs.extend([repo, src])
    try:
        return maven.build_hello_repo(repo, src)
    except RuntimeError as e:
        check(False, str(e))


NOTEBOOK_CELLS = [
    "import socket, time\nprint('MASTER', sc.master)\n"
    "print('PACKAGES', spark.conf.get('spark.jars.packages', ''))\n"
    "print('EXECUTOR_MEMORY', sc.getConf().get('spark.executor.memory'))",
    # reflect() calls the package's class in the executors' JVMs (the driver runs no tasks).
    "rows = spark.range(0, 8, 1, 8).selectExpr(\"reflect('org.example.Hello', 'greet', "
    "cast(id as string)) as g\").collect()\nprint('GREETINGS', sorted(r.g for r in rows))",
    "def host(it):\n    time.sleep(0.5)\n    return [socket.gethostname()]\n"
    "print('HOSTS', sorted(set(sc.parallelize(range(8), 8).mapPartitions(host).collect())))",
]


@test(needs_cluster=True)
def notebook_kernel_runs_on_the_cluster_with_mml_package_on_the_executors(ctx):
    """SPARK_MASTER_URL in a notebook container: the kernel's `spark` (00-spark.py) runs on the
    cluster, and $MML_PACKAGE (from $MML_M2REPOS) is loaded by the executors too."""
    repo = maven_repo()
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": c} for c in NOTEBOOK_CELLS],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    name = "%s-notebook" % run_id
    cluster["notebook"] = name
    ctx["containers"] = list(cluster.values())
    rc, out = docker("run", "-i", "--name", name, "--hostname", "notebook", "--network", network(),
                     "--label", label + "=" + run_id, *EULA, "-v", "%s:/repo:ro" % repo,
                     "-e", "SPARK_MASTER_URL=spark://master:7077",
                     "-e", "MML_PACKAGE=org.example:hello:1.0", "-e", "MML_M2REPOS=file:///repo",
                     "-e", "PYSPARK_SUBMIT_ARGS=--driver-memory 512m --conf spark.executor.memory="
                     "512m --conf spark.cores.max=2 --conf spark.ui.enabled=false pyspark-shell",
                     image, "bash", "-c",
                     "cd /tmp && cat > t.ipynb && mmlspark-env -- jupyter nbconvert --to notebook "
                     "--execute --ExecutePreprocessor.timeout=180 --output /tmp/out.ipynb t.ipynb "
                     "&& cat /tmp/out.ipynb", input=json.dumps(nb).encode(), timeout=300)
    check(rc == 0, "nbconvert exited %d: %s" % (rc, out[-1500:]))
    nbout = json.loads(out[out.index("{"):])
    text = "".join("".join(o.get("text", "")) for c in nbout["cells"] for o in c.get("outputs", []))
    print("    " + " | ".join(text.strip().splitlines()))
    check("MASTER spark://master:7077" in text, "kernel's master: %r" % text)
    check("PACKAGES org.example:hello:1.0" in text, "spark.jars.packages: %r" % text)
    check("EXECUTOR_MEMORY 512m" in text, "PYSPARK_SUBMIT_ARGS not honoured: %r" % text)
    greetings = ["hello from the jar, %d" % i for i in range(8)]
    check("GREETINGS %r" % sorted(greetings) in text, "executors did not load the jar: %r" % text)
    check("HOSTS ['w1', 'w2']" in text, "tasks did not run on both workers: %r" % text)


def lose_a_worker_expected():
    pairs = {}
    for x in range(3000):
        pairs[x % 10] = pairs.get(x % 10, 0) + x
    groups = {}
    for k, v in pairs.items():
        groups.setdefault(v % 7, []).append([k, v])
    return {str(k): sorted(v) for k, v in sorted(groups.items())}


@test(needs_cluster=True)
def a_worker_stopped_during_a_multi_stage_job_loses_nothing(ctx):
    """docker stop of w2 while the first of three stages runs on both workers: Spark
    reschedules its tasks and recomputes its shuffle output on w1; the result is complete."""
    driver = submit(ctx, "driver2", "lose_a_worker.py")
    wait_for("the job's READY line", lambda: re.search(r"^READY .*$", logs(driver), re.M), 180)
    took, code = stop_timed(cluster["w2"])
    print("    stopped w2 during the job: %.2f s, exit %s" % (took, code))
    check(code in ("0", "143"), "w2 exited %s" % code)
    rc, out = wait_exit(driver, 240)
    check(rc == 0, "the driver exited %d: %s" % (rc, out[-1500:]))
    lost = re.findall(r"^.*(?:Lost executor|Executor lost|Removed executor|Resubmitt).*$", out,
                      re.M)
    print("    driver: %s" % (lost[0].strip()[:150] if lost else "(no lost-executor line)"))
    check(result_of(out) == lose_a_worker_expected(), "wrong result: %r" % result_of(out))
    # w2 comes back and registers again (used by the next test).
    docker("start", cluster["w2"], timeout=30)
    wait_healthy(cluster["w2"])


@test(needs_cluster=True)
def docker_stop_of_the_whole_cluster_is_prompt_and_clean(ctx):
    """A job busy on both workers; docker stop of driver, workers and master at once: each stops
    with exit 0 or 143, never 137, and init never needs SIGKILL (times printed, not asserted:
    bench/cluster measures them)."""
    driver = submit(ctx, "driver3", "long_job.py")
    wait_for("the long job's READY line", lambda: re.search(r"^READY$", logs(driver), re.M), 180)
    names = [cluster[r] for r in ("driver3", "w1", "w2", "master")]
    took = {}

    def stop(n):
        took[n] = stop_timed(n)
    threads = [threading.Thread(target=stop, args=(n,)) for n in names]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    total = time.monotonic() - t0
    timings["docker stop of the whole cluster"] = total
    report = ", ".join("%s %.2f s exit %s" % (n.replace(run_id + "-", ""), *took.get(n, (-1, "?")))
                       for n in names)
    print("    " + report)
    for n in names:
        check(n in took and took[n][1] in ("0", "143"), "%s: %s" % (n, report))
    for n in names:
        check(": sending SIGKILL" not in logs(n), "%s: init had to SIGKILL a process" % n)


# ------------------------------------------------------------- the cluster's secret (issue 13)
OPEN_WARNING = "cluster is open"
SECRET = "cluster-test-" + os.urandom(12).hex()
SECRET_SUM = sum(x * x for x in range(1000))
AUTH_MASTER = "spark://amaster:7077"
AUTH_WORKER_ENV = ["-e", "SPARK_MODE=worker", "-e", "SPARK_MASTER_URL=" + AUTH_MASTER,
                   "-e", "SPARK_WORKER_CORES=1", "-e", "SPARK_WORKER_MEMORY=1g",
                   "-e", "SPARK_DAEMON_MEMORY=256m"]
AUTH_SUBMIT = ["spark-submit", "--master", AUTH_MASTER] + SUBMIT[3:]


@test(needs_cluster=True)
def open_master_and_workers_warn_once_that_the_cluster_is_open(ctx):
    """The cluster above has no secret: its master and each worker say so, in one line per start
    (a worker restarted by an earlier test has started twice)."""
    ctx["containers"] = [cluster[r] for r in ("master", "w1", "w2")]
    for role in ("master", "w1", "w2"):
        text = logs(cluster[role]).splitlines()
        lines = [ln for ln in text if OPEN_WARNING in ln]
        starts = [ln for ln in text if "mmlspark-init: info: starting Spark's standalone master" in ln
                  or "mmlspark-init: info: starting a Spark standalone worker" in ln]
        check(starts, "%s: no start line in its log" % role)
        check(len(lines) == len(starts), "%s: %d lines about an open cluster for %d start(s): %r"
              % (role, len(lines), len(starts), lines))
        check("SPARK_AUTH_SECRET" in lines[0], "%s: the warning says how to close it: %r"
              % (role, lines[0]))
    print("    " + lines[0])


@test()
def both_secret_variables_or_an_unreadable_secret_file_exit_64(ctx):
    one_line_exit_64(["-e", "SPARK_MODE=master", "-e", "SPARK_AUTH_SECRET=" + SECRET,
                      "-e", "SPARK_AUTH_SECRET_FILE=/run/secrets/spark_auth"],
                     "SPARK_AUTH_SECRET and SPARK_AUTH_SECRET_FILE are both set")
    one_line_exit_64(["-e", "SPARK_AUTH_SECRET_FILE=/run/secrets/missing"],
                     "SPARK_AUTH_SECRET_FILE='/run/secrets/missing' cannot be read")


def secret_dir():
    """A directory (mounted as /run/secrets) with spark_auth holding SECRET and a newline, as
    `echo` writes a Docker secret; readable by the image's user (uid 1000)."""
    d = tempfile.mkdtemp(prefix="mmlspark-cluster-secret.")
    made_dirs.append(d)
    with open(os.path.join(d, "spark_auth"), "w") as f:
        f.write(SECRET + "\n")
    os.chmod(d, 0o755)
    os.chmod(os.path.join(d, "spark_auth"), 0o644)
    return d


def ensure_network():
    rc, _ = docker("network", "inspect", network(), timeout=20)
    if rc != 0:
        rc, out = docker("network", "create", "--internal", "--label", label + "=" + run_id,
                         network(), timeout=30)
        check(rc == 0, "docker network create: %s" % out)


def ip_of(name):
    rc, out = docker("inspect", "--format",
                     "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name, timeout=20)
    return out.strip()


def no_secret_in_ps_or_logs(names):
    """What `docker top` (every process's command line) and `docker logs` show never holds the
    secret."""
    for name in names:
        rc, top = docker("top", name, "-eo", "pid,args", timeout=30)
        check(SECRET not in top, "%s: the secret is on a command line: %r" % (name, top[-1500:]))
        check(SECRET not in logs(name), "%s: the secret is in docker logs" % name)


@test()
def cluster_with_a_secret_refuses_workers_and_drivers_without_it_and_runs_jobs_with_it(ctx):
    """SPARK_AUTH_SECRET_FILE (a Docker secret) on the master: workers with a wrong or no secret
    never register, a driver without it is refused; a worker (SPARK_AUTH_SECRET) and drivers
    with it (spark-submit, a notebook kernel) run jobs. The secret is on no command line and in
    no log."""
    ensure_network()
    secrets = secret_dir()
    with_file = ["-v", "%s:/run/secrets:ro" % secrets,
                 "-e", "SPARK_AUTH_SECRET_FILE=/run/secrets/spark_auth"]
    master = start("amaster", "-e", "SPARK_MODE=master", "-e", "SPARK_MASTER_HOST=amaster",
                   "-e", "SPARK_DAEMON_MEMORY=256m", *with_file)
    ctx["containers"] = [master]
    print("    amaster: %s" % wait_healthy(master)[1])
    check(OPEN_WARNING not in logs(master), "a master with a secret says the cluster is open")
    wrong = start("awrong", *AUTH_WORKER_ENV, "-e", "SPARK_AUTH_SECRET=not-" + SECRET)
    none = start("anone", *AUTH_WORKER_ENV)
    nodriver = start("anodriver", cmd=AUTH_SUBMIT + ["/jobs/secret_sum.py"])
    ctx["containers"] = [master, wrong, none, nodriver]

    def refused(name):
        def tried():
            out = logs(name)
            check("Successfully registered with master" not in out,
                  "%s registered with the master without the secret" % name)
            return "Failed to connect to master" in out
        return tried
    for name in (wrong, none):
        wait_for("%s to try the master and be refused" % name, refused(name), 240, interval=2)
    st = json_api(master, "http://127.0.0.1:8080/json/", "amaster's JSON API")
    check(st["workers"] == [] and st["aliveworkers"] == 0,
          "a worker without the secret registered: %r" % st["workers"])
    print("    workers with a wrong and with no secret: refused, the master lists none")

    good = start("agood", *AUTH_WORKER_ENV, "-e", "SPARK_AUTH_SECRET=" + SECRET)
    ctx["containers"].append(good)
    print("    agood: %s" % wait_healthy(good)[1])
    st = json_api(master, "http://127.0.0.1:8080/json/", "amaster's JSON API")
    alive = [w["host"] for w in st["workers"] if w["state"] == "ALIVE"]
    check(alive == [ip_of(good)], "alive workers %r, expected only agood (%s); all: %r"
          % (alive, ip_of(good), st["workers"]))

    rc, out = wait_exit(nodriver, 300)
    check(rc != 0 and "RESULT" not in out, "a driver without the secret ran (exit %d): %s"
          % (rc, out[-1500:]))
    check("All masters are unresponsive" in out, "the driver without the secret was not refused "
          "by the master: %s" % out[-1500:])
    st = json_api(master, "http://127.0.0.1:8080/json/", "amaster's JSON API")
    check(st["activeapps"] == [] and st["completedapps"] == [],
          "the master registered an application of a driver without the secret: %r"
          % (st["activeapps"] + st["completedapps"]))
    print("    spark-submit without the secret: exit %d, no application registered" % rc)

    driver = start("adriver", *with_file, cmd=AUTH_SUBMIT + ["/jobs/secret_sum.py"])
    ctx["containers"].append(driver)

    def executor_running():
        rc, top = docker("top", good, "-eo", "pid,args", timeout=30)
        return "CoarseGrainedExecutorBackend" in top
    wait_for("an executor of the driver with the secret on agood", executor_running, 240,
             interval=1)
    no_secret_in_ps_or_logs([master, good, driver])  # while the job runs
    rc, out = wait_exit(driver, 300)
    check(rc == 0, "the driver with the secret exited %d: %s" % (rc, out[-1500:]))
    r = result_of(out)
    check(r["sum_of_squares"] == SECRET_SUM and r["master"] == AUTH_MASTER, "result %r" % r)
    print("    spark-submit with the secret file: %s" % r)

    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": "print('MASTER', sc.master)\nprint('SUM', sc.parallelize("
                     "range(1000), 4).map(lambda x: x * x).sum())"}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    name = "%s-anotebook" % run_id
    ctx["containers"].append(name)
    rc, out = docker("run", "-i", "--name", name, "--hostname", "anotebook", "--network",
                     network(), "--label", label + "=" + run_id, *EULA, *with_file,
                     "-e", "SPARK_MASTER_URL=" + AUTH_MASTER,
                     "-e", "PYSPARK_SUBMIT_ARGS=--driver-memory 512m --conf spark.executor.memory="
                     "512m --conf spark.ui.enabled=false pyspark-shell",
                     image, "bash", "-c",
                     "cd /tmp && cat > t.ipynb && mmlspark-env -- jupyter nbconvert --to notebook "
                     "--execute --ExecutePreprocessor.timeout=180 --output /tmp/out.ipynb t.ipynb "
                     "&& cat /tmp/out.ipynb", input=json.dumps(nb).encode(), timeout=300)
    check(rc == 0 and "{" in out, "nbconvert exited %d: %s" % (rc, out[-1500:]))
    nbout = json.loads(out[out.index("{"):])
    text = "".join("".join(o.get("text", "")) for c in nbout["cells"] for o in c.get("outputs", []))
    print("    notebook kernel with the secret file: " + " | ".join(
        ln for ln in text.splitlines() if ln.startswith(("MASTER", "SUM"))))
    check("MASTER %s" % AUTH_MASTER in text and "SUM %d" % SECRET_SUM in text,
          "the kernel did not run its job on the cluster: %r" % text)
    st = json_api(master, "http://127.0.0.1:8080/json/", "amaster's JSON API")
    apps = sorted(a["name"] for a in st["activeapps"] + st["completedapps"])
    check(apps == ["mmlspark-notebook", "secret-sum"], "applications the master ran: %r" % apps)
    no_secret_in_ps_or_logs([master, wrong, none, good, nodriver, driver])


# ----------------------------------------------------------------------------- docker-compose
def compose(project, *args, timeout=300, env=None):
    if not shutil.which("docker-compose"):
        host_lacks("docker-compose", "docker-compose is not installed")
    return run(["docker-compose", "-f", os.path.join(TOP, "docker-compose.yml"), "-p", project]
               + list(args), timeout=timeout, env=env)


def compose_secret_env():
    """SPARK_AUTH_SECRET_FILE for docker-compose: the host file the example mounts as its
    secret (the README's `openssl rand -hex 32 > spark-auth.secret`, elsewhere)."""
    return {"SPARK_AUTH_SECRET_FILE": os.path.join(secret_dir(), "spark_auth")}


# The compose tests share one cluster of the example, brought up once (by whichever runs first)
# with its own defaults: the test gives the image, host ports, the EULA, the secret and, as a user
# may, the workers' cleanup timing in SPARK_WORKER_OPTS (short, to be seen within a test; that
# cleanup is on at all is the image's default). No core or memory setting.
COMPOSE = {}
USER_WORKER_OPTS = "-Dspark.worker.cleanup.interval=5 -Dspark.worker.cleanup.appDataTtl=5"
COMPOSE_PORTS = ("MASTER_WEBUI_PORT", "WORKER1_WEBUI_PORT", "WORKER2_WEBUI_PORT", "NOTEBOOK_PORT",
                 "NOTEBOOK_SPARK_UI_PORT", "CONNECT_PORT", "CONNECT_SPARK_UI_PORT", "HISTORY_PORT")
SERVICES = ("master", "worker-1", "worker-2", "notebook", "connect", "history")
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def compose_cluster(ctx):
    """The example cluster, up (docker-compose up -d the first time); its project name goes into
    CTX so that a failing test's compose logs are saved."""
    if not COMPOSE:
        project = run_id.replace("-", "") + "compose"
        ports = {v: str(free_port()) for v in COMPOSE_PORTS}
        env = {k: v for k, v in os.environ.items()
               if k not in ("SPARK_WORKER_CORES", "SPARK_WORKER_MEMORY", "SPARK_DEFAULT_CORES")}
        env.update(MMLSPARK_IMAGE=image, ACCEPT_EULA="yes", SPARK_WORKER_OPTS=USER_WORKER_OPTS,
                   **ports, **compose_secret_env())
        compose_projects.append(project)
        ctx["compose"] = project
        t0 = time.monotonic()
        rc, out = compose(project, "up", "-d", env=env, timeout=240)
        check(rc == 0, "docker-compose up -d: %s" % out)
        COMPOSE.update(project=project, env=env, ports=ports, up_at=t0)
    ctx["compose"] = COMPOSE["project"]
    return COMPOSE


def service_container(service):
    """The container id of SERVICE in the compose cluster (found again after an up)."""
    ids = COMPOSE.setdefault("containers", {})
    if service not in ids:
        rc, out = compose(COMPOSE["project"], "ps", "-q", service, env=COMPOSE["env"],
                          timeout=60)
        check(rc == 0 and out.strip(), "docker-compose ps -q %s: %r" % (service, out))
        ids[service] = out.split()[-1]
    return ids[service]


def compose_exec(service, *cmd, input=None, timeout=300):
    """(exit code, output) of a command in SERVICE (docker exec: docker-compose exec would cost
    a second of CPU per call)."""
    stdin = ["-i"] if input is not None else []
    return docker("exec", *stdin, service_container(service), *cmd, input=input,
                  timeout=timeout)


def compose_popen(service, *cmd):
    """docker exec of CMD in SERVICE in the background, its output in a temporary file."""
    out = tempfile.TemporaryFile()
    p = subprocess.Popen(["docker", "exec", service_container(service)] + list(cmd),
                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    p.out = out
    return p


def output_of(p, timeout):
    """Exit code and output of a compose_popen process, which must end within TIMEOUT s."""
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc = None
    p.out.seek(0)
    return rc, p.out.read().decode("utf-8", "replace")


def host_json(port_var, path="/json/", token=None, method="GET", body=None):
    """(HTTP status, parsed JSON or None) of a published port of the compose cluster on
    127.0.0.1, never through a proxy."""
    req = urllib.request.Request("http://127.0.0.1:%s%s" % (COMPOSE["ports"][port_var], path),
                                 method=method, data=body and json.dumps(body).encode())
    if token:
        req.add_header("Authorization", "token " + token)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with NO_PROXY.open(req, timeout=10) as r:
            return r.status, json.loads(r.read().decode() or "null")
    except urllib.error.HTTPError as e:
        return e.code, None
    except (OSError, ValueError):
        return None, None


@test()
def docker_compose_v1_reads_the_example(ctx):
    rc, out = compose(run_id + "-cfg", "config", timeout=60,
                      env=dict(os.environ, **compose_secret_env()))
    check(rc == 0, "docker-compose config: %s" % out)
    for svc in SERVICES:
        check(re.search(r"^  %s:" % svc, out, re.M), "no service %s in %r" % (svc, out))
    ports = re.findall(r"^\s*- (\S+:\d+:\d+)/tcp$", out, re.M)
    check(ports and all(p.startswith("127.0.0.1:") for p in ports),
          "ports not published on 127.0.0.1 only: %r" % ports)
    check("SPARK_MASTER_URL: spark://master:7077" in out, "notebook's SPARK_MASTER_URL missing")
    # every service of the cluster's RPC has the secret; the history server (it only reads event
    # logs) has none
    check(out.count("SPARK_AUTH_SECRET_FILE: /run/secrets/spark_auth") == len(SERVICES) - 1
          and out.count("- source: spark_auth") == len(SERVICES) - 1,
          "not every service but history has the cluster's secret: %r" % out)


COMPOSE_JOB = r"""
import socket, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("compose").getOrCreate()
sc = spark.sparkContext
deadline = time.time() + 120
while sc._jsc.sc().getExecutorMemoryStatus().size() < 3 and time.time() < deadline:
    time.sleep(0.25)
def host(it):
    time.sleep(0.5)
    return [(socket.gethostname(), sum(it))]
parts = sc.parallelize(range(100000), 8).mapPartitions(host).collect()
print("RESULT", sorted(set(h for h, _ in parts)), sum(s for _, s in parts), flush=True)
spark.stop()
"""


@test()
def docker_compose_up_runs_a_job_that_asks_for_two_cores_on_both_workers(ctx):
    """docker-compose up -d of the example (v1); a spark-submit from the notebook container
    with its own spark.cores.max=2 (above the cluster's default of 1) gets it: executors on both
    workers. Jupyter answers on its 127.0.0.1 port; the secret is in no container's config."""
    c = compose_cluster(ctx)
    rc, out = compose_exec("notebook", "bash", "-c",
                           "cat > /tmp/job.py && spark-submit --driver-memory 512m --conf "
                           "spark.executor.memory=512m --conf spark.cores.max=2 --conf "
                           "spark.ui.enabled=false --master \"$SPARK_MASTER_URL\" /tmp/job.py",
                           input=COMPOSE_JOB.encode())
    took = time.monotonic() - c["up_at"]
    timings["docker-compose up -d to a finished job"] = took
    check(rc == 0, "the job exited %d: %s" % (rc, out[-1500:]))
    m = re.search(r"^RESULT (.*)$", out, re.M)
    check(m, "no RESULT line: %r" % out[-1500:])
    print("    up -d to a finished job: %.1f s; %s" % (took, m.group(1)))
    check(m.group(1) == "['worker-1', 'worker-2'] %d" % sum(range(100000)), "result %r" % m.group(1))
    wait_for("Jupyter on 127.0.0.1:%s" % c["ports"]["NOTEBOOK_PORT"],
             lambda: host_json("NOTEBOOK_PORT", "/api")[0] == 200, 90, interval=1)
    rc, out = compose(c["project"], "ps", "-q", env=c["env"], timeout=60)
    ids = out.split()
    check(len(ids) == len(SERVICES), "docker-compose ps -q: %r" % out)
    for cid in ids:  # the job above ran with the secret: no warning, and it is in no env
        check(OPEN_WARNING not in logs(cid), "%s says the cluster is open" % cid)
        rc2, conf = docker("inspect", "--format", "{{json .Config.Env}}", cid, timeout=20)
        check(SECRET not in conf, "%s: the secret is in docker inspect" % cid)


# Two notebooks and a spark-submit, none with a core setting. Each runs a job on its executors,
# writes APP {application id, task hosts} into /tmp/shared/app-NAME.json and holds its executors
# until the test creates /tmp/shared/release (or 420 s pass).
SHARED_APP = (
    "import json, os, socket, time\n"
    "def host(it):\n    time.sleep(0.2)\n    return [socket.gethostname()]\n"
    "hosts = sorted(set(sc.parallelize(range(4), 4).mapPartitions(host).collect()))\n"
    "app = {'id': sc.applicationId, 'hosts': hosts}\n"
    "with open('/tmp/shared/app.tmp-%s' % NAME, 'w') as f:\n    json.dump(app, f)\n"
    "os.replace('/tmp/shared/app.tmp-%s' % NAME, '/tmp/shared/app-%s.json' % NAME)\n"
    "print('APP', json.dumps(app), flush=True)\n")
SHARED_HOLD = (
    "deadline = time.time() + 420\n"
    "while not os.path.exists('/tmp/shared/release') and time.time() < deadline:\n"
    "    time.sleep(0.5)\n"
    "print('RELEASED', os.path.exists('/tmp/shared/release'), flush=True)\n")
SHARED_SUBMIT = ("from pyspark.sql import SparkSession\n"
                 "sc = SparkSession.builder.appName('shared-submit').getOrCreate().sparkContext\n"
                 "NAME = 'submit'\n" + SHARED_APP + SHARED_HOLD + "sc.stop()\n")
NBCONVERT = ("cd /tmp/shared && exec mmlspark-env -- jupyter nbconvert --to notebook --execute "
             "--ExecutePreprocessor.startup_timeout=300 --ExecutePreprocessor.timeout=600 "
             "--output out-{0}.ipynb {0}.ipynb")
SHARED_WAIT = 420  # the three starts to three running applications (2 cores at load 20: 300 s)


def shared_notebook(name):
    cells = ["NAME = %r\n" % name + SHARED_APP, SHARED_HOLD]
    return {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                       "outputs": [], "source": src} for src in cells],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def notebook_text(nb):
    return "".join("".join(o.get("text", "")) + json.dumps(o.get("evalue", ""))
                   for c in nb["cells"] for o in c.get("outputs", []))


@test()
def docker_compose_two_notebooks_and_a_spark_submit_get_executors_at_once(ctx):
    """Two notebooks (two kernels, nbconvert --execute in the notebook container) and a
    spark-submit (README's command) on the example cluster with its defaults, none with a core
    setting: at one moment the master's /json/ shows all three RUNNING with cores, each has run
    a job on its executors, and each has an executor's directory on a worker."""
    c = compose_cluster(ctx)
    files = {"nb1.ipynb": json.dumps(shared_notebook("nb1")),
             "nb2.ipynb": json.dumps(shared_notebook("nb2")), "submit.py": SHARED_SUBMIT}
    rc, out = compose_exec("notebook", "python3", "-c",
                           "import json, os, sys; os.makedirs('/tmp/shared', exist_ok=True)\n"
                           "for n, t in json.load(sys.stdin).items():\n"
                           "    open('/tmp/shared/' + n, 'w').write(t)",
                           input=json.dumps(files).encode(), timeout=60)
    check(rc == 0, "writing the notebooks: %s" % out)
    t0 = time.monotonic()
    procs = {"nb1": compose_popen("notebook", "bash", "-c", NBCONVERT.format("nb1")),
             "nb2": compose_popen("notebook", "bash", "-c", NBCONVERT.format("nb2")),
             "submit": compose_popen("notebook", "bash", "-c", "exec spark-submit --master "
                                     "\"$SPARK_MASTER_URL\" /tmp/shared/submit.py")}
    try:
        def all_running():
            for name, p in procs.items():
                if p.poll() is not None:
                    rc, out = output_of(p, 5)
                    check(False, "%s ended (exit %s) before the three ran at once: %s"
                          % (name, rc, out[-2000:]))
            status, st = host_json("MASTER_WEBUI_PORT")
            seen["master"] = [(a["id"], a["name"], a["state"], a["cores"])
                              for a in (st or {}).get("activeapps", [])]
            running = {a["id"]: a for a in (st or {}).get("activeapps", [])
                       if a["state"] == "RUNNING" and a["cores"] > 0}
            if len(running) < 3:
                return None
            rc, out = compose_exec("notebook", "python3", "-c", "import glob, json; print(json."
                                   "dumps([json.load(open(f)) for f in glob.glob("
                                   "'/tmp/shared/app-*.json')]))", timeout=60)
            check(rc == 0, "reading the applications' files: %s" % out)
            apps = json.loads(out)
            if len(apps) < 3:
                return None
            status, st = host_json("MASTER_WEBUI_PORT")  # again: after their jobs ran
            running = {a["id"]: a for a in (st or {}).get("activeapps", [])
                       if a["state"] == "RUNNING" and a["cores"] > 0}
            return (apps, running) if all(a["id"] in running for a in apps) else None
        seen = {"master": None}
        try:
            apps, running = wait_for("three applications running with cores at once",
                                     all_running, SHARED_WAIT, interval=2)
        except Fail as e:
            raise Fail("%s; the master's applications (id, name, state, cores): %r"
                       % (e, seen["master"]))
        timings["two notebooks and a spark-submit: start to all three running"] = \
            time.monotonic() - t0
        on_workers = {}
        for svc, port in (("worker-1", "WORKER1_WEBUI_PORT"), ("worker-2", "WORKER2_WEBUI_PORT")):
            status, ws = host_json(port)
            check(status == 200, "%s's JSON API: HTTP %s" % (svc, status))
            on_workers[svc] = sorted({e["appid"] for e in ws["executors"]})
            rc, out = compose_exec(svc, "ls", "/tmp/spark-worker", timeout=60)
            check(rc == 0 and set(on_workers[svc]) <= set(out.split()),
                  "%s: executors of %s but work directories %r" % (svc, on_workers[svc], out))
        for a in apps:
            r = running[a["id"]]
            print("    %s: %s cores %d, tasks on %s" % (a["id"], r["name"], r["cores"],
                                                         a["hosts"]))
        print("    executors (and work directories) on the workers: %s" % on_workers)
        check(all(a["hosts"] and set(a["hosts"]) <= {"worker-1", "worker-2"} for a in apps),
              "a job's tasks did not run on the workers: %r" % apps)
        check(sorted(i for ids in on_workers.values() for i in ids) == sorted(running),
              "the workers' executors are not those of the running applications: %r vs %r"
              % (on_workers, sorted(running)))
        COMPOSE["ended_apps_on_workers"] = on_workers
        COMPOSE["shared_apps"] = sorted(a["id"] for a in apps)
    finally:
        compose_exec("notebook", "touch", "/tmp/shared/release", timeout=60)
    for name, p in procs.items():
        rc, out = output_of(p, 180)
        check(rc == 0, "%s exited %s: %s" % (name, rc, out[-2000:]))
        if name == "submit":
            text = out
        else:
            rc, nb = compose_exec("notebook", "cat", "/tmp/shared/out-%s.ipynb" % name, timeout=60)
            check(rc == 0, "no output notebook of %s: %s" % (name, nb[-500:]))
            text = notebook_text(json.loads(nb))
        check("RELEASED True" in text, "%s did not hold its executors until released: %r"
              % (name, text[-1500:]))


@test()
def docker_compose_workers_delete_the_directories_of_ended_applications(ctx):
    """The work directories of the three applications above, deleted by the workers' own cleanup
    (their logs say so) soon after the applications ended: cleanup is on by default, with the
    user's interval and TTL from SPARK_WORKER_OPTS (the image's own, 10 min and 1 h, would keep
    them past this wait; Spark's default keeps them for ever)."""
    compose_cluster(ctx)
    on_workers = COMPOSE.get("ended_apps_on_workers")
    check(on_workers and any(on_workers.values()), "no applications' directories to look for: "
          "run with docker_compose_two_notebooks_and_a_spark_submit_get_executors_at_once")
    t0 = time.monotonic()

    left = {}

    def all_gone():
        for svc, ids in on_workers.items():
            rc, out = compose_exec(svc, "ls", "/tmp/spark-worker", timeout=60)
            check(rc == 0, "ls /tmp/spark-worker on %s: %s" % (svc, out))
            left[svc] = sorted(set(ids) & set(out.split()))
        return not any(left.values())
    try:
        wait_for("the work directories of the ended applications to be deleted", all_gone, 120,
                 interval=2)
    except Fail as e:
        raise Fail("%s; still there: %r" % (e, left))
    for svc, ids in on_workers.items():
        text = logs(service_container(svc))
        for i in ids:
            check("Removing directory: /tmp/spark-worker/%s" % i in text,
                  "%s's log does not say that its cleanup removed %s" % (svc, i))
    print("    deleted within %.1f s of the applications' end: %s"
          % (time.monotonic() - t0, on_workers))


# Spark Connect's thin client: pyspark[connect] from PyPI at the lock's versions
# (tests/cluster/connect_client.sh, a venv of this machine's Python 3.11), run in a container of
# Debian 12 with Python and no JVM, on the compose network; the cluster's secret is its token.
CLIENT_IMAGE = "mmlspark-test/connect-client:bookworm"
CLIENT_DOCKERFILE = (b"FROM debian:bookworm\n"
                     b"RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
                     b"--no-install-recommends python3 && rm -rf /var/lib/apt/lists/*\n")
CONNECT_CLIENT = r"""
import json, os, shutil, sys, time
from pyspark.sql.connect.session import SparkSession
token = open("/run/token").read().strip()
out = {"java": shutil.which("java"), "java_home": os.environ.get("JAVA_HOME")}

def refused(url):
    try:
        s = SparkSession.builder.remote(url).create()
        return "accepted: %d" % s.range(3).count()
    except Exception as e:
        return "%s: %s" % (type(e).__name__, " ".join(str(e).split())[:300])

t0 = time.monotonic()
from pyspark.sql import SparkSession as Session  # as a user writes it: remote mode for pyspark.sql
spark = Session.builder.remote("sc://connect:15002/;token=" + token).getOrCreate()
out["count"] = int(spark.range(1000).count())
out["first_count_s"] = round(time.monotonic() - t0, 2)
s3 = sys.argv[1]
for k, v in {"fs.s3a.endpoint": s3, "fs.s3a.path.style.access": "true",
             "fs.s3a.connection.ssl.enabled": "false", "fs.s3a.access.key": "AKIACONNECT",
             "fs.s3a.secret.key": "connect-test-key",
             "fs.s3a.aws.credentials.provider":
                 "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"}.items():
    spark.conf.set(k, v)
from pyspark.sql.functions import col, udf
host = udf(lambda _: __import__("socket").gethostname())
df = spark.range(0, 400, 1, 4).withColumn("sq", col("id") * col("id"))
df.write.mode("overwrite").parquet("s3a://connect/squares")
back = spark.read.parquet("s3a://connect/squares")
out["parquet_rows"] = int(back.count())
out["parquet_sum"] = int(back.groupBy().sum("sq").collect()[0][0])
out["hosts"] = sorted(r[0] for r in back.select(host("id")).distinct().collect())
# last: a session made by create() becomes the process's default one
out["no_token"] = refused("sc://connect:15002/;use_ssl=true")
out["bad_token"] = refused("sc://connect:15002/;token=not-the-secret")
out["inner_no_token"] = refused("sc://connect:15003")
print("RESULT " + json.dumps(out), flush=True)
"""


REMOTE_NOTEBOOK = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                              "outputs": [], "source":
                              "from pyspark.sql.connect.session import SparkSession as Remote\n"
                              "token = open('/run/secrets/spark_auth').read().strip()\n"
                              "remote = Remote.builder.remote('sc://connect:15002/;token=' + token)"
                              ".getOrCreate()\n"
                              "print('REMOTE', remote.range(1000).count())"}],
                   "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}},
                   "nbformat": 4, "nbformat_minor": 5}


def run_compose_notebook(name, nb):
    """The text of the outputs of notebook NB run headless (nbconvert --execute) in the compose
    notebook service, in /tmp/NAME."""
    rc, out = compose_exec("notebook", "bash", "-c",
                           "mkdir -p /tmp/{0} && cat > /tmp/{0}/in.ipynb && cd /tmp/{0} && exec "
                           "jupyter nbconvert --to notebook --execute --ExecutePreprocessor."
                           "timeout=300 --output out.ipynb in.ipynb".format(name),
                           input=json.dumps(nb).encode(), timeout=400)
    check(rc == 0, "the notebook %s: %s" % (name, out[-1500:]))
    rc, out = compose_exec("notebook", "cat", "/tmp/%s/out.ipynb" % name, timeout=30)
    check(rc == 0, "no output notebook of %s: %s" % (name, out[-500:]))
    return notebook_text(json.loads(out))


def s3_server(net, bucket):
    """moto's S3 API server on the gateway of Docker network NET, with the bucket BUCKET;
    (URL, process). Needs tests/data/setup.sh's tools (MMLSPARK_DATA_TOOLS)."""
    tools = os.environ.get("MMLSPARK_DATA_TOOLS", "")
    if not os.access(os.path.join(tools, "venv", "bin", "moto_server"), os.X_OK):
        host_lacks("moto (tests/data/setup.sh)", "moto's S3 server is not installed")
    rc, gw = docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", net,
                    timeout=20)
    check(rc == 0, "docker network inspect: %s" % gw)
    gw = gw.strip()
    with socket.socket() as sk:
        sk.bind((gw, 0))
        port = sk.getsockname()[1]
    moto = subprocess.Popen([os.path.join(tools, "venv", "bin", "moto_server"), "-H", gw, "-p",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = "http://%s:%d" % (gw, port)

    def up():
        check(moto.poll() is None, "moto_server exited %s" % moto.returncode)
        try:
            with socket.create_connection((gw, port), timeout=1):
                return True
        except OSError:
            return False
    try:
        wait_for("moto's S3 server on %s:%d" % (gw, port), up, 60)
        rc, out = run([os.path.join(tools, "venv", "bin", "python3"), "-c",
                       "import boto3, sys; boto3.client('s3', endpoint_url=sys.argv[1], "
                       "region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key="
                       "'x').create_bucket(Bucket=sys.argv[2])", url, bucket], timeout=60)
        check(rc == 0, "create_bucket: %s" % out[-800:])
    except BaseException:
        moto.terminate()
        raise
    return url, moto


@test()
def docker_compose_connect_serves_a_thin_client_with_the_token_only(ctx):
    """The example's `connect` service (SPARK_MODE=connect on the cluster): a thin client
    (pyspark[connect] from PyPI, no JVM, another container) with the cluster's secret as its token
    and the server's certificate (from the shared volume) counts a range, writes and reads back a
    parquet table on S3 (moto) through executors on the workers; without the token, with another
    one, or on the inner port without one it is refused (UNAUTHENTICATED). The secret is in no
    log, `docker top` or Spark UI of the server; `docker stop` ends it within the grace period."""
    client = os.environ.get("MMLSPARK_CONNECT_CLIENT", "")
    if not os.access(os.path.join(client, "venv", "bin", "python3"), os.X_OK):
        host_lacks("pyspark[connect] (tests/cluster/connect_client.sh)",
                   "Spark Connect's client is not installed")
    c = compose_cluster(ctx)
    cid = service_container("connect")
    print("    connect: %s" % wait_healthy(cid, 240)[1])
    rc, out = docker("build", "-q", "-t", CLIENT_IMAGE, "-", input=CLIENT_DOCKERFILE, timeout=600)
    check(rc == 0, "building the client's image: %s" % out[-1500:])
    work = tempfile.mkdtemp(prefix="mmlspark-connect-")
    made_dirs.append(work)
    rc, cert = compose_exec("connect", "cat", "/var/lib/spark-connect/cert.pem", timeout=30)
    check(rc == 0 and "BEGIN CERTIFICATE" in cert, "the server's certificate: %r" % cert[:300])
    for name, text in (("cert.pem", cert), ("client.py", CONNECT_CLIENT)):
        with open(os.path.join(work, name), "w") as f:
            f.write(text)
    os.chmod(work, 0o755)
    net = c["project"] + "_default"
    s3, moto = s3_server(net, "connect")
    venv = os.path.join(client, "venv")
    try:
        rc, out = docker("run", "--rm", "--label", label + "=" + run_id, "--network", net,
                         "-v", "%s:%s:ro" % (venv, venv), "-v", "%s:/client:ro" % work,
                         "-v", "%s:/run/token:ro" % compose_secret_env()["SPARK_AUTH_SECRET_FILE"],
                         "-e", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=/client/cert.pem",
                         CLIENT_IMAGE, os.path.join(venv, "bin", "python3"), "/client/client.py",
                         s3, timeout=600)
    finally:
        moto.terminate()
        moto.wait(10)
    check(rc == 0, "the thin client exited %d: %s" % (rc, out[-2500:]))
    r = result_of(out)
    print("    %s" % r)
    check(r["java"] is None and r["java_home"] is None, "the client has a JVM: %r" % r)
    check(r["count"] == 1000, "range(1000).count() = %r" % r["count"])
    check(r["parquet_rows"] == 400 and r["parquet_sum"] == sum(i * i for i in range(400)),
          "the parquet table read back: %r rows, sum %r" % (r["parquet_rows"], r["parquet_sum"]))
    check(r["hosts"] and set(r["hosts"]) <= {"worker-1", "worker-2"},
          "the job's tasks did not run on the workers: %r" % r["hosts"])
    for case in ("no_token", "bad_token", "inner_no_token"):
        check("UNAUTHENTICATED" in r[case] or "token" in r[case].lower(),
              "%s was not refused for its token: %r" % (case, r[case]))
        check(not r[case].startswith("accepted"), "%s was served: %r" % (case, r[case]))
    # the client from a notebook of the image (the compose notebook trusts the server's
    # certificate: GRPC_DEFAULT_SSL_ROOTS_FILE_PATH), beside the kernel's own `spark`
    text = run_compose_notebook("remote", REMOTE_NOTEBOOK)
    check("REMOTE 1000" in text, "the notebook's Connect client did not count: %r" % text[-1500:])
    print("    a notebook of the image counted through Connect")
    status, apps = host_json("CONNECT_SPARK_UI_PORT", "/api/v1/applications")
    check(status == 200 and apps, "Spark Connect's UI: HTTP %s %r" % (status, apps))
    status, env = host_json("CONNECT_SPARK_UI_PORT",
                            "/api/v1/applications/%s/environment" % apps[0]["id"])
    rc, top = docker("top", cid, "-eo", "pid,args", timeout=20)
    seen = json.dumps(env) + top + logs(cid)
    check(SECRET not in seen, "the cluster's secret is in the server's UI, docker top or log")
    t0 = time.monotonic()
    docker("stop", cid, timeout=60)
    took, code = time.monotonic() - t0, state(cid).get("ExitCode")
    timings["connect: docker stop"] = took
    print("    docker stop: %.1f s, exit %s" % (took, code))
    check(code in (0, 143) and took < 10, "docker stop: %.1f s, exit %s" % (took, code))


@test()
def connect_runs_as_any_uid_with_a_read_only_root_and_needs_its_secret(ctx):
    """SPARK_MODE=connect alone (local[*]) as uid 12345 with a read-only root, no capabilities
    and the secret from a file: healthy, a thin client on the host (no java on its PATH) counts
    through the published TLS port trusting the certificate the server wrote; without a secret
    the container ends at once with one line, exit 64."""
    one_line_exit_64(["-e", "SPARK_MODE=connect", "-e", "ACCEPT_EULA=yes"], "SPARK_AUTH_SECRET")
    client = os.environ.get("MMLSPARK_CONNECT_CLIENT", "")
    if not os.access(os.path.join(client, "venv", "bin", "python3"), os.X_OK):
        host_lacks("pyspark[connect] (tests/cluster/connect_client.sh)",
                   "Spark Connect's client is not installed")
    port = free_port()
    name = "%s-connect-ro" % run_id
    rc, out = docker("run", "-d", "--name", name, "--label", label + "=" + run_id, "--read-only",
                     "--tmpfs", "/tmp", "--user", "12345:0", "--cap-drop", "ALL", *EULA,
                     "-e", "SPARK_MODE=connect", "-e", "SPARK_DRIVER_MEMORY=512m",
                     "-e", "SPARK_AUTH_SECRET_FILE=/run/secrets/spark_auth",
                     "-v", "%s:/run/secrets:ro" % secret_dir(),
                     "-p", "127.0.0.1:%d:15002" % port, image, timeout=60)
    check(rc == 0, "docker run: %s" % out)
    ctx["containers"] = [name]
    print("    %s" % wait_healthy(name, 180)[1])
    rc, cert = docker("exec", name, "cat", "/tmp/spark-connect/cert.pem", timeout=30)
    check(rc == 0 and "BEGIN CERTIFICATE" in cert, "no certificate: %r" % cert[:300])
    work = tempfile.mkdtemp(prefix="mmlspark-connect-ro-")
    made_dirs.append(work)
    with open(os.path.join(work, "cert.pem"), "w") as f:
        f.write(cert)
    env = {"PATH": "/usr/bin:/bin", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": os.path.join(work, "cert.pem")}
    rc, out = run([os.path.join(client, "venv", "bin", "python3"), "-c",
                   "import sys; from pyspark.sql.connect.session import SparkSession as S; "
                   "s = S.builder.remote(sys.argv[1]).create(); print('COUNT', s.range(1000).count())",
                   "sc://127.0.0.1:%d/;token=%s" % (port, SECRET)], timeout=180, env=env)
    check(rc == 0 and "COUNT 1000" in out, "the thin client: %s" % out[-1500:])
    rc, top = docker("top", name, "-eo", "pid,user,args", timeout=20)
    check(SECRET not in top + logs(name), "the secret shows in docker top or the log")
    java = [line.split() for line in top.splitlines() if "java" in line]
    check(java and all(f[1] == "12345" for f in java), "the server's JVM is not uid 12345's: %s" % top)
    took, code = stop_timed(name)
    print("    counted over TLS as uid 12345 on a read-only root; docker stop: %.1f s, exit %s"
          % (took, code))
    check(code in ("0", "143") and took < 10, "docker stop: %.1f s, exit %s" % (took, code))


HISTORY_NOTEBOOK = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                               "outputs": [], "source": "print('APP', spark.sparkContext."
                                                        "applicationId, spark.range(10).count())"}],
                    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                "language": "python"}},
                    "nbformat": 4, "nbformat_minor": 5}


def completed_ids(get):
    status, apps = get("/api/v1/applications?status=completed")
    return sorted(a["id"] for a in apps or []) if status == 200 else []


@test()
def docker_compose_history_lists_the_ended_notebooks_and_spark_submits(ctx):
    """The example's `history` service over the shared event-log volume: the applications of
    the tests above (a spark-submit, two notebooks' kernels: SPARK_EVENT_LOG_DIR of the notebook
    service), a new notebook's session and Spark's pi.py example by spark-submit, once ended, are
    listed as completed by its REST API,
    on its port and through Jupyter's proxy (/proxy/history:18080/, behind the token); a second
    history server on the same volume with a read-only root as uid 12345 lists them too."""
    c = compose_cluster(ctx)
    wanted = set(COMPOSE.get("shared_apps") or [])
    text = run_compose_notebook("hist", HISTORY_NOTEBOOK)
    m = re.search(r"APP (\S+) 10", text)
    check(m, "the notebook printed no application id: %r" % text[-800:])
    wanted.add(m.group(1))
    rc, out = compose_exec("notebook", "bash", "-c", "spark-submit --master \"$SPARK_MASTER_URL\" "
                           "/opt/spark/examples/src/main/python/pi.py 4 2>&1", timeout=300)
    app = re.findall(r"app ID (app-\S+)", out)
    check(rc == 0 and "Pi is roughly" in out and app, "spark-submit of Spark's pi.py: %s"
          % out[-1500:])
    wanted.add(app[0])
    print("    applications to find: %s" % sorted(wanted))
    cid = service_container("history")
    print("    history: %s" % wait_healthy(cid, 180)[1])
    seen = {}

    def listed(get, where):
        def all_there():
            seen[where] = completed_ids(get)
            return wanted <= set(seen[where]) or None
        try:
            wait_for("%s to list %s as completed" % (where, sorted(wanted)), all_there, 120,
                     interval=2)
        except Fail as e:
            raise Fail("%s; listed: %r" % (e, seen.get(where)))
    listed(lambda path: host_json("HISTORY_PORT", path), "the history service")
    token = jupyter_token()
    listed(lambda path: host_json("NOTEBOOK_PORT", "/proxy/history:18080" + path, token),
           "Jupyter's /proxy/history:18080/")
    # the UI itself, as the live UI is served: its links rooted at the proxy's path
    req = urllib.request.Request("http://127.0.0.1:%s/proxy/history:18080/"
                                 % COMPOSE["ports"]["NOTEBOOK_PORT"],
                                 headers={"Authorization": "token " + token})
    with NO_PROXY.open(req, timeout=20) as r:
        page = r.read().decode("utf-8", "replace")
    check("setUIRoot('/proxy/history:18080')" in page and 'href="/proxy/history:18080/' in page,
          "the history UI through Jupyter's proxy does not root its links there: %r" % page[:800])
    status, _ = host_json("NOTEBOOK_PORT", "/proxy/history:18080/api/v1/version")
    check(status in (401, 403) or status is None or status >= 300,
          "the history server through Jupyter's proxy answers without the token: %s" % status)
    port = free_port()
    name = "%s-history-ro" % run_id
    rc, out = docker("run", "-d", "--name", name, "--label", label + "=" + run_id, "--read-only",
                     "--tmpfs", "/tmp", "--user", "12345:0", "--cap-drop", "ALL",
                     "-e", "SPARK_MODE=history", "-e", "ACCEPT_EULA=yes",
                     "-v", "%s_spark-events:/var/lib/spark-events:ro" % c["project"],
                     "-p", "127.0.0.1:%d:18080" % port, image, timeout=60)
    check(rc == 0, "docker run the read-only history server: %s" % out)

    def ro_get(path):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
        try:
            with NO_PROXY.open(req, timeout=10) as r:
                return r.status, json.loads(r.read().decode())
        except (OSError, ValueError):
            return None, None
    try:
        listed(ro_get, "a history server with a read-only root as uid 12345")
    except Fail:
        save_logs("docker_compose_history_lists_the_ended_notebooks_and_spark_submits", [name])
        raise
    finally:  # gone at once: it holds the volume, which docker-compose down -v deletes
        docker("rm", "-f", "-v", name, timeout=60)
    print("    listed as completed on the service, through Jupyter's proxy and by the read-only "
          "server: %d applications" % len(seen["the history service"]))


def jupyter_token():
    """The token in the last one-click URL the notebook service printed."""
    rc, out = compose(COMPOSE["project"], "logs", "--no-color", "notebook", env=COMPOSE["env"],
                      timeout=60)
    tokens = re.findall(r"Jupyter URL: http://127\.0\.0\.1:\d+/\?token=(\w+)", out)
    check(tokens, "no Jupyter URL with a token in the notebook's log: %r" % out[-1500:])
    return tokens[-1]


def project_volumes():
    rc, out = docker("volume", "ls", "-q", "--filter",
                     "label=com.docker.compose.project=%s" % COMPOSE["project"], timeout=30)
    check(rc == 0, "docker volume ls: %s" % out)
    return sorted(out.split())


KEPT_NOTEBOOK = {"cells": [{"cell_type": "markdown", "metadata": {},
                            "source": "written before docker-compose down"}],
                 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@test()
def docker_compose_down_and_up_keeps_notebooks_and_home_and_down_v_deletes_them(ctx):
    """A notebook saved through Jupyter's API into /notebooks and a file in the notebook user's
    home survive docker-compose stop (exit 0/143), down and up; a new volume held the image's
    example notebooks; down -v deletes both volumes."""
    c = compose_cluster(ctx)
    wait_for("Jupyter", lambda: host_json("NOTEBOOK_PORT", "/api")[0] == 200, 120, interval=1)
    token = jupyter_token()
    status, listing = host_json("NOTEBOOK_PORT", "/api/contents/", token)
    names = sorted(x["name"] for x in (listing or {}).get("content", []))
    check(status == 200 and "spark-quickstart.ipynb" in names,
          "the new volume does not show the image's notebooks: HTTP %s, %r" % (status, names))
    status, _ = host_json("NOTEBOOK_PORT", "/api/contents/kept.ipynb", token, "PUT",
                          {"type": "notebook", "format": "json", "content": KEPT_NOTEBOOK})
    check(status in (200, 201), "saving a notebook through Jupyter's API: HTTP %s" % status)
    rc, out = compose_exec("notebook", "bash", "-c", "echo kept > ~/kept.txt", timeout=60)
    check(rc == 0, "writing ~/kept.txt: %s" % out)

    rc, out = compose(c["project"], "ps", "-q", env=c["env"], timeout=60)
    ids = out.split()
    t1 = time.monotonic()
    rc, out = compose(c["project"], "stop", env=c["env"], timeout=120)
    stop_took = time.monotonic() - t1
    codes = {}
    for cid in ids:
        rc2, nm = docker("inspect", "--format", "{{.Name}}", cid, timeout=20)
        codes[nm.strip().lstrip("/")] = state(cid).get("ExitCode")
    print("    docker-compose stop: %.1f s, exit codes %s" % (stop_took, codes))
    check(rc == 0 and len(codes) == len(SERVICES) and all(x in (0, 143) for x in codes.values()),
          "docker-compose stop: %s, exit codes %r" % (out, codes))
    rc, out = compose(c["project"], "down", env=c["env"], timeout=120)
    check(rc == 0, "docker-compose down: %s" % out)
    volumes = project_volumes()
    check(len(volumes) == 4, "volumes after down: %r" % volumes)
    t2 = time.monotonic()
    rc, out = compose(c["project"], "up", "-d", env=c["env"], timeout=240)
    check(rc == 0, "docker-compose up -d again: %s" % out)
    c.pop("containers", None)
    wait_for("Jupyter after up", lambda: host_json("NOTEBOOK_PORT", "/api")[0] == 200, 120,
             interval=1)
    status, nb = host_json("NOTEBOOK_PORT", "/api/contents/kept.ipynb", jupyter_token())
    check(status == 200 and nb["content"]["cells"][0]["source"] == KEPT_NOTEBOOK["cells"][0]
          ["source"], "the notebook saved before down: HTTP %s, %r" % (status, nb))
    rc, out = compose_exec("notebook", "cat", "/home/mmlspark/kept.txt", timeout=60)
    check(rc == 0 and out.strip() == "kept", "the home's file after down/up: %r" % out)
    print("    down, up -d, Jupyter answering again: %.1f s; kept.ipynb and ~/kept.txt are there"
          % (time.monotonic() - t2))
    rc, out = compose(c["project"], "down", "-v", env=c["env"], timeout=120)
    check(rc == 0, "docker-compose down -v: %s" % out)
    check(project_volumes() == [], "volumes after down -v: %r" % project_volumes())
    print("    down -v deleted %s" % volumes)
    compose_projects.remove(c["project"])
    COMPOSE.clear()


# ------------------------------------------------------------------------------------ runner
def cleanup():
    for project in list(compose_projects):
        subprocess.run(["docker-compose", "-f", os.path.join(TOP, "docker-compose.yml"), "-p",
                        project, "down", "-v", "-t", "3"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
    out = subprocess.run(["docker", "ps", "-aq", "--filter", "label=%s=%s" % (label, run_id)],
                         stdout=subprocess.PIPE, timeout=60).stdout.split()
    if out:
        subprocess.run(["docker", "rm", "-f", "-v"] + [o.decode() for o in out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    subprocess.run(["docker", "network", "rm", network()], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    for d in made_dirs:
        shutil.rmtree(d, ignore_errors=True)


def main():
    global image, run_id
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", default=image)
    ap.add_argument("--run-id", default=run_id)
    ap.add_argument("-k", default="")
    a = ap.parse_args()
    image, run_id = a.image, a.run_id
    atexit.register(cleanup)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda n, f: sys.exit(128 + n))
    chosen = [fn for fn in TESTS if a.k in fn.__name__]
    if any(fn.needs_cluster for fn in chosen) and master_and_workers_are_healthy_only_once_registered not in chosen:
        chosen.insert(0, master_and_workers_are_healthy_only_once_registered)  # the test that brings the cluster up
    cluster_ok = True
    for fn in chosen:
        ctx = {}
        t0 = time.monotonic()
        try:
            if fn.needs_cluster and not cluster_ok:
                raise Fail("the cluster did not come up (see the health test)")
            fn(ctx)
            results["pass"] += 1
            print("PASS: %s (%.1f s)" % (fn.__name__, time.monotonic() - t0), flush=True)
        except Skip as e:
            results["skip"] += 1
            print("SKIP: %s: %s" % (fn.__name__, e), flush=True)
        except Exception as e:  # Fail, or a bug in the test: both are failures
            results["fail"] += 1
            if fn is master_and_workers_are_healthy_only_once_registered:
                cluster_ok = False
            why = str(e) if isinstance(e, Fail) else traceback.format_exc()
            print("FAIL: %s (%.1f s): %s" % (fn.__name__, time.monotonic() - t0, why), flush=True)
            save_logs(fn.__name__, ctx.get("containers", []))
            if ctx.get("compose"):
                rc, out = compose(ctx["compose"], "logs", "--no-color", "-t", timeout=60)
                os.makedirs(ARTIFACTS, exist_ok=True)
                with open(os.path.join(ARTIFACTS, fn.__name__ + ".compose.log"), "w") as f:
                    f.write(out)
    for what, secs in timings.items():
        print("timing: %s: %.1f s" % (what, secs))
    print("%d passed, %d failed" % (results["pass"], results["fail"])
          + (", %d skipped" % results["skip"] if results["skip"] else ""))
    # As in the image tests: in CI, where tests/setup.sh installs every tool, a skip is a failure.
    in_ci = os.environ.get("CI") == "true"
    if results["skip"] and in_ci:
        print("FAIL (CI=true): %d test(s) skipped" % results["skip"])
    return 1 if results["fail"] or (results["skip"] and in_ci) else 0


if __name__ == "__main__":
    sys.exit(main())
