/* account.c - the notebook user's account as the C library sees it (passwd lookups). */
#include "account.h"

#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

int account_lookup(const char *name, struct user_info *out)
{
    char buf[16384];
    struct passwd pw, *found = NULL;
    if (getpwnam_r(name, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
        return -1;
    out->uid = pw.pw_uid;
    out->gid = pw.pw_gid;
    copy(out->name, sizeof(out->name), pw.pw_name);
    copy(out->home, sizeof(out->home), pw.pw_dir);
    copy(out->shell, sizeof(out->shell), pw.pw_shell && pw.pw_shell[0] ? pw.pw_shell : "/bin/sh");
    return 0;
}

bool account_dir_usable(const char *dir)
{
    struct stat st;
    return dir && dir[0] == '/' && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
           access(dir, W_OK | X_OK) == 0;
}
