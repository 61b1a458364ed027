/* config.c - settings table: defaults, libconfuse file, environment; each value checked once. */
#include "config.h"

#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sparkparse.h"

typedef int (*check_fn)(const char *value);

struct setting_def {
    const char *key; /* config file key, NULL if the file cannot set it */
    const char *env; /* overriding environment variable, or NULL */
    const char *def;
    check_fn check;
    const char *expect;
};

static int check_user(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 32 || !(islower((unsigned char)v[0]) || v[0] == '_'))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)v[i]) || isdigit((unsigned char)v[i]) || v[i] == '_' ||
              v[i] == '-'))
            return -1;
    return 0;
}

static int check_abs_path(const char *v)
{
    if (v[0] != '/' || strlen(v) > 4096)
        return -1;
    for (const char *p = v; *p; p++)
        if (iscntrl((unsigned char)*p))
            return -1;
    return 0;
}

static int check_command(const char *v)
{
    bool word = false;
    for (const char *p = v; *p; p++) {
        if (iscntrl((unsigned char)*p))
            return -1;
        if (!isspace((unsigned char)*p))
            word = true;
    }
    return word ? 0 : -1;
}

static int check_port(const char *v)
{
    unsigned port;
    return parse_port(v, &port);
}

static int check_eula(const char *v)
{
    enum eula_decision d;
    return parse_accept_eula(v, &d);
}

static int check_grace(const char *v)
{
    double g;
    return parse_seconds(v, 3600, &g);
}

static int check_bool(const char *v)
{
    bool b;
    return parse_bool(v, &b);
}

static int check_exit_list(const char *v)
{
    bool set[256];
    return parse_exit_code_list(v, set);
}

static int check_level(const char *v)
{
    enum mlog_level l;
    return mlog_parse_level(v, &l);
}

static int check_master_url(const char *v)
{
    return v[0] == '\0' ? 0 : parse_spark_master_url(v);
}

static const struct setting_def defs[SET_COUNT] = {
    [SET_USER] = {"user", "NB_USER", "mmlspark", check_user,
                  "a user name ([a-z_][a-z0-9_-]*, at most 32 characters)"},
    [SET_NOTEBOOK_DIR] = {"notebook_dir", "MMLSPARK_NOTEBOOK_DIR", "/notebooks", check_abs_path,
                          "an absolute path"},
    [SET_JUPYTER_COMMAND] = {"jupyter_command", "MMLSPARK_JUPYTER_COMMAND", "jupyter lab",
                             check_command, "a command line (words separated by spaces)"},
    [SET_PORT] = {"port", "MMLSPARK_JUPYTER_PORT", "8888", check_port, "a port number 1..65535"},
    [SET_ACCEPT_EULA] = {NULL, "ACCEPT_EULA", "", check_eula,
                         "y, yes, true or 1 to accept; n, no, false or 0 to decline"},
    [SET_GRACE] = {"grace_period", "MMLSPARK_GRACE_PERIOD", "5", check_grace,
                   "seconds, 0..3600 (e.g. 5 or 0.5)"},
    [SET_KILL_GROUP] = {"kill_process_group", "MMLSPARK_KILL_GROUP", "yes", check_bool,
                        "yes or no"},
    [SET_REMAP_EXIT] = {"remap_exit", "MMLSPARK_REMAP_EXIT", "", check_exit_list,
                        "a comma list of exit codes 0..255"},
    [SET_EULA_FILE] = {"eula_file", "MMLSPARK_EULA_FILE", "/usr/share/mmlspark/EULA.txt",
                       check_abs_path, "an absolute path"},
    [SET_EULA_COMMAND] = {"eula_command", NULL, "mmlspark-eula", check_command,
                          "a command name or path"},
    [SET_HOOKS_DIR] = {"hooks_dir", "MMLSPARK_HOOKS_DIR", "/usr/local/bin/start.d", check_abs_path,
                       "an absolute path"},
    [SET_MML_PACKAGE] = {"mml_package", "MML_PACKAGE", "com.microsoft.azure:synapseml_2.12:1.1.0",
                         parse_maven_coordinates,
                         "a comma list of Maven coordinates group:artifact:version"},
    [SET_MML_M2REPOS] = {"mml_m2repos", "MML_M2REPOS", "file:/opt/synapseml/maven",
                         parse_repository_urls, "a comma list of http://, https:// or file:/ URLs"},
    [SET_LOG_LEVEL] = {"log_level", "MMLSPARK_LOG", "info", check_level,
                       "debug, info, warn or error"},
    [SET_SPARK_MODE] = {"spark_mode", "SPARK_MODE", "notebook", parse_spark_mode,
                        "notebook, master, worker, connect or history"},
    [SET_SPARK_MASTER_URL] = {"spark_master_url", "SPARK_MASTER_URL", "", check_master_url,
                              "spark://HOST:PORT (e.g. spark://master:7077)"},
    [SET_HUB_COMMAND] = {"hub_command", "MMLSPARK_HUB_COMMAND", "jupyterhub-singleuser",
                         check_command, "a command line (words separated by spaces)"},
};

static const char *const origin_names[] = {"default", "file", "environment", "argument"};

const char *setting_env_name(enum setting_id id)
{
    return defs[id].env;
}

const char *setting_key(enum setting_id id)
{
    return defs[id].key ? defs[id].key : defs[id].env;
}

static void set_raw(struct mml_settings *s, enum setting_id id, const char *value,
                    enum setting_origin origin)
{
    char *copy = strdup(value);
    if (copy == NULL) {
        log_error("out of memory");
        exit(EXIT_SOFTWARE);
    }
    free(s->raw[id]);
    s->raw[id] = copy;
    s->origin[id] = origin;
}

void settings_init(struct mml_settings *s)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < SET_COUNT; i++)
        set_raw(s, (enum setting_id)i, defs[i].def, ORIGIN_DEFAULT);
    settings_finalize(s);
}

void settings_free(struct mml_settings *s)
{
    for (int i = 0; i < SET_COUNT; i++) {
        free(s->raw[i]);
        s->raw[i] = NULL;
    }
    free((char *)s->config_path);
    s->config_path = NULL;
}

/* libconfuse reports errors through a callback that gets the cfg_t only: libconfuse 3.3 has no user
 * pointer in it (nor in cfg_opt_t for plain options), so the caller's buffer for the first error
 * of a parse is reachable only from here. It is set just around cfg_parse() in
 * settings_load_file() and NULL otherwise; nothing else in this file is mutable. */
static char *parse_err;
static size_t parse_errlen;

static void on_cfg_error(cfg_t *cfg, const char *fmt, va_list ap)
{
    if (parse_err == NULL || parse_err[0] != '\0')
        return;
    int n = snprintf(parse_err, parse_errlen, "%s:%d: ", cfg && cfg->filename ? cfg->filename : "?",
                     cfg ? cfg->line : 0);
    if (n >= 0 && (size_t)n < parse_errlen)
        vsnprintf(parse_err + n, parse_errlen - (size_t)n, fmt, ap);
}

static enum setting_id id_of_key(const char *key)
{
    for (int i = 0; i < SET_COUNT; i++)
        if (defs[i].key && strcmp(defs[i].key, key) == 0)
            return (enum setting_id)i;
    return SET_COUNT;
}

static int on_cfg_validate(cfg_t *cfg, cfg_opt_t *opt)
{
    enum setting_id id = id_of_key(cfg_opt_name(opt));
    const char *v = cfg_opt_getnstr(opt, 0);
    if (id == SET_COUNT || v == NULL)
        return -1;
    if (defs[id].check(v) != 0) {
        cfg_error(cfg, "key '%s': invalid value '%s': expected %s", defs[id].key, v,
                  defs[id].expect);
        return -1;
    }
    return 0;
}

int settings_load_file(struct mml_settings *s, const char *path, bool required, char *err,
                       size_t errlen)
{
    cfg_opt_t opts[SET_COUNT + 1];
    int n = 0;
    for (int i = 0; i < SET_COUNT; i++) {
        if (defs[i].key == NULL)
            continue;
        cfg_opt_t o = CFG_STR((char *)defs[i].key, NULL, CFGF_NODEFAULT);
        opts[n++] = o;
    }
    cfg_opt_t end = CFG_END();
    opts[n] = end;

    err[0] = '\0';
    /* The usual container has no config file: then the parser is not even set up. */
    if (!required && access(path, F_OK) != 0 && errno == ENOENT)
        return 0;
    cfg_t *cfg = cfg_init(opts, CFGF_NONE);
    if (cfg == NULL) {
        snprintf(err, errlen, "%s: cannot initialise the config parser", path);
        return -1;
    }
    cfg_set_error_function(cfg, on_cfg_error);
    for (int i = 0; i < SET_COUNT; i++)
        if (defs[i].key)
            cfg_set_validate_func(cfg, defs[i].key, on_cfg_validate);

    parse_err = err;
    parse_errlen = errlen;
    errno = 0;
    int rc = cfg_parse(cfg, path);
    parse_err = NULL;
    parse_errlen = 0;
    int result = 0;
    if (rc == CFG_FILE_ERROR) {
        if (!required && errno == ENOENT) {
            result = 0;
        } else {
            snprintf(err, errlen, "%s: cannot read the config file: %s", path,
                     errno ? strerror(errno) : "unknown error");
            result = -1;
        }
    } else if (rc != CFG_SUCCESS) {
        if (err[0] == '\0')
            snprintf(err, errlen, "%s: syntax error", path);
        result = -1;
    } else {
        for (int i = 0; i < SET_COUNT; i++)
            if (defs[i].key && cfg_size(cfg, defs[i].key) > 0)
                set_raw(s, (enum setting_id)i, cfg_getstr(cfg, defs[i].key), ORIGIN_FILE);
        free((char *)s->config_path);
        s->config_path = strdup(path);
        settings_finalize(s);
    }
    cfg_free(cfg);
    return result;
}

static int set_checked(struct mml_settings *s, enum setting_id id, const char *value,
                       enum setting_origin origin, const char *name, char *err, size_t errlen)
{
    if (defs[id].check(value) != 0) {
        snprintf(err, errlen, "%s='%.200s' is invalid: expected %s", name, value, defs[id].expect);
        return -1;
    }
    set_raw(s, id, value, origin);
    return 0;
}

int settings_apply_env(struct mml_settings *s, char *err, size_t errlen)
{
    for (int i = 0; i < SET_COUNT; i++) {
        const char *name = defs[i].env;
        const char *v = name ? getenv(name) : NULL;
        if (v == NULL || v[0] == '\0')
            continue; /* unset or empty: keep the file's or the default */
        if (set_checked(s, (enum setting_id)i, v, ORIGIN_ENV, name, err, errlen) != 0)
            return -1;
    }
    settings_finalize(s);
    return 0;
}

int settings_set_arg(struct mml_settings *s, enum setting_id id, const char *value, char *err,
                     size_t errlen)
{
    if (set_checked(s, id, value, ORIGIN_ARG, setting_key(id), err, errlen) != 0)
        return -1;
    settings_finalize(s);
    return 0;
}

int settings_load(struct mml_settings *s, const char *path, bool required,
                  const struct setting_arg *args, size_t nargs)
{
    char err[1024];
    settings_init(s);
    if (settings_load_file(s, path, required, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return EXIT_CONFIG;
    }
    int bad = settings_apply_env(s, err, sizeof(err));
    for (size_t i = 0; bad == 0 && i < nargs; i++)
        if (args[i].value)
            bad = settings_set_arg(s, args[i].id, args[i].value, err, sizeof(err));
    if (bad != 0) {
        log_error("%s", err);
        return EXIT_USAGE;
    }
    mlog_set_level(s->log_level);
    return 0;
}

int settings_option_error(int opt, char *const argv[], int index)
{
    if (opt == ':')
        log_error("option '%s' needs a value (see --help)", argv[index - 1]);
    else
        log_error("unknown option '%s' (see --help)", argv[index - 1]);
    return EXIT_USAGE;
}

void settings_finalize(struct mml_settings *s)
{
    s->user = s->raw[SET_USER];
    s->notebook_dir = s->raw[SET_NOTEBOOK_DIR];
    s->jupyter_command = s->raw[SET_JUPYTER_COMMAND];
    if (parse_port(s->raw[SET_PORT], &s->port) != 0)
        s->port = 8888;
    if (parse_accept_eula(s->raw[SET_ACCEPT_EULA], &s->eula) != 0)
        s->eula = EULA_PENDING;
    if (parse_seconds(s->raw[SET_GRACE], 3600, &s->grace_seconds) != 0)
        s->grace_seconds = 5;
    if (parse_bool(s->raw[SET_KILL_GROUP], &s->kill_group) != 0)
        s->kill_group = true;
    if (parse_exit_code_list(s->raw[SET_REMAP_EXIT], s->remap_exit) != 0)
        memset(s->remap_exit, 0, sizeof(s->remap_exit));
    s->eula_file = s->raw[SET_EULA_FILE];
    s->eula_command = s->raw[SET_EULA_COMMAND];
    s->hooks_dir = s->raw[SET_HOOKS_DIR];
    s->mml_package = s->raw[SET_MML_PACKAGE];
    s->mml_m2repos = s->raw[SET_MML_M2REPOS];
    if (mlog_parse_level(s->raw[SET_LOG_LEVEL], &s->log_level) != 0)
        s->log_level = MLOG_INFO;
    const char *mode = s->raw[SET_SPARK_MODE];
    s->spark_mode = strcmp(mode, "master") == 0    ? MODE_MASTER
                    : strcmp(mode, "worker") == 0  ? MODE_WORKER
                    : strcmp(mode, "connect") == 0 ? MODE_CONNECT
                    : strcmp(mode, "history") == 0 ? MODE_HISTORY
                                                   : MODE_NOTEBOOK;
    s->spark_master_url = s->raw[SET_SPARK_MASTER_URL];
    s->hub_command = s->raw[SET_HUB_COMMAND];
}

void settings_print(const struct mml_settings *s, FILE *out)
{
    fprintf(out, "# config file: %s\n", s->config_path ? s->config_path : "(none read)");
    for (int i = 0; i < SET_COUNT; i++) {
        const char *origin = origin_names[s->origin[i]];
        const char *via = s->origin[i] == ORIGIN_ENV ? defs[i].env : NULL;
        fprintf(out, "%-20s = \"%s\"  # %s%s%s\n", setting_key((enum setting_id)i), s->raw[i],
                origin, via ? " " : "", via ? via : "");
    }
}
