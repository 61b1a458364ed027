/* main.c - mmlspark-setup: PID 1's one child (su's role). Parses and checks the arguments and
 * settings once, hands PID 1 what it needs, does the setup and becomes the job.
 *
 * The process tree of a container (docker run [--user root] IMAGE), and who holds what:
 *
 *   PID 1  mmlspark-init ARGS       static, libc only (tini's role; supervise_main.c): signals
 *     |                             blocked from its first instruction, forwards them, reaps
 *     |                             orphans, grace period, exit status (-e applies to the job's
 *     |                             codes only), saves the tty state
 *     |
 *     +-- mmlspark-setup --setup=FD:MASK ARGS    the setup, its one child: settings checked
 *           |                       (64/78 here), NB_UID/NB_GID, hooks (in children), the EULA
 *           |                       page; root when started as root. Then it becomes the job:
 *           |
 *           +-- EULA page (mmlspark-eula) only while the EULA is pending; binds the port as
 *           |     root, then drops to the notebook user; ends when accepted
 *           |
 *           = the job (exec), when it runs as the user who started the container (no drop):
 *           |     Jupyter / Spark daemon / COMMAND; own process group, the tty's foreground
 *           |
 *           = or, with a drop (--user root with NB_UID, NB_GID, hooks...): the session process
 *             root; holds the PAM session (opened before, closed after the job); on a tty it
 *             owns the outer terminal and relays it through a new pty
 *             |
 *             +-- the job as the notebook user, no capabilities: own session on the new pty
 *                 (its controlling tty), or own process group without a tty
 *
 * Roles come from what was exec'd, never from a variable a user can set: the setup believes
 * --setup=FD:MASK only when its parent holds the other end of pipe FD. On that pipe it sends
 * PID 1 the settings line, and later one of init's own exit codes, so that -e never remaps it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "exitcodes.h"
#include "job.h"
#include "log.h"
#include "priv.h"
#include "procutil.h"
#include "launch.h"
#include "supervise.h"
#include "tty.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: mmlspark-init [OPTIONS] [--] [COMMAND [ARGS...]]\n"
            "Runs COMMAND (default: SPARK_MODE's job: notebook = the EULA page then Jupyter;\n"
            "master / worker = Spark's standalone master / worker) as the only\n"
            "child of PID 1: forwards signals, reaps orphans, stops with a grace period and\n"
            "exits with the job's status (128+n if it was killed by signal n).\n"
            "\n"
            "  -c, --config FILE        read FILE (must exist) instead of %s\n"
            "  -e, --remap-exit CODE    exit 0 when the job exits with CODE (repeatable;\n"
            "                           never init's own codes below)\n"
            "  -g, --grace SECONDS      grace period before SIGKILL (default 5)\n"
            "  -p, --no-process-group   forward signals to the job only, not its process group\n"
            "      --print-config       print the effective settings and their origin, exit\n"
            "  -h, --help               this text\n"
            "  -V, --version            the version\n"
            "\n"
            "Exit codes: the job's; 64 bad usage or environment; 78 bad config file;\n"
            "126 command not executable; 127 command not found; 3 EULA declined;\n"
            "70 init's own failure (setup, NB_UID/NB_GID change, privilege drop); 77 PAM\n"
            "refused the session. -e never remaps init's own codes (3, 64, 70, 77, 78).\n",
            MML_DEFAULT_CONFIG);
}

struct cli {
    const char *config;
    bool config_required;
    bool print_config;
    char remap[1024];
    const char *grace;
    bool no_group;
    char **command;
};

static int parse_cli(int argc, char **argv, struct cli *cli)
{
    enum { OPT_PRINT_CONFIG = 256 };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"remap-exit", required_argument, NULL, 'e'},
        {"grace", required_argument, NULL, 'g'},
        {"no-process-group", no_argument, NULL, 'p'},
        {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(cli, 0, sizeof(*cli));
    cli->config = MML_DEFAULT_CONFIG;
    opterr = 0;
    int c;
    /* "+": options end at the first word of the command. */
    while ((c = getopt_long(argc, argv, "+:c:e:g:phV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cli->config = optarg;
            cli->config_required = true;
            break;
        case 'e': {
            size_t len = strlen(cli->remap);
            if (len + strlen(optarg) + 2 > sizeof(cli->remap)) {
                log_error("too many --remap-exit values");
                return EXIT_USAGE;
            }
            snprintf(cli->remap + len, sizeof(cli->remap) - len, "%s%s", len ? "," : "", optarg);
            break;
        }
        case 'g':
            cli->grace = optarg;
            break;
        case 'p':
            cli->no_group = true;
            break;
        case OPT_PRINT_CONFIG:
            cli->print_config = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("mmlspark-init %s\n", MMLSPARK_VERSION);
            exit(0);
        default:
            return settings_option_error(c, argv, optind);
        }
    }
    cli->command = argv[optind] ? &argv[optind] : NULL;
    return 0;
}

/* Settings: defaults, then the file (78 on error), then environment and arguments (64). */
static int load_settings(const struct cli *cli, struct mml_settings *s)
{
    const struct setting_arg args[] = {
        {SET_REMAP_EXIT, cli->remap[0] ? cli->remap : NULL},
        {SET_GRACE, cli->grace},
        {SET_KILL_GROUP, cli->no_group ? "no" : NULL},
    };
    return settings_load(s, cli->config, cli->config_required, args,
                         sizeof(args) / sizeof(args[0]));
}

/* "N,N,..." of the codes -e maps to 0, or "-". */
static void remap_list(const bool *remap, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int code = 0; code < 256; code++) {
        if (!remap[code])
            continue;
        int n = snprintf(buf + used, len - used, "%s%d", used ? "," : "", code);
        if (n < 0 || (size_t)n >= len - used)
            break; /* 256 codes fit in len (checked by the caller's buffer size) */
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(buf, len, "-");
}

/* Sends PID 1 the settings it needs: "S GRACE_MS FLAGS LOG_LEVEL REMAP\n" (supervise_main.c). */
static int send_settings(int status_fd, const struct mml_settings *s)
{
    char remap[1024], line[1200];
    remap_list(s->remap_exit, remap, sizeof(remap));
    int n = snprintf(line, sizeof(line), "S %ld %c %d %s\n",
                     (long)(s->grace_seconds * 1000.0 + 0.5), s->kill_group ? 'g' : '-',
                     (int)mlog_get_level(), remap);
    if (n > 0 && (size_t)n < sizeof(line) && write(status_fd, line, (size_t)n) == n)
        return 0;
    log_error("cannot hand the settings to PID 1: %s", strerror(errno));
    return EXIT_SOFTWARE;
}

/* True when fd is a pipe whose other end our parent holds: the status pipe mmlspark-init
 * made for its child. PID 1 (no parent here) and a process a user started never pass. */
static bool parent_holds_pipe(int fd)
{
    struct stat mine, theirs;
    pid_t parent = getppid();
    if (parent <= 0 || fstat(fd, &mine) != 0 || !S_ISFIFO(mine.st_mode))
        return false;
    char dir[64], path[96];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)parent);
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        snprintf(path, sizeof(path), "%s/%.20s", dir, e->d_name);
        found = e->d_name[0] != '.' && stat(path, &theirs) == 0 && S_ISFIFO(theirs.st_mode) &&
                theirs.st_dev == mine.st_dev && theirs.st_ino == mine.st_ino;
    }
    closedir(d);
    return found;
}

/* argv[1] "--setup=STATUS_FD:JOB_MASK" from mmlspark-init (PID 1), our parent: removed from
 * argv; 0, or -1 (one error line) when it is missing, bad, or our parent does not hold the other
 * end of that pipe: the role is never taken from what a user can pass. */
static int take_setup_link(int *argc, char **argv, int *status_fd, sigset_t *job_mask)
{
    size_t olen = strlen(SETUP_OPTION);
    int fd;
    unsigned long long bits;
    char end;
    if (*argc < 2 || strncmp(argv[1], SETUP_OPTION, olen) != 0 ||
        sscanf(argv[1] + olen, "%d:%llx%c", &fd, &bits, &end) != 2 || fd < 3 ||
        !parent_holds_pipe(fd)) {
        log_error("mmlspark-setup is started by mmlspark-init only (%sFD:MASK from its parent)",
                  SETUP_OPTION);
        return -1;
    }
    memmove(&argv[1], &argv[2], (size_t)(*argc - 1) * sizeof(*argv)); /* argv[argc] NULL too */
    (*argc)--;
    fcntl(fd, F_SETFD, FD_CLOEXEC); /* closed when the job is exec'd: nothing of ours reaches it */
    *status_fd = fd;
    sigemptyset(job_mask);
    for (int sig = 1; sig < NSIG && sig <= 64; sig++)
        if (bits & (1ULL << (sig - 1)))
            sigaddset(job_mask, sig);
    return 0;
}

/* Returns rc, first telling PID 1 that it is init's own code (so -e never remaps it). */
static int own_code(int status_fd, int rc)
{
    unsigned char c = (unsigned char)rc;
    if (status_fd >= 0 && rc != 0 && write(status_fd, &c, 1) != 1)
        log_debug("cannot report exit code %d to PID 1: %s", rc, strerror(errno));
    return rc;
}

static int run_setup(const struct mml_settings *s, const struct cli *cli, int status_fd,
                     const sigset_t *job_mask)
{
    if (cli->command)
        log_debug("mmlspark-init %s running '%s'", MMLSPARK_VERSION, cli->command[0]);
    else
        log_info("mmlspark-init %s: starting the %s job", MMLSPARK_VERSION, s->raw[SET_SPARK_MODE]);
    tty_init();
    struct priv_plan plan;
    int rc = priv_prepare(s, &plan);
    if (rc != 0)
        return own_code(status_fd, rc);
    /* A stop that came while hooks ran: do not start the job at all. */
    int pending = supervise_pending_stop();
    if (pending) {
        log_info("received %s before the job started: not starting it", sigabbrev_np(pending));
        return own_code(status_fd, 128 + pending);
    }
    struct supervise_opts opts = {.kill_group = s->kill_group,
                                  .grace_seconds = s->grace_seconds,
                                  .plan = &plan,
                                  .job_mask = job_mask};
    struct job_result r;
    if (cli->command) {
        if (s->eula != EULA_ACCEPTED)
            log_info("notice: the image's EULA (%s) is not accepted; accept it with "
                     "-e ACCEPT_EULA=yes",
                     s->eula_file);
        launch_exec(cli->command, &opts, status_fd);
    } else if (s->spark_mode == MODE_NOTEBOOK) {
        r = job_notebook(s, &opts, status_fd);
    } else {
        r = job_spark_daemon(s, &opts, status_fd);
    }
    /* Only the job's codes are remapped (by PID 1), never init's own (3, 64, 70, 77, 78...). */
    return r.own_error ? own_code(status_fd, r.status) : r.status;
}

int main(int argc, char **argv)
{
    if (mlog_init("mmlspark-init") != 0) {
        log_error("MMLSPARK_LOG='%s' is invalid: expected debug, info, warn or error",
                  getenv("MMLSPARK_LOG"));
        return EXIT_USAGE;
    }
    sigset_t job_mask;
    supervise_block_signals(&job_mask); /* already so from PID 1: what matters is --setup's */
    int status_fd = -1;
    if (take_setup_link(&argc, argv, &status_fd, &job_mask) != 0)
        return EXIT_USAGE;

    struct cli cli;
    int rc = parse_cli(argc, argv, &cli);
    if (rc != 0)
        return own_code(status_fd, rc);
    struct mml_settings s;
    rc = load_settings(&cli, &s);
    if (rc == 0 && cli.print_config) {
        settings_print(&s, stdout);
    } else if (rc == 0 && (rc = job_check_spark_mode(&s)) == 0 &&
               (rc = send_settings(status_fd, &s)) == 0) {
        rc = run_setup(&s, &cli, status_fd, &job_mask); /* reports init's own codes itself */
        settings_free(&s);
        return rc;
    }
    settings_free(&s);
    return own_code(status_fd, rc);
}
