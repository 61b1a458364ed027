"""SynapseML's LightGBMClassifier trained on the cluster (spark-submit --packages "$MML_PACKAGE",
resolved from the image, no network) on scikit-learn's breast cancer data, repartitioned so that
both executors train; evaluated on a held-out split. Says RESULT, then keeps the application (and
its REST API on port 4040) up until the test has looked at it: until /tmp/lightgbm-checked exists
or CHECK_TIMEOUT seconds have passed."""
import os
import socket
import time

from common import say, session, wait_for_executors

CHECK_TIMEOUT = 180
t_start = time.monotonic()
steps = {}


def step(name):
    steps[name] = round(time.monotonic() - t_start, 1)
    say("STEP", {name: steps[name]})


spark, sc = session("lightgbm-both-workers")
execs = wait_for_executors(sc, 2)
step("executors registered")


def outside():
    """How a connection out of the Docker network ends (it must not succeed)."""
    seen = {}
    for host, port in (("repo1.maven.org", 443), ("1.1.1.1", 443)):
        try:
            socket.create_connection((host, port), timeout=3).close()
            seen[host] = "connected"
        except OSError as e:
            seen[host] = "%s: %s" % (type(e).__name__, e)
    return seen


from pyspark.ml.evaluation import BinaryClassificationEvaluator  # noqa: E402
from pyspark.ml.feature import VectorAssembler  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from synapse.ml.lightgbm import LightGBMClassifier  # noqa: E402  (from the --packages jars)

pdf = load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
features = [c for c in pdf.columns if c != "target"]
df = VectorAssembler(inputCols=features, outputCol="features").transform(spark.createDataFrame(pdf))
train, test = df.randomSplit([0.8, 0.2], seed=7)
train = train.repartition(2).cache()  # one partition per executor (1 core each)
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

say("RESULT", {
    "app_id": sc.applicationId,
    "executors": len(execs),
    "train_rows": n_train,
    "test_rows": n_test,
    "train_partitions": train.rdd.getNumPartitions(),
    "fit_seconds": round(fit_seconds, 2),
    "auc": round(auc, 4),
    "accuracy": round(right / n_test, 4),
    "trees": model.getBoosterNumTotalIterations(),
    "outside": outside(),
    "steps": steps,
})
deadline = time.monotonic() + CHECK_TIMEOUT
while not os.path.exists("/tmp/lightgbm-checked") and time.monotonic() < deadline:
    time.sleep(0.25)
say("CHECKED" if os.path.exists("/tmp/lightgbm-checked") else "NOT-CHECKED")
spark.stop()
