/* orphans.c - test helper: makes N orphans, then waits (bounded) until its PID namespace holds
 * only init and itself, and exits with the number of zombies left (0 = all reaped). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void count(int *procs, int *zombies)
{
    *procs = 0;
    *zombies = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *rp = strrchr(buf, ')');
        (*procs)++;
        if (rp && rp[1] == ' ' && rp[2] == 'Z')
            (*zombies)++;
    }
    if (d)
        closedir(d);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    for (int i = 0; i < n; i++) {
        pid_t mid = fork();
        if (mid < 0) {
            perror("fork");
            return 100;
        }
        if (mid == 0) {
            if (fork() == 0)
                _exit(0); /* the grandchild: an orphan once mid is gone */
            _exit(0);
        }
        waitpid(mid, NULL, 0);
    }
    int procs = 0, zombies = 0;
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int tries = 0; tries < 2000; tries++) { /* at most ~20 s */
        count(&procs, &zombies);
        if (procs <= 2 && zombies == 0)
            break;
        nanosleep(&pause, NULL);
    }
    printf("orphans=%d procs=%d zombies=%d\n", n, procs, zombies);
    return zombies > 100 ? 100 : zombies;
}
