/* acctdb.c - the account files (/etc/passwd, /etc/group, /etc/gshadow): read whole, edited line
 * by line, each replaced by the rename of a synced copy with the same owner and mode. */
#include "acctdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "smallfile.h"

#define ETC "/etc"
#define TEMP_TAG ".mmlspark-" /* a replacement being written: PATH.mmlspark-XXXXXX */

#define DB_MAX (64u << 20) /* a larger passwd/group is not one we edit */

static int db_read(struct dbfile *f)
{
    f->text = smallfile_load(f->path, O_NOFOLLOW, SMALLFILE_REGULAR, DB_MAX, &f->len, &f->st);
    if (f->text != NULL) {
        f->exists = true;
        return 0;
    }
    if (errno == ENOENT)
        return 0;
    if (errno == EINVAL || errno == EISDIR || errno == EFBIG)
        log_error("cannot renumber the notebook user: %s is not a regular file under %u MiB",
                  f->path, DB_MAX >> 20);
    else if (errno == ENOMEM)
        log_error("cannot renumber the notebook user: out of memory reading %s", f->path);
    else
        log_error("cannot renumber the notebook user: cannot open %s: %s", f->path,
                  strerror(errno));
    return -1;
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
    snprintf(dir, sizeof(dir), "%s", path);
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
    snprintf(tmp, tmp_len, "%s" TEMP_TAG "XXXXXX", f->path);
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


/* The line of the account named name in f (its first field), or NULL. */
static const char *db_line(const struct dbfile *f, const char *name)
{
    return db_find(f, 0, name, -1);
}

static long long line_id(const char *line, unsigned idx)
{
    return line ? field_id(line, strcspn(line, "\n"), idx) : -1;
}

int acctdb_read(struct acctdb *db)
{
    memset(db, 0, sizeof(*db));
    db->passwd.path = ETC "/passwd";
    db->group.path = ETC "/group";
    db->gshadow.path = ETC "/gshadow";
    if (db_read(&db->passwd) != 0 || db_read(&db->group) != 0 || db_read(&db->gshadow) != 0)
        return -1;
    if (!db->passwd.exists || !db->group.exists) {
        log_error("cannot renumber the notebook user: %s is missing",
                  db->passwd.exists ? db->group.path : db->passwd.path);
        return -1;
    }
    return 0;
}

void acctdb_free(struct acctdb *db)
{
    struct dbfile *files[] = {&db->passwd, &db->group, &db->gshadow};
    for (size_t i = 0; i < 3; i++) {
        free(files[i]->text);
        free(files[i]->out);
    }
}

int acctdb_ids(const struct acctdb *db, const char *user, struct acct_ids *out)
{
    const char *pw = db_line(&db->passwd, user);
    long long uid = line_id(pw, 2), gid = line_id(pw, 3);
    if (pw == NULL || uid < 0 || gid < 0) {
        log_error("cannot renumber the notebook user: '%s' has no line with numeric ids in %s",
                  user, db->passwd.path);
        return -1;
    }
    out->uid = (uid_t)uid;
    out->primary_gid = (gid_t)gid;
    const char *own = db_line(&db->group, user);
    out->own_gid = line_id(own, 2);
    if (own && out->own_gid < 0) {
        log_error("cannot renumber the notebook user: the line of group '%s' in %s has no "
                  "numeric group id",
                  user, db->group.path);
        return -1;
    }
    return 0;
}

/* The edits of usermod/groupmod for our case, decided from all three files as they are (so a
 * half-applied earlier edit is completed): the uid is set as given (as usermod -o: it may be
 * shared with an image account); a gid held by another group is joined as the primary group;
 * else the user's own group gets it (with every primary group pointing at the old one, as
 * groupmod) or, with no own group, is created, with its gshadow line. */
int acctdb_plan(struct acctdb *db, const char *user, const struct acct_ask *ask,
                long long *renumbered_gid)
{
    struct acct_ids ids;
    *renumbered_gid = -1;
    if (acctdb_ids(db, user, &ids) != 0)
        return -1;
    struct line_edit pw_edits[3];
    size_t n_pw = 0;
    bool oom = false;
    if (ask->set_uid && ids.uid != ask->uid)
        pw_edits[n_pw++] = (struct line_edit){user, -1, 2, ask->uid};
    if (ask->set_gid) {
        gid_t gid = ask->gid;
        const char *holder = db_find(&db->group, 2, NULL, gid);
        bool other_holds = holder != NULL && holder != db_line(&db->group, user);
        if (!other_holds && ids.own_gid >= 0 && ids.own_gid != gid) {
            struct line_edit ge = {user, -1, 2, gid};
            oom |= !db_rewrite(&db->group, &ge, 1);
            pw_edits[n_pw++] = (struct line_edit){NULL, ids.own_gid, 3, gid}; /* as groupmod */
            *renumbered_gid = ids.own_gid;
        } else if (!other_holds && ids.own_gid < 0) {
            char line[128];
            oom |= !db_rewrite(&db->group, NULL, 0);
            snprintf(line, sizeof(line), "%s:x:%u:\n", user, (unsigned)gid);
            oom |= !db_append(&db->group, line);
        }
        if (!other_holds && db->gshadow.exists && db_line(&db->gshadow, user) == NULL) {
            char line[128];
            snprintf(line, sizeof(line), "%s:!::\n", user);
            oom |= !db_rewrite(&db->gshadow, NULL, 0) || !db_append(&db->gshadow, line);
        }
        if (ids.primary_gid != gid)
            pw_edits[n_pw++] = (struct line_edit){user, -1, 3, gid};
    }
    if (n_pw > 0)
        oom |= !db_rewrite(&db->passwd, pw_edits, n_pw);
    if (oom) {
        log_error("cannot renumber the notebook user: out of memory");
        return -1;
    }
    return 0;
}

bool acctdb_changed(const struct acctdb *db)
{
    return db->passwd.changed || db->group.changed || db->gshadow.changed;
}

int acctdb_commit(struct acctdb *db)
{
    /* passwd first: the usual single-file bind mount fails at once, before anything changed */
    struct dbfile files[3] = {db->passwd, db->group, db->gshadow};
    return db_commit(files, 3);
}

int acctdb_replace(const char *path, const char *text, size_t len)
{
    struct dbfile f = {.path = path};
    f.st.st_mode = 0600; /* root's, as the account files' temporary copies */
    char tmp[PATH_MAX];
    if (db_write_temp(&f, text, len, tmp, sizeof(tmp)) != 0)
        return -1;
    if (rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        errno = err;
        return -1;
    }
    sync_dir(path);
    return 0;
}

/* True when name is a replacement of ours being written (of an account file or the record). */
static bool is_temp(const char *name)
{
    static const char *const bases[] = {"passwd", "group", "gshadow", ACCTDB_RECORD_NAME};
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        size_t n = strlen(bases[i]);
        if (strncmp(name, bases[i], n) == 0 && strncmp(name + n, TEMP_TAG, strlen(TEMP_TAG)) == 0)
            return true;
    }
    return false;
}

int acctdb_remove_temps(void)
{
    DIR *d = opendir(ETC);
    if (d == NULL)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (is_temp(e->d_name) && unlinkat(dirfd(d), e->d_name, 0) == 0)
            removed++;
    closedir(d);
    return removed;
}
