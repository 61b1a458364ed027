/* launch.c - start the job: fork it, then supervise it here (the EULA page) or hand it over to
 * the supervise-only PID 1, mmlspark-supervise (the final job), like s6's chain loading. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "exitcodes.h"
#include "launch.h"
#include "log.h"
#include "priv.h"
#include "procutil.h"
#include "supervise.h"
#include "tty.h"

#define SUPERVISOR_NAME "mmlspark-supervise"

struct launched {
    pid_t child;
    int release_fd; /* closing it lets the child go on (after the supervisor took the tty state) */
    int status_fd;  /* the child's report of one of init's own errors (see supervise_child) */
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* ---- the child ---- */

/* Keeps only the settings' variables (config.h), PATH and the locale: what the EULA page reads. */
static void keep_settings_env(void)
{
    static const char *const extra[] = {"PATH", "LANG", "LC_ALL", "TZ"};
    const char *names[SET_COUNT + sizeof(extra) / sizeof(extra[0])];
    char *values[sizeof(names) / sizeof(names[0])];
    size_t n = 0;
    for (int id = 0; id < SET_COUNT; id++)
        if (setting_env_name((enum setting_id)id) != NULL)
            names[n++] = setting_env_name((enum setting_id)id);
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
        names[n++] = extra[i];
    for (size_t i = 0; i < n; i++) {
        const char *v = getenv(names[i]);
        values[i] = v ? strdup(v) : NULL;
    }
    clearenv();
    for (size_t i = 0; i < n; i++)
        if (values[i] != NULL)
            setenv(names[i], values[i], 1); /* the copies live until the exec */
}

static void exec_child(char *const argv[], const struct supervise_opts *opts, int release_fd,
                       int status_fd)
{
    setpgid(0, 0);
    char c;
    while (read(release_fd, &c, 1) < 0 && errno == EINTR)
        ;
    close(release_fd);
    tty_give_foreground_self();
    if (opts->stdin_null) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            dup2(fd, STDIN_FILENO);
            close(fd);
        }
    }
    if (opts->settings_env_only)
        keep_settings_env();
    if (opts->plan && opts->plan->drop) {
        /* The session process reads these (session.c): -p / kill_process_group, and where to
         * report a failure of its own (PAM) so that -e never remaps it. */
        char fd[16];
        snprintf(fd, sizeof(fd), "%d", status_fd);
        setenv("MMLSPARK_KILL_GROUP", opts->kill_group ? "yes" : "no", 1);
        setenv(MML_SESSION_STATUS_ENV, fd, 1);
        priv_enter(opts->plan, argv); /* never returns */
    }
    exec_with_default_signals(argv, opts->job_mask, true);
}

static int launch(char *const argv[], const struct supervise_opts *opts, struct launched *l)
{
    int rel[2], st[2];
    if (pipe2(rel, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(st, O_CLOEXEC) != 0) {
        close(rel[0]);
        close(rel[1]);
        return -1;
    }
    l->child = fork();
    if (l->child < 0) {
        int err = errno;
        close(rel[0]);
        close(rel[1]);
        close(st[0]);
        close(st[1]);
        errno = err;
        return -1;
    }
    if (l->child == 0) {
        close(rel[1]);
        close(st[0]);
        exec_child(argv, opts, rel[0], st[1]);
    }
    setpgid(l->child, l->child); /* also in the parent: no race with the first signal */
    log_debug("started '%s' as pid %d", argv[0], (int)l->child);
    close(rel[0]);
    close(st[1]);
    l->release_fd = rel[1];
    l->status_fd = st[0];
    return 0;
}

static struct job_result supervise_here(struct launched *l, const struct supervise_opts *opts)
{
    close_fd(&l->release_fd);
    struct job_result r = supervise_child(l->child, opts, l->status_fd);
    close_fd(&l->status_fd);
    return r;
}

struct job_result launch_run_here(char *const argv[], const struct supervise_opts *opts)
{
    struct launched l;
    if (launch(argv, opts, &l) != 0) {
        log_error("cannot start the job: %s", strerror(errno));
        return (struct job_result){.status = EXIT_SOFTWARE, .own_error = true};
    }
    return supervise_here(&l, opts);
}

/* The supervisor lives next to this program (the same directory once installed, and in the build
 * tree). */
static int supervisor_path(char *path, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", path, len - 1);
    if (n <= 0)
        return -1;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash == NULL || (size_t)(slash - path) + sizeof("/" SUPERVISOR_NAME) > len)
        return -1;
    strcpy(slash + 1, SUPERVISOR_NAME);
    return 0;
}

static void remap_list(const bool *remap, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int code = 0; remap && code < 256; code++) {
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

struct job_result launch_hand_over(char *const argv[], const struct supervise_opts *opts)
{
    struct launched l;
    if (launch(argv, opts, &l) != 0) {
        log_error("cannot start the job: %s", strerror(errno));
        return (struct job_result){.status = EXIT_SOFTWARE, .own_error = true};
    }
    char path[PATH_MAX];
    if (supervisor_path(path, sizeof(path)) == 0) {
        char pid[16], rel[16], st[16], grace[32], flags[8], level[4], remap[1024];
        snprintf(pid, sizeof(pid), "%d", (int)l.child);
        snprintf(rel, sizeof(rel), "%d", l.release_fd);
        snprintf(st, sizeof(st), "%d", l.status_fd);
        snprintf(grace, sizeof(grace), "%ld", (long)(opts->grace_seconds * 1000.0 + 0.5));
        snprintf(flags, sizeof(flags), "%c%c", opts->kill_group ? 'g' : '-',
                 opts->session ? 's' : '-');
        snprintf(level, sizeof(level), "%d", (int)mlog_get_level());
        remap_list(opts->remap, remap, sizeof(remap));
        /* ps and docker top show PID 1 as "mmlspark-init --supervise ..." (its comm is
         * mmlspark-superv): still the container's mmlspark-init to a user. */
        char *const sv_argv[] = {"mmlspark-init", "--supervise", pid,   rel,   st,
                                 grace,           flags,         level, remap, NULL};
        /* The two pipe ends must survive the exec; the child's mask and pending signals do. */
        fcntl(l.release_fd, F_SETFD, 0);
        fcntl(l.status_fd, F_SETFD, 0);
        fflush(NULL);
        execv(path, sv_argv);
        log_debug("cannot run %s (%s): supervising in this process", path, strerror(errno));
        fcntl(l.release_fd, F_SETFD, FD_CLOEXEC);
        fcntl(l.status_fd, F_SETFD, FD_CLOEXEC);
    }
    return supervise_here(&l, opts);
}
