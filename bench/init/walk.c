/* walk.c - bench helper: runs init's ownership walk (chowntree_walk) once over DIR, giving what
 * OLD_UID:OLD_GID own to NEW_UID:NEW_GID, as NB_UID/NB_GID do, with its lock note in /tmp (init
 * has it in /etc). measure_walk.py times it against GNU `chown -R --from` on the same tree.
 * Usage: walk DIR OLD_UID OLD_GID NEW_UID NEW_GID */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "chowntree.h"
#include "log.h"
#include "stopsig.h"

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: walk DIR OLD_UID OLD_GID NEW_UID NEW_GID\n");
        return 64;
    }
    mlog_init("walk");
    struct chown_ids ids = {.old_uid = (uid_t)atol(argv[2]), .old_gid = (gid_t)atol(argv[3]),
                            .uid = (uid_t)atol(argv[4]), .gid = (gid_t)atol(argv[5])};
    const char *const dirs[] = {argv[1], NULL};
    sigset_t stops; /* as init walks: looking for a pending stop signal */
    stop_signal_set(&stops);
    char note[64];
    snprintf(note, sizeof(note), "/tmp/mmlspark-bench-walk.%ld.lock", (long)getpid());
    int rc = chowntree_walk(dirs, &ids, &stops, note);
    unlink(note);
    return rc == 0 ? 0 : 1;
}
