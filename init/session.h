/* session.h - the session process: keeps the PAM session as root, runs the job as the user. */
#ifndef MMLSPARK_SESSION_H
#define MMLSPARK_SESSION_H

#include <sys/types.h>

/* Exit code when the identity change or its proof fails (EX_SOFTWARE of sysexits.h). */

struct session_spec {
    uid_t uid;
    gid_t gid;
    const char *user;
    const char *home;
    const char *shell;
    const char *pam_confdir; /* NULL: /etc/pam.d */
};

/* In init's forked child: opens the PAM session, starts argv as the user (through a new pty
 * when stdin is a terminal), forwards signals to it, waits, closes the session and exits with
 * the job's status (128+n for signal n). Never returns. */
void session_run(const struct session_spec *spec, char *const argv[]) __attribute__((noreturn));

#endif
