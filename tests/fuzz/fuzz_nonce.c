/* fuzz_nonce.c - libFuzzer: nonce_equal agrees with a plain comparison on any input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nonce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char expected[NONCE_HEX_LEN + 1];
    if (expected[0] == '\0' && nonce_generate(expected) != 0)
        abort();
    char *given = malloc(size ? size : 1);
    if (given == NULL)
        return 0;
    memcpy(given, data, size);
    bool same = size == NONCE_HEX_LEN && memcmp(given, expected, NONCE_HEX_LEN) == 0;
    if (nonce_equal(expected, given, size) != same)
        abort();
    /* The input as the expected nonce (when long enough) against itself and a prefix. */
    if (size >= NONCE_HEX_LEN) {
        if (!nonce_equal(given, given, NONCE_HEX_LEN))
            abort();
        if (nonce_equal(given, given, NONCE_HEX_LEN - 1))
            abort();
    }
    free(given);
    return 0;
}
