/* launch.h - start a job from the setup process (PID 1's child): the EULA page as a child
 * supervised here, the final job in this very process (exec, or the session process). */
#ifndef MMLSPARK_LAUNCH_H
#define MMLSPARK_LAUNCH_H

#include "supervise.h"

/* Runs argv to completion as a child of this process (the EULA page); returns its result. */
struct job_result launch_run_here(char *const argv[], const struct supervise_opts *opts);

/* Becomes the final job: execs argv here (PID 1 then supervises it as its child), or with a drop
 * (opts->plan) becomes the session process that runs it as the notebook user. status_fd: where
 * a failure of init's own is reported to PID 1 (-e never remaps it). Never returns: a command
 * that cannot run exits 126 or 127 after one error line. */
void launch_exec(char *const argv[], const struct supervise_opts *opts, int status_fd)
    __attribute__((noreturn));

#endif
