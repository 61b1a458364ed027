/* idname.c - "mmlspark-ID" to an id and back, one spelling per id. */
#include "idname.h"

#include <stdio.h>
#include <string.h>

int idname_parse(const char *name, uint32_t *id)
{
    size_t plen = sizeof(IDNAME_PREFIX) - 1;
    if (name == NULL || strncmp(name, IDNAME_PREFIX, plen) != 0)
        return -1;
    const char *p = name + plen;
    /* a leading zero would give one id a second name */
    if (*p < '1' || *p > '9')
        return -1;
    uint64_t v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
        if (v >= UINT32_MAX) /* (uid_t)-1 is "no id"; past it, overflow */
            return -1;
    }
    *id = (uint32_t)v;
    return 0;
}

void idname_format(uint32_t id, char out[IDNAME_MAX])
{
    snprintf(out, IDNAME_MAX, IDNAME_PREFIX "%u", (unsigned)id);
}
