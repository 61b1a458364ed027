/* userdb.c - the notebook user's account: passwd lookups, renumbering by locked atomic edits of
 * /etc/passwd and /etc/group, and an ownership walk that never leaves its own mount. */
#include "userdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"

static void copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

int userdb_lookup(const char *name, struct user_info *out)
{
    char buf[16384];
    struct passwd pw, *found = NULL;
    if (getpwnam_r(name, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
        return -1;
    out->uid = pw.pw_uid;
    out->gid = pw.pw_gid;
    copy(out->name, sizeof(out->name), pw.pw_name);
    copy(out->home, sizeof(out->home), pw.pw_dir);
    copy(out->shell, sizeof(out->shell), pw.pw_shell && pw.pw_shell[0] ? pw.pw_shell : "/bin/sh");
    return 0;
}

/* ---- the account files: read whole, edit line by line, replace by rename ---- */

#define DB_MAX (64u << 20) /* a larger passwd/group is not one we edit */

/* One account file: its text as read, and the replacement being built. */
struct dbfile {
    const char *path;
    bool exists, changed;
    struct stat st;
    char *text;
    size_t len;
    char *out;
    size_t out_len, out_cap;
};

static int db_read(struct dbfile *f)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        log_error("cannot renumber the notebook user: cannot open %s: %s", f->path,
                  strerror(errno));
        return -1;
    }
    int rc = -1;
    if (fstat(fd, &f->st) != 0 || !S_ISREG(f->st.st_mode) || f->st.st_size > (off_t)DB_MAX) {
        log_error("cannot renumber the notebook user: %s is not a regular file under %u MiB",
                  f->path, DB_MAX >> 20);
        goto out;
    }
    f->text = malloc((size_t)f->st.st_size + 1);
    if (f->text == NULL) {
        log_error("cannot renumber the notebook user: out of memory reading %s", f->path);
        goto out;
    }
    while (f->len < (size_t)f->st.st_size) {
        ssize_t n = read(fd, f->text + f->len, (size_t)f->st.st_size - f->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_error("cannot renumber the notebook user: cannot read %s: %s", f->path,
                      n < 0 ? strerror(errno) : "it shrank while read");
            goto out;
        }
        f->len += (size_t)n;
    }
    f->text[f->len] = '\0';
    f->exists = true;
    rc = 0;
out:
    close(fd);
    return rc;
}

static bool out_add(struct dbfile *f, const char *s, size_t n)
{
    if (f->out_len + n + 1 > f->out_cap) {
        size_t cap = (f->out_len + n + 1) * 2;
        char *p = realloc(f->out, cap);
        if (p == NULL)
            return false;
        f->out = p;
        f->out_cap = cap;
    }
    memcpy(f->out + f->out_len, s, n);
    f->out_len += n;
    f->out[f->out_len] = '\0';
    return true;
}

/* Field idx (0-based, ':'-separated) of line [s, s+n): its start and length, or false. */
static bool field(const char *s, size_t n, unsigned idx, const char **start, size_t *flen)
{
    const char *end = s + n;
    for (unsigned i = 0; i < idx; i++) {
        const char *c = memchr(s, ':', (size_t)(end - s));
        if (c == NULL)
            return false;
        s = c + 1;
    }
    const char *c = memchr(s, ':', (size_t)(end - s));
    *start = s;
    *flen = (size_t)((c ? c : end) - s);
    return true;
}

static bool field_is(const char *s, size_t n, unsigned idx, const char *want)
{
    const char *f;
    size_t fl;
    return field(s, n, idx, &f, &fl) && fl == strlen(want) && memcmp(f, want, fl) == 0;
}

/* The numeric field idx, or -1 when it is missing or not a plain decimal id. */
static long long field_id(const char *s, size_t n, unsigned idx)
{
    const char *f;
    size_t fl;
    if (!field(s, n, idx, &f, &fl) || fl == 0 || fl > 10)
        return -1;
    long long v = 0;
    for (size_t i = 0; i < fl; i++) {
        if (f[i] < '0' || f[i] > '9')
            return -1;
        v = v * 10 + (f[i] - '0');
    }
    return v;
}

/* What a line edit does: set field idx to value in matching lines. */
struct line_edit {
    const char *name;  /* lines whose first field is this name ... */
    long long from_id; /* ... or (when >= 0) whose field idx holds this id */
    unsigned idx;
    unsigned long value;
};

static const struct line_edit *edit_for(const struct line_edit *edits, size_t n_edits,
                                        const char *s, size_t n, unsigned idx)
{
    for (size_t i = 0; i < n_edits; i++)
        if (edits[i].idx == idx &&
            ((edits[i].name && field_is(s, n, 0, edits[i].name)) ||
             (edits[i].from_id >= 0 && field_id(s, n, edits[i].idx) == edits[i].from_id)))
            return &edits[i];
    return NULL;
}

/* Copies line [s, s+n) field by field, setting the fields that edits match (decided on the
 * line as read). */
static bool line_rewrite(struct dbfile *f, const char *s, size_t n, const struct line_edit *edits,
                         size_t n_edits)
{
    const char *end = s + n, *fs = s;
    for (unsigned idx = 0;; idx++) {
        const char *c = memchr(fs, ':', (size_t)(end - fs));
        size_t fl = (size_t)((c ? c : end) - fs);
        const struct line_edit *e = edit_for(edits, n_edits, s, n, idx);
        if (e) {
            char id[24];
            int idn = snprintf(id, sizeof(id), "%lu", e->value);
            if (!out_add(f, id, (size_t)idn))
                return false;
            f->changed = true;
        } else if (!out_add(f, fs, fl)) {
            return false;
        }
        if (c == NULL)
            return true;
        if (!out_add(f, ":", 1))
            return false;
        fs = c + 1;
    }
}

/* Copies f's text to its output, applying the edits to the lines they match. */
static bool db_rewrite(struct dbfile *f, const struct line_edit *edits, size_t n_edits)
{
    f->out_len = 0;
    if (!out_add(f, "", 0))
        return false;
    for (const char *s = f->text, *end = f->text + f->len; s < end;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = (size_t)((nl ? nl : end) - s);
        if (!line_rewrite(f, s, n, edits, n_edits) || (nl && !out_add(f, "\n", 1)))
            return false;
        s = nl ? nl + 1 : end;
    }
    return true;
}

/* Appends a line (adding the missing newline of a last line first). */
static bool db_append(struct dbfile *f, const char *line)
{
    if (f->out_len > 0 && f->out[f->out_len - 1] != '\n' && !out_add(f, "\n", 1))
        return false;
    f->changed = true;
    return out_add(f, line, strlen(line));
}

static const char *db_find(const struct dbfile *f, unsigned idx, const char *name, long long id)
{
    for (const char *s = f->text, *end = f->text + f->len; s < end;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = (size_t)((nl ? nl : end) - s);
        if (name ? field_is(s, n, idx, name) : field_id(s, n, idx) == id)
            return s;
        s = nl ? nl + 1 : end;
    }
    return NULL;
}

static void sync_dir(const char *path)
{
    char dir[PATH_MAX];
    copy(dir, sizeof(dir), path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        return;
    slash[slash == dir ? 1 : 0] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes text to a new file next to f->path with f's owner and mode, synced; its name in tmp. */
static int db_write_temp(const struct dbfile *f, const char *text, size_t len, char *tmp,
                         size_t tmp_len)
{
    snprintf(tmp, tmp_len, "%s.mmlspark-XXXXXX", f->path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        tmp[0] = '\0';
        return -1;
    }
    int rc = fchown(fd, f->st.st_uid, f->st.st_gid) != 0 || fchmod(fd, f->st.st_mode & 07777) != 0
                 ? -1
                 : 0;
    for (size_t done = 0; rc == 0 && done < len;) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = -1;
        else
            done += (size_t)n;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = -1;
    int saved = errno;
    if (close(fd) != 0 && rc == 0)
        rc = -1;
    else
        errno = saved;
    if (rc != 0) {
        saved = errno;
        unlink(tmp);
        tmp[0] = '\0';
        errno = saved;
    }
    return rc;
}

/* Replaces each changed file by rename, in order; on a failure puts back the ones already
 * replaced, so that either all edits land or none. Returns 0, or -1 after one error line. */
static int db_commit(struct dbfile *files, size_t n)
{
    char tmp[4][PATH_MAX];
    size_t i, done = 0;
    int rc = 0;
    for (i = 0; i < n; i++)
        tmp[i][0] = '\0';
    for (i = 0; i < n; i++) {
        if (files[i].changed &&
            db_write_temp(&files[i], files[i].out, files[i].out_len, tmp[i], sizeof(tmp[i])) != 0) {
            log_error("cannot renumber the notebook user: cannot write a new %s: %s",
                      files[i].path, strerror(errno));
            rc = -1;
            break;
        }
    }
    for (i = 0; rc == 0 && i < n; i++, done = i) {
        if (!files[i].changed)
            continue;
        if (rename(tmp[i], files[i].path) != 0) {
            log_error("cannot renumber the notebook user: cannot replace %s: %s (nothing "
                      "changed)",
                      files[i].path, strerror(errno));
            rc = -1;
            break;
        }
        tmp[i][0] = '\0';
        sync_dir(files[i].path);
    }
    for (i = 0; i < n; i++)
        if (tmp[i][0])
            unlink(tmp[i]);
    for (i = 0; rc != 0 && i < done; i++) { /* put the earlier files back */
        char back[PATH_MAX];
        if (!files[i].changed)
            continue;
        if (db_write_temp(&files[i], files[i].text, files[i].len, back, sizeof(back)) != 0 ||
            rename(back, files[i].path) != 0) {
            log_error("cannot restore %s after a failed renumbering: %s", files[i].path,
                      strerror(errno));
            if (back[0])
                unlink(back);
        }
    }
    return rc;
}

/* The edits of usermod/groupmod for our case, on the texts of passwd, group and gshadow:
 * a new gid renumbers the user's own group (and every primary group pointing at it) or, with
 * no such group, creates it; an existing gid is joined as the primary group; the uid is set as
 * given (as usermod -o: it may be shared with an image account). */
static int plan_edits(struct dbfile *pw, struct dbfile *gr, struct dbfile *gs,
                      const struct user_info *u, bool set_uid, uid_t uid, bool set_gid, gid_t gid)
{
    if (db_find(pw, 0, u->name, -1) == NULL) {
        log_error("cannot renumber the notebook user: '%s' is not in %s", u->name, pw->path);
        return -1;
    }
    struct line_edit pw_edits[3];
    size_t n_pw = 0;
    if (set_uid && uid != u->uid)
        pw_edits[n_pw++] = (struct line_edit){u->name, -1, 2, uid};
    bool oom = false;
    if (set_gid && gid != u->gid) {
        const char *own = db_find(gr, 0, u->name, -1);
        long long own_gid = own ? field_id(own, strcspn(own, "\n"), 2) : -1;
        bool taken = db_find(gr, 2, NULL, gid) != NULL;
        if (!taken && own && own_gid < 0) {
            log_error("cannot renumber the notebook user: the line of group '%s' in %s has no "
                      "numeric group id",
                      u->name, gr->path);
            return -1;
        } else if (!taken && own) {
            struct line_edit ge = {u->name, -1, 2, gid};
            oom |= !db_rewrite(gr, &ge, 1);
            pw_edits[n_pw++] = (struct line_edit){NULL, own_gid, 3, gid}; /* as groupmod */
        } else if (!taken) {
            char line[128];
            oom |= !db_rewrite(gr, NULL, 0);
            snprintf(line, sizeof(line), "%s:x:%u:\n", u->name, (unsigned)gid);
            oom |= !db_append(gr, line);
            if (gs->exists && db_find(gs, 0, u->name, -1) == NULL) {
                snprintf(line, sizeof(line), "%s:!::\n", u->name);
                oom |= !db_rewrite(gs, NULL, 0) || !db_append(gs, line);
            }
        }
        pw_edits[n_pw++] = (struct line_edit){u->name, -1, 3, gid};
    }
    oom |= !db_rewrite(pw, pw_edits, n_pw);
    if (oom) {
        log_error("cannot renumber the notebook user: out of memory");
        return -1;
    }
    return 0;
}

int userdb_remap(const struct user_info *u, bool set_uid, uid_t uid, bool set_gid, gid_t gid)
{
    if (set_gid && gid != u->gid)
        log_info("giving user %s the group id %u (NB_GID)", u->name, (unsigned)gid);
    if (set_uid && uid != u->uid)
        log_info("giving user %s the user id %u (NB_UID)", u->name, (unsigned)uid);
    if (!(set_gid && gid != u->gid) && !(set_uid && uid != u->uid))
        return 0;
    /* The lock shadow's tools and libc's putpwent users agree on (/etc/.pwd.lock). */
    if (lckpwdf() != 0) {
        log_error("cannot renumber the notebook user: cannot lock the user database "
                  "(/etc/.pwd.lock): %s",
                  strerror(errno));
        return -1;
    }
    struct dbfile files[3] = {{.path = "/etc/passwd"}, {.path = "/etc/group"},
                              {.path = "/etc/gshadow"}};
    int rc = -1;
    if (db_read(&files[0]) != 0 || db_read(&files[1]) != 0 || db_read(&files[2]) != 0)
        goto out;
    if (!files[0].exists || !files[1].exists) {
        log_error("cannot renumber the notebook user: %s is missing",
                  files[0].exists ? files[1].path : files[0].path);
        goto out;
    }
    if (plan_edits(&files[0], &files[1], &files[2], u, set_uid, uid, set_gid, gid) != 0)
        goto out;
    rc = db_commit(files, 3); /* passwd first: the usual single-file bind mount fails at once */
out:
    for (size_t i = 0; i < 3; i++) {
        free(files[i].text);
        free(files[i].out);
    }
    ulckpwdf();
    return rc;
}

/* ---- the ownership walk ---- */

#define WALK_DEPTH_MAX 256 /* two fds per level */
#define STATX_WANT (STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | STATX_INO | STATX_MNT_ID)

struct inode_key {
    dev_t dev;
    ino_t ino;
};

/* One walk: the ids to change, the mount points found under its start, where it is. */
struct walk {
    uid_t old_uid, uid;
    gid_t old_gid, gid;
    struct inode_key *mounts; /* from /proc/self/mountinfo, for kernels without statx mount info */
    size_t n_mounts;
    bool depth_warned;
    size_t path_len;
    char path[PATH_MAX];
};

static dev_t stx_dev(const struct statx *s)
{
    return makedev(s->stx_dev_major, s->stx_dev_minor);
}

static int stat_fd(int fd, struct statx *s)
{
    return statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_WANT, s);
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
    size_t rl = strlen(root), cap = 0;
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

/* Gives fd's inode (statted as s, through the same fd: no path to swap) to the new ids. */
static void chown_fd(const struct walk *w, int fd, const struct statx *s)
{
    uid_t uid = s->stx_uid == w->old_uid ? w->uid : (uid_t)-1;
    gid_t gid = s->stx_gid == w->old_gid && w->old_gid != 0 ? w->gid : (gid_t)-1;
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchownat(fd, "", uid, gid, AT_EMPTY_PATH) != 0)
        log_warn("cannot change the owner of %s: %s", w->path, strerror(errno));
}

static bool path_push(struct walk *w, const char *name)
{
    size_t n = strlen(name);
    if (w->path_len + 1 + n >= sizeof(w->path))
        return false;
    w->path[w->path_len] = '/';
    memcpy(w->path + w->path_len + 1, name, n + 1);
    w->path_len += 1 + n;
    return true;
}

/* Walks the directory open as dirfd (taken over), statted as ds. */
static void walk_dir(struct walk *w, int dirfd, const struct statx *ds, unsigned depth)
{
    DIR *d = fdopendir(dirfd);
    if (d == NULL) {
        log_warn("cannot read %s: %s", w->path, strerror(errno));
        close(dirfd);
        return;
    }
    size_t len = w->path_len;
    struct dirent *e;
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (!path_push(w, e->d_name))
            continue;
        int fd = openat(dirfd, e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct statx s;
        if (fd < 0 || stat_fd(fd, &s) != 0) {
            if (errno != ENOENT)
                log_warn("cannot inspect %s: %s", w->path, strerror(errno));
        } else if (other_mount(w, ds, &s)) {
            log_debug("%s is a mount point: its owners are left alone", w->path);
        } else {
            chown_fd(w, fd, &s);
            if (S_ISDIR(s.stx_mode) && depth >= WALK_DEPTH_MAX) {
                if (!w->depth_warned)
                    log_warn("not fixing ownership below %s: deeper than %u levels", w->path,
                             WALK_DEPTH_MAX);
                w->depth_warned = true;
            } else if (S_ISDIR(s.stx_mode)) {
                int sub = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sub < 0)
                    log_warn("cannot open %s: %s", w->path, strerror(errno));
                else
                    walk_dir(w, sub, &s, depth + 1);
            }
        }
        if (fd >= 0)
            close(fd);
        w->path_len = len;
        w->path[len] = '\0';
    }
    if (errno != 0)
        log_warn("cannot read %s: %s", w->path, strerror(errno));
    closedir(d);
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

void userdb_chown_tree(const char *dir, uid_t old_uid, gid_t old_gid, uid_t uid, gid_t gid)
{
    if ((old_uid == uid && old_gid == gid) || dir == NULL || dir[0] != '/')
        return;
    struct walk w = {.old_uid = old_uid, .uid = uid, .old_gid = old_gid, .gid = gid};
    copy(w.path, sizeof(w.path), dir);
    w.path_len = strlen(w.path);
    int fd = open(dir, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn("cannot fix ownership under %s: %s", dir, strerror(errno));
        return;
    }
    char real[PATH_MAX];
    if (realpath(dir, real) != NULL)
        load_mounts(&w, real);
    struct statx s;
    if (stat_fd(fd, &s) != 0) {
        log_warn("cannot fix ownership under %s: %s", dir, strerror(errno));
    } else if (start_is_mount(&w, fd, &s)) {
        log_info("%s is a mounted volume: its owners are left alone", dir);
    } else {
        chown_fd(&w, fd, &s);
        int sub = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sub < 0)
            log_warn("cannot fix ownership under %s: %s", dir, strerror(errno));
        else
            walk_dir(&w, sub, &s, 1);
    }
    close(fd);
    free(w.mounts);
}

bool userdb_dir_usable(const char *dir)
{
    struct stat st;
    return dir && dir[0] == '/' && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
           access(dir, W_OK | X_OK) == 0;
}
