/* chowntree.c - the ownership walk, bounded like fts: one directory open at a time (entered from
 * its parent, left through ".." checked by device and inode), per level only the names of the
 * subdirectories still to enter, hard-linked files counted by inode in a first pass and changed
 * in a second (no descriptor kept for them), each directory walked once however the roots nest.
 * A directory whose entries only root can change meanwhile (root's own, or locked: given to root
 * for the time its files take) has its files changed by name, the others through descriptors. */
#include "chowntree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define STATX_WANT                                                                                 \
    (STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID | STATX_INO | STATX_MNT_ID)

#define SPENT_MAX 64 /* file descriptors closed together */

/* Mode bits that let others than the owner add, remove or rename entries (an ACL's grants show
 * in the group bits), or that make the owner matter to a removal (sticky). */
#define DIR_WRITERS (S_IWGRP | S_IWOTH | S_ISVTX)

#define NOTE_LEN 64 /* a lock note: "DEV INO UID GID\n" in fixed widths; blank: none */

struct inode_key {
    dev_t dev;
    ino_t ino;
};

/* A multi-link file that needs a change: how many of its links the walk has seen. */
struct linked {
    struct inode_key key;
    uint32_t nlink, seen; /* seen 0: a free slot */
};

/* What other_mount needs of a directory. */
struct dir_id {
    struct inode_key key;
    uint64_t mnt_id;
    bool has_mnt_id;
};

/* A directory on the way down: its subdirectories still to enter, NUL-separated. */
struct frame {
    struct dir_id id;
    char *subdirs;
    size_t subdirs_len, next;
    size_t path_len; /* of its path in walk.path */
};

enum pass { PASS_MAIN, PASS_LINKED };

/* The directory the lock note names and the owner it gets back. */
struct lock_note {
    struct inode_key key;
    uid_t uid;
    gid_t gid;
};

struct walk {
    const struct chown_ids *ids;
    const sigset_t *stops;
    int stopsig;
    bool incomplete; /* something could not be done for want of memory or descriptors */
    struct timespec stops_seen; /* when pending stops were last looked at */
    enum pass pass;
    struct inode_key *roots; /* each walked on its own: never entered from another root */
    size_t n_roots;
    struct inode_key *mounts; /* from /proc/self/mountinfo, for kernels without statx mount info */
    size_t n_mounts;
    struct frame *stack;
    size_t depth, stack_cap;
    struct linked *links; /* open addressing, power-of-two size */
    size_t n_links, links_cap;
    size_t links_left;
    char *first_left;
    char *path; /* for messages and to re-open a level: the walk itself works on fds */
    size_t path_len, path_cap;
    int spent[SPENT_MAX]; /* the files' O_PATH descriptors not closed yet */
    size_t n_spent;
    const char *note_path;
    int note_fd;           /* -1: no directory is locked */
    struct lock_note note; /* what the note file says, when note_set */
    bool note_set;
    bool locked;  /* the directory being read is root's until its files are done */
    bool by_name; /* the directory being read: its files are changed by name */
    _Alignas(struct dirent64) char dents[32768]; /* getdents64 records, read in place */
};

static dev_t stx_dev(const struct statx *s)
{
    return makedev(s->stx_dev_major, s->stx_dev_minor);
}

static struct dir_id dir_id_of(const struct statx *s)
{
    return (struct dir_id){.key = {stx_dev(s), (ino_t)s->stx_ino},
                           .mnt_id = s->stx_mnt_id,
                           .has_mnt_id = (s->stx_mask & STATX_MNT_ID) != 0};
}

static bool same_key(struct inode_key a, struct inode_key b)
{
    return a.dev == b.dev && a.ino == b.ino;
}

static int stat_at(int dirfd, const char *name, struct statx *s)
{
    return statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | (name[0] ? 0 : AT_EMPTY_PATH),
                 STATX_WANT, s);
}

static void out_of(struct walk *w, const char *what)
{
    if (!w->incomplete)
        log_warn("cannot finish fixing file ownership under %s: %s; the next start completes "
                 "it",
                 w->path ? w->path : "a directory", what);
    w->incomplete = true;
}

/* Sets the path to its first len bytes plus "/name" (or name alone when len is 0). */
static bool path_set(struct walk *w, size_t len, const char *name)
{
    size_t n = strlen(name), need = len + 1 + n + 1;
    if (need > w->path_cap) {
        char *p = realloc(w->path, need * 2);
        if (p == NULL) {
            out_of(w, "out of memory");
            return false;
        }
        w->path = p;
        w->path_cap = need * 2;
    }
    w->path_len = len;
    if (len > 0)
        w->path[w->path_len++] = '/';
    memcpy(w->path + w->path_len, name, n + 1);
    w->path_len += n;
    return true;
}

static void path_cut(struct walk *w, size_t len)
{
    w->path_len = len;
    if (w->path != NULL)
        w->path[len] = '\0';
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

/* True when s (reached from the directory parent) is the root of another mount. */
static bool other_mount(const struct walk *w, const struct dir_id *parent, const struct statx *s)
{
    if ((s->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
        (s->stx_attributes & STATX_ATTR_MOUNT_ROOT))
        return true;
    if ((s->stx_mask & STATX_MNT_ID) && parent->has_mnt_id && s->stx_mnt_id != parent->mnt_id)
        return true;
    if (stx_dev(s) != parent->key.dev)
        return true;
    for (size_t i = 0; i < w->n_mounts; i++)
        if (w->mounts[i].dev == stx_dev(s) && w->mounts[i].ino == (ino_t)s->stx_ino)
            return true;
    return false;
}

/* The owner s gets: the new ids where it has the old ones. */
static struct lock_note new_owner(const struct walk *w, const struct statx *s)
{
    const struct chown_ids *ids = w->ids;
    bool uid = ids->old_uid != ids->uid && s->stx_uid == ids->old_uid;
    bool gid = ids->old_gid != ids->gid && ids->old_gid != 0 && ids->old_gid != (gid_t)-1 &&
               s->stx_gid == ids->old_gid;
    return (struct lock_note){.key = {stx_dev(s), (ino_t)s->stx_ino},
                              .uid = uid ? ids->uid : s->stx_uid,
                              .gid = gid ? ids->gid : s->stx_gid};
}

static bool needs_change(const struct walk *w, const struct statx *s)
{
    struct lock_note o = new_owner(w, s);
    return o.uid != s->stx_uid || o.gid != s->stx_gid;
}

/* Gives name under dirfd (statted as s by the same name), or dirfd itself for "" (statted
 * through it), to the new ids. By name only where no one but root can swap the name between. */
static void chown_at(const struct walk *w, int dirfd, const char *name, const struct statx *s)
{
    struct lock_note o = new_owner(w, s);
    if (o.uid == s->stx_uid && o.gid == s->stx_gid)
        return;
    uid_t uid = o.uid == s->stx_uid ? (uid_t)-1 : o.uid;
    gid_t gid = o.gid == s->stx_gid ? (gid_t)-1 : o.gid;
    if (fchownat(dirfd, name, uid, gid, name[0] ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) != 0)
        log_warn("cannot change the owner of %s: %s", w->path, strerror(errno));
}

/* ---- the multi-link files: a hash table of inodes ---- */

static size_t slot_of(const struct walk *w, struct inode_key k)
{
    uint64_t h = ((uint64_t)k.ino * 0x9E3779B97F4A7C15ULL) ^ (uint64_t)k.dev;
    return (size_t)(h ^ (h >> 29)) & (w->links_cap - 1);
}

static struct linked *link_find(const struct walk *w, struct inode_key k)
{
    if (w->links_cap == 0)
        return NULL;
    for (size_t i = slot_of(w, k);; i = (i + 1) & (w->links_cap - 1)) {
        if (w->links[i].seen == 0)
            return NULL;
        if (same_key(w->links[i].key, k))
            return &w->links[i];
    }
}

static bool links_grow(struct walk *w)
{
    size_t old_cap = w->links_cap, cap = old_cap ? old_cap * 2 : 1024;
    struct linked *old = w->links, *p = calloc(cap, sizeof(*p));
    if (p == NULL)
        return false;
    w->links = p;
    w->links_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].seen != 0) {
            size_t j = slot_of(w, old[i].key);
            while (p[j].seen != 0)
                j = (j + 1) & (cap - 1);
            p[j] = old[i];
        }
    free(old);
    return true;
}

/* The first pass counts one more link of s's inode. */
static void link_count(struct walk *w, const struct statx *s)
{
    struct inode_key k = {stx_dev(s), (ino_t)s->stx_ino};
    struct linked *l = link_find(w, k);
    if (l != NULL) {
        l->seen++;
        return;
    }
    if (2 * (w->n_links + 1) > w->links_cap && !links_grow(w)) {
        out_of(w, "out of memory");
        return;
    }
    size_t i = slot_of(w, k);
    while (w->links[i].seen != 0)
        i = (i + 1) & (w->links_cap - 1);
    w->links[i] = (struct linked){.key = k, .nlink = s->stx_nlink, .seen = 1};
    w->n_links++;
}

/* The second pass: changed when every link was seen inside the walk, else left and counted. */
static void link_finish(struct walk *w, int fd, const char *at, const struct statx *s)
{
    struct linked *l = link_find(w, (struct inode_key){stx_dev(s), (ino_t)s->stx_ino});
    if (l == NULL)
        return; /* appeared after the first pass: the next start sees it */
    if (l->seen >= l->nlink && l->seen >= s->stx_nlink) {
        chown_at(w, fd, at, s);
    } else if (l->nlink != 0) {
        l->nlink = 0; /* counted once, whichever of its links comes first */
        if (w->links_left++ == 0)
            w->first_left = strdup(w->path);
    }
}

/* ---- one directory ---- */

/* The files' O_PATH descriptors that are done with, closed together: each run of consecutive
 * numbers in one call (a directory's files get consecutive numbers), not one call each. Only
 * the walk's own descriptors are listed, so a run closes nothing else. */
static void spent_close(struct walk *w)
{
    for (size_t i = 0; i < w->n_spent;) {
        size_t j = i;
        while (j + 1 < w->n_spent && w->spent[j + 1] == w->spent[j] + 1)
            j++;
        if (close_range((unsigned)w->spent[i], (unsigned)w->spent[j], 0) != 0)
            for (size_t k = i; k <= j; k++)
                close(w->spent[k]);
        i = j + 1;
    }
    w->n_spent = 0;
}

static void spent_add(struct walk *w, int fd)
{
    w->spent[w->n_spent++] = fd;
    if (w->n_spent == SPENT_MAX)
        spent_close(w);
}

/* An entry that is not a directory: changed at once, or counted/changed by pass when linked. */
static void visit_file(struct walk *w, int dirfd, const char *name)
{
    struct statx s;
    /* The second pass looks at multi-link files only: the name tells which, without an open. */
    if (w->pass == PASS_LINKED &&
        (stat_at(dirfd, name, &s) != 0 || s.stx_nlink <= 1 || !needs_change(w, &s)))
        return;
    /* Where others can swap the name, statted and changed through one O_PATH descriptor. By
     * name there a hard link or a directory swapped in between would take the change, and no
     * check after it could undo that (docs/init.md). */
    int fd = dirfd;
    const char *at = name;
    if (!w->by_name) {
        at = "";
        fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE) && w->n_spent > 0) {
            spent_close(w);
            fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                out_of(w, "out of file descriptors");
            else if (errno != ENOENT)
                log_warn("cannot inspect %s: %s", w->path, strerror(errno));
            return;
        }
    }
    if (stat_at(fd, at, &s) != 0) {
        if (errno != ENOENT)
            log_warn("cannot inspect %s: %s", w->path, strerror(errno));
    } else if (S_ISDIR(s.stx_mode) || !needs_change(w, &s)) {
        /* a directory here was a file when listed: the next start sees it */
    } else if (other_mount(w, &w->stack[w->depth - 1].id, &s)) {
        log_debug("%s is a mount point: its owners are left alone", w->path);
    } else if (w->pass == PASS_MAIN && s.stx_nlink > 1) {
        link_count(w, &s);
    } else if (s.stx_nlink > 1 || w->pass == PASS_LINKED) {
        link_finish(w, fd, at, &s);
    } else {
        chown_at(w, fd, at, &s);
    }
    if (fd != dirfd)
        spent_add(w, fd);
}

/* A pending signal of stops, looked at every 5 ms (the clock is read without a system call). */
static int pending_stop(struct walk *w)
{
    sigset_t pending;
    struct timespec now;
    if (w->stops == NULL || clock_gettime(CLOCK_MONOTONIC_COARSE, &now) != 0)
        return 0;
    long ms = (now.tv_sec - w->stops_seen.tv_sec) * 1000 +
              (now.tv_nsec - w->stops_seen.tv_nsec) / 1000000;
    if (ms < 5 && ms >= 0)
        return 0;
    w->stops_seen = now;
    if (sigpending(&pending) != 0)
        return 0;
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(w->stops, sig) == 1 && sigismember(&pending, sig) == 1)
            return sig;
    return 0;
}

static bool add_subdir(struct frame *f, const char *name, size_t *cap)
{
    size_t n = strlen(name) + 1;
    if (f->subdirs_len + n > *cap) {
        size_t ncap = (f->subdirs_len + n) * 2;
        char *p = realloc(f->subdirs, ncap);
        if (p == NULL)
            return false;
        f->subdirs = p;
        *cap = ncap;
    }
    memcpy(f->subdirs + f->subdirs_len, name, n);
    f->subdirs_len += n;
    return true;
}

/* ---- the lock: a directory given to root while its files are changed by name ---- */

/* The lock note (NOTE_LEN bytes at offset 0, rewritten in place) names the one directory locked,
 * and the owner it gets back. Not synced: it must outlive a kill of the walk, which leaves the
 * page cache to the kernel, not a crash of the machine, which also ends the container. */

static void note_lost(struct walk *w)
{
    log_warn("cannot use the lock note %s: %s; the walk goes on without locks", w->note_path,
             strerror(errno));
    if (w->note_fd >= 0)
        close(w->note_fd);
    w->note_fd = -1;
}

static bool note_put(struct walk *w, const char *text)
{
    if (w->note_fd < 0)
        return false;
    if (pwrite(w->note_fd, text, NOTE_LEN, 0) == NOTE_LEN)
        return true;
    note_lost(w);
    return false;
}

static bool note_write(struct walk *w, struct lock_note n)
{
    char text[NOTE_LEN + 1];
    snprintf(text, sizeof(text), "%20ju %20ju %10u %10u\n", (uintmax_t)n.key.dev,
             (uintmax_t)n.key.ino, (unsigned)n.uid, (unsigned)n.gid);
    if (!note_put(w, text))
        return false;
    w->note = n;
    w->note_set = true;
    return true;
}

static void note_clear(struct walk *w)
{
    char blank[NOTE_LEN + 1];
    memset(blank, ' ', NOTE_LEN - 1);
    blank[NOTE_LEN - 1] = '\n';
    w->note_set = false;
    note_put(w, blank);
}

/* Opens the note file and takes up a note that a walk ended by a kill left. */
static void note_open(struct walk *w, const char *path)
{
    w->note_fd = path ? open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
    w->note_path = path;
    if (w->note_fd < 0) {
        if (path != NULL)
            note_lost(w);
        return;
    }
    char text[NOTE_LEN + 1];
    ssize_t n = pread(w->note_fd, text, NOTE_LEN, 0);
    text[n > 0 ? n : 0] = '\0';
    if (n <= 0 || strspn(text, " \n") == (size_t)n)
        return;
    uintmax_t dev, ino;
    unsigned uid, gid;
    int end = 0;
    if (n == NOTE_LEN && sscanf(text, "%ju %ju %u %u\n%n", &dev, &ino, &uid, &gid, &end) == 4 &&
        end == NOTE_LEN) {
        w->note = (struct lock_note){{(dev_t)dev, (ino_t)ino}, (uid_t)uid, (gid_t)gid};
        w->note_set = true;
        return;
    }
    log_warn("ignored %s: expected 'DEV INO UID GID' (a directory an interrupted walk left to "
             "root), not '%.*s'",
             path, (int)strcspn(text, "\n"), text);
    note_clear(w);
}

/* Gives the locked directory fd the owner the note names, then clears the note. */
static void unlock(struct walk *w, int fd)
{
    w->locked = false;
    if (fchown(fd, w->note.uid, w->note.gid) == 0) {
        note_clear(w);
        return;
    }
    /* The note stays (no other directory is locked), and so does the record. */
    log_warn("cannot give %s back to %u:%u: %s; the next start tries again", w->path,
             (unsigned)w->note.uid, (unsigned)w->note.gid, strerror(errno));
    w->incomplete = true;
}

/* Locks directory fd (statted as s, no writers but its owner): noted, then root's. False, with
 * the directory changed without the lock, when it cannot be locked or its mode let others write
 * before the lock took hold. */
static bool lock(struct walk *w, int fd, const struct statx *s)
{
    if (!note_write(w, new_owner(w, s)) || fchown(fd, 0, (gid_t)-1) != 0) {
        if (w->note_set)
            note_clear(w);
        chown_at(w, fd, "", s);
        return false;
    }
    w->locked = true;
    struct statx now;
    if (stat_at(fd, "", &now) == 0 && (now.stx_mode & DIR_WRITERS) == 0)
        return true;
    unlock(w, fd);
    return false;
}

/* The main pass's change of directory fd (statted as s) before its files: returns whether they
 * are changed by name, as only root can change its entries meanwhile (root's own, or locked). */
static bool dir_begin(struct walk *w, int fd, const struct statx *s)
{
    if (w->pass != PASS_MAIN)
        return false;
    bool shut = (s->stx_mode & DIR_WRITERS) == 0;
    if (w->note_set && same_key(w->note.key, dir_id_of(s).key)) {
        if (s->stx_uid == 0) {
            w->locked = true; /* by a walk a kill ended: the note has its owner */
            if (shut)
                return true;
            unlock(w, fd);
            return false;
        }
        note_clear(w); /* given back just before the kill */
    }
    const struct chown_ids *ids = w->ids;
    if (shut && s->stx_uid != 0 && (s->stx_uid == ids->old_uid || s->stx_uid == ids->uid) &&
        w->note_fd >= 0 && !w->note_set)
        return lock(w, fd, s);
    chown_at(w, fd, "", s);
    return shut && s->stx_uid == 0;
}

static void read_entries(struct walk *w, int fd);

/* Reads directory fd (the top frame, statted as s) once: in the main pass the directory is
 * changed, files are handled now, subdirectories are listed in the frame for later. Stops early
 * when a stop signal is pending. No file's descriptor is left open after it: the walk goes on
 * with a few descriptors, whatever the directory. */
static void read_dir(struct walk *w, int fd, const struct statx *s)
{
    w->by_name = dir_begin(w, fd, s);
    read_entries(w, fd);
    spent_close(w);
    w->by_name = false;
    if (w->locked) {
        path_cut(w, w->stack[w->depth - 1].path_len);
        unlock(w, fd);
    }
}

static void read_entries(struct walk *w, int fd)
{
    struct frame *f = &w->stack[w->depth - 1];
    size_t cap = 0;
    for (;;) {
        ssize_t n = getdents64(fd, w->dents, sizeof(w->dents));
        if (n <= 0) {
            if (n < 0) {
                path_cut(w, f->path_len);
                if (errno == ENOMEM)
                    out_of(w, "out of memory");
                else
                    log_warn("cannot read %s: %s", w->path, strerror(errno));
            }
            return;
        }
        for (ssize_t off = 0; off < n;) {
            struct dirent64 *e = (struct dirent64 *)(void *)(w->dents + off);
            off += e->d_reclen;
            const char *name = e->d_name;
            if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                continue;
            if ((w->stopsig = pending_stop(w)) != 0)
                return;
            if (!path_set(w, f->path_len, name))
                return;
            if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) {
                if (!add_subdir(f, name, &cap)) {
                    out_of(w, "out of memory");
                    return;
                }
            } else {
                visit_file(w, fd, name);
            }
        }
    }
}

/* ---- the way down and back up, one descriptor ---- */

static bool push(struct walk *w, const struct statx *s)
{
    if (w->depth == w->stack_cap) {
        size_t cap = w->stack_cap ? w->stack_cap * 2 : 64;
        struct frame *p = realloc(w->stack, cap * sizeof(*p));
        if (p == NULL) {
            out_of(w, "out of memory");
            return false;
        }
        w->stack = p;
        w->stack_cap = cap;
    }
    w->stack[w->depth++] = (struct frame){.id = dir_id_of(s), .path_len = w->path_len};
    return true;
}

static void pop(struct walk *w)
{
    free(w->stack[--w->depth].subdirs);
}

static bool is_root(const struct walk *w, const struct statx *s)
{
    struct inode_key k = {stx_dev(s), (ino_t)s->stx_ino};
    for (size_t i = 0; i < w->n_roots; i++)
        if (same_key(w->roots[i], k))
            return true;
    return false;
}

/* Opens name under dirfd as a directory (no symlink) that is dirfd's own child on the same
 * mount and not another root: -1 (and nothing to say) when it is to be left alone. */
static int enter(struct walk *w, int dirfd, const char *name, struct statx *s)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE)
            out_of(w, "out of file descriptors");
        else if (errno == ENOTDIR || errno == ELOOP) {
            visit_file(w, dirfd, name); /* DT_UNKNOWN, or replaced meanwhile */
            spent_close(w);
        }
        else if (errno != ENOENT)
            log_warn("cannot open %s: %s", w->path, strerror(errno));
        return -1;
    }
    if (stat_at(fd, "", s) != 0) {
        log_warn("cannot inspect %s: %s", w->path, strerror(errno));
    } else if (other_mount(w, &w->stack[w->depth - 1].id, s)) {
        log_debug("%s is a mount point: its owners are left alone", w->path);
    } else if (is_root(w, s)) {
        log_debug("%s is walked on its own (it is one of the directories to walk)", w->path);
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

/* Re-opens the top frame's directory from the start, level by level, each checked by inode:
 * the way back up when ".." is no longer the parent (the tree was moved meanwhile). */
static int reopen_top(struct walk *w, const char *start)
{
    int fd = open(start, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct statx s;
    for (size_t i = 0; fd >= 0; i++) {
        if (stat_at(fd, "", &s) != 0 ||
            !same_key(dir_id_of(&s).key, w->stack[i].id.key)) {
            close(fd);
            return -1;
        }
        if (i + 1 == w->depth)
            return fd;
        size_t from = w->stack[i].path_len + 1, to = w->stack[i + 1].path_len;
        char saved = w->path[to];
        w->path[to] = '\0';
        int sub = openat(fd, w->path + from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        w->path[to] = saved;
        close(fd);
        fd = sub;
    }
    return -1;
}

/* Leaves fd (the top frame's directory, popped) for its parent, now the top: its fd, or -1. */
static int leave(struct walk *w, int fd, const char *start)
{
    int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(fd);
    struct statx s;
    if (up >= 0 && stat_at(up, "", &s) == 0 &&
        same_key(dir_id_of(&s).key, w->stack[w->depth - 1].id.key))
        return up;
    if (up >= 0)
        close(up);
    up = reopen_top(w, start);
    if (up < 0) {
        path_cut(w, w->stack[w->depth - 1].path_len);
        out_of(w, "the directory was moved during the walk");
    }
    return up;
}

/* Walks the tree of fd (the start, statted as s) depth first, one descriptor at a time. */
static void walk_tree(struct walk *w, const char *start, int fd, const struct statx *s)
{
    if (!push(w, s)) {
        close(fd);
        return;
    }
    read_dir(w, fd, s);
    while (w->depth > 0 && w->stopsig == 0) {
        struct frame *top = &w->stack[w->depth - 1];
        if (top->next >= top->subdirs_len) {
            pop(w);
            if (w->depth == 0)
                break;
            if ((fd = leave(w, fd, start)) < 0)
                break;
            continue;
        }
        const char *name = top->subdirs + top->next;
        top->next += strlen(name) + 1;
        if (!path_set(w, top->path_len, name))
            break;
        struct statx sub_s;
        int sub = enter(w, fd, name, &sub_s);
        if (sub < 0)
            continue;
        if (!push(w, &sub_s)) {
            close(sub);
            break;
        }
        close(fd);
        fd = sub;
        read_dir(w, fd, &sub_s);
    }
    if (fd >= 0)
        close(fd);
    while (w->depth > 0)
        pop(w);
}

/* True when the walk's start (open as fd, statted as s) is itself a mount point. */
static bool start_is_mount(const struct walk *w, int fd, const struct statx *s)
{
    struct statx up;
    struct dir_id parent = dir_id_of(s);
    int pfd = openat(fd, "..", O_PATH | O_CLOEXEC);
    if (pfd >= 0 && stat_at(pfd, "", &up) == 0)
        parent = dir_id_of(&up);
    if (pfd >= 0)
        close(pfd);
    return other_mount(w, &parent, s);
}

static void walk_start(struct walk *w, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn("cannot fix ownership under %s: %s", dir, strerror(errno));
        return;
    }
    char real[PATH_MAX];
    w->n_mounts = 0;
    if (realpath(dir, real) != NULL)
        load_mounts(w, real);
    if (!path_set(w, 0, dir)) {
        close(fd);
        return;
    }
    struct statx s;
    if (stat_at(fd, "", &s) != 0) {
        log_warn("cannot fix ownership under %s: %s", dir, strerror(errno));
    } else if (start_is_mount(w, fd, &s)) {
        if (w->pass == PASS_MAIN)
            log_info("%s is a mounted volume: its owners are left alone", dir);
    } else {
        walk_tree(w, dir, fd, &s); /* closes fd */
        return;
    }
    close(fd);
}

/* The starts to walk: absolute, existing, each directory once (nested ones are walked on their
 * own and skipped inside the others). */
static void collect_roots(struct walk *w, const char *const dirs[], const char **starts)
{
    size_t n = 0;
    for (size_t i = 0; dirs[i] != NULL; i++)
        n++;
    w->roots = calloc(n ? n : 1, sizeof(*w->roots));
    for (size_t i = 0; dirs[i] != NULL; i++) {
        struct stat st;
        starts[i] = NULL;
        if (dirs[i][0] != '/' || lstat(dirs[i], &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        struct inode_key k = {st.st_dev, st.st_ino};
        bool dup = false;
        for (size_t j = 0; j < w->n_roots; j++)
            dup = dup || same_key(w->roots[j], k);
        if (dup || w->roots == NULL)
            continue;
        w->roots[w->n_roots++] = k;
        starts[i] = dirs[i];
    }
}

/* A note that no directory of the finished main pass matched: said once, then dropped. */
static void note_unmatched(struct walk *w)
{
    log_warn("%s: the directory an interrupted walk gave to root (device %u:%u, inode %ju) is "
             "not under the walked directories any more; if it was moved elsewhere, it is still "
             "root's",
             w->note_path, major(w->note.key.dev), minor(w->note.key.dev),
             (uintmax_t)w->note.key.ino);
    note_clear(w);
}

int chowntree_walk(const char *const dirs[], const struct chown_ids *ids, const sigset_t *stops,
                   const char *note)
{
    struct walk *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        log_warn("cannot fix file ownership: out of memory; the next start completes it");
        return CHOWNTREE_INCOMPLETE;
    }
    w->ids = ids;
    w->stops = stops;
    note_open(w, note);
    size_t n = 0;
    while (dirs[n] != NULL)
        n++;
    const char **starts = calloc(n + 1, sizeof(*starts));
    if (starts != NULL)
        collect_roots(w, dirs, starts);
    if (starts == NULL || (n > 0 && w->roots == NULL))
        out_of(w, "out of memory");
    for (enum pass pass = PASS_MAIN; pass <= PASS_LINKED && !w->incomplete; pass++) {
        if (pass == PASS_LINKED && w->n_links == 0)
            break;
        w->pass = pass;
        for (size_t i = 0; i < n && w->stopsig == 0; i++)
            if (starts[i] != NULL)
                walk_start(w, starts[i]);
        if (w->stopsig != 0)
            break;
        if (pass == PASS_MAIN && w->note_set && !w->incomplete)
            note_unmatched(w);
    }
    if (w->stopsig == 0 && w->links_left > 0)
        log_warn("left the owner of %zu file(s) alone: they have hard links outside the "
                 "directories whose owners follow the user (first: %s)",
                 w->links_left, w->first_left ? w->first_left : "?");
    int rc = w->stopsig ? w->stopsig : w->incomplete ? CHOWNTREE_INCOMPLETE : 0;
    free(starts);
    free(w->first_left);
    free(w->links);
    free(w->stack);
    free(w->roots);
    free(w->mounts);
    free(w->path);
    if (w->note_fd >= 0)
        close(w->note_fd);
    free(w);
    return rc;
}
