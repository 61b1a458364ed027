/* idle.h - keeps the page reachable under a flood of idle or busy connections: when the server
 * nears its connection limit, the least recently active connection is closed to make room (what
 * nginx does with its keep-alive connections; a request counts as activity when it starts and
 * ends, not per byte), so a stuck tab, a port scanner or a client trickling a body cannot lock a
 * browser out. Memory stays bounded by the connection limit. */
#ifndef MMLSPARK_EULA_IDLE_H
#define MMLSPARK_EULA_IDLE_H

#include <microhttpd.h>
#include <stdbool.h>

struct idle_list;

/* A list that keeps at most high_water open connections (closing the longest idle beyond).
 * Returns NULL when out of memory. */
struct idle_list *idle_new(unsigned high_water);
void idle_free(struct idle_list *l);

/* One open connection (socket fd) in the list; the longest idle are closed to make room.
 * Returns NULL when out of memory (the connection is then never closed as idle). */
struct idle_conn;
struct idle_conn *idle_add(struct idle_list *l, int fd);
/* The connection closed: out of the list, freed. */
void idle_remove(struct idle_conn *n);
/* A request began (busy) or completed (idle from now). */
void idle_set_busy(struct idle_conn *n, bool busy);

/* The clock of the list (CLOCK_MONOTONIC in seconds; the fuzzer sets its own). */
extern double (*idle_clock)(void);

/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback, with the list as cls: idle_add and
 * idle_remove. */
void idle_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);

/* A request began on c (busy: closed when it outstays the deadline) or completed (idle from
 * now); either is activity. */
void idle_mark(struct MHD_Connection *c, bool busy);

/* The whole-request deadline: shuts down every connection whose request began more than
 * deadline_s seconds ago and is still not complete (a body or reply trickled a byte at a time
 * never counts as idle to libmicrohttpd). Safe from any thread; returns how many it closed. */
unsigned idle_expire(struct idle_list *l, double deadline_s);

#endif
