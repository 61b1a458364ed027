/* priv.h - drop root after binding: the HTTP and form parsing never run as root. */
#ifndef MMLSPARK_EULA_PRIV_H
#define MMLSPARK_EULA_PRIV_H

#include <stddef.h>

/* When the effective uid is 0: become user (or "nobody" if user does not exist) with its
 * groups, and check that root cannot be regained (drop.h). Otherwise does nothing. Returns 0, or
 * -1 with a reason in err (empty when the drop logged it). */
int priv_drop(const char *user, char *err, size_t errlen);

#endif
