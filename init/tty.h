/* tty.h - the controlling terminal: hand the foreground to the job, give it back sane on exit. */
#ifndef MMLSPARK_TTY_H
#define MMLSPARK_TTY_H

#include <stdbool.h>
#include <sys/types.h>

/* Remembers the terminal on stdin (if it is our controlling tty) and its settings. */
void tty_init(void);
bool tty_present(void);
/* Called in the child: makes its own process group the terminal's foreground group. */
void tty_give_foreground_self(void);
/* Called in init after the job ended: takes the foreground back and restores the settings. */
void tty_restore(void);

#endif
