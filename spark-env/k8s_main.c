/* k8s_main.c - run `driver`, `executor`, `decom.sh`, `entrypoint.sh` or `tini`. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "k8s.h"
#include "log.h"
#include "sparkenv.h"

extern char **environ;

#define MMLSPARK_INIT_PATH "/usr/local/bin/mmlspark-init"

static const char *role_name(enum k8s_role role)
{
    static const char *const names[] = {[K8S_DRIVER] = "driver", [K8S_EXECUTOR] = "executor",
                                        [K8S_DECOM] = "decom.sh", [K8S_ENTRYPOINT] = "entrypoint.sh",
                                        [K8S_TINI] = "tini"};
    return names[role] ? names[role] : "mmlspark-env";
}

/* preStop hook with spark.decommission.enabled: SIGPWR makes a Spark 3.5 executor decommission
 * (stop taking tasks, migrate its blocks, exit). Waits for that with no bound of its own: the
 * kubelet holds the pod (and PID 1's SIGTERM) until the hook returns or the pod's
 * terminationGracePeriodSeconds is over, so the grace period is the only limit, as the user set
 * it. No executor (it already left, or the hook ran twice): nothing to do, exit 0. */
static int decommission(void)
{
    long pid = k8s_find_executor("/proc");
    if (pid < 0) {
        log_info("no Spark executor (KubernetesExecutorBackend) runs in this container: done");
        return 0;
    }
    log_info("executor pid %ld: decommissioning (SIGPWR)", pid);
    if (kill((pid_t)pid, SIGPWR) != 0) {
        if (errno == ESRCH)
            return 0;
        log_error("cannot signal executor pid %ld: %s", pid, strerror(errno));
        return 1;
    }
    const struct timespec tick = {0, 100 * 1000 * 1000};
    while (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
        nanosleep(&tick, NULL);
    log_info("executor pid %ld exited", pid);
    return 0;
}

/* `entrypoint.sh ARGS...` and `tini [OPTIONS] -- ARGS...`, the paths apache/spark's image and
 * Spark's docs use in `command:` overrides: ARGS under mmlspark-init when this is PID 1 (it was
 * the container's command), else ARGS alone (an init already runs). */
static int pass_through(enum k8s_role role, int argc, char **argv)
{
    int first = role == K8S_TINI ? k8s_tini_args(argc, argv) : 1;
    if (first < 0) {
        log_error("unknown option: this image's tini takes -s, -g, -v, -w, -l, -p SIGNAL, "
                  "-e CODE, then -- COMMAND...");
        return EXIT_USAGE;
    }
    char **args = argv + first - 1;
    if (getpid() == 1 || first >= argc) {
        args[0] = MMLSPARK_INIT_PATH;
        execv(args[0], args);
    } else {
        args++;
        execvp(args[0], args);
    }
    int e = errno;
    log_error("cannot run '%s': %s", args[0], strerror(e));
    return e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
}

/* HADOOP_HOME without SPARK_DIST_CLASSPATH: Hadoop's jars from `$HADOOP_HOME/bin/hadoop
 * classpath`, as apache/spark's image does (a failure leaves it unset, with a warning). */
static void hadoop_classpath(void)
{
    const char *home = getenv("HADOOP_HOME"), *dist = getenv("SPARK_DIST_CLASSPATH");
    if (home == NULL || *home == '\0' || (dist && *dist))
        return;
    char hadoop[PATH_MAX];
    snprintf(hadoop, sizeof(hadoop), "%s/bin/hadoop", home);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        execl(hadoop, hadoop, "classpath", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[1 << 16], rest[4096];
    size_t n = 0;
    ssize_t r;
    /* to the end (a child blocked on a full pipe would never exit); what does not fit is dropped */
    while (pid > 0 && ((r = n < sizeof(buf) - 1 ? read(fds[0], buf + n, sizeof(buf) - 1 - n)
                                                 : read(fds[0], rest, sizeof(rest))) > 0 ||
                       (r < 0 && errno == EINTR)))
        n += r > 0 && n < sizeof(buf) - 1 ? (size_t)r : 0;
    close(fds[0]);
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || buf[0] == '\0') {
        log_warn("HADOOP_HOME=%s: '%s classpath' failed: Hadoop's jars are not on the class path",
                 home, hadoop);
        return;
    }
    setenv("SPARK_DIST_CLASSPATH", buf, 1);
}

/* The working directory, where an executor fetches --files and --jars (and a cluster-mode
 * driver its downloads): the first of SPARK_LOCAL_DIRS (Spark's emptyDir volumes) when the
 * image's own is not writable (a read-only root filesystem). Returns it, malloc'd, or NULL. */
static char *writable_cwd(void)
{
    const char *local = getenv("SPARK_LOCAL_DIRS");
    if (access(".", W_OK) != 0 && local && *local) {
        char first[PATH_MAX];
        snprintf(first, sizeof(first), "%.*s", (int)strcspn(local, ","), local);
        if (chdir(first) != 0)
            log_warn("cannot change to %s: %s", first, strerror(errno));
    }
    return getcwd(NULL, 0);
}

static int run(enum k8s_role role, int argc, char **argv)
{
    struct spark_env env;
    char err[1024];
    int rc =
        spark_env_load(&env, MML_DEFAULT_CONFIG, SPARK_ENV_PYTHON_OPTIONAL, err, sizeof(err));
    if (rc != 0) {
        log_error("%s", err);
        return rc;
    }
    /* Kubernetes sized the pod from spark.driver.memory / spark.executor.memory plus overhead:
     * the container's limit is not a budget to divide again. */
    free(env.value[SV_SPARK_DRIVER_MEMORY]);
    free(env.value[SV_SPARK_WORKER_MEMORY]);
    env.value[SV_SPARK_DRIVER_MEMORY] = env.value[SV_SPARK_WORKER_MEMORY] = NULL;
    char *jars = k8s_image_jars(K8S_SYNAPSEML_DIR, env.value[SV_MML_PACKAGE]);
    hadoop_classpath();
    if (spark_env_apply(&env) != 0) {
        log_error("cannot set the environment: %s", strerror(errno));
        spark_env_free(&env);
        free(jars);
        return 71;
    }
    char *cwd = writable_cwd();
    struct k8s_input in = {
        .role = role,
        .envp = environ,
        .spark_home = env.value[SV_SPARK_HOME],
        .java_home = env.value[SV_JAVA_HOME],
        .image_jars = jars,
        .cwd = role == K8S_EXECUTOR ? cwd : NULL,
        .argc = argc - 1,
        .argv = argv + 1,
    };
    struct k8s_command cmd;
    rc = k8s_build(&in, &cmd, err, sizeof(err));
    spark_env_free(&env);
    free(jars);
    free(cwd);
    if (rc != 0) {
        log_error("%s", err);
        return rc;
    }
    if ((cmd.dist_classpath && setenv("SPARK_DIST_CLASSPATH", cmd.dist_classpath, 1) != 0) ||
        (cmd.driver_memory && setenv("SPARK_DRIVER_MEMORY", cmd.driver_memory, 1) != 0)) {
        log_error("cannot set the environment: %s", strerror(errno));
        k8s_command_free(&cmd);
        return 71;
    }
    /* A uid without a passwd entry has its name from the NSS module, its HOME from mmlspark-init. */
    log_debug("running %s (%zu arguments)", cmd.argv[0], cmd.argc);
    execv(cmd.argv[0], cmd.argv);
    int e = errno;
    log_error("cannot run '%s': %s", cmd.argv[0], strerror(e));
    k8s_command_free(&cmd);
    return e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
}

int k8s_main(enum k8s_role role, int argc, char **argv)
{
    if (mlog_init(role_name(role)) != 0) {
        log_error("MMLSPARK_LOG='%s' is invalid: expected debug, info, warn or error",
                  getenv("MMLSPARK_LOG"));
        return EXIT_USAGE;
    }
    if (role == K8S_ENTRYPOINT || role == K8S_TINI)
        return pass_through(role, argc, argv);
    return role == K8S_DECOM ? decommission() : run(role, argc, argv);
}
