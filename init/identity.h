/* identity.h - a user name and a writable HOME for the job's uid, whatever it is (--user
 * UID:GID, OpenShift, Kubernetes' runAsUser, a read-only root): prepared once by the setup,
 * before the job of every role, and inherited by everything the job starts. */
#ifndef MMLSPARK_IDENTITY_H
#define MMLSPARK_IDENTITY_H

#include <limits.h>

struct identity {
    char home[PATH_MAX]; /* non-empty: the job's HOME (the one it has is not usable) */
    char user[64];       /* non-empty: the job's USER and LOGNAME (it has none) */
};

/* Fills id for this process's uid: HOME is kept when it is a directory this uid may write, else
 * the notebook user's home when writable, else $TMPDIR/home-UID (made 0700): the home the NSS
 * module (nss/) gives a uid without a passwd entry. USER, when unset, is the uid's name, which
 * that module gives every uid (mmlspark-UID). Never fails: what cannot be had is said in one
 * warning line. */
void identity_prepare(const char *notebook_user, struct identity *id);

/* Exports id to the environment the job inherits: HOME, USER and LOGNAME when they are set. */
void identity_export(const struct identity *id);

#endif
