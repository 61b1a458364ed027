/* fuzz_idname.c - libFuzzer: the NSS module's name parser accepts exactly "mmlspark-" and a
 * decimal id from 1 to 4294967294 without a sign or a leading zero, and the id it gives is
 * formatted back to the same name (one name per id, one id per name). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "idname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (text == NULL)
        return 0;
    uint32_t id = 0;
    int rc = idname_parse(text, &id);

    /* the reference: the text up to its first NUL, by another route */
    const char *digits = strncmp(text, IDNAME_PREFIX, strlen(IDNAME_PREFIX)) == 0
                             ? text + strlen(IDNAME_PREFIX)
                             : NULL;
    int want = digits && digits[0] >= '1' && digits[0] <= '9' && strlen(digits) <= 10 &&
               strspn(digits, "0123456789") == strlen(digits) &&
               strtoull(digits, NULL, 10) <= 4294967294ull;
    if ((rc == 0) != want)
        abort();
    if (rc == 0) {
        char back[IDNAME_MAX];
        idname_format(id, back);
        if (id == 0 || strcmp(back, text) != 0)
            abort();
    }
    free(text);
    return 0;
}
