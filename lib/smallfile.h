/* smallfile.h - reading a small file whole: one reader for every program (secrets, the license
 * text, passwd and group, /proc and cgroup files, the image's lists). */
#ifndef MML_SMALLFILE_H
#define MML_SMALLFILE_H

#include <stddef.h>
#include <sys/stat.h>

/* Refuse anything but a regular file (EINVAL), before reading a byte of it. */
#define SMALLFILE_REGULAR 1

/* Reads PATH (opened with O_RDONLY | O_CLOEXEC | O_NOCTTY | oflags) into buf, which holds cap + 1
 * bytes, and ends it with a NUL. Returns its length, or -1 with errno set: open's, fstat's or
 * read's, EISDIR for a directory, EFBIG for a file longer than cap (buf then holds cap + 1 of its
 * bytes, no NUL). */
long smallfile_read(const char *path, int oflags, char *buf, size_t cap);

/* The same into a malloc'ed, NUL-terminated buffer that fits the file, which may be at most max
 * bytes; *len its length. st (may be NULL) receives the file's fstat, flags 0 or
 * SMALLFILE_REGULAR. NULL with errno set (ENOMEM as well). */
char *smallfile_load(const char *path, int oflags, int flags, size_t max, size_t *len,
                     struct stat *st);

#endif
