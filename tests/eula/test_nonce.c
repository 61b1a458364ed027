/* test_nonce.c - the per-run nonce: random hex, compared whole, never by prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nonce.h"

static void test_nonce_is_64_lowercase_hex_digits(void **state)
{
    (void)state;
    char n[NONCE_HEX_LEN + 1];
    assert_int_equal(nonce_generate(n), 0);
    assert_int_equal(strlen(n), NONCE_HEX_LEN);
    assert_int_equal(strspn(n, "0123456789abcdef"), NONCE_HEX_LEN);
}

static void test_nonce_differs_between_runs(void **state)
{
    (void)state;
    char a[NONCE_HEX_LEN + 1], b[NONCE_HEX_LEN + 1];
    assert_int_equal(nonce_generate(a), 0);
    assert_int_equal(nonce_generate(b), 0);
    assert_string_not_equal(a, b);
}

static void test_nonce_equal_accepts_only_the_exact_nonce(void **state)
{
    (void)state;
    char n[NONCE_HEX_LEN + 1];
    assert_int_equal(nonce_generate(n), 0);
    assert_true(nonce_equal(n, n, NONCE_HEX_LEN));
    char other[NONCE_HEX_LEN + 1];
    for (size_t i = 0; i < NONCE_HEX_LEN; i++) {
        memcpy(other, n, sizeof(other));
        other[i] = other[i] == 'a' ? 'b' : 'a';
        assert_false(nonce_equal(n, other, NONCE_HEX_LEN));
    }
}

static void test_nonce_equal_refuses_prefixes_and_extensions(void **state)
{
    (void)state;
    char n[NONCE_HEX_LEN + 1];
    assert_int_equal(nonce_generate(n), 0);
    for (size_t len = 0; len < NONCE_HEX_LEN; len++)
        assert_false(nonce_equal(n, n, len));
    char longer[NONCE_HEX_LEN + 2];
    memcpy(longer, n, NONCE_HEX_LEN);
    longer[NONCE_HEX_LEN] = '0';
    longer[NONCE_HEX_LEN + 1] = '\0';
    assert_false(nonce_equal(n, longer, NONCE_HEX_LEN + 1));
    assert_false(nonce_equal(n, "", 0));
}

static void test_nonce_equal_handles_embedded_nul_and_high_bytes(void **state)
{
    (void)state;
    char n[NONCE_HEX_LEN + 1];
    assert_int_equal(nonce_generate(n), 0);
    char given[NONCE_HEX_LEN];
    memset(given, 0, sizeof(given));
    assert_false(nonce_equal(n, given, sizeof(given)));
    memset(given, 0xff, sizeof(given));
    assert_false(nonce_equal(n, given, sizeof(given)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonce_is_64_lowercase_hex_digits),
        cmocka_unit_test(test_nonce_differs_between_runs),
        cmocka_unit_test(test_nonce_equal_accepts_only_the_exact_nonce),
        cmocka_unit_test(test_nonce_equal_refuses_prefixes_and_extensions),
        cmocka_unit_test(test_nonce_equal_handles_embedded_nul_and_high_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
