/* drop.c - the irreversible identity change and its proof (libcap for the capability sets). */
#include "drop.h"

#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "log.h"

static int no_capabilities_left(void)
{
    cap_t now = cap_get_proc();
    cap_t none = cap_init();
    int same = now && none && cap_compare(now, none) == 0;
    cap_free(now);
    cap_free(none);
    if (!same)
        return -1;
    for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
        if (cap_get_ambient(c) > 0)
            return -1;
    return 0;
}

int drop_to_user(uid_t uid, gid_t gid)
{
    if (setgid(gid) != 0 || setuid(uid) != 0) {
        log_error("cannot switch to uid %u gid %u: %s", (unsigned)uid, (unsigned)gid,
                  strerror(errno));
        return -1;
    }
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != uid || eu != uid ||
        su != uid || rg != gid || eg != gid || sg != gid) {
        log_error("the switch to uid %u gid %u did not take: refusing to run the job",
                  (unsigned)uid, (unsigned)gid);
        return -1;
    }
    if (setuid(0) == 0) {
        log_error("setuid(0) still works after dropping to uid %u: refusing to run the job",
                  (unsigned)uid);
        return -1;
    }
    if (no_capabilities_left() != 0) {
        log_error("capabilities are left after dropping to uid %u: refusing to run the job",
                  (unsigned)uid);
        return -1;
    }
    return 0;
}
