#!/usr/bin/env python3
"""dump.py - class-data sharing for the notebook kernels' Spark: runs a notebook's usual first
work (a session, a DataFrame from Python rows, an aggregate, SQL) in a driver JVM launched as the
kernels launch it, and has the JVM write the classes it loaded into the kernels' archive
(mmlspark_kernel.CDS_ARCHIVE, a dynamic CDS archive: -XX:ArchiveClassesAtExit) when it exits;
the JVM of spark-submit's launcher (which only prints the driver's command) writes
mmlspark_kernel.CDS_LAUNCHER_ARCHIVE. The kernels' JVMs map them (-XX:SharedArchiveFile) and
skip loading and verifying those classes.

The archive holds classes of the class path entries up to the last one it used, and a JVM uses
it only with the same entries first, in the same order: Spark's jars (/opt/spark/jars/*, first
in spark.driver.extraClassPath), so that SynapseML's jars and the configuration directory
(/opt/spark/conf: a directory a CDS archive cannot cover) come after them. Run at image build, as
the last change to Spark's jars and the JVM."""
import os
import subprocess
import sys
import time

from mmlspark_kernel import CDS_ARCHIVE, CDS_LAUNCHER_ARCHIVE, SPARK_JARS


def main():
    if len(sys.argv) != 1:
        print("usage: dump.py", file=sys.stderr)
        return 64
    archive, launcher = CDS_ARCHIVE, CDS_LAUNCHER_ARCHIVE
    os.environ["SPARK_SUBMIT_OPTS"] = ("-XX:ArchiveClassesAtExit=%s -Xlog:cds=error %s" % (
        archive, os.environ.get("SPARK_SUBMIT_OPTS", ""))).strip()
    # the launcher's output is the driver's command: no log line of the JVM's may go there
    os.environ["SPARK_LAUNCHER_OPTS"] = ("-XX:ArchiveClassesAtExit=%s -Xlog:cds=off "
                                         "-Xlog:cds+dynamic=off" % launcher)
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
    for path in (archive, launcher):
        if rc != 0 or not os.path.isfile(path):
            print("dump.py: the driver ended with %d; no %s" % (rc, path), file=sys.stderr)
            return 1
        os.chmod(path, 0o444)
        print("dump.py: %s, %.1f MB" % (path, os.path.getsize(path) / 1e6))
    print("dump.py: %.0f s" % (time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
