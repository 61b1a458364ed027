/* launch.h - start a job and supervise it: here (the EULA page), or by handing it over to the
 * supervise-only PID 1, mmlspark-supervise (the final job), like s6's chain loading. */
#ifndef MMLSPARK_LAUNCH_H
#define MMLSPARK_LAUNCH_H

#include "supervise.h"

/* Runs argv to completion in this process (the EULA page); returns its result. */
struct job_result launch_run_here(char *const argv[], const struct supervise_opts *opts);

/* Runs argv as the final job: forks it, then execs the supervise-only PID 1 (mmlspark-supervise,
 * next to this program) to supervise it, which exits with the (remapped) status. Returns only
 * when that exec failed (supervising in this process instead) or the fork failed. */
struct job_result launch_hand_over(char *const argv[], const struct supervise_opts *opts);

#endif
