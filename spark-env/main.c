/* main.c - mmlspark-env: print the Spark environment for eval, or run a command in it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "k8s.h"
#include "log.h"
#include "sparkauth.h"
#include "sparkenv.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: mmlspark-env [OPTIONS]                 print the Spark environment (for eval)\n"
        "       mmlspark-env [OPTIONS] -- COMMAND ...  run COMMAND in it\n"
        "       mmlspark-env --auth-secret             print the Spark cluster's secret\n"
        "Computes MML_PACKAGE, MML_M2REPOS (environment > %s > built-in\n"
        "defaults; set empty for none), SPARK_HOME (environment, or detected from spark-submit\n"
        "or a pip-installed pyspark next to a PATH entry), JAVA_HOME (environment, or from the\n"
        "java on PATH), PYSPARK_PYTHON (environment, or the python3 on PATH), and PATH (plus\n"
        "SPARK_HOME/bin when no spark-submit is on it), and SPARK_LOCAL_IP=127.0.0.1 when it\n"
        "is unset and this host's name does not resolve (no network). In a container with a\n"
        "memory limit (cgroup v2 or v1): SPARK_DRIVER_MEMORY (60%% of the limit less 1 GiB, at\n"
        "least 512m) and SPARK_WORKER_MEMORY (the limit less 1 GiB), each unless already set.\n"
        "\n"
        "  -c, --config FILE   read FILE (must exist) instead of %s\n"
        "      --auth-secret   print the secret of SPARK_AUTH_SECRET or SPARK_AUTH_SECRET_FILE\n"
        "                      (nothing when neither is set), for /opt/spark/conf/spark-env.sh\n"
        "  -h, --help          this text\n"
        "  -V, --version       the version\n"
        "\n"
        "Exit codes: COMMAND's; 64 invalid variable or usage; 78 bad config file;\n"
        "126 COMMAND not executable; 127 COMMAND not found.\n",
        MML_DEFAULT_CONFIG, MML_DEFAULT_CONFIG);
}

/* --auth-secret: the secret on stdout (for `$(...)`, never a terminal log), or one error line. */
static int print_auth_secret(void)
{
    char secret[SPARK_AUTH_BUFSIZE], err[1024];
    int rc = spark_auth_secret(getenv("SPARK_AUTH_SECRET"), getenv("SPARK_AUTH_SECRET_FILE"),
                               secret, err, sizeof(err));
    if (rc != 0) {
        log_error("%s", err);
        return rc;
    }
    if (secret[0] != '\0' && (fputs(secret, stdout) == EOF || fflush(stdout) == EOF)) {
        log_error("cannot write the secret: %s", strerror(errno));
        rc = 74;
    }
    explicit_bzero(secret, sizeof(secret));
    return rc;
}

int main(int argc, char **argv)
{
    /* Multi-call: installed as `driver`, `executor` and /opt/decom.sh it is Spark's Kubernetes
     * image contract. */
    enum k8s_role role = argc > 0 ? k8s_role_of(argv[0]) : K8S_NONE;
    if (role != K8S_NONE)
        return k8s_main(role, argc, argv);
    if (mlog_init("mmlspark-env") != 0) {
        log_error("MMLSPARK_LOG='%s' is invalid: expected debug, info, warn or error",
                  getenv("MMLSPARK_LOG"));
        return EXIT_USAGE;
    }
    static const struct option longopts[] = {
        {"auth-secret", no_argument, NULL, 'A'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config = MML_DEFAULT_CONFIG;
    bool required = false, auth = false;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+:c:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            required = true;
            break;
        case 'A':
            auth = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("mmlspark-env %s\n", MMLSPARK_VERSION);
            return 0;
        default:
            return settings_option_error(c, argv, optind);
        }
    }

    if (auth)
        return print_auth_secret();

    struct spark_env env;
    char err[1024];
    int rc = spark_env_load(&env, config, required ? SPARK_ENV_CONFIG_REQUIRED : 0, err,
                            sizeof(err));
    if (rc != 0) {
        log_error("%s", err);
        return rc;
    }
    if (optind >= argc) {
        rc = spark_env_print(&env, stdout) == 0 ? 0 : 74;
        if (rc != 0)
            log_error("cannot write the environment: %s", strerror(errno));
        spark_env_free(&env);
        return rc;
    }
    if (spark_env_apply(&env) != 0) {
        log_error("cannot set the environment: %s", strerror(errno));
        return 71;
    }
    spark_env_free(&env);
    execvp(argv[optind], &argv[optind]);
    int e = errno;
    log_error("cannot run '%s': %s", argv[optind], strerror(e));
    return e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
}
