"""A job for the cluster with a secret: the sum of squares 0..999 computed by the executors."""
from common import say, session

spark, sc = session("secret-sum")
total = sc.parallelize(range(1000), 4).map(lambda x: x * x).sum()
say("RESULT", {"sum_of_squares": total, "app_id": sc.applicationId, "master": sc.master})
spark.stop()
