# /etc/ipython/startup/00-spark.py - IPython (8.x) runs the files of its system-wide startup
# directory in every shell; in a notebook kernel this one creates `spark` (SparkSession) and `sc`
# (SparkContext), as `pyspark` does in a terminal. Terminal IPython shells are left alone.
#
#   SPARK_MASTER_URL        master (default local[*])
#   MML_PACKAGE             Maven coordinates to load (spark.jars.packages); empty: none
#   MML_M2REPOS             extra repositories to resolve them from (spark.jars.repositories)
#   MMLSPARK_SPARK_TIMEOUT  seconds the Spark start (including package resolution) may take
#                           before it is abandoned (default 300)
#   MMLSPARK_SPARK_SESSION  "no" to start kernels without a Spark session
#
# The image's own MML_PACKAGE (SynapseML) was resolved when the image was built: its jars are
# loaded from /opt/synapseml in place (no resolution, no copy, no network; `local:` jars, so
# executors of a cluster of this image load them from their own image too).
# Other packages are resolved once into the user's Ivy cache (~/.ivy2); later kernels use the
# cache and work offline. If they cannot be resolved (no network, wrong coordinates), the kernel
# still gets a working `spark` without them, and the first cell shows why.


def _mmlspark_image_packages(packages, root="/opt/synapseml"):
    """(jars, python jars) resolved at build time when PACKAGES is what the image was built
    with (same coordinates, any order), else ([], [])."""
    import os

    def coords(text):
        return sorted(c.strip() for c in text.split(",") if c.strip())

    try:
        with open(os.path.join(root, "package")) as f:
            built = f.read()
        with open(os.path.join(root, "classpath")) as f:
            jars = f.read().split()
        with open(os.path.join(root, "pythonpath")) as f:
            python = f.read().split()
    except OSError:
        return [], []
    if not coords(packages) or coords(packages) != coords(built):
        return [], []
    if not all(os.path.isfile(j) for j in jars):
        return [], []
    return jars, python


def _mmlspark_start_spark():
    import os
    import signal
    import sys
    import threading

    def warn(text):
        print("mmlspark: warning: " + text, file=sys.__stderr__, flush=True)
        notes.append(text)

    notes = []
    if "ipykernel" not in sys.modules:
        return None, None, notes
    if os.environ.get("MMLSPARK_SPARK_SESSION", "yes").lower() in ("no", "false", "0", "n", "off"):
        return None, None, notes
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is not None:  # already started (file run twice)
        sc = SparkContext._active_spark_context
        return SparkSession(sc), sc, notes

    master = os.environ.get("SPARK_MASTER_URL") or "local[*]"
    packages = os.environ.get("MML_PACKAGE", "").strip()
    repos = os.environ.get("MML_M2REPOS", "").strip()
    try:
        timeout = float(os.environ.get("MMLSPARK_SPARK_TIMEOUT") or 300)
    except ValueError:
        timeout = 300.0

    image_jars, image_python = _mmlspark_image_packages(packages)
    ivy = os.path.expanduser("~/.ivy2")
    home = os.path.dirname(ivy)
    if not (os.path.isdir(ivy) and os.access(ivy, os.W_OK)) and not os.access(home, os.W_OK):
        ivy = "/tmp/ivy2-%d" % os.getuid()

    def conf_for(with_packages):
        conf = SparkConf().setMaster(master).setAppName("mmlspark-notebook")
        conf.set("spark.jars.ivy", ivy)
        conf.set("spark.ui.showConsoleProgress", "false")  # no progress bars in cell output
        if with_packages and image_jars:
            conf.set("spark.jars", ",".join("local:" + j for j in image_jars))
            # Python workers (local and on executors) import SynapseML from the same jars
            pythonpath = ":".join(image_python + [p for p in [os.environ.get("PYTHONPATH")] if p])
            conf.set("spark.executorEnv.PYTHONPATH", pythonpath)
            os.environ["PYTHONPATH"] = pythonpath
            for jar in reversed(image_python):
                if jar not in sys.path:
                    sys.path.insert(1, jar)
        elif with_packages:
            conf.set("spark.jars.packages", packages)
            if repos:
                conf.set("spark.jars.repositories", repos)
        return conf

    def kill_launcher():
        # pyspark waits without a bound for the JVM it launched; end that JVM (our direct child).
        me = str(os.getpid())
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/stat" % pid) as f:
                    ppid = f.read().rsplit(")", 1)[1].split()[1]
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read()
            except (OSError, IndexError):
                continue
            if ppid == me and (b"SparkSubmit" in cmd or b"spark-submit" in cmd):
                os.kill(int(pid), signal.SIGKILL)
                expired.set()

    def start(with_packages):
        watchdog = threading.Timer(timeout, kill_launcher)
        watchdog.daemon = True
        watchdog.start()
        try:
            sc = SparkContext(conf=conf_for(with_packages))
        finally:
            watchdog.cancel()
        return SparkSession(sc), sc

    expired = threading.Event()
    if packages:
        try:
            return start(True) + (notes,)
        except Exception as e:  # resolution failed or timed out: Spark without the packages
            why = ("it took longer than %g s (MMLSPARK_SPARK_TIMEOUT)" % timeout
                   if expired.is_set() else str(e).strip().splitlines()[-1])
            warn("could not load MML_PACKAGE=%s from MML_M2REPOS=%s: %s; `spark` is started "
                 "WITHOUT these packages" % (packages, repos or "(Maven Central)", why))
    try:
        return start(False) + (notes,)
    except Exception as e:
        warn("could not start Spark: %s; `spark` and `sc` are not defined" % e)
        return None, None, notes


spark, sc, _mmlspark_notes = _mmlspark_start_spark()
if spark is None:
    del spark, sc
if _mmlspark_notes:

    def _mmlspark_show_notes(*_args):
        for note in _mmlspark_notes:
            print("mmlspark: warning: " + note)
        get_ipython().events.unregister("pre_run_cell", _mmlspark_show_notes)  # noqa: F821

    get_ipython().events.register("pre_run_cell", _mmlspark_show_notes)  # noqa: F821
del _mmlspark_start_spark, _mmlspark_image_packages
