/* sparkparse.c - strict checks of Maven coordinate and repository lists. */
#include "sparkparse.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static bool coord_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/* One item of a comma list: [start, end). Empty items are invalid. */
static int each_item(const char *value, int (*check)(const char *s, size_t n))
{
    if (value == NULL || value[0] == '\0')
        return -1;
    const char *p = value;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 0 || check(p, n) != 0)
            return -1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int check_coordinate(const char *s, size_t n)
{
    int parts = 1;
    size_t part_len = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':') {
            if (part_len == 0)
                return -1;
            parts++;
            part_len = 0;
        } else if (coord_char(s[i])) {
            part_len++;
        } else {
            return -1;
        }
    }
    return (parts == 3 && part_len > 0) ? 0 : -1;
}

static int check_url(const char *s, size_t n)
{
    static const char *const schemes[] = {"https://", "http://", "file:/"};
    size_t skip = 0;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t len = strlen(schemes[i]);
        if (n > len && strncmp(s, schemes[i], len) == 0) {
            skip = len;
            break;
        }
    }
    if (skip == 0)
        return -1;
    for (size_t i = skip; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isgraph(c) || c == '"' || c == '\'' || c == '\\' || c == '`')
            return -1;
    }
    return 0;
}

int parse_maven_coordinates(const char *value)
{
    return each_item(value, check_coordinate);
}

int parse_repository_urls(const char *value)
{
    return each_item(value, check_url);
}

static int check_host_port(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (colon == NULL || colon == s)
        return -1;
    for (const char *p = s; p < colon; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
            return -1;
    size_t digits = n - (size_t)(colon + 1 - s);
    if (digits == 0 || digits > 5)
        return -1;
    unsigned long port = 0;
    for (const char *p = colon + 1; p < s + n; p++) {
        if (!isdigit((unsigned char)*p))
            return -1;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    return (port >= 1 && port <= 65535) ? 0 : -1;
}

int parse_spark_master_url(const char *value)
{
    static const char scheme[] = "spark://";
    if (value == NULL || strncmp(value, scheme, sizeof(scheme) - 1) != 0)
        return -1;
    return each_item(value + sizeof(scheme) - 1, check_host_port);
}

int parse_spark_mode(const char *value)
{
    static const char *const modes[] = {"notebook", "master", "worker", "connect", "history"};
    for (size_t i = 0; value && i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(value, modes[i]) == 0)
            return 0;
    return -1;
}
