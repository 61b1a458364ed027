/* envparse.c - strict parsers for environment values: a bad value is an error, never a default. */
#include "envparse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool word_in(const char *value, const char *const *words)
{
    for (; *words; words++)
        if (strcasecmp(value, *words) == 0)
            return true;
    return false;
}

static const char *const yes_words[] = {"y", "yes", "true", "1", NULL};
static const char *const no_words[] = {"n", "no", "false", "0", NULL};

int parse_accept_eula(const char *value, enum eula_decision *out)
{
    if (value == NULL || value[0] == '\0') {
        *out = EULA_PENDING;
        return 0;
    }
    if (word_in(value, yes_words)) {
        *out = EULA_ACCEPTED;
        return 0;
    }
    if (word_in(value, no_words)) {
        *out = EULA_DECLINED;
        return 0;
    }
    return -1;
}

int parse_bool(const char *value, bool *out)
{
    static const char *const on[] = {"y", "yes", "true", "1", "on", NULL};
    static const char *const off[] = {"n", "no", "false", "0", "off", NULL};
    if (value == NULL)
        return -1;
    if (word_in(value, on)) {
        *out = true;
        return 0;
    }
    if (word_in(value, off)) {
        *out = false;
        return 0;
    }
    return -1;
}

int parse_ulong(const char *value, unsigned long min, unsigned long max, unsigned long *out)
{
    if (value == NULL || !isdigit((unsigned char)value[0]))
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long v = strtoul(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int parse_port(const char *value, unsigned *out)
{
    unsigned long v;
    if (parse_ulong(value, 1, 65535, &v) != 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int parse_seconds(const char *value, double max, double *out)
{
    if (value == NULL || !(isdigit((unsigned char)value[0]) || value[0] == '.'))
        return -1;
    for (const char *p = value; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1; /* no exponents, hex, inf or nan */
    errno = 0;
    char *end = NULL;
    double v = strtod(value, &end);
    if (errno != 0 || end == value || *end != '\0' || !isfinite(v) || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

int parse_exit_code_list(const char *value, bool set[256])
{
    if (value == NULL)
        return -1;
    bool tmp[256] = {false};
    const char *p = value;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        if (*p == '\0')
            break;
        char num[8];
        size_t n = 0;
        while (*p && *p != ',' && *p != ' ') {
            if (n + 1 >= sizeof(num))
                return -1;
            num[n++] = *p++;
        }
        num[n] = '\0';
        unsigned long code;
        if (parse_ulong(num, 0, 255, &code) != 0)
            return -1;
        tmp[code] = true;
    }
    memcpy(set, tmp, sizeof(tmp));
    return 0;
}
