/* k8s.h - Spark's Kubernetes image contract: the `driver` and `executor` commands a Spark 3.5
 * driver runs in the pods it creates, `decom.sh`, its graceful-decommission hook, and the paths
 * Spark's docs use in `command:` overrides (/opt/entrypoint.sh, /usr/bin/tini). */
#ifndef MMLSPARK_K8S_H
#define MMLSPARK_K8S_H

#include <stdbool.h>
#include <stddef.h>

/* Where the image keeps SynapseML: package (the coordinates it was built with), classpath. */
#define K8S_SYNAPSEML_DIR "/opt/synapseml"

enum k8s_role {
    K8S_NONE,     /* not one of ours: mmlspark-env's own command line */
    K8S_DRIVER,   /* `driver ARGS...`: spark-submit in client mode inside the driver pod */
    K8S_EXECUTOR, /* `executor`: KubernetesExecutorBackend from the pod's environment */
    K8S_DECOM,    /* `/opt/decom.sh`: the executor pod's preStop hook (SIGPWR to the JVM) */
    K8S_ENTRYPOINT, /* `/opt/entrypoint.sh ARGS...`: apache/spark's entrypoint path -> init */
    K8S_TINI,       /* `/usr/bin/tini [-s ...] -- ARGS...`: tini's options dropped -> init */
};

/* Spark's driver heap when nothing sets one (the launcher's DEFAULT_MEM): the driver pod's
 * memory limit was computed from it. */
#define K8S_SPARK_DEFAULT_DRIVER_MEMORY "1g"

/* The role a program name (argv[0], any directory) stands for. */
enum k8s_role k8s_role_of(const char *argv0);

/* What the command is built from; the process environment in main, a fixed one in tests. */
struct k8s_input {
    enum k8s_role role;
    char *const *envp;      /* NAME=value strings, NULL-terminated */
    const char *spark_home; /* resolved by spark_env_load */
    const char *java_home;
    const char *image_jars; /* the image's SynapseML jars, ':'-separated, or NULL */
    const char *cwd;        /* the executor's working directory (--files land there), or NULL */
    int argc;               /* the arguments after the role (driver only) */
    char *const *argv;
};

/* A command to exec, with SPARK_DIST_CLASSPATH for the driver's JVM and SPARK_DRIVER_MEMORY for
 * its launcher (each NULL: leave it). */
struct k8s_command {
    char **argv; /* NULL-terminated; argv[0] is an absolute path */
    size_t argc;
    char *dist_classpath;
    const char *driver_memory; /* static */
};

/* Validates the environment of the role and builds its command. Returns 0, or 64 with one line
 * in err naming every missing variable (or the first invalid one and its valid form), or 70 when
 * out of memory. */
int k8s_build(const struct k8s_input *in, struct k8s_command *out, char *err, size_t errlen);
void k8s_command_free(struct k8s_command *c);

/* The jars the image resolved at build time (ROOT/classpath, one path a line) when PACKAGES, the
 * effective MML_PACKAGE, names the coordinates it was built with (ROOT/package, any order), as a
 * ':'-separated malloc'd list; NULL otherwise (other packages, none, or a jar missing). */
char *k8s_image_jars(const char *root, const char *packages);

/* The pid of the executor JVM (a process whose command line runs KubernetesExecutorBackend) under
 * PROC, or -1. */
long k8s_find_executor(const char *proc);

/* The arguments of `tini [OPTIONS] [--] ARGS...` after tini's own options (index into argv), or
 * -1 for an option tini does not have. */
int k8s_tini_args(int argc, char *const *argv);

/* The whole command: `driver` / `executor` exec their Spark program (exit 64 with one line for a
 * missing or bad variable, 126/127 when it cannot run), `decom.sh` signals the executor and waits
 * for it to exit, `entrypoint.sh` / `tini` run their arguments under mmlspark-init. */
int k8s_main(enum k8s_role role, int argc, char **argv);

#endif
