/* idname.h - the name the NSS module gives an id without an entry: "mmlspark-ID". */
#ifndef MMLSPARK_IDNAME_H
#define MMLSPARK_IDNAME_H

#include <stddef.h>
#include <stdint.h>

#define IDNAME_PREFIX "mmlspark-"
/* "mmlspark-4294967294" and its NUL */
#define IDNAME_MAX (sizeof(IDNAME_PREFIX) + 10)

/* Parses "mmlspark-ID", ID strictly decimal: digits only, no sign, no leading zero, 1 to
 * 4294967294 ((uid_t)-1 means "no id", 0 is root's). Returns 0 with *id set, else -1. */
int idname_parse(const char *name, uint32_t *id);

/* Writes "mmlspark-ID" into out (IDNAME_MAX bytes). */
void idname_format(uint32_t id, char out[IDNAME_MAX]);

#endif
