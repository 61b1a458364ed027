/* hooks.c - find and run the start hooks (like docker-stacks' start-notebook.d, executables only).
 *
 * As root a hook runs as root, so it must be root's: a hook, or a hooks directory, that anyone
 * else may change (a start.d mounted from the host and owned by the notebook user) would let
 * notebook code run as root at the next start. The check is on open descriptors (the directory's,
 * then the file's, opened without following a link) and the file executed is that descriptor's,
 * so a rename between the check and the exec changes nothing.
 */
#include "hooks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "spawn.h"

enum { PATH_LEN = 4096 + 256 };

/* Byte order, whatever the locale: "10-a" runs before "20-b" before "a". */
static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void free_list(struct dirent **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Why st (a hook, or its directory) must not run as root; NULL when it may. */
static const char *untrusted(const struct stat *st, char *buf, size_t len)
{
    if (st->st_uid != 0) {
        snprintf(buf, len, "owned by uid %u, not root", (unsigned)st->st_uid);
        return buf;
    }
    if (st->st_mode & S_IWOTH)
        return "writable by others";
    if (st->st_mode & S_IWGRP)
        return "writable by its group";
    return NULL;
}

struct hooks_run {
    const char *dir;
    int dirfd;
    bool as_root;
    double grace_seconds;
};

/* Refuses a hook that root must not run: one error line naming it and why. */
static bool refused(const struct hooks_run *h, const char *path, const struct stat *st)
{
    char buf[64];
    const char *why;
    struct stat dst;
    if (fstat(h->dirfd, &dst) != 0) {
        log_error("hook %s is not run: cannot check its directory: %s", path, strerror(errno));
        return true;
    }
    if ((why = untrusted(&dst, buf, sizeof(buf))) != NULL) {
        log_error("hook %s is not run as root: its directory %s is %s (it must be root's and "
                  "writable only by root)",
                  path, h->dir, why);
        return true;
    }
    if (S_ISLNK(st->st_mode)) {
        log_error("hook %s is not run as root: it is a symbolic link (put the file itself in %s)",
                  path, h->dir);
        return true;
    }
    if ((why = untrusted(st, buf, sizeof(buf))) != NULL) {
        log_error("hook %s is not run as root: it is %s (it must be root's and writable only by "
                  "root)",
                  path, why);
        return true;
    }
    return false;
}

/* The hook's open file, checked: -1 when it is not a hook (skipped, maybe with a warning), -2
 * when it is refused (logged). */
static int open_hook(const struct hooks_run *h, const char *name, const char *path, bool warn)
{
    if (name[0] == '.')
        return -1;
    /* O_PATH: executing needs no read permission; without following, a link is seen as one. */
    int flags = O_PATH | O_CLOEXEC | (h->as_root ? O_NOFOLLOW : 0);
    int fd = openat(h->dirfd, name, flags);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    bool hook = S_ISREG(st.st_mode) || S_ISLNK(st.st_mode);
    if (hook && S_ISLNK(st.st_mode)) {
        /* Only a link to an executable file would have been a hook before: refuse that one. */
        struct stat target;
        hook = fstatat(h->dirfd, name, &target, 0) == 0 && S_ISREG(target.st_mode) &&
               faccessat(h->dirfd, name, X_OK, 0) == 0;
    } else if (hook && faccessat(h->dirfd, name, X_OK, 0) != 0) {
        if (warn)
            log_warn("hook %s is not executable: skipped (chmod +x it to run it)", path);
        hook = false;
    }
    if (!hook) {
        close(fd);
        return -1;
    }
    if (h->as_root && refused(h, path, &st)) {
        close(fd);
        return -2;
    }
    return fd;
}

/* Opens h->dir into h->dirfd and lists it sorted: the entry count, 0 when it does not exist (no
 * hooks), -1 when it cannot be read (one error line when loud). */
static int open_listing(struct hooks_run *h, struct dirent ***names, bool loud)
{
    h->dirfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h->dirfd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        if (loud)
            log_error("cannot read the hooks directory %s: %s", h->dir, strerror(errno));
        return -1;
    }
    int n = scandirat(h->dirfd, ".", names, NULL, by_name);
    if (n < 0) {
        if (loud)
            log_error("cannot read the hooks directory %s: %s", h->dir, strerror(errno));
        close(h->dirfd);
        h->dirfd = -1;
    }
    return n;
}

static void close_listing(struct hooks_run *h, struct dirent **names, int n)
{
    if (names != NULL)
        free_list(names, n);
    if (h->dirfd >= 0)
        close(h->dirfd);
}

/* The same test as running them (open_hook), without the root-only trust checks: those refuse at
 * run time, so a refused hook still counts. */
int hooks_count(const char *dir)
{
    struct hooks_run h = {.dir = dir, .dirfd = -1, .as_root = false};
    struct dirent **names = NULL;
    int n = open_listing(&h, &names, false);
    if (n < 0)
        return 1; /* an unreadable dir counts: running it reports the error */
    int count = 0;
    char path[PATH_LEN];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        int fd = open_hook(&h, names[i]->d_name, path, false);
        if (fd >= 0) {
            count++;
            close(fd);
        }
    }
    close_listing(&h, names, n);
    return count;
}

/* Checks every hook before any runs: one untrusted file refuses the whole start. */
static bool all_trusted(const struct hooks_run *h, struct dirent **names, int n)
{
    char path[PATH_LEN];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", h->dir, names[i]->d_name);
        int fd = open_hook(h, names[i]->d_name, path, false);
        if (fd == -2)
            return false;
        if (fd >= 0)
            close(fd);
    }
    return true;
}

static int run_one(const struct hooks_run *h, const char *name)
{
    char path[PATH_LEN];
    int n = snprintf(path, sizeof(path), "%s/%s", h->dir, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return 0;
    int fd = open_hook(h, name, path, true);
    if (fd == -1)
        return 0;
    if (fd == -2)
        return EXIT_HOOK_FAILED;
    log_info("running hook %s", path);
    /* A script sees itself as /proc/PID/fd/N in $0: its path is here. */
    setenv("MMLSPARK_HOOK", path, 1);
    char *argv[] = {path, NULL};
    char why[160];
    int sig;
    enum spawn_result r = spawn_run(fd, argv, h->grace_seconds, &sig, why, sizeof(why));
    unsetenv("MMLSPARK_HOOK");
    close(fd);
    if (r == SPAWN_STOPPED) {
        log_info("hook %s: %s: the job is not started", path, why);
        return 128 + sig;
    }
    if (r != SPAWN_OK) {
        log_error("hook %s failed (%s): the job is not started", path, why);
        return EXIT_HOOK_FAILED;
    }
    return 0;
}

int hooks_run(const char *dir, double grace_seconds)
{
    struct hooks_run h = {.dir = dir, .dirfd = -1, .as_root = geteuid() == 0,
                          .grace_seconds = grace_seconds};
    struct dirent **names = NULL;
    int n = open_listing(&h, &names, true);
    if (n < 0)
        return EXIT_HOOK_FAILED;
    int rc = all_trusted(&h, names, n) ? 0 : EXIT_HOOK_FAILED;
    for (int i = 0; i < n && rc == 0; i++)
        rc = run_one(&h, names[i]->d_name);
    close_listing(&h, names, n);
    return rc;
}
