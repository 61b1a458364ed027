/* ptydrive.c - the benchmark's terminal: runs a command on a new pty, reads everything it writes
 * to the pty's master and prints "BYTES SECONDS". Stands in for `docker run -it`'s terminal. */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
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
    printf("%llu %.3f\n", total, now() - t0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
