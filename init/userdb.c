/* userdb.c - passwd lookups, uid/gid remapping through shadow's tools, ownership fixes. */
#include "userdb.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"

#define USERMOD "/usr/sbin/usermod"
#define GROUPMOD "/usr/sbin/groupmod"
#define GROUPADD "/usr/sbin/groupadd"

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

static int run_tool(const char *what, char *const argv[])
{
    if (access(argv[0], X_OK) != 0) {
        log_error("cannot %s: %s is missing (it comes with Debian's passwd package)", what,
                  argv[0]);
        return -1;
    }
    char why[128];
    if (!spawn_wait(argv, why, sizeof(why))) {
        log_error("cannot %s: %s failed (%s)", what, argv[0], why);
        return -1;
    }
    return 0;
}

static bool group_exists(gid_t gid)
{
    char buf[16384];
    struct group gr, *found = NULL;
    return getgrgid_r(gid, &gr, buf, sizeof(buf), &found) == 0 && found != NULL;
}

static bool group_name_exists(const char *name)
{
    char buf[16384];
    struct group gr, *found = NULL;
    return getgrnam_r(name, &gr, buf, sizeof(buf), &found) == 0 && found != NULL;
}

static int remap_gid(const struct user_info *u, gid_t gid)
{
    char id[16];
    snprintf(id, sizeof(id), "%u", (unsigned)gid);
    char name[64];
    copy(name, sizeof(name), u->name);
    /* A new gid renumbers the user's own group (or creates it); an existing one is joined. */
    if (!group_exists(gid)) {
        bool own = group_name_exists(u->name);
        char *argv[] = {own ? GROUPMOD : GROUPADD, "-g", id, name, NULL};
        if (run_tool("set NB_GID", argv) != 0)
            return -1;
        struct user_info now;
        if (userdb_lookup(u->name, &now) == 0 && now.gid == gid)
            return 0; /* groupmod renumbered the primary group in passwd too */
    }
    char *argv[] = {USERMOD, "-g", id, name, NULL};
    return run_tool("set NB_GID", argv);
}

static int remap_uid(const struct user_info *u, uid_t uid)
{
    char id[16];
    snprintf(id, sizeof(id), "%u", (unsigned)uid);
    char name[64];
    copy(name, sizeof(name), u->name);
    /* -o: the host's uid may already name a system account of the image. */
    char *argv[] = {USERMOD, "-o", "-u", id, name, NULL};
    return run_tool("set NB_UID", argv);
}

int userdb_remap(const struct user_info *u, bool set_uid, uid_t uid, bool set_gid, gid_t gid)
{
    if (set_gid && gid != u->gid) {
        log_info("giving user %s the group id %u (NB_GID)", u->name, (unsigned)gid);
        if (remap_gid(u, gid) != 0)
            return -1;
    }
    if (set_uid && uid != u->uid) {
        log_info("giving user %s the user id %u (NB_UID)", u->name, (unsigned)uid);
        if (remap_uid(u, uid) != 0)
            return -1;
    }
    return 0;
}

/* nftw passes no context: the ids of the one walk in progress. */
static struct {
    uid_t old_uid, uid;
    gid_t old_gid, gid;
} walk;

static bool is_mount_root(const char *path)
{
    struct statx stx;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx) != 0)
        return false;
    return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
           (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int chown_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (ftw->level > 0 && is_mount_root(path))
        return type == FTW_D ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
    uid_t uid = st->st_uid == walk.old_uid ? walk.uid : (uid_t)-1;
    gid_t gid = st->st_gid == walk.old_gid && walk.old_gid != 0 ? walk.gid : (gid_t)-1;
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && lchown(path, uid, gid) != 0)
        log_warn("cannot change the owner of %s: %s", path, strerror(errno));
    return FTW_CONTINUE;
}

void userdb_chown_tree(const char *dir, uid_t old_uid, gid_t old_gid, uid_t uid, gid_t gid)
{
    if (old_uid == uid && old_gid == gid)
        return;
    walk.old_uid = old_uid;
    walk.uid = uid;
    walk.old_gid = old_gid;
    walk.gid = gid;
    if (nftw(dir, chown_one, 16, FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL) != 0 && errno != ENOENT)
        log_warn("cannot fix ownership under %s: %s", dir, strerror(errno));
}

bool userdb_dir_usable(const char *dir)
{
    struct stat st;
    return dir && dir[0] == '/' && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
           access(dir, W_OK | X_OK) == 0;
}
