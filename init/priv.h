/* priv.h - privilege handling: root-time work (NB_UID/NB_GID/NB_UMASK, hooks) and the drop to
 * the notebook user with a PAM session and, on a tty, a pty relay. */
#ifndef MMLSPARK_PRIV_H
#define MMLSPARK_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct priv_plan {
    bool drop;        /* run the job as the notebook user via a PAM session */
    bool job_is_root; /* the job itself runs with uid 0 (Jupyter then needs --allow-root) */
    uid_t uid;
    gid_t gid;
    char user[64];
    char home[4096];
    char shell[256];
    char pam_confdir[4096]; /* "" = /etc/pam.d; else MMLSPARK_PAM_CONFDIR (tests) */
};

/* Decides who runs the job and does the root-time work (NB_UID/NB_GID, ownership, hooks).
 * Returns 0, or an exit code after logging one error line: 64 bad NB_UID/NB_GID/NB_UMASK,
 * unknown notebook user or unsafe MMLSPARK_PAM_CONFDIR; 70 the NB_UID/NB_GID change failed; 1 a
 * hook failed; 128+n a stop signal n came (renumber.h, hooks.h). */
int priv_prepare(const struct mml_settings *s, struct priv_plan *plan);

/* In the setup process, in place of the exec of the job: when plan->drop, opens the PAM session,
 * drops to the user (relaying through a new pty when stdin is a tty) and never returns: it exits
 * with the job's status, 77 when PAM fails, 70 when the drop cannot be proven (both reported on
 * status_fd as init's own). kill_group: -p. Otherwise returns. */
void priv_enter(const struct priv_plan *plan, char *const argv[], bool kill_group, int status_fd);

#endif
