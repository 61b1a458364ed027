/* config.h - the effective settings: compiled defaults < config file (libconfuse) < environment. */
#ifndef MMLSPARK_CONFIG_H
#define MMLSPARK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "envparse.h"
#include "exitcodes.h"
#include "log.h"

#define MML_DEFAULT_CONFIG "/etc/mmlspark/mmlspark.conf"

enum setting_id {
    SET_USER,
    SET_NOTEBOOK_DIR,
    SET_JUPYTER_COMMAND,
    SET_PORT,
    SET_ACCEPT_EULA,
    SET_GRACE,
    SET_KILL_GROUP,
    SET_REMAP_EXIT,
    SET_EULA_FILE,
    SET_EULA_COMMAND,
    SET_HOOKS_DIR,
    SET_MML_PACKAGE,
    SET_MML_M2REPOS,
    SET_LOG_LEVEL,
    SET_SPARK_MODE,
    SET_SPARK_MASTER_URL,
    SET_HUB_COMMAND,
    SET_COUNT
};

enum setting_origin { ORIGIN_DEFAULT, ORIGIN_FILE, ORIGIN_ENV, ORIGIN_ARG };

/* Parsed once at start; the rest of a program trusts these fields. */
struct mml_settings {
    const char *user;
    const char *notebook_dir;
    const char *jupyter_command; /* whitespace-separated argv prefix */
    unsigned port;
    enum eula_decision eula;
    double grace_seconds;
    bool kill_group;
    bool remap_exit[256];
    const char *eula_file;
    const char *eula_command;
    const char *hooks_dir;
    const char *mml_package;
    const char *mml_m2repos;
    enum mlog_level log_level;
    enum spark_mode { MODE_NOTEBOOK, MODE_MASTER, MODE_WORKER, MODE_CONNECT, MODE_HISTORY } spark_mode;
    const char *spark_master_url; /* "" when unset */
    const char *hub_command;      /* JupyterHub's single-user server: argv prefix */

    const char *config_path; /* the file that was read, or NULL */
    char *raw[SET_COUNT];
    enum setting_origin origin[SET_COUNT];
};


void settings_init(struct mml_settings *s);
void settings_free(struct mml_settings *s);

/* Reads a libconfuse file. A missing file is fine unless required. On error writes
 * "FILE:LINE: key 'K': ..." into err and returns -1 (the caller exits 78). */
int settings_load_file(struct mml_settings *s, const char *path, bool required, char *err,
                       size_t errlen);

/* Applies the environment variables; on a bad value writes "VAR='value': expected ..." into err
 * and returns -1 (the caller exits 64). */
int settings_apply_env(struct mml_settings *s, char *err, size_t errlen);

/* Sets one value from the command line (origin "argument"); same checks. */
int settings_set_arg(struct mml_settings *s, enum setting_id id, const char *value, char *err,
                     size_t errlen);

/* Parses the raw strings into the typed fields. Cannot fail once the inputs were checked. */
void settings_finalize(struct mml_settings *s);

/* The environment variable that overrides a setting, or NULL. */
const char *setting_env_name(enum setting_id id);
const char *setting_key(enum setting_id id);

/* A command-line value for a setting; a NULL value is skipped. */
struct setting_arg {
    enum setting_id id;
    const char *value;
};

/* The whole load, in every program's order: defaults, the file (one error line, EXIT_CONFIG),
 * the environment, then the arguments (one error line, EXIT_USAGE); sets the log level.
 * Returns 0 or that exit code. */
int settings_load(struct mml_settings *s, const char *path, bool required,
                  const struct setting_arg *args, size_t nargs);

/* One error line for a getopt_long result ':' (missing value) or '?' (unknown option);
 * returns EXIT_USAGE. */
int settings_option_error(int opt, char *const argv[], int index);

/* Prints "key = value  # origin" lines. */
void settings_print(const struct mml_settings *s, FILE *out);

#endif
