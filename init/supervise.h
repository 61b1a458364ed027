/* supervise.h - run one job as PID 1: forward signals, reap orphans, stop with a grace period. */
#ifndef MMLSPARK_SUPERVISE_H
#define MMLSPARK_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct priv_plan;

/* The value sigqueue(2) carries with the SIGTERM that tells the session process "the grace period
 * is over: SIGKILL the job, close PAM, exit" (a plain, forwarded SIGTERM carries none). */
#define MML_SESSION_CLOSE 0x6d6d6c31
/* How long the session process gets for that before init sends SIGKILL. */
#define MML_SESSION_CLOSE_SECONDS 2.0

struct supervise_opts {
    bool kill_group;      /* forward signals to the job's process group, not just its leader */
    double grace_seconds; /* after a stop signal or the job's end, before SIGKILL */
    bool stdin_null;      /* give the job /dev/null as stdin (Jupyter: no tty prompt on Ctrl+C) */
    const struct priv_plan *plan; /* may be NULL: run as we are */
    /* Whether the child is (or may yet become) the root session process that holds PAM; NULL:
     * never. */
    bool (*holds_session)(pid_t child);
    const sigset_t *job_mask;     /* the signal mask the job starts with (init's original one) */
    /* After the job ends, stop only what is left in its process group (the EULA page), not
     * every child of init: what the hooks started in the background keeps running. */
    bool leftovers_in_group_only;
    const char *name; /* what the log lines call the child: NULL = "the job" */
    /* Start the job with only the environment variables of the settings (config.h), PATH and
     * the locale (the EULA page: SPARK_AUTH_SECRET, tokens... have no business there). */
    bool settings_env_only;
};

struct job_result {
    int status;      /* exit code init should pass on: code, or 128+n for signal n */
    int stop_signal; /* the stop signal (TERM/INT/HUP/QUIT) init received, or 0 */
    bool own_error;  /* status is one of init's own error codes (exitcodes.h), not the job's */
};

/* The signals init handles synchronously: all but those that report a fault in init itself. */
void supervise_signal_set(sigset_t *set);
/* Blocks them (call first thing); *original receives the mask to give the job. */
void supervise_block_signals(sigset_t *original);
/* Registers as child subreaper when we are not PID 1 (logged when verbose). */
void supervise_become_reaper(bool verbose);
/* A stop signal (procutil.h: TERM, INT, HUP, QUIT) that arrived and is still pending, or 0. */
int supervise_pending_stop(void);
/* Supervises child, already forked: forwards signals, reaps orphans, and stops stragglers (TERM,
 * grace, KILL) before it returns. status_fd (or -1): a pipe on which the child writes one byte,
 * one of init's own exit codes, when it fails before the job runs. */
struct job_result supervise_child(pid_t child, const struct supervise_opts *opts, int status_fd);

#endif
