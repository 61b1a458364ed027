/* eula.h - exit codes of mmlspark-eula; the shared ones live in lib/config.h. */
#ifndef MMLSPARK_EULA_EULA_H
#define MMLSPARK_EULA_EULA_H

#include "config.h"

/* 0 accepted, 3 declined, 64 usage, 78 config, 1 runtime failure, 128+n stopped by signal n. */
enum { EULA_EXIT_ACCEPTED = 0, EULA_EXIT_FAILURE = 1, EULA_EXIT_DECLINED = EXIT_EULA_DECLINED };

#endif
