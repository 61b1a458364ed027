"""mmlspark_kernel - Spark in the image's notebook kernels: plain pyspark, plus a ready `spark`.

/etc/ipython/startup/00-spark.py calls load() in every notebook kernel (not in terminal IPython).

- `spark` and `sc` are names from the kernel's first moment (in the notebook's namespace and in
  builtins, so a function, `%run`, `exec` or a thread reaches them too): stand-ins that become the
  image's default session (and its context) when first used, and leave the real objects in their
  place. Spark's own entry points make it too when nothing else has: getActiveSession(),
  SparkSession.active(), SparkContext.getOrCreate() and pyspark.sql.functions (they read
  SparkContext._active_spark_context, which starts it on first read).
- A session the user makes first (SparkSession.builder..., SparkContext(conf=...)) gets exactly
  the user's settings; the image only fills in what the user left unset (NOTEBOOK_DEFAULTS) and
  adds SynapseML and the progress listener to the list settings (class paths, listeners,
  packages).
- A kernel that never uses Spark costs nothing of it: pyspark is not imported until the first
  import of pyspark (by the notebook, a library, or a first use of `spark`/`sc`), and Spark's JVM
  is launched by the first session, with the kernel's environment and working directory then
  (a Spark Connect client launches none); the first import of SynapseML (synapse.ml) launches it
  before it imports pyspark, and the imports go on while the JVM starts (Prelaunch; sparkmonitor's
  listener gets the port its JVM was given). MMLSPARK_SPARK_HEAD_START=yes launches it in the
  background when the kernel starts instead, with the image's defaults; the first session uses
  it when it would be launched the same way; when the session's launch settings
  (spark.driver.*, spark.jars*, ...), the environment (PYSPARK_SUBMIT_ARGS, credentials,
  SPARK_CONF_DIR) or the working directory differ at its first use, a new JVM is launched
  instead, as a fresh pyspark would.
- Memory: the Spark drivers of the container's kernels share the driver heap the image gives one
  driver (SPARK_DRIVER_MEMORY from the memory limit, spark-env): a kernel's driver gets what the
  drivers already running in the container leave of it, at least 512 MiB (driver_heap_mib).
- A builder or getOrCreate given a setting that can no longer apply (Spark already runs) says so
  in the cell in one line, naming only the settings the user gave, with secret values redacted
  by Spark's rules (spark.redaction.regex) and the Azure account key pattern.
- The kernel's interrupt (Jupyter's stop button) cancels the Spark jobs the interrupted cell
  started (a job tag per cell), then does what the kernel does without Spark.
- The JVM's output goes to the kernel's own stderr (the terminal, `docker logs`); lines that
  explain a stuck or failing cell (no resources accepted, out of memory, a setting ignored) are
  shown in the cell too.
- Class-data sharing: the driver maps the image's archive of the classes a driver's first work
  loads (CDS_ARCHIVE), with Spark's jars first on its class path (an archive covers only the
  entries it was made with, in their order, and no directory such as Spark's conf/).
- SynapseML: when MML_PACKAGE is what the image was built with, its jars are put on the driver's
  and executors' class path where they lie in the image (/opt/synapseml; every node of this image
  has them: nothing is copied or fetched), and its Python API is on the venv's path. Other
  MML_PACKAGE values are resolved with spark.jars.packages, from MML_M2REPOS too.
"""
import builtins
import functools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

SYNAPSEML = "/opt/synapseml"
# Class-data sharing (image/cds/dump.py): Spark's classes as a driver's first work loads them,
# mapped instead of loaded and verified. Used with Spark's jars first on the class path.
CDS_ARCHIVE = "/usr/share/mmlspark/spark-driver.jsa"
CDS_LAUNCHER_ARCHIVE = "/usr/share/mmlspark/spark-launcher.jsa"  # spark-submit's launcher JVM
SPARK_JARS = "/opt/spark/jars/*"
MONITOR_LISTENER = "sparkmonitor.listener.JupyterSparkMonitorListener"
# Settings a notebook session gets unless the user sets them.
NOTEBOOK_DEFAULTS = {
    "spark.app.name": "mmlspark-notebook",
    "spark.ui.showConsoleProgress": "false",  # progress is shown by sparkmonitor
}
# List settings the image extends (the user's entries first), with their separators.
LIST_SETTINGS = {
    "spark.driver.extraClassPath": ":",
    "spark.executor.extraClassPath": ":",
    "spark.extraListeners": ",",
    "spark.jars.packages": ",",
    "spark.jars.repositories": ",",
}
# Settings the JVM takes when it is launched (spark-submit reads them): a session that needs
# other values than the running JVM's needs a new JVM.
LAUNCH_SETTING = re.compile(r"spark\.(driver\.|jars|submit\.|files$|archives$|pyspark\.)")
# JVM log lines that explain a stuck or failing cell: shown in the cell as well.
CELL_WORTHY = re.compile(
    r"Initial job has not accepted any resources|OutOfMemoryError|GC overhead limit"
    r"|Using an existing Spark ?Session|Lost executor|Executor .* (lost|exited)"
    r"|Not enough memory|Exception in thread|killed by|KILLED|Cannot run multiple")
TRUE = ("yes", "true", "1", "y", "on")
# Spark's redaction rule (spark.redaction.regex's default: the running conf's value wins), and an
# Azure storage account key as a value (88 base64 characters), whatever the setting's name.
SPARK_REDACTION = r"(?i)secret|password|token|access[.]?key"
AZURE_KEY = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==")
REDACTED = "*********(redacted)"  # Spark's own replacement text
# Environment variables the kernel's own libraries set after start (pyspark's context for its
# Python workers among them): no reason for a new JVM.
KERNEL_ENV = re.compile(r"MPLBACKEND$|JPY_|PYDEVD_|CLICOLOR|PAGER$|GIT_PAGER$|TERM$"
                        r"|SPARK_AUTH_SOCKET_TIMEOUT$|SPARK_BUFFER_SIZE$")
# Said once in the cell when Ivy could not resolve a package (`spark.jars.packages`, --packages).
PACKAGES_HINT = ("a package could not be resolved (not in the image's repositories, and Maven "
                 "Central unreachable?): behind a proxy set HTTPS_PROXY (and NO_PROXY), with an "
                 "internal Maven mirror set MMLSPARK_MAVEN_MIRROR (docs/data.md)")
# With the head start at the kernel's start, imported while the JVM launches when the image's
# SynapseML is on: every SynapseML model imports pyspark.ml (0.45 s of the 0.48 s
# `import synapse.ml.lightgbm` takes; bench/notebook).
PREIMPORT = ("pyspark.ml", "synapse.ml.core")


def image_jars(packages, root=SYNAPSEML):
    """The jars the image resolved when it was built (ROOT/classpath: decided at build time, less
    the artifacts Spark has itself), when PACKAGES are the ones it was built with (same
    coordinates, any order); else []."""
    def coords(text):
        return sorted(c.strip() for c in text.split(",") if c.strip())

    try:
        with open(os.path.join(root, "package")) as f:
            built = f.read()
        with open(os.path.join(root, "classpath")) as f:
            jars = f.read().split()
    except OSError:
        return []
    if not coords(packages) or coords(packages) != coords(built):
        return []
    if not all(os.path.isfile(j) for j in jars):
        return []
    return jars


def image_settings(env, monitor_jar=None):
    """(defaults, list additions) of a notebook session in this image."""
    defaults = dict(NOTEBOOK_DEFAULTS)
    defaults["spark.master"] = env.get("SPARK_MASTER_URL") or "local[*]"
    ivy = os.path.expanduser("~/.ivy2")
    if not os.access(ivy if os.path.isdir(ivy) else os.path.dirname(ivy), os.W_OK):
        defaults["spark.jars.ivy"] = "/tmp/ivy2-%d" % os.getuid()
    packages = env.get("MML_PACKAGE", "").strip()
    jars = image_jars(packages)
    adds = {}
    if jars:
        adds["spark.driver.extraClassPath"] = ":".join(jars)
        adds["spark.executor.extraClassPath"] = ":".join(jars)
    elif packages:
        adds["spark.jars.packages"] = packages
        if env.get("MML_M2REPOS", "").strip():
            adds["spark.jars.repositories"] = env["MML_M2REPOS"].strip()
    if monitor_jar:
        cp = adds.get("spark.driver.extraClassPath")
        adds["spark.driver.extraClassPath"] = cp + ":" + monitor_jar if cp else monitor_jar
        adds["spark.extraListeners"] = MONITOR_LISTENER
    if cds_archive():  # Spark puts its jars after this setting's entries: here they come first
        cp = adds.get("spark.driver.extraClassPath")
        adds["spark.driver.extraClassPath"] = SPARK_JARS + (":" + cp if cp else "")
    return defaults, adds


def cds_archive(path=CDS_ARCHIVE):
    """The image's CDS archive of Spark's driver classes, or None."""
    return path if os.path.isfile(path) else None


def with_cds(env, archive, launcher=None):
    """ENV (a launch's environment) with the driver JVM mapping ARCHIVE (SPARK_SUBMIT_OPTS) and
    spark-submit's launcher JVM mapping LAUNCHER (SPARK_LAUNCHER_OPTS, silent: its output is the
    driver's command), unless the options name an archive of their own or turn sharing off. A
    driver whose class path does not start with Spark's jars leaves its archive unused (one line
    in the kernel's log), and loads its classes as without it."""
    for var, path, quiet in (("SPARK_SUBMIT_OPTS", archive, ""),
                             ("SPARK_LAUNCHER_OPTS", launcher,
                              " -Xlog:cds=off -Xlog:cds+dynamic=off")):
        opts = env.get(var, "")
        if path and "-XX:SharedArchiveFile=" not in opts and "-Xshare:off" not in opts:
            env[var] = ("-XX:SharedArchiveFile=%s%s %s" % (path, quiet, opts)).strip()
    return env


def complete(conf, defaults, adds):
    """Fills CONF (a SparkConf) in place: DEFAULTS where unset, ADDS appended to list settings
    (entries already there are not repeated)."""
    for key, value in defaults.items():
        conf.setIfMissing(key, value)
    for key, value in adds.items():
        sep = LIST_SETTINGS[key]
        have = [v for v in (conf.get(key) or "").split(sep) if v]
        more = [v for v in value.split(sep) if v and v not in have]
        if more:
            conf.set(key, sep.join(have + more))
    return conf


def launch_key(conf):
    """What a JVM launched now for CONF takes from the kernel: CONF's launch settings, the
    environment (PYSPARK_SUBMIT_ARGS, credentials, SPARK_CONF_DIR, ...) and the working
    directory. Two launches with the same key give the same JVM."""
    env = {k: v for k, v in os.environ.items() if not KERNEL_ENV.match(k)}
    return {k: v for k, v in conf.getAll() if LAUNCH_SETTING.match(k)}, env, os.getcwd()


class LaunchPopen(subprocess.Popen):
    """spark-submit's process as pyspark's launch_gateway waits for it: it polls the process,
    then looks for the file where the JVM writes its port, and sleeps 0.1 s between looks. In
    the launching thread, until that file exists, poll() waits for it (or the process's end, at
    most 2 s a call) in steps of 2 ms, so the gateway connects as soon as the JVM listens (50 ms
    sooner on average). Other threads (a stop, the watchdog) poll as usual. A process launched
    ahead (Prelaunch) and adopted by a launch moves its file to where that launch looks."""

    prelaunched = False  # launched before pyspark's import, and adopted by the first session

    def __init__(self, conn_info, *args, **kwargs):
        self.conn_info = conn_info
        self.deliver = None  # where the adopting launch looks for the file
        self.launcher = threading.get_ident()
        super().__init__(*args, **kwargs)

    def adopt(self, conn_info):
        """The calling thread's launch, which looks for the port file at CONN_INFO, takes over
        this process."""
        self.deliver = conn_info
        self.launcher = threading.get_ident()
        return self

    def poll(self):
        if self.conn_info and threading.get_ident() == self.launcher:
            until = time.monotonic() + 2
            while not os.path.isfile(self.conn_info):
                code = super().poll()
                if code is not None or time.monotonic() > until:
                    return code
                time.sleep(0.002)
            if self.deliver:
                os.replace(self.conn_info, self.deliver)
                shutil.rmtree(os.path.dirname(self.conn_info), ignore_errors=True)
            self.conn_info = None
        return super().poll()


class PlainConf:
    """The SparkConf methods complete() uses, without pyspark (whose SparkConf also keeps a
    launch's settings in a dict, in the order they were set)."""

    def __init__(self):
        self.values = {}

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value):
        self.values[key] = value
        return self

    def setIfMissing(self, key, value):  # noqa: N802 - SparkConf's name
        self.values.setdefault(key, value)
        return self

    def getAll(self):  # noqa: N802 - SparkConf's name
        return list(self.values.items())


def gateway_command(conf, env):
    """The command pyspark's launch_gateway runs for CONF in ENV, or None where pyspark would
    look for Spark elsewhere (no SPARK_HOME), change the command (SPARK_TESTING) or launch
    nothing (PYSPARK_GATEWAY_PORT)."""
    home = env.get("SPARK_HOME")
    if not home or env.get("SPARK_TESTING") or "PYSPARK_GATEWAY_PORT" in env:
        return None
    command = [os.path.join(home, "./bin/spark-submit")]
    for key, value in conf.getAll():
        command += ["--conf", "%s=%s" % (key, value)]
    return command + shlex.split(env.get("PYSPARK_SUBMIT_ARGS", "pyspark-shell"))


def launch_env(env, conf, log):
    """ENV, pyspark's environment for a launch of CONF, as the image launches it: with the
    driver's heap (driver_heap_mib) and class-data sharing (with_cds)."""
    heap = driver_heap_mib(log, conf, env)
    if heap:
        env["SPARK_DRIVER_MEMORY"] = "%dm" % heap
    return with_cds(env, cds_archive(), cds_archive(CDS_LAUNCHER_ARCHIVE))


def ignore_sigint():
    """The JVM ignores the kernel's interrupts, as pyspark launches it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Prelaunch:
    """Spark's JVM for the default session launched before pyspark's import (at SynapseML's
    first import), as pyspark will launch it right after, in the same statement. The
    session's launch adopts it when pyspark's command, environment and working directory are
    the ones it was launched with, so it is the JVM pyspark would have launched; else it is
    stopped, and the launch goes on as without it."""

    def __init__(self, command, conf, env, log, monitor_socket=None):
        import tempfile

        self.monitor_socket = monitor_socket  # until sparkmonitor listens on it
        self.command, self.env, self.cwd = command, dict(env), os.getcwd()
        self.dir = tempfile.mkdtemp()
        conn_info = os.path.join(self.dir, "conn_info")
        self.relay = OutputRelay(log)
        try:
            self.proc = LaunchPopen(
                conn_info, self.command, stdin=subprocess.PIPE, stdout=self.relay.write_fd,
                stderr=self.relay.write_fd, preexec_fn=ignore_sigint,
                env=launch_env(dict(env, _PYSPARK_DRIVER_CONN_INFO_PATH=conn_info), conf, log))
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        finally:
            self.relay.started()
        self.proc.prelaunched = True

    def serves(self, command, env):
        """Whether pyspark's launch of COMMAND in ENV is this one's, and it still runs."""
        env = {k: v for k, v in env.items() if k != "_PYSPARK_DRIVER_CONN_INFO_PATH"}
        return (command == self.command and env == self.env and os.getcwd() == self.cwd
                and subprocess.Popen.poll(self.proc) is None)

    def discard(self):
        """Stops the process (reaped in the background) and removes its port file's directory."""
        proc = self.proc
        if subprocess.Popen.poll(proc) is None:
            proc.kill()
        threading.Thread(target=proc.wait, name="mmlspark-reap", daemon=True).start()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.monitor_socket is not None:
            self.monitor_socket.close()
            self.monitor_socket = None


def prelaunch_monitor_jar():
    """sparkmonitor's listener jar without loading sparkmonitor (which imports pyspark): the one
    jar its package holds, as its kernel extension names it; else None."""
    import glob
    import importlib.util

    try:
        spec = importlib.util.find_spec("sparkmonitor")
    except (ImportError, ValueError):
        return None
    dirs = list(spec.submodule_search_locations or []) if spec else []
    jars = glob.glob(os.path.join(os.path.abspath(dirs[0]), "listener_*.jar")) if dirs else []
    return jars[0] if len(jars) == 1 else None


class Jvm:
    """The kernel's one Spark JVM (py4j gateway): launched in the background with the image's
    settings, replaced when a session needs other launch settings."""

    def __init__(self, log, timeout, adds, prelaunched=None):
        self.log = log  # log(text): one line to the kernel's stderr and the next cell
        self.prelaunched = prelaunched if prelaunched is not None else []  # Prelaunch, or none
        self.timeout = timeout
        self.adds = adds  # the image's list additions: packages that fail to load leave them
        self.expired = False
        self.lock = threading.Lock()
        self.gateway = None
        self.settings = None
        self.proc = None
        self.ready = threading.Event()
        self.ready.set()
        self.pending = None  # launch settings of the background launch while it runs
        self.cancelled = False

    def launch_in_background(self, conf):
        self.ready.clear()
        self.pending = launch_key(conf)

        def run():
            try:
                with self.lock:
                    self._launch_with_fallback(conf)
            finally:
                self.ready.set()
        threading.Thread(target=run, name="mmlspark-spark-jvm", daemon=True).start()

    def _launch_with_fallback(self, conf):
        try:
            self._launch(conf)
        except Exception as e:  # noqa: BLE001 - packages unresolvable: Spark without them
            if self.cancelled:  # a session with other launch settings is on its way
                return
            if not conf.get("spark.jars.packages"):
                self.log("could not start Spark: %s" % last_line(e))
                return
            self.log("could not load MML_PACKAGE=%s: %s; `spark` starts WITHOUT these packages"
                     % (conf.get("spark.jars.packages"), last_line(e)))
            from pyspark import SparkConf

            retry = SparkConf(loadDefaults=False)
            for key, value in conf.getAll():
                if key not in ("spark.jars.packages", "spark.jars.repositories"):
                    retry.set(key, value)
            self.adds.pop("spark.jars.packages", None)
            self.adds.pop("spark.jars.repositories", None)
            try:
                self._launch(retry)
            except Exception as e2:  # noqa: BLE001
                self.log("could not start Spark: %s" % last_line(e2))

    def _launch(self, conf, watched=True):
        """Launches a JVM for CONF; WATCHED: within MMLSPARK_SPARK_TIMEOUT (the image's own
        launches; a user's own packages take as long as they take, as in pyspark). An interrupt
        stops the launch and its package resolution at once."""
        from pyspark import java_gateway

        popen = java_gateway.Popen
        relays = [OutputRelay(self.log)]  # and the adopted launch's: the last one is the JVM's

        def record(*args, **kwargs):
            env = kwargs.get("env")
            ahead = self.prelaunched.pop() if self.prelaunched else None
            if ahead is not None and env is not None and ahead.serves(args[0], env):
                relays[0].started()
                relays.append(ahead.relay)
                self.proc = ahead.proc.adopt(env["_PYSPARK_DRIVER_CONN_INFO_PATH"])
                return self.proc
            if ahead is not None:
                ahead.discard()
            kwargs["stdout"] = kwargs["stderr"] = relays[0].write_fd
            if env is not None:
                launch_env(env, conf, self.log)
            if popen is subprocess.Popen and env is not None:
                self.proc = LaunchPopen(env.get("_PYSPARK_DRIVER_CONN_INFO_PATH"), *args,
                                        **kwargs)
            else:
                self.proc = popen(*args, **kwargs)
            return self.proc
        key = launch_key(conf)
        watchdog = threading.Timer(self.timeout, self._expire)
        watchdog.daemon = True
        self.expired = False
        java_gateway.Popen = record
        if watched:
            watchdog.start()
        try:
            gateway = java_gateway.launch_gateway(conf)
        except KeyboardInterrupt:
            self._kill_launch()
            raise
        except BaseException:
            if self.expired:
                raise RuntimeError("Spark's start took longer than %g s (MMLSPARK_SPARK_TIMEOUT)"
                                   % self.timeout) from None
            why = relays[-1].last_error()
            if why:
                raise RuntimeError(why) from None
            raise
        finally:
            watchdog.cancel()
            java_gateway.Popen = popen
            relays[0].started()
        self.gateway, self.settings = gateway, key

    def drop_prelaunch(self):
        """Stops a launch made ahead that no launch adopted (a first use that failed before
        its launch), unless a launch is under way."""
        if self.ready.is_set() and self.lock.acquire(blocking=False):
            try:
                while self.prelaunched:
                    self.prelaunched.pop().discard()
            finally:
                self.lock.release()

    def _expire(self):
        self.expired = self._kill_launch()

    def _kill_launch(self):
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            return True
        return False

    def shutdown(self):
        gateway, proc = self.gateway, self.proc
        self.gateway = self.settings = None
        if gateway is not None:
            try:
                gateway.shutdown()
            except Exception:  # noqa: BLE001 - the JVM may be gone already
                pass
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except Exception:  # noqa: BLE001
                proc.kill()

    def settle(self, wanted):
        """Waits for the background launch, or stops it at once when its JVM would be replaced
        anyway (WANTED, the launch key of the session on its way, differs)."""
        if not self.ready.is_set() and self.pending != wanted:
            self.cancelled = True
            self._kill_launch()
        elif not self.ready.is_set():
            print("mmlspark: waiting for Spark's JVM to start ...", flush=True)
        try:
            self.ready.wait()
        finally:
            self.cancelled = False

    def runs(self, wanted):
        """The running JVM serves the launch key WANTED: the same environment and working
        directory, and each of its launch settings is one the JVM runs with (given at its
        launch, or from spark-defaults.conf: a SparkConf made after spark.stop() holds those)."""
        if self.gateway is None or self.settings[1:] != wanted[1:]:
            return False
        have, system = self.settings[0], self.gateway.jvm.java.lang.System
        return all(have.get(k) == v or system.getProperty(k) == v for k, v in wanted[0].items())

    def for_conf(self, conf, watched):
        """A gateway whose JVM was launched with CONF's launch key: the running one when they
        match, else a new one (the old JVM is stopped)."""
        wanted = launch_key(conf)
        with self.lock:
            if self.runs(wanted):
                return self.gateway
            if self.gateway is not None:
                self.shutdown()
            self._launch(conf, watched)
            return self.gateway


def heap_mib(text):
    """A JVM size (512m, 2g, 1048576k, 1073741824) in MiB, or None."""
    m = re.fullmatch(r"(\d+)([kKmMgGtT]?)[bB]?", text.strip())
    if not m:
        return None
    scale = {"": 1.0 / 1048576, "k": 1.0 / 1024, "m": 1, "g": 1024, "t": 1048576}
    return int(int(m.group(1)) * scale[m.group(2).lower()])


def running_driver_heaps_mib(proc="/proc"):
    """The heaps (-Xmx, MiB) of the Spark drivers running in the container: every JVM whose main
    class is spark-submit's (a kernel's, pyspark's, spark-submit's own)."""
    heaps = []
    for pid in filter(str.isdigit, os.listdir(proc)):
        try:
            with open(os.path.join(proc, pid, "cmdline"), "rb") as f:
                args = f.read().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        if "org.apache.spark.deploy.SparkSubmit" not in args:
            continue
        xmx = [heap_mib(a[4:]) for a in args if a.startswith("-Xmx")]
        if xmx and xmx[-1]:
            heaps.append(xmx[-1])
    return heaps


def driver_heap_mib(log, conf, env, proc="/proc"):
    """The heap of a kernel's driver launched with CONF and ENV when the notebook sets none
    (spark.driver.memory, --driver-memory in PYSPARK_SUBMIT_ARGS, or a SPARK_DRIVER_MEMORY other
    than the image's): the image's driver heap for the container (SPARK_DRIVER_MEMORY as
    spark-env derives it from the memory limit, which Jupyter's environment carries), less the
    heaps of the drivers already running in it, at least 512 MiB (said in the cell when that is
    more than is left). None: the notebook's own, or no limit (Spark's own 1g)."""
    import subprocess

    if conf.get("spark.driver.memory") or re.search(
            r"--driver-memory\b|spark\.driver\.memory=", env.get("PYSPARK_SUBMIT_ARGS", "")):
        return None
    try:
        out = subprocess.run(["mmlspark-env"], capture_output=True, text=True, timeout=10,
                             env={k: v for k, v in env.items()
                                  if k != "SPARK_DRIVER_MEMORY"}).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"^export SPARK_DRIVER_MEMORY='?([0-9]+[kmgt]?)'?$", out, re.M)
    if not m or env.get("SPARK_DRIVER_MEMORY", m.group(1)) != m.group(1):
        return None
    budget = heap_mib(m.group(1))
    others = running_driver_heaps_mib(proc)
    left = budget - sum(others)
    if left < 512:
        log("the Spark drivers already running in this container (%d, with %d MiB of heap) "
            "leave %d of the %d MiB the container has for drivers: this kernel's driver gets "
            "512 MiB (stop another kernel's Spark, or set spark.driver.memory; "
            "docs/notebooks.md#memory)" % (len(others), sum(others), max(left, 0), budget))
        return 512
    return left


class OutputRelay:
    """The JVM's stdout and stderr: every line to the kernel's own stderr (terminal, docker logs),
    the lines that explain a cell's trouble also to the cell (the kernel's sys.stderr)."""

    def __init__(self, log):
        self.read_fd, self.write_fd = os.pipe()
        self.log = log
        self.errors = []  # the JVM's exception lines (why a launch failed)
        self.thread = threading.Thread(target=self._run, name="mmlspark-jvm-output", daemon=True)
        self.thread.start()

    def last_error(self):
        """The JVM's last exception line, once its output has ended (within 2 s)."""
        self.started()
        self.thread.join(2)
        return self.errors[-1] if self.errors else None

    def started(self):
        if self.write_fd is not None:
            os.close(self.write_fd)  # the JVM has its copy
            self.write_fd = None

    def _run(self):
        out = getattr(sys.stderr, "_original_stdstream_copy", None)
        with os.fdopen(self.read_fd, "rb") as pipe:
            for line in pipe:
                try:
                    os.write(out if out is not None else 2, line)
                except OSError:
                    pass
                text = line.decode("utf-8", "replace").rstrip()
                if text.startswith("Exception in thread"):
                    self.errors.append(text.split(" ", 4)[-1])
                    if "unresolved dependency" in text:
                        self.log(PACKAGES_HINT)
                if CELL_WORTHY.search(text):
                    self.log(text, to_stderr=False)


def last_line(e):
    lines = str(e).strip().splitlines()
    return lines[-1] if lines else type(e).__name__


def redact(key, value, pattern=SPARK_REDACTION):
    """VALUE as Spark shows setting KEY: redacted when PATTERN (spark.redaction.regex) finds the
    key or the value, or the value holds an Azure account key."""
    if value and (re.search(pattern, key) or re.search(pattern, value) or AZURE_KEY.search(value)):
        return REDACTED
    return value


def unapplied(sc, items):
    """The settings in ITEMS the running context SC does not have and cannot take any more
    (runtime SQL settings still apply to a session), values redacted as Spark redacts them."""
    from pyspark.sql import SparkSession

    session = SparkSession._instantiatedSession
    conf = sc.getConf()
    pattern = conf.get("spark.redaction.regex") or SPARK_REDACTION
    missed = []
    for key, value in items:
        have = sc.master if key == "spark.master" else conf.get(key)
        if have == value or session is not None and session.conf.isModifiable(key):
            continue
        sep = LIST_SETTINGS.get(key)
        if sep and have and set(value.split(sep)) - {""} <= set(have.split(sep)):
            continue  # a list the running one holds (sparkmonitor's `conf`: its listener)
        missed.append("%s=%s (it runs with %s)" % (key, redact(key, value, pattern),
                                                   redact(key, have, pattern) or "Spark's default"))
    return missed


def load(ip, env=os.environ):
    """Sets up Spark in the notebook kernel IP (see the module's text). Nothing of Spark is
    imported or launched here unless MMLSPARK_SPARK_HEAD_START is on: `spark`, `sc` and `conf`
    are stand-ins, and the first import of pyspark (by the user, a library or a stand-in) sets
    up the rest (setup below)."""
    if "ipykernel" not in sys.modules or getattr(ip, "kernel", None) is None:
        return
    session = env.get("MMLSPARK_SPARK_SESSION", "yes").lower() in TRUE
    head_start = session and env.get("MMLSPARK_SPARK_HEAD_START", "no").lower() in TRUE
    early_comm = early_monitor_comm(ip)
    if not session:  # plain pyspark, with sparkmonitor's `conf` once pyspark is imported
        on_pyspark_import(lambda: load_monitor(ip, early_comm))
        return

    notes = []  # warnings for the next cell
    cell_err = sys.stderr  # the running cell's stderr
    running_cell = threading.Event()
    cell_header = {}  # the running cell's message header, for output from other threads
    said = {}  # warning -> when it was said: not again within 10 s (each relaunch would repeat it)
    state = {}  # what setup() made: its functions, once
    setup_lock = threading.RLock()
    prelaunched = []  # the default session's launch made before pyspark's import (Prelaunch)

    def log(text, to_stderr=True):
        """A warning (to the kernel's stderr and the next cell), or a JVM line (TO_STDERR false:
        already on the kernel's stderr; to the running cell, if any)."""
        if to_stderr:
            if time.monotonic() - said.get(text, -10.0) < 10:
                return
            said[text] = time.monotonic()
            # the kernel's own stderr (the terminal, docker logs), past ipykernel's capture of
            # fd 2, which would show the line in the cell a second time
            terminal = getattr(sys.stderr, "_original_stdstream_copy", None)
            if terminal is not None:
                try:
                    os.write(terminal, ("mmlspark: warning: %s\n" % text).encode())
                except OSError:
                    pass
            else:
                print("mmlspark: warning: " + text, file=sys.__stderr__, flush=True)
            text = "mmlspark: warning: " + text
        if running_cell.is_set():
            # ipykernel sends a thread's output with the header of the cell that was running when
            # the thread started (none, for the JVM's output relay): name the running cell
            var = getattr(cell_err, "_parent_header", None)
            if var is not None and cell_header.get("now") is not None:
                var.set(cell_header["now"])
            print(text, file=cell_err, flush=True)
        elif to_stderr:
            notes.append(text)

    def pre_run_cell(info):
        cell_header["now"] = getattr(cell_err, "parent_header", None)
        running_cell.set()
        if "pre_run_cell" in state:
            state["pre_run_cell"]()

    def post_run_cell(_result):
        running_cell.clear()
        if "post_run_cell" in state:
            state["post_run_cell"]()
        while not state and prelaunched:  # pyspark's import or setup failed
            prelaunched.pop().discard()

    def prelaunch():
        """At SynapseML's first import, when nothing of Spark is there yet: the default
        session's launch, made before pyspark's import (Prelaunch), so that the imports of
        pyspark, pyspark.ml and SynapseML (0.25 s of CPU) run while the JVM starts; the
        session adopts it. (Before pyspark's import alone, 0.07 s, the launch only competed
        for the cores: bench/notebook measured no gain.)"""
        if "pyspark" in sys.modules or state or prelaunched or connect_client(os.environ):
            return
        monitor_jar = prelaunch_monitor_jar()
        conf = complete(PlainConf(), *image_settings(env, monitor_jar))
        command = gateway_command(conf, os.environ)
        if not command:
            return
        monitor, launch_environ = None, dict(os.environ)
        try:
            if monitor_jar:  # sparkmonitor's listener connects to the port its JVM is given
                monitor = listening_socket()
                launch_environ["SPARKMONITOR_KERNEL_PORT"] = str(monitor.getsockname()[1])
            prelaunched.append(Prelaunch(command, conf, launch_environ, log, monitor))
        except OSError:  # the launch proper says why
            if monitor is not None:
                monitor.close()

    def setup():
        """Spark's part of the kernel, made once, when pyspark is first imported."""
        with setup_lock:
            if not state:
                state["making"] = True  # a second call from the same thread, while this runs
                try:
                    spark_setup()
                except BaseException:
                    state.clear()
                    raise
        return state

    def spark_setup():
        from pyspark import SparkConf, SparkContext
        from pyspark.sql import SparkSession

        try:
            timeout = float(env.get("MMLSPARK_SPARK_TIMEOUT") or 300)
        except ValueError:
            timeout = 300.0
        monitor_jar = load_monitor(ip, early_comm, prelaunched[0] if prelaunched else None)
        defaults, adds = image_settings(env, monitor_jar)
        jvm = Jvm(log, timeout, adds, prelaunched)
        preimporting = []
        if head_start:  # else the first use launches it: an import may be for Spark Connect
            # only, whose gRPC client must not see a fork (the launch) while it connects
            jvm.launch_in_background(complete(SparkConf(loadDefaults=False), defaults, adds))
            if "spark.executor.extraClassPath" in adds:  # the image's SynapseML
                preimporting.append(threading.Thread(target=preimport, args=(PREIMPORT,),
                                                     name="mmlspark-preimport", daemon=True))
                preimporting[0].start()

        making = Making()
        original_ensure = SparkContext._ensure_initialized.__func__

        def ensure_initialized(cls, instance=None, gateway=None, conf=None):
            if (gateway is None and active_context() is None
                    and (instance is not None or SparkContext._gateway is None)):
                if conf is not None and conf._jconf is not None:  # bound to a JVM that may go
                    items = conf.getAll()
                    conf._jconf, conf._conf = None, dict(items)
                given = conf.getAll() if conf else []
                preview = SparkConf(loadDefaults=False).setAll(given)
                jvm.settle(launch_key(complete(preview, defaults, adds)))
                watched = not given and "PYSPARK_SUBMIT_ARGS" not in os.environ
                if watched and jvm.gateway is None:  # the default session's first launch: Spark
                    with jvm.lock:  # starts without an MML_PACKAGE that does not resolve
                        jvm._launch_with_fallback(complete(SparkConf(loadDefaults=False),
                                                           defaults, adds))
                    if jvm.gateway is None:
                        raise RuntimeError("Spark did not start (the line above says why)")
                # after the first launch: packages it could not load are left out by now
                launch_conf = complete(conf if conf is not None else SparkConf(loadDefaults=False),
                                       defaults, adds)
                gateway = jvm.for_conf(launch_conf, watched)
                SparkContext._gateway, SparkContext._jvm = gateway, gateway.jvm
            return original_ensure(cls, instance, gateway, conf)
        SparkContext._ensure_initialized = classmethod(making(ensure_initialized))

        original_get_or_create = SparkContext.getOrCreate.__func__

        def get_or_create(cls, conf=None):
            sc = active_context()
            if sc is not None and conf is not None and making.outermost():
                loaded = dict(SparkConf().getAll())  # the JVM's own properties: not the user's
                report(sc, [(k, v) for k, v in conf.getAll() if loaded.get(k) != v])
            return original_get_or_create(cls, conf)
        SparkContext.getOrCreate = classmethod(making(get_or_create))

        original_builder = SparkSession.Builder.getOrCreate

        def builder_get_or_create(self):
            session = SparkSession._instantiatedSession
            if session is not None and session._sc._jsc is not None and making.outermost():
                report(session._sc, self._options.items())
            return original_builder(self)
        SparkSession.Builder.getOrCreate = making(builder_get_or_create)

        def report(sc, items):
            missed = unapplied(sc, list(items))
            if missed:
                print("mmlspark: not applied, Spark is already running: %s; spark.stop() first "
                      "to start Spark with them" % ", ".join(missed), file=cell_err, flush=True)

        cell = CellJobs()
        original_init = SparkContext.__init__

        @functools.wraps(original_init)
        def init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            cell.tag(self)  # a context made in a cell: that cell's jobs are its own already
            if running_cell.is_set() and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, cell.interrupt)  # pyspark's own cancels every job
        SparkContext.__init__ = init

        def default_session():
            return SparkSession.builder.getOrCreate()

        def default_context():
            return active_context() or default_session().sparkContext

        def first_use():
            if making.active():  # a context or session on its way: Spark asks whether one exists
                return None
            try:
                sc = default_context()
                resolve()
                return sc
            except Exception as e:  # noqa: BLE001 - the caller then finds no Spark, as in pyspark
                print("mmlspark: could not start Spark: %s" % last_line(e), file=cell_err,
                      flush=True)
                return None
        SparkContext._active_spark_context = FirstUse(first_use)

        announced = set()
        activated = set()

        def activate():
            """The session made by a thread is the active one of the cells too (pyspark's shell
            makes it on the main thread), unless a cell made another one active."""
            session = SparkSession._instantiatedSession
            if session is None or id(session) in activated or session._sc._jsc is None:
                return
            activated.add(id(session))
            try:
                jvm_session = session._jvm.SparkSession
                if not jvm_session.getActiveSession().isDefined():
                    jvm_session.setActiveSession(session._jsparkSession)
            except Exception:  # noqa: BLE001 - a JVM gone: the cell that uses Spark says so
                pass

        def spark_pre_run_cell():
            while preimporting:  # a cell's own import of the same modules in parallel can fail
                preimporting.pop().join()
            activate()
            if threading.current_thread() is threading.main_thread():
                cell.start(ip.execution_count)
            while notes:
                print(notes.pop(0), file=cell_err, flush=True)

        def spark_post_run_cell():
            jvm.drop_prelaunch()
            resolve()
            sc = active_context()
            if sc is None or id(sc) in announced:
                return
            announced.add(id(sc))
            url = sc.uiWebUrl
            if url:
                port = url.rsplit(":", 1)[-1].strip("/")
                print("Spark UI of this kernel: /proxy/%s/jobs/ on Jupyter's address (or port %s "
                      "if published)" % (port, port), flush=True)

        def launch_ahead():
            """SynapseML's import announces Spark (its API drives the JVM, and Spark Connect does
            not serve it): the JVM launches while the import goes on, as with the head start. A
            session that then needs other launch settings, environment or working directory
            gets a new JVM (settle)."""
            if (jvm.gateway is not None or not jvm.ready.is_set() or active_context() is not None
                    or connect_client(os.environ)):
                return
            jvm.launch_in_background(complete(SparkConf(loadDefaults=False), defaults, adds))

        import logging
        logging.getLogger().addFilter(quiet_py4j_interrupt)
        threading._register_atexit(lambda: release_at_exit(jvm))
        state.update(default_session=default_session, default_context=default_context,
                     launch_ahead=launch_ahead, pre_run_cell=spark_pre_run_cell,
                     post_run_cell=spark_post_run_cell)
        if running_cell.is_set():  # set up by the running cell (its import of pyspark)
            spark_pre_run_cell()

    def resolve():
        """Once Spark runs, `spark` and `sc` are the real objects, as in pyspark's shell
        (`spark is SparkSession.getActiveSession()`)."""
        if active_context() is not None:
            for stand_in in stand_ins:
                try:
                    stand_in._get()
                except Exception:  # noqa: BLE001 - the cell that uses it says why
                    pass

    def pyspark_class(module, name):
        import importlib

        return lambda: getattr(importlib.import_module(module), name)

    def make(name):
        def run():
            import pyspark  # noqa: F401 - its import runs setup()

            return setup()[name]()
        return run

    def monitor_conf():
        import pyspark  # noqa: F401 - its import loads sparkmonitor, whose `conf` replaces this

        conf = ip.user_ns.get("conf")
        if conf is None or type(conf) is StandIn:
            raise NameError("name 'conf' is not defined (sparkmonitor did not load)")
        return conf

    stand_ins = spark_names(ip.user_ns, {
        "spark": (pyspark_class("pyspark.sql", "SparkSession"), make("default_session")),
        "sc": (pyspark_class("pyspark", "SparkContext"), make("default_context"))})
    # sparkmonitor's documented `conf`, in the notebook's namespace only (as sparkmonitor puts it)
    ip.user_ns.setdefault("conf", StandIn("conf", pyspark_class("pyspark", "SparkConf"),
                                          monitor_conf, (ip.user_ns,)))
    ip.events.register("pre_run_cell", pre_run_cell)
    ip.events.register("post_run_cell", post_run_cell)
    if head_start:
        import pyspark  # noqa: F401
    else:
        def synapseml_import():
            prelaunch()
            import pyspark  # noqa: F401 - its import runs setup()

            setup().get("launch_ahead", lambda: None)()  # none while the setup itself runs
        before_import("synapse.ml", synapseml_import)
    on_pyspark_import(setup)


def connect_client(env):
    """Whether this kernel's pyspark talks to a Spark Connect server (SPARK_REMOTE, or a Connect
    session made already): then it launches no JVM of its own."""
    return bool(env.get("SPARK_REMOTE") or env.get("SPARK_CONNECT_MODE_ENABLED")
                or "pyspark.sql.connect.session" in sys.modules)


def before_import(name, run):
    """Calls RUN() once, when the module NAME is first imported, before its code runs. RUN's
    failure is a warning; the import itself goes on."""
    import importlib.abc

    if name in sys.modules:
        return

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname != name:
                return None
            try:
                sys.meta_path.remove(self)
            except ValueError:  # another thread's import of NAME got here first
                return None
            run_setup(run)
            return None  # the other finders find it
    sys.meta_path.insert(0, Finder())


def run_setup(run):
    """Runs RUN, a part of Spark's notebook setup that an import triggered: its failure is a
    warning, and the import goes on (pyspark still works as without the image)."""
    try:
        run()
    except Exception as e:  # noqa: BLE001
        print("mmlspark: warning: Spark's notebook setup failed: %s" % last_line(e),
              file=sys.stderr, flush=True)


def on_pyspark_import(run):
    """Calls RUN() once pyspark's package has been imported (now, if it already is): by the
    user, a library or a stand-in. RUN's failure is a warning; the import itself succeeds."""
    import importlib.abc
    import importlib.machinery

    if "pyspark" in sys.modules:
        run_setup(run)
        return

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name != "pyspark":
                return None
            sys.meta_path.remove(self)
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_then_run(module):
                exec_module(module)
                run_setup(run)
            spec.loader.exec_module = exec_then_run
            return spec
    sys.meta_path.insert(0, Finder())


def active_context():
    """The running SparkContext, or None; never starts one (unlike reading
    SparkContext._active_spark_context before the first session)."""
    from pyspark import SparkContext

    sc = vars(SparkContext).get("_active_spark_context")
    return None if isinstance(sc, FirstUse) else sc


class Making:
    """Marks, per thread, that one of pyspark's own entry points is making a context or session:
    Spark's reads of SparkContext._active_spark_context then ask, and must not start one."""

    def __init__(self):
        self.depth = threading.local()

    def __call__(self, fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            self.depth.n = getattr(self.depth, "n", 0) + 1
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth.n -= 1
        return run

    def active(self):
        return getattr(self.depth, "n", 0) > 0

    def outermost(self):
        """Called by the user, not by another entry point (a builder calls getOrCreate)."""
        return getattr(self.depth, "n", 0) == 1


class FirstUse:
    """SparkContext._active_spark_context until the first context exists (pyspark assigns the
    context over it): Spark's entry points that read it (getActiveSession(), active(),
    pyspark.sql.functions, SparkContext.getOrCreate()) get the kernel's default session's, made
    by MAKE(), as in pyspark's shell, where it exists from the start."""

    def __init__(self, make):
        self.make = make

    def __get__(self, instance, owner):
        return self.make()


class StandIn:
    """`spark` or `sc` until its first use: MAKE() gives the real object, which then takes the
    stand-in's place in every namespace that holds it. isinstance() sees the real class;
    stop() before any use has nothing to stop."""

    __slots__ = ("_kind", "_make", "_real", "_homes", "_name")

    def __init__(self, name, kind, make, homes):
        for slot, value in (("_name", name), ("_kind", kind), ("_make", make), ("_real", None),
                            ("_homes", homes)):
            object.__setattr__(self, slot, value)

    @property
    def __class__(self):  # KIND: a function giving the class (pyspark is imported on demand)
        return object.__getattribute__(self, "_kind")()

    def _get(self):
        real = object.__getattribute__(self, "_real")
        if real is None:
            real = object.__getattribute__(self, "_make")()
            object.__setattr__(self, "_real", real)
            name = object.__getattribute__(self, "_name")
            for home in object.__getattribute__(self, "_homes"):
                if home.get(name) is self:
                    home[name] = real
        return real

    def __getattr__(self, attr):
        return getattr(self._get(), attr)

    def __setattr__(self, attr, value):
        setattr(self._get(), attr, value)

    def __dir__(self):
        return dir(self._get())

    def __repr__(self):
        return repr(self._get())

    def __reduce_ex__(self, protocol):  # pickling (a UDF's closure): as the real object does
        return self._get().__reduce_ex__(protocol)

    def __enter__(self):
        return self._get().__enter__()

    def __exit__(self, *exc):
        return self._get().__exit__(*exc)

    def stop(self):
        if object.__getattribute__(self, "_real") is not None:
            self._get().stop()


def spark_names(user_ns, names):
    """Puts a StandIn for each of NAMES ({name: (class, make)}) in USER_NS and in builtins, so
    that code run in any namespace (%run, exec, a module) finds it, as it finds `print`."""
    homes = (user_ns, vars(builtins))
    stand_ins = []
    for name, (kind, make) in names.items():
        stand_ins.append(StandIn(name, kind, make, homes))
        for home in homes:
            home.setdefault(name, stand_ins[-1])
    return stand_ins


class CellJobs:
    """A job tag per cell (Spark's job tags: the cell's thread's jobs carry it, other threads'
    and streaming queries' do not), and SIGINT in a cell: cancel the jobs with the cell's tag,
    then do what the kernel would do without Spark (KeyboardInterrupt; in a cell with top-level
    await, ipykernel's own handler, which cancels the cell's task)."""

    def __init__(self):
        self.now = None  # the running cell's tag
        self.tagged = {}  # id(context) -> the tag it gives the main thread's jobs
        self.previous = None

    def start(self, number):
        self.now = "mmlspark-cell-%d" % number
        self.tag(active_context())
        previous = signal.getsignal(signal.SIGINT)
        if previous != self.interrupt:
            self.previous = previous
            signal.signal(signal.SIGINT, self.interrupt)

    def tag(self, sc):
        """The main thread's jobs on SC carry the running cell's tag from now on."""
        if (sc is None or sc._jsc is None or self.now is None
                or threading.current_thread() is not threading.main_thread()):
            return
        old = self.tagged.get(id(sc))
        if old == self.now:
            return
        try:
            if old is not None:
                sc.removeJobTag(old)
            sc.addJobTag(self.now)
        except Exception:  # noqa: BLE001 - a JVM gone: the cell that uses Spark says so
            return
        self.tagged[id(sc)] = self.now

    def interrupt(self, signum, frame):
        """The cancel goes over its own connection (a new thread), since the cell's own
        connection is busy waiting for the job; the cell returns within 1 s."""
        sc = active_context()
        if sc is not None and self.now is not None:
            t = threading.Thread(target=sc.cancelJobsWithTag, args=(self.now,),
                                 name="mmlspark-cancel", daemon=True)
            t.start()
            t.join(1)
        previous = self.previous
        if callable(previous) and previous is not signal.default_int_handler:
            return previous(signum, frame)
        raise KeyboardInterrupt()


def quiet_py4j_interrupt(record):
    """py4j logs every interrupted call with a traceback (on the root logger, so into the cell);
    the cell's own KeyboardInterrupt says it already."""
    return not (record.exc_info and record.exc_info[0] is KeyboardInterrupt
                and "KeyboardInterrupt while sending command" in str(record.msg))


def preimport(modules):
    """Imports MODULES (in a thread: the kernel is idle while the JVM launches); a failure is
    left for the user's own import to report."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001
            return


def early_monitor_comm(ip):
    """sparkmonitor's frontend opens its comm when the notebook opens, before sparkmonitor's
    kernel extension is loaded (with pyspark, when Spark is first used): the comm is kept until
    then. Returns the list that gets (comm, open message)."""
    opened = []
    manager = getattr(ip.kernel, "comm_manager", None)
    if manager is not None and "sparkmonitor.kernelextension" not in sys.modules:
        manager.register_target("SparkMonitor", lambda comm, msg: opened.append((comm, msg)))
    return opened


def load_monitor(ip, early_comm, ahead=None):
    """Loads sparkmonitor's kernel extension: it puts its `conf` (its documented
    `SparkSession.builder.config(conf=conf)`) in the notebook's namespace, unless the notebook
    has its own `conf`, and gets the comm its frontend opened. Without a frontend (nbconvert
    --execute, papermill) it has nobody to send Spark's progress to: it then drops the messages
    instead of raising in its socket thread. AHEAD, a Prelaunch: its listener listens on the
    socket whose port that launch gave its JVM. Returns its listener jar, or None."""
    import logging

    own = {n: ip.user_ns.pop(n) for n in ("conf", "swan_spark_conf") if n in ip.user_ns}
    # its loading logs at INFO (one line a malformed call, which logging reports with a
    # traceback): loaded in a cell, all of that would be the cell's output
    logging.disable(logging.INFO)
    extension = socket_thread = None
    try:
        if ahead is not None and ahead.monitor_socket is not None:
            from sparkmonitor import kernelextension as extension

            socket_thread = extension.SocketThread
            extension.SocketThread = monitor_socket_thread(socket_thread, ahead)
        ip.extension_manager.load_extension("sparkmonitor.kernelextension")
    except Exception:  # noqa: BLE001 - Spark works without its progress display
        return None
    finally:
        if socket_thread is not None:
            extension.SocketThread = socket_thread
        logging.getLogger("tornado.sparkmonitor.kernel").setLevel(logging.WARNING)
        logging.disable(logging.NOTSET)
        for name, value in own.items():
            if type(value) is not StandIn:  # the notebook's own `conf` stays its own
                ip.user_ns[name] = value
    extension = sys.modules.get("sparkmonitor.kernelextension")
    monitor = getattr(extension, "monitor", None)
    scala_monitor = getattr(extension, "ScalaMonitor", None)
    if scala_monitor is not None and not hasattr(scala_monitor, "mmlspark_send"):
        send = scala_monitor.send

        def send_if_connected(self, msg):
            if getattr(self, "comm", None) is not None:
                send(self, msg)
        scala_monitor.send = scala_monitor.mmlspark_send = send_if_connected
    while early_comm and monitor is not None:
        monitor.target_func(*early_comm.pop(0))
    try:
        return extension.get_listener_jar_path(*extension.get_spark_versions())
    except Exception:  # noqa: BLE001
        return None


def monitor_socket_thread(base, ahead):
    """sparkmonitor's socket thread (BASE), listening on the socket of AHEAD (a Prelaunch: its
    JVM has that socket's port) instead of a socket of its own."""
    class Listening(base):
        def startSocket(self):  # noqa: N802 - sparkmonitor's name
            self.sock, ahead.monitor_socket = ahead.monitor_socket, None
            self.port = self.sock.getsockname()[1]
            self.start()
            return self.port
    return Listening


def listening_socket():
    """A socket listening on a port of localhost, as sparkmonitor's listener expects one."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("localhost", 0))
        sock.listen(5)
    except OSError:
        sock.close()
        raise
    return sock


def release_at_exit(jvm):
    """When the kernel exits (a shutdown from Jupyter, `docker stop`), before Python joins its
    non-daemon threads: sparkmonitor's socket thread is one, blocked in accept()/recv() for good,
    and the JVM keeps its connection open as long as it runs. Stop the JVM, wake the thread, and
    the kernel ends at once, not at SIGKILL."""
    import socket

    proc = jvm.proc
    if proc is not None and proc.poll() is None:
        proc.terminate()
    monitor = getattr(sys.modules.get("sparkmonitor.kernelextension"), "monitor", None)
    sock = getattr(getattr(monitor, "scalaSocket", None), "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
