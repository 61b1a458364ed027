"""Process tests: mmlspark-init and the Spark cluster's secret (no Docker, no Spark).

A bad SPARK_AUTH_SECRET / SPARK_AUTH_SECRET_FILE stops the container at start with one error line
(exit 64) whatever the job; a master or worker without a secret says, in one warning line, that
the cluster is open and how to close it; the secret itself never appears in init's output.
Needs the built mmlspark-init (MMLSPARK_INIT). The job is a stand-in `spark-class` on PATH.
"""
import os
import subprocess
import tempfile
import unittest

INIT = os.environ.get("MMLSPARK_INIT", "")
ENV = {k: v for k, v in os.environ.items() if not k.startswith("SPARK_AUTH_SECRET")}
ENV.update(ACCEPT_EULA="yes", MMLSPARK_LOG="info")
SECRET = "s3cr3t-0123456789abcdef"


class SparkAuth(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        spark_class = os.path.join(self.dir.name, "spark-class")
        with open(spark_class, "w") as f:  # prints its arguments, as a daemon would start
            f.write('#!/bin/sh\necho "spark-class $*"\n')
        os.chmod(spark_class, 0o755)
        self.env = dict(ENV, PATH=self.dir.name + ":" + ENV.get("PATH", "/usr/bin:/bin"))

    def init(self, cmd=(), **env):
        return subprocess.run([INIT, *cmd], capture_output=True, text=True, timeout=60,
                              env=dict(self.env, **env))

    def secret_file(self, content):
        path = os.path.join(self.dir.name, "spark_auth")
        with open(path, "w") as f:
            f.write(content)
        return path

    def assert_one_error_line(self, r, *words):
        self.assertEqual(r.returncode, 64, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("error", lines[0])
        for w in words:
            self.assertIn(w, lines[0])
        self.assertNotIn(SECRET, r.stdout + r.stderr)

    def test_secret_and_secret_file_both_set_give_64_before_any_job(self):
        path = self.secret_file(SECRET)
        for cmd, mode in (((), "master"), ((), "notebook"), (("--", "true"), "notebook")):
            with self.subTest(cmd=cmd, mode=mode):
                r = self.init(cmd, SPARK_MODE=mode, SPARK_AUTH_SECRET=SECRET,
                              SPARK_AUTH_SECRET_FILE=path)
                self.assert_one_error_line(r, "SPARK_AUTH_SECRET and SPARK_AUTH_SECRET_FILE")
                self.assertNotIn("spark-class", r.stdout)

    def test_empty_missing_or_directory_secret_file_gives_64_naming_it(self):
        for path in (self.secret_file("\n"), os.path.join(self.dir.name, "nonexistent"),
                     self.dir.name):
            with self.subTest(path=path):
                r = self.init(SPARK_MODE="worker", SPARK_MASTER_URL="spark://master:7077",
                              SPARK_AUTH_SECRET_FILE=path)
                self.assert_one_error_line(r, "SPARK_AUTH_SECRET_FILE='%s'" % path)

    def test_open_master_and_worker_warn_once_how_to_close_the_cluster(self):
        for env in ({"SPARK_MODE": "master"},
                    {"SPARK_MODE": "worker", "SPARK_MASTER_URL": "spark://master:7077"}):
            with self.subTest(**env):
                r = self.init(**env)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("spark-class org.apache.spark.deploy.", r.stdout)
                warnings = [ln for ln in r.stderr.splitlines() if "cluster is open" in ln]
                self.assertEqual(len(warnings), 1, r.stderr)
                self.assertIn("warn", warnings[0])
                self.assertIn("SPARK_AUTH_SECRET", warnings[0])

    def test_master_with_a_secret_starts_without_the_warning_or_the_secret_in_its_output(self):
        for env in ({"SPARK_AUTH_SECRET": SECRET},
                    {"SPARK_AUTH_SECRET_FILE": self.secret_file(SECRET + "\n")}):
            with self.subTest(**env):
                r = self.init(SPARK_MODE="master", **env)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("spark-class org.apache.spark.deploy.master.Master", r.stdout)
                self.assertNotIn("cluster is open", r.stderr)
                self.assertNotIn(SECRET, r.stdout + r.stderr)

    def test_notebook_and_commands_do_not_warn(self):
        r = self.init(("--", "true"), SPARK_MODE="master")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("cluster is open", r.stderr)


if __name__ == "__main__":
    unittest.main()
