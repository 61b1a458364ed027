"""spark-submit --packages "$MML_PACKAGE" job (resolved from the image, no network): LightGBM
trained on both workers' executors (lightgbm_train.py); RESULT, then the application stays up
until the test has read its REST API."""
import sys

from common import session
from lightgbm_train import hand_over, train_and_evaluate

spark, sc = session("lightgbm-both-workers")
checked = hand_over(train_and_evaluate(spark, sc))
spark.stop()
sys.exit(0 if checked else 3)
