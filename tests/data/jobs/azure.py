"""spark-submit job of tests/data: with "write", parquet written to and read back from
wasb://data@ACCOUNT.blob.core.windows.net; with "read", a CSV of that private container; with "public", a CSV of a public container read
anonymously, the way SynapseML's examples read theirs. Then the Spark UI's environment and `ps`."""
import subprocess
import sys
import urllib.request

from pyspark.sql import SparkSession

account, modes = sys.argv[1], sys.argv[2:]
spark = SparkSession.builder.appName("data-azure").getOrCreate()
sc = spark.sparkContext
if "write" in modes:
    path = "wasb://data@%s.blob.core.windows.net/%s/parquet" % (account, sc.applicationId)
    spark.range(100).selectExpr("id", "id * 3 AS thrice").write.parquet(path)
    print("RESULT wasb_parquet", spark.read.parquet(path).count(), flush=True)
if "read" in modes:
    df = spark.read.csv("wasb://data@%s.blob.core.windows.net/private.csv" % account, header=True)
    print("RESULT private_rows", df.count(), flush=True)
if "public" in modes:
    df = spark.read.csv("wasb://public@%s.blob.core.windows.net/adult.csv" % account, header=True)
    print("RESULT public_rows", df.count(), flush=True)
url = "%s/api/v1/applications/%s/environment" % (sc.uiWebUrl, sc.applicationId)
print("UI-ENVIRONMENT", urllib.request.urlopen(url, timeout=30).read().decode())
print("PS", subprocess.run(["ps", "auxww"], capture_output=True, text=True).stdout)
spark.stop()
