#!/usr/bin/env python3
"""walk_variants.py - times the ownership walk as shipped against GNU `chown -R --from` and three
scratch variants of init/chowntree.c in the same rounds (measure_walk.py --also): the figures of
docs/init.md's table "Why the walk takes about 1.25 x". The variants are built in a temporary
directory from edited copies of the source and are never shipped:
  statx-null     statx(fd, NULL, AT_EMPTY_PATH) through the file's descriptor (Linux 6.11);
  rdonly-fchown  a read-only, non-blocking open of each file and fchown(fd), not O_PATH;
  by-name        statx and fchownat by name relative to the directory, as chown -R (not
                 race-free: the reason the walk keeps its descriptor).

Usage: walk_variants.py OUT_FILE [--files N] [--rounds R]   (as root, on a quiet machine)
"""
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

OPEN = "    int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);\n    if (fd < 0 && (errno"
STAT = ("    return statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | "
        "(name[0] ? 0 : AT_EMPTY_PATH),\n                 STATX_WANT, s);")
CHOWN = '    if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) != 0)'

VARIANTS = {
    "statx-null": [(STAT, "    return (int)syscall(SYS_statx, dirfd, name[0] ? name : NULL, "
                          "AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | (name[0] ? 0 : AT_EMPTY_PATH), "
                          "STATX_WANT, s);"),
                   ("#include <unistd.h>\n", "#include <unistd.h>\n#include <sys/syscall.h>\n")],
    "rdonly-fchown": [(OPEN, OPEN.replace("O_PATH | O_NOFOLLOW",
                                          "O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW")),
                      (CHOWN, "    if (fchown(fd, uid, gid) != 0)")],
    "by-name": [(OPEN, """    if (w->pass == PASS_MAIN && stat_at(dirfd, name, &s) == 0 && s.stx_nlink == 1 &&
        !S_ISDIR(s.stx_mode)) {
        if (needs_change(w, &s) && !other_mount(w, &w->stack[w->depth - 1].id, &s)) {
            const struct chown_ids *ids = w->ids;
            uid_t uid = s.stx_uid == ids->old_uid ? ids->uid : (uid_t)-1;
            gid_t gid = s.stx_gid == ids->old_gid && ids->old_gid != 0 ? ids->gid : (gid_t)-1;
            if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
                log_warn("cannot change the owner of %s: %s", w->path, strerror(errno));
        }
        return;
    }
""" + OPEN)],
}


def build(src, out):
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-D_GNU_SOURCE", "-I" + TOP + "/init",
                    "-I" + TOP + "/lib", "-o", out, TOP + "/bench/init/walk.c", src,
                    TOP + "/lib/log.c", TOP + "/lib/stopsig.c"], check=True)


def main():
    out, rest = sys.argv[1], sys.argv[2:]
    with open(os.path.join(TOP, "init", "chowntree.c")) as f:
        shipped = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        build(os.path.join(TOP, "init", "chowntree.c"), os.path.join(tmp, "walk"))
        also = []
        for name, edits in VARIANTS.items():
            text = shipped
            for old, new in edits:
                if old not in text:
                    sys.exit("walk_variants.py: init/chowntree.c changed; update the %s edit" % name)
                text = text.replace(old, new, 1)
            src = os.path.join(tmp, name + ".c")
            with open(src, "w") as f:
                f.write(text)
            build(src, os.path.join(tmp, name))
            also += ["--also", "%s=%s" % (name, os.path.join(tmp, name))]
        return subprocess.run([sys.executable, os.path.join(TOP, "bench", "init", "measure_walk.py"),
                               os.path.join(tmp, "walk"), out, *rest, *also]).returncode


if __name__ == "__main__":
    sys.exit(main())
