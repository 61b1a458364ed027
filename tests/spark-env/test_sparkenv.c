/* test_sparkenv.c - what mmlspark-env promises: eval-safe quoting, Java/Spark detection, checks. */
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

#include "config.h"
#include "sparkenv.h"

static char root[64];

/* Creates every directory above file, then file itself (executable if exec). */
static void make_file(const char *rel, bool exec)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\n", f);
    fclose(f);
    chmod(path, exec ? 0755 : 0644);
}

static void make_dir(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s/.keep", root, rel);
    char relkeep[512];
    snprintf(relkeep, sizeof(relkeep), "%s/.keep", rel);
    make_file(relkeep, false);
}

static void make_link(const char *target_rel, const char *link_rel)
{
    char target[512], link[512];
    snprintf(target, sizeof(target), "%s/%s", root, target_rel);
    snprintf(link, sizeof(link), "%s/%s", root, link_rel);
    make_file(link_rel, false);
    unlink(link);
    assert_int_equal(symlink(target, link), 0);
}

static char *in_root(const char *rel)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s%s%s", root, *rel ? "/" : "", rel);
    return buf[i];
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/test_sparkenv.XXXXXX");
    assert_non_null(mkdtemp(root));
    unsetenv("SPARK_HOME");
    unsetenv("JAVA_HOME");
    unsetenv("PYSPARK_PYTHON");
    unsetenv("MML_PACKAGE");
    unsetenv("MML_M2REPOS");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_quote_wraps_a_plain_word_in_single_quotes(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(shell_quote("local[*]", out, sizeof(out)), 10);
    assert_string_equal(out, "'local[*]'");
}

static void test_quote_escapes_single_quotes(void **state)
{
    (void)state;
    char out[64];
    shell_quote("it's", out, sizeof(out));
    assert_string_equal(out, "'it'\\''s'");
}

static void test_quote_of_empty_string_is_two_quotes(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(shell_quote("", out, sizeof(out)), 2);
    assert_string_equal(out, "''");
}

static void test_quote_reports_a_too_small_buffer(void **state)
{
    (void)state;
    char out[4];
    assert_int_equal(shell_quote("abc", out, sizeof(out)), -1);
}

static void test_quoted_value_survives_eval_by_sh(void **state)
{
    (void)state;
    const char *nasty = "a b'c\"d$HOME`id`\\e\tf;*\n'";
    char q[256], cmd[700], got[256] = "";
    assert_true(shell_quote(nasty, q, sizeof(q)) > 0);
    /* As a user would: eval "$(mmlspark-env)" feeds the printed line to eval unchanged. */
    FILE *f = fopen(in_root("env.sh"), "w");
    assert_non_null(f);
    fprintf(f, "export V=%s\n", q);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "eval \"$(cat '%s')\"; printf '%%s' \"$V\"", in_root("env.sh"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(got, 1, sizeof(got) - 1, p);
    got[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_string_equal(got, nasty);
}

static void test_find_in_path_skips_non_executables(void **state)
{
    (void)state;
    make_file("a/tool", false);
    make_file("b/tool", true);
    char path[1100];
    snprintf(path, sizeof(path), "%s:%s", in_root("a"), in_root("b"));
    char *found = find_in_path("tool", path);
    assert_non_null(found);
    assert_string_equal(found, in_root("b/tool"));
    free(found);
    assert_null(find_in_path("missing", path));
}

static void test_java_home_follows_the_java_symlink(void **state)
{
    (void)state;
    make_file("jvm/java-17/bin/java", true);
    make_link("jvm/java-17/bin/java", "usr/bin/java");
    char *home = detect_java_home(in_root("usr/bin"));
    assert_non_null(home);
    char *want = realpath(in_root("jvm/java-17"), NULL);
    assert_string_equal(home, want);
    free(home);
    free(want);
}

static void test_java_home_of_java8_is_above_jre(void **state)
{
    (void)state;
    make_file("jdk8/jre/bin/java", true);
    char *home = detect_java_home(in_root("jdk8/jre/bin"));
    char *want = realpath(in_root("jdk8"), NULL);
    assert_non_null(home);
    assert_string_equal(home, want);
    free(home);
    free(want);
}

static void test_java_home_is_null_without_java(void **state)
{
    (void)state;
    make_dir("empty");
    assert_null(detect_java_home(in_root("empty")));
}

static void test_spark_home_of_a_pip_install_in_a_venv(void **state)
{
    (void)state;
    make_file("venv/bin/pyspark", true);
    make_file("venv/bin/spark-submit", true); /* pip copies the script: no jars/ above it */
    make_file("venv/lib/python3.11/site-packages/pyspark/bin/spark-submit", true);
    make_dir("venv/lib/python3.11/site-packages/pyspark/jars");
    char path[1100];
    snprintf(path, sizeof(path), "%s:/usr/bin", in_root("venv/bin"));
    char *home = detect_spark_home(path);
    char *want = realpath(in_root("venv/lib/python3.11/site-packages/pyspark"), NULL);
    assert_non_null(home);
    assert_string_equal(home, want);
    free(home);
    free(want);
}

static void test_spark_home_of_a_distribution_linked_into_path(void **state)
{
    (void)state;
    make_file("opt/spark-3.5/bin/spark-submit", true);
    make_dir("opt/spark-3.5/jars");
    make_link("opt/spark-3.5/bin/spark-submit", "usr/bin/spark-submit");
    char *home = detect_spark_home(in_root("usr/bin"));
    char *want = realpath(in_root("opt/spark-3.5"), NULL);
    assert_non_null(home);
    assert_string_equal(home, want);
    free(home);
    free(want);
}

static void test_spark_home_needs_jars_when_detected(void **state)
{
    (void)state;
    make_file("half/bin/spark-submit", true);
    assert_null(detect_spark_home(in_root("half/bin")));
}

static int load(struct spark_env *e, char *err, size_t errlen)
{
    return spark_env_load(e, in_root("no-such.conf"), 0, err, errlen);
}

static void test_invalid_spark_home_is_a_usage_error_naming_it(void **state)
{
    (void)state;
    struct spark_env e;
    char err[512];
    setenv("SPARK_HOME", in_root("nowhere"), 1);
    assert_int_equal(load(&e, err, sizeof(err)), EXIT_USAGE);
    assert_non_null(strstr(err, "SPARK_HOME='"));
    assert_non_null(strstr(err, "expected"));
}

static void test_invalid_java_home_is_a_usage_error_naming_it(void **state)
{
    (void)state;
    struct spark_env e;
    char err[512];
    setenv("JAVA_HOME", "relative/jdk", 1);
    assert_int_equal(load(&e, err, sizeof(err)), EXIT_USAGE);
    assert_non_null(strstr(err, "JAVA_HOME='relative/jdk' is invalid: expected"));
}

static void test_invalid_mml_package_is_a_usage_error_naming_it(void **state)
{
    (void)state;
    struct spark_env e;
    char err[512];
    setenv("MML_PACKAGE", "org.example:hello", 1);
    assert_int_equal(load(&e, err, sizeof(err)), EXIT_USAGE);
    assert_non_null(strstr(err, "MML_PACKAGE='org.example:hello' is invalid"));
    assert_non_null(strstr(err, "group:artifact:version"));
}

static void test_invalid_repository_is_a_usage_error_naming_it(void **state)
{
    (void)state;
    struct spark_env e;
    char err[512];
    setenv("MML_M2REPOS", "ftp://repo", 1);
    assert_int_equal(load(&e, err, sizeof(err)), EXIT_USAGE);
    assert_non_null(strstr(err, "MML_M2REPOS='ftp://repo' is invalid"));
}

static void test_empty_mml_package_means_no_packages(void **state)
{
    (void)state;
    struct spark_env e;
    char err[512];
    setenv("MML_PACKAGE", "", 1);
    assert_int_equal(load(&e, err, sizeof(err)), 0);
    assert_string_equal(e.value[SV_MML_PACKAGE], "");
    spark_env_free(&e);
}

static void test_unset_mml_package_falls_back_to_the_config_file(void **state)
{
    (void)state;
    FILE *f = fopen(in_root("m.conf"), "w");
    assert_non_null(f);
    fputs("mml_package = \"org.example:hello:1.0\"\nmml_m2repos = \"file:///repo\"\n", f);
    fclose(f);
    struct spark_env e;
    char err[512];
    assert_int_equal(spark_env_load(&e, in_root("m.conf"), SPARK_ENV_CONFIG_REQUIRED, err, sizeof(err)), 0);
    assert_string_equal(e.value[SV_MML_PACKAGE], "org.example:hello:1.0");
    assert_string_equal(e.value[SV_MML_M2REPOS], "file:///repo");
    spark_env_free(&e);
}

static void test_env_and_detection_fill_the_homes(void **state)
{
    (void)state;
    make_file("jdk/bin/java", true);
    make_file("spark/bin/spark-submit", true);
    make_file("py/python3", true);
    setenv("JAVA_HOME", in_root("jdk"), 1);
    setenv("SPARK_HOME", in_root("spark"), 1);
    char *old = strdup(getenv("PATH") ? getenv("PATH") : "");
    setenv("PATH", in_root("py"), 1);
    struct spark_env e;
    char err[512];
    int rc = load(&e, err, sizeof(err));
    setenv("PATH", old, 1);
    free(old);
    assert_int_equal(rc, 0);
    assert_string_equal(e.value[SV_JAVA_HOME], in_root("jdk"));
    assert_string_equal(e.value[SV_SPARK_HOME], in_root("spark"));
    assert_string_equal(e.value[SV_PYSPARK_PYTHON], in_root("py/python3"));
    /* no spark-submit on PATH: SPARK_HOME/bin is appended */
    char want[1100];
    snprintf(want, sizeof(want), "%s:%s/bin", in_root("py"), in_root("spark"));
    assert_string_equal(e.value[SV_PATH], want);
    spark_env_free(&e);
}

static void test_bad_config_file_is_a_config_error(void **state)
{
    (void)state;
    FILE *f = fopen(in_root("bad.conf"), "w");
    assert_non_null(f);
    fputs("mml_package = \"not a coordinate\"\n", f);
    fclose(f);
    struct spark_env e;
    char err[512];
    assert_int_equal(spark_env_load(&e, in_root("bad.conf"), SPARK_ENV_CONFIG_REQUIRED, err, sizeof(err)), EXIT_CONFIG);
    assert_non_null(strstr(err, "mml_package"));
}

static void test_local_ip_is_loopback_when_the_host_name_does_not_resolve(void **state)
{
    (void)state;
    /* .invalid never resolves (RFC 6761); an empty user value counts as unset */
    assert_string_equal(spark_local_ip_fallback(NULL, "mmlspark-no-such-host.invalid"),
                        "127.0.0.1");
    assert_string_equal(spark_local_ip_fallback("", "mmlspark-no-such-host.invalid"),
                        "127.0.0.1");
    assert_string_equal(spark_local_ip_fallback(NULL, ""), "127.0.0.1");
}

static void test_local_ip_is_left_to_spark_when_the_host_name_resolves(void **state)
{
    (void)state;
    assert_null(spark_local_ip_fallback(NULL, "localhost"));
}

static void test_users_local_ip_always_wins(void **state)
{
    (void)state;
    assert_null(spark_local_ip_fallback("10.1.2.3", "mmlspark-no-such-host.invalid"));
    assert_null(spark_local_ip_fallback("10.1.2.3", "localhost"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_quote_wraps_a_plain_word_in_single_quotes),
        T(test_quote_escapes_single_quotes),
        T(test_quote_of_empty_string_is_two_quotes),
        T(test_quote_reports_a_too_small_buffer),
        T(test_quoted_value_survives_eval_by_sh),
        T(test_find_in_path_skips_non_executables),
        T(test_java_home_follows_the_java_symlink),
        T(test_java_home_of_java8_is_above_jre),
        T(test_java_home_is_null_without_java),
        T(test_spark_home_of_a_pip_install_in_a_venv),
        T(test_spark_home_of_a_distribution_linked_into_path),
        T(test_spark_home_needs_jars_when_detected),
        T(test_invalid_spark_home_is_a_usage_error_naming_it),
        T(test_invalid_java_home_is_a_usage_error_naming_it),
        T(test_invalid_mml_package_is_a_usage_error_naming_it),
        T(test_invalid_repository_is_a_usage_error_naming_it),
        T(test_empty_mml_package_means_no_packages),
        T(test_unset_mml_package_falls_back_to_the_config_file),
        T(test_env_and_detection_fill_the_homes),
        T(test_bad_config_file_is_a_config_error),
        T(test_local_ip_is_loopback_when_the_host_name_does_not_resolve),
        T(test_local_ip_is_left_to_spark_when_the_host_name_resolves),
        T(test_users_local_ip_always_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
