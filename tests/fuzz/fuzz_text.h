/* fuzz_text.h - the fuzzer's bytes as a C string, for parsers of text: a NUL-terminated copy
 * (the caller frees it), or NULL when there is no memory for it. */
#ifndef MMLSPARK_FUZZ_TEXT_H
#define MMLSPARK_FUZZ_TEXT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text != NULL) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

#endif
