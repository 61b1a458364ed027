#!/usr/bin/env python3
"""dump.py ARCHIVE - class-data sharing for the notebook kernels' Spark driver: runs a notebook's
usual first work (a session, a DataFrame from Python rows, an aggregate, SQL) in a driver JVM
launched as the kernels launch it, and has the JVM write the classes it loaded into ARCHIVE (a
dynamic CDS archive, -XX:ArchiveClassesAtExit) when it exits. The kernels' drivers map it
(-XX:SharedArchiveFile) and skip loading and verifying those classes again.

The archive holds classes of the class path entries up to the last one it used, and a JVM uses
it only with the same entries first, in the same order: Spark's jars (/opt/spark/jars/*, first
in spark.driver.extraClassPath), so that SynapseML's jars and the configuration directory
(/opt/spark/conf: a directory a CDS archive cannot cover) come after them. Run at image build, as
the last change to Spark's jars and the JVM."""
import os
import subprocess
import sys
import time

SPARK_JARS = "/opt/spark/jars/*"


def main():
    if len(sys.argv) != 2:
        print("usage: dump.py ARCHIVE", file=sys.stderr)
        return 64
    archive = sys.argv[1]
    os.environ["SPARK_SUBMIT_OPTS"] = ("-XX:ArchiveClassesAtExit=%s -Xlog:cds=error %s" % (
        archive, os.environ.get("SPARK_SUBMIT_OPTS", ""))).strip()
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    started = time.monotonic()
    spark = (SparkSession.builder.master("local[*]").appName("mmlspark-cds")
             .config("spark.driver.extraClassPath", SPARK_JARS)
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    df = spark.createDataFrame([(1, "a", 1.5), (2, "b", 2.5)], ["id", "name", "score"])
    assert df.groupBy("name").avg("score").count() == 2
    assert spark.range(1000).selectExpr("sum(id)").collect()[0][0] == 499500
    assert spark.sql("SELECT 1 AS one").toPandas()["one"][0] == 1
    gateway = SparkContext._gateway
    proc = gateway.proc
    spark.stop()
    try:  # a normal exit, which writes the archive (a killed JVM writes none)
        gateway.jvm.java.lang.System.exit(0)
    except Exception:  # noqa: BLE001 - the connection ends with the JVM
        pass
    rc = proc.wait(300)
    if rc != 0 or not os.path.isfile(archive):
        print("dump.py: the driver ended with %d and wrote no %s" % (rc, archive), file=sys.stderr)
        return 1
    os.chmod(archive, 0o444)
    print("dump.py: %s, %.1f MB, in %.0f s" % (archive, os.path.getsize(archive) / 1e6,
                                              time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
