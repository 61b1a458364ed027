/* fuzz_form.c - libFuzzer: the form decoder on arbitrary bodies; checks its promises. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: ASan catches any read past the body. */
    char *body = malloc(size ? size : 1);
    if (body == NULL)
        return 0;
    memcpy(body, data, size);
    size_t sizes[] = {1, 8, 65, 66, 1024};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t outsize = sizes[i];
        char *out = malloc(outsize);
        if (out == NULL)
            break;
        size_t n = (size_t)-1;
        enum form_result r = form_get_field(body, size, "nonce", out, outsize, &n);
        if (r == FORM_OK) {
            /* decoded: shorter than the body, NUL-terminated, no NUL inside */
            if (n >= outsize || n > size || out[n] != '\0' || strlen(out) != n)
                abort();
        } else if (r != FORM_MISSING && r != FORM_MALFORMED && r != FORM_TOO_LONG &&
                   r != FORM_DUPLICATE) {
            abort();
        } else if (out[0] != '\0') {
            abort();
        }
        free(out);
    }
    free(body);
    return 0;
}
