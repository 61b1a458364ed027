/* fuzz_deadline.c - libFuzzer: the request deadline and the idle list (eula/idle.c) as a state
 * machine. Each input is a run of operations on up to 64 connections under a clock the input
 * moves: open, a request begins or completes, close, time passes, the sweep. After each, the
 * list must be consistent (oldest first, counted right) and, after a sweep, no request may be
 * older than the deadline; after an open, no more than the high water may stay open. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../eula/idle.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CONNS 64
#define DEADLINE 10.0

static double fake_now;
static double fake_clock(void)
{
    return fake_now;
}

static void check(const struct idle_list *l, bool swept, bool opened)
{
    unsigned count = 0, overdue_busy = 0;
    const struct idle_conn *prev = NULL;
    for (const struct idle_conn *n = l->head; n != NULL; prev = n, n = n->next) {
        if (!n->linked || n->prev != prev || (prev && prev->since > n->since))
            abort(); /* broken links or not oldest first */
        count++;
        bool overdue = n->since < fake_now - DEADLINE;
        if (n->busy && overdue)
            overdue_busy++;
    }
    if (count != l->count || l->tail != prev)
        abort();
    if (swept && overdue_busy != 0)
        abort(); /* a request outstayed the deadline through a sweep */
    if (opened && count > l->high_water && count > 1)
        abort(); /* room could have been made */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        mlog_init("fuzz-deadline");
        mlog_set_level(MLOG_ERROR);
        idle_clock = fake_clock;
        quiet = true;
    }
    if (size < 1)
        return 0;
    fake_now = 1000.0;
    struct idle_list *l = idle_new(1 + data[0] % 16);
    if (l == NULL)
        return 0;
    struct idle_conn *conns[MAX_CONNS] = {NULL};
    for (size_t i = 1; i + 1 < size; i += 2) {
        unsigned op = data[i] % 6, arg = data[i + 1];
        struct idle_conn **c = &conns[arg % MAX_CONNS];
        bool swept = false, opened = false;
        switch (op) {
        case 0: /* a connection opens (fd -1: shutdown() fails harmlessly) */
            if (*c == NULL) {
                *c = idle_add(l, -1);
                opened = true;
            }
            break;
        case 1:
        case 2: /* a request begins / completes */
            if (*c != NULL)
                idle_set_busy(*c, op == 1);
            break;
        case 3: /* libmicrohttpd closes it (after our shutdown, or the client's) */
            if (*c != NULL) {
                idle_remove(*c);
                *c = NULL;
            }
            break;
        case 4: /* time passes: up to 25.5 s */
            fake_now += arg / 10.0;
            break;
        case 5: /* the main thread's sweep */
            idle_expire(l, DEADLINE);
            swept = true;
            break;
        }
        check(l, swept, opened);
    }
    for (size_t i = 0; i < MAX_CONNS; i++)
        if (conns[i] != NULL)
            idle_remove(conns[i]);
    idle_free(l);
    return 0;
}
