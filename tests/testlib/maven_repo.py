"""maven_repo - a tiny Maven-layout repository holding org.example:hello:1.0, built with the
host's javac/jar, for the tests that load a package with --packages / spark.jars.packages.

The jar has one class, org.example.Hello, with `static String greet(String who)` returning
"hello from the jar, " + who.
"""
import os
import shutil
import subprocess

COORDINATE = "org.example:hello:1.0"

_SOURCE = ("package org.example;\n"
           "public class Hello {\n"
           "  public static String greet(String who) { return \"hello from the jar, \" + who; }\n"
           "}\n")
_POM = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        '  <modelVersion>4.0.0</modelVersion>\n'
        '  <groupId>org.example</groupId><artifactId>hello</artifactId>'
        '<version>1.0</version>\n  <packaging>jar</packaging>\n</project>\n')


def missing_tools():
    """The JDK tools the build needs that are not on PATH."""
    return [tool for tool in ("javac", "jar") if not shutil.which(tool)]


def _run(args):
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (args[0], r.stdout + r.stderr))


def build_hello_repo(repo, work):
    """Writes org.example:hello:1.0 (jar + pom) into the directory repo; work is scratch space.
    Raises RuntimeError when javac or jar fails."""
    os.makedirs(os.path.join(work, "org", "example"), exist_ok=True)
    java = os.path.join(work, "org", "example", "Hello.java")
    with open(java, "w") as f:
        f.write(_SOURCE)
    classes = os.path.join(work, "classes")
    _run(["javac", "--release", "11", "-d", classes, java])
    art = os.path.join(repo, "org", "example", "hello", "1.0")
    os.makedirs(art, exist_ok=True)
    _run(["jar", "cf", os.path.join(art, "hello-1.0.jar"), "-C", classes, "."])
    with open(os.path.join(art, "hello-1.0.pom"), "w") as f:
        f.write(_POM)
    for root, _dirs, _files in os.walk(repo):
        os.chmod(root, 0o755)  # containers read it as another uid
    return repo
