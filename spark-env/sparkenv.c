/* sparkenv.c - compute, validate, print and apply the Spark environment. */
#include "sparkenv.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "memlimit.h"

static const char *const var_names[SV_COUNT] = {
    [SV_MML_PACKAGE] = "MML_PACKAGE",       [SV_MML_M2REPOS] = "MML_M2REPOS",
    [SV_SPARK_HOME] = "SPARK_HOME",         [SV_JAVA_HOME] = "JAVA_HOME",
    [SV_PYSPARK_PYTHON] = "PYSPARK_PYTHON", [SV_PATH] = "PATH",
    [SV_SPARK_LOCAL_IP] = "SPARK_LOCAL_IP", [SV_SPARK_DRIVER_MEMORY] = "SPARK_DRIVER_MEMORY",
    [SV_SPARK_WORKER_MEMORY] = "SPARK_WORKER_MEMORY",
};

const char *spark_var_name(enum spark_var v)
{
    return var_names[v];
}

long shell_quote(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (n + 1 >= outlen)                                                                       \
            return -1;                                                                             \
        out[n++] = (c);                                                                            \
    } while (0)
    PUT('\'');
    for (const char *p = in; *p; p++) {
        if (*p == '\'') {
            PUT('\'');
            PUT('\\');
            PUT('\'');
            PUT('\'');
        } else {
            PUT(*p);
        }
    }
    PUT('\'');
#undef PUT
    out[n] = '\0';
    return (long)n;
}

static bool is_executable_file(const char *file)
{
    struct stat st;
    return stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0;
}

static bool is_dir(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *join(const char *dir, size_t dirlen, const char *name)
{
    size_t len = dirlen + 1 + strlen(name) + 1;
    char *s = malloc(len);
    if (s != NULL)
        snprintf(s, len, "%.*s/%s", (int)dirlen, dir, name);
    return s;
}

char *find_in_path(const char *name, const char *path)
{
    if (strchr(name, '/'))
        return is_executable_file(name) ? strdup(name) : NULL;
    for (const char *p = path ? path : ""; *p;) {
        const char *colon = strchrnul(p, ':');
        size_t n = (size_t)(colon - p);
        if (n > 0) { /* empty entries (the current directory) are skipped on purpose */
            char *file = join(p, n, name);
            if (file != NULL && is_executable_file(file))
                return file;
            free(file);
        }
        p = *colon ? colon + 1 : colon;
    }
    return NULL;
}

/* Cuts suffix off s if s ends with it; returns whether it did. */
static bool strip_suffix(char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n <= m || strcmp(s + n - m, suffix) != 0)
        return false;
    s[n - m] = '\0';
    return true;
}

char *detect_java_home(const char *path)
{
    char *java = find_in_path("java", path);
    if (java == NULL)
        return NULL;
    char *real = realpath(java, NULL);
    free(java);
    if (real == NULL || !strip_suffix(real, "/bin/java")) {
        free(real);
        return NULL;
    }
    strip_suffix(real, "/jre"); /* Java 8 layout: JAVA_HOME is the JDK above jre/ */
    return real;
}

bool spark_home_looks_valid(const char *dir, bool need_jars)
{
    size_t n = strlen(dir);
    char *submit = join(dir, n, "bin/spark-submit");
    char *jars = join(dir, n, "jars");
    bool ok = submit && jars && is_executable_file(submit) && (!need_jars || is_dir(jars));
    free(submit);
    free(jars);
    return ok;
}

/* The first match of a glob pattern that is a Spark home, realpath'd, or NULL. */
static char *first_spark_home(const char *pattern)
{
    glob_t g;
    char *found = NULL;
    if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
        return NULL;
    for (size_t i = 0; i < g.gl_pathc && found == NULL; i++)
        if (spark_home_looks_valid(g.gl_pathv[i], true))
            found = realpath(g.gl_pathv[i], NULL);
    globfree(&g);
    return found;
}

char *detect_spark_home(const char *path)
{
    static const char *const site_dirs[] = {"../lib/python3*/site-packages/pyspark",
                                            "../lib/python3*/dist-packages/pyspark",
                                            "../lib/python3/dist-packages/pyspark"};
    for (const char *p = path ? path : ""; *p;) {
        const char *colon = strchrnul(p, ':');
        size_t n = (size_t)(colon - p);
        char *found = NULL;
        if (n > 0) {
            /* A Spark distribution (or pyspark's own bin/) on PATH: SPARK_HOME/bin/spark-submit. */
            char *submit = join(p, n, "spark-submit");
            char *real = submit && is_executable_file(submit) ? realpath(submit, NULL) : NULL;
            if (real && strip_suffix(real, "/bin/spark-submit") &&
                spark_home_looks_valid(real, true))
                found = real;
            else
                free(real);
            free(submit);
            /* A pip install: DIR is a venv's or a prefix's bin/, pyspark is in its site-packages.
             */
            for (size_t i = 0; found == NULL && i < sizeof(site_dirs) / sizeof(site_dirs[0]); i++) {
                char *pattern = join(p, n, site_dirs[i]);
                found = pattern ? first_spark_home(pattern) : NULL;
                free(pattern);
            }
        }
        if (found != NULL)
            return found;
        p = *colon ? colon + 1 : colon;
    }
    return NULL;
}

static int invalid(char *err, size_t errlen, const char *name, const char *value,
                   const char *expect)
{
    snprintf(err, errlen, "%s='%.200s' is invalid: expected %s", name, value, expect);
    return EXIT_USAGE;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if (iscntrl((unsigned char)*s))
            return true;
    return false;
}

static int set_value(struct spark_env *e, enum spark_var v, const char *value)
{
    free(e->value[v]);
    e->value[v] = value ? strdup(value) : NULL;
    return value && !e->value[v] ? -1 : 0;
}

/* MML_PACKAGE / MML_M2REPOS: env (checked by the settings) > file > default; set but empty
 * means "no packages" / "no extra repositories". */
static int load_packages(struct spark_env *e, const struct mml_settings *s)
{
    const char *pkg = getenv("MML_PACKAGE"), *repos = getenv("MML_M2REPOS");
    return set_value(e, SV_MML_PACKAGE, pkg && !*pkg ? "" : s->mml_package) ||
           set_value(e, SV_MML_M2REPOS, repos && !*repos ? "" : s->mml_m2repos);
}

static int load_homes(struct spark_env *e, const char *path, char *err, size_t errlen)
{
    const char *spark = getenv("SPARK_HOME"), *java = getenv("JAVA_HOME");
    if (spark && *spark) {
        if (spark[0] != '/' || has_control(spark) || !spark_home_looks_valid(spark, false))
            return invalid(err, errlen, "SPARK_HOME", spark,
                           "an absolute path to a Spark installation (with bin/spark-submit)");
        set_value(e, SV_SPARK_HOME, spark);
    } else {
        e->value[SV_SPARK_HOME] = detect_spark_home(path);
        if (!e->value[SV_SPARK_HOME])
            log_warn("no Spark installation found: set SPARK_HOME or install pyspark");
    }
    if (java && *java) {
        size_t n = strlen(java);
        char *bin = join(java, n, "bin/java");
        bool ok = java[0] == '/' && !has_control(java) && bin && is_executable_file(bin);
        free(bin);
        if (!ok)
            return invalid(err, errlen, "JAVA_HOME", java,
                           "an absolute path to a Java installation (with bin/java)");
        set_value(e, SV_JAVA_HOME, java);
    } else {
        e->value[SV_JAVA_HOME] = detect_java_home(path);
        if (!e->value[SV_JAVA_HOME])
            log_warn("no Java found on PATH: set JAVA_HOME or install a Java runtime");
    }
    return 0;
}

static int load_python(struct spark_env *e, const char *path, bool optional, char *err,
                       size_t errlen)
{
    const char *py = getenv("PYSPARK_PYTHON");
    if (py && *py) {
        char *found = has_control(py) ? NULL : find_in_path(py, path);
        if (!found && optional) {
            log_warn("PYSPARK_PYTHON='%.200s' is not in this image: Python tasks will fail", py);
            return 0;
        }
        if (!found)
            return invalid(err, errlen, "PYSPARK_PYTHON", py,
                           "a Python interpreter: a command on PATH or an executable path");
        free(found);
        return set_value(e, SV_PYSPARK_PYTHON, py);
    }
    e->value[SV_PYSPARK_PYTHON] = find_in_path("python3", path);
    return 0;
}

/* Appends SPARK_HOME/bin to PATH when no spark-submit is on it (a plain Spark distribution). */
static int load_path(struct spark_env *e, const char *path)
{
    const char *home = e->value[SV_SPARK_HOME];
    char *submit = find_in_path("spark-submit", path);
    free(submit);
    if (home == NULL || submit != NULL)
        return 0;
    size_t len = strlen(path) + strlen(home) + 6;
    char *p = malloc(len);
    if (p == NULL)
        return -1;
    snprintf(p, len, "%s%s%s/bin", path, *path ? ":" : "", home);
    e->value[SV_PATH] = p;
    return 0;
}

const char *spark_local_ip_fallback(const char *user_value, const char *hostname)
{
    if (user_value != NULL && *user_value != '\0')
        return NULL;
    if (hostname == NULL || *hostname == '\0')
        return "127.0.0.1";
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(hostname, NULL, &hints, &res);
    if (res != NULL)
        freeaddrinfo(res);
    return rc == 0 ? NULL : "127.0.0.1";
}

static int load_local_ip(struct spark_env *e)
{
    char host[HOST_NAME_MAX + 1];
    const char *name = gethostname(host, sizeof(host)) == 0 ? host : NULL;
    host[sizeof(host) - 1] = '\0';
    const char *ip = spark_local_ip_fallback(getenv("SPARK_LOCAL_IP"), name);
    if (ip != NULL)
        log_debug("host name '%s' does not resolve: SPARK_LOCAL_IP=%s", name ? name : "", ip);
    return ip != NULL ? set_value(e, SV_SPARK_LOCAL_IP, ip) : 0;
}

/* SPARK_DRIVER_MEMORY / SPARK_WORKER_MEMORY from the container's memory limit, each only when
 * the user left it unset (their value, and spark.driver.memory / --driver-memory, win). With no
 * limit neither is set: Spark's own defaults stay. */
static int load_memory(struct spark_env *e)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t total = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    uint64_t limit = memlimit_read("/sys/fs/cgroup", total);
    const char *driver = getenv("SPARK_DRIVER_MEMORY"), *worker = getenv("SPARK_WORKER_MEMORY");
    char v[32];
    if (limit == 0)
        return 0;
    log_debug("memory limit %llu MiB", (unsigned long long)(limit / MEMLIMIT_MIB));
    if (driver == NULL || *driver == '\0') {
        snprintf(v, sizeof(v), "%llum", (unsigned long long)memlimit_driver_heap_mib(limit));
        if (set_value(e, SV_SPARK_DRIVER_MEMORY, v) != 0)
            return -1;
    }
    if (worker == NULL || *worker == '\0') {
        snprintf(v, sizeof(v), "%llum", (unsigned long long)memlimit_worker_mib(limit));
        if (set_value(e, SV_SPARK_WORKER_MEMORY, v) != 0)
            return -1;
    }
    return 0;
}

int spark_env_load(struct spark_env *e, const char *config, unsigned flags, char *err,
                   size_t errlen)
{
    memset(e, 0, sizeof(*e));
    struct mml_settings s;
    settings_init(&s);
    int rc = 0;
    bool required = (flags & SPARK_ENV_CONFIG_REQUIRED) != 0;
    if (settings_load_file(&s, config, required, err, errlen) != 0)
        rc = EXIT_CONFIG;
    else if (settings_apply_env(&s, err, errlen) != 0)
        rc = EXIT_USAGE;
    if (rc == 0) {
        mlog_set_level(s.log_level);
        const char *path = getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin";
        if (load_packages(e, &s) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = 70;
        }
        if (rc == 0)
            rc = load_homes(e, path, err, errlen);
        if (rc == 0)
            rc = load_python(e, path, (flags & SPARK_ENV_PYTHON_OPTIONAL) != 0, err, errlen);
        if (rc == 0 && (load_path(e, path) != 0 || load_local_ip(e) != 0 || load_memory(e) != 0))
            rc = 70;
    }
    settings_free(&s);
    if (rc != 0)
        spark_env_free(e);
    return rc;
}

void spark_env_free(struct spark_env *e)
{
    for (int i = 0; i < SV_COUNT; i++) {
        free(e->value[i]);
        e->value[i] = NULL;
    }
}

int spark_env_print(const struct spark_env *e, FILE *out)
{
    for (int i = 0; i < SV_COUNT; i++) {
        const char *v = e->value[i];
        if (v == NULL)
            continue;
        size_t cap = 4 * strlen(v) + 3;
        char *q = malloc(cap);
        if (q == NULL || shell_quote(v, q, cap) < 0) {
            free(q);
            return -1;
        }
        fprintf(out, "export %s=%s\n", var_names[i], q);
        free(q);
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

int spark_env_apply(const struct spark_env *e)
{
    for (int i = 0; i < SV_COUNT; i++)
        if (e->value[i] != NULL && setenv(var_names[i], e->value[i], 1) != 0)
            return -1;
    return 0;
}
