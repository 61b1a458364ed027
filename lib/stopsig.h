/* stopsig.h - the stop signals, one set for every program of the image. */
#ifndef MML_STOPSIG_H
#define MML_STOPSIG_H

#include <signal.h>
#include <stdbool.h>

/* TERM, INT, HUP and QUIT: what docker stop, Ctrl+C, a hangup and Ctrl+\\ send. Each ends a
 * start that is being prepared (the job is then not started), begins the stop sequence of a
 * running job (passed on, then SIGKILL after the grace period) and ends the EULA page. */
void stop_signal_set(sigset_t *set);
bool is_stop_signal(int sig);

#endif
