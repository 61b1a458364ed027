/* procutil.c - the steps every child of init takes before exec, and one decoder of wait statuses. */
#include "procutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"

#ifndef __GLIBC__
const char *sigabbrev_np(int sig)
{
    static const char *const names[] = {
        NULL,   "HUP",  "INT",  "QUIT",  "ILL",    "TRAP", "ABRT", "BUS",   "FPE",  "KILL",   "USR1",
        "SEGV", "USR2", "PIPE", "ALRM",  "TERM",   "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
        "TTOU", "URG",  "XCPU", "XFSZ",  "VTALRM", "PROF", "WINCH", "IO",   "PWR",  "SYS"};
    return sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) ? names[sig] : "?";
}
#endif

bool is_own_sigpipe(int sig, int code, pid_t sender)
{
    /* The kernel's SIGPIPE for a write to a closed pipe or socket: SI_USER from the writer. */
    return sig == SIGPIPE && code == SI_USER && sender == getpid();
}

/* A SIGPIPE that one of our own writes raised (a log line to a closed stderr) is ours, not the
 * job's: taken out of the pending set before exec. One sent to us is kept pending. */
static void drop_own_sigpipe(void)
{
    sigset_t pending, pipe_set;
    siginfo_t si;
    const struct timespec now = {0, 0};
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (sigpending(&pending) != 0 || sigismember(&pending, SIGPIPE) != 1)
        return;
    if (sigtimedwait(&pipe_set, &si, &now) == SIGPIPE &&
        !is_own_sigpipe(SIGPIPE, si.si_code, si.si_pid))
        kill(getpid(), SIGPIPE); /* still blocked: pending again, for the job */
}

static void default_signals(const sigset_t *mask)
{
    drop_own_sigpipe();
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, mask ? mask : &none, NULL);
}

/* After a failed exec: one line, and the shell's codes for not found / not executable. */
__attribute__((noreturn)) static void exec_failed(const char *name)
{
    int err = errno;
    log_error("cannot run '%s': %s", name, strerror(err));
    _exit(err == ENOENT || err == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

void exec_with_default_signals(char *const argv[], const sigset_t *mask, bool search_path)
{
    default_signals(mask);
    if (search_path)
        execvp(argv[0], argv);
    else
        execv(argv[0], argv);
    exec_failed(argv[0]);
}

void exec_with_default_signals_at(const char *path, char *const argv[])
{
    default_signals(NULL);
    execv(path, argv);
    exec_failed(argv[0]);
}

bool is_terminal_stop_signal(int sig)
{
    return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

int signal_group_or_leader(pid_t pid, int sig, bool group)
{
    if (group && kill(-pid, sig) == 0)
        return 0;
    return kill(pid, sig);
}

int sibling_program(const char *name, char *path, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", path, len - 1);
    if (n <= 0)
        return -1;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash == NULL || (size_t)(slash + 1 - path) + strlen(name) + 1 > len)
        return -1;
    strcpy(slash + 1, name);
    return 0;
}

bool pid_runs_program(pid_t pid, const char *path)
{
    char exe[64];
    struct stat a, b;
    snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
    return pid > 0 && stat(exe, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

void job_stopped_by(pid_t pid, int sig, bool group)
{
    if (is_terminal_stop_signal(sig)) {
        log_info("job (pid %d) stopped by %s: no shell here can resume it, continuing it",
                 (int)pid, sigabbrev_np(sig));
        signal_group_or_leader(pid, SIGCONT, group);
    } else {
        log_info("job (pid %d) stopped by %s; send SIGCONT to resume it", (int)pid,
                 sigabbrev_np(sig));
    }
}

int wait_status_code(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return 1;
}

void wait_status_describe(int wstatus, char *buf, size_t len)
{
    if (WIFSIGNALED(wstatus))
        snprintf(buf, len, "killed by signal SIG%s", sigabbrev_np(WTERMSIG(wstatus)));
    else
        snprintf(buf, len, "exit code %d", wait_status_code(wstatus));
}
