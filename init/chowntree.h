/* chowntree.h - the ownership walk: give the files of the notebook user's old ids its new ids,
 * without leaving the directory's own mount, following a link or touching a file outside. */
#ifndef MMLSPARK_CHOWNTREE_H
#define MMLSPARK_CHOWNTREE_H

#include <signal.h>
#include <sys/types.h>

/* The id changes: a uid or gid of -1 on either side means "not changed". */
struct chown_ids {
    uid_t old_uid, uid;
    gid_t old_gid, gid;
};

/* Under each directory of dirs (NULL-terminated; a missing one is skipped), gives what
 * ids->old_uid owns to ids->uid and what group ids->old_gid owns to ids->gid (never group 0).
 * Walks from directory fds at any depth (past PATH_MAX), never follows a symlink and never
 * enters or changes another mount: a volume mounted at a directory itself, or anywhere below
 * it, keeps its owners. A file with hard links outside the walked trees keeps its owner (one
 * warning line counts them). Checks for a pending signal of stops (blocked by the caller) at
 * every entry. Returns 0 when done, or the stop signal that ended the walk early. */
int chowntree_walk(const char *const dirs[], const struct chown_ids *ids, const sigset_t *stops);

#endif
