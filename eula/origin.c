/* origin.c - the same-origin check of a form POST: parses scheme://authority and Host. */
#include "origin.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#define PORT_NONE (-1L)

struct authority {
    const char *host; /* not NUL-terminated: host_len bytes; brackets kept for IPv6 */
    size_t host_len;
    long port; /* PORT_NONE when not given (or given empty, which RFC 3986 allows) */
};

static bool is_reg_name_char(char c)
{
    /* RFC 3986 reg-name / IPv4: unreserved, pct-encoded and sub-delims. */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-._~%!$&'()*+,;=", c) != NULL);
}

static bool is_ipv6_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
}

/* "host[:port]" in s[0..len) exactly. */
static bool parse_authority(const char *s, size_t len, struct authority *a)
{
    size_t i = 0;
    if (len > 0 && s[0] == '[') {
        for (i = 1; i < len && is_ipv6_char(s[i]); i++)
            ;
        if (i >= len || s[i] != ']' || i == 1)
            return false;
        i++;
    } else {
        while (i < len && is_reg_name_char(s[i]))
            i++;
        if (i == 0)
            return false;
    }
    a->host = s;
    a->host_len = i;
    a->port = PORT_NONE;
    if (i == len)
        return true;
    if (s[i] != ':')
        return false;
    if (++i == len)
        return true; /* "host:" - an empty port is the default one */
    long port = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        port = port * 10 + (s[i] - '0');
        if (port > 65535)
            return false;
    }
    a->port = port;
    return true;
}

/* "http://" or "https://" at the start of url: the scheme's default port, and where the
 * authority begins; 0 when the scheme is neither. */
static long scheme_default_port(const char *url, const char **rest)
{
    static const struct {
        const char *prefix;
        long port;
    } schemes[] = {{"http://", 80}, {"https://", 443}};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncasecmp(url, schemes[i].prefix, n) == 0) {
            *rest = url + n;
            return schemes[i].port;
        }
    }
    return 0;
}

static bool same_authority(const struct authority *got, const struct authority *want,
                           long default_port)
{
    long got_port = got->port == PORT_NONE ? default_port : got->port;
    long want_port = want->port == PORT_NONE ? default_port : want->port;
    return got->host_len == want->host_len &&
           strncasecmp(got->host, want->host, got->host_len) == 0 && got_port == want_port;
}

enum origin_verdict origin_check(const char *origin, const char *referer, const char *host)
{
    const char *url = origin != NULL ? origin : referer;
    if (url == NULL)
        return ORIGIN_ABSENT;
    struct authority want, got;
    if (host == NULL || !parse_authority(host, strlen(host), &want))
        return ORIGIN_FOREIGN;
    const char *auth = NULL;
    long default_port = scheme_default_port(url, &auth);
    if (default_port == 0)
        return ORIGIN_FOREIGN; /* "null", another scheme, or not a URL */
    /* An Origin is exactly scheme://authority; a Referer's authority ends its URL's start. */
    size_t len = origin != NULL ? strlen(auth) : strcspn(auth, "/?#");
    if (!parse_authority(auth, len, &got))
        return ORIGIN_FOREIGN;
    return same_authority(&got, &want, default_port) ? ORIGIN_SAME : ORIGIN_FOREIGN;
}
