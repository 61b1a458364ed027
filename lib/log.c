/* log.c - leveled, single-line stderr logging. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *prefix = "mmlspark";
static enum mlog_level threshold = MLOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int mlog_parse_level(const char *text, enum mlog_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (text && strcasecmp(text, level_names[i]) == 0) {
            *out = (enum mlog_level)i;
            return 0;
        }
    }
    return -1;
}

int mlog_init(const char *program)
{
    prefix = program;
    const char *env = getenv("MMLSPARK_LOG");
    if (env == NULL || env[0] == '\0')
        return 0;
    if (mlog_parse_level(env, &threshold) != 0) {
        threshold = MLOG_INFO;
        return -1;
    }
    return 0;
}

void mlog_set_level(enum mlog_level level)
{
    threshold = level;
}

enum mlog_level mlog_get_level(void)
{
    return threshold;
}

const char *mlog_program(void)
{
    return prefix;
}

void mlog(enum mlog_level level, const char *fmt, ...)
{
    if (level < threshold)
        return;
    int saved = errno;
    char line[1024];
    int n = snprintf(line, sizeof(line), "%s: %s: ", prefix, level_names[level]);
    if (n < 0)
        n = 0;
    size_t used = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + used, sizeof(line) - used, fmt, ap);
    va_end(ap);
    /* One event, one line: fold any newline the message carries. */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t len = strlen(line);
    if (len + 1 < sizeof(line)) {
        line[len++] = '\n';
    } else {
        line[sizeof(line) - 2] = '\n';
        len = sizeof(line) - 1;
    }
    /* A single write keeps lines from interleaving with the child's output. */
    ssize_t w;
    do {
        w = write(STDERR_FILENO, line, len);
    } while (w < 0 && errno == EINTR);
    errno = saved;
}
