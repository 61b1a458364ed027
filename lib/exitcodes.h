/* exitcodes.h - every exit code the programs use besides the job's own, in one place (DESIGN.md).
 * The values follow sysexits(3) where one fits. */
#ifndef MML_EXITCODES_H
#define MML_EXITCODES_H

enum {
    EXIT_HOOK_FAILED = 1,   /* a start hook failed (its name and status are logged) */
    EXIT_EULA_DECLINED = 3, /* ACCEPT_EULA=no, or "Decline" on the page */
    EXIT_USAGE = 64,        /* bad argument or environment value (EX_USAGE) */
    EXIT_SOFTWARE = 70,     /* init's own failure: fork, NB_UID/NB_GID change, privilege drop
                               (reported through the status pipe: -e never remaps it) */
    EXIT_OSERR = 71,        /* the system failed us: no random bytes for the token (EX_OSERR) */
    EXIT_PAM_FAILED = 77,   /* the PAM session was refused (EX_NOPERM) */
    EXIT_CONFIG = 78,       /* bad config file (EX_CONFIG) */
    EXIT_NOEXEC = 126,      /* the command is not executable */
    EXIT_NOTFOUND = 127     /* the command is not found */
};

#endif
