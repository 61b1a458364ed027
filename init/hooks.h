/* hooks.h - start hooks: the executables in one directory, run in name order before the job. */
#ifndef MMLSPARK_HOOKS_H
#define MMLSPARK_HOOKS_H

/* Exit code of init when a hook fails: the job is not started. */

/* Number of hooks in dir (executable regular files, dot files skipped); 0 if dir is missing. */
int hooks_count(const char *dir);

/* Runs every hook in byte order of its name, each to completion, stdin from /dev/null.
 * Returns 0, or EXIT_HOOK_FAILED after one error line naming the first hook that failed. */
int hooks_run(const char *dir);

#endif
