#!/usr/bin/env python3
"""test_kernel.py - the notebook kernels' Spark module, unit by unit, with no pyspark and no JVM:
the redaction of "not applied" notices, the `spark`/`sc` stand-ins, the first-use trigger's
guard, the launch key (environment, working directory), the interrupt of a cell, the setup on
pyspark's first import, the launch at SynapseML's import (made before pyspark's and adopted by the
session) and the driver heap shared by the container's kernels.
Usage: python3 tests/kernel/test_kernel.py [-v]"""
import os
import pickle
import signal
import sys
import threading
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "image",
                                "kernel"))
import mmlspark_kernel as mk  # noqa: E402

IMAGE_REGEX = r"(?i)secret|password|token|access[.]?key|account[.]key|[.]sas[.]|sig="
AZURE_ACCOUNT_KEY = "A" * 40 + "b+/9" * 11 + "12=="  # 88 characters, as Azure shows one


class FakeSparkContext:
    _active_spark_context = None


class FakeConf:
    def __init__(self, items):
        self.items = items

    def getAll(self):  # noqa: N802 - pyspark's name
        return list(self.items.items())


def fake_pyspark():
    module = types.ModuleType("pyspark")
    module.SparkContext = FakeSparkContext
    sys.modules["pyspark"] = module


class Redaction(unittest.TestCase):
    def test_s3a_secret_key_is_redacted_by_sparks_default_rule(self):
        self.assertEqual(mk.redact("spark.hadoop.fs.s3a.secret.key", "wJalrXUtnFEMI"),
                         mk.REDACTED)

    def test_access_key_and_token_names_are_redacted(self):
        for key in ("spark.hadoop.fs.s3a.access.key", "spark.hadoop.fs.s3a.session.token",
                    "spark.myapp.password"):
            self.assertEqual(mk.redact(key, "value"), mk.REDACTED, key)

    def test_a_secret_in_the_value_is_redacted_whatever_the_name(self):
        self.assertEqual(mk.redact("spark.myapp.url", "https://x/?token=abc"), mk.REDACTED)

    def test_azure_account_key_setting_is_redacted_by_the_images_rule(self):
        key = "spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net"
        self.assertEqual(mk.redact(key, "short", IMAGE_REGEX), mk.REDACTED)

    def test_azure_account_key_value_is_redacted_under_any_rule(self):
        self.assertEqual(mk.redact("spark.myapp.blob", AZURE_ACCOUNT_KEY), mk.REDACTED)
        self.assertEqual(mk.redact("spark.myapp.conn", "AccountName=a;AccountKey=" + AZURE_ACCOUNT_KEY, "(?!)"),
                         mk.REDACTED)

    def test_ordinary_settings_are_shown_as_they_are(self):
        self.assertEqual(mk.redact("spark.driver.memory", "5g", IMAGE_REGEX), "5g")
        self.assertEqual(mk.redact("spark.master", "local[2]"), "local[2]")
        self.assertIsNone(mk.redact("spark.driver.memory", None))


class Notices(unittest.TestCase):
    """unapplied(): the settings a builder gave that the running context does not have."""

    def setUp(self):
        sql = types.ModuleType("pyspark.sql")
        sql.SparkSession = types.SimpleNamespace(_instantiatedSession=None)
        fake_pyspark()
        sys.modules["pyspark.sql"] = sql
        self.addCleanup(sys.modules.pop, "pyspark.sql")
        self.addCleanup(sys.modules.pop, "pyspark")
        running = {"spark.driver.memory": "3g", "spark.redaction.regex": IMAGE_REGEX,
                   "spark.extraListeners": "a.Listener,sparkmonitor.Listener"}
        self.sc = types.SimpleNamespace(master="local[*]", getConf=lambda: running)

    def test_a_setting_that_differs_is_named_with_both_values(self):
        self.assertEqual(mk.unapplied(self.sc, [("spark.driver.memory", "5g")]),
                         ["spark.driver.memory=5g (it runs with 3g)"])

    def test_a_list_the_running_one_holds_is_applied(self):
        self.assertEqual(mk.unapplied(self.sc, [("spark.extraListeners", "sparkmonitor.Listener"),
                                                ("spark.master", "local[*]")]), [])

    def test_secrets_are_redacted_with_the_running_rule(self):
        key = "spark.hadoop.fs.azure.account.key.a.blob.core.windows.net"
        self.assertEqual(mk.unapplied(self.sc, [(key, "hunter2")]),
                         ["%s=%s (it runs with Spark's default)" % (key, mk.REDACTED)])


class Real:
    stopped = False
    value = 41

    def stop(self):
        self.stopped = True

    def __repr__(self):
        return "<Real>"


class Unpicklable:
    def __reduce_ex__(self, protocol):
        raise RuntimeError("It appears that you are attempting to reference SparkContext")


class StandIns(unittest.TestCase):
    def setUp(self):
        self.made = []
        self.ns = {}

    def make(self):
        self.made.append(1)
        return Real()

    def names(self, make=None):
        mk.spark_names(self.ns, {"spark": (lambda: Real, make or self.make)})
        self.addCleanup(lambda: vars(mk.builtins).pop("spark", None))
        return self.ns["spark"]

    def test_isinstance_and_no_session_before_the_first_use(self):
        spark = self.names()
        self.assertIsInstance(spark, Real)
        self.assertEqual(self.made, [])

    def test_first_use_puts_the_real_object_in_the_namespace_and_builtins(self):
        spark = self.names()
        self.assertEqual(spark.value, 41)
        self.assertIs(type(self.ns["spark"]), Real)
        self.assertIs(vars(mk.builtins)["spark"], self.ns["spark"])
        self.assertEqual(repr(spark), "<Real>")
        self.assertEqual(self.made, [1])

    def test_code_run_in_another_namespace_finds_it(self):  # %run, exec(code, {})
        self.names()
        scope = {}
        exec("n = spark.value + 1", scope)
        self.assertEqual(scope["n"], 42)

    def test_a_users_own_spark_is_left_alone(self):
        self.ns["spark"] = "mine"
        self.names()
        self.assertEqual(self.ns["spark"], "mine")

    def test_stop_before_any_use_makes_nothing(self):
        spark = self.names()
        spark.stop()
        self.assertEqual(self.made, [])

    def test_stop_after_use_stops_the_real_object(self):
        spark = self.names()
        real = self.ns["spark"] if spark.value else None
        spark.stop()
        self.assertTrue(real.stopped)

    def test_pickling_behaves_as_the_real_object(self):
        spark = self.names(make=Unpicklable)
        with self.assertRaisesRegex(RuntimeError, "reference SparkContext"):
            pickle.dumps(spark)

    def test_threads_make_it_once(self):
        spark = self.names()
        threads = [threading.Thread(target=lambda: spark.value) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertLessEqual(len(self.made), 8)
        self.assertIs(type(self.ns["spark"]), Real)


class FirstUseGuard(unittest.TestCase):
    def test_pysparks_own_making_does_not_start_the_default(self):
        making = mk.Making()
        asked = []
        first = mk.FirstUse(lambda: None if making.active() else asked.append(1) or "ctx")

        class Owner:
            attr = first

        @making
        def users_builder():
            self.assertTrue(making.outermost())
            return Owner.attr

        self.assertIsNone(users_builder())
        self.assertEqual(Owner.attr, "ctx")
        self.assertEqual(asked, [1])

    def test_nested_entry_points_are_not_outermost(self):
        making = mk.Making()
        seen = []

        @making
        def inner():
            seen.append(making.outermost())

        @making
        def outer():
            seen.append(making.outermost())
            inner()

        outer()
        self.assertEqual(seen, [True, False])
        self.assertFalse(making.active())


class LaunchKey(unittest.TestCase):
    def setUp(self):
        self.conf = FakeConf({"spark.driver.memory": "2g", "spark.sql.shuffle.partitions": "4"})
        self.cwd = os.getcwd()
        self.addCleanup(os.chdir, self.cwd)

    def test_only_launch_settings_count(self):
        self.assertEqual(mk.launch_key(self.conf)[0], {"spark.driver.memory": "2g"})

    def test_environment_changes_make_another_key(self):
        before = mk.launch_key(self.conf)
        os.environ["PYSPARK_SUBMIT_ARGS"] = "--packages a:b:1 pyspark-shell"
        self.addCleanup(os.environ.pop, "PYSPARK_SUBMIT_ARGS")
        self.assertNotEqual(mk.launch_key(self.conf), before)

    def test_working_directory_changes_make_another_key(self):
        before = mk.launch_key(self.conf)
        os.chdir("/")
        self.assertEqual(mk.launch_key(self.conf)[2], "/")
        self.assertNotEqual(mk.launch_key(self.conf), before) if self.cwd != "/" else None

    def test_variables_the_kernel_sets_itself_do_not_count(self):
        before = mk.launch_key(self.conf)
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
        self.addCleanup(os.environ.pop, "MPLBACKEND")
        self.assertEqual(mk.launch_key(self.conf), before)


class CellInterrupt(unittest.TestCase):
    def setUp(self):
        fake_pyspark()
        self.addCleanup(sys.modules.pop, "pyspark")
        self.cancelled = []
        sc = types.SimpleNamespace(_jsc=object(), cancelJobsWithTag=self.cancelled.append,
                                   addJobTag=lambda t: None, removeJobTag=lambda t: None)
        FakeSparkContext._active_spark_context = sc
        self.addCleanup(setattr, FakeSparkContext, "_active_spark_context", None)
        self.saved = signal.getsignal(signal.SIGINT)
        self.addCleanup(signal.signal, signal.SIGINT, self.saved)

    def test_a_plain_cell_gets_keyboard_interrupt_and_only_its_jobs_are_cancelled(self):
        signal.signal(signal.SIGINT, signal.default_int_handler)
        cell = mk.CellJobs()
        cell.start(7)
        with self.assertRaises(KeyboardInterrupt):
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
        self.assertEqual(self.cancelled, ["mmlspark-cell-7"])

    def test_an_async_cell_keeps_the_kernels_own_handler(self):
        called = []
        signal.signal(signal.SIGINT, lambda *a: called.append(a))
        cell = mk.CellJobs()
        cell.start(3)
        cell.start(3)  # a second start does not chain the handler to itself
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
        self.assertEqual(len(called), 1)
        self.assertEqual(self.cancelled, ["mmlspark-cell-3"])


class FirstImport(unittest.TestCase):
    """on_pyspark_import(): the setup runs once the package pyspark has been imported, not
    before; a failing setup leaves the import working."""

    def setUp(self):
        import tempfile

        self.dir = tempfile.mkdtemp()
        os.mkdir(os.path.join(self.dir, "pyspark"))
        with open(os.path.join(self.dir, "pyspark", "__init__.py"), "w") as f:
            f.write("VALUE = 42\n")
        sys.path.insert(0, self.dir)
        self.addCleanup(sys.path.remove, self.dir)
        self.addCleanup(lambda: sys.modules.pop("pyspark", None))
        self.meta = list(sys.meta_path)
        self.addCleanup(lambda: sys.meta_path.__setitem__(slice(None), self.meta))
        sys.modules.pop("pyspark", None)

    def test_setup_runs_after_the_import_and_sees_the_module(self):
        seen = []
        mk.on_pyspark_import(lambda: seen.append(sys.modules["pyspark"].VALUE))
        self.assertEqual(seen, [])
        import pyspark  # noqa: F401
        self.assertEqual(seen, [42])
        self.assertEqual(len(sys.meta_path), len(self.meta))  # the finder is gone

    def test_a_failing_setup_warns_and_the_import_works(self):
        import contextlib
        import io

        def fail():
            raise RuntimeError("broken")
        mk.on_pyspark_import(fail)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            import pyspark
        self.assertEqual(pyspark.VALUE, 42)
        self.assertIn("Spark's notebook setup failed: broken", err.getvalue())

    def test_already_imported_runs_at_once(self):
        import pyspark  # noqa: F401
        seen = []
        mk.on_pyspark_import(lambda: seen.append(1))
        self.assertEqual(seen, [1])


class BeforeImport(unittest.TestCase):
    """before_import(): SynapseML's import starts the launch before its own code runs, once; a
    failure leaves the import working; a Spark Connect client launches nothing."""

    def setUp(self):
        import tempfile

        self.dir = tempfile.mkdtemp()
        os.makedirs(os.path.join(self.dir, "fakesyn", "ml"))
        open(os.path.join(self.dir, "fakesyn", "__init__.py"), "w").close()
        with open(os.path.join(self.dir, "fakesyn", "ml", "__init__.py"), "w") as f:
            f.write("import builtins\nSEEN_AT_IMPORT = list(builtins.before_import_seen)\n")
        sys.path.insert(0, self.dir)
        self.addCleanup(sys.path.remove, self.dir)
        for name in ("fakesyn", "fakesyn.ml"):
            self.addCleanup(lambda n=name: sys.modules.pop(n, None))
        self.meta = list(sys.meta_path)
        self.addCleanup(lambda: sys.meta_path.__setitem__(slice(None), self.meta))
        import builtins
        builtins.before_import_seen = []
        self.addCleanup(lambda: delattr(builtins, "before_import_seen"))
        self.seen = builtins.before_import_seen

    def test_runs_once_before_the_modules_code(self):
        mk.before_import("fakesyn.ml", lambda: self.seen.append("launch"))
        import fakesyn  # noqa: F401 - the parent package alone: nothing yet
        self.assertEqual(self.seen, [])
        import fakesyn.ml
        self.assertEqual(fakesyn.ml.SEEN_AT_IMPORT, ["launch"])
        sys.modules.pop("fakesyn.ml")
        import fakesyn.ml  # noqa: F811 - a second import: not again
        self.assertEqual(self.seen, ["launch"])
        self.assertEqual(len(sys.meta_path), len(self.meta))

    def test_a_failure_warns_and_the_import_works(self):
        import contextlib
        import io

        def fail():
            raise RuntimeError("no java")
        mk.before_import("fakesyn.ml", fail)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            import fakesyn.ml
        self.assertEqual(fakesyn.ml.SEEN_AT_IMPORT, [])
        self.assertIn("Spark's notebook setup failed: no java", err.getvalue())

    def test_a_spark_connect_client_launches_nothing(self):
        self.assertTrue(mk.connect_client({"SPARK_REMOTE": "sc://connect:15002"}))
        self.assertTrue(mk.connect_client({"SPARK_CONNECT_MODE_ENABLED": "1"}))
        self.assertFalse(mk.connect_client({}))


class LaunchPopen(unittest.TestCase):
    """The launching thread's poll() returns once the JVM's port file exists, or with the exit
    code of a launch that ended without it; other threads poll as usual."""

    def test_poll_returns_once_the_port_file_exists(self):
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            conn = os.path.join(d, "conn")
            p = mk.LaunchPopen(conn, ["sh", "-c", "sleep 0.3; : > %s; sleep 30" % conn])
            try:
                self.assertIsNone(p.poll())
                self.assertTrue(os.path.isfile(conn))
            finally:
                p.kill()
                p.wait()

    def test_a_launch_that_ends_without_the_file_gives_its_code(self):
        p = mk.LaunchPopen("/nonexistent/conn", ["sh", "-c", "sleep 0.2; exit 3"])
        self.assertEqual(p.poll(), 3)

    def test_another_thread_does_not_wait(self):
        import threading

        p = mk.LaunchPopen("/nonexistent/conn", ["sleep", "30"])
        got = []
        try:
            t = threading.Thread(target=lambda: got.append(p.poll()))
            t.start()
            t.join(1)
            self.assertEqual(got, [None])  # answered at once, not after the launcher's wait
        finally:
            p.kill()
            p.wait()


class Prelaunch(unittest.TestCase):
    """The launch SynapseML's import makes before pyspark's: pyspark's own command; adopted by a
    launch with the same command, environment and working directory, whose poll() then finds
    the port file where pyspark looks; else stopped."""

    def setUp(self):
        import tempfile

        self.home = tempfile.mkdtemp()
        os.mkdir(os.path.join(self.home, "bin"))
        submit = os.path.join(self.home, "bin", "spark-submit")
        with open(submit, "w") as f:  # writes its port file as Spark's gateway does (a rename)
            f.write('#!/bin/sh\nsleep 0.2\necho 1 > "$_PYSPARK_DRIVER_CONN_INFO_PATH.tmp"\n'
                    'mv "$_PYSPARK_DRIVER_CONN_INFO_PATH.tmp" "$_PYSPARK_DRIVER_CONN_INFO_PATH"\n'
                    'exec sleep 30\n')
        os.chmod(submit, 0o755)
        self.env = {"SPARK_HOME": self.home, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        self.conf = mk.PlainConf().set("spark.app.name", "a b").set("spark.master", "local[*]")
        self.started = []

    def tearDown(self):
        import shutil

        for pre in self.started:
            pre.discard()
            pre.proc.wait(5)
        shutil.rmtree(self.home, ignore_errors=True)

    def prelaunch(self, **kwargs):
        self.started.append(mk.Prelaunch(mk.gateway_command(self.conf, self.env), self.conf,
                                          self.env, lambda text: None, **kwargs))
        return self.started[-1]

    def pyspark_env(self, path="/nonexistent/conn"):
        return dict(self.env, _PYSPARK_DRIVER_CONN_INFO_PATH=path)

    def test_the_command_is_pysparks(self):
        env = dict(self.env, PYSPARK_SUBMIT_ARGS="--master 'local[2]' pyspark-shell")
        self.assertEqual(mk.gateway_command(self.conf, env), [
            os.path.join(self.home, "./bin/spark-submit"), "--conf", "spark.app.name=a b",
            "--conf", "spark.master=local[*]", "--master", "local[2]", "pyspark-shell"])
        self.assertEqual(mk.gateway_command(self.conf, self.env)[-1], "pyspark-shell")
        for other in ({}, {"SPARK_TESTING": "1"}, {"PYSPARK_GATEWAY_PORT": "1"}):
            env = dict(self.env, **other) if other else {}
            self.assertIsNone(mk.gateway_command(self.conf, env), other)

    def test_an_adopted_launch_finds_its_port_file_where_pyspark_looks(self):
        import tempfile

        pre = self.prelaunch()
        command = mk.gateway_command(self.conf, self.env)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "conn")
            self.assertTrue(pre.serves(command, self.pyspark_env(path)))
            proc = pre.proc.adopt(path)
            self.assertIsNone(proc.poll())  # waits for the file (0.2 s), then finds it moved
            self.assertTrue(os.path.isfile(path))
            self.assertFalse(os.path.exists(pre.dir))
            self.assertTrue(proc.prelaunched)

    def test_another_command_environment_or_directory_is_not_served(self):
        pre = self.prelaunch()
        command = mk.gateway_command(self.conf, self.env)
        self.assertFalse(pre.serves(command + ["--verbose"], self.pyspark_env()))
        self.assertFalse(pre.serves(command, dict(self.pyspark_env(), AWS_PROFILE="other")))
        cwd = os.getcwd()
        os.chdir("/")
        try:
            self.assertFalse(pre.serves(command, self.pyspark_env()))
        finally:
            os.chdir(cwd)
        pre.proc.kill()
        pre.proc.wait(5)
        self.assertFalse(pre.serves(command, self.pyspark_env()))  # it ended: launch anew

    def test_discard_stops_it_and_closes_the_socket_sparkmonitor_did_not_take(self):
        sock = mk.listening_socket()
        pre = self.prelaunch(monitor_socket=sock)
        pre.discard()
        self.assertIsNotNone(pre.proc.wait(5))
        self.assertEqual(sock.fileno(), -1)
        self.assertFalse(os.path.exists(pre.dir))

    def test_sparkmonitors_thread_listens_on_the_socket_the_jvm_was_given(self):
        class SocketThread:  # sparkmonitor's, as far as startSocket goes
            def startSocket(self):  # noqa: N802
                raise AssertionError("sparkmonitor's own socket")

            def start(self):
                self.started = True

        sock = mk.listening_socket()
        ahead = types.SimpleNamespace(monitor_socket=sock)
        try:
            thread = mk.monitor_socket_thread(SocketThread, ahead)()
            self.assertEqual(thread.startSocket(), sock.getsockname()[1])
            self.assertTrue(thread.started and thread.sock is sock)
            self.assertIsNone(ahead.monitor_socket)  # sparkmonitor's now: not closed by discard
        finally:
            sock.close()


class ClassDataSharing(unittest.TestCase):
    """with_cds(): the driver maps the image's archive unless the user's options name their own
    or turn sharing off; image_settings(): Spark's jars first on the driver's class path."""

    def test_the_archive_goes_to_the_drivers_options(self):
        env = mk.with_cds({"SPARK_SUBMIT_OPTS": "-Dx=1"}, "/a.jsa")
        self.assertEqual(env["SPARK_SUBMIT_OPTS"], "-XX:SharedArchiveFile=/a.jsa -Dx=1")
        self.assertEqual(mk.with_cds({}, "/a.jsa")["SPARK_SUBMIT_OPTS"],
                         "-XX:SharedArchiveFile=/a.jsa")

    def test_the_launchers_archive_goes_to_its_options_silently(self):
        env = mk.with_cds({"SPARK_LAUNCHER_OPTS": "-Dy=2"}, None, "/l.jsa")
        self.assertEqual(env["SPARK_LAUNCHER_OPTS"], "-XX:SharedArchiveFile=/l.jsa -Xlog:cds=off "
                         "-Xlog:cds+dynamic=off -Dy=2")
        self.assertNotIn("SPARK_SUBMIT_OPTS", env)

    def test_the_users_own_archive_or_xshare_off_wins(self):
        for opts in ("-XX:SharedArchiveFile=/mine.jsa", "-Xshare:off"):
            self.assertEqual(mk.with_cds({"SPARK_SUBMIT_OPTS": opts}, "/a.jsa"),
                             {"SPARK_SUBMIT_OPTS": opts})

    def test_no_archive_changes_nothing(self):
        self.assertEqual(mk.with_cds({}, None), {})

    def test_sparks_jars_come_first_on_the_drivers_class_path(self):
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".jsa") as f:
            saved = mk.CDS_ARCHIVE
            mk.cds_archive.__defaults__ = (f.name,)
            try:
                _, adds = mk.image_settings({"MML_PACKAGE": ""}, "/m/listener.jar")
            finally:
                mk.cds_archive.__defaults__ = (saved,)
        self.assertEqual(adds["spark.driver.extraClassPath"], "/opt/spark/jars/*:/m/listener.jar")
        _, adds = mk.image_settings({"MML_PACKAGE": ""}, "/m/listener.jar")
        self.assertEqual(adds["spark.driver.extraClassPath"], "/m/listener.jar")


class DriverHeap(unittest.TestCase):
    """driver_heap_mib(): a kernel's driver gets the image's driver heap less the heaps of the
    drivers already running in the container, at least 512 MiB; the notebook's own wins."""

    def setUp(self):
        import tempfile

        self.dir = tempfile.mkdtemp()
        self.proc = os.path.join(self.dir, "proc")
        os.mkdir(self.proc)
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        with open(os.path.join(bin_dir, "mmlspark-env"), "w") as f:
            f.write("#!/bin/sh\necho \"export SPARK_HOME='/opt/spark'\"\n"
                    "[ -n \"$SPARK_DRIVER_MEMORY\" ] && exit 3\n"
                    "echo \"export SPARK_DRIVER_MEMORY='1216m'\"\n")
        os.chmod(os.path.join(bin_dir, "mmlspark-env"), 0o755)
        path = os.environ["PATH"]
        os.environ["PATH"] = bin_dir + ":" + path
        self.addCleanup(os.environ.__setitem__, "PATH", path)
        self.logged = []

    def driver(self, pid, xmx, main="org.apache.spark.deploy.SparkSubmit"):
        os.mkdir(os.path.join(self.proc, str(pid)))
        with open(os.path.join(self.proc, str(pid), "cmdline"), "wb") as f:
            f.write(b"\0".join(a.encode() for a in
                               ["/usr/bin/java", "-cp", "x", "-Xmx" + xmx, main, "pyspark-shell"]))

    def heap(self, conf=None, env=None):
        env = {"PATH": os.environ["PATH"], "SPARK_DRIVER_MEMORY": "1216m"} if env is None else env
        return mk.driver_heap_mib(self.logged.append, conf or {}, env, self.proc)

    def test_alone_it_gets_the_images_driver_heap(self):
        self.driver(10, "4g", main="org.apache.spark.deploy.worker.Worker")  # not a driver
        self.assertEqual(self.heap(), 1216)

    def test_a_second_driver_gets_what_the_first_leaves(self):
        self.driver(10, "700m")
        self.assertEqual(self.heap(), 516)
        self.assertEqual(self.logged, [])

    def test_nothing_left_gives_512_and_says_so(self):
        self.driver(10, "1216m")
        self.driver(11, "1048576k")
        self.assertEqual(self.heap(), 512)
        self.assertEqual(len(self.logged), 1)
        self.assertIn("(2, with 2240 MiB of heap) leave 0 of the 1216 MiB", self.logged[0])

    def test_the_notebooks_own_heap_wins(self):
        self.driver(10, "1216m")
        self.assertIsNone(self.heap(conf={"spark.driver.memory": "2g"}))
        self.assertIsNone(self.heap(env={"PATH": os.environ["PATH"],
                                         "PYSPARK_SUBMIT_ARGS": "--driver-memory 2g pyspark-shell"}))
        self.assertIsNone(self.heap(env={"PATH": os.environ["PATH"], "SPARK_DRIVER_MEMORY": "3g"}))

    def test_no_memory_limit_leaves_sparks_default(self):
        with open(os.path.join(self.dir, "bin", "mmlspark-env"), "w") as f:
            f.write("#!/bin/sh\necho \"export SPARK_HOME='/opt/spark'\"\n")
        self.assertIsNone(self.heap(env={"PATH": os.environ["PATH"]}))

    def test_jvm_sizes(self):
        self.assertEqual([mk.heap_mib(t) for t in ("512m", "2g", "1048576k", "1073741824", "x")],
                         [512, 2048, 1024, 1024, None])


if __name__ == "__main__":
    unittest.main()
