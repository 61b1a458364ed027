#!/usr/bin/env python3
"""spark_classpath.py - build time: the one decision of which resolved jars go on Spark's class
path. Rewrites CLASSPATH (one jar a line: resolve.sh's SynapseML or connectors list) to the jars
whose artifact Spark's own jars/ lacks: on the class path a second version of an artifact Spark
has would come before Spark's (SynapseML's slf4j-api 1.7 silences Spark's log), and with
--packages Spark's win anyway. The notebook kernels, the Kubernetes executor and the connectors'
links in jars/ read the result as it is.
Usage: spark_classpath.py SPARK_JARS_DIR CLASSPATH_FILE
"""
import os
import sys


def artifact_of(jar):
    """The artifact name of a jar file name: slf4j-api-1.7.36.jar -> slf4j-api."""
    words = []
    for word in os.path.basename(jar)[:-len(".jar")].split("-"):
        if word[:1].isdigit():
            break
        words.append(word)
    return "-".join(words)


def main(spark_jars, path):
    spark_has = {artifact_of(j) for j in os.listdir(spark_jars) if j.endswith(".jar")}
    with open(path) as f:
        jars = f.read().split()
    keep = [j for j in jars if artifact_of(j) not in spark_has]
    with open(path, "w") as f:
        f.write("".join(j + "\n" for j in keep))
    left = sorted(os.path.basename(j) for j in jars if j not in keep)
    print("spark_classpath: %d of %d jars on the class path; left to Spark's own: %s"
          % (len(keep), len(jars), " ".join(left) or "none"), file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: spark_classpath.py SPARK_JARS_DIR CLASSPATH_FILE")
    main(*sys.argv[1:])
