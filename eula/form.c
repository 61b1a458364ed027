/* form.c - a strict, bounded decoder for urlencoded form bodies (the accept/decline POSTs). */
#include "form.h"

#include <stdbool.h>
#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into out (at most cap bytes, no NUL added). Returns the decoded length,
 * -1 if malformed, -2 if it does not fit. With out == NULL it only validates. */
static long decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (n - i < 3)
                return -1;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == '\0')
            return -1;
        if (out != NULL) {
            if (o >= cap)
                return -2;
            out[o] = (char)c;
        }
        o++;
    }
    return (long)o;
}

static enum form_result find_field(const char *body, size_t len, const char *name, char *out,
                                   size_t outsize, size_t *outlen)
{
    if (outsize == 0 || name == NULL)
        return FORM_TOO_LONG;
    size_t name_len = strlen(name);
    bool found = false;
    enum form_result result = FORM_MISSING;
    size_t pos = 0;
    while (pos < len) {
        const char *pair = body + pos;
        const char *amp = memchr(pair, '&', len - pos);
        size_t pair_len = amp ? (size_t)(amp - pair) : len - pos;
        pos += pair_len + 1;
        if (pair_len == 0)
            continue; /* "a=1&&b=2": empty pairs are allowed by the URL standard */
        const char *eq = memchr(pair, '=', pair_len);
        size_t key_len = eq ? (size_t)(eq - pair) : pair_len;
        const char *val = eq ? eq + 1 : pair + pair_len;
        size_t val_len = eq ? pair_len - key_len - 1 : 0;

        char key[FORM_NAME_MAX];
        long k = decode(pair, key_len, key, sizeof(key));
        if (k == -1)
            return FORM_MALFORMED;
        bool match = k >= 0 && (size_t)k == name_len && memcmp(key, name, name_len) == 0;
        if (!match) {
            if (decode(val, val_len, NULL, 0) < 0)
                return FORM_MALFORMED;
            continue;
        }
        if (found)
            return FORM_DUPLICATE;
        found = true;
        long v = decode(val, val_len, out, outsize - 1);
        if (v == -1)
            return FORM_MALFORMED;
        if (v == -2) {
            result = FORM_TOO_LONG; /* keep scanning: a later malformed pair still wins */
            continue;
        }
        out[v] = '\0';
        if (outlen != NULL)
            *outlen = (size_t)v;
        result = FORM_OK;
    }
    return result;
}

enum form_result form_get_field(const char *body, size_t len, const char *name, char *out,
                                size_t outsize, size_t *outlen)
{
    enum form_result r = find_field(body, len, name, out, outsize, outlen);
    if (r != FORM_OK && outsize > 0)
        out[0] = '\0'; /* never leave part of a value behind */
    return r;
}
