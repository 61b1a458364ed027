/* ptydrive.c - the benchmark's terminal: runs a command on a new pty, reads everything it writes
 * to the pty's master and prints "BYTES SECONDS CPU_SECONDS" (CPU: the command and everything it
 * waited for, user + system). Stands in for `docker run -it`'s terminal. */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ptydrive COMMAND [ARGS...]\n");
        return 2;
    }
    struct winsize ws = {.ws_row = 40, .ws_col = 120};
    int master;
    double t0 = now();
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid < 0) {
        perror("forkpty");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    static char buf[1 << 16];
    unsigned long long total = 0;
    for (;;) {
        ssize_t n = read(master, buf, sizeof(buf));
        if (n > 0) {
            total += (unsigned long long)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break; /* EIO: every holder of the slave side is gone */
    }
    int st;
    waitpid(pid, &st, 0);
    double wall = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    printf("%llu %.3f %.3f\n", total, wall, cpu);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
