/* main.c - mmlspark-eula: serve the license page until it is accepted (exit 0) or declined
 * (exit 3); bind as whoever started us, then serve as an unprivileged user. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "eula.h"
#include "listen.h"
#include "log.h"
#include "nonce.h"
#include "page.h"
#include "priv.h"
#include "server.h"
#include "smallfile.h"
#include "stopsig.h"

struct cli {
    const char *config;
    bool config_required;
    const char *port;
    const char *eula_file;
    const char *listen;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: mmlspark-eula [OPTIONS]\n"
        "Serves the image's license terms on the Jupyter port until they are accepted in a\n"
        "browser (exit 0; the port is free for Jupyter right after) or declined (exit 3).\n"
        "\n"
        "  -c, --config FILE      read FILE (must exist) instead of %s\n"
        "  -p, --port N           port (default: MMLSPARK_JUPYTER_PORT, else 8888)\n"
        "  -f, --eula-file FILE   the license text (absolute path; default: MMLSPARK_EULA_FILE\n"
        "                         or the config file's eula_file)\n"
        "  -l, --listen ADDRESS   one numeric address only (default: all IPv4 and IPv6)\n"
        "  -h, --help             this text\n"
        "  -V, --version          the version\n"
        "\n"
        "Exit codes: 0 accepted; 3 declined; 64 bad usage or environment; 78 bad config file;\n"
        "1 runtime failure (e.g. port in use); 128+n stopped by signal n.\n",
        MML_DEFAULT_CONFIG);
}

static int parse_cli(int argc, char **argv, struct cli *cli)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"port", required_argument, NULL, 'p'},
        {"eula-file", required_argument, NULL, 'f'},
        {"listen", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(cli, 0, sizeof(*cli));
    cli->config = MML_DEFAULT_CONFIG;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:p:f:l:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cli->config = optarg;
            cli->config_required = true;
            break;
        case 'p':
            cli->port = optarg;
            break;
        case 'f':
            cli->eula_file = optarg;
            break;
        case 'l':
            cli->listen = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("mmlspark-eula %s\n", MMLSPARK_VERSION);
            exit(0);
        default:
            return settings_option_error(c, argv, optind);
        }
    }
    if (optind < argc) {
        log_error("unexpected argument '%s' (see --help)", argv[optind]);
        return EXIT_USAGE;
    }
    return 0;
}

/* Same order as mmlspark-init: defaults, file (78), environment and arguments (64). */
static int load_settings(const struct cli *cli, struct mml_settings *s)
{
    const struct setting_arg args[] = {{SET_PORT, cli->port}, {SET_EULA_FILE, cli->eula_file}};
    return settings_load(s, cli->config, cli->config_required, args,
                         sizeof(args) / sizeof(args[0]));
}

/* Reads the whole license text (at most EULA_TEXT_MAX bytes) into a malloc'ed buffer. */
static char *read_text(const char *path, size_t *len)
{
    char *text = smallfile_load(path, 0, 0, EULA_TEXT_MAX, len, NULL);
    if (text == NULL && errno == EFBIG)
        log_error("the EULA file %s is larger than %d bytes", path, EULA_TEXT_MAX);
    else if (text == NULL)
        log_error("cannot open the EULA file %s: %s", path, strerror(errno));
    return text;
}

/* Many idle browsers and proxies need many fds: take the whole hard limit. */
static unsigned long raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY ? 65536 : rl.rlim_max;
        struct rlimit up = {want, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl.rlim_cur = want;
    }
    return rl.rlim_cur == RLIM_INFINITY ? 65536 : (unsigned long)rl.rlim_cur;
}

/* Waits for a stop signal or for the server's notice that the choice has been answered; every
 * second, closes the requests that outstayed the deadline. */
static int wait_for_outcome(int sig_fd, int event_fd, struct eula_server *srv)
{
    struct pollfd fds[2] = {{.fd = sig_fd, .events = POLLIN}, {.fd = event_fd, .events = POLLIN}};
    for (;;) {
        server_sweep(srv);
        if (poll(fds, 2, 1000) < 0) {
            if (errno == EINTR)
                continue;
            log_error("poll: %s", strerror(errno));
            return EULA_EXIT_FAILURE;
        }
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                log_info("stopped by signal %u before a choice was made", si.ssi_signo);
                return 128 + (int)si.ssi_signo;
            }
        }
        if (fds[1].revents & POLLIN) {
            uint64_t n;
            if (read(event_fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
                return server_choice(srv) == CHOICE_ACCEPT ? EULA_EXIT_ACCEPTED
                                                           : EULA_EXIT_DECLINED;
        }
    }
}

static int serve(const struct mml_settings *s, const char *address)
{
    sigset_t stop;
    stop_signal_set(&stop);
    /* Blocked before any thread exists, so only signalfd in this thread sees them. */
    int sig_fd = -1, event_fd = -1;
    if (sigprocmask(SIG_BLOCK, &stop, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
        (sig_fd = signalfd(-1, &stop, SFD_CLOEXEC)) < 0 ||
        (event_fd = eventfd(0, EFD_CLOEXEC)) < 0) {
        log_error("cannot set up signal handling: %s", strerror(errno));
        return EULA_EXIT_FAILURE;
    }

    char err[512];
    bool dual = false;
    int listen_fd = listen_open(address, s->port, &dual, err, sizeof(err));
    if (listen_fd < 0) {
        log_error("%s", err);
        return EULA_EXIT_FAILURE;
    }
    unsigned long max_fds = raise_fd_limit();
    if (priv_drop(s->user, err, sizeof(err)) != 0) {
        if (err[0])
            log_error("%s", err);
        return EULA_EXIT_FAILURE;
    }
    /* From here on nothing runs as root: reading, escaping and HTTP parsing. */
    char nonce[NONCE_HEX_LEN + 1];
    if (nonce_generate(nonce) != 0) {
        log_error("cannot get random bytes for the form nonce: %s", strerror(errno));
        return EULA_EXIT_FAILURE;
    }
    size_t text_len = 0;
    char *text = read_text(s->eula_file, &text_len);
    if (text == NULL)
        return EULA_EXIT_FAILURE;
    struct page page;
    int rc = page_render_eula(text, text_len, nonce, &page);
    free(text);
    if (rc != 0) {
        log_error("cannot render the license page: out of memory");
        return EULA_EXIT_FAILURE;
    }
    struct server_limits lim;
    server_default_limits(&lim, max_fds);
    struct eula_server *srv = server_start(listen_fd, dual, &page, nonce, event_fd, &lim);
    if (srv == NULL) {
        page_free(&page);
        return EULA_EXIT_FAILURE;
    }
    log_info("serving the license terms on http://localhost:%u/ (%s)", s->port,
             address ? address
             : dual  ? "all IPv4 and IPv6 addresses"
                     : "all IPv4 addresses");
    rc = wait_for_outcome(sig_fd, event_fd, srv);
    server_stop(srv); /* closes the listening socket: Jupyter can bind now */
    page_free(&page);
    close(sig_fd);
    close(event_fd);
    if (rc == EULA_EXIT_ACCEPTED)
        log_info("license terms accepted in the browser; port %u is free for Jupyter", s->port);
    else if (rc == EULA_EXIT_DECLINED)
        log_info("license terms declined in the browser; to accept later, run with "
                 "-e ACCEPT_EULA=yes");
    return rc;
}

int main(int argc, char **argv)
{
    if (mlog_init("mmlspark-eula") != 0) {
        log_error("MMLSPARK_LOG='%s' is invalid: expected debug, info, warn or error",
                  getenv("MMLSPARK_LOG"));
        return EXIT_USAGE;
    }
    struct cli cli;
    int rc = parse_cli(argc, argv, &cli);
    if (rc != 0)
        return rc;
    struct mml_settings s;
    rc = load_settings(&cli, &s);
    if (rc == 0)
        rc = serve(&s, cli.listen);
    settings_free(&s);
    return rc;
}
