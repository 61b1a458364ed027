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
#include "procutil.h"

static void exec_helper(char *const argv[])
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        close(fd);
    }
    /* init blocks every signal; a helper gets the defaults a shell would give it. */
    exec_with_default_signals(argv, NULL, false);
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
    wait_status_describe(wstatus, why, whylen);
    return false;
}
