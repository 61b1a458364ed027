/* sparkauth.h - the Spark cluster's shared secret: SPARK_AUTH_SECRET or SPARK_AUTH_SECRET_FILE. */
#ifndef MMLSPARK_SPARKAUTH_H
#define MMLSPARK_SPARKAUTH_H

#include <stdbool.h>
#include <stddef.h>

/* The longest secret accepted, in bytes, and the size of the buffer that holds it (a file's
 * trailing "\r\n" is read, then dropped). */
#define SPARK_AUTH_MAX 4096
#define SPARK_AUTH_BUFSIZE (SPARK_AUTH_MAX + 3)

/* True when the user asked for authentication: either variable set and not empty. */
bool spark_auth_requested(const char *value, const char *file);

/* Resolves the secret from VALUE (SPARK_AUTH_SECRET) or the file named by FILE
 * (SPARK_AUTH_SECRET_FILE); NULL or "" means unset. The file's trailing newlines ("\n" or "\r\n")
 * are not part of the secret, as a Docker secret is often written with `echo`.
 * Returns 0 with OUT holding the secret, or "" when neither is set (the cluster is open); or
 * 64 (EXIT_USAGE) with one line in ERR that names the variable and never the secret: both set,
 * the file unreadable, empty, holding a NUL byte, or longer than SPARK_AUTH_MAX.
 * OUT has SPARK_AUTH_BUFSIZE bytes. */
int spark_auth_secret(const char *value, const char *file, char out[SPARK_AUTH_BUFSIZE], char *err,
                      size_t errlen);

#endif
