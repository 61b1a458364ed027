#!/usr/bin/env python3
"""kernel_e2e.py - the notebook kernels' Spark against the real image, as a user meets it, with
plain pyspark's behaviour (pyspark's shell, where `spark` exists from the start) as the expected
result: every way a notebook reaches `spark` and `sc`, the user's own builder and SparkContext
winning when they come first, "not applied" notices that name only the user's settings and never
a secret's value, the notebook's environment and working directory at the first session, and an
interrupt that stops only the cell's own work. Headless notebooks (nbconvert --execute) and
kernel clients (jupyter_client), offline (--network none).
Usage: kernel_e2e.py [--image NAME] [-k SUBSTRING] [--kernel-module FILE] (--kernel-module: FILE,
e.g. this tree's image/kernel/mmlspark_kernel.py, over the image's, to try a change without a
rebuild or to see a test fail with another version)"""
import argparse
import atexit
import os
import re
import signal
import sys

import e2e
from e2e import ARTIFACTS, HERE, NONE, TOP, check, docker, maven_repo, new_name, run_cells  # noqa: F401
from harness import run_tests

KERNEL_MODULE = "/opt/venv/lib/python3.11/site-packages/mmlspark_kernel.py"
MOUNT = []  # --kernel-module: docker run arguments that put another module in the image
TESTS = []
AZURE_KEY = ("mmltestK" * 11)[:86] + "=="  # an Azure account key's shape: 88 base64 characters


def test(fn):
    TESTS.append(fn)
    return fn


def kernel_job(ctx, script):
    """Runs tests/image/jobs/SCRIPT (a kernel driven by jupyter_client) in a fresh offline
    container; returns (its output, {cell: (status, seconds)}, {RESULT name: value})."""
    name = new_name(script.split(".")[0].replace("_", "-"))
    ctx["containers"] = [name]
    rc, out = docker("run", "--name", name, *NONE, "-v", "%s/jobs:/jobs:ro" % HERE, *MOUNT,
                     e2e.image, "python3", "/jobs/" + script, timeout=500)
    ctx["output"] = out
    check(rc == 0, "%s exited %d: %s" % (script, rc, out[-1500:]))
    cells = {int(m.group(1)): (m.group(2), float(m.group(3)))
             for m in re.finditer(r"^CELL (\d) (\w+) ([0-9.]+)", out, re.M)}
    got = dict(m.groups() for m in re.finditer(r"^RESULT (\w+) (.*)$", out, re.M))
    print("    cells %s; %s" % (cells, got))
    return out, cells, got


def notices(text):
    return [line for line in text.splitlines() if line.startswith("mmlspark: not applied")]


@test
def spark_and_sc_reach_a_function_a_thread_run_exec_and_globals(ctx):
    """`spark`/`sc` before their first use are instances of SparkSession/SparkContext; a function
    defined in an earlier cell, a thread, `%run` of a script, `exec` in a fresh namespace and
    globals()["spark"] all reach the one session (sparkmonitor's `conf` is there too); afterwards `spark` is the active session
    itself, and pickling `sc` (or a name bound before the first use) fails as in pyspark."""
    text, got = run_cells(ctx, "names", [
        "from pyspark import SparkContext\nfrom pyspark.sql import SparkSession\n"
        "import pickle, threading\n"
        "early_sc = sc\n"
        "def count(n):\n    return spark.range(n).count()\n"
        "open('/tmp/setup.py', 'w').write('ran = spark.range(4).count()\\n')\n"
        "print('RESULT isinstance', isinstance(spark, SparkSession), isinstance(sc, SparkContext))\n"
        "print('RESULT monitor_conf', type(conf).__name__)",
        "out = {}\nth = threading.Thread(target=lambda: out.update(n=count(7)))\nth.start()\n"
        "th.join()\nprint('RESULT thread', out.get('n'))",
        "%run /tmp/setup.py\nprint('RESULT run', ran)",
        "scope = {}\nexec('m = spark.range(5).count()', scope)\nprint('RESULT exec', scope['m'])\n"
        "print('RESULT globals', globals()['spark'].range(6).count())",
        "print('RESULT active', SparkSession.getActiveSession() is spark, spark.sparkContext is sc,\n"
        "      type(spark).__name__, type(sc).__name__)\n"
        "import os\njvm_pid = spark._jvm.java.lang.ProcessHandle.current().pid()\n"
        "started = lambda pid: int(open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()[19])\n"
        "print('RESULT jvm_after_kernel_s', (started(jvm_pid) - started(os.getpid())) // os.sysconf('SC_CLK_TCK'))\n"
        "for what, obj in (('sc', sc), ('early', early_sc)):\n"
        "    try:\n        pickle.dumps(obj)\n        print('RESULT pickle_' + what, 'pickled')\n"
        "    except Exception as e:\n"
        "        print('RESULT pickle_' + what, type(e).__name__)"], *MOUNT)
    print("    %s" % got)
    check(got.get("isinstance") == "True True", "isinstance before first use: %r" % got.get("isinstance"))
    check(got.get("monitor_conf") == "SparkConf", "sparkmonitor's documented `conf`: %r"
          % got.get("monitor_conf"))
    check(got.get("thread") == "7", "a thread's first use: %r" % got.get("thread"))
    check(got.get("run") == "4", "%%run of a script: %r" % got.get("run"))
    check(got.get("exec") == "5" and got.get("globals") == "6",
          "exec / globals(): %r %r" % (got.get("exec"), got.get("globals")))
    check(got.get("active") == "True True SparkSession SparkContext",
          "spark and sc are not the running session and context: %r" % got.get("active"))
    check(int(got.get("jvm_after_kernel_s", 99)) < 10,
          "one JVM, launched by the first use (a thread's), is not the one running (%s s after "
          "the kernel's start)" % got.get("jvm_after_kernel_s"))
    check(got.get("pickle_sc") == got.get("pickle_early") == "PySparkRuntimeError",
          "pickling sc: %r, a name bound before first use: %r (pyspark: PySparkRuntimeError)"
          % (got.get("pickle_sc"), got.get("pickle_early")))


@test
def get_active_session_first_finds_the_default_session(ctx):
    """SparkSession.getActiveSession() as the first use returns the kernel's session (pyspark's
    shell: the shell's `spark`), and it is `spark`."""
    _, got = run_cells(ctx, "active", [
        "from pyspark.sql import SparkSession\ns = SparkSession.getActiveSession()\n"
        "print('RESULT first', s is not None and s.range(3).count())",
        "print('RESULT same', s is spark, SparkSession.active() is spark)"], *MOUNT)
    print("    %s" % got)
    check(got.get("first") == "3", "getActiveSession() first: %r" % got.get("first"))
    check(got.get("same") == "True True", "getActiveSession()/active() vs spark: %r" % got.get("same"))


@test
def spark_sql_functions_work_before_any_session(ctx):
    """pyspark.sql.functions (F.col, F.lit) as the first use: columns, as in pyspark's shell."""
    _, got = run_cells(ctx, "functions", [
        "from pyspark.sql import functions as F\nc = F.col('x') + F.lit(1)\n"
        "print('RESULT column', str(c).replace(' ', '_'))",
        "print('RESULT query', spark.range(3).select((F.col('id') + F.lit(1)).alias('y'))"
        ".groupBy().sum('y').first()[0])"], *MOUNT)
    print("    %s" % got)
    check(got.get("column") == "Column<'(x_+_1)'>", "F.col + F.lit: %r" % got.get("column"))
    check(got.get("query") == "6", "a query with the columns: %r" % got.get("query"))


@test
def builder_in_a_cell_that_names_spark_wins_and_late_secrets_are_redacted(ctx):
    """A %%time cell that runs its own builder (master, driver memory) and reads `spark` and `sc`
    further down gets the builder's settings; a later builder with settings that cannot apply
    gets one "not applied" line naming them, secret values redacted (Spark's rule, the image's
    Azure names, an Azure account key as a value), and no secret in any output."""
    text, got = run_cells(ctx, "builder", [
        "%%time\nfrom pyspark.sql import SparkSession\n"
        "spark = SparkSession.builder.master('local[2]').config('spark.driver.memory', '700m')"
        ".getOrCreate()\n"
        "print('RESULT master', spark.sparkContext.master, sc.master)\n"
        "print('RESULT heap_mb', spark._jvm.java.lang.Runtime.getRuntime().maxMemory() // 2**20)",
        "again = (SparkSession.builder.config('spark.hadoop.fs.s3a.secret.key', 'TOPSECRET-S3')\n"
        "         .config('spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net', 'AZSECRET')\n"
        "         .config('spark.mmltest.conn', 'AccountName=a;AccountKey=%s')\n"
        "         .config('spark.driver.memory', '900m').getOrCreate())" % AZURE_KEY], *MOUNT)
    print("    %s" % got)
    check(got.get("master") == "local[2] local[2]", "master: %r, not the builder's" % got.get("master"))
    check(400 <= int(got.get("heap_mb", 0)) <= 700, "driver heap %s MB, not the builder's 700m"
          % got.get("heap_mb"))
    late = notices(text)
    print("    %s" % late)
    check(len(late) == 1 and "spark.driver.memory=900m" in late[0]
          and "spark.hadoop.fs.s3a.secret.key=*********(redacted)" in late[0],
          "no single notice naming the late settings, redacted: %r" % late)
    for secret in ("TOPSECRET", "AZSECRET", AZURE_KEY[:20]):
        check(secret not in text, "a secret value in the notebook's outputs: %s" % secret)


@test
def users_spark_context_first_gets_no_false_notices(ctx):
    """The user's SparkContext(conf=...) first: `spark` wraps it, a builder and
    SparkContext.getOrCreate(SparkConf()) without settings of their own return it, and no
    "not applied" line names a setting the user never gave; after spark.stop() a builder with
    no new launch settings gets a session on the same JVM."""
    text, got = run_cells(ctx, "context", [
        "from pyspark import SparkConf, SparkContext\n"
        "sc = SparkContext(conf=SparkConf().setMaster('local[2]').setAppName('mine'))",
        "from pyspark.sql import SparkSession\ns = SparkSession.builder.getOrCreate()\n"
        "print('RESULT apps', s.sparkContext.appName, spark.sparkContext.appName, spark.sparkContext.master)",
        "print('RESULT same', SparkContext.getOrCreate(SparkConf()) is sc)",
        "pid = lambda s: s._jvm.java.lang.ProcessHandle.current().pid()\nbefore = pid(spark)\n"
        "spark.stop()\nagain = SparkSession.builder.getOrCreate()\n"
        "print('RESULT after_stop', again.range(2).count(), pid(again) == before)"], *MOUNT)
    print("    %s" % got)
    check(got.get("apps") == "mine mine local[2]", "the user's context: %r" % got.get("apps"))
    check(got.get("same") == "True", "getOrCreate() is not the user's context")
    check(got.get("after_stop") == "2 True",
          "a session after spark.stop() with the same settings: %r (2 True: same JVM)"
          % got.get("after_stop"))
    check(not notices(text), "false notices: %r" % notices(text))


@test
def environment_and_working_directory_at_first_use_reach_the_jvm(ctx):
    """Set in the notebook before the first session, as in plain pyspark: an environment
    variable, PYSPARK_SUBMIT_ARGS with --packages (a local Maven repository) and the working
    directory (a relative path reads from it)."""
    repo = maven_repo()
    _, got = run_cells(ctx, "world", [
        "import os\nos.environ['MMLTEST_VAR'] = 'from-the-notebook'\n"
        "os.environ['PYSPARK_SUBMIT_ARGS'] = ('--packages org.example:hello:1.0 "
        "--repositories file:///repo pyspark-shell')\n"
        "os.makedirs('/tmp/wd', exist_ok=True)\nos.chdir('/tmp/wd')\n"
        "_ = open('rel.txt', 'w').write('a\\nb\\nc\\n')",
        "print('RESULT env', spark._jvm.java.lang.System.getenv('MMLTEST_VAR'))\n"
        "print('RESULT cwd', spark._jvm.java.lang.System.getProperty('user.dir'))\n"
        "print('RESULT relative', spark.read.text('rel.txt').count())\n"
        "print('RESULT hello', spark._jvm.org.example.Hello.greet('nb').replace(' ', '_'))"],
        "-v", "%s:/repo:ro" % repo, *MOUNT)
    print("    %s" % got)
    check(got.get("env") == "from-the-notebook", "the JVM's environment: %r" % got.get("env"))
    check(got.get("cwd") == "/tmp/wd", "the JVM's working directory: %r" % got.get("cwd"))
    check(got.get("relative") == "3", "a relative path: %r" % got.get("relative"))
    check(got.get("hello") == "hello_from_the_jar,_nb", "--packages: %r" % got.get("hello"))


@test
def interrupt_stops_the_cells_jobs_only_and_async_cells_survive(ctx):
    """Stop in a cell running a job cancels that job and returns at once, while a background
    thread's job (its first use of `sc`) runs to its end; stop in a cell with top-level await
    cancels it as ipykernel does (CancelledError), and the kernel answers the next cell."""
    out, cells, got = kernel_job(ctx, "kernel_interrupts.py")
    check(cells.get(2, ("", 99))[0] == "error" and cells[2][1] < 15,
          "the interrupted job cell: %s (status, seconds after the interrupt)" % (cells.get(2),))
    check(got.get("background") == "{'n': 1}",
          "the background thread's job: %r (pyspark: it runs to its end)" % got.get("background"))
    check(got.get("active_jobs") == "[]", "jobs left running: %r" % got.get("active_jobs"))
    # ipykernel without Spark (MMLSPARK_SPARK_SESSION=no) ends it the same way: CancelledError
    # once the awaited sleep (20 s) returns
    async_cell = re.search(r"^CELL 4 (\w+) [0-9.]+ (.*)$", out, re.M)
    check(async_cell and async_cell.group(1) == "error" and "CancelledError" in async_cell.group(2),
          "the interrupted async cell: %r (ipykernel: CancelledError)"
          % (async_cell and async_cell.group(0)))
    check(got.get("alive") == "5", "the kernel did not answer after the async cell's interrupt")


@test
def interrupt_during_a_launch_stops_it_with_one_press(ctx):
    """Stop pressed once while the user's builder launches Spark (its package resolution hangs
    on a repository that never answers): the cell ends at once, no Java process is left, and
    `spark` then works (the default session)."""
    _, cells, got = kernel_job(ctx, "kernel_launch_interrupt.py")
    check(cells.get(1, ("", 99))[0] == "error" and cells[1][1] < 5,
          "the cell whose launch was interrupted: %s (status, seconds after one press)"
          % (cells.get(1),))
    check(got.get("java_left") == "0", "%s Java processes left after the interrupted launch"
          % got.get("java_left"))
    check(got.get("after") == "3", "spark after the interrupted launch: %r" % got.get("after"))


@test
def a_kernel_that_never_uses_spark_imports_and_launches_nothing(ctx):
    """A notebook that never touches Spark: pyspark is not imported, no Java process runs, and
    `spark`, `sc` and sparkmonitor's `conf` are there as names; the cell that then uses `spark`
    gets the session (pyspark's shell has it from the start)."""
    _, got = run_cells(ctx, "nospark", [
        "import builtins, os, sys\nx = sum(range(10))",
        "def java():\n"
        "    n = 0\n"
        "    for p in filter(str.isdigit, os.listdir('/proc')):\n"
        "        try:\n"
        "            n += open('/proc/%s/comm' % p).read().strip() == 'java'\n"
        "        except OSError:\n"
        "            pass\n"
        "    return n\n"
        "import time\ntime.sleep(3)\n"
        "print('RESULT pyspark', 'pyspark' in sys.modules, java())\n"
        "print('RESULT names', hasattr(builtins, 'spark'), hasattr(builtins, 'sc'), 'conf' in dir())",
        "print('RESULT later', spark.range(3).count(), type(conf).__name__, java())"], *MOUNT)
    check(got.get("pyspark") == "False 0",
          "a kernel that has not used Spark: pyspark imported, Java processes: %r" % got.get("pyspark"))
    check(got.get("names") == "True True True", "spark, sc, conf as names: %r" % got.get("names"))
    check(got.get("later") == "3 SparkConf 1", "spark then: %r" % got.get("later"))


# Spark's driver JVMs in the container (not spark-submit's launcher JVM, which runs first)
JAVA_PIDS = ("def java():\n"
             "    pids = []\n"
             "    for p in filter(str.isdigit, os.listdir('/proc')):\n"
             "        try:\n"
             "            cmd = open('/proc/%s/cmdline' % p, 'rb').read().split(b'\\0')\n"
             "        except OSError:\n"
             "            continue\n"
             "        if (cmd[0].endswith(b'/java') and b'org.apache.spark.deploy.SparkSubmit' in cmd\n"
             "                and b'org.apache.spark.launcher.Main' not in cmd):\n"
             "            pids.append(int(p))\n"
             "    return sorted(pids)\n")


@test
def importing_synapseml_launches_spark_ahead_and_the_notebooks_world_still_wins(ctx):
    """`import synapse.ml...` launches Spark's JVM before it imports pyspark, and the imports go
    on while the JVM starts (SynapseML needs it; the first cell with SynapseML is then no slower
    than plain Spark's). The session then uses that JVM, which maps the image's class-data
    archive (SynapseML's jars after Spark's), and sparkmonitor's listener in it reports to the
    kernel (the port it was given before sparkmonitor loaded); when
    the notebook changes its environment or working directory after the import, the session
    gets a new JVM with them, as plain pyspark would, and the early one is gone."""
    _, got = run_cells(ctx, "ahead", [
        "import os, sys, time\n" + JAVA_PIDS +
        "import synapse.ml.lightgbm\n"
        "deadline = time.time() + 60\n"
        "while not java() and time.time() < deadline:\n"
        "    time.sleep(0.2)\n"
        "early = java()\n"
        "from pyspark.sql import SparkSession\n"
        "print('RESULT early', len(early), SparkSession._instantiatedSession is not None)",
        "print('RESULT same', spark._jvm.java.lang.ProcessHandle.current().pid() == early[0], "
        "java() == early)\n"
        "maps = open('/proc/%d/maps' % early[0]).read()\n"
        "print('RESULT cds', '/usr/share/mmlspark/spark-driver.jsa' in maps)\n"
        "print('RESULT before_pyspark', getattr(sc._gateway.proc, 'prelaunched', False))\n"
        "port = int(os.environ['SPARKMONITOR_KERNEL_PORT'])\n"
        "spark.range(3).count()\n"
        "tcp = [l.split() for f in ('/proc/net/tcp', '/proc/net/tcp6')\n"
        "       for l in open(f).read().splitlines()[1:]]\n"
        "print('RESULT monitor', spark._jvm.java.lang.System.getenv('SPARKMONITOR_KERNEL_PORT')\n"
        "      == str(port), any(t[1].endswith(':%04X' % port) and t[3] == '01' for t in tcp))"],
        *MOUNT)
    check(got.get("early") == "1 False",
          "after the import, before any session: Java processes, a session: %r" % got.get("early"))
    check(got.get("same") == "True True", "the session runs in the JVM the import launched: %r"
          % got.get("same"))
    check(got.get("cds") == "True", "the driver maps the image's class-data archive: %r"
          % got.get("cds"))
    check(got.get("before_pyspark") == "True",
          "the session's JVM is the one launched before pyspark's import: %r"
          % got.get("before_pyspark"))
    check(got.get("monitor") == "True True", "sparkmonitor's listener in that JVM has the "
          "kernel's port and is connected to it: %r" % got.get("monitor"))
    _, got = run_cells(ctx, "ahead-world", [
        "import os, time\n" + JAVA_PIDS +
        "import synapse.ml.lightgbm\n"
        "deadline = time.time() + 60\n"
        "while not java() and time.time() < deadline:\n"
        "    time.sleep(0.2)\n"
        "early = java()\n"
        "os.environ['MMLTEST_VAR'] = 'set-after-the-import'\n"
        "os.makedirs('/tmp/wd', exist_ok=True)\nos.chdir('/tmp/wd')",
        "print('RESULT env', spark._jvm.java.lang.System.getenv('MMLTEST_VAR'))\n"
        "print('RESULT cwd', spark._jvm.java.lang.System.getProperty('user.dir'))\n"
        "pid = spark._jvm.java.lang.ProcessHandle.current().pid()\n"
        "print('RESULT jvms', len(early), pid not in early, java() == [pid])"], *MOUNT)
    check(got.get("env") == "set-after-the-import", "the JVM's environment: %r" % got.get("env"))
    check(got.get("cwd") == "/tmp/wd", "the JVM's working directory: %r" % got.get("cwd"))
    check(got.get("jvms") == "1 True True",
          "early JVMs, the session's is another, only it runs: %r" % got.get("jvms"))


@test
def a_client_that_connects_at_once_gets_the_first_answers_status(ctx):
    """A client that starts the kernel and asks kernel_info at once, its output subscription
    reaching the kernel after its request (nbconvert, papermill): the kernel answers once the
    subscription is there, so the status of that first answer arrives and the client need not
    ask again (0.2 to 0.3 s later: docs/notebooks.md#jupyter)."""
    _, _, got = kernel_job(ctx, "kernel_first_answer.py")
    check(got.get("answered", "").startswith("kernel_info_reply"),
          "the kernel's answer: %r" % got.get("answered"))
    check(got.get("first_statuses") == "busy,idle",
          "status messages of the first request on IOPub: %r" % got.get("first_statuses"))


@test
def two_busy_kernels_share_the_driver_heap_under_a_memory_limit(ctx):
    """Two kernels in a container with `-m 5g` both start Spark and then fill their drivers'
    heaps at once (65 %): the second kernel's driver gets what the first leaves of the image's
    driver heap (at least 512 MiB, said in its cell), no process of the container is killed for
    memory, and both kernels answer afterwards. (Each with the whole driver heap, 2 x 2.4 GiB,
    the two would pass the limit.)"""
    name = new_name("two-heaps")
    ctx["containers"] = [name]
    rc, out = docker("run", "--name", name, *NONE, "-m", "5g", "-v", "%s/jobs:/jobs:ro" % HERE,
                     *MOUNT, e2e.image, "python3", "/jobs/kernel_two_heaps.py", timeout=600)
    ctx["output"] = out
    check(rc == 0, "kernel_two_heaps.py exited %d: %s" % (rc, out[-1500:]))
    got = dict(m.groups() for m in re.finditer(r"^RESULT (\w+) (.*)$", out, re.M))
    print("    %s" % got)
    a, b = int(got.get("heap_a", 0)), int(got.get("heap_b", 0))
    said = re.search(r"leave (\d+) of the (\d+) MiB", out)
    check(said and b == 512 and a == int(said.group(2)),
          "driver heaps %s and %s MiB; the second kernel's cell said: %s (expected the image's "
          "driver heap, then 512 MiB and one line saying why)" % (a, b, said and said.group(0)))
    check(int(got.get("held_a", 0)) > 0.6 * a and int(got.get("held_b", 0)) > 0.6 * b,
          "the drivers did not fill their heaps: %r %r" % (got.get("held_a"), got.get("held_b")))
    check(got.get("oom_kills") == "0", "processes killed for memory: %r" % got.get("oom_kills"))
    check(got.get("alive_a") == "3" and got.get("alive_b") == "3",
          "a kernel does not answer after the busy cells: %r %r"
          % (got.get("alive_a"), got.get("alive_b")))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", default=e2e.image)
    ap.add_argument("-k", default="")
    ap.add_argument("--kernel-module")
    opts = ap.parse_args()
    e2e.image = opts.image
    if opts.kernel_module:
        MOUNT.extend(["-v", "%s:%s:ro" % (os.path.abspath(opts.kernel_module), KERNEL_MODULE)])
    atexit.register(e2e.cleanup)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    return run_tests(TESTS, opts.k, after=e2e.after_test)


if __name__ == "__main__":
    sys.exit(main())
