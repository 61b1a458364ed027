/* spawn.c - fork, exec and wait for one helper program while init's signals stay blocked. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

static void exec_helper(char *const argv[])
{
    /* init blocks every signal; a helper gets the defaults a shell would give it. */
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        close(fd);
    }
    execv(argv[0], argv);
    log_error("cannot run %s: %s", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

bool spawn_wait(char *const argv[], char *why, size_t whylen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "cannot fork: %s", strerror(errno));
        return false;
    }
    if (pid == 0)
        exec_helper(argv);
    int wstatus;
    while (waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR) {
            snprintf(why, whylen, "cannot wait for it: %s", strerror(errno));
            return false;
        }
    }
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
        return true;
    if (WIFSIGNALED(wstatus))
        snprintf(why, whylen, "killed by signal SIG%s", sigabbrev_np(WTERMSIG(wstatus)));
    else
        snprintf(why, whylen, "exit code %d", WEXITSTATUS(wstatus));
    return false;
}
