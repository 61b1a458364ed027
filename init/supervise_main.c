/* supervise_main.c - mmlspark-supervise: the supervise-only PID 1 that mmlspark-init execs once
 * all setup is done (config, users, PAM, hooks, EULA page) and the final job is forked. It links
 * libc only and maps nothing it does not use: long-lived PID 1 stays as small as tini.
 *
 * Usage (by mmlspark-init only, which passes argv[0] "mmlspark-init" so that ps and docker top
 * still show the container's init as such):
 *   mmlspark-init --supervise CHILD RELEASE_FD STATUS_FD GRACE FLAGS LOG_LEVEL REMAP
 * CHILD: the forked job (or session process), our child; RELEASE_FD: closed once we are ready,
 * the child waits for it; STATUS_FD: the child's report of one of init's own errors; GRACE:
 * milliseconds; FLAGS: 'g' or '-' (signal the job's process group) then 's' or '-' (CHILD is the session
 * process holding PAM); LOG_LEVEL: 0..3; REMAP: comma list of exit codes that become 0, or '-'.
 * The blocked signal mask, pending signals, the subreaper mark and the child survive the exec.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envparse.h"
#include "exitcodes.h"
#include "log.h"
#include "supervise.h"
#include "tty.h"

int main(int argc, char **argv)
{
    mlog_init("mmlspark-init"); /* its messages are init's */
    sigset_t job_mask;
    supervise_block_signals(&job_mask);
    unsigned long child, release_fd, status_fd, level, grace_ms;
    bool remap[256] = {false};
    if (argc != 9 || strcmp(argv[1], "--supervise") != 0) {
        log_error("mmlspark-supervise is started by mmlspark-init only (bad arguments)");
        return EXIT_USAGE;
    }
    argv++; /* past --supervise: argv[1] is CHILD */
    /* The lib's parsers (envparse.c): calling them maps only the strtoul pages of libc. */
    if (parse_ulong(argv[1], 1, 0x7fffffff, &child) ||
        parse_ulong(argv[2], 0, 1 << 20, &release_fd) ||
        parse_ulong(argv[3], 0, 1 << 20, &status_fd) ||
        parse_ulong(argv[4], 0, 3600 * 1000, &grace_ms) || strlen(argv[5]) != 2 ||
        parse_ulong(argv[6], MLOG_DEBUG, MLOG_ERROR, &level) ||
        (strcmp(argv[7], "-") != 0 && parse_exit_code_list(argv[7], remap) != 0)) {
        log_error("mmlspark-supervise is started by mmlspark-init only (bad arguments)");
        return EXIT_USAGE;
    }
    siginfo_t info = {0};
    if (waitid(P_PID, (id_t)child, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        log_error("mmlspark-supervise: pid %lu is not our child", child);
        return EXIT_USAGE;
    }
    mlog_set_level((enum mlog_level)level);
    supervise_become_reaper(false); /* kept across exec; set again in case */
    tty_init();
    close((int)release_fd); /* the job may take the terminal now: its state is saved */

    struct supervise_opts opts = {
        .kill_group = argv[5][0] == 'g',
        .grace_seconds = (double)grace_ms / 1000.0,
        .session = argv[5][1] == 's',
        .job_mask = &job_mask,
    };
    struct job_result r = supervise_child((pid_t)child, &opts, (int)status_fd);
    if (!r.own_error && remap[r.status]) {
        log_debug("exit code %d remapped to 0", r.status);
        r.status = 0;
    }
    return r.status;
}
