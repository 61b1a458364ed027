/* priv.c - the page's user: the configured one, else nobody, never root; the drop is lib's. */
#include "priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "drop.h"
#include "log.h"

int priv_drop(const char *user, char *err, size_t errlen)
{
    if (geteuid() != 0)
        return 0;
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        log_info("user '%s' does not exist here: serving as 'nobody'", user);
        user = "nobody";
        pw = getpwnam(user);
    }
    if (pw == NULL) {
        snprintf(err, errlen,
                 "neither the configured user nor 'nobody' exists: will not serve "
                 "the page as root");
        return -1;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errlen, "user '%s' has uid 0: will not serve the page as root", user);
        return -1;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (initgroups(user, gid) != 0) {
        snprintf(err, errlen, "cannot become user '%s' (uid %u): %s", user, (unsigned)uid,
                 strerror(errno));
        return -1;
    }
    if (drop_to_user(uid, gid, "the page") != 0) {
        err[0] = '\0'; /* drop_to_user said why */
        return -1;
    }
    log_debug("serving as user '%s' (uid %u, gid %u)", user, (unsigned)uid, (unsigned)gid);
    return 0;
}
