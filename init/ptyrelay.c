/* ptyrelay.c - the byte pump of the pty relay: outer raw, inner cooked, nothing blocks.
 *
 * Every descriptor the pump writes is non-blocking, so a stalled outer terminal holds up only
 * the job's output (its pty fills and it waits, as on a real terminal), never the session
 * process: signals are still forwarded. The outer terminal gets a description of its own for
 * that (O_NONBLOCK on the inherited one would be shared with init's log writes). Throughput
 * comes from large buffers and few wakeups: drain the pty in one go, write it in one go. */
#include "ptyrelay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static void free_buffers(struct ptyrelay *r)
{
    free(r->out_buf);
    free(r->in_buf);
    r->out_buf = r->in_buf = NULL;
}

int ptyrelay_init(struct ptyrelay *r)
{
    memset(r, 0, sizeof(*r));
    r->in = STDIN_FILENO;
    r->out = STDOUT_FILENO;
    r->master = -1;
    r->out_own = -1;
    if (tcgetattr(r->in, &r->saved) != 0)
        return -1;
    if (ioctl(r->in, TIOCGWINSZ, &r->ws) != 0)
        memset(&r->ws, 0, sizeof(r->ws));
    r->out_buf = malloc(PTYRELAY_OUT_BUF);
    r->in_buf = malloc(PTYRELAY_IN_BUF);
    if (!r->out_buf || !r->in_buf) {
        log_warn("no memory for the pty relay: the job runs without a pty");
        free_buffers(r);
        return -1;
    }
    return 0;
}

static void set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Our own non-blocking open of stdout when it is a terminal or a pipe (a file never blocks). */
static void own_outer_output(struct ptyrelay *r)
{
    struct stat st;
    if (fstat(r->out, &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))
        return;
    char path[40];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", r->out);
    r->out_own = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (r->out_own >= 0)
        r->out = r->out_own;
    else
        log_debug("cannot reopen the terminal: %s (writes to it may block)", strerror(errno));
}

void ptyrelay_start(struct ptyrelay *r, int master)
{
    r->master = master;
    r->in_open = r->out_open = r->master_open = true;
    set_nonblocking(master);
    fcntl(master, F_SETFD, FD_CLOEXEC);
    own_outer_output(r);
    /* Raw: every key, Ctrl+C included, goes to the pty, whose line discipline turns it into
     * SIGINT for the child's foreground job. */
    struct termios raw = r->saved;
    cfmakeraw(&raw);
    if (tcsetattr(r->in, TCSANOW, &raw) == 0)
        r->raw = true;
    else
        log_warn("cannot put the terminal in raw mode: %s", strerror(errno));
}

void ptyrelay_restore(struct ptyrelay *r)
{
    free_buffers(r);
    if (r->out_own >= 0) {
        close(r->out_own);
        r->out_own = -1;
        r->out = STDOUT_FILENO;
    }
    if (!r->raw)
        return;
    if (tcsetattr(r->in, TCSADRAIN, &r->saved) != 0 && errno != EIO)
        log_warn("cannot restore the terminal settings: %s", strerror(errno));
    r->raw = false;
}

void ptyrelay_resize(struct ptyrelay *r)
{
    struct winsize ws;
    if (ioctl(r->in, TIOCGWINSZ, &ws) == 0 && r->master >= 0) {
        r->ws = ws;
        ioctl(r->master, TIOCSWINSZ, &ws);
    }
}

/* Read the pty only with room for a full read of its line buffer: fewer, larger reads. */
enum { PTY_READ_MIN = 4096, FLUSH_AT = 16384 };

static size_t out_room(const struct ptyrelay *r)
{
    return PTYRELAY_OUT_BUF - r->out_q.len;
}

int ptyrelay_pollfds(const struct ptyrelay *r, struct pollfd *fds)
{
    int n = 0;
    /* Read the outer terminal only when the pty took everything read before: back-pressure. */
    if (r->in_open && r->in_q.len == 0)
        fds[n++] = (struct pollfd){.fd = r->in, .events = POLLIN};
    if (r->master_open) {
        short ev = (short)((out_room(r) >= PTY_READ_MIN ? POLLIN : 0) |
                           (r->in_q.len ? POLLOUT : 0));
        /* Not polled at all while full: its hangup would otherwise wake us in a loop. */
        if (ev)
            fds[n++] = (struct pollfd){.fd = r->master, .events = ev};
    }
    if (r->out_open && r->out_q.len > r->out_q.off)
        fds[n++] = (struct pollfd){.fd = r->out, .events = POLLOUT};
    return n;
}

/* Writes what is queued for the outer terminal, as far as it takes it without blocking. */
static void flush_out(struct ptyrelay *r)
{
    struct ptyrelay_buf *q = &r->out_q;
    while (q->off < q->len && r->out_open) {
        ssize_t n = write(r->out, r->out_buf + q->off, q->len - q->off);
        if (n > 0) {
            q->off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break; /* full: POLLOUT says when it takes more */
        /* The outer terminal is gone: keep emptying the pty so the child never blocks. */
        r->out_open = false;
    }
    if (q->off == q->len || !r->out_open) {
        q->off = q->len = 0;
    } else if (q->off > 0 && out_room(r) < PTY_READ_MIN) {
        memmove(r->out_buf, r->out_buf + q->off, q->len - q->off);
        q->len -= q->off;
        q->off = 0;
    }
}

/* Reads what the pty holds into the queue, then passes it on. Returns the bytes read, 0 when
 * there was nothing (or no room), -1 once no process holds the pty's slave side (EIO). */
static ssize_t from_master(struct ptyrelay *r)
{
    size_t got = 0;
    bool closed = false;
    while (out_room(r) > 0) {
        ssize_t n = read(r->master, r->out_buf + r->out_q.len, out_room(r));
        if (n > 0) {
            r->out_q.len += (size_t)n;
            got += (size_t)n;
            if ((size_t)n < PTY_READ_MIN - 1)
                break; /* less than its line buffer: the pty is empty, spare the EAGAIN */
            if (r->out_q.len - r->out_q.off >= FLUSH_AT)
                flush_out(r); /* keep the outer terminal busy while the pty refills */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        closed = n == 0 || errno != EAGAIN;
        break;
    }
    flush_out(r);
    if (closed && got == 0) {
        r->master_open = false;
        return -1;
    }
    return (ssize_t)got;
}

static void to_master(struct ptyrelay *r)
{
    struct ptyrelay_buf *q = &r->in_q;
    while (q->off < q->len) {
        ssize_t n = write(r->master, r->in_buf + q->off, q->len - q->off);
        if (n > 0) {
            q->off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        break; /* the pty is gone: drop the keys */
    }
    q->off = q->len = 0;
}

static void from_outer(struct ptyrelay *r)
{
    ssize_t n = read(r->in, r->in_buf, PTYRELAY_IN_BUF);
    if (n > 0) {
        r->in_q.off = 0;
        r->in_q.len = (size_t)n;
        to_master(r);
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    r->in_open = false;
    if (n == 0) {
        /* End of input (a hangup): the child reads end-of-file, as with su --pty. */
        struct termios t;
        if (tcgetattr(r->master, &t) == 0) {
            r->in_buf[0] = (char)t.c_cc[VEOF];
            r->in_q.off = 0;
            r->in_q.len = 1;
            to_master(r);
        }
    }
}

void ptyrelay_pump(struct ptyrelay *r, const struct pollfd *fds, int nfds)
{
    for (int i = 0; i < nfds; i++) {
        short ev = fds[i].revents;
        if (ev == 0)
            continue;
        if (fds[i].fd == r->master) {
            if (ev & (POLLIN | POLLHUP | POLLERR))
                from_master(r);
            if (r->master_open && (ev & POLLOUT))
                to_master(r);
        } else if (fds[i].fd == r->in && (fds[i].events & POLLIN)) {
            from_outer(r);
        }
        if (fds[i].fd == r->out && (fds[i].events & POLLOUT)) {
            if (ev & (POLLERR | POLLNVAL))
                r->out_open = false;
            flush_out(r);
        }
    }
}

/* At the job's exit the pty holds at most its own buffers (64 KiB and a line buffer): reading
 * more than this means a background process is still writing to it, and the relay stops. */
enum { DRAIN_BUDGET = 256 * 1024, STALL_MS = 1000 };

void ptyrelay_drain(struct ptyrelay *r, int quiet_ms)
{
    /* Bounded: a background process left on the pty may write for ever (the budget), and the
     * outer terminal may stall (STALL_MS without taking a byte). */
    size_t budget = DRAIN_BUDGET;
    for (;;) {
        bool queued = r->out_open && r->out_q.len > r->out_q.off;
        bool readable = r->master_open && budget > 0 && out_room(r) >= PTY_READ_MIN;
        if (!queued && !readable)
            break;
        struct pollfd p[2] = {{.fd = readable ? r->master : -1, .events = POLLIN},
                              {.fd = queued ? r->out : -1, .events = POLLOUT}};
        int n = poll(p, 2, queued ? STALL_MS : quiet_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (p[1].revents)
            flush_out(r);
        if (p[0].revents) {
            ssize_t got = from_master(r);
            if (got < 0 && !queued)
                break;
            budget -= got > 0 ? ((size_t)got < budget ? (size_t)got : budget) : 0;
        }
    }
}
