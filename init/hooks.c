/* hooks.c - find and run the start hooks (like docker-stacks' start-notebook.d, executables only).
 */
#include "hooks.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "spawn.h"

/* Byte order, whatever the locale: "10-a" runs before "20-b" before "a". */
static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static bool is_hook(const char *dir, const char *name, char *path, size_t len, bool warn)
{
    if (name[0] == '.')
        return false;
    int n = snprintf(path, len, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= len)
        return false;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    if (access(path, X_OK) != 0) {
        if (warn)
            log_warn("hook %s is not executable: skipped (chmod +x it to run it)", path);
        return false;
    }
    return true;
}

/* Lists dir sorted; returns the entry count (0 when it does not exist) or -1 (logged). */
static int list_dir(const char *dir, struct dirent ***names)
{
    int n = scandir(dir, names, NULL, by_name);
    if (n >= 0)
        return n;
    if (errno == ENOENT || errno == ENOTDIR)
        return 0;
    log_error("cannot read the hooks directory %s: %s", dir, strerror(errno));
    return -1;
}

static void free_list(struct dirent **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int hooks_count(const char *dir)
{
    struct dirent **names = NULL;
    int n = list_dir(dir, &names);
    int count = 0;
    char path[4096 + 256];
    for (int i = 0; i < n; i++)
        count += is_hook(dir, names[i]->d_name, path, sizeof(path), false);
    if (n > 0)
        free_list(names, n);
    return n < 0 ? 1 : count; /* an unreadable dir counts: running it reports the error */
}

int hooks_run(const char *dir)
{
    struct dirent **names = NULL;
    int n = list_dir(dir, &names);
    if (n < 0)
        return EXIT_HOOK_FAILED;
    int rc = 0;
    char path[4096 + 256];
    for (int i = 0; i < n && rc == 0; i++) {
        if (!is_hook(dir, names[i]->d_name, path, sizeof(path), true))
            continue;
        log_info("running hook %s", path);
        char *argv[] = {path, NULL};
        char why[128];
        if (!spawn_wait(argv, why, sizeof(why))) {
            log_error("hook %s failed (%s): the job is not started", path, why);
            rc = EXIT_HOOK_FAILED;
        }
    }
    if (n > 0)
        free_list(names, n);
    return rc;
}
