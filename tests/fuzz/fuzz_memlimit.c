/* fuzz_memlimit.c - libFuzzer: the cgroup limit parser (memory.max, memory.limit_in_bytes)
 * accepts exactly "max" or a decimal byte count that fits 64 bits (trailing white space
 * allowed), gives the count's value, and the heap sizes derived from any accepted limit stay in
 * whole 64 MiB, the driver's within the limit (at least 64 MiB), a worker's at least 512 MiB. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "memlimit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (text == NULL)
        return 0;
    int ok = -1;
    uint64_t v = memlimit_parse(text, &ok);

    /* the reference: the text up to its first NUL, trailing white space off */
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    int digits = n > 0;
    for (size_t i = 0; i < n; i++)
        digits &= isdigit((unsigned char)text[i]) != 0;
    int want_ok = 0;
    uint64_t want = 0;
    if (n == 3 && memcmp(text, "max", 3) == 0) {
        want_ok = 1;
    } else if (digits && n <= 20) {
        char buf[32];
        memcpy(buf, text, n);
        buf[n] = '\0';
        errno = 0;
        unsigned long long r = strtoull(buf, NULL, 10);
        want_ok = errno == 0;
        want = want_ok ? (uint64_t)r : 0;
    }
    if (ok != want_ok || (ok && v != want))
        abort();
    if (ok) {
        uint64_t heap = memlimit_driver_heap_mib(v), worker = memlimit_worker_mib(v);
        if (v == 0 && (heap != 0 || worker != 0))
            abort();
        /* a heap is at least 64 MiB, else at most the limit */
        uint64_t cap = v / MEMLIMIT_MIB > 64 ? v / MEMLIMIT_MIB : 64;
        if (v != 0 && (heap == 0 || heap > cap || heap % 64 != 0 || worker < 512 || worker % 64 != 0))
            abort();
    }
    free(text);
    return 0;
}
