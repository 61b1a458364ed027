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

/* What chowntree_walk returns when it could not finish (no memory, no descriptor, a directory
 * moved under it): the caller keeps its record so that the next start completes the change. */
#define CHOWNTREE_INCOMPLETE (-1)

/* Under each directory of dirs (NULL-terminated; a missing one is skipped), gives what
 * ids->old_uid owns to ids->uid and what group ids->old_gid owns to ids->gid (never group 0).
 * Each directory is walked once, also when one of dirs lies inside another. Walks at any depth
 * (past PATH_MAX) with a few descriptors and memory for the subdirectories still to enter,
 * whatever the tree; never follows a symlink and never enters or changes another mount: a
 * volume mounted at a directory itself, or anywhere below it, keeps its owners. A file with
 * hard links outside the walked trees keeps its owner (one warning line counts them). Checks
 * for a pending signal of stops (blocked by the caller) at every entry. Returns 0 when done,
 * the stop signal that ended the walk early, or CHOWNTREE_INCOMPLETE (after one warning).
 * note: a file of root's (created when missing) where the walk notes the one directory it has
 * given to root while that directory's files change (docs/init.md), so that the next walk gives
 * it back after a kill; NULL: no directory is locked (slower). The caller removes the file when
 * the walk returned 0. */
int chowntree_walk(const char *const dirs[], const struct chown_ids *ids, const sigset_t *stops,
                   const char *note);

#endif
