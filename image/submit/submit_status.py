#!/usr/bin/env python3
"""submit_status.py - a cluster-mode spark-submit to Kubernetes whose exit status is the driver's.

Usage: submit_status.py SPARK_SUBMIT ARGS...   (the image's spark-submit runs it)
Runs SPARK_SUBMIT ARGS with its standard error relayed line by line (stdout untouched) and reads
the driver pod's final container statuses Spark logs when the application ends ("Container final
statuses: ... container name: NAME ... exit code: N"; the container spark-kubernetes-driver, or
the first one named). Exit: spark-submit's own non-zero status; else the driver container's exit
code, with one line saying so when it is not 0; else 0 (no final status: the submission did not
wait, spark.kubernetes.submission.waitAppCompletion=false). SIGINT, SIGTERM and SIGHUP are passed
to spark-submit.
"""
import re
import signal
import subprocess
import sys

DRIVER = "spark-kubernetes-driver"


def driver_code(lines):
    """The driver container's exit code in the last final-statuses block of LINES, or None."""
    code, block = None, None
    for line in lines:
        if "Container final statuses" in line:
            block = []
            continue
        if block is None:
            continue
        m = re.search(r"container name: (\S+)", line)
        if m:
            block.append([m.group(1), None])
            continue
        m = re.search(r"\bexit code: (-?\d+)", line)
        if m and block and block[-1][1] is None:
            block[-1][1] = int(m.group(1))
            named = [c for n, c in block if n == DRIVER and c is not None]
            code = named[0] if named else next(c for _, c in block if c is not None)
    return code


def main():
    if len(sys.argv) < 2:
        print("submit_status.py: usage: submit_status.py SPARK_SUBMIT ARGS...", file=sys.stderr)
        return 64
    proc = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: proc.send_signal(s))
    seen = []  # the lines from the last "Container final statuses" on
    for raw in proc.stderr:
        sys.stderr.buffer.write(raw)
        sys.stderr.buffer.flush()
        line = raw.decode("utf-8", "replace")
        if "Container final statuses" in line:
            seen = []
        seen.append(line)
        del seen[:-200]
    rc = proc.wait()
    if rc != 0:
        return rc if rc > 0 else 128 - rc
    code = driver_code(seen)
    if code:
        print("mmlspark: the driver pod's container exited %d: spark-submit exits with it "
              "(MMLSPARK_SUBMIT_STATUS=spark: Spark's own 0)" % code, file=sys.stderr)
        return code if 0 < code < 256 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
