/* Unit tests: the strict parsers behind ACCEPT_EULA, MMLSPARK_JUPYTER_PORT and friends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "envparse.h"

static void test_accept_eula_truth_table(void **state)
{
    (void)state;
    static const char *const yes[] = {"y", "Y", "yes", "YES", "Yes", "true", "TRUE", "1"};
    static const char *const no[] = {"n", "N", "no", "NO", "false", "False", "0"};
    static const char *const bad[] = {"maybe", "yes ", " yes", "2",  "ja",  "accept", "yess",
                                      "01",    "t",    "f",    "on", "off", "-1",     "y\n"};
    enum eula_decision d;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        d = EULA_PENDING;
        assert_int_equal(parse_accept_eula(yes[i], &d), 0);
        assert_int_equal(d, EULA_ACCEPTED);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        d = EULA_PENDING;
        assert_int_equal(parse_accept_eula(no[i], &d), 0);
        assert_int_equal(d, EULA_DECLINED);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse_accept_eula(bad[i], &d), -1);
}

static void test_accept_eula_unset_or_empty_is_pending(void **state)
{
    (void)state;
    enum eula_decision d = EULA_ACCEPTED;
    assert_int_equal(parse_accept_eula(NULL, &d), 0);
    assert_int_equal(d, EULA_PENDING);
    d = EULA_ACCEPTED;
    assert_int_equal(parse_accept_eula("", &d), 0);
    assert_int_equal(d, EULA_PENDING);
}

static void test_port_accepts_1_to_65535(void **state)
{
    (void)state;
    unsigned p = 0;
    assert_int_equal(parse_port("1", &p), 0);
    assert_int_equal(p, 1);
    assert_int_equal(parse_port("80", &p), 0);
    assert_int_equal(p, 80);
    assert_int_equal(parse_port("8888", &p), 0);
    assert_int_equal(p, 8888);
    assert_int_equal(parse_port("65535", &p), 0);
    assert_int_equal(p, 65535);
}

static void test_port_rejects_everything_else(void **state)
{
    (void)state;
    static const char *const bad[] = {"0",   "65536", "-1",   "+80", " 80",  "80 ",
                                      "8o",  "",      "0x50", "1e3", "80.0", "99999999999999999999",
                                      "abc", "8888\n"};
    unsigned p = 42;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse_port(bad[i], &p), -1);
        assert_int_equal(p, 42);
    }
    assert_int_equal(parse_port(NULL, &p), -1);
}

static void test_seconds_take_decimals_within_bounds(void **state)
{
    (void)state;
    double s = -1;
    assert_int_equal(parse_seconds("5", 3600, &s), 0);
    assert_true(s == 5.0);
    assert_int_equal(parse_seconds("0.5", 3600, &s), 0);
    assert_true(s == 0.5);
    assert_int_equal(parse_seconds("0", 3600, &s), 0);
    assert_true(s == 0.0);
    static const char *const bad[] = {"-1", "3601", "nan", "inf", "1e2", "0x10", "", "5s", " 5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse_seconds(bad[i], 3600, &s), -1);
}

static void test_bool_words(void **state)
{
    (void)state;
    bool b = false;
    assert_int_equal(parse_bool("yes", &b), 0);
    assert_true(b);
    assert_int_equal(parse_bool("OFF", &b), 0);
    assert_false(b);
    assert_int_equal(parse_bool("maybe", &b), -1);
    assert_int_equal(parse_bool("", &b), -1);
}

static void test_exit_code_list(void **state)
{
    (void)state;
    bool set[256];
    assert_int_equal(parse_exit_code_list("143", set), 0);
    assert_true(set[143]);
    assert_false(set[0]);
    assert_int_equal(parse_exit_code_list("0, 130,143", set), 0);
    assert_true(set[0] && set[130] && set[143]);
    assert_false(set[1]);
    assert_int_equal(parse_exit_code_list("", set), 0);
    assert_false(set[143]);
    assert_int_equal(parse_exit_code_list("256", set), -1);
    assert_int_equal(parse_exit_code_list("1,x", set), -1);
    assert_int_equal(parse_exit_code_list("12345678901", set), -1);
}

static void test_ulong_range(void **state)
{
    (void)state;
    unsigned long v;
    assert_int_equal(parse_ulong("1000", 1, 2147483646, &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(parse_ulong("0", 1, 10, &v), -1);
    assert_int_equal(parse_ulong("11", 1, 10, &v), -1);
    assert_int_equal(parse_ulong("18446744073709551616", 0, (unsigned long)-1, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_eula_truth_table),
        cmocka_unit_test(test_accept_eula_unset_or_empty_is_pending),
        cmocka_unit_test(test_port_accepts_1_to_65535),
        cmocka_unit_test(test_port_rejects_everything_else),
        cmocka_unit_test(test_seconds_take_decimals_within_bounds),
        cmocka_unit_test(test_bool_words),
        cmocka_unit_test(test_exit_code_list),
        cmocka_unit_test(test_ulong_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
