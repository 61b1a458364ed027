/* job.h - the default notebook job: the EULA gate, then Jupyter with a token. */
#ifndef MMLSPARK_JOB_H
#define MMLSPARK_JOB_H

#include <stdbool.h>
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

/* Builds the argv of JupyterHub's single-user server (hub_command, --allow-root when root), like
 * jupyter_argv; the hub's environment gives the rest. Returns the count or -1. */
int hub_argv(const struct mml_settings *s, int allow_root, char *buf, size_t buflen, char **argv,
             size_t max);

/* True when JupyterHub spawned this container (JUPYTERHUB_API_TOKEN is set). */
bool job_spawned_by_hub(void);

/* Runs the notebook job: JupyterHub's single-user server when the hub spawned the container (its
 * EULA accepted by the admin, else one error line); otherwise the EULA page (a child of this
 * process) until accepted, then becomes Jupyter (launch_exec, status_fd as there). Returns only
 * when init ends before the server. */
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
