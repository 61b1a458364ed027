/* server.h - the HTTP side of mmlspark-eula: a libmicrohttpd daemon, its routes, one decision. */
#ifndef MMLSPARK_EULA_SERVER_H
#define MMLSPARK_EULA_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "page.h"

enum eula_choice { CHOICE_NONE = 0, CHOICE_ACCEPT = 1, CHOICE_DECLINE = 2 };

/* Largest accepted POST body: "nonce=" + 64 hex digits fits many times over. */
#define FORM_BODY_MAX 1024

struct server_limits {
    unsigned connections; /* all clients together */
    unsigned per_ip;      /* one address (Docker's port proxy is a single address) */
    unsigned keep_open;   /* beyond this many, the longest idle connection is closed */
    unsigned timeout_s;   /* idle time before a connection is closed */
    unsigned deadline_s;  /* whole request (headers read to reply sent), however it trickles */
    size_t memory;        /* per connection: request line, headers, reply headers */
    unsigned threads;     /* 1: one epoll thread; more: a pool, each with its own epoll */
};

/* The limits for a process allowed max_fds open files. */
void server_default_limits(struct server_limits *lim, unsigned long max_fds);

struct eula_server;

/* Serves on listen_fd (listening already; the server owns it from now on, closed by
 * server_stop). page (borrowed, must outlive the server) is served at GET /; nonce must come
 * back in POST /accept or /decline. Once the reply to the first valid choice has been sent (or
 * its client went away), 1 is added to the eventfd notify_fd. Returns NULL on failure. */
struct eula_server *server_start(int listen_fd, bool dual_stack, const struct page *page,
                                 const char *nonce, int notify_fd, const struct server_limits *lim);

/* Closes the connections whose request outstayed lim->deadline_s; call it every second. */
void server_sweep(struct eula_server *srv);

/* The choice made so far (safe from any thread). */
enum eula_choice server_choice(struct eula_server *srv);

/* Closes every connection and the listening socket, then frees the server. */
void server_stop(struct eula_server *srv);

#endif
