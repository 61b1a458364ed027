/* identity.h - a user name and a writable HOME for the job's uid, whatever it is (--user
 * UID:GID, OpenShift, Kubernetes' runAsUser, a read-only root): prepared once by the setup,
 * before the job of every role, and inherited by everything the job starts. */
#ifndef MMLSPARK_IDENTITY_H
#define MMLSPARK_IDENTITY_H

#include <limits.h>

struct identity {
    char home[PATH_MAX];   /* non-empty: the job's HOME (the one it has is not usable) */
    char passwd[PATH_MAX]; /* non-empty: a passwd file with this uid in it, for nss_wrapper */
    char user[64];         /* the name that file gives the uid */
};

/* Fills id for this process's uid: HOME is kept when it is a directory this uid may write, else
 * the notebook user's home when writable, else $TMPDIR/home-UID (made 0700); a uid without a
 * passwd entry gets "mmlspark-UID" in $TMPDIR/mmlspark-passwd-UID (/etc/passwd plus that line;
 * the file /etc/profile.d/mmlspark-identity.sh reuses in docker exec shells). Never fails: what cannot be made is said in one warning line. */
void identity_prepare(const char *notebook_user, struct identity *id);

/* Exports id to the environment the job inherits: HOME; NSS_WRAPPER_PASSWD, NSS_WRAPPER_GROUP,
 * LD_PRELOAD (libnss_wrapper.so first), USER and LOGNAME when a passwd file was made. */
void identity_export(const struct identity *id);

#endif
