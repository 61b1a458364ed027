/* fuzz_origin.c - libFuzzer: the Origin/Referer check on arbitrary headers; checks its promises. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "origin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An exact-size, NUL-terminated copy: ASan catches any read past the header's end. */
static char *copy(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static char *prefixed(const char *prefix, const char *s)
{
    size_t a = strlen(prefix), b = strlen(s);
    char *out = malloc(a + b + 1);
    if (out != NULL) {
        memcpy(out, prefix, a);
        memcpy(out + a, s, b + 1);
    }
    return out;
}

static void valid_verdict(enum origin_verdict v)
{
    if (v != ORIGIN_ABSENT && v != ORIGIN_SAME && v != ORIGIN_FOREIGN)
        abort();
}

/* Input: a flags byte (bit 0: Origin present, bit 1: Referer present), then Origin, Referer and
 * Host separated by NUL bytes (headers cannot hold NUL). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    const uint8_t *p = data + 1, *end = data + size;
    char *part[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        size_t n = nul != NULL ? (size_t)(nul - p) : (size_t)(end - p);
        part[i] = copy(p, n);
        p = nul != NULL ? nul + 1 : end;
    }
    if (part[0] == NULL || part[1] == NULL || part[2] == NULL)
        goto out;
    const char *origin = flags & 1 ? part[0] : NULL;
    const char *referer = flags & 2 ? part[1] : NULL;
    const char *host = part[2];

    enum origin_verdict v = origin_check(origin, referer, host);
    valid_verdict(v);
    if ((v == ORIGIN_ABSENT) != (origin == NULL && referer == NULL))
        abort(); /* absent exactly when both headers are */
    if (origin != NULL && v != origin_check(origin, NULL, host))
        abort(); /* Origin, when present, decides alone */
    /* The page's own origin written from Host is the same origin, unless Host is unusable, and
     * then nothing is the same origin. */
    char *own = prefixed("http://", host);
    if (own != NULL) {
        enum origin_verdict self = origin_check(own, NULL, host);
        if (self == ORIGIN_FOREIGN && v == ORIGIN_SAME)
            abort();
        if (self != ORIGIN_SAME && self != ORIGIN_FOREIGN)
            abort();
        free(own);
    }
out:
    for (int i = 0; i < 3; i++)
        free(part[i]);
    return 0;
}
