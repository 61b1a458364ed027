/* chowntree.c - the ownership walk: iterative from directory fds (no depth or path length
 * limit but the fd limit), mount-aware, hard links to outside files left alone, stoppable. */
#include "chowntree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"

#define STATX_WANT                                                                                 \
    (STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID | STATX_INO | STATX_MNT_ID)

struct inode_key {
    dev_t dev;
    ino_t ino;
};

/* A file with more links than the walk has seen so far: changed only once all are seen. */
struct linked {
    struct inode_key key;
    unsigned nlink, seen;
    int fd;     /* O_PATH, kept until the end of the walk */
    char *path; /* the first path seen, for the report */
    struct statx st;
};

/* A directory being read, and the length of its path. */
struct frame {
    DIR *dir;
    struct statx st;
    size_t path_len;
};

/* One walk: the ids to change, the mount points found under its starts, where it is. */
struct walk {
    const struct chown_ids *ids;
    const sigset_t *stops;
    int stopsig;
    struct inode_key *mounts; /* from /proc/self/mountinfo, for kernels without statx mount info */
    size_t n_mounts;
    struct frame *stack;
    size_t depth, stack_cap;
    struct linked *links;
    size_t n_links, links_cap;
    bool fd_limit_warned;
    char *path; /* for messages only: the walk itself works on fds */
    size_t path_len, path_cap;
};

static dev_t stx_dev(const struct statx *s)
{
    return makedev(s->stx_dev_major, s->stx_dev_minor);
}

static int stat_fd(int fd, struct statx *s)
{
    return statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_WANT, s);
}

/* Sets the message path to its first len bytes plus "/name" (or name alone when len is 0). */
static void path_set(struct walk *w, size_t len, const char *name)
{
    size_t n = strlen(name), need = len + 1 + n + 1;
    if (need > w->path_cap) {
        char *p = realloc(w->path, need * 2);
        if (p == NULL)
            return; /* keeps the parent's path: only messages use it */
        w->path = p;
        w->path_cap = need * 2;
    }
    w->path_len = len;
    if (len > 0)
        w->path[w->path_len++] = '/';
    memcpy(w->path + w->path_len, name, n + 1);
    w->path_len += n;
}

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

/* Collects the inodes of the mount points at or below root (a real path). */
static void load_mounts(struct walk *w, const char *root)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL)
        return;
    size_t rl = strlen(root), cap = w->n_mounts;
    char *line = NULL;
    size_t line_cap = 0;
    while (getline(&line, &line_cap, f) > 0) {
        char *save = NULL, *mp = strtok_r(line, " ", &save);
        for (int i = 0; mp && i < 4; i++)
            mp = strtok_r(NULL, " ", &save);
        if (mp == NULL)
            continue;
        unescape(mp);
        if (strncmp(mp, root, rl) != 0 || (mp[rl] != '\0' && mp[rl] != '/' && rl > 1))
            continue;
        struct stat st;
        if (stat(mp, &st) != 0)
            continue;
        if (w->n_mounts == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct inode_key *p = realloc(w->mounts, ncap * sizeof(*p));
            if (p == NULL)
                break;
            w->mounts = p;
            cap = ncap;
        }
        w->mounts[w->n_mounts++] = (struct inode_key){st.st_dev, st.st_ino};
    }
    free(line);
    fclose(f);
}

/* True when s (reached from a directory statted as parent) is the root of another mount. */
static bool other_mount(const struct walk *w, const struct statx *parent, const struct statx *s)
{
    if ((s->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
        (s->stx_attributes & STATX_ATTR_MOUNT_ROOT))
        return true;
    if ((s->stx_mask & STATX_MNT_ID) && (parent->stx_mask & STATX_MNT_ID) &&
        s->stx_mnt_id != parent->stx_mnt_id)
        return true;
    if (stx_dev(s) != stx_dev(parent))
        return true;
    for (size_t i = 0; i < w->n_mounts; i++)
        if (w->mounts[i].dev == stx_dev(s) && w->mounts[i].ino == (ino_t)s->stx_ino)
            return true;
    return false;
}

static bool needs_change(const struct walk *w, const struct statx *s)
{
    const struct chown_ids *ids = w->ids;
    return (ids->old_uid != ids->uid && s->stx_uid == ids->old_uid) ||
           (ids->old_gid != ids->gid && ids->old_gid != 0 && ids->old_gid != (gid_t)-1 &&
            s->stx_gid == ids->old_gid);
}

/* Gives fd's inode (statted as s, through the same fd: no path to swap) to the new ids. */
static void chown_fd(const struct walk *w, int fd, const struct statx *s, const char *path)
{
    if (!needs_change(w, s))
        return;
    const struct chown_ids *ids = w->ids;
    uid_t uid = s->stx_uid == ids->old_uid ? ids->uid : (uid_t)-1;
    gid_t gid = s->stx_gid == ids->old_gid && ids->old_gid != 0 ? ids->gid : (gid_t)-1;
    if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) != 0)
        log_warn("cannot change the owner of %s: %s", path, strerror(errno));
}

/* A file with several links: counts this one; returns true when fd was kept for later. */
static bool defer_linked(struct walk *w, int fd, const struct statx *s)
{
    struct inode_key key = {stx_dev(s), (ino_t)s->stx_ino};
    for (size_t i = 0; i < w->n_links; i++)
        if (w->links[i].key.dev == key.dev && w->links[i].key.ino == key.ino) {
            w->links[i].seen++;
            return false;
        }
    if (w->n_links == w->links_cap) {
        size_t cap = w->links_cap ? w->links_cap * 2 : 16;
        struct linked *p = realloc(w->links, cap * sizeof(*p));
        if (p == NULL)
            return false;
        w->links = p;
        w->links_cap = cap;
    }
    char *path = strdup(w->path);
    if (path == NULL)
        return false;
    w->links[w->n_links++] =
        (struct linked){.key = key, .nlink = s->stx_nlink, .seen = 1, .fd = fd, .path = path,
                        .st = *s};
    return true;
}

/* The deferred files: changed when every link was inside the walk, else left and reported. */
static void finish_linked(struct walk *w)
{
    size_t left = 0;
    const char *first = NULL;
    for (size_t i = 0; i < w->n_links; i++) {
        struct linked *l = &w->links[i];
        if (l->seen >= l->nlink) {
            chown_fd(w, l->fd, &l->st, l->path);
        } else if (left++ == 0) {
            first = l->path;
        }
    }
    if (left > 0)
        log_warn("left the owner of %zu file(s) alone: they have hard links outside the "
                 "directories whose owners follow the user (first: %s)",
                 left, first);
}

static void free_linked(struct walk *w)
{
    for (size_t i = 0; i < w->n_links; i++) {
        close(w->links[i].fd);
        free(w->links[i].path);
    }
    free(w->links);
}

static bool push_dir(struct walk *w, int dirfd, const struct statx *s)
{
    if (w->depth == w->stack_cap) {
        size_t cap = w->stack_cap ? w->stack_cap * 2 : 64;
        struct frame *p = realloc(w->stack, cap * sizeof(*p));
        if (p == NULL) {
            close(dirfd);
            return false;
        }
        w->stack = p;
        w->stack_cap = cap;
    }
    DIR *d = fdopendir(dirfd);
    if (d == NULL) {
        close(dirfd);
        return false;
    }
    w->stack[w->depth++] = (struct frame){.dir = d, .st = *s, .path_len = w->path_len};
    return true;
}

static void open_subdir(struct walk *w, int fd, const struct statx *s)
{
    int sub = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sub < 0 && (errno == EMFILE || errno == ENFILE)) {
        if (!w->fd_limit_warned)
            log_warn("not fixing ownership below %s: %zu levels deep, out of file descriptors",
                     w->path, w->depth);
        w->fd_limit_warned = true;
    } else if (sub < 0 || !push_dir(w, sub, s)) {
        log_warn("cannot open %s: %s", w->path, strerror(errno));
    }
}

/* One entry of the directory on top of the stack. */
static void visit(struct walk *w, const struct frame *top, const char *name)
{
    path_set(w, top->path_len, name);
    int fd = openat(dirfd(top->dir), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct statx s;
    if (fd < 0 || stat_fd(fd, &s) != 0) {
        if (errno != ENOENT)
            log_warn("cannot inspect %s: %s", w->path, strerror(errno));
    } else if (other_mount(w, &top->st, &s)) {
        log_debug("%s is a mount point: its owners are left alone", w->path);
    } else if (S_ISDIR(s.stx_mode)) {
        chown_fd(w, fd, &s, w->path);
        open_subdir(w, fd, &s);
    } else if (s.stx_nlink > 1 && needs_change(w, &s)) {
        if (defer_linked(w, fd, &s))
            fd = -1;
    } else {
        chown_fd(w, fd, &s, w->path);
    }
    if (fd >= 0)
        close(fd);
}

static int pending_stop(const struct walk *w)
{
    sigset_t pending;
    if (w->stops == NULL || sigpending(&pending) != 0)
        return 0;
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(w->stops, sig) == 1 && sigismember(&pending, sig) == 1)
            return sig;
    return 0;
}

/* Walks the stack down to empty, or until a stop signal is pending. */
static void walk_stack(struct walk *w)
{
    while (w->depth > 0) {
        if ((w->stopsig = pending_stop(w)) != 0)
            break;
        struct frame *top = &w->stack[w->depth - 1];
        errno = 0;
        struct dirent *e = readdir(top->dir);
        if (e == NULL) {
            w->path_len = top->path_len; /* the directory's own path, for the message */
            if (w->path != NULL)
                w->path[w->path_len] = '\0';
            if (errno != 0)
                log_warn("cannot read %s: %s", w->path ? w->path : "a directory", strerror(errno));
            closedir(top->dir);
            w->depth--;
            continue;
        }
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            visit(w, top, e->d_name);
    }
    while (w->depth > 0)
        closedir(w->stack[--w->depth].dir);
}

/* True when the walk's start (open as fd, statted as s) is itself a mount point. */
static bool start_is_mount(const struct walk *w, int fd, const struct statx *s)
{
    struct statx up;
    int pfd = openat(fd, "..", O_PATH | O_CLOEXEC);
    if (pfd < 0 || stat_fd(pfd, &up) != 0)
        up = *s; /* no parent to compare with: the attribute and mountinfo decide */
    if (pfd >= 0)
        close(pfd);
    return other_mount(w, &up, s);
}

static void walk_start(struct walk *w, const char *dir)
{
    int fd = open(dir, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn("cannot fix ownership under %s: %s", dir, strerror(errno));
        return;
    }
    char real[PATH_MAX];
    w->n_mounts = 0;
    if (realpath(dir, real) != NULL)
        load_mounts(w, real);
    path_set(w, 0, dir);
    struct statx s;
    if (stat_fd(fd, &s) != 0) {
        log_warn("cannot fix ownership under %s: %s", dir, strerror(errno));
    } else if (start_is_mount(w, fd, &s)) {
        log_info("%s is a mounted volume: its owners are left alone", dir);
    } else {
        chown_fd(w, fd, &s, dir);
        open_subdir(w, fd, &s);
        walk_stack(w);
    }
    close(fd);
}

int chowntree_walk(const char *const dirs[], const struct chown_ids *ids, const sigset_t *stops)
{
    struct walk w = {.ids = ids, .stops = stops};
    /* Every level holds one fd: as many as the hard limit allows, for this process only. */
    struct rlimit saved, raised;
    bool restore = getrlimit(RLIMIT_NOFILE, &saved) == 0;
    raised = saved;
    raised.rlim_cur = saved.rlim_max;
    if (restore && setrlimit(RLIMIT_NOFILE, &raised) != 0)
        restore = false;
    for (size_t i = 0; dirs[i] != NULL && w.stopsig == 0; i++)
        if (dirs[i][0] == '/')
            walk_start(&w, dirs[i]);
    if (w.stopsig == 0)
        finish_linked(&w);
    free_linked(&w);
    if (restore)
        setrlimit(RLIMIT_NOFILE, &saved);
    free(w.stack);
    free(w.mounts);
    free(w.path);
    return w.stopsig;
}
