/* Unit tests: lib/smallfile, the one reader of small files (secrets, the license, passwd, /proc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smallfile.h"

static char dir[] = "/tmp/mmlspark-smallfile.XXXXXX";

static const char *file_with(const char *name, const char *text, size_t len)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    return path;
}

static void test_read_fills_the_buffer_and_ends_it_with_a_nul(void **state)
{
    (void)state;
    char buf[9];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(smallfile_read(file_with("a", "12345", 5), 0, buf, 8), 5);
    assert_string_equal(buf, "12345");
    assert_int_equal(smallfile_read(file_with("b", "12345678", 8), 0, buf, 8), 8);
    assert_string_equal(buf, "12345678");
    assert_int_equal(smallfile_read(file_with("c", "", 0), 0, buf, 8), 0);
    assert_string_equal(buf, "");
}

static void test_read_refuses_a_longer_file_a_directory_and_a_missing_one(void **state)
{
    (void)state;
    char buf[9];
    assert_int_equal(smallfile_read(file_with("d", "123456789", 9), 0, buf, 8), -1);
    assert_int_equal(errno, EFBIG);
    assert_int_equal(smallfile_read(dir, 0, buf, 8), -1);
    assert_int_equal(errno, EISDIR);
    assert_int_equal(smallfile_read("/nonexistent/mmlspark", 0, buf, 8), -1);
    assert_int_equal(errno, ENOENT);
}

static void test_load_reads_a_file_of_any_size_up_to_max(void **state)
{
    (void)state;
    size_t big = 100000, len = 0;
    char *text = malloc(big);
    assert_non_null(text);
    for (size_t i = 0; i < big; i++)
        text[i] = (char)('a' + i % 26);
    const char *path = file_with("big", text, big);
    struct stat st;
    char *got = smallfile_load(path, 0, SMALLFILE_REGULAR, big, &len, &st);
    assert_non_null(got);
    assert_int_equal(len, big);
    assert_int_equal(st.st_size, big);
    assert_memory_equal(got, text, big);
    assert_int_equal(got[big], '\0');
    free(got);
    assert_null(smallfile_load(path, 0, 0, big - 1, &len, NULL));
    assert_int_equal(errno, EFBIG);
    free(text);
}

static void test_load_grows_past_what_fstat_says(void **state)
{
    (void)state;
    size_t len = 0; /* /proc files say 0 bytes and hold more */
    char *got = smallfile_load("/proc/self/status", 0, SMALLFILE_REGULAR, 1 << 20, &len, NULL);
    assert_non_null(got);
    assert_true(len > 100);
    assert_int_equal(strlen(got), len);
    assert_non_null(strstr(got, "Name:"));
    free(got);
}

static void test_load_regular_only_refuses_a_device_before_reading(void **state)
{
    (void)state;
    size_t len = 0;
    assert_null(smallfile_load("/dev/zero", 0, SMALLFILE_REGULAR, 16, &len, NULL));
    assert_int_equal(errno, EINVAL);
    char *got = smallfile_load("/dev/null", 0, 0, 16, &len, NULL);
    assert_non_null(got);
    assert_int_equal(len, 0);
    free(got);
}

static void test_load_with_nofollow_refuses_a_symlink(void **state)
{
    (void)state;
    char link[256];
    snprintf(link, sizeof(link), "%s/link", dir);
    assert_int_equal(symlink(file_with("target", "t", 1), link), 0);
    size_t len = 0;
    assert_null(smallfile_load(link, O_NOFOLLOW, SMALLFILE_REGULAR, 16, &len, NULL));
    assert_int_equal(errno, ELOOP);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_fills_the_buffer_and_ends_it_with_a_nul),
        cmocka_unit_test(test_read_refuses_a_longer_file_a_directory_and_a_missing_one),
        cmocka_unit_test(test_load_reads_a_file_of_any_size_up_to_max),
        cmocka_unit_test(test_load_grows_past_what_fstat_says),
        cmocka_unit_test(test_load_regular_only_refuses_a_device_before_reading),
        cmocka_unit_test(test_load_with_nofollow_refuses_a_symlink),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
