"""On 2 executors: rows made on the executors (each row names the host that made it) written to
s3a:// as parquet, as a Delta table and into an Iceberg table whose warehouse is on S3
(MMLSPARK_TABLE_FORMATS=delta,iceberg, MMLSPARK_ICEBERG_WAREHOUSE=s3a://...), read back. The keys
and the endpoint come from the driver's environment only (the workers have none)."""
import socket
import sys

from common import say, session, wait_for_executors

bucket = sys.argv[1]
spark, sc = session("s3-tables")
wait_for_executors(sc, 2)
base = "s3a://%s/%s" % (bucket, sc.applicationId)


def made_here(it):
    import time
    time.sleep(0.5)  # long enough for both executors to take tasks
    return [(x, socket.gethostname()) for x in it]


df = spark.createDataFrame(sc.parallelize(range(200), 8).mapPartitions(made_here), "id long, host string")
df.write.parquet(base + "/parquet")
back = spark.read.parquet(base + "/parquet")
df.write.format("delta").save(base + "/delta")
spark.sql("CREATE TABLE iceberg.db.rows (id BIGINT, host STRING) USING iceberg")
df.writeTo("iceberg.db.rows").append()
say("RESULT", {
    "parquet_rows": back.count(),
    "parquet_hosts": sorted(r[0] for r in back.select("host").distinct().collect()),
    "delta_rows": spark.read.format("delta").load(base + "/delta").count(),
    "delta_hosts": sorted(r[0] for r in spark.read.format("delta").load(base + "/delta").select("host").distinct().collect()),
    "iceberg_rows": spark.table("iceberg.db.rows").count(),
    "iceberg_hosts": sorted(r[0] for r in spark.table("iceberg.db.rows").select("host").distinct().collect()),
})
spark.stop()
