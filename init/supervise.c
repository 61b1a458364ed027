/* supervise.c - the supervisor: states, the signal loop, reaping and the stop sequence. */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "procutil.h"
#include "tty.h"

enum sup_state {
    ST_RUNNING,  /* the job runs */
    ST_STOPPING, /* a stop signal came: the job has the grace period to end */
    ST_DRAINING, /* the job ended: its stragglers have the grace period to end */
    ST_DONE
};

struct supervisor {
    enum sup_state state;
    pid_t child;
    int status;
    int stop_signal;
    bool killed;              /* SIGKILL already sent */
    struct timespec deadline; /* end of the grace period, when one runs */
    bool deadline_set;
    const struct supervise_opts *opts;
};

static sigset_t all_signals;
static sigset_t original_mask;

void supervise_block_signals(void)
{
    sigfillset(&all_signals);
    /* Signals that report a fault in init itself stay deliverable. */
    sigdelset(&all_signals, SIGSEGV);
    sigdelset(&all_signals, SIGBUS);
    sigdelset(&all_signals, SIGILL);
    sigdelset(&all_signals, SIGFPE);
    sigdelset(&all_signals, SIGABRT);
    sigdelset(&all_signals, SIGTRAP);
    sigdelset(&all_signals, SIGSYS);
    if (sigprocmask(SIG_BLOCK, &all_signals, &original_mask) != 0) {
        log_error("cannot block signals: %s", strerror(errno));
        exit(EXIT_SOFTWARE);
    }
}

void supervise_become_reaper(void)
{
    if (getpid() == 1)
        return;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
        log_info("not PID 1 (pid %d): registered as child subreaper, orphans are reaped here",
                 (int)getpid());
    else
        log_warn("not PID 1 and cannot become a child subreaper: %s; orphans go to PID 1",
                 strerror(errno));
}

int supervise_pending_stop(void)
{
    sigset_t pending;
    if (sigpending(&pending) != 0)
        return 0;
    static const int stops[] = {SIGTERM, SIGINT, SIGQUIT};
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
        if (sigismember(&pending, stops[i]) == 1)
            return stops[i];
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_deadline(struct supervisor *sv)
{
    if (sv->deadline_set)
        return;
    double t = now_seconds() + sv->opts->grace_seconds;
    sv->deadline.tv_sec = (time_t)t;
    sv->deadline.tv_nsec = (long)((t - (double)(time_t)t) * 1e9);
    sv->deadline_set = true;
}

static double remaining(const struct supervisor *sv)
{
    double d = (double)sv->deadline.tv_sec + (double)sv->deadline.tv_nsec / 1e9;
    return d - now_seconds();
}

/* ---- the child ---- */

static void exec_child(char *const argv[], const struct supervise_opts *opts)
{
    setpgid(0, 0);
    tty_give_foreground_self();
    if (opts->stdin_null) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            dup2(fd, STDIN_FILENO);
            close(fd);
        }
    }
    if (opts->plan)
        priv_enter(opts->plan, argv); /* returns only when no drop is needed */
    exec_with_default_signals(argv, &original_mask, true);
}

/* ---- signals to others ---- */

static void signal_job(struct supervisor *sv, int sig)
{
    if (sv->opts->kill_group && kill(-sv->child, sig) == 0)
        return;
    if (kill(sv->child, sig) != 0 && errno != ESRCH)
        log_warn("cannot send signal %d to the job (pid %d): %s", sig, (int)sv->child,
                 strerror(errno));
}

/* Every process whose parent is init: what is left once the job ended. */
static int signal_our_children(int sig)
{
    if (getpid() == 1) {
        /* In our own PID namespace: everyone but us. */
        return kill(-1, sig) == 0 ? 1 : 0;
    }
    /* A subreaper: our direct children are listed in one file, no scan of the host's /proc. */
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    int count = 0, pid;
    while (fscanf(f, "%d", &pid) == 1)
        if (kill((pid_t)pid, sig) == 0)
            count++;
    fclose(f);
    return count;
}

/* Whether a child, running or a zombie, is left; reaps nothing, costs one syscall. */
static bool children_left(void)
{
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* ---- state transitions ---- */

static void begin_stop(struct supervisor *sv, int sig)
{
    log_info("received %s: passing it to the job, SIGKILL in %.1f s if it is still running",
             sigabbrev_np(sig), sv->opts->grace_seconds);
    sv->stop_signal = sig;
    sv->state = ST_STOPPING;
    set_deadline(sv);
}

static void job_ended(struct supervisor *sv, int wstatus)
{
    sv->status = wait_status_code(wstatus);
    if (WIFSIGNALED(wstatus))
        log_info("job (pid %d) killed by signal %s: exit %d", (int)sv->child,
                 sigabbrev_np(WTERMSIG(wstatus)), sv->status);
    else
        log_debug("job (pid %d) exited with %d", (int)sv->child, sv->status);
    tty_restore();
    if (children_left()) {
        log_info("job ended; stopping the processes it left behind (TERM, then KILL after %.1f s)",
                 sv->opts->grace_seconds);
        signal_our_children(SIGTERM);
        signal_our_children(SIGCONT);
        set_deadline(sv);
    }
    sv->state = ST_DRAINING;
}

/* Reaps everything that has exited; returns false once no child is left. */
static bool reap(struct supervisor *sv)
{
    for (;;) {
        int wstatus;
        pid_t pid = waitpid(-1, &wstatus, WNOHANG);
        if (pid > 0) {
            if (pid == sv->child && sv->state != ST_DRAINING)
                job_ended(sv, wstatus);
            else
                log_debug("reaped pid %d", (int)pid);
            continue;
        }
        if (pid == 0)
            return true;
        if (errno == EINTR)
            continue;
        return false; /* ECHILD */
    }
}

static void deadline_passed(struct supervisor *sv)
{
    if (sv->killed)
        return;
    sv->killed = true;
    if (sv->state == ST_STOPPING) {
        log_warn("the job did not end within %.1f s: sending SIGKILL", sv->opts->grace_seconds);
        signal_job(sv, SIGKILL);
    } else {
        log_warn("processes still running %.1f s after the job ended: sending SIGKILL",
                 sv->opts->grace_seconds);
    }
    signal_our_children(SIGKILL);
}

static void handle_signal(struct supervisor *sv, int sig)
{
    if (sig == SIGCHLD)
        return; /* reaping happens in the loop */
    if (sv->state == ST_DRAINING)
        return; /* the job is gone; its stragglers are being stopped */
    if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
        if (sv->state == ST_RUNNING)
            begin_stop(sv, sig);
    }
    log_debug("forwarding %s to the job", sigabbrev_np(sig));
    signal_job(sv, sig);
}

struct job_result supervise_run(char *const argv[], const struct supervise_opts *opts)
{
    struct supervisor sv = {.state = ST_RUNNING, .opts = opts};
    sv.child = fork();
    if (sv.child < 0) {
        log_error("cannot fork: %s", strerror(errno));
        return (struct job_result){.status = EXIT_SOFTWARE};
    }
    if (sv.child == 0)
        exec_child(argv, opts);
    setpgid(sv.child, sv.child); /* also in the parent: no race with the first signal */
    log_debug("started '%s' as pid %d", argv[0], (int)sv.child);

    while (sv.state != ST_DONE) {
        if (!reap(&sv)) {
            sv.state = ST_DONE;
            break;
        }
        if (sv.state == ST_DRAINING && !sv.deadline_set) {
            sv.state = ST_DONE; /* nothing to wait for but reaped-later zombies */
            break;
        }
        struct timespec wait = {.tv_sec = 1, .tv_nsec = 0};
        if (sv.deadline_set) {
            double r = remaining(&sv);
            if (r <= 0) {
                deadline_passed(&sv);
                /* Orphans reparented since the last round are killed too. */
                signal_our_children(SIGKILL);
                r = 0.05;
            }
            if (r < 1.0) {
                wait.tv_sec = 0;
                wait.tv_nsec = (long)(r * 1e9);
            }
        }
        int sig = sigtimedwait(&all_signals, NULL, &wait);
        if (sig > 0)
            handle_signal(&sv, sig);
    }
    tty_restore();
    return (struct job_result){.status = sv.status, .stop_signal = sv.stop_signal};
}
