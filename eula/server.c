/* server.c - routes of the license page on libmicrohttpd; libmicrohttpd parses HTTP, we only
 * route, check the form's origin and nonce and record one choice. */
#include "server.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "form.h"
#include "idle.h"
#include "log.h"
#include "nonce.h"
#include "origin.h"

enum route { ROUTE_NONE, ROUTE_PAGE, ROUTE_HEALTH, ROUTE_ACCEPT, ROUTE_DECLINE };

enum reply_id {
    R_PAGE,
    R_HEALTH,
    R_ACCEPTED,
    R_DECLINED,
    R_FORBIDDEN,
    R_NOT_FOUND,
    R_METHOD_GET,
    R_METHOD_POST,
    R_TOO_LARGE,
    R_MEDIA_TYPE,
    R_CONFLICT,
    R_BAD_REQUEST,
    R_COUNT
};

/* What *req_cls points to: every request gets one, so that libmicrohttpd answers only once the
 * whole request has been read (an early answer would cost the connection its keep-alive). */
enum req_kind { KIND_FIXED, KIND_POST };

struct fixed_req {
    enum req_kind kind;
    unsigned status;
    enum reply_id id;
};

/* One POST while its body arrives. */
struct post_req {
    enum req_kind kind;
    enum route route;
    bool too_large;
    bool winner; /* this request made the choice: tell main once its reply is out */
    size_t len;
    char body[FORM_BODY_MAX];
};

enum fixed_id {
    F_PAGE,
    F_HEALTH,
    F_NOT_FOUND,
    F_METHOD_GET,
    F_METHOD_POST,
    F_MEDIA_TYPE,
    F_FORBIDDEN,
    F_COUNT
};

struct eula_server {
    struct MHD_Daemon *daemon;
    struct idle_list *idle;
    struct MHD_Response *reply[R_COUNT];
    struct fixed_req fixed[F_COUNT];
    char nonce[NONCE_HEX_LEN + 1];
    int notify_fd;
    double deadline_s;
    _Atomic int choice;
    _Atomic unsigned refusals_logged;
};

static enum route route_of(const char *url)
{
    if (strcmp(url, "/") == 0)
        return ROUTE_PAGE;
    if (strcmp(url, "/healthz") == 0)
        return ROUTE_HEALTH;
    if (strcmp(url, "/accept") == 0)
        return ROUTE_ACCEPT;
    if (strcmp(url, "/decline") == 0)
        return ROUTE_DECLINE;
    return ROUTE_NONE;
}

static enum MHD_Result send_reply(struct eula_server *srv, struct MHD_Connection *c,
                                  unsigned status, enum reply_id id)
{
    return MHD_queue_response(c, status, srv->reply[id]);
}

static void log_refusal(struct eula_server *srv, const char *what)
{
    /* Bounded: a client hammering stale forms must not flood docker logs. */
    unsigned n = atomic_fetch_add(&srv->refusals_logged, 1);
    if (n < 10)
        log_warn("refused a form: %s (an old page or another site; nothing changed)", what);
    else if (n == 10)
        log_warn("further refused forms are not logged");
}

static bool is_form_encoded(struct MHD_Connection *c)
{
    static const char form_type[] = "application/x-www-form-urlencoded";
    const char *type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type == NULL || strncasecmp(type, form_type, sizeof(form_type) - 1) != 0)
        return false;
    char next = type[sizeof(form_type) - 1];
    return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

/* A form posted by a page of another origin (a browser says so in Origin, or in Referer when it
 * sends no Origin) is refused whatever its nonce: the nonce alone would be the only guard. */
static bool from_another_origin(struct MHD_Connection *c)
{
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
    const char *referer = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_REFERER);
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    return origin_check(origin, referer, host) == ORIGIN_FOREIGN;
}

/* RFC 9112 6.1: a request whose final transfer coding is not chunked has no knowable length;
 * libmicrohttpd 0.9.75 would wait for such a body until the idle timeout, so we refuse it. */
static bool unknown_body_length(struct MHD_Connection *c)
{
    const char *te =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return te != NULL && strcasecmp(te, "chunked") != 0;
}

/* True when the request carries a body (a length above 0, or any transfer coding). */
static bool has_body(struct MHD_Connection *c)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) !=
               NULL ||
           (cl != NULL && strspn(cl, "0") != strlen(cl));
}

/* True when Content-Length announces more than we accept. */
static bool announced_too_large(struct MHD_Connection *c)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl == NULL)
        return false;
    size_t n = 0;
    for (const char *p = cl; *p; p++) {
        if (*p < '0' || *p > '9' || n > FORM_BODY_MAX)
            return true;
        n = n * 10 + (size_t)(*p - '0');
    }
    return n > FORM_BODY_MAX;
}

/* The body is complete: check the nonce, record the first choice, answer. */
static enum MHD_Result decide(struct eula_server *srv, struct MHD_Connection *c,
                              struct post_req *req)
{
    char given[NONCE_HEX_LEN + 2];
    size_t given_len = 0;
    enum form_result fr =
        form_get_field(req->body, req->len, "nonce", given, sizeof(given), &given_len);
    if (fr != FORM_OK || !nonce_equal(srv->nonce, given, given_len)) {
        log_refusal(srv, fr == FORM_OK ? "wrong nonce" : "no valid nonce field");
        return send_reply(srv, c, MHD_HTTP_FORBIDDEN, R_FORBIDDEN);
    }
    int want = req->route == ROUTE_ACCEPT ? CHOICE_ACCEPT : CHOICE_DECLINE;
    int seen = CHOICE_NONE;
    if (atomic_compare_exchange_strong(&srv->choice, &seen, want))
        req->winner = true;
    else if (seen != want)
        return send_reply(srv, c, MHD_HTTP_CONFLICT, R_CONFLICT);
    return send_reply(srv, c, MHD_HTTP_OK, want == CHOICE_ACCEPT ? R_ACCEPTED : R_DECLINED);
}

/* First call for a request (headers read): route it. Only an announced oversized body is
 * answered at once (and the connection closed), everything else once the request is complete. */
static enum MHD_Result begin(struct eula_server *srv, struct MHD_Connection *c, const char *url,
                             const char *method, void **req_cls)
{
    if (unknown_body_length(c))
        return send_reply(srv, c, MHD_HTTP_BAD_REQUEST, R_BAD_REQUEST);
    enum route r = route_of(url);
    bool get =
        strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    /* A body only where a form goes, and never a large one: refused at once, connection closed,
     * so nobody holds a connection busy by trickling one. */
    if (!post && has_body(c))
        return send_reply(srv, c, MHD_HTTP_BAD_REQUEST, R_BAD_REQUEST);
    if (announced_too_large(c))
        return send_reply(srv, c, MHD_HTTP_CONTENT_TOO_LARGE, R_TOO_LARGE);
    enum fixed_id f = F_COUNT;
    switch (r) {
    case ROUTE_NONE:
        f = F_NOT_FOUND;
        break;
    case ROUTE_PAGE:
    case ROUTE_HEALTH:
        f = !get ? F_METHOD_GET : r == ROUTE_PAGE ? F_PAGE : F_HEALTH;
        break;
    case ROUTE_ACCEPT:
    case ROUTE_DECLINE:
        if (!post) {
            f = F_METHOD_POST;
        } else if (from_another_origin(c)) {
            log_refusal(srv, "posted from another origin (Origin or Referer is not this page)");
            f = F_FORBIDDEN;
        } else if (!is_form_encoded(c)) {
            f = F_MEDIA_TYPE;
        }
        break;
    }
    if (f != F_COUNT) {
        *req_cls = &srv->fixed[f];
        return MHD_YES;
    }
    struct post_req *req = malloc(sizeof(*req));
    if (req == NULL)
        return MHD_NO;
    req->kind = KIND_POST;
    req->route = r;
    req->too_large = req->winner = false;
    req->len = 0;
    *req_cls = req;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    (void)version;
    struct eula_server *srv = cls;
    if (*req_cls == NULL) {
        idle_mark(c, true);
        return begin(srv, c, url, method, req_cls);
    }
    if (*(enum req_kind *)*req_cls == KIND_FIXED) {
        const struct fixed_req *fixed = *req_cls;
        if (*upload_size > 0) {
            *upload_size = 0; /* a body nobody asked for: read and dropped */
            return MHD_YES;
        }
        return send_reply(srv, c, fixed->status, fixed->id);
    }
    struct post_req *req = *req_cls;
    if (*upload_size > 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (req->too_large || n > FORM_BODY_MAX - req->len) {
            req->too_large = true; /* a chunked body grew too large: drop the rest, then 413 */
            return MHD_YES;
        }
        memcpy(req->body + req->len, upload, n);
        req->len += n;
        return MHD_YES;
    }
    if (req->too_large)
        return send_reply(srv, c, MHD_HTTP_CONTENT_TOO_LARGE, R_TOO_LARGE);
    return decide(srv, c, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct eula_server *srv = cls;
    idle_mark(c, false);
    if (*req_cls == NULL || *(enum req_kind *)*req_cls != KIND_POST)
        return;
    struct post_req *req = *req_cls;
    *req_cls = NULL;
    if (req->winner) {
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
            log_warn("the browser left before the reply was complete; the choice stands");
        uint64_t one = 1;
        ssize_t w;
        do {
            w = write(srv->notify_fd, &one, sizeof(one));
        } while (w < 0 && errno == EINTR);
    }
    free(req);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (mlog_get_level() > MLOG_DEBUG)
        return; /* client errors are routine on an open port; shown with MMLSPARK_LOG=debug */
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    log_debug("libmicrohttpd: %s", line);
}

static struct MHD_Response *make_reply(const char *body, size_t len, const char *type,
                                       const char *csp, const char *allow, bool close)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return NULL;
    bool ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_YES &&
              MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES &&
              MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_YES &&
              MHD_add_response_header(r, "X-Frame-Options", "DENY") == MHD_YES &&
              MHD_add_response_header(r, "Referrer-Policy", "same-origin") == MHD_YES &&
              MHD_add_response_header(r, "Content-Security-Policy", csp) == MHD_YES;
    /* same-origin, not no-referrer: under no-referrer a browser posts the form with
     * "Origin: null" (Fetch, "append a request Origin header"), which from_another_origin
     * refuses. */
    if (ok && allow)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) == MHD_YES;
    /* After the choice the server exits: tell the browser not to reuse the connection. */
    if (ok && close)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
    if (!ok) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static int make_replies(struct eula_server *srv, const struct page *page)
{
    static const char html[] = "text/html; charset=utf-8";
    static const char csp[] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                              "frame-ancestors 'none'; base-uri 'none'";
    static const char csp_script[] =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    static const char health[] = "eula-pending\n";
    struct {
        const char *body;
        size_t len;
        const char *type, *csp, *allow;
        bool close;
    } defs[R_COUNT] = {
        [R_PAGE] = {page->data, page->len, html, csp, NULL, false},
        [R_HEALTH] = {health, sizeof(health) - 1, "text/plain; charset=utf-8", csp, NULL, false},
        [R_ACCEPTED] = {page_accepted, strlen(page_accepted), html, csp_script, NULL, true},
        [R_DECLINED] = {page_declined, strlen(page_declined), html, csp, NULL, true},
        [R_FORBIDDEN] = {page_forbidden, strlen(page_forbidden), html, csp, NULL, false},
        [R_NOT_FOUND] = {page_not_found, strlen(page_not_found), html, csp, NULL, false},
        [R_METHOD_GET] = {page_method, strlen(page_method), html, csp, "GET, HEAD", false},
        [R_METHOD_POST] = {page_method, strlen(page_method), html, csp, "POST", false},
        [R_TOO_LARGE] = {page_too_large, strlen(page_too_large), html, csp, NULL, true},
        [R_MEDIA_TYPE] = {page_media_type, strlen(page_media_type), html, csp, NULL, false},
        [R_CONFLICT] = {page_conflict, strlen(page_conflict), html, csp, NULL, false},
        [R_BAD_REQUEST] = {page_bad_request, strlen(page_bad_request), html, csp, NULL, true},
    };
    for (int i = 0; i < R_COUNT; i++) {
        srv->reply[i] = make_reply(defs[i].body, defs[i].len, defs[i].type, defs[i].csp,
                                   defs[i].allow, defs[i].close);
        if (srv->reply[i] == NULL)
            return -1;
    }
    return 0;
}

void server_default_limits(struct server_limits *lim, unsigned long max_fds)
{
    /* Enough for a browser's handful of connections, a Docker port proxy carrying every client,
     * and a thousand idle or slow sockets, within the fds we have (a few kept for ourselves). */
    unsigned long conns = max_fds > 64 ? max_fds - 64 : 1;
    lim->connections = (unsigned)(conns < 4096 ? conns : 4096);
    /* No limit per address below the total: behind Docker's port proxy every browser has the
     * same address. Near the total, the longest idle connection is closed instead (idle.h). */
    lim->per_ip = lim->connections;
    lim->keep_open = lim->connections > 256 ? lim->connections - 64 : lim->connections * 3 / 4;
    lim->timeout_s = 30;
    /* A browser sends the page's requests in milliseconds: 10 s is ample on any link, and a
     * client trickling a body or reading the reply a byte at a time is closed after it. */
    lim->deadline_s = 10;
    /* Request line and headers of a browser fit in a few KiB; 16 KiB refuses huge headers and
     * bounds memory at 64 MiB for 4096 connections (pages are shared, not copied). */
    lim->memory = 16 * 1024;
    lim->threads = 1;
}

struct eula_server *server_start(int listen_fd, bool dual_stack, const struct page *page,
                                 const char *nonce, int notify_fd, const struct server_limits *lim)
{
    struct eula_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL)
        return NULL;
    snprintf(srv->nonce, sizeof(srv->nonce), "%s", nonce);
    srv->notify_fd = notify_fd;
    srv->deadline_s = lim->deadline_s;
    atomic_init(&srv->choice, CHOICE_NONE);
    atomic_init(&srv->refusals_logged, 0);
    static const struct fixed_req fixed[F_COUNT] = {
        [F_PAGE] = {KIND_FIXED, MHD_HTTP_OK, R_PAGE},
        [F_HEALTH] = {KIND_FIXED, MHD_HTTP_OK, R_HEALTH},
        [F_NOT_FOUND] = {KIND_FIXED, MHD_HTTP_NOT_FOUND, R_NOT_FOUND},
        [F_METHOD_GET] = {KIND_FIXED, MHD_HTTP_METHOD_NOT_ALLOWED, R_METHOD_GET},
        [F_METHOD_POST] = {KIND_FIXED, MHD_HTTP_METHOD_NOT_ALLOWED, R_METHOD_POST},
        [F_MEDIA_TYPE] = {KIND_FIXED, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, R_MEDIA_TYPE},
        [F_FORBIDDEN] = {KIND_FIXED, MHD_HTTP_FORBIDDEN, R_FORBIDDEN},
    };
    memcpy(srv->fixed, fixed, sizeof(fixed));
    srv->idle = idle_new(lim->keep_open);
    if (srv->idle == NULL || make_replies(srv, page) != 0) {
        log_error("cannot build the HTTP replies: out of memory");
        server_stop(srv);
        return NULL;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (dual_stack)
        flags |= MHD_USE_DUAL_STACK;
    /* The logger comes first so that option warnings already go through it. */
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, srv},
        {MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, lim->connections, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim->per_ip, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, lim->timeout_s, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)lim->memory, NULL},
        {MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)idle_on_connection, srv->idle},
        {lim->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, lim->threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, opts,
                                   MHD_OPTION_END);
    if (srv->daemon == NULL) {
        /* listen_fd is left to the caller, who exits: libmicrohttpd may have closed it. */
        log_error("libmicrohttpd could not start serving (see MMLSPARK_LOG=debug)");
        server_stop(srv);
        return NULL;
    }
    return srv;
}

void server_sweep(struct eula_server *srv)
{
    idle_expire(srv->idle, srv->deadline_s);
}

enum eula_choice server_choice(struct eula_server *srv)
{
    return (enum eula_choice)atomic_load(&srv->choice);
}

void server_stop(struct eula_server *srv)
{
    if (srv == NULL)
        return;
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    for (int i = 0; i < R_COUNT; i++)
        if (srv->reply[i])
            MHD_destroy_response(srv->reply[i]);
    idle_free(srv->idle);
    free(srv);
}
