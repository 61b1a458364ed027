# /etc/ipython/startup/00-spark.py - IPython runs the files of its system-wide startup directory
# in every shell; in a notebook kernel this one sets up Spark as plain pyspark behaves, plus a
# ready `spark` and `sc` (the module mmlspark_kernel says how). Terminal IPython is left alone.
# MMLSPARK_SPARK_SESSION=no: kernels without it.
import mmlspark_kernel as _mmlspark_kernel

_mmlspark_kernel.load(get_ipython())  # noqa: F821
del _mmlspark_kernel
