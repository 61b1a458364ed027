/* listen.h - the listening socket, opened before privileges are dropped. */
#ifndef MMLSPARK_EULA_LISTEN_H
#define MMLSPARK_EULA_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

/* Opens a listening TCP socket on port: on every IPv4 and IPv6 address when address is NULL
 * (one dual-stack socket; IPv4 only when the host has no IPv6), else on that numeric address.
 * Sets *dual_stack. Returns the fd (CLOEXEC), or -1 with a one-line reason in err. */
int listen_open(const char *address, unsigned port, bool *dual_stack, char *err, size_t errlen);

#endif
