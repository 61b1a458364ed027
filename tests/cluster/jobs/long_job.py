"""A job that keeps both executors busy until it is stopped; says READY once they are."""
import time

from common import say, session, wait_for_executors

spark, sc = session("long-job")
wait_for_executors(sc, 2)


def watch():
    tracker = sc.statusTracker()
    while True:
        active = [tracker.getStageInfo(s) for s in tracker.getActiveStageIds()]
        if sum(i.numActiveTasks for i in active if i) >= 2:
            say("READY")
            return
        time.sleep(0.1)


import threading  # noqa: E402

threading.Thread(target=watch, daemon=True).start()
sc.parallelize(range(600), 600).map(lambda x: time.sleep(1) or x).count()
