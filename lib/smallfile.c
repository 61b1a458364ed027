/* smallfile.c - reading a small file whole (see smallfile.h). */
#include "smallfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* Reads from fd into buf[have..] until EOF or cap + 1 bytes are in; returns the count, or -1. */
static long read_upto(int fd, char *buf, size_t have, size_t cap)
{
    while (have <= cap) {
        ssize_t n = read(fd, buf + have, cap + 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        have += (size_t)n;
    }
    return (long)have;
}

/* Opens path and checks what it is: the fd, or -1 with errno set. */
static int open_checked(const char *path, int oflags, int flags, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | oflags);
    if (fd < 0)
        return -1;
    int e = 0;
    if (fstat(fd, st) != 0)
        e = errno;
    else if (S_ISDIR(st->st_mode))
        e = EISDIR;
    else if ((flags & SMALLFILE_REGULAR) && !S_ISREG(st->st_mode))
        e = EINVAL;
    if (e != 0) {
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

long smallfile_read(const char *path, int oflags, char *buf, size_t cap)
{
    struct stat st;
    int fd = open_checked(path, oflags, 0, &st);
    if (fd < 0)
        return -1;
    long n = read_upto(fd, buf, 0, cap);
    int e = n < 0 ? errno : (size_t)n > cap ? EFBIG : 0;
    close(fd);
    if (e != 0) {
        errno = e;
        return -1;
    }
    buf[n] = '\0';
    return n;
}

char *smallfile_load(const char *path, int oflags, int flags, size_t max, size_t *len,
                     struct stat *st)
{
    struct stat own;
    st = st ? st : &own;
    int fd = open_checked(path, oflags, flags, st);
    if (fd < 0)
        return NULL;
    /* Sized by fstat, and grown while the file reads longer (/proc and cgroup files say 0). */
    size_t cap = S_ISREG(st->st_mode) && st->st_size > 0 ? (size_t)st->st_size : 4096;
    char *buf = NULL;
    long have = 0;
    int e = 0;
    for (;;) {
        cap = cap < max ? cap : max;
        char *more = realloc(buf, cap + 1);
        if (more == NULL) {
            e = ENOMEM;
            break;
        }
        buf = more;
        have = read_upto(fd, buf, (size_t)have, cap);
        if (have < 0)
            e = errno;
        else if ((size_t)have > cap && cap == max)
            e = EFBIG;
        if (e != 0 || (size_t)have <= cap)
            break;
        cap = cap > max / 2 ? max : 2 * cap + 1;
    }
    close(fd);
    if (e != 0) {
        free(buf);
        errno = e;
        return NULL;
    }
    buf[have] = '\0';
    *len = (size_t)have;
    return buf;
}
