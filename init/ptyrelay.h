/* ptyrelay.h - relay between the caller's terminal (stdin/stdout) and a new pty, as su --pty. */
#ifndef MMLSPARK_PTYRELAY_H
#define MMLSPARK_PTYRELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <termios.h>

/* Bytes read from one side, not yet taken by the other: [off, len) of buf. */
struct ptyrelay_buf {
    size_t off, len;
};

enum { PTYRELAY_OUT_BUF = 256 * 1024, PTYRELAY_IN_BUF = 16 * 1024 };

struct ptyrelay {
    int in, out, master;
    int out_own;          /* our own non-blocking description of the outer terminal, or -1 */
    struct termios saved; /* the outer terminal as we found it */
    struct winsize ws;
    bool raw;         /* the outer terminal is in raw mode (restore it) */
    bool in_open;     /* still reading the outer terminal */
    bool out_open;    /* still writing to the outer terminal */
    bool master_open; /* some process still holds the pty's slave side */
    /* The job's output waiting for the outer terminal (which may stall: docker's client paused,
     * a slow ssh): while it is full the pty is not read, so the job waits, as on a terminal. */
    struct ptyrelay_buf out_q;
    struct ptyrelay_buf in_q; /* keys waiting for the pty */
    /* Allocated by ptyrelay_init (pages are only used as output queues up, and a session
     * without a terminal pays nothing), freed by ptyrelay_restore. */
    char *out_buf; /* PTYRELAY_OUT_BUF bytes */
    char *in_buf;  /* PTYRELAY_IN_BUF bytes */
};

/* Remembers the outer terminal (stdin) settings and size, for forkpty and for the restore, and
 * allocates the buffers. Returns 0, or -1 when stdin is not a terminal or memory is short. */
int ptyrelay_init(struct ptyrelay *r);
/* Starts relaying to master (the parent's side of forkpty): the outer terminal goes raw. */
void ptyrelay_start(struct ptyrelay *r, int master);
/* Puts the outer terminal back as it was, closes the relay's own descriptors and frees its
 * buffers; safe to call more than once. */
void ptyrelay_restore(struct ptyrelay *r);
/* Copies the outer terminal's current size to the pty (the kernel then sends SIGWINCH). */
void ptyrelay_resize(struct ptyrelay *r);

/* Fills up to 3 pollfds for the relay; returns how many. */
int ptyrelay_pollfds(const struct ptyrelay *r, struct pollfd *fds);
/* Moves data for the events poll reported in fds (as filled by ptyrelay_pollfds). */
void ptyrelay_pump(struct ptyrelay *r, const struct pollfd *fds, int nfds);
/* After the child ended: passes on what is still queued or in the pty, until the pty is empty
 * for quiet_ms. Bounded: at most what the pty can hold is read (a background writer on the pty
 * cannot hold the exit up), and a terminal that takes nothing for 1 s is given up. */
void ptyrelay_drain(struct ptyrelay *r, int quiet_ms);

#endif
