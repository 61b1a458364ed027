/* test_sparkauth.c - the cluster secret: one of two variables, a file's trailing newline dropped,
 * every bad setting refused with one line that names the variable and never the secret. */
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

#include "sparkauth.h"

static char dir[64];
static char path[128];
static char out[SPARK_AUTH_BUFSIZE];
static char err[1024];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_sparkauth.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/secret", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static void write_file(const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_neither_variable_means_an_open_cluster(void **state)
{
    (void)state;
    assert_int_equal(spark_auth_secret(NULL, NULL, out, err, sizeof(err)), 0);
    assert_string_equal(out, "");
    assert_int_equal(spark_auth_secret("", "", out, err, sizeof(err)), 0);
    assert_string_equal(out, "");
    assert_false(spark_auth_requested(NULL, ""));
    assert_true(spark_auth_requested("s", NULL));
    assert_true(spark_auth_requested(NULL, "/run/secrets/spark_auth"));
}

static void test_the_variable_is_the_secret_as_given(void **state)
{
    (void)state;
    assert_int_equal(spark_auth_secret("it's a secret\n", NULL, out, err, sizeof(err)), 0);
    assert_string_equal(out, "it's a secret\n");
}

static void test_both_variables_are_refused(void **state)
{
    (void)state;
    write_file("s3cr3t", 6);
    assert_int_equal(spark_auth_secret("s3cr3t", path, out, err, sizeof(err)), 64);
    assert_non_null(strstr(err, "SPARK_AUTH_SECRET and SPARK_AUTH_SECRET_FILE are both set"));
    assert_null(strstr(err, "s3cr3t"));
    assert_null(strchr(err, '\n'));
}

static void test_a_files_trailing_newline_is_not_part_of_the_secret(void **state)
{
    (void)state;
    write_file("s3cr3t\r\n", 8);
    assert_int_equal(spark_auth_secret(NULL, path, out, err, sizeof(err)), 0);
    assert_string_equal(out, "s3cr3t");
    write_file("two words\n\n", 11);
    assert_int_equal(spark_auth_secret("", path, out, err, sizeof(err)), 0);
    assert_string_equal(out, "two words");
}

static void test_a_missing_file_is_refused_naming_it(void **state)
{
    (void)state;
    assert_int_equal(spark_auth_secret(NULL, "/nonexistent/spark_auth", out, err, sizeof(err)), 64);
    assert_non_null(strstr(err, "SPARK_AUTH_SECRET_FILE='/nonexistent/spark_auth' cannot be read"));
    assert_non_null(strstr(err, "No such file"));
}

static void test_a_directory_is_refused(void **state)
{
    (void)state; /* what Docker mounts when a secret's source file does not exist */
    assert_int_equal(spark_auth_secret(NULL, dir, out, err, sizeof(err)), 64);
    assert_non_null(strstr(err, "Is a directory"));
}

static void test_an_unreadable_file_is_refused(void **state)
{
    (void)state;
    if (geteuid() == 0)
        return; /* root reads any file; the Docker test covers uid 1000 */
    write_file("s3cr3t", 6);
    assert_int_equal(chmod(path, 0), 0);
    assert_int_equal(spark_auth_secret(NULL, path, out, err, sizeof(err)), 64);
    assert_non_null(strstr(err, "Permission denied"));
}

static void test_an_empty_file_is_refused(void **state)
{
    (void)state;
    write_file("\n", 1);
    assert_int_equal(spark_auth_secret(NULL, path, out, err, sizeof(err)), 64);
    assert_non_null(strstr(err, "is empty"));
    assert_string_equal(out, "");
}

static void test_a_nul_byte_is_refused_and_the_secret_forgotten(void **state)
{
    (void)state;
    write_file("s3cr\0t", 6);
    assert_int_equal(spark_auth_secret(NULL, path, out, err, sizeof(err)), 64);
    assert_non_null(strstr(err, "NUL byte"));
    for (size_t i = 0; i < sizeof(out); i++)
        assert_int_equal(out[i], 0);
}

static void test_the_longest_secret_is_accepted_one_more_byte_refused(void **state)
{
    (void)state;
    static char big[SPARK_AUTH_MAX + 3];
    memset(big, 'x', sizeof(big));
    big[SPARK_AUTH_MAX] = '\r';
    big[SPARK_AUTH_MAX + 1] = '\n';
    write_file(big, SPARK_AUTH_MAX + 2);
    assert_int_equal(spark_auth_secret(NULL, path, out, err, sizeof(err)), 0);
    assert_int_equal(strlen(out), SPARK_AUTH_MAX);
    big[SPARK_AUTH_MAX] = 'x';
    write_file(big, SPARK_AUTH_MAX + 1);
    assert_int_equal(spark_auth_secret(NULL, path, out, err, sizeof(err)), 64);
    assert_non_null(strstr(err, "at most 4096 bytes"));
    write_file(big, sizeof(big)); /* longer than the buffer reads */
    assert_int_equal(spark_auth_secret(NULL, path, out, err, sizeof(err)), 64);
    big[SPARK_AUTH_MAX + 1] = '\0';
    assert_int_equal(spark_auth_secret(big, NULL, out, err, sizeof(err)), 64);
    assert_non_null(strstr(err, "SPARK_AUTH_SECRET is invalid: expected at most 4096 bytes"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_neither_variable_means_an_open_cluster),
        T(test_the_variable_is_the_secret_as_given),
        T(test_both_variables_are_refused),
        T(test_a_files_trailing_newline_is_not_part_of_the_secret),
        T(test_a_missing_file_is_refused_naming_it),
        T(test_a_directory_is_refused),
        T(test_an_unreadable_file_is_refused),
        T(test_an_empty_file_is_refused),
        T(test_a_nul_byte_is_refused_and_the_secret_forgotten),
        T(test_the_longest_secret_is_accepted_one_more_byte_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
