/* acctdb.h - the account files (/etc/passwd, /etc/group, /etc/gshadow): the notebook user's ids
 * as written there, and the locked, atomic edits that renumber it. The caller holds lckpwdf(3). */
#ifndef MMLSPARK_ACCTDB_H
#define MMLSPARK_ACCTDB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

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

struct acctdb {
    struct dbfile passwd, group, gshadow;
};

/* The user's ids in the files: passwd's uid and primary gid, its own group's gid (-1: none). */
struct acct_ids {
    uid_t uid;
    gid_t primary_gid;
    long long own_gid;
};

/* What NB_UID / NB_GID ask for. */
struct acct_ask {
    bool set_uid, set_gid;
    uid_t uid;
    gid_t gid;
};

/* Reads the three files whole (gshadow may be missing). Returns 0, or -1 after one error line;
 * acctdb_free() either way. */
int acctdb_read(struct acctdb *db);
void acctdb_free(struct acctdb *db);

/* The user's ids as the files say. Returns 0, or -1 after one error line (no such user). */
int acctdb_ids(const struct acctdb *db, const char *user, struct acct_ids *out);

/* Builds the edits that give user what ask asks, decided from all three files, so a state that
 * an interrupted edit left is completed, and a file already right is left as it is. A gid held
 * by another group is joined as the primary group; else the user's own group is given it
 * (created when missing). *renumbered_gid: the own group's gid before, when it changes, else -1.
 * Returns 0, or -1 after one error line. */
int acctdb_plan(struct acctdb *db, const char *user, const struct acct_ask *ask,
                long long *renumbered_gid);

/* Whether the plan changes any file. */
bool acctdb_changed(const struct acctdb *db);

/* Replaces each changed file by rename (passwd first); on a failure puts back the ones already
 * replaced: all edits land or none. Returns 0, or -1 after one error line. */
int acctdb_commit(struct acctdb *db);

/* The name in /etc of renumber.c's record of a change in progress. */
#define ACCTDB_RECORD_NAME ".mmlspark-renumber"

/* Replaces path (a file in /etc) by rename of a synced, root-only new file with text. Returns
 * 0, or -1 with errno set. */
int acctdb_replace(const char *path, const char *text, size_t len);

/* Removes the replacements a killed edit left in /etc (of the account files and the record);
 * returns how many. */
int acctdb_remove_temps(void);

#endif
