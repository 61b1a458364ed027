"""Shared by lightgbm_both_workers.py (spark-submit) and lightgbm_notebook.ipynb (a kernel):
SynapseML's LightGBMClassifier fit on the cluster on scikit-learn's breast cancer data (offline),
repartitioned so that both executors train, evaluated on a held-out split; then the application
(and its REST API) stays up until the test has looked at it."""
import json
import os
import socket
import time

CHECKED = "/tmp/lightgbm-checked"      # the test creates it once it has looked
RESULT_FILE = "/tmp/lightgbm-result.json"


def outside():
    """How connections out of the Docker network end (none may succeed)."""
    seen = {}
    for host, port in (("repo1.maven.org", 443), ("1.1.1.1", 443)):
        try:
            socket.create_connection((host, port), timeout=3).close()
            seen[host] = "connected"
        except OSError as e:
            seen[host] = "%s: %s" % (type(e).__name__, e)
    return seen


def executor_count(sc):
    driver = sc.getConf().get("spark.driver.host")
    keys = sc._jsc.sc().getExecutorMemoryStatus().keySet().iterator()
    n = 0
    while keys.hasNext():
        n += not keys.next().startswith(driver + ":")
    return n


def train_and_evaluate(spark, sc, executors=2, timeout=240):
    t_start = time.monotonic()
    steps = {}

    def step(name):
        steps[name] = round(time.monotonic() - t_start, 1)
        print("STEP %s" % json.dumps({name: steps[name]}), flush=True)

    while executor_count(sc) < executors:
        if time.monotonic() - t_start > timeout:
            raise RuntimeError("only %d of %d executors registered within %d s"
                               % (executor_count(sc), executors, timeout))
        time.sleep(0.25)
    step("executors registered")

    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.ml.feature import VectorAssembler
    from sklearn.datasets import load_breast_cancer
    from synapse.ml.lightgbm import LightGBMClassifier

    # pandas -> Spark through Arrow: the data reaches the executors' JVMs without Python workers
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    pdf = load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
    features = [c for c in pdf.columns if c != "target"]
    df = VectorAssembler(inputCols=features, outputCol="features").transform(
        spark.createDataFrame(pdf))
    train, test = df.randomSplit([0.8, 0.2], seed=7)
    train = train.repartition(executors).cache()  # one partition per executor (1 core each)
    test = test.cache()
    n_train, n_test = train.count(), test.count()
    step("data on the executors")

    lgbm = LightGBMClassifier(objective="binary", labelCol="target", featuresCol="features",
                              numIterations=50, numLeaves=15, learningRate=0.1, verbosity=-1)
    sc.setJobGroup("lightgbm-fit", "LightGBMClassifier.fit")
    t0 = time.monotonic()
    model = lgbm.fit(train)
    fit_seconds = time.monotonic() - t0
    step("fitted")
    sc.setJobGroup("evaluate", "evaluation")
    scored = model.transform(test).cache()
    auc = BinaryClassificationEvaluator(labelCol="target", rawPredictionCol="rawPrediction",
                                        metricName="areaUnderROC").evaluate(scored)
    right = scored.filter("prediction = target").count()
    sc.setLocalProperty("spark.jobGroup.id", None)
    step("evaluated")
    return {
        "app_id": sc.applicationId,
        "master": sc.master,
        "executors": executor_count(sc),
        "train_rows": n_train,
        "test_rows": n_test,
        "train_partitions": train.rdd.getNumPartitions(),
        "fit_seconds": round(fit_seconds, 2),
        "auc": round(auc, 4),
        "accuracy": round(right / n_test, 4),
        "trees": model.getBoosterNumTotalIterations(),
        "jars": sc.getConf().get("spark.jars", ""),
        "executor_class_path": sc.getConf().get("spark.executor.extraClassPath", ""),
        "packages": sc.getConf().get("spark.jars.packages", ""),
        "outside": outside(),
        "steps": steps,
    }


def hand_over(result, timeout=180):
    """RESULT (stdout and RESULT_FILE), then wait until the test has looked (bounded)."""
    text = json.dumps(result, sort_keys=True)
    print("RESULT " + text, flush=True)
    with open(RESULT_FILE + ".tmp", "w") as f:
        f.write(text)
    os.rename(RESULT_FILE + ".tmp", RESULT_FILE)
    deadline = time.monotonic() + timeout
    while not os.path.exists(CHECKED) and time.monotonic() < deadline:
        time.sleep(0.25)
    checked = os.path.exists(CHECKED)
    print("CHECKED" if checked else "NOT-CHECKED within %d s" % timeout, flush=True)
    return checked
