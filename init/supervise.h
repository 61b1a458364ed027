/* supervise.h - run one job as PID 1: forward signals, reap orphans, stop with a grace period. */
#ifndef MMLSPARK_SUPERVISE_H
#define MMLSPARK_SUPERVISE_H

#include <stdbool.h>
#include <sys/types.h>

#include "priv.h"

struct supervise_opts {
    bool kill_group;      /* forward signals to the job's process group, not just its leader */
    double grace_seconds; /* after a stop signal or the job's end, before SIGKILL */
    bool stdin_null;      /* give the job /dev/null as stdin (Jupyter: no tty prompt on Ctrl+C) */
    const struct priv_plan *plan; /* may be NULL: run as we are */
};

enum job_end { JOB_EXITED, JOB_SIGNALED, JOB_STOPPED_BY_US };

struct job_result {
    int status;      /* exit code init should pass on: code, or 128+n for signal n */
    int stop_signal; /* the stop signal (TERM/INT/QUIT/HUP) init received, or 0 */
};

/* Blocks every catchable signal in init; call first thing. */
void supervise_block_signals(void);
/* Registers as child subreaper when we are not PID 1. */
void supervise_become_reaper(void);
/* A stop signal (TERM, INT, QUIT) that arrived and is still pending, or 0. */
int supervise_pending_stop(void);
/* Runs argv to completion; returns its result. Orphans are reaped throughout and stragglers are
 * stopped (TERM, grace, KILL) before it returns. */
struct job_result supervise_run(char *const argv[], const struct supervise_opts *opts);

#endif
