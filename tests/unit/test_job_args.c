/* Unit tests: command splitting, Jupyter's argv and the token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "job.h"

static void test_split_command_on_whitespace(void **state)
{
    (void)state;
    char buf[128];
    char *argv[8];
    assert_int_equal(
        split_command("  mmlspark-env --  jupyter\tnotebook ", buf, sizeof(buf), argv, 8), 4);
    assert_string_equal(argv[0], "mmlspark-env");
    assert_string_equal(argv[1], "--");
    assert_string_equal(argv[3], "notebook");
    assert_null(argv[4]);
    assert_int_equal(split_command("a b c d e f g h i", buf, sizeof(buf), argv, 8), -1);
    assert_int_equal(split_command("abcdefgh", buf, 4, argv, 8), -1);
}

static void test_jupyter_argv_has_port_dir_and_no_browser(void **state)
{
    (void)state;
    struct mml_settings s;
    settings_init(&s);
    s.port = 80;
    s.notebook_dir = "/notebooks";
    char buf[1024];
    char *argv[32];
    int n = jupyter_argv(&s, 0, buf, sizeof(buf), argv, 32);
    assert_int_equal(n, 7);
    assert_string_equal(argv[0], "jupyter");
    assert_string_equal(argv[1], "lab");
    assert_string_equal(argv[2], "--no-browser");
    assert_string_equal(argv[3], "--ip=*"); /* every IPv4 and IPv6 address */
    assert_string_equal(argv[4], "--port=80");
    assert_string_equal(argv[5], "--port-retries=0");
    assert_string_equal(argv[6], "--notebook-dir=/notebooks");
    assert_null(argv[7]);
    settings_free(&s);
}

static void test_allow_root_only_when_job_is_root(void **state)
{
    (void)state;
    struct mml_settings s;
    settings_init(&s);
    char buf[1024];
    char *argv[32];
    int n = jupyter_argv(&s, 1, buf, sizeof(buf), argv, 32);
    assert_string_equal(argv[n - 1], "--allow-root");
    n = jupyter_argv(&s, 0, buf, sizeof(buf), argv, 32);
    for (int i = 0; i < n; i++)
        assert_string_not_equal(argv[i], "--allow-root");
    assert_int_equal(jupyter_argv(&s, 1, buf, 40, argv, 32), -1);
    settings_free(&s);
}

static void test_hub_argv_is_the_hub_command_and_allow_root_only_as_root(void **state)
{
    (void)state;
    struct mml_settings s;
    settings_init(&s);
    s.hub_command = "mmlspark-env -- jupyterhub-singleuser";
    char buf[1024];
    char *argv[32];
    assert_int_equal(hub_argv(&s, 0, buf, sizeof(buf), argv, 32), 3); /* no --port: the hub's */
    assert_string_equal(argv[2], "jupyterhub-singleuser");
    assert_null(argv[3]);
    assert_int_equal(hub_argv(&s, 1, buf, sizeof(buf), argv, 32), 4);
    assert_string_equal(argv[3], "--allow-root");
    assert_int_equal(hub_argv(&s, 1, buf, 40, argv, 32), -1);
    settings_free(&s);
}

static void test_spawned_by_hub_only_with_its_api_token(void **state)
{
    (void)state;
    unsetenv("JUPYTERHUB_API_TOKEN");
    assert_false(job_spawned_by_hub());
    setenv("JUPYTERHUB_API_TOKEN", "", 1);
    assert_false(job_spawned_by_hub());
    setenv("JUPYTERHUB_API_TOKEN", "abc", 1);
    assert_true(job_spawned_by_hub());
    unsetenv("JUPYTERHUB_API_TOKEN");
}

static void test_token_is_random_hex(void **state)
{
    (void)state;
    char a[49], b[49];
    assert_int_equal(random_token(a, 24), 0);
    assert_int_equal(random_token(b, 24), 0);
    assert_int_equal(strlen(a), 48);
    assert_int_equal(strspn(a, "0123456789abcdef"), 48);
    assert_string_not_equal(a, b);
}

static void test_spark_daemon_argv(void **state)
{
    (void)state;
    struct mml_settings s;
    settings_init(&s);
    s.spark_mode = MODE_MASTER;
    char **argv = spark_daemon_argv(&s);
    assert_string_equal(argv[0], "spark-class");
    assert_string_equal(argv[1], "org.apache.spark.deploy.master.Master");
    assert_null(argv[2]);
    s.spark_mode = MODE_WORKER;
    s.spark_master_url = "spark://master:7077";
    argv = spark_daemon_argv(&s);
    assert_string_equal(argv[1], "org.apache.spark.deploy.worker.Worker");
    assert_string_equal(argv[2], "spark://master:7077");
    assert_null(argv[3]);
    assert_int_equal(job_check_spark_mode(&s), 0);
    s.spark_master_url = "";
    assert_int_equal(job_check_spark_mode(&s), EXIT_USAGE);
    s.spark_mode = MODE_HISTORY;
    argv = spark_daemon_argv(&s);
    assert_string_equal(argv[0], "mmlspark-role");
    assert_string_equal(argv[1], "history");
    assert_null(argv[2]);
    assert_int_equal(job_check_spark_mode(&s), 0);
    s.spark_mode = MODE_CONNECT; /* its clients' token is the cluster's secret: none, no start */
    unsetenv("SPARK_AUTH_SECRET");
    unsetenv("SPARK_AUTH_SECRET_FILE");
    assert_int_equal(job_check_spark_mode(&s), EXIT_USAGE);
    setenv("SPARK_AUTH_SECRET", "0123456789abcdef0123456789abcdef", 1);
    assert_int_equal(job_check_spark_mode(&s), 0);
    argv = spark_daemon_argv(&s);
    assert_string_equal(argv[0], "mmlspark-role");
    assert_string_equal(argv[1], "connect");
    unsetenv("SPARK_AUTH_SECRET");
    settings_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_command_on_whitespace),
        cmocka_unit_test(test_jupyter_argv_has_port_dir_and_no_browser),
        cmocka_unit_test(test_allow_root_only_when_job_is_root),
        cmocka_unit_test(test_hub_argv_is_the_hub_command_and_allow_root_only_as_root),
        cmocka_unit_test(test_spawned_by_hub_only_with_its_api_token),
        cmocka_unit_test(test_token_is_random_hex),
        cmocka_unit_test(test_spark_daemon_argv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
