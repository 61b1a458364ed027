"""A job on 2 executors: which hosts ran its tasks, what the master's JSON API says, the result."""
import socket
import time

from common import master_json, say, session, wait_for_executors

spark, sc = session("both-workers")
execs = wait_for_executors(sc, 2)
state = master_json()  # while the application runs
app = sc.applicationId


def square_on_host(it):
    time.sleep(0.5)  # long enough for both executors to take tasks
    return [(socket.gethostname(), x * x) for x in it]


rows = sc.parallelize(range(1000), 8).mapPartitions(square_on_host).collect()
by_key = dict(sc.parallelize(range(1000), 8).map(lambda x: (x % 7, x)).reduceByKey(lambda a, b: a + b, 3).collect())
say("RESULT", {
    "executors": len(execs),
    "task_hosts": sorted({h for h, _ in rows}),
    "sum_of_squares": sum(v for _, v in rows),
    "by_key": {str(k): v for k, v in sorted(by_key.items())},
    "master_status": state["status"],
    "master_app_ids": [a["id"] for a in state["activeapps"]],
    "app_id": app,
    "master_workers_cores_used": sorted(w["coresused"] for w in state["workers"] if w["state"] == "ALIVE"),
})
spark.stop()
