/* nss_mmlspark.h - glibc NSS service "mmlspark" (passwd: files mmlspark, group: files mmlspark):
 * a name for every uid and gid the files lack, so that every process of the container, whatever
 * started it (docker exec included), has one. The entry points glibc calls, declared for tests.
 *
 * A uid U without an entry: mmlspark-U, gid getgid() when U is the caller's uid (else U), shell
 * /bin/bash, home the notebook user's (NSS_MMLSPARK_HOME) when U may write it, else
 * $TMPDIR/home-U (TMPDIR absolute, else /tmp): the HOME mmlspark-init gives its job. A gid G
 * without a group: mmlspark-G, no members. Ids the files name, or whose mmlspark- name they use,
 * and id 0 are not found; nothing is enumerated. A root caller (effective uid 0: useradd and the
 * like) is answered only for its own real uid and its gids, so that it sees the files as they are. Lookups fill buf (buflen bytes): too small gives
 * NSS_STATUS_TRYAGAIN with *errnop = ERANGE. No allocation, no state. */
#ifndef MMLSPARK_NSS_MMLSPARK_H
#define MMLSPARK_NSS_MMLSPARK_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stddef.h>

enum nss_status _nss_mmlspark_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
                                         int *errnop);
enum nss_status _nss_mmlspark_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                         size_t buflen, int *errnop);
enum nss_status _nss_mmlspark_setpwent(int stayopen);
enum nss_status _nss_mmlspark_getpwent_r(struct passwd *pw, char *buf, size_t buflen,
                                         int *errnop);
enum nss_status _nss_mmlspark_endpwent(void);

enum nss_status _nss_mmlspark_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
                                         int *errnop);
enum nss_status _nss_mmlspark_getgrnam_r(const char *name, struct group *gr, char *buf,
                                         size_t buflen, int *errnop);
enum nss_status _nss_mmlspark_setgrent(int stayopen);
enum nss_status _nss_mmlspark_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop);
enum nss_status _nss_mmlspark_endgrent(void);

#endif
