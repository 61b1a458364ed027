/* orphans.c - benchmark job: makes N orphans for PID 1, waits until PID 1 has reaped them all. */
/*
 * Usage: orphans trickle|burst N TIMEOUT_SECONDS   (run as the only child of an init, PID 1)
 *
 * Each round double-forks: the middle process forks a grandchild and exits at once, we reap the
 * middle one, and the grandchild is reparented to PID 1, whose job is to reap it.
 *   trickle: the grandchild exits at once, so PID 1 reaps while we keep forking (the wall time
 *            is mostly our forking, which costs the same under every init);
 *   burst:   the grandchildren block on a pipe until all N exist, then we close it and all N exit
 *            together: drain_ms is then how long PID 1 takes to reap a burst of N zombies
 *            (each wait4 walks PID 1's list of children, so the kernel's share is large).
 * tini and dumb-init exit as soon as their main child exits and leave whatever is left to the
 * kernel, so to time the same work for every init we do not exit until PID 1 has reaped
 * every orphan: kill(-1, 0) from inside the namespace reaches every process but PID 1 and us,
 * zombies included, and fails with ESRCH only once all of them are gone (one cheap syscall per
 * poll, unlike scanning a /proc with 10 000 entries that would steal CPU from the init).
 *
 * Prints one line: orphans (made; fewer than N if fork failed), spawn_ms, drain_ms (spawn end until the last orphan was reaped),
 * init_cpu_ms and drain_cpu_ms (PID 1's CPU time over the whole run and over the drain, from
 * /proc/1/schedstat), left and zombies (counted in /proc just
 * before we exit; both 0 unless the timeout hit). Exit 0 when all N were made and reaped, else 1.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Processes other than PID 1 and us, and how many of them are zombies. */
static void count_others(int *left, int *zombies)
{
    *left = *zombies = 0;
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        return;
    pid_t self = getpid();
    struct dirent *de;
    while ((de = readdir(proc)) != NULL) {
        int pid = atoi(de->d_name);
        if (pid <= 1 || pid == self)
            continue;
        (*left)++;
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        FILE *f = fopen(path, "re");
        if (f == NULL)
            continue;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *rp = strrchr(buf, ')');
        if (rp && rp[1] == ' ' && rp[2] == 'Z')
            (*zombies)++;
    }
    closedir(proc);
}

static double init_cpu_ms(void)
{
    FILE *f = fopen("/proc/1/schedstat", "re");
    unsigned long long ns = 0;
    if (f == NULL)
        return -1;
    if (fscanf(f, "%llu", &ns) != 1)
        ns = 0;
    fclose(f);
    return (double)ns / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "trickle") != 0 && strcmp(argv[1], "burst") != 0)) {
        fprintf(stderr, "usage: orphans trickle|burst N TIMEOUT_SECONDS\n");
        return 64;
    }
    bool burst = strcmp(argv[1], "burst") == 0;
    long n = atol(argv[2]);
    double timeout_ms = atof(argv[3]) * 1e3;
    int gate[2] = {-1, -1};
    if (burst && pipe(gate) != 0) {
        perror("orphans: pipe");
        return 1;
    }
    if (getpid() == 1) {
        fprintf(stderr, "orphans: must run under an init, not as PID 1\n");
        return 64;
    }
    long failed = 0;
    double t0 = now_ms();
    double cpu0 = init_cpu_ms();
    for (long i = 0; i < n; i++) {
        pid_t mid = fork();
        if (mid < 0) {
            perror("orphans: fork");
            return 1;
        }
        if (mid == 0) {
            pid_t orphan = fork();
            if (orphan < 0)
                _exit(1);
            if (orphan == 0 && burst) {
                char c;
                close(gate[1]);
                while (read(gate[0], &c, 1) < 0 && errno == EINTR)
                    ;
            }
            _exit(0); /* the middle one at once; the orphan at once or when the gate opens */
        }
        int wstatus = 0;
        while (waitpid(mid, &wstatus, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
            failed++; /* the middle one could not fork: no orphan this round */
    }
    if (burst)
        close(gate[1]); /* every orphan's read() returns 0: all exit together */
    double t1 = now_ms();
    double cpu1 = init_cpu_ms();
    struct timespec poll = {.tv_sec = 0, .tv_nsec = 200 * 1000};
    while (kill(-1, 0) == 0 && now_ms() - t1 < timeout_ms)
        nanosleep(&poll, NULL);
    double t2 = now_ms();
    int left, zombies;
    count_others(&left, &zombies);
    double cpu2 = init_cpu_ms();
    printf("orphans=%ld spawn_ms=%.1f drain_ms=%.1f init_cpu_ms=%.1f drain_cpu_ms=%.1f left=%d "
           "zombies=%d\n",
           n - failed, t1 - t0, t2 - t1, cpu2 - cpu0, cpu2 - cpu1, left, zombies);
    return left == 0 && zombies == 0 && failed == 0 ? 0 : 1;
}
