/* htmlesc.c - escape text so that it can only ever be text in the page. */
#include "htmlesc.h"

#include <stdint.h>
#include <string.h>

/* The replacement for byte c, or NULL to copy it; "" drops it. */
static const char *entity(unsigned char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    case '\t':
    case '\n':
        return NULL;
    default:
        return (c < 0x20 || c == 0x7f) ? "" : NULL;
    }
}

size_t html_escaped_len(const char *in, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        const char *e = entity((unsigned char)in[i]);
        size_t add = e ? strlen(e) : 1;
        if (n > SIZE_MAX - 1 - add)
            return SIZE_MAX;
        n += add;
    }
    return n;
}

size_t html_escape(const char *in, size_t len, char *out, size_t outsize)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        const char *e = entity((unsigned char)in[i]);
        size_t add = e ? strlen(e) : 1;
        if (outsize == 0 || add >= outsize - o) {
            if (outsize > 0)
                out[0] = '\0';
            return SIZE_MAX;
        }
        if (e)
            memcpy(out + o, e, add);
        else
            out[o] = in[i];
        o += add;
    }
    if (outsize == 0)
        return SIZE_MAX;
    out[o] = '\0';
    return o;
}
