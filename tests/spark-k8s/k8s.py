"""k8s.py - the spark-k8s suite (run it through run.sh): the image as Spark 3.5's Kubernetes image.

Set-up: fabric8's mock API server (CRUD mode) on a free host port, a Docker network, the test
kubelet (kubelet.py) for the namespace "default". Each test prints PASS/FAIL/SKIP; the last line
is "N passed, N failed"."""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "testlib"))
from harness import Fail, Skip, check, docker, wait_for  # noqa: E402
from harness import run as run_cmd  # noqa: E402
from kubelet import LABEL, Api, Kubelet  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Ctx:
    pass


def free_port():
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_network(name):
    """A Docker network with a subnet of our own (pod IPs are fixed before a pod starts)."""
    for _ in range(20):
        subnet = "10.%d.%d.0/24" % (random.randint(100, 250), random.randint(0, 255))
        rc, out = docker("network", "create", "--subnet", subnet, "--label", "%s=1" % LABEL, name)
        if rc == 0:
            return
    raise Fail("cannot create a Docker network: %s" % out)


TOP = os.path.abspath(os.path.join(here, "..", ".."))
SA_TOKEN = "spark-sa-%032x" % random.getrandbits(128)  # the service account `spark`'s token


def role_resources():
    """The resources the README's Role (k8s/spark-rbac.yaml) gives the service account."""
    import yaml
    with open(os.path.join(TOP, "k8s", "spark-rbac.yaml")) as f:
        role = next(d for d in yaml.safe_load_all(f) if d and d["kind"] == "Role")
    return sorted({r for rule in role["rules"] for r in rule["resources"]})


def in_cluster_tls(state_dir, gateway):
    """A key and certificate for the API server's in-cluster address (kubernetes.default.svc, and
    the gateway's IP, where pods reach it): (ca.crt, keystore.p12)."""
    d = os.path.join(state_dir, "tls")
    os.makedirs(d)
    crt, key, p12 = (os.path.join(d, f) for f in ("ca.crt", "tls.key", "keystore.p12"))
    san = "subjectAltName=DNS:kubernetes.default.svc,DNS:kubernetes.default,DNS:kubernetes,IP:" + gateway
    for cmd in (["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=kubernetes", "-keyout", key, "-out", crt, "-addext", san],
                ["openssl", "pkcs12", "-export", "-in", crt, "-inkey", key, "-out", p12,
                 "-passout", "pass:changeit"]):
        rc, out = run_cmd(cmd, timeout=60)
        check(rc == 0, "%s: %s" % (" ".join(cmd[:2]), out))
    os.chmod(crt, 0o644)
    return crt, p12


def start_api_server(classpath, log_path, keystore):
    port, tls_port = free_port(), free_port()
    log = open(log_path, "w")
    proc = subprocess.Popen(["java", "-cp", classpath, "MockApiServer", str(port), SA_TOKEN,
                             ",".join(role_resources()), str(tls_port), keystore], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)

    def up():
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/api/v1/namespaces/default/pods" % port,
                                   timeout=2).read()
            return True
        except OSError:
            return proc.poll() is not None and "exited"
    check(wait_for("the mock API server answers", up, 60) is True, "the mock API server exited")
    return proc, port, tls_port


def container_logs(name):
    rc, out = docker("logs", name, timeout=30)
    return out


def result_of(text):
    for line in text.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    return None


def wait_exit(name, timeout):
    """(exit code, seconds waited) of a container."""
    t0 = time.monotonic()
    rc, out = docker("wait", name, timeout=timeout)
    check(rc == 0 and out.strip().lstrip("-").isdigit(), "docker wait %s: %s" % (name, out))
    return int(out.strip()), time.monotonic() - t0


def pods(ctx, role=None, app=None):
    got = ctx.api.items("pods")
    return [p for p in got
            if (role is None or p["metadata"].get("labels", {}).get("spark-role") == role)
            and (app is None or p["metadata"].get("labels", {}).get("spark-app-selector") == app)]


def spark_conf(ctx, *pairs):
    args = []
    for k, v in [("spark.kubernetes.container.image", ctx.image),
                 ("spark.kubernetes.namespace", "default"),
                 ("spark.executor.instances", "2"), ("spark.executor.cores", "1"),
                 ("spark.executor.memory", "1g"),
                 ("spark.executorEnv.ACCEPT_EULA", "yes"),
                 ("spark.ui.enabled", "false")] + list(pairs):
        args += ["--conf", "%s=%s" % (k, v)]
    return args


def check_result(r, text):
    check(r is not None, "no RESULT line; driver output ends: %r" % text[-1500:])
    check(r["executors_at_fit"] == 2, "2 executors at the fit: %r" % r)
    check(len(r["train_hosts"]) == 2, "training data on two executor pods: %r" % r)
    check(r["auc"] > 0.95, "LightGBM's AUC on held-out data > 0.95: %r" % r)
    check(len(r.get("executor_classes", [])) == 5,
          "S3A, Azure (wasb, abfs), Delta and Iceberg on the executors' class path: %r" % r)
    check(r["worker_synapseml"] and all(f.startswith("/opt/synapseml/python/")
                                        for f in r["worker_synapseml"]),
          "Python workers import synapse.ml from the image: %r" % r)


# -- tests ------------------------------------------------------------------------------------
@test
def executor_without_its_environment_is_one_line_exit_64(ctx):
    rc, out = docker("run", "--rm", "-e", "ACCEPT_EULA=yes", ctx.image, "executor", timeout=60)
    lines = [line for line in out.splitlines() if line.strip()]
    check(rc == 64, "exit 64, got %d: %r" % (rc, out))
    check(len(lines) == 1, "one line: %r" % out)
    check("SPARK_DRIVER_URL" in lines[0] and "SPARK_EXECUTOR_POD_IP" in lines[0],
          "the line names the missing variables: %r" % lines[0])
    rc, out = docker("run", "--rm", "-e", "ACCEPT_EULA=yes", ctx.image, "driver", timeout=60)
    check(rc == 64 and "SPARK_DRIVER_BIND_ADDRESS" in out and len(out.strip().splitlines()) == 1,
          "driver without SPARK_DRIVER_BIND_ADDRESS: one line, exit 64: %d %r" % (rc, out))


def load_yaml(name):
    import yaml
    with open(os.path.join(TOP, "k8s", name)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


@test
def pod_templates_and_notebook_pass_the_restricted_profile_offline(ctx):
    from restricted import violations
    for name in ("driver-template.yaml", "executor-template.yaml"):
        pod = load_yaml(name)[0]
        check(pod["kind"] == "Pod" and not violations(pod["spec"]),
              "%s breaks the restricted profile: %r" % (name, violations(pod["spec"])))
    docs = load_yaml("notebook.yaml")
    dep = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]
    check(not violations(dep["spec"]), "notebook.yaml: %r" % violations(dep["spec"]))
    # the README's client mode: the headless Service selects the notebook's pod, whose token the
    # kernels' Spark uses as the service account of the Role
    svc = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "notebook-driver")
    labels = dep["metadata"]["labels"]
    check(svc["spec"].get("clusterIP") == "None"
          and all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()),
          "notebook-driver does not select the notebook pod: %r / %r" % (svc["spec"], labels))
    check({p["port"] for p in svc["spec"]["ports"]} == {7078, 7079}, "driver ports: %r" % svc)
    check(dep["spec"].get("serviceAccountName") == "spark"
          and dep["spec"].get("automountServiceAccountToken") is True,
          "the notebook pod has no token of the service account spark: %r" % dep["spec"])
    # the checker itself: Spark's own pod (no security context) breaks the profile
    check(violations({"containers": [{"name": "spark-kubernetes-executor"}]}),
          "the restricted checker passes a pod without a security context")
    # the teams suite's copy (tests/teams/setup.sh), if it was installed
    teams = os.path.join(TOP, os.environ.get("MMLSPARK_TEST_CACHE", ".cache"), "teams", "venv",
                         "bin", "kubernetes-validate")
    validate = shutil.which("kubernetes-validate") or (teams if os.path.exists(teams) else None)
    if validate:
        rc, out = run_cmd([validate, "--strict"] + [os.path.join(TOP, "k8s", f) for f in
                                                    ("driver-template.yaml", "executor-template.yaml",
                                                     "notebook.yaml", "spark-rbac.yaml")])
        check(rc == 0, "kubernetes-validate: %s" % out)
    else:
        print("INFO: no kubernetes-validate here: the API schema check is tests/teams/run.sh's")


@test
def the_roles_resources_only_on_the_service_accounts_token_in_cluster_https(ctx):
    def status(path):
        req = urllib.request.Request(ctx.api.url + path,
                                     headers={"Authorization": "Bearer " + SA_TOKEN})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
    # the in-cluster address: HTTPS, verified with the CA the pods get
    import ssl
    tls = ssl.create_default_context(cafile=ctx.kubelet.in_cluster["ca"])
    url = "https://%s:%d/api/v1/namespaces/default/pods" % (ctx.kubelet.gateway, ctx.tls_port)
    with urllib.request.urlopen(urllib.request.Request(
            url, headers={"Authorization": "Bearer " + SA_TOKEN}), timeout=10, context=tls) as r:
        check(r.status == 200, "HTTPS with the service account's CA and token: %d" % r.status)
    try:
        urllib.request.urlopen(url, timeout=10, context=ssl.create_default_context())
        check(False, "the API server's certificate passed without its CA")
    except urllib.error.URLError as e:
        check(isinstance(e.reason, ssl.SSLCertVerificationError), "not a certificate error: %r" % e)
    for path, want in (("/api/v1/namespaces/default/pods", 200),
                       ("/api/v1/namespaces/default/configmaps", 200),
                       ("/api/v1/namespaces/default/secrets", 403),
                       ("/api/v1/nodes", 403),
                       ("/apis/apps/v1/namespaces/default/deployments", 403)):
        got = status(path)
        check(got == want, "%s with the service account's token: %d, expected %d" % (path, got, want))


def start_client_driver(ctx, name, job_args, *conf, job="lightgbm_k8s.py"):
    """spark-submit --deploy-mode client in a container: a driver outside Kubernetes, which the
    executors reach by its name (as a notebook's, through its headless Service)."""
    ctx.containers.append(name)
    submit = ("SPARK_DIST_CLASSPATH=$(paste -sd: /opt/synapseml/classpath) "
              "spark-submit --master k8s://%s --deploy-mode client --name lightgbm-client "
              "--conf spark.driver.host=%s --conf spark.driver.port=7078 "
              "--conf spark.driver.blockManager.port=7079 --files /job/shipped.properties %s "
              "/job/%s %s" % (ctx.master, name, " ".join(spark_conf(ctx, *conf)), job, job_args))
    rc, out = docker("run", "-d", "--name", name, "--hostname", name, "--network", ctx.network,
                     "--label", "%s=%s" % (LABEL, ctx.run_id), "-e", "ACCEPT_EULA=yes",
                     "-v", "%s:/job:ro" % ctx.job_dir, ctx.image, "bash", "-c", submit)
    check(rc == 0, "driver container: %s" % out)


@test
def client_mode_lightgbm_on_two_executor_pods_survives_a_killed_and_a_decommissioned_executor(ctx):
    name = "k8s-%s-client-driver" % ctx.run_id
    t0 = time.monotonic()
    # The executors' grace period (Spark's default 30 s) must outlast the migration: a block
    # manager takes one 30 s round to say it is done, as the user's pod template would allow.
    with open(os.path.join(ctx.job_dir, "grace-template.json"), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "Pod", "spec": {"terminationGracePeriodSeconds": 90}}, f)
    start_client_driver(ctx, name, "--pause-for-kill --exit-code 3 --shipped shipped.properties",
                        ("spark.kubernetes.executor.podTemplateFile", "/job/grace-template.json"),
                        ("spark.decommission.enabled", "true"),
                        ("spark.storage.decommission.enabled", "true"),
                        ("spark.storage.decommission.rddBlocks.enabled", "true"))
    wait_for("the driver's MARK kill-now", lambda: "MARK kill-now" in container_logs(name), 300, 1)
    running = [p for p in pods(ctx, "executor") if p.get("status", {}).get("phase") == "Running"]
    check(len(running) == 2, "two executor pods running: %r" % [p["metadata"]["name"] for p in running])
    victim = running[0]["metadata"]["name"]
    time.sleep(3)  # inside the slow stage
    docker("kill", ctx.kubelet.pods[victim]["container"])
    # Graceful decommission: the pod deleted, its preStop hook (Spark's, /opt/decom.sh) tells the
    # executor to migrate its blocks and exit before the container is stopped.
    wait_for("the driver's MARK decommission-now",
             lambda: "MARK decommission-now" in container_logs(name), 300, 1)
    other = running[1]["metadata"]["name"]
    hook = running[1]["spec"]["containers"][0].get("lifecycle", {}).get("preStop", {})
    check(hook.get("exec", {}).get("command") == ["/opt/decom.sh"],
          "Spark gives executor pods the preStop hook /opt/decom.sh: %r" % hook)
    time.sleep(3)
    ctx.api.call("DELETE", "/api/v1/namespaces/default/pods/" + other)
    code, _ = wait_exit(name, 420)
    elapsed = time.monotonic() - t0
    text = container_logs(name)
    check(code == 3, "the job's exit status 3 reaches spark-submit's caller: got %d; %r"
          % (code, text[-1500:]))
    r = result_of(text)
    check_result(r, text)
    check(r["slow_stage"] == 14, "the stage with the killed executor completed: %r" % r)
    check(r["decommission_stage"] == 10, "the stage with the decommissioned executor completed: %r" % r)
    shipped = r.get("shipped_resource") or []
    check(shipped and all(u.startswith("file:") and u.endswith("/shipped.properties") for u in shipped),
          "a --files file is a class-path resource on the executors (their working directory is "
          "on the class path): %r" % shipped)
    started = [n for n in ctx.kubelet.started_pods if "exec" in n]
    check(len(started) >= 4, "the killed and the decommissioned executors were replaced "
          "(pods started: %r)" % started)
    klog = open(ctx.kubelet_log).read()
    # graceful deletion: the pod was marked (deletionTimestamp), stopped, then deleted for good
    # (the hook itself ends with its container: it waits for the JVM until then)
    check("pod %s exited 0 after its preStop hook" % other in klog,
          "decom.sh made the executor exit 0 before its pod was stopped: %r"
          % [line for line in klog.splitlines() if other in line])
    with open(os.path.join(ctx.kubelet.state_dir, "pod-%s.log" % other)) as f:
        text = f.read()
    check("Decommission executor" in text and "Will exit when finished decommissioning" in text,
          "the executor decommissioned itself on decom.sh's SIGPWR")

    def gone():
        return not pods(ctx, "executor", r["app_id"])
    wait_for("Spark deletes its executor pods at the end", gone, 60)
    ctx.timings["client mode, spark-submit to exit (an executor killed, one decommissioned)"] = elapsed


@test
def an_interrupted_bench_leaves_no_container_behind(ctx):
    """bench/k8s/run.sh stopped (SIGTERM) while its driver runs: its containers, network and API
    server go all the same."""
    artifacts = tempfile.mkdtemp(prefix="mmlspark-k8s-interrupted.")
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--image", ctx.image,
                              "--mock-classpath", ctx.opts.mock_classpath, "--artifacts", artifacts,
                              "--bench"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    label = "label=%s=k8s%d" % (LABEL, child.pid)
    try:
        wait_for("the bench's driver container", lambda: docker(
            "ps", "-q", "--filter", label, "--filter", "name=bench-driver")[1].strip(), 120, 0.5)
        time.sleep(2)
    finally:
        child.terminate()
        out = child.communicate(timeout=120)[0].decode(errors="replace")
    shutil.rmtree(artifacts, ignore_errors=True)
    left = docker("ps", "-aq", "--filter", label)[1].split()
    nets = docker("network", "ls", "-q", "--filter", "name=mmlspark-k8s%d" % child.pid)[1].split()
    check(child.returncode == 1 and "interrupted" in out, "the bench says it was interrupted: %d %r"
          % (child.returncode, out[-800:]))
    check(not left and not nets, "left behind: containers %r, networks %r" % (left, nets))


PENDING_JOB = """
import json, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
sc = spark.sparkContext
deadline = time.monotonic() + 300
while sc._jsc.sc().getExecutorIds().size() < 2 and time.monotonic() < deadline:
    time.sleep(0.25)
print("RESULT " + json.dumps({"app_id": sc.applicationId,
                              "executors": sc._jsc.sc().getExecutorIds().size(),
                              "count": spark.range(0, 1000, 1, 4).count()}), flush=True)
spark.stop()
"""


@test
def an_executor_pod_that_does_not_fit_stays_pending_and_the_job_runs_on_the_others(ctx):
    with open(os.path.join(ctx.job_dir, "pending_k8s.py"), "w") as f:
        f.write(PENDING_JOB)
    name = "k8s-%s-pending-driver" % ctx.run_id
    ctx.kubelet.capacity_cpus = 2  # three executors of one core asked for: two fit
    try:
        start_client_driver(ctx, name, "", ("spark.executor.instances", "3"), job="pending_k8s.py")
        code, _ = wait_exit(name, 420)
    finally:
        ctx.kubelet.capacity_cpus = None
    text = container_logs(name)
    r = result_of(text)
    check(code == 0 and r and r["executors"] == 2 and r["count"] == 1000,
          "the job ran on the two executors that fit: exit %d %r" % (code, text[-1500:]))
    pending = [n for n in ctx.kubelet.unschedulable if "exec" in n]
    check(pending, "an executor pod stayed Pending (Unschedulable) while two ran: %r"
          % ctx.kubelet.unschedulable)


@test
def cluster_mode_lightgbm_driver_pod_and_two_executor_pods_any_uid_read_only_root(ctx):
    # The job reaches the driver pod through a ConfigMap volume of a pod template, as it would on a
    # real cluster (no image of our own, no shared file system).
    ctx.api.call("POST", "/api/v1/namespaces/default/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "lightgbm-job"},
        "data": {"lightgbm_k8s.py": open(os.path.join(here, "jobs", "lightgbm_k8s.py")).read()}})
    # The pod templates of k8s/ (the restricted profile), as OpenShift runs them: a uid without a
    # passwd entry, group 0. The driver's template gets the job's ConfigMap volume and the
    # command of Spark's docs (/opt/entrypoint.sh), the executors' tini's (-s -- /opt/entrypoint.sh).
    commands = {"driver": ["/opt/entrypoint.sh"],
                "executor": ["/usr/bin/tini", "-s", "--", "/opt/entrypoint.sh"]}
    for role in ("driver", "executor"):
        template = load_yaml(role + "-template.yaml")[0]
        spec = template["spec"]
        spec["securityContext"].update({"runAsUser": 12345, "runAsGroup": 0})
        spec["containers"][0]["command"] = commands[role]
        spec["terminationGracePeriodSeconds"] = 30
        if role == "driver":
            spec["volumes"].append({"name": "job", "configMap": {"name": "lightgbm-job"}})
            spec["containers"][0]["volumeMounts"].append({"name": "job", "mountPath": "/job"})
        with open(os.path.join(ctx.job_dir, role + "-template.json"), "w") as f:
            json.dump(template, f)
    log_start = os.path.getsize(ctx.apiserver_log)  # the Role's 403s from here on are the driver's
    name = "k8s-%s-submitter" % ctx.run_id
    ctx.containers.append(name)
    t0 = time.monotonic()
    rc, out = docker("run", "-d", "--name", name, "--network", ctx.network,
                     "--label", "%s=%s" % (LABEL, ctx.run_id), "-e", "ACCEPT_EULA=yes",
                     "-v", "%s:/job:ro" % ctx.job_dir, ctx.image,
                     "spark-submit", "--master", "k8s://" + ctx.master, "--deploy-mode", "cluster",
                     "--name", "lightgbm-cluster",
                     *spark_conf(ctx, ("spark.kubernetes.driver.master",
                                       "https://kubernetes.default.svc:%d" % ctx.tls_port),
                                 ("spark.kubernetes.driver.podTemplateFile", "/job/driver-template.json"),
                                 ("spark.kubernetes.executor.podTemplateFile",
                                  "/job/executor-template.json"),
                                 ("spark.kubernetes.driverEnv.ACCEPT_EULA", "yes"),
                                 ("spark.kubernetes.submission.waitAppCompletion", "true")),
                     "local:///job/lightgbm_k8s.py", "--exit-code", "3")
    check(rc == 0, "submitter container: %s" % out)
    code, _ = wait_exit(name, 420)
    elapsed = time.monotonic() - t0
    submitted = container_logs(name)
    drivers = [n for n in ctx.kubelet.started_pods if n.endswith("-driver")]
    check(drivers, "a driver pod ran; spark-submit said: %r" % submitted[-1500:])
    driver = ctx.api.get("pods", drivers[-1])
    state = driver["status"]["containerStatuses"][0]["state"]
    text = container_logs(ctx.kubelet.pods[drivers[-1]]["container"])
    r = result_of(text)
    check_result(r, text)
    # Spark sized the pod's limit for a 1g heap (1408Mi with overhead): the driver has that heap
    check(r["driver_heap_mib"] >= 900, "the driver pod's heap is Spark's 1g: %r MiB"
          % r["driver_heap_mib"])
    check(driver["status"]["phase"] == "Failed" and state["terminated"]["exitCode"] == 3,
          "the driver pod ends Failed with the job's status 3: %r" % driver["status"])
    started = ctx.kubelet.started_pods
    ran = started[started.index(drivers[-1]):]  # the driver pod and the executors it asked for
    check(len([n for n in ran if "-exec-" in n]) >= 2, "two executor pods ran: %r" % ran)
    for n in ran:
        args = " ".join(ctx.kubelet.run_args[n])
        check("--user 12345:0" in args and "--read-only" in args and "--cap-drop ALL" in args,
              "pod %s ran restricted (uid 12345, read-only root, no capabilities): %s" % (n, args))
        check(not ctx.kubelet.violations.get(n), "pod %s breaks the restricted profile: %r"
              % (n, ctx.kubelet.violations.get(n)))
        check(("--entrypoint /usr/bin/tini" if "-exec-" in n else "--entrypoint /opt/entrypoint.sh")
              in args, "pod %s ran with its template's command: %s" % (n, args))
    # the in-cluster path: the driver pod reached kubernetes.default.svc over HTTPS (the mounted
    # CA) with the mounted service-account token, and stayed within the Role
    with open(ctx.apiserver_log) as f:
        f.seek(log_start)
        lines = f.readlines()
    forbidden = [line for line in lines if line.startswith("403 ")]
    check(any(line.startswith("service account: POST /api/v1/namespaces/default/pods ")
              for line in lines),
          "the driver created its executor pods with the service account's token")
    check(not forbidden, "the driver stayed within the Role: %r" % forbidden)
    check("exit code: 3" in submitted,
          "spark-submit reports the driver's exit code 3: %r" % submitted[-1500:])
    # beyond Spark 3.5 (whose spark-submit exits 0 here): the image's exits with the driver's code
    check(code == 3 and "the driver pod's container exited 3" in submitted,
          "spark-submit exited %s, expected the driver's 3: %r" % (code, submitted[-800:]))
    print("INFO: cluster mode: spark-submit exited %d, the driver's exit code" % code)
    ctx.timings["cluster mode, spark-submit to exit"] = elapsed


# -- bench (bench/k8s/run.sh): the same job on the example docker-compose.yml's cluster ------------
def bench_compose(ctx, top, artifacts):
    """Seconds of spark-submit -> exit of the job on the compose cluster (master, two workers of
    1 core; submitted from its notebook container), the cluster already up."""
    project = "mmlsparkk8sbench%d" % os.getpid()
    secret_dir = tempfile.mkdtemp()
    os.chmod(secret_dir, 0o755)
    with open(os.path.join(secret_dir, "secret"), "w") as f:
        f.write("%032x" % random.getrandbits(128))
    os.chmod(os.path.join(secret_dir, "secret"), 0o644)
    env = dict(os.environ, MMLSPARK_IMAGE=ctx.image, ACCEPT_EULA="yes", SPARK_WORKER_MEMORY="2g",
               SPARK_AUTH_SECRET_FILE=os.path.join(secret_dir, "secret"))
    for v in ("MASTER_WEBUI_PORT", "WORKER1_WEBUI_PORT", "WORKER2_WEBUI_PORT", "NOTEBOOK_PORT",
              "NOTEBOOK_SPARK_UI_PORT"):
        env[v] = str(free_port())
    dc = ["docker-compose", "-f", os.path.join(top, "docker-compose.yml"), "-p", project]
    from harness import run
    try:
        t0 = time.monotonic()
        rc, out = run(dc + ["up", "-d"], timeout=300, env=env)
        check(rc == 0, "docker-compose up: %s" % out[-800:])
        for w in ("worker-1", "worker-2"):
            wait_for(w + " healthy", lambda: "healthy" in run(dc + ["ps", w], env=env)[1], 240, 1)
        up = time.monotonic() - t0
        job = open(os.path.join(here, "jobs", "lightgbm_k8s.py")).read()
        submit = ("cat > /tmp/job.py && spark-submit --master spark://master:7077 "
                  "--conf spark.executor.cores=1 --conf spark.executor.memory=1g "
                  # the two executors it measures: the compose master gives an application
                  # without spark.cores.max one core (spark.deploy.defaultCores)
                  "--conf spark.cores.max=2 "
                  "--conf spark.ui.enabled=false "
                  "--conf spark.driver.extraClassPath=$(paste -sd: /opt/synapseml/classpath) "
                  "--conf spark.executor.extraClassPath=$(paste -sd: /opt/synapseml/classpath) "
                  "/tmp/job.py")
        t0 = time.monotonic()
        rc, out = run(dc + ["exec", "-T", "notebook", "bash", "-c", submit], timeout=900,
                      input=job.encode(), env=env)
        elapsed = time.monotonic() - t0
        with open(os.path.join(artifacts, "compose-driver.log"), "w") as f:
            f.write(out)
        check(rc == 0 and result_of(out), "the job on the compose cluster: %s" % out[-1500:])
        return up, elapsed, result_of(out)
    finally:
        run(dc + ["down", "-v", "-t", "5"], timeout=180, env=env)
        shutil.rmtree(secret_dir, ignore_errors=True)


def split(r):
    return ("session %.1f s, 2 executors registered %.1f s, job %.1f s"
            % (r["t_session"], r["t_executors"], r["t_job"]))


def bench(ctx, top, artifacts):
    name = "k8s-%s-bench-driver" % ctx.run_id
    t0 = time.monotonic()
    start_client_driver(ctx, name, "")
    code, _ = wait_exit(name, 900)
    k8s = time.monotonic() - t0
    r_k8s = result_of(container_logs(name))
    check(code == 0 and r_k8s, "the job on Kubernetes: exit %d" % code)
    up, compose, r_compose = bench_compose(ctx, top, artifacts)
    print("spark-submit to exit, LightGBM job with two executors (same job, same run):")
    print("  Kubernetes (mock API server + test kubelet, executor pods started on demand): %.1f s" % k8s)
    print("    in the driver: %s (Spark waits for its executors in the session's start)" % split(r_k8s))
    execs = [t for n, t in ctx.kubelet.times.items() if "-exec-" in n and "running" in t]
    if execs:
        start = max(t["running"] - t["seen"] for t in execs)
        print("    executor pods: seen by the kubelet -> container running %.1f s (the slower of %d); last "
              "running -> both registered with the driver %.1f s; job %.1f s"
              % (start, len(execs), r_k8s["registered_at"] - max(t["running"] for t in execs),
                 r_k8s["t_job"]))
    print("  compose cluster (master + 2 workers already up; up -d took %.1f s):            %.1f s"
          % (up, compose))
    print("    in the driver: %s" % split(r_compose))
    print("  ratio Kubernetes / compose: %.2f" % (k8s / compose))


def interrupted(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


# -- the run ----------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--mock-classpath", required=True)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("-k", default="")
    ap.add_argument("--bench", action="store_true", help="time the job here and on compose")
    opts = ap.parse_args()
    ctx = Ctx()
    ctx.opts = opts
    ctx.image = opts.image
    ctx.run_id = "k8s%d" % os.getpid()
    ctx.containers = []
    ctx.timings = {}
    ctx.network = "mmlspark-%s" % ctx.run_id
    ctx.job_dir = tempfile.mkdtemp(prefix="mmlspark-k8s-job.")
    os.chmod(ctx.job_dir, 0o755)
    shutil.copy(os.path.join(here, "jobs", "lightgbm_k8s.py"), ctx.job_dir)
    with open(os.path.join(ctx.job_dir, "shipped.properties"), "w") as f:
        f.write("shipped=yes\n")
    state_dir = tempfile.mkdtemp(prefix="mmlspark-k8s-state.")
    passed = failed = skipped = 0
    ctx.proc = ctx.kubelet = None
    # interrupted (Ctrl+C, SIGTERM, SIGHUP): the containers, network and server still go
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)
    try:
        passed, failed, skipped = run_all(ctx, opts, state_dir)
    except KeyboardInterrupt as e:
        print("FAIL: interrupted (%s): cleaning up" % (e or "Ctrl+C"), flush=True)
        failed += 1
    finally:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)  # the clean-up itself is not cut short
        cleanup(ctx, opts, state_dir)
    print("%d passed, %d failed%s" % (passed, failed, ", %d skipped" % skipped if skipped else ""))
    sys.exit(1 if failed else 0)


def run_all(ctx, opts, state_dir):
    """Set-up, then the bench or the tests: (passed, failed, skipped)."""
    passed = failed = skipped = 0
    try:
        make_network(ctx.network)
        net = json.loads(docker("network", "inspect", ctx.network)[1])[0]["IPAM"]["Config"][0]
        gateway = net.get("Gateway") or net["Subnet"].rsplit(".", 1)[0] + ".1"
        ca, keystore = in_cluster_tls(state_dir, gateway)
        ctx.apiserver_log = os.path.join(opts.artifacts, "apiserver.log")
        proc, port, ctx.tls_port = start_api_server(opts.mock_classpath, ctx.apiserver_log, keystore)
        ctx.kubelet_log = os.path.join(opts.artifacts, "kubelet.log")
        klog = open(ctx.kubelet_log, "w")
        kubelet = Kubelet("http://127.0.0.1:%d" % port, ctx.network, ctx.run_id, state_dir,
                          log=lambda m: (klog.write(time.strftime("%H:%M:%S ") + m + "\n"), klog.flush()),
                          in_cluster={"port": ctx.tls_port, "ca": ca, "token": SA_TOKEN})
        ctx.master = "http://%s:%d" % (kubelet.gateway, port)
        ctx.api = Api("http://127.0.0.1:%d" % port, "default")
        ctx.kubelet = kubelet
        ctx.proc = proc
        kubelet.start()
    except Exception as e:
        print("FAIL: setup: %s" % e)
        failed += 1
    if opts.bench and not failed:
        try:
            bench(ctx, os.path.join(here, "..", ".."), opts.artifacts)
        except Exception as e:
            print("FAIL: bench: %s" % e)
            failed += 1
    for t in TESTS if not failed and not opts.bench else []:
        if opts.k not in t.__name__:
            continue
        t0 = time.monotonic()
        try:
            t(ctx)
            print("PASS: %s (%.0f s)" % (t.__name__, time.monotonic() - t0), flush=True)
            passed += 1
        except Skip as e:
            print("SKIP: %s: %s" % (t.__name__, e), flush=True)
            skipped += 1
        except Exception as e:
            detail = str(e) if isinstance(e, Fail) else traceback.format_exc()
            print("FAIL: %s: %s" % (t.__name__, detail), flush=True)
            failed += 1
    for what, seconds in ctx.timings.items():
        print("TIME: %s: %.1f s" % (what, seconds))
    return passed, failed, skipped


def cleanup(ctx, opts, state_dir):
    """Everything of this run goes, its logs kept in the artifacts."""
    if ctx.kubelet is not None:
        ctx.kubelet.stop()
        for f in os.listdir(state_dir):
            if f.endswith(".log"):
                shutil.copy(os.path.join(state_dir, f), opts.artifacts)
    for name in ctx.containers:
        with open(os.path.join(opts.artifacts, name + ".log"), "w") as f:
            f.write(container_logs(name))
        docker("rm", "-f", name)
    # anything of this run the steps above missed (a container started as the signal came)
    rc, out = docker("ps", "-aq", "--filter", "label=%s=%s" % (LABEL, ctx.run_id))
    for cid in out.split():
        docker("rm", "-f", cid)
    docker("network", "rm", ctx.network)
    if ctx.proc is not None:
        ctx.proc.terminate()
        ctx.proc.wait(timeout=10)
    shutil.rmtree(ctx.job_dir, ignore_errors=True)
    shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
