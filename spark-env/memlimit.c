/* memlimit.c - the container's memory limit and the Spark heap sizes derived from it. */
#include "memlimit.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smallfile.h"

uint64_t memlimit_parse(const char *text, int *ok)
{
    const char *p = text;
    size_t n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    *ok = 0;
    if (n == 3 && strncmp(p, "max", 3) == 0) {
        *ok = 1;
        return 0;
    }
    if (n == 0 || n > 20)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return 0;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *ok = 1;
    return v;
}

/* The limit in FILE, or 0 (none, unreadable, unparsable). */
static uint64_t read_limit_file(const char *file)
{
    char buf[64];
    if (smallfile_read(file, 0, buf, sizeof(buf) - 1) <= 0)
        return 0;
    int ok;
    uint64_t v = memlimit_parse(buf, &ok);
    return ok ? v : 0;
}

uint64_t memlimit_read(const char *root, uint64_t memtotal)
{
    static const char *const files[] = {"memory.max", "memory/memory.limit_in_bytes"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/%s", root, files[i]) >= (int)sizeof(path))
            return 0;
        if (access(path, R_OK) != 0)
            continue;
        uint64_t v = read_limit_file(path);
        /* v1 says "no limit" with a huge page-rounded number; either way, a limit at or above
         * the machine's RAM limits nothing. */
        if (v == 0 || (memtotal != 0 && v >= memtotal) || v >= (UINT64_C(1) << 62))
            return 0;
        return v;
    }
    return 0;
}

static uint64_t round_down_64(uint64_t mib)
{
    return mib - mib % 64;
}

uint64_t memlimit_driver_heap_mib(uint64_t limit)
{
    if (limit == 0)
        return 0;
    uint64_t mib = limit / MEMLIMIT_MIB;
    uint64_t rest = mib > 1024 ? mib - 1024 : 0;
    uint64_t heap = round_down_64(rest * 6 / 10);
    uint64_t floor = mib / 2 < 512 ? round_down_64(mib / 2) : 512;
    return heap > floor ? heap : (floor > 0 ? floor : 64);
}

uint64_t memlimit_worker_mib(uint64_t limit)
{
    if (limit == 0)
        return 0;
    uint64_t mib = limit / MEMLIMIT_MIB;
    uint64_t w = round_down_64(mib > 1024 ? mib - 1024 : 0);
    return w > 512 ? w : 512;
}
