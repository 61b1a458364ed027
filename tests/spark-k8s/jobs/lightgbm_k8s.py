"""SynapseML's LightGBMClassifier trained on two executors (scikit-learn's breast cancer data, no
network needed), evaluated on a held-out split; prints one "RESULT {json}" line and exits with
--exit-code (default 0): the test checks that status arrives where Spark reports it.
--shipped NAME: a file given with --files, looked up on the executors as a class-path resource.
--pause-for-kill: first a slow stage (after a "MARK kill-now" line) during which the test kills
an executor, then another (after "MARK decommission-now") during which it deletes an executor's
pod (graceful decommission); the job waits for the replacements before training."""
import argparse
import json
import socket
import sys
import time

from pyspark.sql import SparkSession


def executor_ids(sc):
    """The ids of the executors registered with the scheduler (a decommissioned one until it
    exits)."""
    it, found = sc._jsc.sc().getExecutorIds().iterator(), set()
    while it.hasNext():
        found.add(it.next())
    return found


def executors(sc):
    return len(executor_ids(sc))


def wait_executors(sc, n, timeout, unlike=None):
    """Until N executors are registered (and, with UNLIKE, not that set: an executor that is
    leaving, decommissioned, stays registered until it exits, and its replacement comes after)."""
    def ready():
        ids = executor_ids(sc)
        return len(ids) >= n if unlike is None else (len(ids) == n and ids != unlike)
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError("only %d of %d executors within %d s" % (executors(sc), n, timeout))
        time.sleep(0.25)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pause-for-kill", action="store_true")
    ap.add_argument("--exit-code", type=int, default=0)
    ap.add_argument("--shipped", default="", help="a --files name to look up as a resource")
    opts = ap.parse_args()
    # no locality wait: the two training partitions go to the two idle executors at once (with
    # Spark's 3 s wait, both could go to the one holding more of the shuffle's output)
    t0 = time.monotonic()
    spark = SparkSession.builder.appName("lightgbm-k8s").config("spark.locality.wait", "0").getOrCreate()
    sc = spark.sparkContext
    # the driver's heap (the pod's driver: Spark's default 1g, not a share of the pod's limit)
    result = {"app_id": sc.applicationId,
              "driver_heap_mib": sc._jvm.java.lang.Runtime.getRuntime().maxMemory() // 2**20,
              "t_session": time.monotonic() - t0}
    wait_executors(sc, 2, 300)
    result["t_executors"] = time.monotonic() - t0 - result["t_session"]
    result["registered_at"] = time.time()  # epoch: the bench sets it against the pods' start
    if opts.pause_for_kill:
        print("MARK kill-now", flush=True)
        slow = sc.parallelize(range(4), 4).map(lambda x: (time.sleep(8), x * x)[1]).collect()
        result["slow_stage"] = sum(slow)
        wait_executors(sc, 2, 300)  # the killed executor's replacement
        before = executor_ids(sc)
        print("MARK decommission-now", flush=True)
        slow = sc.parallelize(range(4), 4).map(lambda x: (time.sleep(8), x + 1)[1]).collect()
        result["decommission_stage"] = sum(slow)
        # the decommissioned executor gone and its replacement registered: two, not the same two
        wait_executors(sc, 2, 300, unlike=before)
    result["executors_at_fit"] = executors(sc)

    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.ml.feature import VectorAssembler
    from sklearn.datasets import load_breast_cancer
    from synapse.ml.lightgbm import LightGBMClassifier

    pdf = load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
    features = [c for c in pdf.columns if c != "target"]
    df = VectorAssembler(inputCols=features, outputCol="features").transform(
        spark.createDataFrame(pdf))
    train, test = df.randomSplit([0.8, 0.2], seed=7)
    train = train.repartition(2).cache()
    result["train_hosts"] = sorted(set(
        train.rdd.mapPartitions(lambda _: (time.sleep(1), [socket.gethostname()])[1]).collect()))
    model = LightGBMClassifier(objective="binary", labelCol="target", numIterations=20,
                               numLeaves=15, verbosity=-1).fit(train)
    result["auc"] = BinaryClassificationEvaluator(labelCol="target").evaluate(model.transform(test))
    # Python workers on the executors import SynapseML from the image (no --py-files).
    result["worker_synapseml"] = sorted(set(sc.parallelize(range(2), 2).map(
        lambda _: __import__("synapse.ml.lightgbm", fromlist=["x"]).__file__).collect()))
    # the connectors and table formats are on the executors' class path (docs/data.md): each class
    # loaded by Class.forName in a task on every executor
    classes = ["org.apache.hadoop.fs.s3a.S3AFileSystem", "org.apache.hadoop.fs.azure.NativeAzureFileSystem",
               "org.apache.hadoop.fs.azurebfs.SecureAzureBlobFileSystem", "io.delta.sql.DeltaSparkSessionExtension",
               "org.apache.iceberg.spark.SparkCatalog"]
    probe = spark.range(0, 2, 1, 2).selectExpr(
        *["reflect('java.lang.Class', 'forName', '%s') AS c%d" % (c, i) for i, c in enumerate(classes)])
    result["executor_classes"] = sorted({v.split(" ", 1)[1] for row in probe.collect() for v in row})
    # a file shipped with --files lands in the executor's working directory, which is on its class
    # path (as in Spark's image): the class loader finds it as a resource
    if opts.shipped:
        found = spark.range(0, 2, 1, 2).selectExpr(
            "reflect('java.lang.ClassLoader', 'getSystemResource', '%s')" % opts.shipped).collect()
        result["shipped_resource"] = sorted({str(row[0]) for row in found})
    result["t_job"] = time.monotonic() - t0 - result["t_session"] - result["t_executors"]
    print("RESULT " + json.dumps(result), flush=True)
    spark.stop()
    sys.exit(opts.exit_code)


if __name__ == "__main__":
    main()
