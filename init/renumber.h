/* renumber.h - NB_UID/NB_GID: give the notebook user new ids, and its files with them, as one
 * recorded change that a kill at any point leaves for the next start to complete. */
#ifndef MMLSPARK_RENUMBER_H
#define MMLSPARK_RENUMBER_H

#include <signal.h>
#include <stdbool.h>

#include "acctdb.h"

/* Where the change in progress is recorded (next to the files it edits). */
#define RENUMBER_RECORD "/etc/" ACCTDB_RECORD_NAME

/* Beside it while a walk runs: the directory the walk has given to root (chowntree.h). */
#define RENUMBER_LOCK_NOTE RENUMBER_RECORD ".lock"

/* True when an interrupted change is recorded: the next renumber_run() completes it. */
bool renumber_pending(void);

/* First completes a recorded change (one warning line says so), then gives user what ask asks
 * (nothing when it asks nothing): the account files are edited (acctdb.h) and the files under
 * the user's home and dirs (NULL-terminated) owned by the old uid, or by the user's own group's
 * old gid, get the new ones (chowntree.h). The decision comes from the three account files as
 * they are, not from what an earlier start intended. A signal of stops arriving meanwhile ends
 * the walk at once; the record stays. Returns 0; 128+n for stop signal n; or EXIT_SOFTWARE after
 * one error line (then no account file has changed, or the record says what to complete). */
int renumber_run(const char *user, const struct acct_ask *ask, const char *const dirs[],
                 const sigset_t *stops);

#endif
