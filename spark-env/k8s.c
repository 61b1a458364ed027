/* k8s.c - validate the environment a Spark 3.5 driver gives its pods and build the command. */
#include "k8s.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envparse.h"
#include "exitcodes.h"
#include "smallfile.h"

#define EXECUTOR_BACKEND "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend"
#define JAVA_OPT_PREFIX "SPARK_JAVA_OPT_"

enum k8s_role k8s_role_of(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    const char *name = slash ? slash + 1 : argv0;
    if (strcmp(name, "driver") == 0)
        return K8S_DRIVER;
    if (strcmp(name, "executor") == 0)
        return K8S_EXECUTOR;
    if (strcmp(name, "decom.sh") == 0)
        return K8S_DECOM;
    if (strcmp(name, "entrypoint.sh") == 0)
        return K8S_ENTRYPOINT;
    if (strcmp(name, "tini") == 0)
        return K8S_TINI;
    return K8S_NONE;
}

/* The value of NAME in envp, or NULL. */
static const char *env_get(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++)
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
            return *envp + n + 1;
    return NULL;
}

static bool set(const char *v)
{
    return v != NULL && *v != '\0';
}

/* A growing NULL-terminated argv; a failed allocation is remembered and reported once. */
struct vec {
    char **v;
    size_t n, cap;
    bool oom;
};

static void vec_push(struct vec *a, const char *s)
{
    if (a->oom)
        return;
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        char **v = realloc(a->v, cap * sizeof(*v));
        if (v == NULL) {
            a->oom = true;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n] = strdup(s);
    if (a->v[a->n] == NULL) {
        a->oom = true;
        return;
    }
    a->v[++a->n] = NULL;
}

static void vec_pushf(struct vec *a, const char *prefix, const char *value)
{
    size_t len = strlen(prefix) + strlen(value) + 1;
    char *s = malloc(len);
    if (s == NULL) {
        a->oom = true;
        return;
    }
    snprintf(s, len, "%s%s", prefix, value);
    vec_push(a, s);
    free(s);
}

static void vec_free(struct vec *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof(*a));
}

/* A ':'-separated list being built; empty parts are skipped (an empty entry would put the
 * working directory on the class path). */
struct list {
    char *s;
    size_t len;
    bool oom;
};

static void list_add(struct list *l, const char *part)
{
    if (l->oom || part == NULL || *part == '\0')
        return;
    size_t n = strlen(part), need = l->len + (l->len ? 1 : 0) + n + 1;
    char *s = realloc(l->s, need);
    if (s == NULL) {
        l->oom = true;
        return;
    }
    if (l->len)
        s[l->len++] = ':';
    memcpy(s + l->len, part, n + 1);
    l->s = s;
    l->len += n;
}

static bool list_has(const char *list, const char *entry)
{
    size_t n = strlen(entry);
    for (const char *p = list ? list : ""; *p;) {
        const char *colon = strchrnul(p, ':');
        if ((size_t)(colon - p) == n && strncmp(p, entry, n) == 0)
            return true;
        p = *colon ? colon + 1 : colon;
    }
    return false;
}

/* Adds each entry of FROM that EXCEPT does not list. */
static void list_add_except(struct list *l, const char *from, const char *except)
{
    char *copy = from ? strdup(from) : NULL;
    if (from && copy == NULL) {
        l->oom = true;
        return;
    }
    char *save = NULL;
    for (char *j = copy ? strtok_r(copy, ":", &save) : NULL; j; j = strtok_r(NULL, ":", &save))
        if (!list_has(except, j))
            list_add(l, j);
    free(copy);
}

/* "missing A, B, C: ..." for every unset name, or 0 when all are set. */
static int require(char *const *envp, const char *const *names, const char *role, char *err,
                   size_t errlen)
{
    size_t used = 0;
    for (const char *const *n = names; *n; n++) {
        if (set(env_get(envp, *n)))
            continue;
        int w = snprintf(err + used, errlen - used, "%s%s", used ? ", " : "missing ", *n);
        used += w > 0 && (size_t)w < errlen - used ? (size_t)w : 0;
    }
    if (used == 0)
        return 0;
    snprintf(err + used, errlen - used,
             ": '%s' runs in a pod that Spark's Kubernetes backend created, which sets them", role);
    return EXIT_USAGE;
}

/* A JVM heap size as Spark writes it: digits and an optional k, m, g or t. */
static bool is_heap_size(const char *s)
{
    const char *p = s;
    while (isdigit((unsigned char)*p))
        p++;
    return p > s && (*p == '\0' || (strchr("kKmMgGtT", *p) && p[1] == '\0'));
}

static bool is_count(const char *s)
{
    unsigned long n;
    return parse_ulong(s, 1, INT_MAX, &n) == 0;
}

static bool is_id(const char *s)
{
    unsigned long n;
    return parse_ulong(s, 0, INT_MAX, &n) == 0;
}

static int check_executor_values(char *const *envp, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        bool (*valid)(const char *);
        const char *expect;
    } checks[] = {
        {"SPARK_EXECUTOR_CORES", is_count, "a whole number of cores, 1 or more"},
        {"SPARK_RESOURCE_PROFILE_ID", is_id, "a number, 0 or more"},
        {"SPARK_EXECUTOR_MEMORY", is_heap_size, "a heap size such as 1024m or 4g"},
    };
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        const char *v = env_get(envp, checks[i].name);
        if (!checks[i].valid(v)) {
            snprintf(err, errlen, "%s='%.200s' is invalid: expected %s", checks[i].name, v,
                     checks[i].expect);
            return EXIT_USAGE;
        }
    }
    return 0;
}

struct java_opt {
    unsigned long index;
    const char *value;
};

static int by_index(const void *a, const void *b)
{
    const struct java_opt *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

/* SPARK_JAVA_OPT_0, _1, ... in numeric order (_10 after _9), each one argument. */
static void push_java_opts(struct vec *a, char *const *envp)
{
    size_t count = 0;
    for (char *const *e = envp; e && *e; e++)
        count += strncmp(*e, JAVA_OPT_PREFIX, strlen(JAVA_OPT_PREFIX)) == 0;
    struct java_opt *opts = calloc(count ? count : 1, sizeof(*opts));
    if (opts == NULL) {
        a->oom = true;
        return;
    }
    size_t n = 0;
    for (char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, JAVA_OPT_PREFIX, strlen(JAVA_OPT_PREFIX)) != 0)
            continue;
        const char *num = *e + strlen(JAVA_OPT_PREFIX), *eq = strchr(num, '=');
        char digits[24];
        size_t len = eq ? (size_t)(eq - num) : 0;
        if (len == 0 || len >= sizeof(digits))
            continue;
        memcpy(digits, num, len);
        digits[len] = '\0';
        if (parse_ulong(digits, 0, ULONG_MAX, &opts[n].index) == 0)
            opts[n++].value = eq + 1;
    }
    qsort(opts, n, sizeof(*opts), by_index);
    for (size_t i = 0; i < n; i++)
        vec_push(a, opts[i].value);
    free(opts);
}

/* The executor's class path, in the order of apache/spark's image (conf dirs, the driver's
 * spark.executor.extraClassPath, Spark's jars, SPARK_EXTRA_CLASSPATH, SPARK_DIST_CLASSPATH, the
 * working directory where --files land), with the image's SynapseML jars right after Spark's
 * own, and only there (a driver may list them in spark.executor.extraClassPath, as a notebook
 * kernel does): a dependency of SynapseML never shadows a Spark class, as with --packages. Its
 * slf4j-api 1.7 before Spark's 2.x would silence Spark's logging. The working directory comes
 * last: a shipped file never shadows a class of Spark's or Hadoop's. */
static char *executor_classpath(const struct k8s_input *in, bool *oom)
{
    char *const *envp = in->envp;
    const char *conf = env_get(envp, "SPARK_CONF_DIR"), *user = env_get(envp, "SPARK_CLASSPATH"),
               *extra = env_get(envp, "SPARK_EXTRA_CLASSPATH");
    struct list l = {0};
    size_t hlen = strlen(in->spark_home) + sizeof("/jars/*");
    char *home_conf = malloc(hlen), *home_jars = malloc(hlen);
    if (home_conf && home_jars) {
        snprintf(home_conf, hlen, "%s/conf", in->spark_home);
        snprintf(home_jars, hlen, "%s/jars/*", in->spark_home);
        list_add(&l, set(conf) ? conf : home_conf);
        list_add(&l, env_get(envp, "HADOOP_CONF_DIR"));
        list_add_except(&l, user, in->image_jars);
        list_add(&l, home_jars);
        list_add(&l, in->image_jars);
        list_add_except(&l, extra, in->image_jars);
        list_add(&l, env_get(envp, "SPARK_DIST_CLASSPATH"));
        list_add(&l, in->cwd);
    } else {
        l.oom = true;
    }
    free(home_conf);
    free(home_jars);
    *oom = l.oom;
    return l.s;
}

/* The pod's own variables first: they say whether this is a pod at all. */
static int validate(const struct k8s_input *in, char *err, size_t errlen)
{
    static const char *const executor[] = {
        "SPARK_DRIVER_URL",      "SPARK_EXECUTOR_ID",      "SPARK_EXECUTOR_CORES",
        "SPARK_EXECUTOR_MEMORY", "SPARK_APPLICATION_ID",   "SPARK_EXECUTOR_POD_IP",
        "SPARK_EXECUTOR_POD_NAME", "SPARK_RESOURCE_PROFILE_ID", NULL};
    static const char *const driver[] = {"SPARK_DRIVER_BIND_ADDRESS", NULL};
    int rc = in->role == K8S_EXECUTOR ? require(in->envp, executor, "executor", err, errlen)
             : in->role == K8S_DRIVER ? require(in->envp, driver, "driver", err, errlen)
                                      : EXIT_SOFTWARE;
    if (rc == 0 && in->role == K8S_EXECUTOR)
        rc = check_executor_values(in->envp, err, errlen);
    if (rc == 0 && !set(in->spark_home)) {
        snprintf(err, errlen, "no Spark installation found: set SPARK_HOME");
        rc = EXIT_USAGE;
    } else if (rc == 0 && !set(in->java_home)) {
        snprintf(err, errlen, "no Java found: set JAVA_HOME");
        rc = EXIT_USAGE;
    }
    return rc;
}

static void build_executor(const struct k8s_input *in, struct vec *a)
{
    char *const *envp = in->envp;
    bool oom = false;
    char *cp = executor_classpath(in, &oom);
    const char *mem = env_get(envp, "SPARK_EXECUTOR_MEMORY");
    vec_pushf(a, in->java_home, "/bin/java");
    push_java_opts(a, envp);
    vec_pushf(a, "-Xms", mem);
    vec_pushf(a, "-Xmx", mem);
    vec_push(a, "-cp");
    vec_push(a, cp ? cp : "");
    vec_push(a, EXECUTOR_BACKEND);
    static const char *const flags[][2] = {
        {"--driver-url", "SPARK_DRIVER_URL"},
        {"--executor-id", "SPARK_EXECUTOR_ID"},
        {"--cores", "SPARK_EXECUTOR_CORES"},
        {"--app-id", "SPARK_APPLICATION_ID"},
        {"--hostname", "SPARK_EXECUTOR_POD_IP"},
        {"--resourceProfileId", "SPARK_RESOURCE_PROFILE_ID"},
        {"--podName", "SPARK_EXECUTOR_POD_NAME"},
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        vec_push(a, flags[i][0]);
        vec_push(a, env_get(envp, flags[i][1]));
    }
    free(cp);
    a->oom |= oom;
}

static void build_driver(const struct k8s_input *in, struct vec *a, struct k8s_command *out)
{
    vec_pushf(a, in->spark_home, "/bin/spark-submit");
    vec_push(a, "--conf");
    const char *ip = env_get(in->envp, "SPARK_DRIVER_BIND_ADDRESS");
    vec_pushf(a, "spark.driver.bindAddress=", ip);
    vec_push(a, "--conf");
    vec_pushf(a, "spark.executorEnv.SPARK_DRIVER_POD_IP=", ip);
    vec_push(a, "--deploy-mode");
    vec_push(a, "client");
    for (int i = 0; i < in->argc; i++)
        vec_push(a, in->argv[i]);
    /* spark-submit reads the image's spark-env.sh, which sizes an unset SPARK_DRIVER_MEMORY from
     * the container's limit; in a pod that limit is Spark's own (the driver's memory plus
     * overhead): the launcher gets Spark's default instead, and spark.driver.memory still wins. */
    if (!set(env_get(in->envp, "SPARK_DRIVER_MEMORY")))
        out->driver_memory = K8S_SPARK_DEFAULT_DRIVER_MEMORY;
    /* spark-submit's launcher appends SPARK_DIST_CLASSPATH to the driver JVM's class path: the
     * image's jars get there without overriding the user's spark.driver.extraClassPath. */
    if (set(in->image_jars)) {
        struct list l = {0};
        list_add(&l, in->image_jars);
        list_add(&l, env_get(in->envp, "SPARK_DIST_CLASSPATH"));
        out->dist_classpath = l.s;
        a->oom |= l.oom;
    }
}

int k8s_build(const struct k8s_input *in, struct k8s_command *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    int rc = validate(in, err, errlen);
    if (rc != 0)
        return rc;
    struct vec a = {0};
    if (in->role == K8S_DRIVER)
        build_driver(in, &a, out);
    else
        build_executor(in, &a);
    if (a.oom) {
        vec_free(&a);
        free(out->dist_classpath);
        out->dist_classpath = NULL;
        snprintf(err, errlen, "out of memory");
        return EXIT_SOFTWARE;
    }
    out->argv = a.v;
    out->argc = a.n;
    return 0;
}

void k8s_command_free(struct k8s_command *c)
{
    for (size_t i = 0; i < c->argc; i++)
        free(c->argv[i]);
    free(c->argv);
    free(c->dist_classpath);
    memset(c, 0, sizeof(*c));
}

/* ROOT/NAME, one of the image's small lists. */
static char *read_small(const char *root, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", root, name);
    size_t len;
    return smallfile_load(path, 0, 0, 1 << 16, &len, NULL);
}

/* The coordinates of a package list, trimmed and sorted, joined by ','; NULL for none. */
static char *coordinates(const char *packages)
{
    char *copy = strdup(packages), *save = NULL;
    char *items[64];
    size_t n = 0;
    for (char *t = copy ? strtok_r(copy, ", \t\n", &save) : NULL; t && n < 64;
         t = strtok_r(NULL, ", \t\n", &save))
        items[n++] = t;
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful of items */
        for (size_t j = i; j > 0 && strcmp(items[j - 1], items[j]) > 0; j--) {
            char *t = items[j];
            items[j] = items[j - 1];
            items[j - 1] = t;
        }
    struct list l = {0};
    for (size_t i = 0; i < n; i++)
        list_add(&l, items[i]);
    free(copy);
    return l.oom ? (free(l.s), NULL) : l.s;
}

char *k8s_image_jars(const char *root, const char *packages)
{
    if (!set(packages))
        return NULL;
    char *built = read_small(root, "package"), *cp = read_small(root, "classpath");
    char *want = coordinates(packages), *have = built ? coordinates(built) : NULL;
    struct list l = {0};
    bool ok = want && have && strcmp(want, have) == 0 && cp;
    char *save = NULL;
    for (char *j = ok ? strtok_r(cp, "\n", &save) : NULL; j && ok; j = strtok_r(NULL, "\n", &save))
        if (*j) {
            ok = access(j, R_OK) == 0;
            list_add(&l, j);
        }
    free(built);
    free(cp);
    free(want);
    free(have);
    if (!ok || l.oom || l.s == NULL) {
        free(l.s);
        return NULL;
    }
    return l.s;
}

int k8s_tini_args(int argc, char *const *argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        if (strcmp(argv[i], "--") == 0)
            return i + 1;
        for (const char *o = argv[i] + 1; *o; o++) {
            if (strchr("sgvwl", *o)) /* subreaper, process group, verbosity, warnings, license */
                continue;
            if (strchr("pe", *o) && o[1] == '\0' && i + 1 < argc) { /* -p SIGNAL, -e CODE */
                i++;
                break;
            }
            return -1;
        }
    }
    return i;
}

long k8s_find_executor(const char *proc)
{
    DIR *d = opendir(proc);
    if (d == NULL)
        return -1;
    long found = -1, self = (long)getpid();
    struct dirent *de;
    while (found < 0 && (de = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == self)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s/cmdline", proc, de->d_name);
        size_t n = 0;
        char *args = smallfile_load(path, 0, 0, 1 << 20, &n, NULL); /* a long class path */
        for (size_t i = 0; args && i < n; i += strlen(args + i) + 1) /* NUL-separated */
            if (strcmp(args + i, EXECUTOR_BACKEND) == 0)
                found = pid;
        free(args);
    }
    closedir(d);
    return found;
}
