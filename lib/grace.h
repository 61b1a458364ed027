/* grace.h - a grace period, then SIGKILL: what must stop has the grace period from its first stop
 * signal (or, for what a job left behind, from the job's end) to end, then it is killed, once.
 * One clock and one rule for init's supervisor and the setup's helpers (hooks). */
#ifndef MML_GRACE_H
#define MML_GRACE_H

#include <stdbool.h>

struct grace {
    double deadline; /* monotonic_seconds() when the period ends */
    bool running;    /* a period was started */
    bool killed;     /* its end was taken (grace_expired): the SIGKILL is sent */
};

/* CLOCK_MONOTONIC in seconds: the clock of every grace period. */
double monotonic_seconds(void);

/* Starts a period of seconds, unless one runs already (a second stop signal changes nothing). */
void grace_start(struct grace *g, double seconds);

/* Starts a new period of seconds in any case, with its own SIGKILL at the end. */
void grace_restart(struct grace *g, double seconds);

/* True once, when the running period has ended: the caller sends its SIGKILL now. */
bool grace_expired(struct grace *g);

/* How long to wait (ms) before the period needs a look: what is left of it, at most idle_ms;
 * idle_ms (negative: for ever) when none runs or its SIGKILL was sent. */
int grace_wait_ms(const struct grace *g, int idle_ms);

#endif
