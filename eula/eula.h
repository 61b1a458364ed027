/* eula.h - exit codes of mmlspark-eula, shared with mmlspark-init's contract (init/job.h). */
#ifndef MMLSPARK_EULA_EULA_H
#define MMLSPARK_EULA_EULA_H

/* 0 accepted, 3 declined (init's EXIT_EULA_DECLINED), 64 usage, 78 config, 1 runtime failure,
 * 128+n stopped by signal n. */
enum { EULA_EXIT_ACCEPTED = 0, EULA_EXIT_FAILURE = 1, EULA_EXIT_DECLINED = 3 };

#endif
