/* drop.c - the irreversible identity change and its proof (capget(2), no library). */
#include "drop.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

static int no_capabilities_left(void)
{
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    /* Zeroed: valgrind marks only the first element as written by capget. */
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};
    if (syscall(SYS_capget, &head, data) != 0)
        return -1;
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
        if (data[i].effective || data[i].permitted || data[i].inheritable)
            return -1;
    /* The ambient set, up to the kernel's last capability (EINVAL past it). */
    for (unsigned long c = 0;; c++) {
        int set = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0UL, 0UL);
        if (set < 0)
            return errno == EINVAL && c > 0 ? 0 : -1;
        if (set > 0)
            return -1;
    }
}

int drop_to_user(uid_t uid, gid_t gid, const char *what)
{
    if (setgid(gid) != 0 || setuid(uid) != 0) {
        log_error("cannot switch to uid %u gid %u: %s; refusing to run %s", (unsigned)uid,
                  (unsigned)gid, strerror(errno), what);
        return -1;
    }
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != uid || eu != uid ||
        su != uid || rg != gid || eg != gid || sg != gid) {
        log_error("the switch to uid %u gid %u did not take: refusing to run %s", (unsigned)uid,
                  (unsigned)gid, what);
        return -1;
    }
    if (setuid(0) == 0) {
        log_error("setuid(0) still works after dropping to uid %u: refusing to run %s",
                  (unsigned)uid, what);
        return -1;
    }
    if (no_capabilities_left() != 0) {
        log_error("capabilities are left after dropping to uid %u: refusing to run %s",
                  (unsigned)uid, what);
        return -1;
    }
    return 0;
}
