/* job.c - the notebook job: EULA page until accepted, then Jupyter in the notebook dir. */
#include "job.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "exitcodes.h"
#include "launch.h"
#include "log.h"
#include "priv.h"
#include "sparkauth.h"

int split_command(const char *line, char *buf, size_t buflen, char **argv, size_t max)
{
    size_t used = 0, argc = 0;
    const char *p = line;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - start);
        if (argc + 1 >= max || used + n + 1 > buflen)
            return -1;
        memcpy(buf + used, start, n);
        buf[used + n] = '\0';
        argv[argc++] = buf + used;
        used += n + 1;
    }
    if (max == 0)
        return -1;
    argv[argc] = NULL;
    return (int)argc;
}

int random_token(char *hex, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof(raw))
        return -1;
    size_t got = 0;
    while (got < nbytes) {
        ssize_t n = getrandom(raw + got, nbytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    for (size_t i = 0; i < nbytes; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Appends the argument prefix+value; returns -1 when argv or buf is full. */
static int add_arg(char *buf, size_t buflen, size_t *used, char **argv, size_t max, size_t *argc,
                   const char *prefix, const char *value)
{
    if (*argc + 1 >= max || *used >= buflen)
        return -1;
    int n = snprintf(buf + *used, buflen - *used, "%s%s", prefix, value);
    if (n < 0 || (size_t)n >= buflen - *used)
        return -1;
    argv[(*argc)++] = buf + *used;
    *used += (size_t)n + 1;
    argv[*argc] = NULL;
    return 0;
}

/* split_command of a command line that arguments are appended to: *argc and *used (the bytes of
 * buf taken) say where the next one goes. Returns 0, or -1 when it is empty or does not fit. */
static int command_prefix(const char *line, char *buf, size_t buflen, char **argv, size_t max,
                          size_t *argc, size_t *used)
{
    int n = split_command(line, buf, buflen, argv, max);
    if (n <= 0)
        return -1;
    *argc = (size_t)n;
    *used = 0;
    for (size_t i = 0; i < *argc; i++)
        *used += strlen(argv[i]) + 1;
    return 0;
}

int jupyter_argv(const struct mml_settings *s, int allow_root, char *buf, size_t buflen,
                 char **argv, size_t max)
{
    size_t argc, used;
    if (command_prefix(s->jupyter_command, buf, buflen, argv, max, &argc, &used) != 0)
        return -1;
    char port[8];
    snprintf(port, sizeof(port), "%u", s->port);
    if (add_arg(buf, buflen, &used, argv, max, &argc, "--no-browser", "") ||
        add_arg(buf, buflen, &used, argv, max, &argc, "--ip=", "*") ||
        add_arg(buf, buflen, &used, argv, max, &argc, "--port=", port) ||
        add_arg(buf, buflen, &used, argv, max, &argc, "--port-retries=", "0") ||
        add_arg(buf, buflen, &used, argv, max, &argc, "--notebook-dir=", s->notebook_dir))
        return -1;
    if (allow_root && add_arg(buf, buflen, &used, argv, max, &argc, "--allow-root", ""))
        return -1;
    return (int)argc;
}

int hub_argv(const struct mml_settings *s, int allow_root, char *buf, size_t buflen, char **argv,
             size_t max)
{
    size_t argc, used;
    if (command_prefix(s->hub_command, buf, buflen, argv, max, &argc, &used) != 0)
        return -1;
    if (allow_root && add_arg(buf, buflen, &used, argv, max, &argc, "--allow-root", ""))
        return -1;
    return (int)argc;
}

bool job_spawned_by_hub(void)
{
    const char *token = getenv("JUPYTERHUB_API_TOKEN");
    return token != NULL && token[0] != '\0';
}

static struct job_result own_error(int code)
{
    return (struct job_result){.status = code, .own_error = true};
}

static struct job_result eula_declined(const struct mml_settings *s)
{
    log_error("ACCEPT_EULA=%s declines the EULA (%s); to accept it, run with -e ACCEPT_EULA=yes",
              s->raw[SET_ACCEPT_EULA], s->eula_file);
    return own_error(EXIT_EULA_DECLINED);
}

/* Returns status 0 when the EULA was accepted and no stop signal came; else init's result. */
static struct job_result run_eula_page(const struct mml_settings *s,
                                       const struct supervise_opts *base)
{
    char buf[4096];
    char *argv[64];
    if (split_command(s->eula_command, buf, sizeof(buf), argv, 64) <= 0) {
        log_error("eula_command '%s' is too long", s->eula_command);
        return own_error(EXIT_USAGE);
    }
    log_info("the EULA is not accepted yet: open http://localhost:%u/ to read and accept it, "
             "or run with -e ACCEPT_EULA=yes",
             s->port);
    struct supervise_opts opts = *base;
    opts.plan = NULL; /* the page drops its own privileges after binding */
    opts.leftovers_in_group_only = true; /* the hooks' services outlive the page */
    opts.settings_env_only = true;
    opts.name = "the EULA page";
    struct job_result r = launch_run_here(argv, &opts);
    /* A stop signal at any time, even after the page ended (while the processes it left
     * behind stopped, or since), ends the container: Jupyter is not started. */
    int stop = r.stop_signal ? r.stop_signal : supervise_pending_stop();
    if (stop) {
        log_info("received %s during the EULA phase; Jupyter not started", sigabbrev_np(stop));
        if (r.status == 0 || r.own_error)
            r = (struct job_result){.status = 128 + stop};
        return r;
    }
    if (r.own_error)
        return r;
    if (r.status == 0) {
        log_info("EULA accepted in the browser");
        return r;
    }
    if (r.status == EXIT_EULA_DECLINED) {
        log_error("the EULA was declined; to accept it, run the image with -e ACCEPT_EULA=yes");
        return own_error(EXIT_EULA_DECLINED);
    }
    if (r.status > 128 && r.status < 128 + 65) /* Ctrl+C on the page under -it, for example */
        log_info("the EULA page was stopped by %s before a choice; Jupyter not started",
                 sigabbrev_np(r.status - 128));
    else
        log_error("the EULA page ended with exit code %d", r.status);
    return r;
}

static const char *ensure_token(void)
{
    const char *token = getenv("JUPYTER_TOKEN");
    if (token != NULL) {
        if (token[0] == '\0')
            log_warn("JUPYTER_TOKEN is set empty: Jupyter runs WITHOUT authentication");
        return token;
    }
    static char fresh[2 * 24 + 1]; /* 192 random bits */
    if (random_token(fresh, 24) != 0) {
        log_error("cannot get random bytes for the Jupyter token: %s", strerror(errno));
        return NULL;
    }
    if (setenv("JUPYTER_TOKEN", fresh, 1) != 0)
        return NULL;
    return fresh;
}

typedef int (*server_argv_fn)(const struct mml_settings *s, int allow_root, char *buf,
                              size_t buflen, char **argv, size_t max);

/* Becomes a Jupyter server (argv from build; key and command name the setting), with stdin
 * /dev/null: one Ctrl+C stops it, no "Shutdown? (y/n)" prompt. Returns only when its argv is too
 * long. status_fd as launch_exec's. */
static struct job_result exec_server(const struct mml_settings *s,
                                     const struct supervise_opts *base, int status_fd,
                                     server_argv_fn build, const char *key, const char *command)
{
    char buf[8192];
    char *argv[96];
    int allow_root = base->plan ? base->plan->job_is_root : 0;
    if (build(s, allow_root, buf, sizeof(buf), argv, 96) <= 0) {
        log_error("%s '%s' is too long", key, command);
        return own_error(EXIT_USAGE);
    }
    struct supervise_opts opts = *base;
    opts.stdin_null = true;
    launch_exec(argv, &opts, status_fd);
}

/* JupyterHub's single-user server: the hub's environment (JUPYTERHUB_SERVICE_URL, _PREFIX, the API
 * token) gives its port, URL prefix and authentication. No EULA page: nobody could reach it
 * through the hub, so a spawn without ACCEPT_EULA fails at once with one line for the admin. */
static struct job_result job_hub(const struct mml_settings *s, const struct supervise_opts *base,
                                 int status_fd)
{
    if (s->eula != EULA_ACCEPTED) {
        log_error("JupyterHub started this image but its EULA (%s) is %s: the hub's admin accepts "
                  "it for the hub's users with ACCEPT_EULA=yes in the spawner's environment "
                  "(c.Spawner.environment, or singleuser.extraEnv in zero-to-jupyterhub)",
                  s->eula_file,
                  s->eula == EULA_DECLINED ? "declined (ACCEPT_EULA=no)" : "not accepted");
        return own_error(EXIT_EULA_DECLINED);
    }
    if (setenv("JUPYTERHUB_ROOT_DIR", s->notebook_dir, 0) != 0) /* the hub's notebook_dir wins */
        return own_error(EXIT_OSERR);
    const char *user = getenv("JUPYTERHUB_USER"), *prefix = getenv("JUPYTERHUB_SERVICE_PREFIX");
    log_info("starting JupyterHub's single-user server for %s at %s in %s", user ? user : "?",
             prefix ? prefix : "/", getenv("JUPYTERHUB_ROOT_DIR"));
    return exec_server(s, base, status_fd, hub_argv, "hub_command", s->hub_command);
}

struct job_result job_notebook(const struct mml_settings *s, const struct supervise_opts *base,
                               int status_fd)
{
    if (job_spawned_by_hub())
        return job_hub(s, base, status_fd);
    if (s->eula == EULA_DECLINED)
        return eula_declined(s);
    if (s->eula == EULA_PENDING) {
        struct job_result r = run_eula_page(s, base);
        if (r.status != 0)
            return r;
    }
    const char *token = ensure_token();
    if (token == NULL)
        return own_error(EXIT_OSERR);
    log_info("starting Jupyter in %s on port %u", s->notebook_dir, s->port);
    if (token[0] != '\0')
        log_info("Jupyter URL: http://127.0.0.1:%u/?token=%s", s->port, token);
    else
        log_info("Jupyter URL: http://127.0.0.1:%u/", s->port);
    return exec_server(s, base, status_fd, jupyter_argv, "jupyter_command", s->jupyter_command);
}

int job_check_spark_mode(const struct mml_settings *s)
{
    if (s->spark_mode == MODE_WORKER && s->spark_master_url[0] == '\0') {
        log_error("SPARK_MODE=worker needs SPARK_MASTER_URL, the master to register with "
                  "(e.g. spark://master:7077)");
        return EXIT_USAGE;
    }
    if (s->spark_mode == MODE_CONNECT &&
        !spark_auth_requested(getenv("SPARK_AUTH_SECRET"), getenv("SPARK_AUTH_SECRET_FILE"))) {
        log_error("SPARK_MODE=connect needs the cluster's secret (SPARK_AUTH_SECRET_FILE or "
                  "SPARK_AUTH_SECRET): clients give it as their token");
        return EXIT_USAGE;
    }
    char secret[SPARK_AUTH_BUFSIZE], err[1024]; /* read here only to refuse a bad one at start */
    int rc = spark_auth_secret(getenv("SPARK_AUTH_SECRET"), getenv("SPARK_AUTH_SECRET_FILE"),
                               secret, err, sizeof(err));
    explicit_bzero(secret, sizeof(secret));
    if (rc != 0)
        log_error("%s", err);
    return rc;
}

char **spark_daemon_argv(const struct mml_settings *s)
{
    static char *argv[4];
    argv[0] = "spark-class";
    if (s->spark_mode == MODE_CONNECT || s->spark_mode == MODE_HISTORY) {
        argv[0] = "mmlspark-role"; /* image/connect/mmlspark-role: TLS, token, event logs */
        argv[1] = s->spark_mode == MODE_CONNECT ? "connect" : "history";
        argv[2] = NULL;
    } else if (s->spark_mode == MODE_MASTER) {
        argv[1] = "org.apache.spark.deploy.master.Master";
        argv[2] = NULL;
    } else {
        argv[1] = "org.apache.spark.deploy.worker.Worker";
        argv[2] = (char *)s->spark_master_url;
    }
    argv[3] = NULL;
    return argv;
}

struct job_result job_spark_daemon(const struct mml_settings *s,
                                   const struct supervise_opts *base, int status_fd)
{
    if (s->eula == EULA_DECLINED)
        return eula_declined(s);
    if (s->eula == EULA_PENDING)
        log_info("notice: the image's EULA (%s) is not accepted; accept it with "
                 "-e ACCEPT_EULA=yes",
                 s->eula_file);
    if (s->spark_mode == MODE_MASTER)
        log_info("starting Spark's standalone master");
    else if (s->spark_mode == MODE_WORKER)
        log_info("starting a Spark standalone worker for %s", s->spark_master_url);
    else if (s->spark_mode == MODE_CONNECT)
        log_info("starting Spark Connect's server for %s",
                 s->spark_master_url[0] ? s->spark_master_url : "local[*]");
    else
        log_info("starting Spark's history server");
    if ((s->spark_mode == MODE_MASTER || s->spark_mode == MODE_WORKER) &&
        !spark_auth_requested(getenv("SPARK_AUTH_SECRET"), getenv("SPARK_AUTH_SECRET_FILE")))
        log_warn("this Spark cluster is open: anyone who reaches its ports can run code in it; "
                 "close it with the same SPARK_AUTH_SECRET (or SPARK_AUTH_SECRET_FILE) on the "
                 "master, every worker and every driver");
    launch_exec(spark_daemon_argv(s), base, status_fd);
}
