#!/usr/bin/env python3
"""data.py - the image on the user's data where it lives (docs/data.md), against real servers the
test starts: moto's S3 API server, Azurite (Azure Blob Storage), a Maven repository served over
HTTP and Debian's tinyproxy, all on the host side of a Docker network created `--internal` (the
containers reach those servers and nothing else), plus `--network none` for the table formats.

Each test is a promise to a user:
- s3a_* : parquet and a Delta table written and read back over s3a:// (spark-submit and a notebook
  kernel) with the keys in the environment, with a profile file (~/.aws), and a bucket refused
  with one clear error without credentials; the secret values appear in no output, log, `ps` line or Spark UI page.
- wasb_* : wasb:// with an account key (AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY: write and
  read), with a SAS token (read: Azurite fails WASB's SAS-signed writes), and an anonymous read of a public container as SynapseML's examples read theirs.
- tables_* : Delta (history, time travel) and Iceberg (Hadoop catalog) offline, by the one
  setting MMLSPARK_TABLE_FORMATS; docs_runnable_* : every code block the docs mark runnable
  (each project's documented builder among them) in an offline notebook.
- packages_* : --packages of an artifact the image lacks, from MMLSPARK_MAVEN_MIRROR, directly
  and through a proxy (HTTP_PROXY).
Untested here (no emulator): ABFS's DFS endpoint beyond its file system class (abfss:// loads
and fails on the network, not on a missing class), wasbs:// (TLS), web identity (no STS).
Usage: data.py --image IMAGE --cache DIR [-k NAME_SUBSTRING]
"""
import argparse
import atexit
import base64
import functools
import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "testlib"))
import maven_repo as maven  # noqa: E402
from harness import check, docker, host_lacks, run_tests, save_log, wait_for  # noqa: E402

ARTIFACTS = os.path.join(HERE, "..", "..", "artifacts", "data")
ACCOUNT = "mmlsparkdata"  # Azurite's account, reached as ACCOUNT.blob.core.windows.net
BUCKET = "mmlspark-data"
# The secrets of this run: each must appear nowhere a user could see it.
AWS_KEY_ID = "AKIA" + secrets.token_hex(8).upper()
AWS_SECRET = secrets.token_urlsafe(30)
AZURE_KEY = base64.b64encode(secrets.token_bytes(64)).decode()
image = None
env = {}  # the servers: gateway, ports, network, processes, SAS token


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def listening(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def start(name, args, port, extra_env=None):
    log = open(os.path.join(ARTIFACTS, name + ".log"), "w")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, **(extra_env or {})), start_new_session=True)
    atexit.register(lambda: p.poll() is None and (p.terminate(), p.wait(10)))
    wait_for("%s listening on %s:%d" % (name, env["gw"], port),
             lambda: p.poll() is None and listening(env["gw"], port), 60)
    return p


def start_servers(cache):
    """The network and the servers, once for every test."""
    net = "mmlspark-data-%d" % os.getpid()
    rc, out = docker("network", "create", "--internal", net)
    check(rc == 0, "docker network create: %s" % out)
    atexit.register(lambda: docker("network", "rm", net))
    rc, gw = docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", net)
    env.update(net=net, gw=gw.strip())
    gw = env["gw"]
    env["s3"] = free_port(gw)
    start("moto", [cache + "/venv/bin/moto_server", "-H", gw, "-p", str(env["s3"])], env["s3"])
    # Azurite on port 80: wasb:// speaks plain HTTP to ACCOUNT.blob.core.windows.net, which the
    # containers resolve to the gateway (--add-host); Azurite takes the account from that name.
    start("azurite", [cache + "/node/node_modules/.bin/azurite-blob", "--blobHost", gw,
                      "--blobPort", "80", "--inMemoryPersistence", "--skipApiVersionCheck",
                      "--loose", "--disableTelemetry"], 80, {"AZURITE_ACCOUNTS": "%s:%s" % (ACCOUNT, AZURE_KEY)})
    prepare_stores(cache)


def prepare_stores(cache):
    """A bucket; a private and a public container, a CSV in the public one, a SAS token for the
    private one: made with the clouds' own Python SDKs, as a user's tools make them."""
    script = r"""
import datetime, sys, boto3
from azure.storage.blob import BlobServiceClient
gw, s3, account, key, bucket = sys.argv[1:]
boto3.client("s3", endpoint_url="http://%s:%s" % (gw, s3), region_name="us-east-1",
             aws_access_key_id="x", aws_secret_access_key="x").create_bucket(Bucket=bucket)
conn = ("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://%s:80/%s"
        % (account, key, gw, account))
svc = BlobServiceClient.from_connection_string(conn)
svc.create_container("data")
svc.create_container("public", public_access="container")
rows = "age,income\n" + "".join("%d,%s\n" % (20 + i % 50, ">50K" if i % 3 else "<=50K") for i in range(120))
svc.get_blob_client("public", "adult.csv").upload_blob(rows)
svc.get_blob_client("data", "private.csv").upload_blob(rows)
# a service SAS of the storage version WASB's SDK speaks (2017-07-29), signed as Azure documents
# it ("Create a service SAS"); Azurite refuses newer SAS versions on that SDK's writes
import base64, hashlib, hmac, urllib.parse
expiry = (datetime.datetime.utcnow() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
to_sign = "\n".join(["racwdl", "", expiry, "/blob/%s/data" % account, "", "", "", "2017-07-29",
                      "", "", "", "", ""])
sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
print(urllib.parse.urlencode({"sv": "2017-07-29", "sr": "c", "sp": "racwdl", "se": expiry, "sig": sig}))
"""
    p = subprocess.run([cache + "/venv/bin/python3", "-c", script, env["gw"], str(env["s3"]),
                        ACCOUNT, AZURE_KEY, BUCKET], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "making the bucket and containers: %s" % (p.stdout + p.stderr)[-1500:])
    env["sas"] = p.stdout.strip().splitlines()[-1]


def spark_job(ctx, job, *args, docker_args=(), network=None, packages=None, timeout=300):
    """Runs spark-submit of jobs/JOB ARGS in a fresh container on the test network (or NETWORK);
    returns (exit code, output, RESULT lines as a dict)."""
    name = "mmlspark-data-%d-%s-%d" % (os.getpid(), ctx["test"], len(ctx.setdefault("containers", [])))
    ctx["containers"].append(name)
    net = network or env["net"]
    hosts = [] if net == "none" else ["--add-host", "%s.blob.core.windows.net:%s" % (ACCOUNT, env["gw"])]
    rc, out = docker("run", "--name", name, "--network", net, *hosts,
                     "-v", os.path.join(HERE, "jobs") + ":/job:ro", *docker_args, image,
                     "spark-submit", *(["--packages", packages] if packages else []),
                     "/job/" + job, *args, timeout=timeout)
    _, logs = docker("logs", name, timeout=30)
    ctx["output"] = ctx.get("output", "") + out + logs
    results = dict(line.split(" ", 2)[1:] for line in out.splitlines()
                   if line.startswith("RESULT ") and line.count(" ") >= 2)
    return rc, out, results


def no_secret_shows(ctx, *values):
    """None of VALUES is in any output of the test's containers (stdout, docker logs, the Spark
    UI's environment and `ps`, which the jobs print)."""
    text = ctx.get("output", "")
    check("UI-ENVIRONMENT" in text and "PS " in text, "the job printed no UI environment or ps")
    for v in values:
        check(v not in text, "a secret (%s...) shows in the output, logs, ps or Spark UI" % v[:6])


def s3_env(*extra):
    return ["-e", "AWS_ENDPOINT_URL=http://%s:%d" % (env["gw"], env["s3"]),
            "-e", "MMLSPARK_TABLE_FORMATS=delta", *extra]


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def s3a_with_keys_in_the_environment_writes_and_reads_parquet_and_delta(ctx):
    rc, out, r = spark_job(ctx, "s3.py", BUCKET, docker_args=s3_env(
        "-e", "AWS_ACCESS_KEY_ID=" + AWS_KEY_ID, "-e", "AWS_SECRET_ACCESS_KEY=" + AWS_SECRET))
    check(rc == 0, "spark-submit exited %d: %s" % (rc, out[-2000:]))
    check(r.get("parquet") == "100", "parquet read back: %r" % r.get("parquet"))
    check(r.get("delta") == "15" and r.get("delta_v0") == "10", "delta read back: %r" % r)
    no_secret_shows(ctx, AWS_SECRET, AWS_KEY_ID)


@test
def s3a_from_a_notebook_kernel_writes_and_reads_parquet_and_delta(ctx):
    """The kernel's own `spark` (no builder) with the keys and endpoint in the container's
    environment, MMLSPARK_TABLE_FORMATS=delta: parquet and a Delta table on s3a://."""
    cell = ("base = 's3a://%s/notebook-' + spark.sparkContext.applicationId\n"
            "spark.range(100).write.parquet(base + '/parquet')\n"
            "print('RESULT parquet', spark.read.parquet(base + '/parquet').count())\n"
            "spark.range(10).write.format('delta').save(base + '/delta')\n"
            "spark.sql('DELETE FROM delta.`%%s/delta` WHERE id < 3' %% base)\n"
            "print('RESULT delta', spark.read.format('delta').load(base + '/delta').count())\n"
            "print('RESULT history', spark.sql('DESCRIBE HISTORY delta.`%%s/delta`' %% base).count())" % BUCKET)
    text, _ = notebook_offline(ctx, [cell], docker_args=(
        "--network", env["net"], "-e", "ACCEPT_EULA=yes", *s3_env(
            "-e", "AWS_ACCESS_KEY_ID=" + AWS_KEY_ID, "-e", "AWS_SECRET_ACCESS_KEY=" + AWS_SECRET)))
    r = dict(line.split(" ", 2)[1:] for line in text.splitlines() if line.startswith("RESULT "))
    check((r.get("parquet"), r.get("delta"), r.get("history")) == ("100", "7", "2"), "read back: %r" % r)
    check(AWS_SECRET not in ctx["output"], "the secret key shows in the notebook")


@test
def s3a_with_a_profile_file_writes_and_reads(ctx):
    home = tempfile.mkdtemp(prefix="mmlspark-data-aws-")
    ctx["cleanup"] = home
    with open(os.path.join(home, "credentials"), "w") as f:
        f.write("[analytics]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (AWS_KEY_ID, AWS_SECRET))
    os.chmod(home, 0o755)
    os.chmod(os.path.join(home, "credentials"), 0o644)
    rc, out, r = spark_job(ctx, "s3.py", BUCKET, docker_args=s3_env(
        "-v", home + ":/home/mmlspark/.aws:ro", "-e", "AWS_PROFILE=analytics"))
    check(rc == 0, "spark-submit exited %d: %s" % (rc, out[-2000:]))
    check(r.get("parquet") == "100" and r.get("delta") == "15", "read back: %r" % r)
    no_secret_shows(ctx, AWS_SECRET)


@test
def s3a_without_credentials_is_refused_with_one_clear_error(ctx):
    rc, out, r = spark_job(ctx, "s3.py", BUCKET, "--expect-refusal", docker_args=s3_env())
    check(rc == 0, "spark-submit exited %d: %s" % (rc, out[-2000:]))
    why = r.get("refused", "")
    check("No AWS Credentials provided" in why, "the error does not say credentials are missing: %r" % why)


@test
def wasb_with_an_account_key_writes_and_reads(ctx):
    rc, out, r = spark_job(ctx, "azure.py", ACCOUNT, "write", docker_args=(
        "-e", "AZURE_STORAGE_ACCOUNT=" + ACCOUNT, "-e", "AZURE_STORAGE_KEY=" + AZURE_KEY))
    check(rc == 0, "spark-submit exited %d: %s" % (rc, out[-2000:]))
    check(r.get("wasb_parquet") == "100", "read back: %r" % r)
    no_secret_shows(ctx, AZURE_KEY)


@test
def wasb_with_a_sas_token_reads_and_a_public_container_reads_anonymously(ctx):
    """The SAS token named as ${env.NAME} (docs/data.md): its value is in no command line. It
    reads a private container; writes are not tried: Azurite answers WASB's SAS-signed block
    writes with 500 (its emulation, not the token: the same writes with the account key pass)."""
    rc, out, r = spark_job(ctx, "azure.py", ACCOUNT, "read", "public", docker_args=(
        "-e", "AZURE_STORAGE_SAS_TOKEN=" + env["sas"], "-e",
        "SPARK_SUBMIT_OPTS=-Dspark.hadoop.fs.azure.sas.data.%s.blob.core.windows.net="
        "${env.AZURE_STORAGE_SAS_TOKEN}" % ACCOUNT))
    check(rc == 0, "spark-submit exited %d: %s" % (rc, out[-2000:]))
    check(r.get("private_rows") == "120", "SAS read of the private container: %r" % r)
    check(r.get("public_rows") == "120", "anonymous read of the public container: %r" % r)
    sig = urllib.parse.unquote([p for p in env["sas"].split("&") if p.startswith("sig=")][0][4:])
    no_secret_shows(ctx, sig)


@test
def tables_delta_and_iceberg_offline_by_one_setting(ctx):
    rc, out, r = spark_job(ctx, "tables.py", network="none", docker_args=(
        "-e", "MMLSPARK_TABLE_FORMATS=delta,iceberg", "-w", "/tmp"))
    check(rc == 0, "spark-submit exited %d: %s" % (rc, out[-2000:]))
    check((r.get("delta_rows"), r.get("delta_history"), r.get("delta_v0")) == ("15", "2", "10"),
          "Delta: rows, history, version 0: %r" % r)
    check((r.get("iceberg_rows"), r.get("iceberg_snapshots")) == ("3", "1"), "Iceberg: %r" % r)
    check(r.get("abfs_class_missing") == "False", "abfss:// has no file system class: %r" % r)


def notebook_offline(ctx, cells=None, path=None, allow_errors=False, timeout=300, docker_args=("--network", "none")):
    """Runs a notebook headless (nbconvert --execute) in a fresh container, `--network none`
    unless DOCKER_ARGS say otherwise: CELLS (code cells' sources) sent on stdin, or PATH, a
    notebook in the image (relative to /notebooks). Returns (all stream outputs' text, the
    outputs). An error output fails the test unless ALLOW_ERRORS."""
    name = "mmlspark-data-%d-%s" % (os.getpid(), ctx["test"])
    ctx.setdefault("containers", []).append(name)
    if cells is not None:
        nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                         "source": c} for c in cells],
              "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
              "nbformat": 4, "nbformat_minor": 5}
        data, path = json.dumps(nb).encode(), "/tmp/t.ipynb"
    rc, out = docker("run", "-i", "--name", name, *docker_args, image, "bash", "-c",
                     ("cat > /tmp/t.ipynb && " if cells is not None else "") +
                     "jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=240 "
                     + ("--allow-errors " if allow_errors else "") +
                     "--output /tmp/out.ipynb %s >/dev/null 2>&1; rc=$?; cat /tmp/out.ipynb; exit $rc" % path,
                     input=data if cells is not None else None, timeout=timeout)
    ctx["output"] = out
    check(rc == 0 and "{" in out, "nbconvert exited %d: %s" % (rc, out[-2000:]))
    outputs = [o for c in json.loads(out[out.index("{"):])["cells"] for o in c.get("outputs", [])]
    text = "".join("".join(o.get("text", "")) for o in outputs)
    if not allow_errors:
        errors = [o.get("evalue", "")[:300] for o in outputs if o["output_type"] == "error"]
        check(not errors, "a cell failed: %s; output: %s" % (errors, text[-800:]))
    return text, outputs


def runnable_blocks():
    """The code blocks of README.md and docs/*.md marked `<!-- runnable: notebook -->` (the line
    before the fence): [(page, first line, code)]. Each must run in an offline notebook of the
    image (tests: docs_runnable_blocks_run_offline_in_a_notebook)."""
    import glob
    import re
    found = []
    top = os.path.join(HERE, "..", "..")
    for page in [os.path.join(top, "README.md")] + sorted(glob.glob(os.path.join(top, "docs", "*.md"))):
        with open(page) as f:
            text = f.read()
        for m in re.finditer(r"<!-- runnable: notebook -->\n```python\n(.*?)\n```", text, re.S):
            found.append((os.path.relpath(page, top), m.group(1).splitlines()[0], m.group(1)))
    return found


# What the test adds after a block whose first line names it, to see it did what it says.
BLOCK_CHECKS = {
    "Delta": "spark.range(0, 5).write.format('delta').save('/tmp/delta-table')\n"
             "spark.range(5, 10).write.format('delta').mode('overwrite').save('/tmp/delta-table')\n"
             "from delta.tables import DeltaTable\n"
             "print('RESULT history', DeltaTable.forPath(spark, '/tmp/delta-table').history().count())\n"
             "print('RESULT v0_first', spark.read.format('delta').option('versionAsOf', 0)"
             ".load('/tmp/delta-table').orderBy('id').first()[0])",
    "Iceberg": "spark.sql('CREATE TABLE local.db.table (id bigint, data string) USING iceberg')\n"
               "spark.sql(\"INSERT INTO local.db.table VALUES (1, 'a'), (2, 'b')\")\n"
               "print('RESULT iceberg_rows', spark.table('local.db.table').count())",
}


@test
def docs_runnable_blocks_run_offline_in_a_notebook(ctx):
    """Every block the docs mark runnable (Delta's and Iceberg's documented builders among them,
    docs/data.md), each followed by `spark.stop()`, in one notebook of an offline container:
    each session launches its JVM with its packages, resolved offline from the image's
    repositories. About 60 s."""
    blocks = runnable_blocks()
    names = [first for _, first, _ in blocks]
    check(any(n.startswith("# Delta") for n in names) and any(n.startswith("# Iceberg") for n in names),
          "docs/data.md has no runnable Delta and Iceberg blocks: %r" % names)
    cells = []
    for _, first, code in blocks:
        extra = [v for k, v in BLOCK_CHECKS.items() if first.startswith("# " + k)]
        cells += [code] + extra + ["spark.stop()"]
    text, _ = notebook_offline(ctx, cells, timeout=600)
    r = dict(line.split(" ", 2)[1:] for line in text.splitlines() if line.startswith("RESULT "))
    check(r.get("history") == "2" and r.get("v0_first") == "0", "Delta in the notebook: %r" % r)
    check(r.get("iceberg_rows") == "2", "Iceberg in the notebook: %r" % r)
    print("    %d runnable blocks: %s" % (len(blocks), ", ".join("%s: %s" % (p, f) for p, f, _ in blocks)))


@test
def synapseml_data_notebook_says_in_one_line_what_to_do_offline(ctx):
    text, _ = notebook_offline(ctx, path="synapseml-data.ipynb")
    # the kernel's own lines (the JVM starting, the Spark UI's address) aside
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith(("mmlspark: ", "Spark UI of this kernel"))]
    check(len(lines) == 1 and lines[0].startswith("No network to Azure Blob Storage") and "HTTPS_PROXY" in lines[0],
          "the notebook's output offline: %r" % lines)


@test
def packages_unresolvable_offline_say_in_the_cell_what_to_set(ctx):
    """A notebook's builder asking for a package the image lacks, with no network: besides Spark's
    own error, one line in the cell names HTTPS_PROXY and MMLSPARK_MAVEN_MIRROR."""
    cell = ("from pyspark.sql import SparkSession\n"
            "spark = SparkSession.builder.config('spark.jars.packages', 'org.example:absent:1.0').getOrCreate()")
    text, outputs = notebook_offline(ctx, [cell], allow_errors=True)
    hint = [l for l in text.splitlines() if "MMLSPARK_MAVEN_MIRROR" in l]
    check(len(hint) == 1 and "HTTPS_PROXY" in hint[0], "the cell's output: %r" % text[-1500:])
    check([o for o in outputs if o["output_type"] == "error"], "the builder did not fail")


def serve_maven_repo():
    """org.example:hello:1.0 in a Maven layout, served over HTTP on the gateway; its URL."""
    if "mirror" in env:
        return env["mirror"]
    if maven.missing_tools():
        host_lacks("openjdk-17-jdk-headless", "javac/jar missing: %s" % maven.missing_tools())
    root = tempfile.mkdtemp(prefix="mmlspark-data-m2-")
    atexit.register(shutil.rmtree, root, True)
    maven.build_hello_repo(os.path.join(root, "repo"), os.path.join(root, "work"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=os.path.join(root, "repo"))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer((env["gw"], 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    env["mirror"] = "http://%s:%d/" % (env["gw"], httpd.server_address[1])
    return env["mirror"]


@test
def packages_resolve_from_the_mirror_setting(ctx):
    mirror = serve_maven_repo()
    rc, out, r = spark_job_packages(ctx, mirror)
    check(rc == 0, "spark-submit exited %d: %s" % (rc, out[-2000:]))
    check(r.get("greet") == "hello from the jar, mirror", "the mirror's package: %r" % r)


def spark_job_packages(ctx, mirror, *extra):
    """jobs/hello.py with --packages org.example:hello:1.0 and MMLSPARK_MAVEN_MIRROR=MIRROR."""
    return spark_job(ctx, "hello.py", docker_args=("-e", "MMLSPARK_MAVEN_MIRROR=" + mirror) + extra,
                     packages=maven.COORDINATE, timeout=240)


@test
def packages_resolve_through_a_proxy(ctx):
    tinyproxy = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"
    if not os.access(tinyproxy, os.X_OK):
        host_lacks("tinyproxy", "tinyproxy is not installed")
    mirror = serve_maven_repo()
    port = free_port(env["gw"])
    conf = os.path.join(ARTIFACTS, "tinyproxy.conf")
    log = os.path.join(ARTIFACTS, "tinyproxy.log")
    with open(conf, "w") as f:
        f.write("Port %d\nListen %s\nTimeout 60\nLogFile \"%s\"\nLogLevel Connect\nMaxClients 20\n"
                "Allow %s/16\n" % (port, env["gw"], log, env["gw"]))
    open(log, "w").close()
    os.chmod(log, 0o666)
    start("tinyproxy", [tinyproxy, "-d", "-c", conf], port)
    rc, out, r = spark_job_packages(ctx, mirror, "-e", "HTTP_PROXY=http://%s:%d" % (env["gw"], port))
    check(rc == 0, "spark-submit exited %d: %s" % (rc, out[-2000:]))
    check(r.get("greet") == "hello from the jar, mirror", "the package through the proxy: %r" % r)
    with open(log) as f:
        seen = f.read()
    check("hello-1.0" in seen, "the proxy saw no request for the package: %r" % seen[-600:])


def after(name, ctx, outcome):
    if outcome == "FAIL":
        save_log(ARTIFACTS, name, "output", ctx.get("output", ""))
    for c in ctx.get("containers", []):
        docker("rm", "-f", c, timeout=60)
    if ctx.get("cleanup"):
        shutil.rmtree(ctx["cleanup"], True)


def main():
    global image
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("-k", default="")
    a = ap.parse_args()
    image = a.image
    os.makedirs(ARTIFACTS, exist_ok=True)
    start_servers(a.cache)
    tests = []
    for fn in TESTS:
        def bound(ctx, fn=fn):
            ctx["test"] = fn.__name__.replace("_", "-")[:40]
            fn(ctx)
        bound.__name__ = fn.__name__
        tests.append(bound)
    return run_tests(tests, a.k, after)


if __name__ == "__main__":
    sys.exit(main())
