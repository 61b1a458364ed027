#!/usr/bin/env python3
"""ivy2maven.py - turn a Spark Ivy home (cache + retrieved jars) into a Maven-layout repository.

Usage: ivy2maven.py IVY_HOME OUT_DIR INSTALLED_DIR
  IVY_HOME       spark.jars.ivy of a finished `spark-submit --packages` (cache/ and jars/)
  OUT_DIR        gets maven/ (every pom Ivy read, every jar it retrieved), classpath (the
                 retrieved jars) and pythonpath (those of them that hold Python modules)
  INSTALLED_DIR  where OUT_DIR will live in the image (the paths written to classpath)
Jars are moved, not copied: the repository holds the only copy.
"""
import hashlib
import os
import shutil
import sys
import zipfile


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(ivy_home, out, installed):
    cache = os.path.join(ivy_home, "cache")
    repo = os.path.join(out, "maven")
    by_hash = {}  # sha256 of a cached artifact -> its path in the repository
    poms = 0
    for org in sorted(os.listdir(cache)):
        org_dir = os.path.join(cache, org)
        if not os.path.isdir(org_dir):
            continue
        for module in sorted(os.listdir(org_dir)):
            mod_dir = os.path.join(org_dir, module)
            if not os.path.isdir(mod_dir):
                continue
            target = os.path.join(repo, *org.split("."), module)
            for name in os.listdir(mod_dir):
                # ivy-REV.xml.original is the pom exactly as the repository served it
                if name.startswith("ivy-") and name.endswith(".xml.original"):
                    rev = name[len("ivy-"):-len(".xml.original")]
                    os.makedirs(os.path.join(target, rev), exist_ok=True)
                    shutil.copyfile(os.path.join(mod_dir, name),
                                    os.path.join(target, rev, "%s-%s.pom" % (module, rev)))
                    poms += 1
            for kind in sorted(os.listdir(mod_dir)):  # jars/, bundles/, ...
                kind_dir = os.path.join(mod_dir, kind)
                if not os.path.isdir(kind_dir):
                    continue
                for name in sorted(os.listdir(kind_dir)):
                    revs = os.listdir(target) if os.path.isdir(target) else []
                    # the longest revision that NAME continues with "." or "-" (1.0 vs 1.0.1)
                    revs = [r for r in revs if name.startswith("%s-%s" % (module, r))
                            and name[len(module) + 1 + len(r)] in ".-"]
                    rev = max(revs, key=len, default=None)
                    if rev is None:
                        sys.exit("ivy2maven: no pom for %s/%s/%s" % (org, module, name))
                    ext = os.path.splitext(name)[1]
                    dest = os.path.join(target, rev, name if ext == ".jar" else name + ".jar")
                    shutil.move(os.path.join(kind_dir, name), dest)
                    by_hash[sha256(dest)] = dest
    classpath = []
    jars_dir = os.path.join(ivy_home, "jars")
    for name in sorted(os.listdir(jars_dir)):
        h = sha256(os.path.join(jars_dir, name))
        if h not in by_hash:
            sys.exit("ivy2maven: retrieved %s is not in the cache" % name)
        classpath.append(os.path.join(installed, os.path.relpath(by_hash[h], out)))
    pythonpath = []
    for jar in classpath:
        with zipfile.ZipFile(os.path.join(out, os.path.relpath(jar, installed))) as z:
            if any(n.endswith(".py") for n in z.namelist()):
                pythonpath.append(jar)
    for name, paths in (("classpath", classpath), ("pythonpath", pythonpath)):
        with open(os.path.join(out, name), "w") as f:
            f.write("".join(p + "\n" for p in paths))
    print("ivy2maven: %d poms, %d jars in %s; classpath of %d jars, %d with Python modules"
          % (poms, len(by_hash), repo, len(classpath), len(pythonpath)))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
