/* listen.c - bind the page's port: dual-stack by default, with a clear error when it is taken. */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int bind_listen(int family, const struct sockaddr *sa, socklen_t salen, bool v6only,
                       int *err_out)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err_out = errno;
        return -1;
    }
    int one = 1, v6 = v6only ? 1 : 0;
    /* SO_REUSEADDR: Jupyter must bind this port right after we exit, despite TIME_WAIT. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6)) != 0) ||
        bind(fd, sa, salen) != 0 || listen(fd, SOMAXCONN) != 0) {
        *err_out = errno;
        close(fd);
        return -1;
    }
    return fd;
}

static void describe(int e, const char *address, unsigned port, char *err, size_t errlen)
{
    if (e == EADDRINUSE)
        snprintf(err, errlen,
                 "port %u is already in use on %s: stop what listens there or choose another "
                 "port with MMLSPARK_JUPYTER_PORT",
                 port, address);
    else if (e == EACCES)
        snprintf(err, errlen, "no permission to listen on port %u on %s", port, address);
    else
        snprintf(err, errlen, "cannot listen on port %u on %s: %s", port, address, strerror(e));
}

int listen_open(const char *address, unsigned port, bool *dual_stack, char *err, size_t errlen)
{
    int e = 0, fd;
    *dual_stack = false;
    if (address == NULL) {
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        a6.sin6_addr = in6addr_any;
        fd = bind_listen(AF_INET6, (struct sockaddr *)&a6, sizeof(a6), false, &e);
        if (fd >= 0) {
            *dual_stack = true;
            return fd;
        }
        if (e != EAFNOSUPPORT && e != EADDRNOTAVAIL && e != EPROTONOSUPPORT) {
            describe(e, "all addresses", port, err, errlen);
            return -1;
        }
        struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a4.sin_addr.s_addr = htonl(INADDR_ANY);
        fd = bind_listen(AF_INET, (struct sockaddr *)&a4, sizeof(a4), false, &e);
        if (fd < 0)
            describe(e, "all IPv4 addresses (no IPv6 on this host)", port, err, errlen);
        return fd;
    }
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, address, &a4.sin_addr) == 1)
        fd = bind_listen(AF_INET, (struct sockaddr *)&a4, sizeof(a4), false, &e);
    else if (inet_pton(AF_INET6, address, &a6.sin6_addr) == 1)
        fd = bind_listen(AF_INET6, (struct sockaddr *)&a6, sizeof(a6), true, &e);
    else {
        snprintf(err, errlen, "'%.100s' is not a numeric IPv4 or IPv6 address", address);
        return -1;
    }
    if (fd < 0)
        describe(e, address, port, err, errlen);
    return fd;
}
