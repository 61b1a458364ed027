/* spawn.h - run a helper program (a hook) to completion from init, before the job, and
 * let a stop signal (docker stop, Ctrl+C) end it and the start instead of waiting it out. */
#ifndef MMLSPARK_SPAWN_H
#define MMLSPARK_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum spawn_result { SPAWN_OK, SPAWN_FAILED, SPAWN_STOPPED };

/* Runs a helper in its own process group with default signal handling and stdin from
 * /dev/null, and waits for it; the caller (init's preparation process) has every
 * signal blocked, and its SIGCHLD is taken. fd >= 0: that
 * open file is executed (through /proc/PID/fd/N; argv[0] only names it, and the fd does
 * not reach the helper), so nothing can swap it after the
 * caller checked it; fd < 0: argv[0] is a path. While it runs, a TERM, INT, HUP or QUIT that the
 * caller receives is passed to the helper's group; if the group has not ended grace_seconds
 * later it is killed. Returns SPAWN_OK (exit 0); SPAWN_FAILED with why set ("exit code 3",
 * "killed by signal SIGKILL", "cannot fork: ..."); or SPAWN_STOPPED with *stopsig set when a stop
 * signal came (also when it was pending before: then the helper is not started). */
enum spawn_result spawn_run(int fd, char *const argv[], double grace_seconds, int *stopsig,
                            char *why, size_t whylen);

/* In the setup while child prepares the start (and runs the hooks): waits until fd is readable
 * or closed, passing the first TERM, INT, HUP or QUIT that the setup receives meanwhile on to
 * child. The signal stays pending in the setup, so the job is not started afterwards. */
void spawn_pass_stop(pid_t child, int fd);

#endif
