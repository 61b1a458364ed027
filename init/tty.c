/* tty.c - foreground process group and termios handling for `docker run -it`. */
#include "tty.h"

#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"

/* The terminal init saved at start and restores when the job ends: one per process (PID 1 and
 * the setup each take their own), between tty_init() and tty_restore(). */
static int tty_fd = -1;
static bool have_termios;
static struct termios saved;

void tty_init(void)
{
    if (!isatty(STDIN_FILENO))
        return;
    /* Only a terminal we control can have its foreground group changed. */
    pid_t fg = tcgetpgrp(STDIN_FILENO);
    if (fg < 0) {
        log_debug("stdin is a terminal but not our controlling terminal");
        return;
    }
    tty_fd = STDIN_FILENO;
    have_termios = tcgetattr(tty_fd, &saved) == 0;
}

bool tty_present(void)
{
    return tty_fd >= 0;
}

void tty_give_foreground_self(void)
{
    /* SIGTTOU is blocked (inherited mask), so a background group may take the foreground. */
    if (tty_fd >= 0 && tcsetpgrp(tty_fd, getpgrp()) != 0 && errno != ENOTTY)
        log_warn("cannot make the job the terminal's foreground group: %s", strerror(errno));
}

void tty_restore(void)
{
    if (tty_fd < 0)
        return;
    if (tcsetpgrp(tty_fd, getpgrp()) != 0 && errno != ENOTTY && errno != EIO)
        log_debug("cannot take the terminal's foreground back: %s", strerror(errno));
    if (have_termios && tcsetattr(tty_fd, TCSADRAIN, &saved) != 0 && errno != EIO)
        log_debug("cannot restore the terminal settings: %s", strerror(errno));
}
