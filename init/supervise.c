/* supervise.c - the supervisor loop: states, signals, reaping and the stop sequence. PID 1
 * (mmlspark-init) runs it over the setup and the job; the setup runs it over the EULA
 * page. Linked into both programs, so it uses libc and log.c only. */
#include "supervise.h"

#include <dirent.h>
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

#include "exitcodes.h"
#include "grace.h"
#include "log.h"
#include "procutil.h"
#include "smallfile.h"
#include "tty.h"

enum sup_state {
    ST_RUNNING,  /* the job runs */
    ST_STOPPING, /* a stop signal came: the job has the grace period to end */
    ST_CLOSING,  /* grace over, a session process: it kills the job and closes PAM, then KILL */
    ST_DRAINING, /* the job ended: its stragglers have the grace period to end */
    ST_DONE
};

struct supervisor {
    enum sup_state state;
    pid_t child;
    int status;
    int stop_signal;
    struct grace grace; /* the grace period (or the session's close period), when one runs */
    sigset_t signals; /* the set sigtimedwait() takes */
    const struct supervise_opts *opts;
};

void supervise_signal_set(sigset_t *set)
{
    sigfillset(set);
    /* Signals that report a fault in init itself stay deliverable. */
    static const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
        sigdelset(set, faults[i]);
}

void supervise_block_signals(sigset_t *original)
{
    sigset_t set;
    supervise_signal_set(&set);
    if (sigprocmask(SIG_BLOCK, &set, original) != 0) {
        log_error("cannot block signals: %s", strerror(errno));
        exit(EXIT_SOFTWARE);
    }
}

void supervise_become_reaper(bool verbose)
{
    if (getpid() == 1)
        return;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0) {
        if (verbose)
            log_info("not PID 1 (pid %d): registered as child subreaper, orphans are reaped here",
                     (int)getpid());
    } else {
        log_warn("not PID 1 and cannot become a child subreaper: %s; orphans go to PID 1",
                 strerror(errno));
    }
}

int supervise_pending_stop(void)
{
    sigset_t pending;
    if (sigpending(&pending) != 0)
        return 0;
    for (int sig = 1; sig < NSIG; sig++)
        if (is_stop_signal(sig) && sigismember(&pending, sig) == 1)
            return sig;
    return 0;
}

/* ---- signals to others ---- */

static void signal_job(struct supervisor *sv, int sig)
{
    if (signal_group_or_leader(sv->child, sig, sv->opts->kill_group) != 0 && errno != ESRCH)
        log_warn("cannot send signal %d to the job (pid %d): %s", sig, (int)sv->child,
                 strerror(errno));
}

/* The parent pid in /proc/PID/stat (after the last ')': state, then ppid), or -1. */
static pid_t parent_of(const char *pid)
{
    char path[300], buf[1024];
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    if (smallfile_read(path, 0, buf, sizeof(buf) - 1) <= 0)
        return -1;
    const char *rp = strrchr(buf, ')');
    int ppid;
    if (rp == NULL || sscanf(rp + 1, " %*c %d", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

/* Without /proc/self/task/N/children (a kernel without CONFIG_PROC_CHILDREN, or a file that lists
 * nobody while we still have children): every process in /proc whose parent is us. */
static int signal_children_by_scan(int sig)
{
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        return 0;
    pid_t self = getpid();
    int count = 0;
    struct dirent *de;
    while ((de = readdir(proc)) != NULL) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        if (parent_of(de->d_name) == self && kill((pid_t)atoi(de->d_name), sig) == 0)
            count++;
    }
    closedir(proc);
    return count;
}

/* Whether a child, running or a zombie, is left; reaps nothing, costs one syscall. */
static bool children_left(void)
{
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
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
    int count = 0, pid;
    if (f != NULL) {
        while (fscanf(f, "%d", &pid) == 1)
            if (kill((pid_t)pid, sig) == 0)
                count++;
        fclose(f);
    }
    if (count == 0 && children_left())
        count = signal_children_by_scan(sig);
    return count;
}

/* What is left once the job ended: init's other children, or the job's group only. */
static bool leftovers_running(const struct supervisor *sv)
{
    if (sv->opts->leftovers_in_group_only)
        return kill(-sv->child, 0) == 0;
    return children_left();
}

static void signal_leftovers(const struct supervisor *sv, int sig)
{
    if (sv->opts->leftovers_in_group_only)
        kill(-sv->child, sig);
    else
        signal_our_children(sig);
}

/* ---- state transitions ---- */

static void begin_stop(struct supervisor *sv, int sig)
{
    log_info("received %s: passing it to %s, SIGKILL in %.1f s if it is still running",
             sigabbrev_np(sig), sv->opts->name ? sv->opts->name : "the job",
             sv->opts->grace_seconds);
    sv->stop_signal = sig;
    sv->state = ST_STOPPING;
    grace_start(&sv->grace, sv->opts->grace_seconds);
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
    if (leftovers_running(sv)) {
        log_info("job ended; stopping the processes it left behind (TERM, then KILL after %.1f s)",
                 sv->opts->grace_seconds);
        signal_leftovers(sv, SIGTERM);
        signal_leftovers(sv, SIGCONT);
        grace_start(&sv->grace, sv->opts->grace_seconds);
    }
    sv->state = ST_DRAINING;
}

/* Reaps everything that has exited; returns false once no child is left. */
static bool reap(struct supervisor *sv)
{
    for (;;) {
        int wstatus;
        pid_t pid = waitpid(-1, &wstatus, WNOHANG | WUNTRACED);
        if (pid > 0) {
            if (WIFSTOPPED(wstatus) && pid == sv->child)
                job_stopped_by(pid, WSTOPSIG(wstatus), sv->opts->kill_group);
            else if (WIFSTOPPED(wstatus))
                continue; /* an adopted orphan: not ours to resume */
            else if (pid == sv->child && sv->state != ST_DRAINING)
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

/* The grace period ended: the job and what is left are killed (a session process is asked to
 * kill the job and close its PAM session first). */
static void deadline_passed(struct supervisor *sv)
{
    if (sv->state == ST_STOPPING && sv->opts->holds_session &&
        sv->opts->holds_session(sv->child)) {
        /* The session process holds the PAM session: let it kill the job and close it. */
        log_warn("the job did not end within %.1f s: the session process kills it and closes "
                 "the PAM session (SIGKILL in %.1f s)",
                 sv->opts->grace_seconds, MML_SESSION_CLOSE_SECONDS);
        union sigval v = {.sival_int = MML_SESSION_CLOSE};
        if (sigqueue(sv->child, SIGTERM, v) == 0) {
            sv->state = ST_CLOSING;
            grace_restart(&sv->grace, MML_SESSION_CLOSE_SECONDS);
            return;
        }
    }
    if (sv->state == ST_STOPPING || sv->state == ST_CLOSING) {
        log_warn("the job did not end within %.1f s: sending SIGKILL", sv->opts->grace_seconds);
        signal_job(sv, SIGKILL);
    } else {
        log_warn("processes still running %.1f s after the job ended: sending SIGKILL",
                 sv->opts->grace_seconds);
    }
    signal_leftovers(sv, SIGKILL);
}

static void handle_signal(struct supervisor *sv, int sig)
{
    if (sig == SIGCHLD)
        return; /* reaping happens in the loop */
    if (is_terminal_stop_signal(sig)) {
        /* Only a terminal sends these meaningfully, to its foreground or a background group,
         * never through init; passed on they would stop the job with nobody to resume it (tini
         * ignores TTIN/TTOU too). TSTP as well: passed to the job's group it can stop a process
         * the job has just vfork()ed, and the job, waiting in vfork, is never reported stopped,
         * so nothing here would continue it (a test hit this). `docker pause` pauses a container. */
        log_debug("ignoring %s", sigabbrev_np(sig));
        return;
    }
    if (sv->state == ST_DRAINING) {
        /* The job is gone and its stragglers are being stopped; a stop signal is kept so that
         * whoever runs next (Jupyter after the EULA page) is not started. */
        if (is_stop_signal(sig) && sv->stop_signal == 0) {
            log_info("received %s while the processes left behind stop", sigabbrev_np(sig));
            sv->stop_signal = sig;
        }
        return;
    }
    if (is_stop_signal(sig) && sv->state == ST_RUNNING)
        begin_stop(sv, sig);
    log_debug("forwarding %s to the job", sigabbrev_np(sig));
    signal_job(sv, sig);
}

/* One of init's own exit codes the child reported before its job ran, or -1. */
static int child_own_error(int status_fd)
{
    if (status_fd < 0)
        return -1;
    unsigned char code;
    ssize_t n;
    do {
        n = read(status_fd, &code, 1);
    } while (n < 0 && errno == EINTR);
    return n == 1 ? code : -1;
}

struct job_result supervise_child(pid_t child, const struct supervise_opts *opts, int status_fd)
{
    struct supervisor sv = {.state = ST_RUNNING, .child = child, .opts = opts};
    supervise_signal_set(&sv.signals);
    if (status_fd >= 0)
        fcntl(status_fd, F_SETFL, O_NONBLOCK);

    while (sv.state != ST_DONE) {
        if (!reap(&sv)) {
            sv.state = ST_DONE;
            break;
        }
        if (sv.state == ST_DRAINING && (!sv.grace.running || !leftovers_running(&sv))) {
            sv.state = ST_DONE; /* nothing to wait for but reaped-later zombies */
            break;
        }
        if (grace_expired(&sv.grace))
            deadline_passed(&sv);
        if (sv.grace.killed)
            signal_leftovers(&sv, SIGKILL); /* orphans reparented since the last round too */
        int ms = sv.grace.killed ? 50 : grace_wait_ms(&sv.grace, 1000);
        struct timespec wait = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        siginfo_t si;
        int sig = sigtimedwait(&sv.signals, &si, &wait);
        if (sig > 0 && !is_own_sigpipe(sig, si.si_code, si.si_pid))
            handle_signal(&sv, sig);
    }
    tty_restore();
    struct job_result r = {.status = sv.status, .stop_signal = sv.stop_signal};
    int own = child_own_error(status_fd);
    if (own >= 0) {
        r.status = own;
        r.own_error = true;
    }
    return r;
}
