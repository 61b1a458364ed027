"""spark-submit job of tests/data: calls the class of org.example:hello:1.0, which --packages
resolved (from the mirror MMLSPARK_MAVEN_MIRROR names, through a proxy or not)."""
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("data-mirror").getOrCreate()
print("RESULT greet", spark.sparkContext._jvm.org.example.Hello.greet("mirror"))
spark.stop()
