/* supervise_main.c - mmlspark-init: PID 1 of the container (tini's role), the image's
 * entrypoint. It blocks every signal before anything else (a stop that comes while the container
 * starts waits for it, never lost), starts mmlspark-setup as its one child, the setup (settings,
 * users, hooks, the EULA page) that becomes the job or the session holding it (su's role), and
 * supervises that child to the end. It links libc only (musl in the image): PID 1 stays smaller
 * than tini in every phase, and the container's start costs one exec of it.
 *
 * The child is exec'd as "mmlspark-setup --setup=STATUS_FD:JOB_MASK ARGS" (ARGS: ours, unchanged,
 * so ps shows PID 1 as "mmlspark-init ARGS"): its role comes from argv, never from a variable a
 * user can set. On the pipe STATUS_FD the setup first sends its checked settings, a line
 * "S GRACE_MS FLAGS LOG_LEVEL REMAP" (FLAGS 'g' or '-': signal the child's process group; REMAP a
 * comma list of exit codes that become 0, or '-'), and later, if it fails, one of init's own exit
 * codes as one byte (so -e never remaps it). It ends as the job (exec) or the session process;
 * the setup's own exit status or the job's is this program's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envparse.h"
#include "exitcodes.h"
#include "log.h"
#include "procutil.h"
#include "supervise.h"
#include "tty.h"

#define SETUP_NAME "mmlspark-setup"

/* The setup program: mmlspark-setup, next to this program. */
static char setup_program[PATH_MAX];

static int setup_path(void)
{
    struct stat st;
    return sibling_program(SETUP_NAME, setup_program, sizeof(setup_program)) == 0
               ? stat(setup_program, &st)
               : -1;
}

/* While the child still runs mmlspark-setup it may hold a PAM session (it is the session
 * process): at the end of the grace period it is asked to close it (supervise.c). */
static bool child_runs_setup(pid_t child)
{
    return pid_runs_program(child, setup_program);
}

/* The setup's settings line "S GRACE_MS FLAGS LOG_LEVEL REMAP" (without its newline). */
static int parse_settings(const char *v, struct supervise_opts *opts, bool *remap)
{
    char grace[24], flags[4], level[4], codes[1024];
    unsigned long grace_ms, lvl;
    if (sscanf(v, "S %23s %3s %3s %1023s", grace, flags, level, codes) != 4 ||
        parse_ulong(grace, 0, 3600 * 1000, &grace_ms) != 0 || strlen(flags) != 1 ||
        parse_ulong(level, MLOG_DEBUG, MLOG_ERROR, &lvl) != 0 ||
        (strcmp(codes, "-") != 0 && parse_exit_code_list(codes, remap) != 0))
        return -1;
    opts->grace_seconds = (double)grace_ms / 1000.0;
    opts->kill_group = flags[0] == 'g';
    mlog_set_level((enum mlog_level)lvl);
    return 0;
}

/* Reads the setup's first message: 1 and the settings when it is the settings line; 0 when the
 * setup ends without one (--help, --print-config, a bad setting), with *own set to the own exit
 * code it sent instead, or -1 when none. Signals stay pending meanwhile. */
static int read_settings(int fd, struct supervise_opts *opts, bool *remap, int *own)
{
    char line[1200];
    size_t len = 0;
    *own = -1;
    while (len < sizeof(line) - 1) {
        ssize_t n = read(fd, line + len, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (len == 0 && line[0] != 'S') {
            *own = (unsigned char)line[0];
            return 0;
        }
        if (line[len++] == '\n') {
            line[len - 1] = '\0';
            return parse_settings(line, opts, remap) == 0 ? 1 : 0;
        }
    }
    return 0;
}

/* The blocked signals of mask as hex bits (bit n-1 for signal n). */
static void mask_hex_of(const sigset_t *mask, char *buf, size_t len)
{
    unsigned long long bits = 0;
    for (int sig = 1; sig < NSIG && sig <= 64; sig++)
        if (sigismember(mask, sig) == 1)
            bits |= 1ULL << (sig - 1);
    snprintf(buf, len, "%llx", bits);
}

static pid_t start_setup(const char *path, int argc, char **argv, const char *mask_hex,
                         int *status_fd)
{
    int st[2];
    if (pipe2(st, O_CLOEXEC) != 0)
        return -1;
    /* argv with the role inserted: argv[0], --setup=FD:MASK, the user's arguments. */
    char **child_argv = calloc((size_t)argc + 2, sizeof(*child_argv));
    if (child_argv == NULL) {
        close(st[0]);
        close(st[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        free(child_argv);
        close(st[0]);
        close(st[1]);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        tty_give_foreground_self();
        char setup[64];
        snprintf(setup, sizeof(setup), "%s%d:%s", SETUP_OPTION, st[1], mask_hex);
        fcntl(st[1], F_SETFD, 0);
        child_argv[0] = argv[0];
        child_argv[1] = setup;
        for (int i = 1; i < argc; i++)
            child_argv[i + 1] = argv[i];
        execv(path, child_argv); /* signals stay blocked: the setup takes them synchronously */
        log_error("cannot run %s: %s", path, strerror(errno));
        _exit(EXIT_SOFTWARE);
    }
    free(child_argv);
    setpgid(pid, pid); /* also here: no race with the first forwarded signal */
    close(st[1]);
    *status_fd = st[0];
    return pid;
}

/* No settings came: the setup ended (or will) on its own; its status, or its own code, is ours. */
static int setup_ended(pid_t child, int own)
{
    int wstatus;
    while (waitpid(child, &wstatus, 0) < 0)
        if (errno != EINTR)
            return EXIT_SOFTWARE;
    return own >= 0 ? own : wait_status_code(wstatus);
}

int main(int argc, char **argv)
{
    /* First of all: a stop that comes from now on waits, blocked, until the loop takes it. */
    sigset_t job_mask;
    supervise_block_signals(&job_mask);
    mlog_init("mmlspark-init"); /* a bad MMLSPARK_LOG: the setup says so and exits 64 */
    if (setup_path() != 0) {
        log_error("cannot find %s next to mmlspark-init: %s", SETUP_NAME, strerror(errno));
        return EXIT_SOFTWARE;
    }
    tty_init();
    char mask_hex[24];
    mask_hex_of(&job_mask, mask_hex, sizeof(mask_hex));
    int status_fd = -1;
    pid_t child = start_setup(setup_program, argc, argv, mask_hex, &status_fd);
    if (child < 0) {
        log_error("cannot start the setup: %s", strerror(errno));
        return EXIT_SOFTWARE;
    }
    struct supervise_opts opts = {.job_mask = &job_mask, .holds_session = child_runs_setup};
    bool remap[256] = {false};
    int own;
    if (read_settings(status_fd, &opts, remap, &own) != 1) {
        close(status_fd);
        return setup_ended(child, own);
    }
    supervise_become_reaper(true);
    struct job_result r = supervise_child(child, &opts, status_fd);
    close(status_fd);
    if (!r.own_error && remap[r.status]) {
        log_debug("exit code %d remapped to 0", r.status);
        r.status = 0;
    }
    return r.status;
}
