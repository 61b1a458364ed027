/* pamsession.h - the PAM session of the dropped job, held open by the (root) session process. */
#ifndef MMLSPARK_PAMSESSION_H
#define MMLSPARK_PAMSESSION_H

#include <stdbool.h>
#include <security/pam_appl.h>
#include <sys/types.h>

#define MML_PAM_SERVICE "mmlspark"

/* Exit code when PAM refuses or fails the session (EX_NOPERM of sysexits.h). */

struct pam_session {
    pam_handle_t *pamh;
    bool cred;
    bool open;
};

/* Starts PAM for user (service file from confdir, or /etc/pam.d when NULL), sets the user's
 * groups (initgroups, before pam_setcred as su does, so modules may add groups), establishes
 * credentials, opens the session and merges PAM's environment into ours.
 * Returns 0, or -1 after one error line; nothing stays open then. */
int pamsession_open(struct pam_session *ps, const char *confdir, const char *user, gid_t gid,
                    const char *tty);

/* Closes the session and deletes the credentials; safe to call on a failed open. */
void pamsession_close(struct pam_session *ps);

#endif
