/* identity.c - a user name and a writable HOME for any uid, in one place for every role. */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
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

static bool have_nss_wrapper(void)
{
    glob_t g;
    bool found = glob("/usr/lib/*/libnss_wrapper.so", 0, NULL, &g) == 0;
    globfree(&g);
    return found;
}

/* Copies /etc/passwd to fd and adds the line for this uid. */
static bool write_passwd(int fd, const struct identity *id, const char *home)
{
    FILE *out = fdopen(fd, "w");
    if (out == NULL)
        return false;
    FILE *in = fopen("/etc/passwd", "re");
    char buf[4096];
    size_t n;
    while (in && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    if (in)
        fclose(in);
    fprintf(out, "%s:x:%u:%u:notebook user:%s:/bin/bash\n", id->user, (unsigned)getuid(),
            (unsigned)getgid(), home);
    return fclose(out) == 0;
}

/* $TMPDIR/mmlspark-passwd-UID, the name /etc/profile.d/mmlspark-identity.sh reuses in docker
 * exec shells: written as a new file of ours, then renamed over that name unless the name is
 * somebody else's (then the new file's own name is used). */
static void make_passwd(struct identity *id)
{
    const char *wrapped = getenv("NSS_WRAPPER_PASSWD");
    if (getpwuid(getuid()) != NULL || (wrapped && wrapped[0]))
        return;
    if (!have_nss_wrapper()) {
        log_warn("uid %u has no passwd entry and no libnss_wrapper gives it one: programs that "
                 "ask for the user name may fail",
                 (unsigned)getuid());
        return;
    }
    char fixed[PATH_MAX - 8];
    snprintf(fixed, sizeof(fixed), "%s/mmlspark-passwd-%u", tmp_dir(), (unsigned)getuid());
    snprintf(id->user, sizeof(id->user), "mmlspark-%u", (unsigned)getuid());
    snprintf(id->passwd, sizeof(id->passwd), "%s.XXXXXX", fixed);
    int fd = mkostemp(id->passwd, O_CLOEXEC); /* a new file of ours: nobody else's to swap */
    const char *home = id->home[0] ? id->home : getenv("HOME") ? getenv("HOME") : "/";
    if (fd < 0 || fchmod(fd, 0644) != 0 || !write_passwd(fd, id, home)) {
        log_warn("uid %u has no passwd entry and none could be made in %s: %s", (unsigned)getuid(),
                 tmp_dir(), strerror(errno));
        if (fd >= 0)
            unlink(id->passwd);
        id->passwd[0] = id->user[0] = '\0';
        return;
    }
    struct stat st;
    bool ours = lstat(fixed, &st) != 0 ? errno == ENOENT
                                       : S_ISREG(st.st_mode) && st.st_uid == getuid();
    if (ours && rename(id->passwd, fixed) == 0)
        snprintf(id->passwd, sizeof(id->passwd), "%s", fixed);
}

void identity_prepare(const char *notebook_user, struct identity *id)
{
    memset(id, 0, sizeof(*id));
    choose_home(notebook_user, id);
    make_passwd(id);
}

void identity_export(const struct identity *id)
{
    if (id->home[0])
        setenv("HOME", id->home, 1);
    if (!id->passwd[0])
        return;
    const char *pre = getenv("LD_PRELOAD");
    char preload[4096];
    snprintf(preload, sizeof(preload), "libnss_wrapper.so%s%s", pre && *pre ? " " : "",
             pre ? pre : "");
    setenv("NSS_WRAPPER_PASSWD", id->passwd, 1);
    setenv("NSS_WRAPPER_GROUP", "/etc/group", 1);
    setenv("LD_PRELOAD", preload, 1);
    setenv("USER", id->user, 1);
    setenv("LOGNAME", id->user, 1);
}
