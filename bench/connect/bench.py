#!/usr/bin/env python3
"""bench/connect/bench.py - what a Spark Connect server of the image saves a thin client.

Side by side, alternating, N runs each (medians, min/max, ratios):
  thin      a thin client (pyspark[connect] of tests/cluster/connect_client.sh, this machine's
            Python, no JVM) against a running SPARK_MODE=connect container of IMAGE (local[*]),
            which has already served one query: host wall clock from `python3` started to the
            result of `spark.range(1000).count()`
  pyspark   the anchor: the same count in a fresh `python3` with plain pyspark in an idle
            container of IMAGE (docker exec; the clock starts in the container's shell just
            before python3, the result line carries the time it was printed)
Also, once: the thin client's first count against a server that has served nothing yet (a
server's own first query), each side's import time (`import` of the session module) and memory at
the result: the client's Pss and private pages (smaps_rollup), against plain pyspark's Python
plus its JVM.
Usage: bench.py --image IMAGE --client VENV --label LABEL [-n N]   Not a test: prints numbers.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

COUNT = r"""
import sys, time
t0 = time.time()
if sys.argv[1] == "thin":
    from pyspark.sql.connect.session import SparkSession
    t1 = time.time()
    spark = SparkSession.builder.remote(sys.argv[2]).create()
else:
    from pyspark.sql import SparkSession
    t1 = time.time()
    spark = SparkSession.builder.master("local[*]").getOrCreate()
n = spark.range(1000).count()
done = time.time()
def rollup(pid):
    out = {}
    try:
        for line in open("/proc/%s/smaps_rollup" % pid):
            k, v = line.split(":", 1)
            if k in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
                out[k] = int(v.split()[0])
    except OSError:
        pass
    return out
mem = [rollup("self")]
if sys.argv[1] != "thin":
    import subprocess
    kids = subprocess.run(["pgrep", "-P", str(__import__("os").getpid())], capture_output=True,
                          text=True).stdout.split()
    mem += [rollup(k) for k in kids]
tot = {k: sum(m.get(k, 0) for m in mem) for k in ("Rss", "Pss", "Private_Clean", "Private_Dirty")}
print("RESULT %d %.6f %.6f %d %d %d" % (n, done, t1 - t0, tot["Rss"], tot["Pss"],
                                        tot["Private_Clean"] + tot["Private_Dirty"]), flush=True)
"""


def sh(*args, timeout=300, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)


def result(out):
    m = re.search(r"^RESULT (\d+) ([\d.]+) ([\d.]+) (\d+) (\d+) (\d+)$", out, re.M)
    if not m or m.group(1) != "1000":
        raise SystemExit("no result: %s" % out[-1500:])
    return (float(m.group(2)), float(m.group(3)), int(m.group(4)), int(m.group(5)),
            int(m.group(6)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--client", required=True, help="the thin client's venv")
    ap.add_argument("--label", required=True)
    ap.add_argument("-n", type=int, default=5)
    a = ap.parse_args()
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):  # the finally below cleans up
        signal.signal(sig, lambda n, _f: sys.exit(128 + n))
    work = tempfile.mkdtemp(prefix="mmlspark-bench-connect.")
    server = "mmlspark-bench-connect-%d" % os.getpid()
    try:
        run(a, work, server)
    finally:
        sh("docker", "rm", "-f", server, server + "-pyspark", timeout=120)
        shutil.rmtree(work, ignore_errors=True)


def run(a, work, server):
    os.chmod(work, 0o755)
    script = os.path.join(work, "count.py")
    with open(script, "w") as f:
        f.write(COUNT)
    os.chmod(script, 0o644)
    secret = os.urandom(16).hex()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    anchor = server + "-pyspark"
    common = ["--label", a.label, "-e", "ACCEPT_EULA=yes"]
    p = sh("docker", "run", "-d", "--name", server, *common, "-e", "SPARK_MODE=connect",
           "-e", "SPARK_AUTH_SECRET=" + secret, "-p", "127.0.0.1:%d:15002" % port, a.image)
    if p.returncode:
        raise SystemExit("docker run the server: %s" % p.stderr)
    p = sh("docker", "run", "-d", "--name", anchor, *common, "--network", "none", "-v",
           "%s:/b:ro" % work, "--entrypoint", "sleep", a.image, "infinity")
    if p.returncode:
        raise SystemExit("docker run the anchor's container: %s" % p.stderr)
    deadline = time.time() + 180
    while sh("docker", "exec", server, "mmlspark-healthcheck").returncode != 0:
        if time.time() > deadline:
            raise SystemExit("the server is not healthy within 180 s: %s"
                             % sh("docker", "logs", server).stderr[-1500:])
        time.sleep(1)
    cert = os.path.join(work, "cert.pem")
    with open(cert, "w") as f:
        f.write(sh("docker", "exec", server, "cat", "/tmp/spark-connect/cert.pem").stdout)
    url = "sc://127.0.0.1:%d/;token=%s" % (port, secret)
    env = dict(os.environ, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=cert)
    env.pop("JAVA_HOME", None)
    env["PATH"] = "/usr/bin:/bin"  # the client needs no java: none on its PATH
    py = os.path.join(a.client, "bin", "python3")

    def thin():
        t0 = time.time()
        p = sh(py, script, "thin", url, env=env)
        done, imp, rss, pss, priv = result(p.stdout + p.stderr)
        return done - t0, imp, rss, pss, priv

    def fresh():
        p = sh("docker", "exec", anchor, "sh", "-c",
               "date +%s.%N; exec python3 /b/count.py pyspark 2>/dev/null")
        t0 = float(p.stdout.split()[0])
        done, imp, rss, pss, priv = result(p.stdout)
        return done - t0, imp, rss, pss, priv

    first = thin()
    print("thin client, the server's first query: %.2f s (import %.2f s)" % (first[0], first[1]))
    res = {"thin": [], "pyspark": []}
    for i in range(a.n):
        for name, fn in (("pyspark", fresh), ("thin", thin)):
            r = fn()
            res[name].append(r)
            print("run %d %-8s %6.2f s  import %.2f s  Rss %6.0f MB  Pss %6.0f MB  private %6.0f MB  "
                  "load %s" % (i + 1, name, r[0], r[1], r[2] / 1024, r[3] / 1024, r[4] / 1024,
                               open("/proc/loadavg").read().split()[0]), flush=True)
    med = {k: [statistics.median(x[j] for x in v) for j in range(5)] for k, v in res.items()}
    print()
    print("medians of %d, %s" % (a.n, "python3 started -> range(1000).count() printed"))
    for k in ("thin", "pyspark"):
        t = [x[0] for x in res[k]]
        print("  %-8s %6.2f s (min %.2f, max %.2f)  import %.2f s  Pss %.0f MB  private %.0f MB"
              % (k, med[k][0], min(t), max(t), med[k][1], med[k][3] / 1024, med[k][4] / 1024))
    print("ratio thin / pyspark: time %.3f (target <= 0.25: %s), import %.2f, Pss %.2f, "
          "private %.2f" % (med["thin"][0] / med["pyspark"][0],
                            "met" if med["thin"][0] / med["pyspark"][0] <= 0.25 else "NOT met",
                            med["thin"][1] / med["pyspark"][1], med["thin"][3] / med["pyspark"][3],
                            med["thin"][4] / med["pyspark"][4]))
    stats = sh("docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", server).stdout.strip()
    print("the server container's memory (docker stats): %s" % stats)


if __name__ == "__main__":
    sys.exit(main())
