/* account.h - the notebook user's account as the C library sees it: look it up. */
#ifndef MMLSPARK_ACCOUNT_H
#define MMLSPARK_ACCOUNT_H

#include <stdbool.h>
#include <sys/types.h>

struct user_info {
    uid_t uid;
    gid_t gid;
    char name[64];
    char home[4096];
    char shell[256]; /* /bin/sh when the entry has none */
};

/* Reads name's passwd entry. Returns 0, or -1 when there is none (logged by the caller). */
int account_lookup(const char *name, struct user_info *out);

/* True when dir is a directory the calling process may create files in. */
bool account_dir_usable(const char *dir);

#endif
