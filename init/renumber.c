/* renumber.c - NB_UID/NB_GID as a recorded change. The record (RENUMBER_RECORD) is written, by
 * rename, before the first account file changes, and removed after the last file has its new
 * owner (with the walk's lock note); a start that finds it redoes the change, which is
 * idempotent: the edits are decided from the files as they are, and the walk changes only what
 * still has an old id. */
#include "renumber.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <shadow.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "chowntree.h"
#include "exitcodes.h"
#include "log.h"

/* One change: what was asked, and the ids the files had before. */
struct change {
    char user[64];
    struct acct_ask ask;
    struct chown_ids ids;
};

bool renumber_pending(void)
{
    return access(RENUMBER_RECORD, F_OK) == 0;
}

/* "USER UID|- GID|- OLD_UID|- OLD_GID|-": the fields as text, "-" for none. */
static void id_text(char *buf, size_t len, bool set, unsigned long id)
{
    if (set)
        snprintf(buf, len, "%lu", id);
    else
        snprintf(buf, len, "-");
}

static bool id_parse(const char *s, bool *set, unsigned long *id)
{
    char *end;
    *set = strcmp(s, "-") != 0;
    if (!*set)
        return true;
    errno = 0;
    *id = strtoul(s, &end, 10);
    return errno == 0 && *end == '\0' && *id < 0xffffffffUL;
}

static int record_write(const struct change *c)
{
    char t[4][24];
    id_text(t[0], sizeof(t[0]), c->ask.set_uid, c->ask.uid);
    id_text(t[1], sizeof(t[1]), c->ask.set_gid, c->ask.gid);
    id_text(t[2], sizeof(t[2]), c->ids.old_uid != c->ids.uid, c->ids.old_uid);
    id_text(t[3], sizeof(t[3]), c->ids.old_gid != c->ids.gid, c->ids.old_gid);
    char line[256];
    int n = snprintf(line, sizeof(line), "%s %s %s %s %s\n", c->user, t[0], t[1], t[2], t[3]);
    if (acctdb_replace(RENUMBER_RECORD, line, (size_t)n) == 0)
        return 0;
    log_error("cannot renumber the notebook user: cannot write %s: %s", RENUMBER_RECORD,
              strerror(errno));
    return -1;
}

/* Returns 1 with *c filled, 0 when there is no record, -1 after one error line. */
static int record_read(struct change *c)
{
    FILE *f = fopen(RENUMBER_RECORD, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : -1;
    char t[4][24];
    bool set[4];
    unsigned long v[4] = {0, 0, 0, 0};
    int n = fscanf(f, "%63s %23s %23s %23s %23s", c->user, t[0], t[1], t[2], t[3]);
    fclose(f);
    bool ok = n == 5;
    for (int i = 0; ok && i < 4; i++)
        ok = id_parse(t[i], &set[i], &v[i]);
    if (!ok) {
        log_error("%s (an interrupted NB_UID/NB_GID change) is not readable: expected "
                  "'USER UID GID OLD_UID OLD_GID'; fix or remove it",
                  RENUMBER_RECORD);
        return -1;
    }
    c->ask = (struct acct_ask){.set_uid = set[0], .uid = (uid_t)v[0], .set_gid = set[1],
                               .gid = (gid_t)v[1]};
    c->ids.uid = c->ask.uid;
    c->ids.old_uid = set[2] ? (uid_t)v[2] : c->ids.uid;
    c->ids.gid = c->ask.gid;
    c->ids.old_gid = set[3] ? (gid_t)v[3] : c->ids.gid;
    return 1;
}

/* Walks the user's home and dirs; removes the record when the walk ended. */
static int walk_and_finish(const struct change *c, const char *const dirs[],
                           const sigset_t *stops)
{
    struct user_info u;
    const char *all[8] = {NULL};
    size_t n = 0;
    if (account_lookup(c->user, &u) == 0)
        all[n++] = u.home;
    for (size_t i = 0; dirs[i] != NULL && n < 7; i++)
        all[n++] = dirs[i];
    int sig = chowntree_walk(all, &c->ids, stops, RENUMBER_LOCK_NOTE);
    if (sig == CHOWNTREE_INCOMPLETE)
        return 0; /* the record stays: the next start walks again (the warning says so) */
    if (sig != 0) {
        log_warn("received SIG%s while fixing file ownership for NB_UID/NB_GID: stopped; the "
                 "next start completes it",
                 sigabbrev_np(sig));
        return 128 + sig;
    }
    static const char *const done[] = {RENUMBER_LOCK_NOTE, RENUMBER_RECORD};
    for (size_t i = 0; i < 2; i++)
        if (unlink(done[i]) != 0 && errno != ENOENT) {
            log_error("cannot remove %s: %s", done[i], strerror(errno));
            return EXIT_SOFTWARE;
        }
    return 0;
}

/* Edits the account files as c->ask asks, decided from the files as they are; *changed: whether
 * any file changed. With record (a new change): c->ids gets the ids before and after, and the
 * change is recorded before the first file changes. */
static int edit(struct change *c, bool record, bool *changed)
{
    struct acctdb db;
    int rc = EXIT_SOFTWARE;
    struct acct_ids before;
    long long renumbered_gid;
    *changed = false;
    if (acctdb_read(&db) != 0 || acctdb_ids(&db, c->user, &before) != 0 ||
        acctdb_plan(&db, c->user, &c->ask, &renumbered_gid) != 0)
        goto out;
    *changed = acctdb_changed(&db);
    if (record) {
        c->ids.old_uid = before.uid;
        c->ids.uid = c->ask.set_uid ? c->ask.uid : before.uid;
        c->ids.old_gid = renumbered_gid >= 0 ? (gid_t)renumbered_gid : (gid_t)-1;
        c->ids.gid = renumbered_gid >= 0 ? c->ask.gid : (gid_t)-1;
        if (*changed && record_write(c) != 0)
            goto out;
    }
    if (*changed && acctdb_commit(&db) != 0) {
        if (record)
            unlink(RENUMBER_RECORD); /* nothing changed: the commit put every file back */
        goto out;
    }
    rc = 0;
out:
    acctdb_free(&db);
    return rc;
}

static int complete_recorded(const char *const dirs[], const sigset_t *stops)
{
    struct change c;
    int found = record_read(&c);
    if (found <= 0)
        return found < 0 ? EXIT_SOFTWARE : 0;
    log_warn("completing the NB_UID/NB_GID change of user %s that a stop or crash interrupted "
             "(uid %u -> %u, gid %ld -> %ld)",
             c.user, (unsigned)c.ids.old_uid, (unsigned)c.ids.uid,
             c.ids.old_gid == (gid_t)-1 ? -1L : (long)c.ids.old_gid,
             c.ids.gid == (gid_t)-1 ? -1L : (long)c.ids.gid);
    bool changed;
    int rc = edit(&c, false, &changed);
    return rc != 0 ? rc : walk_and_finish(&c, dirs, stops);
}

/* Whether /etc/group itself holds gid: getgrgid(3) cannot tell, as the NSS module (nss/) names
 * every gid the file lacks. Unreadable: held, so nothing is taken for left behind. */
static bool group_file_holds(gid_t gid)
{
    FILE *f = fopen("/etc/group", "re");
    if (f == NULL)
        return true;
    bool held = false;
    struct group *g;
    while (!held && (g = fgetgrent(f)) != NULL)
        held = g->gr_gid == gid;
    fclose(f);
    return held;
}

/* The account files already say what is asked: true when the home (not a mounted volume) is
 * still owned by other ids than the account's, as a walk killed without a record leaves it (an
 * older mmlspark-init, or a home re-owned by hand); c->ids then go from the home's owner. */
static bool home_left_behind(struct change *c, bool dry)
{
    struct user_info u;
    struct statx home, up;
    if (account_lookup(c->user, &u) != 0 ||
        statx(AT_FDCWD, u.home, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &home) != 0 ||
        !S_ISDIR(home.stx_mode) || home.stx_uid == 0)
        return false;
    char parent[sizeof(u.home) + 4];
    snprintf(parent, sizeof(parent), "%s/..", u.home);
    bool mounted = (home.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT &&
                    home.stx_attributes & STATX_ATTR_MOUNT_ROOT) ||
                   statx(AT_FDCWD, parent, 0, STATX_BASIC_STATS, &up) != 0 ||
                   up.stx_dev_major != home.stx_dev_major ||
                   up.stx_dev_minor != home.stx_dev_minor;
    bool uid_behind = c->ask.set_uid && home.stx_uid != c->ask.uid;
    /* A group that still exists (the own group, when NB_GID joined another) is not left behind:
     * only the gid a renumbered group had, which no group holds now. */
    bool gid_behind = c->ask.set_gid && home.stx_gid != c->ask.gid && home.stx_gid != 0 &&
                      !group_file_holds(home.stx_gid);
    if (mounted || !(uid_behind || gid_behind))
        return false;
    if (dry)
        return true;
    c->ids.old_uid = uid_behind ? home.stx_uid : c->ids.uid;
    c->ids.old_gid = gid_behind ? home.stx_gid : (gid_t)-1;
    c->ids.gid = gid_behind ? c->ask.gid : (gid_t)-1;
    log_warn("the home of user %s (%s) is owned by %u:%u, not by its ids: giving what those own "
             "to %u:%u (an ownership change that was stopped without a record)",
             c->user, u.home, (unsigned)home.stx_uid, (unsigned)home.stx_gid,
             (unsigned)c->ids.uid, gid_behind ? (unsigned)c->ask.gid : (unsigned)home.stx_gid);
    return record_write(c) == 0;
}

static int change_ids(const char *user, const struct acct_ask *ask, const char *const dirs[],
                      const sigset_t *stops)
{
    struct change c = {.ask = *ask};
    snprintf(c.user, sizeof(c.user), "%s", user);
    bool changed;
    int rc = edit(&c, true, &changed);
    if (rc == 0 && !changed && home_left_behind(&c, false))
        return walk_and_finish(&c, dirs, stops);
    if (rc != 0 || !changed)
        return rc;
    if (c.ids.old_uid != c.ids.uid)
        log_info("gave user %s the user id %u (NB_UID)", user, (unsigned)c.ids.uid);
    if (ask->set_gid)
        log_info("gave user %s the group id %u (NB_GID)", user, (unsigned)ask->gid);
    return walk_and_finish(&c, dirs, stops);
}

/* True when nothing is to be done: no change recorded, the account files already say what is
 * asked and the home follows them. Decided without the lock, which a read-only root refuses. */
static bool nothing_to_do(const char *user, const struct acct_ask *ask)
{
    if (renumber_pending())
        return false;
    struct change c = {.ask = *ask};
    snprintf(c.user, sizeof(c.user), "%s", user);
    struct acctdb db;
    long long renumbered_gid;
    bool same = acctdb_read(&db) == 0 &&
                acctdb_plan(&db, user, &c.ask, &renumbered_gid) == 0 && !acctdb_changed(&db);
    acctdb_free(&db);
    return same && !home_left_behind(&c, true);
}

int renumber_run(const char *user, const struct acct_ask *ask, const char *const dirs[],
                 const sigset_t *stops)
{
    /* The lock shadow's tools and libc's putpwent users agree on (/etc/.pwd.lock). */
    if (lckpwdf() != 0) {
        if (nothing_to_do(user, ask))
            return 0; /* a read-only root asked for what already is */
        log_error("cannot renumber the notebook user: cannot lock the user database "
                  "(/etc/.pwd.lock): %s",
                  strerror(errno));
        return EXIT_SOFTWARE;
    }
    int removed = acctdb_remove_temps();
    if (removed > 0)
        log_info("removed %d unfinished copy(ies) of the account files that a killed start left "
                 "in /etc",
                 removed);
    int rc = complete_recorded(dirs, stops);
    if (rc == 0 && (ask->set_uid || ask->set_gid))
        rc = change_ids(user, ask, dirs, stops);
    ulckpwdf();
    return rc;
}
