/* grace.c - a grace period, then SIGKILL (see grace.h). */
#include "grace.h"

#include <time.h>

double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void grace_start(struct grace *g, double seconds)
{
    if (!g->running)
        grace_restart(g, seconds);
}

void grace_restart(struct grace *g, double seconds)
{
    g->deadline = monotonic_seconds() + seconds;
    g->running = true;
    g->killed = false;
}

bool grace_expired(struct grace *g)
{
    if (!g->running || g->killed || monotonic_seconds() < g->deadline)
        return false;
    g->killed = true;
    return true;
}

int grace_wait_ms(const struct grace *g, int idle_ms)
{
    if (!g->running || g->killed)
        return idle_ms;
    double left = (g->deadline - monotonic_seconds()) * 1000.0 + 1.0; /* not a round too early */
    if (left <= 0)
        return 0;
    if (idle_ms >= 0 && left > idle_ms)
        return idle_ms;
    return left > 3600000 ? 3600000 : (int)left;
}
