/* test_page.c - HTML escaping of the license text and the rendered license page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "htmlesc.h"
#include "page.h"

static void test_escape_replaces_the_five_special_characters(void **state)
{
    (void)state;
    const char in[] = "a<b>&\"c'";
    char out[64];
    size_t n = html_escape(in, strlen(in), out, sizeof(out));
    assert_string_equal(out, "a&lt;b&gt;&amp;&quot;c&#39;");
    assert_int_equal(n, strlen(out));
    assert_int_equal(html_escaped_len(in, strlen(in)), n);
}

static void test_escape_keeps_newlines_tabs_and_utf8(void **state)
{
    (void)state;
    const char in[] = "line 1\n\tline 2 \xc3\xa9\xe2\x82\xac";
    char out[64];
    html_escape(in, strlen(in), out, sizeof(out));
    assert_string_equal(out, in);
}

static void test_escape_drops_cr_nul_and_control_characters(void **state)
{
    (void)state;
    const char in[] = {'a', '\r', '\n', '\0', 'b', '\x1b', '[', '\x7f', 'c'};
    char out[16];
    size_t n = html_escape(in, sizeof(in), out, sizeof(out));
    assert_string_equal(out, "a\nb[c");
    assert_int_equal(n, 5);
    assert_int_equal(html_escaped_len(in, sizeof(in)), 5);
}

static void test_escape_refuses_a_small_buffer_without_overflow(void **state)
{
    (void)state;
    char out[8];
    memset(out, 'G', sizeof(out));
    /* "&amp;&amp;" needs 10 bytes + NUL: does not fit in 6 */
    assert_int_equal(html_escape("&&", 2, out, 6), SIZE_MAX);
    assert_string_equal(out, "");
    assert_int_equal(out[6], 'G');
    /* exactly fitting: 5 + NUL */
    assert_int_equal(html_escape("&", 1, out, 6), 5);
    assert_string_equal(out, "&amp;");
    assert_int_equal(html_escape("x", 1, out, 0), SIZE_MAX);
    assert_int_equal(html_escape("", 0, out, 1), 0);
}

static void test_escape_output_never_contains_markup(void **state)
{
    (void)state;
    char in[256];
    for (int i = 0; i < 256; i++)
        in[i] = (char)i;
    char out[2048];
    size_t n = html_escape(in, sizeof(in), out, sizeof(out));
    assert_int_not_equal(n, SIZE_MAX);
    assert_null(memchr(out, '<', n));
    assert_null(memchr(out, '>', n));
    assert_null(memchr(out, '"', n));
    assert_null(memchr(out, '\'', n));
}

static const char nonce[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void test_page_contains_escaped_text_and_nonce_twice(void **state)
{
    (void)state;
    const char text[] = "Terms <b>bold</b> & \"quotes\"\n</div><script>alert(1)</script>";
    struct page p;
    assert_int_equal(page_render_eula(text, strlen(text), nonce, &p), 0);
    assert_int_equal(strlen(p.data), p.len);
    assert_non_null(strstr(p.data, "Terms &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot;"));
    assert_null(strstr(p.data, "<script>"));
    assert_null(strstr(p.data, "<b>"));
    const char *first = strstr(p.data, nonce);
    assert_non_null(first);
    assert_non_null(strstr(first + 1, nonce));
    assert_null(strstr(p.data, "%NONCE%"));
    assert_non_null(strstr(p.data, "name=\"viewport\""));
    assert_non_null(strstr(p.data, "action=\"/accept\""));
    assert_non_null(strstr(p.data, "action=\"/decline\""));
    page_free(&p);
}

static void test_page_refuses_text_over_the_limit(void **state)
{
    (void)state;
    char *big = calloc(EULA_TEXT_MAX + 1, 1);
    assert_non_null(big);
    struct page p;
    assert_int_equal(page_render_eula(big, EULA_TEXT_MAX + 1, nonce, &p), -1);
    assert_null(p.data);
    memset(big, '&', EULA_TEXT_MAX); /* the worst case that is still allowed */
    assert_int_equal(page_render_eula(big, EULA_TEXT_MAX, nonce, &p), 0);
    assert_true(p.len > 5 * (size_t)EULA_TEXT_MAX);
    page_free(&p);
    free(big);
}

static void test_page_refuses_a_nonce_that_is_not_hex(void **state)
{
    (void)state;
    struct page p;
    assert_int_equal(page_render_eula("t", 1, "\"><script>", &p), -1);
    assert_null(p.data);
}

static void test_accepted_page_polls_jupyter_and_mentions_the_token(void **state)
{
    (void)state;
    assert_non_null(strstr(page_accepted, "fetch('/api'"));
    assert_non_null(strstr(page_accepted, "j.version"));
    assert_non_null(strstr(page_accepted, "location = '/'"));
    assert_non_null(strstr(page_accepted, "content=\"5;url=/\""));
    assert_non_null(strstr(page_accepted, "docker logs"));
    assert_non_null(strstr(page_declined, "ACCEPT_EULA=yes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_replaces_the_five_special_characters),
        cmocka_unit_test(test_escape_keeps_newlines_tabs_and_utf8),
        cmocka_unit_test(test_escape_drops_cr_nul_and_control_characters),
        cmocka_unit_test(test_escape_refuses_a_small_buffer_without_overflow),
        cmocka_unit_test(test_escape_output_never_contains_markup),
        cmocka_unit_test(test_page_contains_escaped_text_and_nonce_twice),
        cmocka_unit_test(test_page_refuses_text_over_the_limit),
        cmocka_unit_test(test_page_refuses_a_nonce_that_is_not_hex),
        cmocka_unit_test(test_accepted_page_polls_jupyter_and_mentions_the_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
