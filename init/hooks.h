/* hooks.h - start hooks: the executables in one directory, run in name order before the job. */
#ifndef MMLSPARK_HOOKS_H
#define MMLSPARK_HOOKS_H

/* Number of hooks in dir (executable regular files or links to one, dot files skipped); 0 if
 * dir is missing. */
int hooks_count(const char *dir);

/* Runs every hook in byte order of its name, each to completion, stdin from /dev/null, in its
 * own process group. As root, a hook runs only if it is a regular file (not a symbolic link)
 * and it and dir are owned by root and not writable by group or others: otherwise nothing runs
 * and one error line names the file and why. Returns 0; EXIT_HOOK_FAILED after one error line
 * naming the first hook that failed or was refused; or 128+n when signal n (TERM, INT, HUP,
 * QUIT) came meanwhile: it is passed to the running hook, which is killed grace_seconds later if
 * it is still there, and no further hook runs. */
int hooks_run(const char *dir, double grace_seconds);

#endif
