"""A three-stage job that says READY once its first stage has finished some tasks on both
executors; the test then stops a worker. Its result must come out complete anyway."""
import threading
import time

from common import say, session, wait_for_executors

spark, sc = session("lose-a-worker")
wait_for_executors(sc, 2)


def watch():
    tracker = sc.statusTracker()
    while True:
        for sid in tracker.getActiveStageIds():
            info = tracker.getStageInfo(sid)
            if info and info.numCompletedTasks >= 3:
                say("READY", {"stage": sid, "completed": info.numCompletedTasks})
                return
        time.sleep(0.1)


def stage0(it):
    time.sleep(1.0)
    for x in it:
        yield (x % 10, x)


def stage1(it):
    time.sleep(1.0)
    for k, v in it:
        yield (v % 7, [k, v])


threading.Thread(target=watch, daemon=True).start()
pairs = sc.parallelize(range(3000), 12).mapPartitions(stage0).reduceByKey(lambda a, b: a + b, 4)
groups = pairs.mapPartitions(stage1).groupByKey(3).mapValues(sorted).collect()
say("RESULT", {str(k): v for k, v in sorted(groups)})
spark.stop()
