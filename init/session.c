/* session.c - the root session process between init and the dropped job (su --pty's parent). */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "drop.h"
#include "exitcodes.h"
#include "log.h"
#include "procutil.h"
#include "pamsession.h"
#include "ptyrelay.h"
#include "supervise.h"

struct session {
    pid_t child;
    int status_fd; /* to init: one of its own exit codes, when we or the job's child fail */
    bool exited;
    int status;
    int sigfd;
    bool kill_group; /* -p / kill_process_group=no: signals go to the job's leader only */
    bool relay_on;
    struct ptyrelay relay;
};

static void set_user_env(const struct session_spec *spec)
{
    /* PATH is kept: the image's PATH carries Spark's bin for every user. */
    setenv("HOME", spec->home, 1);
    setenv("USER", spec->user, 1);
    setenv("LOGNAME", spec->user, 1);
    setenv("SHELL", spec->shell, 1);
}

/* ---- the job's side ---- */

/* Without a pty (Jupyter under -it: stdin is /dev/null) the job gets a session of its own, with no
 * controlling terminal: the outer terminal stays init's, the job cannot push input into it
 * (TIOCSTI) nor take its foreground. Keys still reach it: the terminal signals init's group and
 * init forwards (Ctrl+C stops Jupyter). Its own group also means signals are never doubled. */
static void own_session(void)
{
    if (setsid() < 0)
        log_debug("cannot start a session for the job: %s", strerror(errno));
}

static void __attribute__((noreturn)) fail_before_job(int status_fd, int code);

static void exec_job(const struct session *ss, const struct session_spec *spec,
                     char *const argv[], bool on_pty)
{
    if (on_pty) {
        /* The new terminal belongs to the user, as login(1) does it. */
        if (fchown(STDIN_FILENO, spec->uid, (gid_t)-1) != 0 || fchmod(STDIN_FILENO, 0620) != 0)
            log_debug("cannot give the pty to the user: %s", strerror(errno));
    } else {
        own_session();
    }
    /* Nothing of the outer terminal or of PAM (its modules' descriptors) reaches the job. */
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    pid_t session = getppid();
    /* A failed drop is init's failure, not the job's: reported as such, -e never remaps it. */
    if (drop_to_user(spec->uid, spec->gid, "the job") != 0)
        fail_before_job(ss->status_fd, EXIT_SOFTWARE);
    /* If init has to SIGKILL the session process (grace period over), the job goes with it.
     * Set after the uid change, which would clear it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != session)
        fail_before_job(ss->status_fd, EXIT_SOFTWARE);
    if (access(".", X_OK) != 0 && chdir(spec->home) != 0)
        log_debug("cannot change to %s: %s", spec->home, strerror(errno));
    exec_with_default_signals(argv, NULL, true);
}

/* ---- the session process's side ---- */

static int make_signalfd(void)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    return signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void forward(struct session *ss, int sig)
{
    /* Keys that a terminal turns into signals go to the pty's foreground job, like Ctrl+C. */
    if (ss->relay_on && (sig == SIGINT || sig == SIGQUIT)) {
        pid_t fg = tcgetpgrp(ss->relay.master);
        if (fg > 0 && kill(-fg, sig) == 0)
            return;
    }
    if (signal_group_or_leader(ss->child, sig, ss->kill_group) != 0 && errno != ESRCH)
        log_debug("cannot pass signal %d to the job: %s", sig, strerror(errno));
}

/* init's "grace period over" (supervise.c): a SIGTERM queued by our parent with that value. */
static bool is_close_request(const struct signalfd_siginfo *si)
{
    return si->ssi_signo == SIGTERM && si->ssi_code == SI_QUEUE &&
           si->ssi_int == MML_SESSION_CLOSE && (pid_t)si->ssi_pid == getppid();
}

static void reap(struct session *ss)
{
    int wstatus;
    pid_t pid;
    while ((pid = waitpid(-1, &wstatus, WNOHANG | WUNTRACED)) > 0) {
        if (pid != ss->child)
            continue;
        if (WIFSTOPPED(wstatus)) {
            job_stopped_by(pid, WSTOPSIG(wstatus), true);
            continue;
        }
        ss->exited = true;
        ss->status = wait_status_code(wstatus);
    }
}

static void handle_signals(struct session *ss)
{
    struct signalfd_siginfo si;
    while (read(ss->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
            reap(ss);
        } else if (sig == SIGWINCH && ss->relay_on) {
            ptyrelay_resize(&ss->relay);
        } else if (is_close_request(&si)) {
            /* Grace period over: the job goes now, the PAM session is closed after it. */
            log_debug("session: grace period over, killing the job");
            signal_group_or_leader(ss->child, SIGKILL, true);
        } else if (is_terminal_stop_signal(sig) ||
                   is_own_sigpipe(sig, si.ssi_code, (pid_t)si.ssi_pid)) {
            continue; /* as init: they would stop the job with nobody to resume it; ours */
        } else if (!ss->exited) {
            forward(ss, sig);
        }
    }
}

static void loop(struct session *ss)
{
    reap(ss); /* the job may have ended before the signalfd saw SIGCHLD */
    while (!ss->exited) {
        struct pollfd fds[4] = {{.fd = ss->sigfd, .events = POLLIN}};
        int n = 1;
        if (ss->relay_on)
            n += ptyrelay_pollfds(&ss->relay, fds + 1);
        if (poll(fds, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("session: poll failed: %s", strerror(errno));
            break;
        }
        if (n > 1)
            ptyrelay_pump(&ss->relay, fds + 1, n - 1);
        if (fds[0].revents)
            handle_signals(ss);
    }
    if (ss->relay_on)
        ptyrelay_drain(&ss->relay, 50);
}

static pid_t start_job(struct session *ss, const struct session_spec *spec, char *const argv[])
{
    if (isatty(STDIN_FILENO) && ptyrelay_init(&ss->relay) == 0) {
        int master = -1;
        pid_t pid = forkpty(&master, NULL, &ss->relay.saved, &ss->relay.ws);
        if (pid == 0)
            exec_job(ss, spec, argv, true);
        if (pid > 0) {
            ss->relay_on = true;
            ptyrelay_start(&ss->relay, master);
        }
        return pid;
    }
    pid_t pid = fork();
    if (pid == 0)
        exec_job(ss, spec, argv, false);
    /* No setpgid here: the job's setsid() would fail in a group it leads. A signal before that
     * reaches it alone (forward() falls back to the pid). */
    return pid;
}

static void __attribute__((noreturn)) fail_before_job(int status_fd, int code)
{
    unsigned char c = (unsigned char)code;
    if (status_fd >= 0 && write(status_fd, &c, 1) != 1)
        log_debug("session: cannot report exit code %d: %s", code, strerror(errno));
    fflush(NULL);
    _exit(code);
}

void session_run(const struct session_spec *spec, char *const argv[])
{
    struct session ss = {.child = -1, .status = EXIT_SOFTWARE, .sigfd = -1,
                         .kill_group = spec->kill_group, .status_fd = spec->status_fd};
    int status_fd = ss.status_fd;
    set_user_env(spec);
    const char *tty = isatty(STDIN_FILENO) ? ttyname(STDIN_FILENO) : NULL;
    struct pam_session ps;
    if (pamsession_open(&ps, spec->pam_confdir, spec->user, spec->gid, tty) != 0)
        fail_before_job(status_fd, EXIT_PAM_FAILED);
    ss.sigfd = make_signalfd();
    if (ss.sigfd < 0) {
        log_error("session: cannot create a signalfd: %s", strerror(errno));
        ss.status = EXIT_SOFTWARE;
        pamsession_close(&ps);
        fail_before_job(status_fd, EXIT_SOFTWARE);
    } else {
        fflush(NULL);
        ss.child = start_job(&ss, spec, argv);
        if (ss.child < 0) {
            log_error("session: cannot start the job: %s", strerror(errno));
            pamsession_close(&ps);
            fail_before_job(status_fd, EXIT_SOFTWARE);
        }
        loop(&ss);
    }
    if (ss.relay_on)
        ptyrelay_restore(&ss.relay);
    pamsession_close(&ps);
    fflush(NULL);
    _exit(ss.status);
}
