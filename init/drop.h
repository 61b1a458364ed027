/* drop.h - become the notebook user for good, then prove there is no way back to root. */
#ifndef MMLSPARK_DROP_H
#define MMLSPARK_DROP_H

#include <sys/types.h>

/* setgid + setuid (the supplementary groups are already set), then checks: every uid and gid
 * is the user's, setuid(0) fails, no capability is left in any set. Returns 0 or -1 (logged). */
int drop_to_user(uid_t uid, gid_t gid);

#endif
