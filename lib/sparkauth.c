/* sparkauth.c - the Spark cluster's shared secret: which variable, read and checked once. */
#include "sparkauth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "smallfile.h"

static bool set(const char *v)
{
    return v != NULL && v[0] != '\0';
}

bool spark_auth_requested(const char *value, const char *file)
{
    return set(value) || set(file);
}

static int refuse(char *out, char *err, size_t errlen, const char *file, const char *why)
{
    explicit_bzero(out, SPARK_AUTH_BUFSIZE); /* no part of a refused secret stays in memory */
    snprintf(err, errlen, "SPARK_AUTH_SECRET_FILE='%s' %s", file, why);
    return EXIT_USAGE;
}

int spark_auth_secret(const char *value, const char *file, char out[SPARK_AUTH_BUFSIZE], char *err,
                      size_t errlen)
{
    out[0] = '\0';
    if (set(value) && set(file)) {
        snprintf(err, errlen,
                 "SPARK_AUTH_SECRET and SPARK_AUTH_SECRET_FILE are both set: expected one of them "
                 "(the secret, or the file that holds it)");
        return EXIT_USAGE;
    }
    if (set(value)) {
        size_t n = strlen(value);
        if (n > SPARK_AUTH_MAX) {
            snprintf(err, errlen, "SPARK_AUTH_SECRET is invalid: expected at most %d bytes",
                     SPARK_AUTH_MAX);
            return EXIT_USAGE;
        }
        memcpy(out, value, n + 1);
        return 0;
    }
    if (!set(file))
        return 0;
    char why[256];
    long n = smallfile_read(file, 0, out, SPARK_AUTH_BUFSIZE - 1);
    if (n < 0 && errno == EFBIG)
        n = SPARK_AUTH_BUFSIZE; /* reported as too long below */
    else if (n < 0) {
        snprintf(why, sizeof(why), "cannot be read: %s (expected a file that uid %u can read)",
                 strerror(errno), (unsigned)getuid());
        return refuse(out, err, errlen, file, why);
    }
    size_t len = (size_t)n;
    if (len < SPARK_AUTH_BUFSIZE) {
        while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
            len--;
        out[len] = '\0';
    }
    if (len > SPARK_AUTH_MAX) {
        snprintf(why, sizeof(why), "is invalid: expected a secret of at most %d bytes",
                 SPARK_AUTH_MAX);
        return refuse(out, err, errlen, file, why);
    }
    if (len == 0)
        return refuse(out, err, errlen, file,
                      "is invalid: the file is empty (expected the secret)");
    if (memchr(out, '\0', len) != NULL)
        return refuse(out, err, errlen, file,
                      "is invalid: it holds a NUL byte (expected the secret as text)");
    return 0;
}
