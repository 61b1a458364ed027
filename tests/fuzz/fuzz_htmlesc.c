/* fuzz_htmlesc.c - libFuzzer: escaping yields text only (no markup, entities intact) and the
 * rendered page keeps the text inside its box. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "htmlesc.h"
#include "page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text_only(const char *out, size_t n)
{
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    for (size_t i = 0; i < n; i++) {
        char c = out[i];
        if (c == '<' || c == '>' || c == '"' || c == '\'' || c == '\0' || c == '\r')
            abort();
        if (c == '&') {
            size_t k = 0;
            while (k < 5 && strncmp(out + i, entities[k], strlen(entities[k])) != 0)
                k++;
            if (k == 5)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t need = html_escaped_len(in, size);
    if (need == SIZE_MAX || need > 6 * size)
        abort();
    char *out = malloc(need + 1);
    if (out == NULL)
        return 0;
    if (html_escape(in, size, out, need + 1) != need || out[need] != '\0')
        abort();
    check_text_only(out, need);
    if (need > 0 && html_escape(in, size, out, need) != SIZE_MAX) /* one byte short */
        abort();
    free(out);

    struct page p;
    static const char nonce[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    if (page_render_eula(in, size, nonce, &p) != 0)
        abort();
    /* the text cannot close its box: exactly one region, two forms */
    const char *box = strstr(p.data, "tabindex=\"0\">");
    const char *end = strstr(p.data, "</div>\n<form");
    if (box == NULL || end == NULL || end < box || strstr(end + 1, "</div>") != NULL)
        abort();
    if (strlen(p.data) != p.len)
        abort();
    page_free(&p);
    return 0;
}
