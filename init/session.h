/* session.h - the session process: keeps the PAM session as root, runs the job as the user. */
#ifndef MMLSPARK_SESSION_H
#define MMLSPARK_SESSION_H

#include <stdbool.h>
#include <sys/types.h>

/* Exit code when the identity change or its proof fails (EX_SOFTWARE of sysexits.h). */

struct session_spec {
    uid_t uid;
    gid_t gid;
    const char *user;
    const char *home;
    const char *shell;
    const char *pam_confdir; /* NULL: /etc/pam.d */
    bool kill_group;         /* -p / kill_process_group=no: signals go to the job's leader only */
    int status_fd;           /* where a failure of our own goes (so -e never remaps it), or -1 */
};

/* In the setup process (PID 1's child), in place of the job: opens the PAM session, starts argv as the user (through a new pty
 * when stdin is a terminal), forwards signals to it, waits, closes the session and exits with
 * the job's status (128+n for signal n). Never returns. */
void session_run(const struct session_spec *spec, char *const argv[]) __attribute__((noreturn));

#endif
