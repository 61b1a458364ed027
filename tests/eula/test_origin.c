/* test_origin.c - the same-origin check of a form POST: Origin / Referer against Host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "origin.h"

static enum origin_verdict by_origin(const char *origin, const char *host)
{
    return origin_check(origin, NULL, host);
}

static void test_origin_absent_with_no_origin_and_no_referer(void **state)
{
    (void)state;
    assert_int_equal(origin_check(NULL, NULL, "localhost:8888"), ORIGIN_ABSENT);
    assert_int_equal(origin_check(NULL, NULL, NULL), ORIGIN_ABSENT);
}

static void test_origin_of_the_page_itself_is_same(void **state)
{
    (void)state;
    assert_int_equal(by_origin("http://localhost:8888", "localhost:8888"), ORIGIN_SAME);
    assert_int_equal(by_origin("http://127.0.0.1:49153", "127.0.0.1:49153"), ORIGIN_SAME);
    assert_int_equal(by_origin("http://notebook.example.com:8888", "notebook.example.com:8888"),
                     ORIGIN_SAME);
}

static void test_origin_any_host_name_the_user_reached_is_same(void **state)
{
    (void)state;
    /* No allow-list: whatever name reached the page is its origin. */
    assert_int_equal(by_origin("http://my-laptop.lan:8888", "my-laptop.lan:8888"), ORIGIN_SAME);
    assert_int_equal(by_origin("http://10.1.2.3:8888", "10.1.2.3:8888"), ORIGIN_SAME);
}

static void test_origin_host_compares_without_case_and_scheme_too(void **state)
{
    (void)state;
    assert_int_equal(by_origin("http://LocalHost:8888", "localhost:8888"), ORIGIN_SAME);
    assert_int_equal(by_origin("HTTP://localhost:8888", "LOCALHOST:8888"), ORIGIN_SAME);
}

static void test_origin_default_port_80_is_the_same_as_none(void **state)
{
    (void)state;
    assert_int_equal(by_origin("http://example.com", "example.com"), ORIGIN_SAME);
    assert_int_equal(by_origin("http://example.com:80", "example.com"), ORIGIN_SAME);
    assert_int_equal(by_origin("http://example.com", "example.com:80"), ORIGIN_SAME);
    assert_int_equal(by_origin("http://example.com", "example.com:"), ORIGIN_SAME);
    assert_int_equal(by_origin("http://example.com:0080", "example.com:80"), ORIGIN_SAME);
    assert_int_equal(by_origin("http://example.com", "example.com:8080"), ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://example.com:8080", "example.com"), ORIGIN_FOREIGN);
}

static void test_origin_https_through_a_proxy_keeps_its_own_default_port(void **state)
{
    (void)state;
    /* A TLS proxy in front forwards Host unchanged. */
    assert_int_equal(by_origin("https://example.com", "example.com"), ORIGIN_SAME);
    assert_int_equal(by_origin("https://example.com:443", "example.com"), ORIGIN_SAME);
    assert_int_equal(by_origin("https://example.com:8443", "example.com:8443"), ORIGIN_SAME);
    assert_int_equal(by_origin("https://example.com", "example.com:80"), ORIGIN_FOREIGN);
}

static void test_origin_ipv6_literal_in_brackets(void **state)
{
    (void)state;
    assert_int_equal(by_origin("http://[::1]:8888", "[::1]:8888"), ORIGIN_SAME);
    assert_int_equal(by_origin("http://[fe80::ABCD]", "[fe80::abcd]:80"), ORIGIN_SAME);
    assert_int_equal(by_origin("http://[::1]:8888", "[::2]:8888"), ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://[::1]:8888", "::1:8888"), ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://[::1:8888", "[::1]:8888"), ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://[]:8888", "[]:8888"), ORIGIN_FOREIGN);
}

static void test_origin_of_another_site_is_foreign(void **state)
{
    (void)state;
    assert_int_equal(by_origin("http://evil.example", "localhost:8888"), ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://localhost:9999", "localhost:8888"), ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://localhost.evil.example:8888", "localhost:8888"),
                     ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://localhost", "localhost.evil.example"), ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://127.0.0.1:8888", "localhost:8888"), ORIGIN_FOREIGN);
}

static void test_origin_null_and_malformed_are_foreign(void **state)
{
    (void)state;
    const char *bad[] = {
        "null",
        "",
        "localhost:8888",
        "http://",
        "http://:8888",
        "ftp://localhost:8888",
        "file://",
        "http://localhost:8888/",
        "http://localhost:8888/path",
        "http://user@localhost:8888",
        "http://localhost:88x8",
        "http://localhost:65536",
        "http://localhost:99999999999999999999999",
        "http://localhost:8888 ",
        "http://local host:8888",
        "http:/localhost:8888",
        "http://localhost:8888, http://localhost:8888",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        print_message("Origin: %s\n", bad[i]);
        assert_int_equal(by_origin(bad[i], "localhost:8888"), ORIGIN_FOREIGN);
    }
}

static void test_origin_without_a_usable_host_is_foreign(void **state)
{
    (void)state;
    assert_int_equal(by_origin("http://localhost:8888", NULL), ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://localhost:8888", ""), ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://localhost:8888", "localhost:8888/x"), ORIGIN_FOREIGN);
    assert_int_equal(by_origin("http://x", "x:70000"), ORIGIN_FOREIGN);
}

static void test_origin_wins_over_referer(void **state)
{
    (void)state;
    const char *host = "localhost:8888";
    assert_int_equal(origin_check("http://evil.example", "http://localhost:8888/", host),
                     ORIGIN_FOREIGN);
    assert_int_equal(origin_check("http://localhost:8888", "http://evil.example/", host),
                     ORIGIN_SAME);
    assert_int_equal(origin_check("null", "http://localhost:8888/", host), ORIGIN_FOREIGN);
}

static void test_referer_without_origin_is_checked_by_its_start(void **state)
{
    (void)state;
    const char *host = "localhost:8888";
    assert_int_equal(origin_check(NULL, "http://localhost:8888/", host), ORIGIN_SAME);
    assert_int_equal(origin_check(NULL, "http://localhost:8888", host), ORIGIN_SAME);
    assert_int_equal(origin_check(NULL, "http://localhost:8888/?a=1#f", host), ORIGIN_SAME);
    assert_int_equal(origin_check(NULL, "http://localhost:8888?q", host), ORIGIN_SAME);
    assert_int_equal(origin_check(NULL, "http://evil.example/localhost:8888", host),
                     ORIGIN_FOREIGN);
    assert_int_equal(origin_check(NULL, "http://localhost:8888@evil.example/", host),
                     ORIGIN_FOREIGN);
    assert_int_equal(origin_check(NULL, "http://evil.example/?http://localhost:8888", host),
                     ORIGIN_FOREIGN);
    assert_int_equal(origin_check(NULL, "/relative", host), ORIGIN_FOREIGN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_origin_absent_with_no_origin_and_no_referer),
        cmocka_unit_test(test_origin_of_the_page_itself_is_same),
        cmocka_unit_test(test_origin_any_host_name_the_user_reached_is_same),
        cmocka_unit_test(test_origin_host_compares_without_case_and_scheme_too),
        cmocka_unit_test(test_origin_default_port_80_is_the_same_as_none),
        cmocka_unit_test(test_origin_https_through_a_proxy_keeps_its_own_default_port),
        cmocka_unit_test(test_origin_ipv6_literal_in_brackets),
        cmocka_unit_test(test_origin_of_another_site_is_foreign),
        cmocka_unit_test(test_origin_null_and_malformed_are_foreign),
        cmocka_unit_test(test_origin_without_a_usable_host_is_foreign),
        cmocka_unit_test(test_origin_wins_over_referer),
        cmocka_unit_test(test_referer_without_origin_is_checked_by_its_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
