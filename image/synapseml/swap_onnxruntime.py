#!/usr/bin/env python3
"""swap_onnxruntime.py - a CPU image: the Maven repository's poms that depend on ONNX Runtime's
GPU build (com.microsoft.onnxruntime:onnxruntime_gpu, SynapseML's deep-learning module) depend on
the CPU build of the same version instead, so that `--packages "$MML_PACKAGE"` resolves from the
image's repository, offline, to the jar that is there.

Usage: swap_onnxruntime.py REPO ARTIFACT
  REPO      the Maven-layout repository (OUT_DIR/maven of ivy2maven.py)
  ARTIFACT  the artifact the repository holds in place of onnxruntime_gpu (onnxruntime)
Exits non-zero when a pom names a version of onnxruntime_gpu whose ARTIFACT jar is not in REPO.
"""
import os
import re
import sys

GROUP = "com.microsoft.onnxruntime"
DEP = re.compile(r"<dependency>.*?</dependency>", re.S)


def main(repo, artifact):
    swapped = []
    for root, _, files in os.walk(repo):
        for name in files:
            if not name.endswith(".pom"):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()

            def swap(m):
                dep = m.group(0)
                if (re.search(r"<groupId>\s*%s\s*</groupId>" % re.escape(GROUP), dep)
                        and re.search(r"<artifactId>\s*onnxruntime_gpu\s*</artifactId>", dep)):
                    version = re.search(r"<version>\s*([^<\s]+)\s*</version>", dep).group(1)
                    swapped.append((os.path.relpath(path, repo), version))
                    return re.sub(r"<artifactId>\s*onnxruntime_gpu\s*</artifactId>",
                                  "<artifactId>%s</artifactId>" % artifact, dep)
                return dep
            new = DEP.sub(swap, text)
            if new != text:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new)
    for pom, version in swapped:
        jar = os.path.join(repo, *GROUP.split("."), artifact, version,
                           "%s-%s.jar" % (artifact, version))
        if not os.path.isfile(jar):
            sys.exit("swap_onnxruntime: %s depends on onnxruntime_gpu %s, but %s is not in the "
                     "repository" % (pom, version, os.path.relpath(jar, repo)))
        print("swap_onnxruntime: %s: onnxruntime_gpu %s -> %s %s" % (pom, version, artifact, version))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
