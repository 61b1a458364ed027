/* test_form.c - the urlencoded form decoder on valid, truncated, oversized and hostile bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"

static enum form_result get(const char *body, char *out, size_t outsize, size_t *outlen)
{
    return form_get_field(body, strlen(body), "nonce", out, outsize, outlen);
}

static void test_form_finds_the_only_field(void **state)
{
    (void)state;
    char out[80];
    size_t n = 0;
    assert_int_equal(get("nonce=abc123", out, sizeof(out), &n), FORM_OK);
    assert_string_equal(out, "abc123");
    assert_int_equal(n, 6);
}

static void test_form_finds_the_field_among_others(void **state)
{
    (void)state;
    char out[80];
    size_t n = 0;
    assert_int_equal(get("a=1&nonce=xyz&b=", out, sizeof(out), &n), FORM_OK);
    assert_string_equal(out, "xyz");
    assert_int_equal(get("&&a&nonce=q&&", out, sizeof(out), &n), FORM_OK);
    assert_string_equal(out, "q");
}

static void test_form_decodes_percent_and_plus(void **state)
{
    (void)state;
    char out[80];
    size_t n = 0;
    assert_int_equal(get("nonce=a%2Bb+c%3d%7E", out, sizeof(out), &n), FORM_OK);
    assert_string_equal(out, "a+b c=~");
    assert_int_equal(get("n%6Fnce=encoded-name", out, sizeof(out), &n), FORM_OK);
    assert_string_equal(out, "encoded-name");
}

static void test_form_empty_value_is_found_and_empty(void **state)
{
    (void)state;
    char out[8];
    size_t n = 99;
    assert_int_equal(get("nonce=", out, sizeof(out), &n), FORM_OK);
    assert_int_equal(n, 0);
    assert_string_equal(out, "");
    assert_int_equal(get("nonce", out, sizeof(out), &n), FORM_OK);
    assert_int_equal(n, 0);
}

static void test_form_missing_field_is_reported(void **state)
{
    (void)state;
    char out[8];
    size_t n = 0;
    assert_int_equal(get("", out, sizeof(out), &n), FORM_MISSING);
    assert_int_equal(get("nonc=1&noncee=2&Nonce=3& nonce=4", out, sizeof(out), &n), FORM_MISSING);
    assert_string_equal(out, "");
}

static void test_form_truncated_escape_is_malformed(void **state)
{
    (void)state;
    char out[8];
    size_t n = 0;
    assert_int_equal(get("nonce=ab%", out, sizeof(out), &n), FORM_MALFORMED);
    assert_int_equal(get("nonce=ab%4", out, sizeof(out), &n), FORM_MALFORMED);
    assert_int_equal(get("nonce=%zz", out, sizeof(out), &n), FORM_MALFORMED);
    /* a bad escape elsewhere in the body spoils the whole body */
    assert_int_equal(get("nonce=ok&x=%g1", out, sizeof(out), &n), FORM_MALFORMED);
    assert_int_equal(get("%=1&nonce=ok", out, sizeof(out), &n), FORM_MALFORMED);
}

static void test_form_truncated_body_never_reads_past_its_length(void **state)
{
    (void)state;
    /* The buffer is exactly the length given: ASan reports any read past it. */
    const char text[] = "nonce=abcd%41";
    for (size_t len = 0; len <= sizeof(text) - 1; len++) {
        char *body = malloc(len ? len : 1);
        assert_non_null(body);
        memcpy(body, text, len);
        char out[16];
        size_t n = 0;
        enum form_result r = form_get_field(body, len, "nonce", out, sizeof(out), &n);
        if (len < 5)
            assert_int_equal(r, FORM_MISSING);
        else if (len == 11 || len == 12)
            assert_int_equal(r, FORM_MALFORMED);
        else if (len >= 5)
            assert_int_equal(r, FORM_OK);
        free(body);
    }
}

static void test_form_nul_byte_is_malformed(void **state)
{
    (void)state;
    char out[8];
    size_t n = 0;
    assert_int_equal(get("nonce=a%00b", out, sizeof(out), &n), FORM_MALFORMED);
    const char raw[] = {'n', 'o', 'n', 'c', 'e', '=', 'a', '\0', 'b'};
    assert_int_equal(form_get_field(raw, sizeof(raw), "nonce", out, sizeof(out), &n),
                     FORM_MALFORMED);
}

static void test_form_oversized_value_is_too_long_and_output_stays_bounded(void **state)
{
    (void)state;
    char out[5 + 1 + 2]; /* guard bytes after the 5-byte window */
    memset(out, 'G', sizeof(out));
    size_t n = 0;
    assert_int_equal(form_get_field("nonce=123456", 12, "nonce", out, 5, &n), FORM_TOO_LONG);
    assert_string_equal(out, "");
    assert_int_equal(out[5], 'G');
    assert_int_equal(form_get_field("nonce=1234", 10, "nonce", out, 5, &n), FORM_OK);
    assert_string_equal(out, "1234");
    assert_int_equal(form_get_field("nonce=1", 7, "nonce", out, 0, &n), FORM_TOO_LONG);
}

static void test_form_duplicate_field_is_refused(void **state)
{
    (void)state;
    char out[16];
    size_t n = 0;
    assert_int_equal(get("nonce=a&nonce=b", out, sizeof(out), &n), FORM_DUPLICATE);
    assert_int_equal(get("nonce=a&n%6fnce=a", out, sizeof(out), &n), FORM_DUPLICATE);
}

static void test_form_long_names_are_skipped_not_overflowed(void **state)
{
    (void)state;
    size_t len = 100000;
    char *body = malloc(len + 16);
    assert_non_null(body);
    memset(body, 'k', len);
    memcpy(body + len, "=v&nonce=ok", 11);
    char out[16];
    size_t n = 0;
    assert_int_equal(form_get_field(body, len + 11, "nonce", out, sizeof(out), &n), FORM_OK);
    assert_string_equal(out, "ok");
    free(body);
}

static void test_form_hostile_bodies_do_not_crash(void **state)
{
    (void)state;
    const char *bodies[] = {
        "=",           "&",        "==&==",          "nonce==",    "nonce=%%%",
        "nonce=%2",    "%",        "nonce=<script>", "\xff\xfe",   "nonce=\xff",
        "nonce=a=b=c", "+nonce=1", "nonce+=1",       "nonce%3d=1", "nonce=%0d%0a",
        "&nonce"};
    char out[16];
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        size_t n = 0;
        enum form_result r = get(bodies[i], out, sizeof(out), &n);
        assert_true(r <= FORM_OK && r >= FORM_DUPLICATE);
        if (r == FORM_OK)
            assert_int_equal(strlen(out), n);
    }
    size_t n = 0;
    assert_int_equal(get("nonce==", out, sizeof(out), &n), FORM_OK);
    assert_string_equal(out, "=");
    assert_int_equal(get("nonce=<script>", out, sizeof(out), &n), FORM_OK);
    assert_string_equal(out, "<script>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_finds_the_only_field),
        cmocka_unit_test(test_form_finds_the_field_among_others),
        cmocka_unit_test(test_form_decodes_percent_and_plus),
        cmocka_unit_test(test_form_empty_value_is_found_and_empty),
        cmocka_unit_test(test_form_missing_field_is_reported),
        cmocka_unit_test(test_form_truncated_escape_is_malformed),
        cmocka_unit_test(test_form_truncated_body_never_reads_past_its_length),
        cmocka_unit_test(test_form_nul_byte_is_malformed),
        cmocka_unit_test(test_form_oversized_value_is_too_long_and_output_stays_bounded),
        cmocka_unit_test(test_form_duplicate_field_is_refused),
        cmocka_unit_test(test_form_long_names_are_skipped_not_overflowed),
        cmocka_unit_test(test_form_hostile_bodies_do_not_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
