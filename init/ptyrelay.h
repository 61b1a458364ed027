/* ptyrelay.h - relay between the caller's terminal (stdin/stdout) and a new pty, as su --pty. */
#ifndef MMLSPARK_PTYRELAY_H
#define MMLSPARK_PTYRELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <termios.h>

struct ptyrelay {
    int in, out, master;
    struct termios saved; /* the outer terminal as we found it */
    struct winsize ws;
    bool raw;           /* the outer terminal is in raw mode (restore it) */
    bool in_open;       /* still reading the outer terminal */
    bool out_open;      /* still writing to the outer terminal */
    bool master_open;   /* some process still holds the pty's slave side */
    char pending[4096]; /* input read from the outer terminal, not yet taken by the pty */
    size_t pending_len, pending_off;
};

/* Remembers the outer terminal (stdin) settings and size, for forkpty and for the restore.
 * Returns 0, or -1 when stdin is not a terminal. */
int ptyrelay_init(struct ptyrelay *r);
/* Starts relaying to master (the parent's side of forkpty): the outer terminal goes raw. */
void ptyrelay_start(struct ptyrelay *r, int master);
/* Puts the outer terminal back as it was; safe to call more than once. */
void ptyrelay_restore(struct ptyrelay *r);
/* Copies the outer terminal's current size to the pty (the kernel then sends SIGWINCH). */
void ptyrelay_resize(struct ptyrelay *r);

/* Fills up to 2 pollfds for the relay; returns how many. */
int ptyrelay_pollfds(const struct ptyrelay *r, struct pollfd *fds);
/* Moves data for the events poll reported in fds (as filled by ptyrelay_pollfds). */
void ptyrelay_pump(struct ptyrelay *r, const struct pollfd *fds, int nfds);
/* After the child ended: passes on what is still in the pty, until it is empty for quiet_ms
 * (at most 20 wakeups of up to 64 KiB: a background writer cannot hold the exit up). */
void ptyrelay_drain(struct ptyrelay *r, int quiet_ms);

#endif
