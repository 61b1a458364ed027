# /etc/ipython/startup/00-spark.py - IPython runs the files of its system-wide startup directory
# in every shell; in a notebook kernel this one creates `spark` (SparkSession) and `sc`
# (SparkContext), as `pyspark` does in a terminal. Terminal IPython shells are left alone.
#
#   SPARK_MASTER_URL        master (default local[*])
#   MML_PACKAGE             Maven coordinates to load (spark.jars.packages); empty: none
#   MML_M2REPOS             extra repositories to resolve them from (spark.jars.repositories)
#   MMLSPARK_SPARK_TIMEOUT  seconds the Spark start (including package resolution) may take
#                           before it is abandoned (default 300)
#   MMLSPARK_SPARK_SESSION  "no" to start kernels without a Spark session
#
# Spark starts in the background: the kernel answers Jupyter at once (a prompt sooner, and a
# shutdown or `docker stop` is not held up by a starting JVM). The first cell that runs waits for
# it, then finds `spark` and `sc` defined, and prints where this kernel's Spark UI is: through
# Jupyter at /proxy/PORT/ (jupyter-server-proxy, Jupyter's own authentication), or at PORT itself
# when it is published. A running job shows its progress under the cell (sparkmonitor).
#
# The image's own MML_PACKAGE (SynapseML) was resolved when the image was built: its jars are
# taken from /opt/synapseml (no resolution, no network; `local:` jars, so executors of a cluster
# of this image load them from their own image too; Spark's executor still copies them into its
# temporary directory, about 1 s per kernel).
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


def _mmlspark_start_spark(notes, monitor_conf, image_packages):
    """Starts Spark (in the calling thread); returns (SparkSession, SparkContext) or (None, None).
    Warnings go to NOTES (shown in the first cell) and to the kernel's stderr (docker logs)."""
    import contextlib
    import functools
    import os
    import signal
    import sys
    import threading

    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    def warn(text):
        print("mmlspark: warning: " + text, file=sys.__stderr__, flush=True)
        notes.append(text)

    if SparkContext._active_spark_context is not None:  # already started (file run twice)
        sc = SparkContext._active_spark_context
        return SparkSession(sc), sc

    master = os.environ.get("SPARK_MASTER_URL") or "local[*]"
    packages = os.environ.get("MML_PACKAGE", "").strip()
    repos = os.environ.get("MML_M2REPOS", "").strip()
    try:
        timeout = float(os.environ.get("MMLSPARK_SPARK_TIMEOUT") or 300)
    except ValueError:
        timeout = 300.0

    image_jars, image_python = image_packages(packages)
    ivy = os.path.expanduser("~/.ivy2")
    home = os.path.dirname(ivy)
    if not (os.path.isdir(ivy) and os.access(ivy, os.W_OK)) and not os.access(home, os.W_OK):
        ivy = "/tmp/ivy2-%d" % os.getuid()

    def conf_for(with_packages):
        conf = SparkConf().setMaster(master).setAppName("mmlspark-notebook")
        conf.set("spark.jars.ivy", ivy)
        conf.set("spark.ui.showConsoleProgress", "false")  # progress is shown by sparkmonitor
        for key, value in monitor_conf:
            conf.set(key, value)
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
            with jvm_output_to_kernel_log():
                sc = SparkContext(conf=conf_for(with_packages))
        finally:
            watchdog.cancel()
        return SparkSession(sc), sc

    @contextlib.contextmanager
    def jvm_output_to_kernel_log():
        # The JVM writes its log to the stdout/stderr it inherits; in a kernel those are pipes
        # into whatever cell runs, so Spark's start-up lines would land in the user's first cell.
        # The JVM gets the kernel's own stdout/stderr instead (the terminal, `docker logs`).
        import pyspark.java_gateway as gateway

        out = getattr(sys.stdout, "_original_stdstream_copy", None)
        err = getattr(sys.stderr, "_original_stdstream_copy", None)
        if out is None or err is None:
            yield
            return
        popen = gateway.Popen
        gateway.Popen = functools.partial(popen, stdout=out, stderr=err)
        try:
            yield
        finally:
            gateway.Popen = popen

    expired = threading.Event()
    if packages:
        try:
            return start(True)
        except Exception as e:  # resolution failed or timed out: Spark without the packages
            why = ("it took longer than %g s (MMLSPARK_SPARK_TIMEOUT)" % timeout
                   if expired.is_set() else str(e).strip().splitlines()[-1])
            warn("could not load MML_PACKAGE=%s from MML_M2REPOS=%s: %s; `spark` is started "
                 "WITHOUT these packages" % (packages, repos or "(Maven Central)", why))
    try:
        return start(False)
    except Exception as e:
        warn("could not start Spark: %s; `spark` and `sc` are not defined" % e)
        return None, None


def _mmlspark_spark_in_background(ip, start_spark, image_packages):
    """In a notebook kernel: starts Spark in a thread; the first cell waits for it, then gets
    `spark`, `sc`, the warnings and the UI's address."""
    import logging
    import os
    import signal
    import socket
    import sys
    import threading

    if "ipykernel" not in sys.modules:
        return
    if os.environ.get("MMLSPARK_SPARK_SESSION", "yes").lower() in ("no", "false", "0", "n", "off"):
        return
    # sparkmonitor's kernel extension (loaded before startup files) left its listener settings in
    # `conf`; they go into our SparkConf, and `conf` is not left behind in the user's namespace.
    monitor_conf = []
    for name in ("conf", "swan_spark_conf"):
        conf = ip.user_ns.pop(name, None)
        if conf is not None and hasattr(conf, "getAll") and not monitor_conf:
            monitor_conf = list(conf.getAll())
    notes, result, ready = [], {}, threading.Event()
    logging.getLogger("tornado.sparkmonitor.kernel").setLevel(logging.WARNING)  # not in cells

    def run():
        try:
            result["spark"], result["sc"] = start_spark(notes, monitor_conf, image_packages)
        except BaseException as e:  # noqa: BLE001 - whatever happens, the first cell is told
            notes.append("could not start Spark: %s" % e)
        finally:
            ready.set()

    threading.Thread(target=run, name="mmlspark-spark-start", daemon=True).start()

    def release_at_exit():
        # Runs when the kernel exits, before Python joins its non-daemon threads: sparkmonitor's
        # socket thread is one, blocked in accept()/recv() for good; the JVM keeps its connection
        # open as long as this process lives. Stop the JVM, wake the thread, and the kernel ends
        # at once (a shutdown from Jupyter, `docker stop`), not at SIGKILL.
        from pyspark import SparkContext

        proc = getattr(SparkContext._gateway, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.terminate()
        monitor = getattr(sys.modules.get("sparkmonitor.kernelextension"), "monitor", None)
        sock = getattr(getattr(monitor, "scalaSocket", None), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    threading._register_atexit(release_at_exit)

    def first_cell(*_args):
        ip.events.unregister("pre_run_cell", first_cell)
        if not ready.is_set():
            print("mmlspark: waiting for Spark to start ...", flush=True)
            ready.wait()
        spark, sc = result.get("spark"), result.get("sc")
        for note in notes:
            print("mmlspark: warning: " + note)
        if sc is None:
            return
        ip.user_ns.setdefault("spark", spark)
        ip.user_ns.setdefault("sc", sc)

        def cancel_jobs_on_interrupt(_signum, _frame):  # as pyspark does on its main thread
            sc.cancelAllJobs()
            raise KeyboardInterrupt()

        signal.signal(signal.SIGINT, cancel_jobs_on_interrupt)
        url = sc.uiWebUrl
        if url:
            port = url.rsplit(":", 1)[-1].strip("/")
            print("Spark UI of this kernel: /proxy/%s/jobs/ on Jupyter's address (or port %s "
                  "if published)" % (port, port), flush=True)

    ip.events.register("pre_run_cell", first_cell)


_mmlspark_spark_in_background(get_ipython(), _mmlspark_start_spark,  # noqa: F821
                              _mmlspark_image_packages)
del _mmlspark_spark_in_background, _mmlspark_start_spark, _mmlspark_image_packages
