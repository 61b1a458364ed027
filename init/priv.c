/* priv.c - who runs the job (README "Users": --user root, NB_UID/NB_GID, hooks), and the
 * root-time work. */
#include "priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcodes.h"
#include "hooks.h"
#include "identity.h"
#include "log.h"
#include "pamsession.h"
#include "session.h"
#include "spawn.h"
#include "account.h"
#include "procutil.h"
#include "renumber.h"

#define ID_MAX 2147483646UL /* 2^31-2: (uid_t)-1 and negative ids stay out of reach */

/* What the environment asks of a root start, parsed once. */
struct requests {
    bool uid_set, gid_set, umask_set;
    uid_t uid;
    gid_t gid;
    mode_t umask;
};

/* What the preparation process hands back to the setup. */
struct prep_result {
    int rc;
    struct priv_plan plan;
    struct identity id; /* a non-root job's name and HOME, exported by the setup */
};

static int parse_requests(struct requests *rq)
{
    memset(rq, 0, sizeof(*rq));
    unsigned long v;
    const char *e = getenv("NB_UID");
    if (e && e[0]) {
        if (parse_ulong(e, 1, ID_MAX, &v) != 0) {
            log_error("NB_UID='%s': expected a user id 1..%lu (run with --user root, not "
                      "NB_UID=0, to run as root)",
                      e, ID_MAX);
            return EXIT_USAGE;
        }
        rq->uid_set = true;
        rq->uid = (uid_t)v;
    }
    e = getenv("NB_GID");
    if (e && e[0]) {
        if (parse_ulong(e, 0, ID_MAX, &v) != 0) {
            log_error("NB_GID='%s': expected a group id 0..%lu", e, ID_MAX);
            return EXIT_USAGE;
        }
        rq->gid_set = true;
        rq->gid = (gid_t)v;
    }
    e = getenv("NB_UMASK");
    if (e && e[0]) {
        char *end;
        errno = 0;
        v = strtoul(e, &end, 8);
        if (errno || *end || e[0] < '0' || e[0] > '7' || strlen(e) > 4 || v > 0777) {
            log_error("NB_UMASK='%s': expected an octal umask 0000..0777, e.g. 002", e);
            return EXIT_USAGE;
        }
        rq->umask_set = true;
        rq->umask = (mode_t)v;
    }
    return 0;
}

/* MMLSPARK_PAM_CONFDIR (for tests) is honoured only for a root-owned directory and service file
 * that nobody else may write: it decides which modules run as root. */
static int pam_confdir(struct priv_plan *plan)
{
    const char *dir = getenv("MMLSPARK_PAM_CONFDIR");
    if (dir == NULL || dir[0] == '\0')
        return 0;
    char file[4096 + 64];
    snprintf(file, sizeof(file), "%s/%s", dir, MML_PAM_SERVICE);
    struct stat d, f;
    if (dir[0] != '/' || strlen(dir) >= sizeof(plan->pam_confdir) || lstat(dir, &d) != 0 ||
        !S_ISDIR(d.st_mode) || d.st_uid != 0 || (d.st_mode & 022) || lstat(file, &f) != 0 ||
        !S_ISREG(f.st_mode) || f.st_uid != 0 || (f.st_mode & 022)) {
        log_error("MMLSPARK_PAM_CONFDIR='%s': expected an absolute path to a root-owned "
                  "directory holding a root-owned '%s', neither writable by group or others",
                  dir, MML_PAM_SERVICE);
        return EXIT_USAGE;
    }
    snprintf(plan->pam_confdir, sizeof(plan->pam_confdir), "%s", dir);
    return 0;
}

static int prepare_unprivileged(const struct mml_settings *s, const struct requests *rq,
                                struct prep_result *out)
{
    if (rq->uid_set || rq->gid_set)
        log_warn("NB_UID/NB_GID are ignored: they need a start as root (docker run --user root)");
    identity_prepare(s->user, &out->id);
    return hooks_run(s->hooks_dir, s->grace_seconds);
}

/* Root without the capabilities the drop (SETUID, SETGID) and an NB_UID/NB_GID remap (CHOWN) need,
 * as under --cap-drop ALL: one line that says which are missing and what to do, before any work. */
static int check_capabilities(const struct requests *rq)
{
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};
    if (syscall(SYS_capget, &head, data) != 0)
        return 0; /* cannot tell: the work itself reports what fails */
    static const struct {
        unsigned cap;
        const char *name;
    } need[] = {{CAP_SETUID, "SETUID"}, {CAP_SETGID, "SETGID"}, {CAP_CHOWN, "CHOWN"}};
    bool remapping = rq->uid_set || rq->gid_set;
    char missing[64] = "", add[128] = "";
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if ((need[i].cap == CAP_CHOWN && !remapping) ||
            (data[CAP_TO_INDEX(need[i].cap)].effective & CAP_TO_MASK(need[i].cap)))
            continue;
        size_t m = strlen(missing), a = strlen(add);
        snprintf(missing + m, sizeof(missing) - m, "%sCAP_%s", m ? ", " : "", need[i].name);
        snprintf(add + a, sizeof(add) - a, "%s--cap-add %s", a ? " " : "", need[i].name);
    }
    if (missing[0] == '\0')
        return 0;
    log_error("%s needs %s, which this container does not have (--cap-drop): run with %s, "
              "or without --user root (the image's user, or --user UID:GID, needs none)",
              remapping ? "NB_UID/NB_GID" : "the drop from root to the notebook user", missing,
              add);
    return EXIT_SOFTWARE;
}

/* NB_UID/NB_GID (and an interrupted earlier change): see renumber.h. */
static int renumber(const struct mml_settings *s, const struct requests *rq, struct user_info *u)
{
    struct acct_ask ask = {.set_uid = rq->uid_set, .uid = rq->uid, .set_gid = rq->gid_set,
                           .gid = rq->gid};
    const char *const dirs[] = {s->notebook_dir, NULL};
    sigset_t stops;
    stop_signal_set(&stops);
    int rc = renumber_run(s->user, &ask, dirs, &stops);
    if (rc != 0 || !(rq->uid_set || rq->gid_set))
        return rc;
    if (account_lookup(s->user, u) != 0) {
        log_error("user %s is gone after the uid/gid change", s->user);
        return EXIT_SOFTWARE;
    }
    if ((rq->uid_set && u->uid != rq->uid) || (rq->gid_set && u->gid != rq->gid)) {
        log_error("user %s has uid %u and gid %u after the change, not the asked NB_UID/NB_GID",
                  s->user, (unsigned)u->uid, (unsigned)u->gid);
        return EXIT_SOFTWARE;
    }
    return 0;
}

static void fill_plan(struct priv_plan *plan, const struct user_info *u)
{
    plan->drop = true;
    plan->uid = u->uid;
    plan->gid = u->gid;
    snprintf(plan->user, sizeof(plan->user), "%s", u->name);
    snprintf(plan->home, sizeof(plan->home), "%s", u->home);
    snprintf(plan->shell, sizeof(plan->shell), "%s", u->shell);
}

/* The root-time work: in the preparation process (the setup's child) when the setup may drop. */
static int prepare(const struct mml_settings *s, const struct requests *rq, struct prep_result *out)
{
    struct priv_plan *plan = &out->plan;
    if (geteuid() != 0)
        return prepare_unprivileged(s, rq, out);
    int rc;
    /* A change that a kill interrupted is completed even when this start asks for none. */
    if (renumber_pending() && !(rq->uid_set || rq->gid_set) && (rc = renumber(s, rq, NULL)) != 0)
        return rc;
    /* NB_UMASK alone is no reason to drop: the setup set it, and a root job keeps it. */
    bool asked = rq->uid_set || rq->gid_set || hooks_count(s->hooks_dir) > 0;
    if (!asked) {
        plan->job_is_root = true; /* --user root: the seed's promise */
        return 0;
    }
    struct user_info u;
    if (account_lookup(s->user, &u) != 0) {
        log_error("the notebook user '%s' (NB_USER, or 'user' in the config file) has no "
                  "passwd entry",
                  s->user);
        return EXIT_USAGE;
    }
    if (u.uid == 0) {
        if (rq->uid_set || rq->gid_set) {
            log_error("NB_UID/NB_GID cannot renumber the notebook user '%s': it is root", s->user);
            return EXIT_USAGE;
        }
        plan->job_is_root = true;
        return hooks_run(s->hooks_dir, s->grace_seconds);
    }
    if ((rc = check_capabilities(rq)) != 0)
        return rc;
    if ((rc = pam_confdir(plan)) != 0 ||
        ((rq->uid_set || rq->gid_set) && (rc = renumber(s, rq, &u)) != 0))
        return rc;
    if ((rc = hooks_run(s->hooks_dir, s->grace_seconds)) != 0)
        return rc;
    fill_plan(plan, &u);
    log_debug("the job runs as %s (uid %u, gid %u) in a PAM session", u.name, (unsigned)u.uid,
              (unsigned)u.gid);
    return 0;
}

static bool read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* The passwd lookups and edits, the ownership walk and the hooks run in a child: none of their
 * memory (NSS, the walk, scandir) stays in the setup, which may become the long-lived session
 * process and keeps only the small plan. */
static int prepare_in_child(const struct mml_settings *s, const struct requests *rq,
                            struct prep_result *out)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        log_error("cannot create a pipe: %s", strerror(errno));
        return EXIT_SOFTWARE;
    }
    pid_t pid = fork();
    if (pid < 0) {
        log_error("cannot fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return EXIT_SOFTWARE;
    }
    if (pid == 0) {
        close(fds[0]);
        out->rc = prepare(s, rq, out);
        ssize_t n = write(fds[1], out, sizeof(*out)); /* fits the pipe: no reader race */
        _exit(n == (ssize_t)sizeof(*out) ? 0 : 1);
    }
    close(fds[1]);
    spawn_pass_stop(pid, fds[0]); /* docker stop during the hooks reaches them */
    bool got = read_all(fds[0], out, sizeof(*out));
    close(fds[0]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (!got) {
        log_error("the preparation process died before it reported");
        return EXIT_SOFTWARE;
    }
    return out->rc;
}

/* Whether the setup may become the session process: only a start as root with something to do
 * can drop. Otherwise the setup execs the job next, and the work is done here, without a fork. */
static bool may_drop(const struct mml_settings *s, const struct requests *rq)
{
    return geteuid() == 0 &&
           (rq->uid_set || rq->gid_set || renumber_pending() || hooks_count(s->hooks_dir) > 0);
}

int priv_prepare(const struct mml_settings *s, struct priv_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    struct requests rq;
    int rc = parse_requests(&rq);
    if (rc != 0)
        return rc;
    if (rq.umask_set)
        umask(rq.umask);
    static struct prep_result result; /* 12 kB: off the stack, zeroed */
    memset(&result, 0, sizeof(result));
    rc = may_drop(s, &rq) ? prepare_in_child(s, &rq, &result) : prepare(s, &rq, &result);
    if (rc != 0)
        return rc;
    *plan = result.plan;
    identity_export(&result.id);
    if (plan->pam_confdir[0])
        unsetenv("MMLSPARK_PAM_CONFDIR"); /* the job does not need it */
    return 0;
}

void priv_enter(const struct priv_plan *plan, char *const argv[], bool kill_group, int status_fd)
{
    if (!plan->drop)
        return;
    struct session_spec spec = {
        .uid = plan->uid,
        .gid = plan->gid,
        .user = plan->user,
        .home = plan->home,
        .shell = plan->shell,
        .pam_confdir = plan->pam_confdir[0] ? plan->pam_confdir : NULL,
        .kill_group = kill_group,
        .status_fd = status_fd,
    };
    session_run(&spec, argv);
}
