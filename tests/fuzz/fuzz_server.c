/* fuzz_server.c - libFuzzer: raw bytes to the running server's socket (libmicrohttpd plus our
 * routes, in this process on a loopback port). After each input the server must still answer
 * /healthz, and no choice may have been made (nobody can know the nonce). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "nonce.h"
#include "page.h"
#include "server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned short port;
static int event_fd = -1;
static struct eula_server *srv;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    mlog_init("fuzz-server");
    mlog_set_level(MLOG_ERROR); /* refused forms are routine here */
    char err[256];
    bool dual;
    int fd = listen_open("127.0.0.1", 0, &dual, err, sizeof(err));
    if (fd < 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    if (getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
        abort();
    port = ntohs(a.sin_port);
    static char nonce[NONCE_HEX_LEN + 1];
    static struct page page;
    static const char text[] = "Fuzz terms <&> \"quoted\"\n";
    if (nonce_generate(nonce) != 0 || page_render_eula(text, sizeof(text) - 1, nonce, &page))
        abort();
    event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct server_limits lim;
    server_default_limits(&lim, 4096);
    lim.timeout_s = 5;
    srv = server_start(fd, false, &page, nonce, event_fd, &lim);
    if (srv == NULL)
        abort();
    return 0;
}

/* A connection to the server; a refused or failed connect is retried for up to 2 s (a loaded
 * CI machine once failed one connect out of thousands) before it counts as a dead server, with
 * the reason on stderr. */
static int connect_loopback(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 200; tries++) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
            int e = errno;
            close(fd);
            fd = -1;
            if (tries == 199) {
                fprintf(stderr, "cannot connect to the server: %s\n", strerror(e));
                return -1;
            }
            usleep(10000);
        }
    }
    /* RST on close: no TIME_WAIT pile-up over millions of runs. */
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    return fd;
}

/* A complete request that ends the connection; libmicrohttpd keeps an answered, half-closed
 * keep-alive connection open until its idle timeout, so each input is followed by it. */
static const char closing[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

static int send_all(int fd, const void *data, size_t size)
{
    size_t sent = 0;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    while (sent < size) {
        p.events = POLLOUT;
        if (poll(&p, 1, 2000) <= 0)
            return -1;
        ssize_t n = send(fd, (const char *)data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0)
            return 1; /* the server dropped us: allowed */
        sent += (size_t)n;
    }
    return 0;
}

/* Sends data and the closing request, half-closes, reads until EOF or, once a reply has
 * started, 50 ms of silence. Every wait bounded. Returns bytes read; 0 also when nothing came
 * within first_ms: libmicrohttpd 0.9.75 does not notice a half-close while a request is
 * incomplete and holds such a connection until its idle timeout (bounded, and the check below
 * proves others are still served meanwhile). */
static long exchange(int fd, const uint8_t *data, size_t size, char *reply, size_t cap,
                     int first_ms)
{
    struct pollfd p = {.fd = fd};
    int r = send_all(fd, data, size);
    if (r < 0)
        return -1;
    if (r == 0 && send_all(fd, closing, sizeof(closing) - 1) < 0)
        return -1;
    shutdown(fd, SHUT_WR);
    size_t got = 0;
    for (int rounds = 0; rounds < 10000; rounds++) {
        p.events = POLLIN;
        int ready = poll(&p, 1, got > 0 ? 50 : first_ms);
        if (ready <= 0)
            return (long)(got < cap ? got : cap); /* answered and kept alive, or held */
        char sink[4096];
        char *dst = got < cap ? reply + got : sink;
        size_t room = got < cap ? cap - got : sizeof(sink);
        ssize_t n = recv(fd, dst, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (long)(got < cap ? got : cap);
        got += (size_t)n;
    }
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 65536)
        return 0;
    int fd = connect_loopback();
    if (fd < 0)
        abort();
    char reply[64];
    long n = exchange(fd, data, size, reply, sizeof(reply), 500);
    close(fd);
    if (n < 0) {
        fprintf(stderr, "could not send to the server\n");
        abort();
    }
    if (n >= 12 && memcmp(reply, "HTTP/1.", 7) != 0) {
        fprintf(stderr, "not an HTTP reply: %.12s\n", reply);
        abort();
    }
    /* Still serving others: a live server answers in microseconds. On a loaded machine (5 fuzzers
     * on 2 cores, ASan) one check once went 5 s without an answer, so a connection that is closed
     * or stays silent is retried until 8 s have passed (inside libFuzzer's 10 s per input); a dead
     * or wedged server still fails. */
    bool healthy = false;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int tries = 0; !healthy; tries++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left_ms = 8000 - ((now.tv_sec - t0.tv_sec) * 1000 +
                               (now.tv_nsec - t0.tv_nsec) / 1000000);
        if (left_ms <= 0)
            break;
        if (tries > 0) {
            fprintf(stderr, "no /healthz answer yet (try %d): retrying, %ld ms left\n", tries,
                    left_ms);
            usleep(100 * 1000);
        }
        fd = connect_loopback();
        if (fd < 0)
            continue;
        int wait_ms = (int)(left_ms < 5000 ? left_ms : 5000);
        n = exchange(fd, (const uint8_t *)"", 0, reply, sizeof(reply), wait_ms);
        close(fd);
        healthy = n >= 12 && memcmp(reply, "HTTP/1.1 200", 12) == 0;
    }
    if (!healthy) {
        fprintf(stderr, "server stopped answering /healthz\n");
        abort();
    }
    uint64_t v;
    if (read(event_fd, &v, sizeof(v)) == (ssize_t)sizeof(v) || server_choice(srv) != CHOICE_NONE) {
        fprintf(stderr, "a choice was made without the nonce\n");
        abort();
    }
    return 0;
}
