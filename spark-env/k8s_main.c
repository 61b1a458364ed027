/* k8s_main.c - run `driver`, `executor` or `decom.sh`: the environment, then exec. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
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

/* Any uid without a passwd entry (runAsUser, OpenShift): Hadoop's login in Spark's JVMs needs a
 * user name. nss_wrapper gives the JVM a passwd file with this uid in it, as the image's
 * spark-env.sh does for its other Spark programs (a pod's conf volume hides that file). */
static void passwd_for_any_uid(void)
{
    const char *wrapped = getenv("NSS_WRAPPER_PASSWD");
    if (getpwuid(getuid()) != NULL || (wrapped && *wrapped))
        return;
    glob_t g;
    bool have = glob("/usr/lib/*/libnss_wrapper.so", 0, NULL, &g) == 0;
    globfree(&g);
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/mmlspark-passwd.XXXXXX", tmp);
    int fd = have ? mkostemp(path, O_CLOEXEC) : -1;
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    FILE *in = out ? fopen("/etc/passwd", "re") : NULL;
    if (in == NULL) {
        log_warn("uid %u has no passwd entry and none could be made (%s): Spark may fail to log in",
                 (unsigned)getuid(), have ? strerror(errno) : "no libnss_wrapper");
        if (out)
            fclose(out);
        else if (fd >= 0)
            close(fd);
        return;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    const char *home = getenv("HOME") && *getenv("HOME") ? getenv("HOME") : "/tmp";
    fprintf(out, "mmlspark-%u:x:%u:%u:Spark user:%s:/bin/false\n", (unsigned)getuid(),
            (unsigned)getuid(), (unsigned)getgid(), home);
    if (fclose(out) != 0) {
        log_warn("cannot write %s: %s", path, strerror(errno));
        return;
    }
    const char *pre = getenv("LD_PRELOAD");
    char preload[PATH_MAX];
    snprintf(preload, sizeof(preload), "libnss_wrapper.so%s%s", pre && *pre ? " " : "",
             pre ? pre : "");
    setenv("NSS_WRAPPER_PASSWD", path, 1);
    setenv("NSS_WRAPPER_GROUP", "/etc/group", 1);
    setenv("LD_PRELOAD", preload, 1);
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
    passwd_for_any_uid();
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
