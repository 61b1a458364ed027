"""spark-submit job of tests/data: parquet and a Delta table written to and read back from
s3a://BUCKET; with "--expect-refusal", prints the error S3A gives instead. Then prints the Spark
UI's environment (its REST API) and `ps`, where the test looks for the secrets it used."""
import subprocess
import sys
import urllib.request

from pyspark.sql import SparkSession

bucket, mode = sys.argv[1], sys.argv[2:]
spark = SparkSession.builder.appName("data-s3").getOrCreate()
sc = spark.sparkContext
base = "s3a://%s/%s" % (bucket, sc.applicationId)
try:
    spark.range(100).selectExpr("id", "id * 2 AS twice").write.parquet(base + "/parquet")
    print("RESULT parquet", spark.read.parquet(base + "/parquet").count(), flush=True)
    spark.range(10).write.format("delta").save(base + "/delta")
    spark.range(5).write.format("delta").mode("append").save(base + "/delta")
    print("RESULT delta", spark.read.format("delta").load(base + "/delta").count())
    print("RESULT delta_v0", spark.read.format("delta").option("versionAsOf", 0).load(base + "/delta").count())
except Exception as e:  # noqa: BLE001 - the error a user sees is what the test reads
    if "--expect-refusal" not in mode:
        raise
    java = getattr(e, "java_exception", None)  # what the JVM said, without py4j's wrapper line
    print("RESULT refused", (java.toString() if java is not None else str(e)).splitlines()[0][:400])
url = "%s/api/v1/applications/%s/environment" % (sc.uiWebUrl, sc.applicationId)
print("UI-ENVIRONMENT", urllib.request.urlopen(url, timeout=30).read().decode())
print("PS", subprocess.run(["ps", "auxww"], capture_output=True, text=True).stdout)
spark.stop()
