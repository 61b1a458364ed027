/* launch.c - start a job from the setup process: the EULA page forked and supervised here, the
 * final job exec'd in this process (or run by the session process this process becomes). */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "exitcodes.h"
#include "log.h"
#include "priv.h"
#include "procutil.h"
#include "tty.h"

/* Keeps only the settings' variables (config.h), PATH and the locale: what the EULA page reads. */
static void keep_settings_env(void)
{
    static const char *const extra[] = {"PATH", "LANG", "LC_ALL", "TZ"};
    const char *names[SET_COUNT + sizeof(extra) / sizeof(extra[0])];
    char *values[sizeof(names) / sizeof(names[0])];
    size_t n = 0;
    for (int id = 0; id < SET_COUNT; id++)
        if (setting_env_name((enum setting_id)id) != NULL)
            names[n++] = setting_env_name((enum setting_id)id);
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
        names[n++] = extra[i];
    for (size_t i = 0; i < n; i++) {
        const char *v = getenv(names[i]);
        values[i] = v ? strdup(v) : NULL;
    }
    clearenv();
    for (size_t i = 0; i < n; i++)
        if (values[i] != NULL)
            setenv(names[i], values[i], 1); /* the copies live until the exec */
}

static void stdin_from_null(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        close(fd);
    }
}

struct job_result launch_run_here(char *const argv[], const struct supervise_opts *opts)
{
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        log_error("cannot start '%s': %s", argv[0], strerror(errno));
        return (struct job_result){.status = EXIT_SOFTWARE, .own_error = true};
    }
    if (child == 0) {
        setpgid(0, 0);
        tty_give_foreground_self();
        if (opts->stdin_null)
            stdin_from_null();
        if (opts->settings_env_only)
            keep_settings_env();
        exec_with_default_signals(argv, opts->job_mask, true);
    }
    setpgid(child, child); /* also in the parent: no race with the first signal */
    log_debug("started '%s' as pid %d", argv[0], (int)child);
    /* What the page leaves behind must come back here to be stopped, not go to PID 1: a
     * subreaper while it runs, and not after (the job exec'd here must not inherit the role). */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        log_debug("cannot become a child subreaper: %s", strerror(errno));
    struct job_result r = supervise_child(child, opts, -1);
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    return r;
}

void launch_exec(char *const argv[], const struct supervise_opts *opts, int status_fd)
{
    if (opts->stdin_null)
        stdin_from_null();
    fflush(NULL);
    if (opts->plan && opts->plan->drop)
        priv_enter(opts->plan, argv, opts->kill_group, status_fd); /* never returns */
    exec_with_default_signals(argv, opts->job_mask, true);
}
