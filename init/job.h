/* job.h - the default notebook job: the EULA gate, then Jupyter with a token. */
#ifndef MMLSPARK_JOB_H
#define MMLSPARK_JOB_H

#include <stddef.h>

#include "config.h"
#include "supervise.h"

/* Splits a command line on whitespace into argv[0..max-2], NULL-terminated, in buf.
 * Returns the word count, or -1 if it does not fit. */
int split_command(const char *line, char *buf, size_t buflen, char **argv, size_t max);

/* Fills hex with 2*nbytes hex digits of getrandom(2) output. Returns 0 or -1. */
int random_token(char *hex, size_t nbytes);

/* Builds Jupyter's argv from the settings into argv (max entries, NULL-terminated), using buf
 * for the strings. Returns the count or -1. */
int jupyter_argv(const struct mml_settings *s, int allow_root, char *buf, size_t buflen,
                 char **argv, size_t max);

/* Runs the notebook job: the EULA page (a child of this process) until accepted, then becomes
 * Jupyter (launch_exec, status_fd as there); returns only when init ends before Jupyter. */
struct job_result job_notebook(const struct mml_settings *s, const struct supervise_opts *base,
                               int status_fd);

/* Checks the Spark mode settings (a worker needs SPARK_MASTER_URL) and the cluster secret
 * (SPARK_AUTH_SECRET or SPARK_AUTH_SECRET_FILE, not both; a readable file). Returns 0 or
 * EXIT_USAGE after one error line. */
int job_check_spark_mode(const struct mml_settings *s);

/* Builds the argv of Spark's standalone master or worker (static storage). */
char **spark_daemon_argv(const struct mml_settings *s);

/* Becomes the standalone master or worker (SPARK_MODE) like Jupyter; returns only when the EULA
 * is declined. */
struct job_result job_spark_daemon(const struct mml_settings *s, const struct supervise_opts *base,
                                   int status_fd);

#endif
