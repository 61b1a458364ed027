# /etc/ipython/ipython_kernel_config.py - every notebook kernel loads sparkmonitor's kernel
# extension: it receives Spark's job/stage/task events from a listener in the JVM and shows a
# job's progress under the running cell in JupyterLab (startup/00-spark.py wires the listener
# into the kernel's SparkConf).
c = get_config()  # noqa: F821
c.InteractiveShellApp.extensions = ["sparkmonitor.kernelextension"]
