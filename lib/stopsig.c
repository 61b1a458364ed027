/* stopsig.c - the stop signals (stopsig.h). */
#include "stopsig.h"

static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};

void stop_signal_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
        sigaddset(set, stop_signals[i]);
}

bool is_stop_signal(int sig)
{
    for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
        if (sig == stop_signals[i])
            return true;
    return false;
}
