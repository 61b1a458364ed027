# /etc/ipython/ipython_kernel_config.py - every notebook kernel starts with Spark ready:
# 00-spark.py creates `spark` (SparkSession) and `sc` (SparkContext).
c = get_config()  # noqa: F821 (IPython's config loader provides get_config)
c.InteractiveShellApp.exec_files = ["/etc/ipython/startup/00-spark.py"]
