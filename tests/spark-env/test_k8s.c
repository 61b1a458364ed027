/* test_k8s.c - `driver` and `executor` run what Spark 3.5's Kubernetes backend expects of its
 * image, from the environment it gives pods; a pod without it gets one line and exit 64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "k8s.h"

static char *executor_env[] = {
    "SPARK_DRIVER_URL=spark://CoarseGrainedScheduler@10.0.0.5:7078",
    "SPARK_EXECUTOR_ID=3",
    "SPARK_EXECUTOR_CORES=2",
    "SPARK_EXECUTOR_MEMORY=1024m",
    "SPARK_APPLICATION_ID=spark-0123",
    "SPARK_EXECUTOR_POD_IP=10.0.0.7",
    "SPARK_EXECUTOR_POD_NAME=job-abc-exec-3",
    "SPARK_RESOURCE_PROFILE_ID=0",
    "SPARK_CONF_DIR=/opt/spark/conf",
    NULL,
};

/* executor_env plus EXTRA (NULL-terminated), in a static array. */
static char **with(char *const *extra)
{
    static char *env[64];
    size_t n = 0;
    for (char *const *e = executor_env; *e; e++)
        env[n++] = *e;
    for (char *const *e = extra; e && *e; e++)
        env[n++] = *e;
    env[n] = NULL;
    return env;
}

static const char *cwd; /* the executor's working directory, for one test */

static int build(enum k8s_role role, char *const *envp, const char *jars, int argc,
                 char *const *argv, struct k8s_command *out, char *err)
{
    struct k8s_input in = {
        .role = role,
        .envp = envp,
        .spark_home = "/opt/spark",
        .java_home = "/usr/lib/jvm/java",
        .image_jars = jars,
        .cwd = cwd,
        .argc = argc,
        .argv = argv,
    };
    return k8s_build(&in, out, err, 1024);
}

/* The argument following FLAG, or NULL. */
static const char *after(const struct k8s_command *c, const char *flag)
{
    for (size_t i = 0; i + 1 < c->argc; i++)
        if (strcmp(c->argv[i], flag) == 0)
            return c->argv[i + 1];
    return NULL;
}

static void test_program_name_selects_the_role(void **state)
{
    (void)state;
    assert_int_equal(k8s_role_of("driver"), K8S_DRIVER);
    assert_int_equal(k8s_role_of("/usr/local/bin/executor"), K8S_EXECUTOR);
    assert_int_equal(k8s_role_of("/opt/decom.sh"), K8S_DECOM);
    assert_int_equal(k8s_role_of("/opt/entrypoint.sh"), K8S_ENTRYPOINT);
    assert_int_equal(k8s_role_of("/usr/bin/tini"), K8S_TINI);
    assert_int_equal(k8s_role_of("/usr/local/bin/mmlspark-env"), K8S_NONE);
    assert_int_equal(k8s_role_of("executors"), K8S_NONE);
}

static void test_executor_without_environment_names_every_missing_variable(void **state)
{
    (void)state;
    char *empty[] = {"PATH=/usr/bin", NULL}, err[1024];
    struct k8s_command c;
    assert_int_equal(build(K8S_EXECUTOR, empty, NULL, 0, NULL, &c, err), 64);
    assert_null(strchr(err, '\n'));
    const char *names[] = {"SPARK_DRIVER_URL", "SPARK_EXECUTOR_ID", "SPARK_EXECUTOR_CORES",
                           "SPARK_EXECUTOR_MEMORY", "SPARK_APPLICATION_ID",
                           "SPARK_EXECUTOR_POD_IP", "SPARK_EXECUTOR_POD_NAME",
                           "SPARK_RESOURCE_PROFILE_ID"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_non_null(strstr(err, names[i]));
}

static void test_executor_names_only_what_is_missing(void **state)
{
    (void)state;
    char *env[] = {"SPARK_DRIVER_URL=spark://x:1", "SPARK_EXECUTOR_ID=1", "SPARK_EXECUTOR_CORES=1",
                   "SPARK_EXECUTOR_MEMORY=1g", "SPARK_APPLICATION_ID=a",
                   "SPARK_EXECUTOR_POD_NAME=p", "SPARK_RESOURCE_PROFILE_ID=0",
                   "SPARK_EXECUTOR_POD_IP=", NULL};
    char err[1024];
    struct k8s_command c;
    assert_int_equal(build(K8S_EXECUTOR, env, NULL, 0, NULL, &c, err), 64);
    assert_non_null(strstr(err, "missing SPARK_EXECUTOR_POD_IP:"));
    assert_null(strstr(err, "SPARK_DRIVER_URL"));
}

static void test_executor_bad_values_name_the_valid_form(void **state)
{
    (void)state;
    struct {
        char *var;
        const char *expect;
    } cases[] = {
        {"SPARK_EXECUTOR_CORES=0", "SPARK_EXECUTOR_CORES='0' is invalid: expected"},
        {"SPARK_EXECUTOR_CORES=two", "SPARK_EXECUTOR_CORES='two' is invalid"},
        {"SPARK_EXECUTOR_MEMORY=1 g", "SPARK_EXECUTOR_MEMORY='1 g' is invalid"},
        {"SPARK_EXECUTOR_MEMORY=m", "SPARK_EXECUTOR_MEMORY='m' is invalid"},
        {"SPARK_RESOURCE_PROFILE_ID=-1", "SPARK_RESOURCE_PROFILE_ID='-1' is invalid"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *env[16], err[1024];
        size_t n = 0;
        env[n++] = cases[i].var; /* the first occurrence wins, as getenv's */
        for (char **e = executor_env; *e; e++)
            env[n++] = *e;
        env[n] = NULL;
        struct k8s_command c;
        assert_int_equal(build(K8S_EXECUTOR, env, NULL, 0, NULL, &c, err), 64);
        assert_non_null(strstr(err, cases[i].expect));
    }
}

static void test_executor_runs_the_backend_with_the_pod_settings(void **state)
{
    (void)state;
    char err[1024];
    struct k8s_command c;
    assert_int_equal(build(K8S_EXECUTOR, with(NULL), NULL, 0, NULL, &c, err), 0);
    assert_string_equal(c.argv[0], "/usr/lib/jvm/java/bin/java");
    assert_string_equal(c.argv[1], "-Xms1024m");
    assert_string_equal(c.argv[2], "-Xmx1024m");
    assert_string_equal(c.argv[3], "-cp");
    assert_string_equal(c.argv[5],
                        "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend");
    assert_string_equal(after(&c, "--driver-url"), "spark://CoarseGrainedScheduler@10.0.0.5:7078");
    assert_string_equal(after(&c, "--executor-id"), "3");
    assert_string_equal(after(&c, "--cores"), "2");
    assert_string_equal(after(&c, "--app-id"), "spark-0123");
    assert_string_equal(after(&c, "--hostname"), "10.0.0.7");
    assert_string_equal(after(&c, "--resourceProfileId"), "0");
    assert_string_equal(after(&c, "--podName"), "job-abc-exec-3");
    assert_int_equal(c.argc, 20);
    assert_null(c.argv[c.argc]);
    assert_null(c.dist_classpath);
    k8s_command_free(&c);
}

static void test_java_opts_come_in_numeric_order_one_argument_each(void **state)
{
    (void)state;
    char *extra[] = {"SPARK_JAVA_OPT_10=-Dten=10", "SPARK_JAVA_OPT_2=-Dspark.driver.port=7078",
                     "SPARK_JAVA_OPT_0=-Dname=with space", "SPARK_JAVA_OPT_x=-Dnot=an-option",
                     "SPARK_JAVA_OPT_1=-XX:+UseG1GC", NULL};
    char err[1024];
    struct k8s_command c;
    assert_int_equal(build(K8S_EXECUTOR, with(extra), NULL, 0, NULL, &c, err), 0);
    assert_string_equal(c.argv[1], "-Dname=with space");
    assert_string_equal(c.argv[2], "-XX:+UseG1GC");
    assert_string_equal(c.argv[3], "-Dspark.driver.port=7078");
    assert_string_equal(c.argv[4], "-Dten=10");
    assert_string_equal(c.argv[5], "-Xms1024m");
    k8s_command_free(&c);
}

static void test_executor_class_path_order(void **state)
{
    (void)state;
    char *extra[] = {"HADOOP_CONF_DIR=/etc/hadoop", "SPARK_CLASSPATH=/user/a.jar",
                     "SPARK_EXTRA_CLASSPATH=/extra/b.jar", "SPARK_DIST_CLASSPATH=/dist/c.jar",
                     NULL};
    char err[1024];
    struct k8s_command c;
    assert_int_equal(
        build(K8S_EXECUTOR, with(extra), "/opt/synapseml/maven/s.jar", 0, NULL, &c, err), 0);
    assert_string_equal(after(&c, "-cp"),
                        "/opt/spark/conf:/etc/hadoop:/user/a.jar:/opt/spark/jars/*:"
                        "/opt/synapseml/maven/s.jar:/extra/b.jar:/dist/c.jar");
    k8s_command_free(&c);
}

static void test_executor_working_directory_comes_last_on_the_class_path(void **state)
{
    (void)state;
    char *extra[] = {"SPARK_DIST_CLASSPATH=/dist/c.jar", NULL};
    char err[1024];
    struct k8s_command c;
    cwd = "/var/data/spark-local-1";
    int rc = build(K8S_EXECUTOR, with(extra), NULL, 0, NULL, &c, err);
    cwd = NULL;
    assert_int_equal(rc, 0);
    assert_string_equal(after(&c, "-cp"), "/opt/spark/conf:/opt/spark/jars/*:/dist/c.jar:"
                                          "/var/data/spark-local-1");
    k8s_command_free(&c);
}

static void test_executor_class_path_without_conf_dir_uses_spark_home_conf(void **state)
{
    (void)state;
    char *env[16], err[1024];
    size_t n = 0;
    for (char **e = executor_env; *e; e++)
        if (strncmp(*e, "SPARK_CONF_DIR=", 15) != 0)
            env[n++] = *e;
    env[n] = NULL;
    struct k8s_command c;
    assert_int_equal(build(K8S_EXECUTOR, env, NULL, 0, NULL, &c, err), 0);
    assert_string_equal(after(&c, "-cp"), "/opt/spark/conf:/opt/spark/jars/*");
    k8s_command_free(&c);
}

static void test_image_jars_the_driver_listed_come_once_after_sparks(void **state)
{
    (void)state;
    char *extra[] = {"SPARK_CLASSPATH=/img/a.jar:/user/u.jar:/img/b.jar",
                     "SPARK_EXTRA_CLASSPATH=/img/c.jar:/extra/e.jar", NULL};
    char err[1024];
    struct k8s_command c;
    assert_int_equal(build(K8S_EXECUTOR, with(extra), "/img/a.jar:/img/b.jar:/img/c.jar", 0, NULL,
                           &c, err),
                     0);
    assert_string_equal(after(&c, "-cp"), "/opt/spark/conf:/user/u.jar:/opt/spark/jars/*:"
                                          "/img/a.jar:/img/b.jar:/img/c.jar:/extra/e.jar");
    k8s_command_free(&c);
}

static void test_driver_without_bind_address_names_it(void **state)
{
    (void)state;
    char *env[] = {"SPARK_CONF_DIR=/opt/spark/conf", NULL}, err[1024];
    struct k8s_command c;
    assert_int_equal(build(K8S_DRIVER, env, NULL, 0, NULL, &c, err), 64);
    assert_non_null(strstr(err, "missing SPARK_DRIVER_BIND_ADDRESS:"));
}

static void test_driver_runs_spark_submit_in_client_mode_with_the_pod_args(void **state)
{
    (void)state;
    char *env[] = {"SPARK_DRIVER_BIND_ADDRESS=10.0.0.5", NULL}, err[1024];
    char *args[] = {"--properties-file", "/opt/spark/conf/spark.properties", "--class",
                    "org.apache.spark.deploy.PythonRunner", "local:///job.py", "a b", NULL};
    struct k8s_command c;
    assert_int_equal(build(K8S_DRIVER, env, NULL, 6, args, &c, err), 0);
    const char *want[] = {"/opt/spark/bin/spark-submit",
                          "--conf",
                          "spark.driver.bindAddress=10.0.0.5",
                          "--conf",
                          "spark.executorEnv.SPARK_DRIVER_POD_IP=10.0.0.5",
                          "--deploy-mode",
                          "client",
                          "--properties-file", "/opt/spark/conf/spark.properties", "--class",
                          "org.apache.spark.deploy.PythonRunner", "local:///job.py", "a b"};
    assert_int_equal(c.argc, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < c.argc; i++)
        assert_string_equal(c.argv[i], want[i]);
    assert_null(c.dist_classpath);
    assert_string_equal(c.driver_memory, "1g");
    k8s_command_free(&c);
}

static void test_driver_leaves_a_set_driver_memory_to_the_user(void **state)
{
    (void)state;
    char *env[] = {"SPARK_DRIVER_BIND_ADDRESS=10.0.0.5", "SPARK_DRIVER_MEMORY=3g", NULL};
    char err[1024];
    struct k8s_command c;
    assert_int_equal(build(K8S_DRIVER, env, NULL, 0, NULL, &c, err), 0);
    assert_null(c.driver_memory);
    k8s_command_free(&c);
}

static void test_tini_options_are_dropped_before_the_command(void **state)
{
    (void)state;
    char *a[] = {"tini", "-s", "--", "/opt/entrypoint.sh", "executor", NULL};
    char *b[] = {"tini", "-sg", "-p", "SIGTERM", "-vv", "driver", "-x", NULL};
    char *c[] = {"tini", "executor", NULL};
    char *d[] = {"tini", "-x", "--", "executor", NULL};
    char *e[] = {"tini", "-s", NULL};
    assert_int_equal(k8s_tini_args(5, a), 3);
    assert_int_equal(k8s_tini_args(7, b), 5);
    assert_int_equal(k8s_tini_args(2, c), 1);
    assert_int_equal(k8s_tini_args(4, d), -1);
    assert_int_equal(k8s_tini_args(2, e), 2);
}

static void test_driver_gets_image_jars_before_the_users_dist_classpath(void **state)
{
    (void)state;
    char *env[] = {"SPARK_DRIVER_BIND_ADDRESS=10.0.0.5", "SPARK_DIST_CLASSPATH=/hadoop/*", NULL};
    char err[1024];
    struct k8s_command c;
    assert_int_equal(build(K8S_DRIVER, env, "/img/a.jar:/img/b.jar", 0, NULL, &c, err), 0);
    assert_string_equal(c.dist_classpath, "/img/a.jar:/img/b.jar:/hadoop/*");
    k8s_command_free(&c);
}

static void test_no_spark_or_java_is_one_line(void **state)
{
    (void)state;
    char err[1024];
    struct k8s_command c;
    struct k8s_input in = {.role = K8S_EXECUTOR, .envp = with(NULL), .spark_home = "/opt/spark"};
    assert_int_equal(k8s_build(&in, &c, err, sizeof(err)), 64);
    assert_string_equal(err, "no Java found: set JAVA_HOME");
}

/* A fake image: ROOT/package, ROOT/classpath and the jars it lists. */
static char root[64];

static int make_root(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/test_k8s.XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void fake_image(void)
{
    char cp[512];
    write_file("package", "com.example:a_2.12:1.0,com.example:b:2.0\n");
    write_file("a.jar", "");
    write_file("b.jar", "");
    snprintf(cp, sizeof(cp), "%s/a.jar\n%s/b.jar\n", root, root);
    write_file("classpath", cp);
}

static void test_image_jars_when_the_package_is_the_images_in_any_order(void **state)
{
    (void)state;
    fake_image();
    char want[256];
    snprintf(want, sizeof(want), "%s/a.jar:%s/b.jar", root, root);
    char *jars = k8s_image_jars(root, " com.example:b:2.0, com.example:a_2.12:1.0");
    assert_non_null(jars);
    assert_string_equal(jars, want);
    free(jars);
}

static void test_no_image_jars_for_other_or_no_packages(void **state)
{
    (void)state;
    fake_image();
    assert_null(k8s_image_jars(root, "com.example:a_2.12:1.0"));
    assert_null(k8s_image_jars(root, "com.example:a_2.12:1.1,com.example:b:2.0"));
    assert_null(k8s_image_jars(root, ""));
    assert_null(k8s_image_jars(root, NULL));
    assert_null(k8s_image_jars("/nonexistent", "com.example:a_2.12:1.0,com.example:b:2.0"));
}

static void test_no_image_jars_when_one_is_missing(void **state)
{
    (void)state;
    fake_image();
    char path[256];
    snprintf(path, sizeof(path), "%s/b.jar", root);
    unlink(path);
    assert_null(k8s_image_jars(root, "com.example:a_2.12:1.0,com.example:b:2.0"));
}

static void fake_process(const char *pid, const char *cmdline, size_t len)
{
    char dir[256], path[300];
    snprintf(dir, sizeof(dir), "%s/%s", root, pid);
    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/cmdline", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(cmdline, 1, len, f);
    fclose(f);
}

static void test_decom_finds_the_executor_jvm(void **state)
{
    (void)state;
    static const char init[] = "/usr/local/bin/mmlspark-init\0executor";
    static const char shell[] =
        "sh\0-c\0echo org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend";
    char java[20000];
    size_t n = (size_t)snprintf(java, sizeof(java), "/usr/bin/java%c-cp%c", 0, 0);
    memset(java + n, 'x', 10000); /* a long class path before the class name */
    n += 10000;
    n += (size_t)snprintf(java + n, sizeof(java) - n, "%c%s%c--executor-id%c1", 0,
                          "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend", 0, 0);
    fake_process("1", init, sizeof(init));
    fake_process("12", shell, sizeof(shell));
    assert_int_equal(k8s_find_executor(root), -1);
    fake_process("57", java, n + 1);
    fake_process("self", java, n + 1);
    assert_int_equal(k8s_find_executor(root), 57);
    assert_int_equal(k8s_find_executor("/nonexistent"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_program_name_selects_the_role),
        cmocka_unit_test(test_executor_without_environment_names_every_missing_variable),
        cmocka_unit_test(test_executor_names_only_what_is_missing),
        cmocka_unit_test(test_executor_bad_values_name_the_valid_form),
        cmocka_unit_test(test_executor_runs_the_backend_with_the_pod_settings),
        cmocka_unit_test(test_java_opts_come_in_numeric_order_one_argument_each),
        cmocka_unit_test(test_executor_class_path_order),
        cmocka_unit_test(test_executor_working_directory_comes_last_on_the_class_path),
        cmocka_unit_test(test_executor_class_path_without_conf_dir_uses_spark_home_conf),
        cmocka_unit_test(test_image_jars_the_driver_listed_come_once_after_sparks),
        cmocka_unit_test(test_driver_without_bind_address_names_it),
        cmocka_unit_test(test_driver_runs_spark_submit_in_client_mode_with_the_pod_args),
        cmocka_unit_test(test_driver_gets_image_jars_before_the_users_dist_classpath),
        cmocka_unit_test(test_driver_leaves_a_set_driver_memory_to_the_user),
        cmocka_unit_test(test_tini_options_are_dropped_before_the_command),
        cmocka_unit_test(test_no_spark_or_java_is_one_line),
        cmocka_unit_test_setup_teardown(test_image_jars_when_the_package_is_the_images_in_any_order,
                                        make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_no_image_jars_for_other_or_no_packages, make_root,
                                        remove_root),
        cmocka_unit_test_setup_teardown(test_no_image_jars_when_one_is_missing, make_root,
                                        remove_root),
        cmocka_unit_test_setup_teardown(test_decom_finds_the_executor_jvm, make_root, remove_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
