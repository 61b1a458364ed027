#!/usr/bin/env python3
"""walk_variants.py - times the ownership walk as shipped against GNU `chown -R --from` and a
scratch variant of init/chowntree.c in the same rounds (measure_walk.py --also): the figures of
docs/init.md's table. The variant is built in a temporary directory from an edited copy of the
source and is never shipped:
  o-path-only    no lock note, so no directory is locked: every file of a directory others can
                 write is statted and changed through its O_PATH descriptor (the walk before the
                 lock).

Usage: walk_variants.py OUT_FILE [--files N] [--rounds R]   (as root, on a quiet machine)
"""
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

VARIANTS = {
    "o-path-only": [("    note_open(w, note);\n", "    (void)note;\n    note_open(w, NULL);\n")],
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
