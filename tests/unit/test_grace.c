/* Unit tests: lib/grace, the one grace period of init's supervisor and the setup's helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "grace.h"

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0)
        ;
}

static void test_no_period_waits_as_idle_and_never_expires(void **state)
{
    (void)state;
    struct grace g = {0};
    assert_int_equal(grace_wait_ms(&g, 1000), 1000);
    assert_int_equal(grace_wait_ms(&g, -1), -1);
    assert_false(grace_expired(&g));
}

static void test_a_second_stop_does_not_move_the_deadline(void **state)
{
    (void)state;
    struct grace g = {0};
    grace_start(&g, 0.05);
    sleep_ms(30);
    grace_start(&g, 10.0);
    assert_true(grace_wait_ms(&g, 1000) <= 21);
    sleep_ms(40);
    assert_true(grace_expired(&g));
}

static void test_expiry_is_taken_once_then_waits_are_idle(void **state)
{
    (void)state;
    struct grace g = {0};
    grace_start(&g, 0.0);
    assert_true(grace_expired(&g));
    assert_false(grace_expired(&g));
    assert_true(g.killed);
    assert_int_equal(grace_wait_ms(&g, -1), -1);
}

static void test_restart_gives_a_new_period_with_its_own_kill(void **state)
{
    (void)state;
    struct grace g = {0};
    grace_start(&g, 0.0);
    assert_true(grace_expired(&g));
    grace_restart(&g, 0.02);
    assert_false(g.killed);
    assert_false(grace_expired(&g));
    int ms = grace_wait_ms(&g, 1000);
    assert_true(ms > 0 && ms <= 21);
    sleep_ms(ms);
    assert_true(grace_expired(&g));
}

static void test_wait_is_bounded_by_idle_and_by_an_hour(void **state)
{
    (void)state;
    struct grace g = {0};
    grace_start(&g, 3600.0 * 24);
    assert_int_equal(grace_wait_ms(&g, 1000), 1000);
    assert_int_equal(grace_wait_ms(&g, -1), 3600000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_period_waits_as_idle_and_never_expires),
        cmocka_unit_test(test_a_second_stop_does_not_move_the_deadline),
        cmocka_unit_test(test_expiry_is_taken_once_then_waits_are_idle),
        cmocka_unit_test(test_restart_gives_a_new_period_with_its_own_kill),
        cmocka_unit_test(test_wait_is_bounded_by_idle_and_by_an_hour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
