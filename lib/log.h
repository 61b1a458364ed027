/* log.h - one line per event on stderr, prefixed with the program name; level from MMLSPARK_LOG. */
#ifndef MMLSPARK_LOG_H
#define MMLSPARK_LOG_H

enum mlog_level { MLOG_DEBUG = 0, MLOG_INFO = 1, MLOG_WARN = 2, MLOG_ERROR = 3 };

/* Sets the prefix; reads MMLSPARK_LOG. Returns -1 (and keeps "info") if MMLSPARK_LOG is invalid. */
int mlog_init(const char *program);
/* Parses debug|info|warn|error (any case). Returns 0 on success, -1 otherwise. */
int mlog_parse_level(const char *text, enum mlog_level *out);
void mlog_set_level(enum mlog_level level);
enum mlog_level mlog_get_level(void);
const char *mlog_program(void);

void mlog(enum mlog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) mlog(MLOG_DEBUG, __VA_ARGS__)
#define log_info(...) mlog(MLOG_INFO, __VA_ARGS__)
#define log_warn(...) mlog(MLOG_WARN, __VA_ARGS__)
#define log_error(...) mlog(MLOG_ERROR, __VA_ARGS__)

#endif
