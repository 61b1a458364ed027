/* identity.c - a user name and a writable HOME for any uid, in one place for every role. */
#include "identity.h"

#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "log.h"

static const char *tmp_dir(void)
{
    const char *t = getenv("TMPDIR");
    return t && t[0] == '/' ? t : "/tmp";
}

/* $TMPDIR/home-UID: our own directory (made 0700 when missing), or false. */
static bool tmp_home(char *out, size_t len)
{
    snprintf(out, len, "%s/home-%u", tmp_dir(), (unsigned)getuid());
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return false;
    struct stat st;
    return lstat(out, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
           account_dir_usable(out);
}

static void choose_home(const char *notebook_user, struct identity *id)
{
    const char *home = getenv("HOME");
    if (home != NULL && strcmp(home, "/") != 0 && account_dir_usable(home))
        return;
    struct user_info u;
    if (account_lookup(notebook_user, &u) == 0 && account_dir_usable(u.home)) {
        snprintf(id->home, sizeof(id->home), "%s", u.home);
    } else if (!tmp_home(id->home, sizeof(id->home))) {
        id->home[0] = '\0';
        log_warn("no writable directory for HOME (HOME=%s; %s is not writable either): pip "
                 "install --user, Jupyter's settings and Spark's package cache need one; mount "
                 "one, e.g. docker run --tmpfs /tmp",
                 home ? home : "unset", tmp_dir());
        return;
    }
    log_debug("HOME=%s is not a directory uid %u may write: using %s", home ? home : "unset",
              (unsigned)getuid(), id->home);
}

/* A name for USER when the environment has none: every uid has one from passwd or NSS. */
static void choose_user(struct identity *id)
{
    const char *user = getenv("USER");
    if (user != NULL && user[0] != '\0')
        return;
    struct passwd *pw = getpwuid(getuid());
    if (pw == NULL || strlen(pw->pw_name) >= sizeof(id->user)) {
        log_warn("uid %u has no user name (passwd and group in /etc/nsswitch.conf need the "
                 "service mmlspark, libnss_mmlspark.so.2): programs that ask for it may fail",
                 (unsigned)getuid());
        return;
    }
    snprintf(id->user, sizeof(id->user), "%s", pw->pw_name);
}

void identity_prepare(const char *notebook_user, struct identity *id)
{
    memset(id, 0, sizeof(*id));
    choose_home(notebook_user, id);
    choose_user(id);
}

void identity_export(const struct identity *id)
{
    if (id->home[0])
        setenv("HOME", id->home, 1);
    if (id->user[0]) {
        setenv("USER", id->user, 1);
        setenv("LOGNAME", id->user, 1);
    }
}
