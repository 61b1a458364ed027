"""spark-submit job of tests/data, offline (`--network none`), with MMLSPARK_TABLE_FORMATS set:
a Delta table (write, append, DESCRIBE HISTORY, time travel) in spark_catalog and an Iceberg
table (create, insert, select) in the `iceberg` Hadoop catalog, with no builder settings of its
own; then the error an abfss:// path gives with no network (not a missing class)."""
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("data-tables").getOrCreate()
spark.range(10).write.format("delta").saveAsTable("people")
spark.range(5).write.format("delta").mode("append").saveAsTable("people")
print("RESULT delta_rows", spark.table("people").count())
print("RESULT delta_history", spark.sql("DESCRIBE HISTORY people").count())
print("RESULT delta_v0", spark.sql("SELECT * FROM people VERSION AS OF 0").count())
spark.sql("CREATE TABLE iceberg.db.events (id BIGINT, what STRING) USING iceberg")
spark.sql("INSERT INTO iceberg.db.events VALUES (1, 'a'), (2, 'b'), (3, 'c')")
print("RESULT iceberg_rows", spark.sql("SELECT count(*) FROM iceberg.db.events").first()[0])
print("RESULT iceberg_snapshots", spark.sql("SELECT * FROM iceberg.db.events.snapshots").count())
try:
    spark.read.parquet("abfss://data@nowhere.dfs.core.windows.net/x").count()
except Exception as e:  # noqa: BLE001
    text = str(e)
    print("RESULT abfs_class_missing", "ClassNotFound" in text or "No FileSystem for scheme" in text)
spark.stop()
