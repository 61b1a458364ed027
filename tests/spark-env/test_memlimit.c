/* test_memlimit.c - Spark's heaps follow the container's memory limit (cgroup v2 and v1). */
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

#include "memlimit.h"

#define GIB (UINT64_C(1) << 30)
static char root[64];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/test_memlimit.XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0755);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_v2_limit_is_read_from_memory_max(void **state)
{
    (void)state;
    write_file("memory.max", "6442450944\n");
    assert_int_equal(memlimit_read(root, 24 * GIB), 6 * GIB);
}

static void test_v2_max_means_no_limit(void **state)
{
    (void)state;
    write_file("memory.max", "max\n");
    assert_int_equal(memlimit_read(root, 24 * GIB), 0);
}

static void test_v1_limit_is_read_from_limit_in_bytes(void **state)
{
    (void)state;
    write_file("memory/memory.limit_in_bytes", "2147483648\n");
    assert_int_equal(memlimit_read(root, 24 * GIB), 2 * GIB);
}

static void test_v1_unlimited_value_means_no_limit(void **state)
{
    (void)state;
    write_file("memory/memory.limit_in_bytes", "9223372036854771712\n");
    assert_int_equal(memlimit_read(root, 24 * GIB), 0);
}

static void test_limit_at_or_above_the_ram_limits_nothing(void **state)
{
    (void)state;
    write_file("memory.max", "25769803776\n");
    assert_int_equal(memlimit_read(root, 24 * GIB), 0);
}

static void test_no_cgroup_file_means_no_limit(void **state)
{
    (void)state;
    assert_int_equal(memlimit_read(root, 24 * GIB), 0);
}

static void test_garbage_is_no_limit(void **state)
{
    (void)state;
    int ok;
    memlimit_parse("12x", &ok);
    assert_false(ok);
    memlimit_parse("", &ok);
    assert_false(ok);
    memlimit_parse("99999999999999999999999", &ok);
    assert_false(ok);
    write_file("memory.max", "-1\n");
    assert_int_equal(memlimit_read(root, 24 * GIB), 0);
}

static void test_driver_heap_leaves_room_for_jupyter_and_python(void **state)
{
    (void)state;
    assert_int_equal(memlimit_driver_heap_mib(0), 0);         /* no limit: Spark's 1g */
    assert_int_equal(memlimit_driver_heap_mib(6 * GIB), 3072); /* -m 6g */
    assert_int_equal(memlimit_driver_heap_mib(16 * GIB), 9216);
    assert_int_equal(memlimit_driver_heap_mib(2 * GIB), 576);
    assert_int_equal(memlimit_driver_heap_mib(1 * GIB), 512);
    assert_int_equal(memlimit_driver_heap_mib(512 * MEMLIMIT_MIB), 256);
    assert_int_equal(memlimit_driver_heap_mib(64 * MEMLIMIT_MIB), 64);
}

static void test_worker_memory_is_the_limit_less_one_gib(void **state)
{
    (void)state;
    assert_int_equal(memlimit_worker_mib(0), 0);
    assert_int_equal(memlimit_worker_mib(6 * GIB), 5120);
    assert_int_equal(memlimit_worker_mib(1 * GIB), 512);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_v2_limit_is_read_from_memory_max),
        T(test_v2_max_means_no_limit),
        T(test_v1_limit_is_read_from_limit_in_bytes),
        T(test_v1_unlimited_value_means_no_limit),
        T(test_limit_at_or_above_the_ram_limits_nothing),
        T(test_no_cgroup_file_means_no_limit),
        T(test_garbage_is_no_limit),
        T(test_driver_heap_leaves_room_for_jupyter_and_python),
        T(test_worker_memory_is_the_limit_less_one_gib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
