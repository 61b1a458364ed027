#!/usr/bin/env python3
"""kernel_session.py - runs inside the image: starts a notebook kernel as Jupyter does
(jupyter_client with the image's python3 kernel spec), then, as a user would in one notebook:
uses the ready `spark` (a job), runs a plain cell, starts a long Spark job in the third cell and
presses stop (interrupt), then asks Spark what is still running. Prints one line per fact:
  CELL n STATUS SECONDS OUTPUT   each cell's reply status and time (the third: from the interrupt)
and the cells' own RESULT lines. Exit 0 when the kernel answered every cell."""
import json
import sys
import time

from jupyter_client.manager import start_new_kernel

CELLS = [
    "print('RESULT jobs', spark.range(1000).count())\n"
    "from pyspark import SparkFiles\nimport os\n"
    "print('RESULT copied', sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in "
    "os.walk(SparkFiles.getRootDirectory()) for f in fs))\n"
    "print('RESULT synapseml', type(spark._jvm.com.microsoft.azure.synapse.ml.lightgbm"
    ".LightGBMClassifier).__name__)\n"
    # Spark's log (slf4j -> log4j2) works; a warning that explains a stuck cell reaches the cell
    "log = spark._jvm.org.slf4j.LoggerFactory.getLogger('org.apache.spark.scheduler.TaskSchedulerImpl')\n"
    "log.warn('MMLTEST Initial job has not accepted any resources; check your cluster UI')\n"
    "import time\ntime.sleep(2)",
    "from pyspark.sql import SparkSession\n"
    "active = SparkSession.getActiveSession()\n"
    "print('RESULT active', active is not None and active._jsparkSession.equals(spark._jsparkSession))",
    "import time\nprint('STARTED', flush=True)\n"
    "sc.parallelize(range(4), 4).map(lambda x: time.sleep(600) or x).count()",
    "import time\ntime.sleep(3)\nprint('RESULT active_jobs', list(sc.statusTracker().getActiveJobsIds()))",
]


def run_cell(kc, km, code, interrupt_on=None, timeout=240):
    msg_id = kc.execute(code)
    out, interrupted_at, deadline = "", None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Exception:  # noqa: BLE001 - queue.Empty: poll again
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        content = msg["content"]
        if msg["msg_type"] == "stream":
            out += content["text"]
        elif msg["msg_type"] == "error":
            out += "%s: %s\n" % (content["ename"], content["evalue"])
        elif msg["msg_type"] == "status" and content["execution_state"] == "idle":
            break
        if interrupt_on and interrupted_at is None and interrupt_on in out:
            time.sleep(3)  # the job's tasks are running by now
            interrupted_at = time.monotonic()
            km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:  # e.g. kernel_info's reply
        reply = kc.get_shell_msg(timeout=30)
    took = time.monotonic() - (interrupted_at or deadline - timeout)
    return reply["content"]["status"], took, out


def main(cells=CELLS, interrupted=(3,)):
    """Runs CELLS in a new kernel, pressing stop in the cells numbered INTERRUPTED."""
    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=240)
    try:
        for n, code in enumerate(cells, 1):
            status, took, out = run_cell(kc, km, code,
                                         interrupt_on="STARTED" if n in interrupted else None)
            print("CELL %d %s %.1f %s" % (n, status, took, json.dumps(out)), flush=True)
            for line in out.splitlines():
                if line.startswith("RESULT "):
                    print(line, flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
