/* nss_mmlspark.c - glibc NSS service "mmlspark": a passwd and group entry for ids the files lack. */
#include "nss_mmlspark.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "idname.h"

#ifndef NSS_MMLSPARK_ETC
#define NSS_MMLSPARK_ETC "/etc"
#endif
#ifndef NSS_MMLSPARK_HOME
#define NSS_MMLSPARK_HOME "/home/mmlspark"
#endif

/* One line of a passwd or group file, fed a byte at a time: its name (field 0) and id (field 2). */
struct line {
    const char *name; /* the name looked for */
    uint32_t id;      /* the id looked for */
    size_t field, nlen;
    bool name_same, id_digits, id_ok;
    uint64_t id_value;
};

static void line_start(struct line *l)
{
    l->field = l->nlen = 0;
    l->name_same = l->id_ok = true;
    l->id_digits = false;
    l->id_value = 0;
}

static bool line_names_ours(const struct line *l)
{
    bool name = l->name_same && l->name[l->nlen] == '\0';
    bool id = l->field >= 2 && l->id_digits && l->id_ok && l->id_value == l->id;
    return name || id;
}

static void line_byte(struct line *l, char c)
{
    if (c == ':') {
        l->field++;
    } else if (l->field == 0) {
        l->name_same = l->name_same && c != '\0' && l->name[l->nlen] == c;
        if (l->name_same)
            l->nlen++;
    } else if (l->field == 2) {
        l->id_ok = l->id_ok && c >= '0' && c <= '9' && l->id_value <= UINT32_MAX;
        l->id_value = l->id_ok ? l->id_value * 10 + (uint64_t)(c - '0') : 0;
        l->id_digits = true;
    }
}

/* Whether the file (passwd or group format) has an entry with this id or this name: the files
 * service answers for those, and a second answer from us would contradict it. An unreadable file
 * names nothing. */
static bool files_name(const char *path, uint32_t id, const char *name)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    struct line l = {.name = name, .id = id};
    line_start(&l);
    bool found = false;
    char buf[4096];
    ssize_t n;
    while (!found && (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (ssize_t i = 0; i < n && !found; i++) {
            if (buf[i] != '\n') {
                line_byte(&l, buf[i]);
                continue;
            }
            found = line_names_ours(&l);
            line_start(&l);
        }
    }
    found = found || line_names_ours(&l); /* a last line without its newline */
    close(fd);
    return found;
}

/* The notebook user's home when uid may write it (the caller's own uid: access(2), which counts
 * its groups and a read-only mount; another uid: it must own it), else $TMPDIR/home-UID, which
 * mmlspark-init makes: the HOME init chooses. */
static void home_for(uint32_t uid, char *out, size_t len)
{
    const char *nb = NSS_MMLSPARK_HOME;
    struct stat st;
    struct statvfs fs;
    bool usable;
    if (uid == getuid())
        usable = stat(nb, &st) == 0 && S_ISDIR(st.st_mode) && access(nb, W_OK | X_OK) == 0;
    else
        usable = stat(nb, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid &&
                 (st.st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR) &&
                 statvfs(nb, &fs) == 0 && !(fs.f_flag & ST_RDONLY);
    if (usable) {
        snprintf(out, len, "%s", nb);
        return;
    }
    const char *tmp = secure_getenv("TMPDIR");
    if (tmp == NULL || tmp[0] != '/' || strlen(tmp) + sizeof("/home-4294967295") > len)
        tmp = "/tmp";
    snprintf(out, len, "%s/home-%u", tmp, (unsigned)uid);
}

/* Root manages the account files (useradd, groupadd, adduser, init's NB_UID change): it must see
 * only what they hold, or every free id looks taken. So a root caller is answered for its own real
 * ids alone (a setuid program asking who ran it); any other caller for every id. */
static bool answers_uid(uint32_t uid)
{
    return geteuid() != 0 || uid == getuid();
}

static bool answers_gid(uint32_t gid)
{
    if (geteuid() != 0 || gid == getgid() || gid == getegid())
        return true;
    gid_t groups[256]; /* more supplementary groups: EINVAL, not answered */
    int n = getgroups((int)(sizeof(groups) / sizeof(groups[0])), groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == gid)
            return true;
    return false;
}

/* Strings and pointers laid out in the caller's buffer. */
struct pack {
    char *next;
    size_t left;
};

static char *pack_string(struct pack *k, const char *s)
{
    size_t n = strlen(s) + 1;
    if (k->next == NULL || n > k->left) {
        k->next = NULL;
        return NULL;
    }
    char *at = memcpy(k->next, s, n);
    k->next += n;
    k->left -= n;
    return at;
}

/* An empty member list: one NULL pointer, aligned. */
static char **pack_empty_list(struct pack *k)
{
    if (k->next == NULL)
        return NULL;
    size_t pad = (alignof(char *) - (uintptr_t)k->next % alignof(char *)) % alignof(char *);
    if (pad + sizeof(char *) > k->left) {
        k->next = NULL;
        return NULL;
    }
    char **list = (char **)(void *)(k->next + pad);
    list[0] = NULL;
    k->next += pad + sizeof(char *);
    k->left -= pad + sizeof(char *);
    return list;
}

static enum nss_status not_found(int *errnop)
{
    *errnop = ENOENT;
    return NSS_STATUS_NOTFOUND;
}

static enum nss_status too_small(int *errnop)
{
    *errnop = ERANGE;
    return NSS_STATUS_TRYAGAIN;
}

static enum nss_status fill_passwd(uint32_t uid, struct passwd *pw, char *buf, size_t buflen,
                                   int *errnop)
{
    char name[IDNAME_MAX];
    idname_format(uid, name);
    if (uid == 0 || uid == UINT32_MAX || !answers_uid(uid) ||
        files_name(NSS_MMLSPARK_ETC "/passwd", uid, name))
        return not_found(errnop);
    char home[PATH_MAX];
    home_for(uid, home, sizeof(home));
    struct pack k = {buf, buflen};
    struct passwd p = {
        .pw_name = pack_string(&k, name),
        .pw_passwd = pack_string(&k, "x"),
        .pw_uid = uid,
        .pw_gid = uid == getuid() ? getgid() : uid,
        .pw_gecos = pack_string(&k, "notebook user"),
        .pw_dir = pack_string(&k, home),
        .pw_shell = pack_string(&k, "/bin/bash"),
    };
    if (k.next == NULL)
        return too_small(errnop);
    *pw = p;
    return NSS_STATUS_SUCCESS;
}

static enum nss_status fill_group(uint32_t gid, struct group *gr, char *buf, size_t buflen,
                                  int *errnop)
{
    char name[IDNAME_MAX];
    idname_format(gid, name);
    if (gid == 0 || gid == UINT32_MAX || !answers_gid(gid) ||
        files_name(NSS_MMLSPARK_ETC "/group", gid, name))
        return not_found(errnop);
    struct pack k = {buf, buflen};
    char **members = pack_empty_list(&k);
    struct group g = {
        .gr_name = pack_string(&k, name),
        .gr_passwd = pack_string(&k, "x"),
        .gr_gid = gid,
        .gr_mem = members,
    };
    if (k.next == NULL)
        return too_small(errnop);
    *gr = g;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_mmlspark_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
                                         int *errnop)
{
    return fill_passwd(uid, pw, buf, buflen, errnop);
}

enum nss_status _nss_mmlspark_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                         size_t buflen, int *errnop)
{
    uint32_t uid;
    if (idname_parse(name, &uid) != 0)
        return not_found(errnop);
    return fill_passwd(uid, pw, buf, buflen, errnop);
}

enum nss_status _nss_mmlspark_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
                                         int *errnop)
{
    return fill_group(gid, gr, buf, buflen, errnop);
}

enum nss_status _nss_mmlspark_getgrnam_r(const char *name, struct group *gr, char *buf,
                                         size_t buflen, int *errnop)
{
    uint32_t gid;
    if (idname_parse(name, &gid) != 0)
        return not_found(errnop);
    return fill_group(gid, gr, buf, buflen, errnop);
}

/* Enumeration (getent passwd, getpwent) lists nothing: every uid has a name, which no list holds. */
enum nss_status _nss_mmlspark_setpwent(int stayopen)
{
    (void)stayopen;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_mmlspark_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
    (void)pw, (void)buf, (void)buflen;
    return not_found(errnop);
}

enum nss_status _nss_mmlspark_endpwent(void)
{
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_mmlspark_setgrent(int stayopen)
{
    (void)stayopen;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_mmlspark_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop)
{
    (void)gr, (void)buf, (void)buflen;
    return not_found(errnop);
}

enum nss_status _nss_mmlspark_endgrent(void)
{
    return NSS_STATUS_SUCCESS;
}
