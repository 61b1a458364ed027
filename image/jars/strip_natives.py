#!/usr/bin/env python3
"""strip_natives.py - build time: take out of jars the native libraries of other systems (Windows,
macOS, 32-bit, ARM, POWER, s390x, musl libc) that a JVM on this image never loads. RocksDB's jar
(Spark's state store) carries 13 builds of its library, OpenCV's and ONNX Runtime's a build per
system; each keeps its build for this one (glibc Linux on x86-64).

Usage: strip_natives.py DIR...    every *.jar under each DIR, rewritten in place
A jar is left as it is when it is signed, or when no native library of this system would remain
(so a jar that loads a native library always still has it). On another machine than x86-64 Linux
nothing is stripped. Prints one line per rewritten jar and a total.
"""
import os
import platform
import re
import shutil
import sys
import zipfile

NATIVE = re.compile(r"\.(so(\.[0-9.]+)?|dll|dylib|jnilib)$", re.I)
OTHER_EXT = re.compile(r"\.(dll|dylib|jnilib)$", re.I)
OTHER = {  # words of another system's or CPU's path, as jars name them
    "windows", "win", "win32", "win64", "osx", "mac", "macos", "darwin", "freebsd", "aix",
    "sunos", "solaris", "aarch64", "aarch_64", "arm", "arm64", "armv7", "armhf", "armv6",
    "ppc", "ppc64", "ppc64le", "s390x", "x86", "x86_32", "i386", "i686", "linux32", "loongarch64",
    "riscv64", "mips64", "musl",
}


def other_system(name):
    if OTHER_EXT.search(name):
        return True
    return any(w in OTHER for w in re.split(r"[/.-]", name.lower()))


def strip(path):
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        if any(re.match(r"META-INF/[^/]+\.(SF|RSA|DSA|EC)$", n) for n in names):
            return 0
        natives = [n for n in names if NATIVE.search(n) and not n.endswith("/")]
        drop = {n for n in natives if other_system(n)}
        if not drop or len(drop) == len(natives):
            return 0
        tmp = path + ".tmp"
        with zipfile.ZipFile(tmp, "w") as out:
            for info in infos:
                if info.filename not in drop:
                    out.writestr(info, z.read(info), compress_type=info.compress_type)
    before = os.path.getsize(path)
    shutil.copymode(path, tmp)
    os.replace(tmp, path)
    saved = before - os.path.getsize(path)
    print("strip_natives: %s: %d of %d native libraries taken out, %.1f MB"
          % (os.path.basename(path), len(drop), len(natives), saved / 1e6))
    return saved


def main(dirs):
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        print("strip_natives: not x86-64 Linux: nothing stripped")
        return
    saved = 0
    for d in dirs:
        for root, _, files in os.walk(d):
            for name in sorted(files):
                if name.endswith(".jar"):
                    saved += strip(os.path.join(root, name))
    print("strip_natives: %.1f MB saved" % (saved / 1e6))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
