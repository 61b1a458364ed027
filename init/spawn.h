/* spawn.h - run a helper program (a hook, usermod) to completion from init, before the job. */
#ifndef MMLSPARK_SPAWN_H
#define MMLSPARK_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

/* Runs argv[0] (a path) with default signal handling and stdin from /dev/null and waits for it.
 * Returns true when it ran and exited 0; otherwise describes what happened ("exit code 3",
 * "killed by signal SIGKILL", "cannot fork: ...") in why. */
bool spawn_wait(char *const argv[], char *why, size_t whylen);

#endif
