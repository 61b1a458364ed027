/* spawn.c - fork, exec and wait for one helper program while init's signals stay blocked, passing
 * a stop signal on to it (init would otherwise sit out a hook until docker's SIGKILL). */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grace.h"
#include "log.h"
#include "procutil.h"

static void exec_helper(int fd, char *const argv[])
{
    /* Its own group: a forwarded signal reaches what the helper started, never init. */
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        close(null);
    }
    /* The file executed is the one the caller checked and holds open as fd: reached through
     * the caller's descriptor table (/proc/PPID/fd/N), so no descriptor of ours reaches the
     * helper or what it starts, and a script's interpreter still opens that very file (fexecve
     * would have to leave fd open for it: the kernel hands it /dev/fd/N). The caller waits for
     * us, so its fd stays open until the helper ends. */
    if (fd >= 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getppid(), fd);
        exec_with_default_signals_at(path, argv);
    }
    exec_with_default_signals(argv, NULL, false);
}

struct waiting {
    pid_t pid;
    int stopsig;        /* the first stop signal received, 0 if none */
    struct grace grace; /* from that signal: then the group gets SIGKILL */
};

static void take_stop(struct waiting *w, int sig, double grace_seconds)
{
    if (signal_group_or_leader(w->pid, sig, true) != 0 && errno != ESRCH)
        log_debug("cannot pass SIG%s on: %s", sigabbrev_np(sig), strerror(errno));
    if (w->stopsig)
        return;
    w->stopsig = sig;
    grace_start(&w->grace, grace_seconds);
}

/* Waits for w->pid, taking SIGCHLD and the stop signals from sigfd (-1: none). Returns its wait
 * status. */
static int wait_taking_stops(struct waiting *w, int sigfd, double grace_seconds)
{
    int wstatus = 0;
    for (;;) {
        pid_t got = waitpid(w->pid, &wstatus, sigfd < 0 ? 0 : WNOHANG);
        if (got == w->pid || (got < 0 && errno != EINTR)) {
            if (got < 0)
                wstatus = W_EXITCODE(1, 0);
            break;
        }
        if (got < 0)
            continue;
        struct pollfd p = {.fd = sigfd, .events = POLLIN};
        if (poll(&p, 1, grace_wait_ms(&w->grace, -1)) < 0 && errno != EINTR)
            break;
        struct signalfd_siginfo si;
        while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
            if (si.ssi_signo != SIGCHLD)
                take_stop(w, (int)si.ssi_signo, grace_seconds);
        if (grace_expired(&w->grace)) {
            log_warn("the helper did not end within the grace period: killing it");
            signal_group_or_leader(w->pid, SIGKILL, true);
        }
    }
    return wstatus;
}

enum spawn_result spawn_run(int fd, char *const argv[], double grace_seconds, int *stopsig,
                            char *why, size_t whylen)
{
    sigset_t stops;
    stop_signal_set(&stops);
    *stopsig = 0;
    const struct timespec now = {0, 0};
    int early = sigtimedwait(&stops, NULL, &now);
    if (early > 0) {
        *stopsig = early;
        snprintf(why, whylen, "SIG%s came before it started", sigabbrev_np(early));
        return SPAWN_STOPPED;
    }
    /* SIGCHLD too: it says when to look again. Taking it is harmless here, in the preparation
     * process; the setup's own signals stay pending for it. */
    sigset_t watched = stops;
    sigaddset(&watched, SIGCHLD);
    int sigfd = signalfd(-1, &watched, SFD_CLOEXEC | SFD_NONBLOCK);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "cannot fork: %s", strerror(errno));
        if (sigfd >= 0)
            close(sigfd);
        return SPAWN_FAILED;
    }
    if (pid == 0)
        exec_helper(fd, argv);
    setpgid(pid, pid); /* also here: the group exists before the first forwarded signal */
    struct waiting w = {.pid = pid};
    int wstatus = wait_taking_stops(&w, sigfd, grace_seconds);
    if (sigfd >= 0)
        close(sigfd);
    if (w.stopsig) {
        *stopsig = w.stopsig;
        char how[64];
        wait_status_describe(wstatus, how, sizeof(how));
        snprintf(why, whylen, "SIG%s came while it ran; it ended with %s", sigabbrev_np(w.stopsig),
                 how);
        return SPAWN_STOPPED;
    }
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
        return SPAWN_OK;
    wait_status_describe(wstatus, why, whylen);
    return SPAWN_FAILED;
}

void spawn_pass_stop(pid_t child, int fd)
{
    sigset_t stops;
    stop_signal_set(&stops);
    int sigfd = signalfd(-1, &stops, SFD_CLOEXEC | SFD_NONBLOCK);
    for (;;) {
        /* Polling the signalfd does not take the signal: it stays pending for the supervisor. */
        struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[0].revents)
            break;
        if (!fds[1].revents)
            continue;
        sigset_t pending;
        sigpending(&pending);
        for (int sig = 1; sig < NSIG; sig++)
            if (sigismember(&stops, sig) == 1 && sigismember(&pending, sig) == 1) {
                log_info("received SIG%s while preparing the start: passing it on", sigabbrev_np(sig));
                kill(child, sig);
            }
        close(sigfd); /* still readable while the signal is pending: watch only fd from now */
        sigfd = -1;
    }
    if (sigfd >= 0)
        close(sigfd);
}
