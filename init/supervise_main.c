/* supervise_main.c - mmlspark-supervise: PID 1 of the container (tini's role). mmlspark-init
 * parses and checks the settings, then execs this program before any child exists; it starts
 * mmlspark-init again as its one child, the setup (users, hooks, the EULA page) that becomes the
 * job or the session holding it (su's role), and supervises that child to the end. It links libc
 * only: PID 1 stays as small as tini in every phase.
 *
 * State comes by argv (the user's, unchanged: ps shows "mmlspark-init ARGS") and the environment:
 *   MMLSPARK_SUPERVISOR="GRACE_MS FLAGS LOG_LEVEL REMAP JOB_MASK" (set by mmlspark-init, removed
 *   here): GRACE_MS milliseconds; FLAGS 'g' or '-' (signal the child's process group); LOG_LEVEL
 *   0..3; REMAP a comma list of exit codes that become 0, or '-'; JOB_MASK the signal mask the
 *   job starts with, in hex.
 * The child is exec'd as "mmlspark-init --setup=STATUS_FD:JOB_MASK ARGS": its role comes from argv
 * (and mmlspark-init checks that its parent runs this program), never from a variable a user can
 * set. STATUS_FD is the pipe on which it reports one of init's own exit codes (so -e never
 * remaps it). It ends as the job (exec) or the session process; the setup's own exit status or
 * the job's is this program's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envparse.h"
#include "exitcodes.h"
#include "log.h"
#include "procutil.h"
#include "supervise.h"
#include "tty.h"

#define SETUP_NAME "mmlspark-init"

/* The setup program: mmlspark-init, next to this program. */
static char setup_program[PATH_MAX];

static int setup_path(void)
{
    struct stat st;
    return sibling_program(SETUP_NAME, setup_program, sizeof(setup_program)) == 0
               ? stat(setup_program, &st)
               : -1;
}

/* While the child still runs mmlspark-init it may hold a PAM session (it is the session
 * process): at the end of the grace period it is asked to close it (supervise.c). */
static bool child_runs_setup(pid_t child)
{
    return pid_runs_program(child, setup_program);
}

static int parse_state(const char *v, struct supervise_opts *opts, bool *remap, char *mask_hex,
                       size_t mask_len)
{
    char grace[24], flags[4], level[4], codes[1024], mask[24];
    unsigned long grace_ms, lvl;
    if (v == NULL || sscanf(v, "%23s %3s %3s %1023s %23s", grace, flags, level, codes, mask) != 5 ||
        parse_ulong(grace, 0, 3600 * 1000, &grace_ms) != 0 || strlen(flags) != 1 ||
        parse_ulong(level, MLOG_DEBUG, MLOG_ERROR, &lvl) != 0 ||
        (strcmp(codes, "-") != 0 && parse_exit_code_list(codes, remap) != 0))
        return -1;
    opts->grace_seconds = (double)grace_ms / 1000.0;
    opts->kill_group = flags[0] == 'g';
    mlog_set_level((enum mlog_level)lvl);
    snprintf(mask_hex, mask_len, "%s", mask);
    return 0;
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

int main(int argc, char **argv)
{
    /* ps -e, top and pgrep show the comm name: PID 1 is mmlspark-init to them, as in its argv. */
    prctl(PR_SET_NAME, "mmlspark-init", 0, 0, 0);
    mlog_init("mmlspark-init"); /* its messages are init's */
    sigset_t job_mask;
    supervise_block_signals(&job_mask);
    struct supervise_opts opts = {.job_mask = &job_mask, .holds_session = child_runs_setup};
    bool remap[256] = {false};
    char mask_hex[24];
    if (parse_state(getenv("MMLSPARK_SUPERVISOR"), &opts, remap, mask_hex, sizeof(mask_hex)) != 0 ||
        setup_path() != 0) {
        log_error("mmlspark-supervise is started by mmlspark-init only (bad MMLSPARK_SUPERVISOR "
                  "or no %s next to it)",
                  SETUP_NAME);
        return EXIT_USAGE;
    }
    unsetenv("MMLSPARK_SUPERVISOR");
    supervise_become_reaper(true);
    tty_init();
    int status_fd = -1;
    pid_t child = start_setup(setup_program, argc, argv, mask_hex, &status_fd);
    if (child < 0) {
        log_error("cannot start the setup: %s", strerror(errno));
        return EXIT_SOFTWARE;
    }
    struct job_result r = supervise_child(child, &opts, status_fd);
    close(status_fd);
    if (!r.own_error && remap[r.status]) {
        log_debug("exit code %d remapped to 0", r.status);
        r.status = 0;
    }
    return r.status;
}
