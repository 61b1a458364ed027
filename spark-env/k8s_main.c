/* k8s_main.c - run `driver`, `executor` or `decom.sh`: the environment, then exec. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
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

/* How long decom.sh waits for the executor to migrate its blocks and exit (apache/spark's
 * decom.sh waits as long); the pod's terminationGracePeriodSeconds bounds it too. */
#define DECOM_WAIT_SECONDS 60

static const char *role_name(enum k8s_role role)
{
    return role == K8S_DRIVER ? "driver" : role == K8S_EXECUTOR ? "executor" : "decom.sh";
}

/* preStop hook with spark.decommission.enabled: SIGPWR makes a Spark 3.5 executor decommission
 * (stop taking tasks, migrate its blocks, exit); wait for that while Kubernetes holds the pod. */
static int decommission(void)
{
    long pid = k8s_find_executor("/proc");
    if (pid < 0) {
        log_error("no Spark executor (KubernetesExecutorBackend) runs in this container");
        return 1;
    }
    log_info("executor pid %ld: decommissioning (SIGPWR)", pid);
    if (kill((pid_t)pid, SIGPWR) != 0) {
        log_error("cannot signal executor pid %ld: %s", pid, strerror(errno));
        return 1;
    }
    const struct timespec tick = {0, 100 * 1000 * 1000};
    for (int i = 0; i < DECOM_WAIT_SECONDS * 10; i++) {
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            log_info("executor pid %ld exited", pid);
            return 0;
        }
        nanosleep(&tick, NULL);
    }
    log_warn("executor pid %ld still runs after %d s", pid, DECOM_WAIT_SECONDS);
    return 1;
}

static int run(enum k8s_role role, int argc, char **argv)
{
    struct spark_env env;
    char err[1024];
    int rc = spark_env_load(&env, MML_DEFAULT_CONFIG, false, err, sizeof(err));
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
    if (spark_env_apply(&env) != 0) {
        log_error("cannot set the environment: %s", strerror(errno));
        spark_env_free(&env);
        free(jars);
        return 71;
    }
    struct k8s_input in = {
        .role = role,
        .envp = environ,
        .spark_home = env.value[SV_SPARK_HOME],
        .java_home = env.value[SV_JAVA_HOME],
        .image_jars = jars,
        .argc = argc - 1,
        .argv = argv + 1,
    };
    struct k8s_command cmd;
    rc = k8s_build(&in, &cmd, err, sizeof(err));
    spark_env_free(&env);
    free(jars);
    if (rc != 0) {
        log_error("%s", err);
        return rc;
    }
    if (cmd.dist_classpath && setenv("SPARK_DIST_CLASSPATH", cmd.dist_classpath, 1) != 0) {
        log_error("cannot set SPARK_DIST_CLASSPATH: %s", strerror(errno));
        k8s_command_free(&cmd);
        return 71;
    }
    /* A uid without a passwd entry has its name from mmlspark-init (the pod's entrypoint). */
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
    return role == K8S_DECOM ? decommission() : run(role, argc, argv);
}
