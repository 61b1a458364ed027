/* sparkenv.h - the Spark environment mmlspark-env computes: packages, SPARK_HOME, JAVA_HOME,
 * heap sizes from the container's memory limit. */
#ifndef MMLSPARK_SPARKENV_H
#define MMLSPARK_SPARKENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The variables, in the order they are printed. A NULL value is left as it is (not found). */
enum spark_var {
    SV_MML_PACKAGE,
    SV_MML_M2REPOS,
    SV_SPARK_HOME,
    SV_JAVA_HOME,
    SV_PYSPARK_PYTHON,
    SV_PATH,
    SV_SPARK_LOCAL_IP,
    SV_SPARK_DRIVER_MEMORY,
    SV_SPARK_WORKER_MEMORY,
    SV_COUNT
};

struct spark_env {
    char *value[SV_COUNT];
};

const char *spark_var_name(enum spark_var v);

/* spark_env_load's flags. */
#define SPARK_ENV_CONFIG_REQUIRED 1u /* a missing config file is an error */
#define SPARK_ENV_PYTHON_OPTIONAL 2u /* a PYSPARK_PYTHON not found is a warning, left as it is
                                        (a pod's JVM may never start Python) */

/* Computes the environment from the config file (a missing file is fine unless required) and
 * the process environment. Returns 0, or 64 (bad variable) / 78 (bad config file) with one line
 * "NAME='value' is invalid: expected ..." or "FILE:LINE: ..." in err. */
int spark_env_load(struct spark_env *e, const char *config, unsigned flags, char *err,
                   size_t errlen);
void spark_env_free(struct spark_env *e);

/* Prints "export NAME='value'" lines for eval. Returns 0, or -1 on a write error. */
int spark_env_print(const struct spark_env *e, FILE *out);
/* Sets the variables in this process (before exec). Returns 0, or -1 (errno set). */
int spark_env_apply(const struct spark_env *e);

/* Writes in as one single-quoted shell word into out ('it'\''s'). Returns the length written, or
 * -1 if out is too small. */
long shell_quote(const char *in, char *out, size_t outlen);

/* The first executable regular file NAME in the colon list PATH (malloc'd), or NULL. */
char *find_in_path(const char *name, const char *path);
/* JAVA_HOME from the `java` found on PATH, symlinks resolved (…/bin/java, Java 8's …/jre/bin/java),
 * or NULL. */
char *detect_java_home(const char *path);
/* SPARK_HOME from a Spark distribution's spark-submit on PATH, or a pip-installed pyspark next to
 * a PATH entry (DIR/../lib/python3.X/site-packages/pyspark), or NULL. */
char *detect_spark_home(const char *path);
/* SPARK_LOCAL_IP for Spark when the user gave none (user_value NULL or empty) and HOSTNAME does
 * not resolve (`--network none`, some `--network host` setups): "127.0.0.1", so that Spark
 * starts on the loopback address instead of failing in InetAddress.getLocalHost. Otherwise NULL:
 * a user's value always wins and a resolvable host is left to Spark. */
const char *spark_local_ip_fallback(const char *user_value, const char *hostname);
/* A Spark home has an executable bin/spark-submit; a detected one also has jars/. */
bool spark_home_looks_valid(const char *dir, bool need_jars);

#endif
