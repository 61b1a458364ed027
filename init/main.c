/* main.c - mmlspark-init: parse arguments and settings once, do all setup, then hand the job over
 * to the supervise-only PID 1.
 *
 * The process tree of a container (docker run [--user root] IMAGE), and who holds what:
 *
 *   PID 1  mmlspark-init            setup: settings, NB_UID/NB_GID, hooks (in children), the
 *     |                             EULA page; root when started as root; saves the tty state
 *     |    --exec--> mmlspark-supervise   once the final job is forked: same pid, libc only;
 *     |                             forwards signals, reaps orphans, grace period, exit status
 *     |
 *     +-- EULA page (mmlspark-eula) only while the EULA is pending; binds the port as root, then
 *     |     drops to the notebook user; ends when accepted. Then, in the same PID 1:
 *     |
 *     +-- the job, when it runs as the user who started the container (no drop):
 *     |     Jupyter / Spark daemon / COMMAND; own process group, the tty's foreground
 *     |
 *     +-- or, with a drop (--user root with NB_UID, NB_GID, hooks...): the session process
 *           root; holds the PAM session (opened before, closed after the job); on a tty it owns
 *           the outer terminal and relays it through a new pty
 *           |
 *           +-- the job as the notebook user, no capabilities: own session on the new pty
 *               (its controlling tty), or own process group without a tty
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "exitcodes.h"
#include "job.h"
#include "log.h"
#include "priv.h"
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

int main(int argc, char **argv)
{
    if (mlog_init("mmlspark-init") != 0) {
        log_error("MMLSPARK_LOG='%s' is invalid: expected debug, info, warn or error",
                  getenv("MMLSPARK_LOG"));
        return EXIT_USAGE;
    }
    sigset_t job_mask;
    supervise_block_signals(&job_mask);

    struct cli cli;
    int rc = parse_cli(argc, argv, &cli);
    if (rc != 0)
        return rc;
    struct mml_settings s;
    rc = load_settings(&cli, &s);
    if (rc != 0) {
        settings_free(&s);
        return rc;
    }
    if (cli.print_config) {
        settings_print(&s, stdout);
        settings_free(&s);
        return 0;
    }

    rc = job_check_spark_mode(&s);
    if (rc != 0) {
        settings_free(&s);
        return rc;
    }
    if (cli.command)
        log_debug("mmlspark-init %s running '%s'", MMLSPARK_VERSION, cli.command[0]);
    else
        log_info("mmlspark-init %s: starting the %s job", MMLSPARK_VERSION, s.raw[SET_SPARK_MODE]);
    supervise_become_reaper(true);
    tty_init();
    struct priv_plan plan;
    rc = priv_prepare(&s, &plan);
    if (rc != 0) {
        settings_free(&s);
        return rc;
    }
    /* A stop that came while hooks ran: do not start the job at all. */
    int pending = supervise_pending_stop();
    if (pending) {
        log_info("received %s before the job started: not starting it", sigabbrev_np(pending));
        settings_free(&s);
        return 128 + pending;
    }
    struct supervise_opts opts = {.kill_group = s.kill_group,
                                  .grace_seconds = s.grace_seconds,
                                  .plan = &plan,
                                  .session = plan.drop,
                                  .job_mask = &job_mask,
                                  .remap = s.remap_exit};

    struct job_result r;
    if (cli.command) {
        if (s.eula != EULA_ACCEPTED)
            log_info("notice: the image's EULA (%s) is not accepted; accept it with "
                     "-e ACCEPT_EULA=yes",
                     s.eula_file);
        r = launch_hand_over(cli.command, &opts);
    } else if (s.spark_mode == MODE_NOTEBOOK) {
        r = job_notebook(&s, &opts);
    } else {
        r = job_spark_daemon(&s, &opts);
    }
    /* Only the job's codes are remapped, never init's own (3, 64, 70, 77, 78...). */
    rc = r.status;
    if (!r.own_error && rc >= 0 && rc < 256 && s.remap_exit[rc]) {
        log_debug("exit code %d remapped to 0", rc);
        rc = 0;
    }
    settings_free(&s);
    return rc;
}
