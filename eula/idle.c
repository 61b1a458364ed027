/* idle.c - the open connections in order of their last activity (a request's start or
 * completion, or the accept); the least recently active is shut down when there are too many,
 * and a request older than the deadline is shut down whatever else happens.
 * shutdown(2), not close(2): libmicrohttpd still owns the socket and closes it on the EOF. */
#include "idle.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

struct idle_conn {
    struct idle_conn *prev, *next;
    struct idle_list *list;
    int fd;
    double since; /* CLOCK_MONOTONIC of the last activity: the list is in this order */
    bool busy;
    bool linked; /* in the list: open and not yet shut down by us */
};

struct idle_list {
    pthread_mutex_t lock; /* callbacks may run on libmicrohttpd's pool threads */
    struct idle_conn *head, *tail; /* head: idle for longest */
    unsigned count, high_water;
    unsigned long closed, expired;
    double deadline_s; /* of the last idle_expire: make_room closes busy ones past it too */
};

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double (*idle_clock)(void) = monotonic_now;

static double now_s(void)
{
    return idle_clock();
}

struct idle_list *idle_new(unsigned high_water)
{
    struct idle_list *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    pthread_mutex_init(&l->lock, NULL);
    l->high_water = high_water > 0 ? high_water : 1;
    return l;
}

void idle_free(struct idle_list *l)
{
    if (l == NULL)
        return;
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static void unlink_conn(struct idle_list *l, struct idle_conn *n)
{
    if (!n->linked)
        return;
    if (n->prev)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    n->prev = n->next = NULL;
    n->linked = false;
    l->count--;
}

static void append(struct idle_list *l, struct idle_conn *n)
{
    n->since = now_s();
    n->prev = l->tail;
    n->next = NULL;
    if (l->tail)
        l->tail->next = n;
    else
        l->head = n;
    l->tail = n;
    n->linked = true;
    l->count++;
}

/* Shuts down the busy connections older than deadline_s (the list is oldest first). */
static unsigned expire_locked(struct idle_list *l, double deadline_s)
{
    double cutoff = now_s() - deadline_s;
    unsigned n_closed = 0;
    struct idle_conn *n = l->head;
    while (deadline_s > 0 && n != NULL && n->since < cutoff) {
        struct idle_conn *next = n->next;
        if (n->busy) {
            shutdown(n->fd, SHUT_RDWR);
            unlink_conn(l, n);
            n_closed++;
        }
        n = next;
    }
    if (n_closed > 0 && l->expired++ == 0)
        log_info("closed %u connection(s) whose request took more than %.0f s (and will close "
                 "any later ones)",
                 n_closed, deadline_s);
    return n_closed;
}

unsigned idle_expire(struct idle_list *l, double deadline_s)
{
    pthread_mutex_lock(&l->lock);
    l->deadline_s = deadline_s;
    unsigned n = expire_locked(l, deadline_s);
    pthread_mutex_unlock(&l->lock);
    return n;
}

/* Shuts down connections until at most high_water are open: first requests past the deadline,
 * then the least recently active (the list's order: a request's start or end, or the accept), idle
 * or not. A browser's connection is active every few milliseconds; a stuck tab, a scanner or a
 * body trickled a byte at a time is not. The newest connection is kept. */
static void make_room(struct idle_list *l)
{
    if (l->count > l->high_water)
        expire_locked(l, l->deadline_s);
    while (l->count > l->high_water && l->head != l->tail) {
        struct idle_conn *n = l->head;
        shutdown(n->fd, SHUT_RDWR);
        unlink_conn(l, n);
        if (l->closed++ == 0)
            log_info("%u connections open: closing the least recently active ones to make room",
                     l->high_water);
    }
}

struct idle_conn *idle_add(struct idle_list *l, int fd)
{
    struct idle_conn *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->list = l;
    n->fd = fd;
    pthread_mutex_lock(&l->lock);
    append(l, n);
    make_room(l);
    pthread_mutex_unlock(&l->lock);
    return n;
}

void idle_remove(struct idle_conn *n)
{
    struct idle_list *l = n->list;
    pthread_mutex_lock(&l->lock);
    unlink_conn(l, n);
    pthread_mutex_unlock(&l->lock);
    free(n);
}

void idle_set_busy(struct idle_conn *n, bool busy)
{
    struct idle_list *l = n->list;
    pthread_mutex_lock(&l->lock);
    n->busy = busy;
    if (n->linked) { /* most recently active: the last to be closed */
        unlink_conn(l, n);
        append(l, n);
    }
    pthread_mutex_unlock(&l->lock);
}

void idle_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = info ? idle_add(cls, info->connect_fd) : NULL;
    } else if (*socket_context != NULL) {
        idle_remove(*socket_context);
        *socket_context = NULL;
    }
}

void idle_mark(struct MHD_Connection *c, bool busy)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info != NULL && info->socket_context != NULL)
        idle_set_busy(info->socket_context, busy);
}
