"""Shared by the test jobs: a SparkSession on the cluster, waiting for executors, result lines."""
import http.client
import json
import sys
import time

from pyspark.sql import SparkSession


def session(name):
    spark = SparkSession.builder.appName(name).getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark, spark.sparkContext


def executors(sc):
    """host:port of every block manager but the driver's."""
    status = sc._jsc.sc().getExecutorMemoryStatus()
    driver = sc.getConf().get("spark.driver.host")
    keys = status.keySet().iterator()
    found = []
    while keys.hasNext():
        k = keys.next()
        if not k.startswith(driver + ":"):
            found.append(k)
    return found


def wait_for_executors(sc, n, timeout=120):
    deadline = time.monotonic() + timeout
    while len(executors(sc)) < n:
        if time.monotonic() > deadline:
            sys.exit("only %d of %d executors registered within %d s" % (len(executors(sc)), n, timeout))
        time.sleep(0.25)
    return executors(sc)


def master_json(host="master", port=8080):
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.request("GET", "/json/")
    return json.loads(conn.getresponse().read())


def say(tag, value=None):
    print(tag if value is None else "%s %s" % (tag, json.dumps(value, sort_keys=True)), flush=True)
