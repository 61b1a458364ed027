/* drop.h - become an unprivileged user for good, then prove there is no way back to root: one
 * drop for the session process (the job) and the EULA page. */
#ifndef MMLSPARK_DROP_H
#define MMLSPARK_DROP_H

#include <sys/types.h>

/* setgid + setuid (the supplementary groups are already set), then checks: every uid and gid
 * is the user's, setuid(0) fails, no capability is left in any set. Returns 0 or -1 after one
 * error line that ends with what (the job, the page) will not run as root. */
int drop_to_user(uid_t uid, gid_t gid, const char *what);

#endif
