/* ptyrelay.c - the byte pump of the pty relay: outer raw, inner cooked, non-blocking master. */
#include "ptyrelay.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"

/* Big enough that one read empties the pty's buffer; the copy is what throughput costs. */
enum { CHUNK = 65536, PTY_LINE_BUFFER = 4096 };

int ptyrelay_init(struct ptyrelay *r)
{
    memset(r, 0, sizeof(*r));
    r->in = STDIN_FILENO;
    r->out = STDOUT_FILENO;
    r->master = -1;
    if (tcgetattr(r->in, &r->saved) != 0)
        return -1;
    if (ioctl(r->in, TIOCGWINSZ, &r->ws) != 0)
        memset(&r->ws, 0, sizeof(r->ws));
    return 0;
}

void ptyrelay_start(struct ptyrelay *r, int master)
{
    r->master = master;
    r->in_open = r->out_open = r->master_open = true;
    int fl = fcntl(master, F_GETFL);
    if (fl >= 0)
        fcntl(master, F_SETFL, fl | O_NONBLOCK);
    fcntl(master, F_SETFD, FD_CLOEXEC);
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

int ptyrelay_pollfds(const struct ptyrelay *r, struct pollfd *fds)
{
    int n = 0;
    /* Read the outer terminal only when the pty took everything read before: back-pressure. */
    if (r->in_open && r->pending_len == 0)
        fds[n++] = (struct pollfd){.fd = r->in, .events = POLLIN};
    if (r->master_open)
        fds[n++] = (struct pollfd){.fd = r->master,
                                   .events = (short)(POLLIN | (r->pending_len ? POLLOUT : 0))};
    return n;
}

static void write_out(struct ptyrelay *r, const char *buf, size_t len)
{
    while (len > 0 && r->out_open) {
        ssize_t n = write(r->out, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            /* The outer terminal is gone: keep emptying the pty so the child never blocks. */
            r->out_open = false;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Reads what the pty holds (several of its 4 KiB line buffers) and passes it on in one write:
 * fewer, larger writes keep the outer terminal's side fast. Returns the bytes moved, 0 when
 * there was nothing, -1 once no process holds the pty's slave side (EIO). */
static ssize_t from_master(struct ptyrelay *r)
{
    static char buf[CHUNK];
    size_t len = 0;
    bool closed = false;
    while (len < sizeof(buf)) {
        ssize_t n = read(r->master, buf + len, sizeof(buf) - len);
        if (n > 0) {
            len += (size_t)n;
            if ((size_t)n < PTY_LINE_BUFFER - 1)
                break; /* the pty had no more: spare the read that would say EAGAIN */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        closed = n == 0 || errno != EAGAIN;
        break;
    }
    write_out(r, buf, len);
    if (closed && len == 0) {
        r->master_open = false;
        return -1;
    }
    return (ssize_t)len;
}

static void from_outer(struct ptyrelay *r)
{
    ssize_t n = read(r->in, r->pending, sizeof(r->pending));
    if (n > 0) {
        r->pending_len = (size_t)n;
        r->pending_off = 0;
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    r->in_open = false;
    if (n == 0) {
        /* End of input (a hangup): the child reads end-of-file, as with su --pty. */
        struct termios t;
        if (tcgetattr(r->master, &t) == 0) {
            r->pending[0] = (char)t.c_cc[VEOF];
            r->pending_len = 1;
            r->pending_off = 0;
        }
    }
}

static void to_master(struct ptyrelay *r)
{
    ssize_t n = write(r->master, r->pending + r->pending_off, r->pending_len - r->pending_off);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            r->pending_len = r->pending_off = 0;
        return;
    }
    r->pending_off += (size_t)n;
    if (r->pending_off == r->pending_len)
        r->pending_len = r->pending_off = 0;
}

void ptyrelay_pump(struct ptyrelay *r, const struct pollfd *fds, int nfds)
{
    for (int i = 0; i < nfds; i++) {
        if (fds[i].revents == 0)
            continue;
        if (fds[i].fd == r->master) {
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
                from_master(r);
            if (r->master_open && (fds[i].revents & POLLOUT))
                to_master(r);
        } else if (fds[i].fd == r->in) {
            from_outer(r);
        }
    }
}

void ptyrelay_drain(struct ptyrelay *r, int quiet_ms)
{
    /* Bounded: a background process left on the pty may write for ever. */
    for (int rounds = 0; r->master_open && rounds < 20; rounds++) {
        struct pollfd p = {.fd = r->master, .events = POLLIN};
        int n = poll(&p, 1, quiet_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || from_master(r) <= 0)
            break;
    }
}
