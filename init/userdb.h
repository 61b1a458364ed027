/* userdb.h - the notebook user's account: look it up, remap its uid/gid, fix file ownership. */
#ifndef MMLSPARK_USERDB_H
#define MMLSPARK_USERDB_H

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
int userdb_lookup(const char *name, struct user_info *out);

/* Gives the user uid (shared ids allowed, as usermod -o) and/or primary group gid: an existing
 * group is joined, else the user's own group is renumbered (with every primary group pointing
 * at it) or created. Edits /etc/passwd, /etc/group and /etc/gshadow under lckpwdf(3), each
 * replaced whole by rename of a synced copy with the same owner and mode; on any failure none
 * of them changes. Touches no file outside /etc. Returns 0, or -1 after one error line. */
int userdb_remap(const struct user_info *u, bool set_uid, uid_t uid, bool set_gid, gid_t gid);

/* Under dir, gives what old_uid owns to uid, and what group old_gid owns to gid (not for group
 * 0). Walks from directory fds, never follows a symlink and never enters or changes another
 * mount: a volume mounted at dir itself, or anywhere below it, keeps its owners. */
void userdb_chown_tree(const char *dir, uid_t old_uid, gid_t old_gid, uid_t uid, gid_t gid);

/* True when dir is a directory the calling process may create files in. */
bool userdb_dir_usable(const char *dir);

#endif
