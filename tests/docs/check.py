#!/usr/bin/env python3
"""tests/docs/check.py - the documentation cannot drift from the code (docs/tests.md).

Fails (exit 1, one line per problem, then a summary line) when:
  1. links: a relative link or #anchor in README.md or docs/*.md points to a missing file or to
     a heading that does not exist (GitHub's anchor rules);
  2. reference: an environment variable the code reads, or a key of the config file, is not
     named in docs/reference.md. Names come from the C sources (getenv / secure_getenv /
     env_get with a string literal, and the settings table of lib/config.c), the shell the image
     sources (image/spark/spark-env.sh, image/profile.d/*.sh), image/healthcheck and the
     notebook kernel (image/kernel/mmlspark_kernel.py);
  3. exit codes: a code of lib/exitcodes.h is not in a table row of docs/reference.md;
  4. troubleshooting: an error or warning line the programs print (log_error / log_warn and the
     `err` messages of the C sources; the `echo "mmlspark: ..." >&2` lines of the image's
     scripts) is not quoted in docs/troubleshooting.md. A line is matched by its longest
     constant part (the text between printf conversions), when that part is 12 characters or
     more.

Python 3 standard library only; no Docker; runs in well under a second.
Usage: python3 tests/docs/check.py   (from anywhere; paths are relative to the repository)
"""
import glob
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Environment variables the code reads that docs/reference.md need not name: not user-facing.
# Every entry: NAME -> the one-line reason.
ALLOW_ENV = {
    "HOME": "standard POSIX variable; how the image picks a writable one is in docs/teams.md",
    "PATH": "standard POSIX variable",
    "USER": "standard POSIX variable (init sets it, and LOGNAME, to the uid's name when unset)",
    "PWD": "standard POSIX variable (the directory Spark starts in)",
    "MMLSPARK_CONNECT_KEYSTORE_PASSWORD": "internal: mmlspark-role hands connect_tls.py and the "
                                          "Connect server's TLS side a password made for one start",
    "TMPDIR": "standard POSIX variable (where scratch files go)",
    "MMLSPARK_CONNECT_KEYSTORE": "internal: mmlspark-role tells the Connect server's TLS side the "
                                 "key store it made for one start",
}

# Pages a link may name before they exist: another change writes them. Every entry: the reason.
# A listed page that exists is checked like any other (anchors into it too).
PENDING_PAGES = {
    # "docs/NAME.md": "why it may be missing for now",
}

# Error/warning lines that need no entry in docs/troubleshooting.md. Every entry: the reason.
ALLOW_MESSAGES = {
    "MMLSPARK_CONNECT_KEYSTORE_PASSWORD is not set": "internal: mmlspark-role always sets it",
    "usage: mmlspark-role connect|history": "internal: mmlspark-init always names the role",
}

problems = []


def problem(text):
    problems.append(text)


def read(rel):
    with open(os.path.join(TOP, rel), encoding="utf-8") as f:
        return f.read()


def page_text(relpath):
    """The text of a docs page, or "" (and a problem) when it is missing."""
    try:
        return read(relpath)
    except FileNotFoundError:
        problem("%s: missing" % relpath)
        return ""


def rel(path):
    return os.path.relpath(path, TOP)


# --- 1. links and anchors -------------------------------------------------------------------

def strip_code(text, inline=True):
    """The text with fenced blocks blanked (line numbers kept) and inline code removed (unless
    INLINE is false)."""
    out, fence = [], None
    for line in text.split("\n"):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            out.append("")
            continue
        if m:
            fence = m.group(1)
            out.append("")
            continue
        out.append(re.sub(r"(`+)(?:(?!\1).)+?\1", "", line) if inline else line)
    return out


def anchor(heading):
    """GitHub's anchor of a heading: markup gone, lower case, punctuation removed, spaces to -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links: their text
    text = text.replace("`", "").replace("*", "")
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w keeps letters, digits and _ (Unicode too)
    return text.replace(" ", "-")


_anchors = {}


def anchors_of(path):
    if path not in _anchors:
        seen, result = {}, set()
        for line in strip_code(open(path, encoding="utf-8").read(), inline=False):
            m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            a = anchor(m.group(2))
            n = seen.get(a, 0)
            seen[a] = n + 1
            result.add(a if n == 0 else "%s-%d" % (a, n))
        for m in re.finditer(r'<a\s+(?:name|id)="([^"]+)"', open(path, encoding="utf-8").read()):
            result.add(m.group(1))
        _anchors[path] = result
    return _anchors[path]


def check_links():
    pages = [os.path.join(TOP, "README.md")] + sorted(glob.glob(os.path.join(TOP, "docs", "*.md")))
    link = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
    checked = 0
    for page in pages:
        for n, line in enumerate(strip_code(open(page, encoding="utf-8").read()), 1):
            for m in link.finditer(line):
                target = m.group(1)
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:
                    continue
                checked += 1
                path, _, frag = target.partition("#")
                where = "%s:%d: link %s" % (rel(page), n, target)
                dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
                if not os.path.exists(dest):
                    if rel(dest) in PENDING_PAGES and not frag:
                        continue
                    problem("%s: no such file %s" % (where, rel(dest)))
                    continue
                if frag and dest.endswith(".md") and frag not in anchors_of(dest):
                    problem("%s: %s has no heading with the anchor #%s" % (where, rel(dest), frag))
    return checked


# --- 2. environment variables and config keys in docs/reference.md -----------------------------

def c_sources():
    files = []
    for d in ("init", "eula", "spark-env", "lib", "nss"):
        files += sorted(glob.glob(os.path.join(TOP, d, "*.c")) + glob.glob(os.path.join(TOP, d, "*.h")))
    return files


def env_names():
    """{NAME: 'where it is read'} for every variable the code reads."""
    names = {}

    def add(name, where):
        names.setdefault(name, where)

    call = re.compile(r"\b(?:secure_getenv|getenv|env_get)\s*\(\s*(?:[\w>.-]+\s*,\s*)?\"([A-Za-z_]\w*)\"")
    for f in c_sources():
        for m in call.finditer(open(f, encoding="utf-8").read()):
            add(m.group(1), rel(f))
    # lib/config.c's settings table: {"key", "ENV_NAME", "default", check, "expected"}
    for m in re.finditer(r"\[SET_\w+\]\s*=\s*\{\s*(?:\"[a-z0-9_]+\"|NULL)\s*,\s*\"([A-Z_]\w*)\"", read("lib/config.c")):
        add(m.group(1), "lib/config.c")
    shell = ["image/spark/spark-env.sh", "image/connect/mmlspark-role", "image/submit/spark-submit"] + sorted(
        rel(p) for p in glob.glob(os.path.join(TOP, "image/profile.d/*.sh")))
    for f in shell:
        text = "\n".join(l for l in read(f).split("\n") if not l.lstrip().startswith("#"))
        for m in re.finditer(r"\$\{?([A-Z_][A-Z0-9_]*|[a-z]+_proxy)\b", text):
            add(m.group(1), f)
    for f in ("image/healthcheck", "image/kernel/mmlspark_kernel.py", "image/connect/connect_tls.py",
              "image/jupyter-config/jupyter_server_config.py"):
        text = read(f)
        for m in re.finditer(r"(?:os\.environ\.get|os\.getenv|\benv\.get|\benv)\(\s*\"([A-Za-z_]\w*)\"", text):
            add(m.group(1), f)
        for m in re.finditer(r"os\.environ\[\s*\"([A-Za-z_]\w*)\"\s*\]", text):
            add(m.group(1), f)
    return names


def config_keys():
    return re.findall(r"\[SET_\w+\]\s*=\s*\{\s*\"([a-z0-9_]+)\"\s*,", read("lib/config.c"))


def code_words(text):
    """Every word inside a `code span` of TEXT (fenced blocks excluded)."""
    words = set()
    for line in text.split("\n"):
        for span in re.findall(r"`([^`]+)`", line):
            words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", span))
    return words


def check_reference():
    ref = page_text("docs/reference.md")
    words = code_words(ref)
    names = env_names()
    for name, where in sorted(names.items()):
        if name in ALLOW_ENV:
            continue
        if name not in words:
            problem("docs/reference.md: environment variable %s (read in %s) is not documented" % (name, where))
    for name in sorted(ALLOW_ENV):
        if name not in names:
            problem("tests/docs/check.py: allow-list entry %s: no code reads it any more" % name)
    keys = config_keys()
    for key in keys:
        if key not in words:
            problem("docs/reference.md: config key %s (lib/config.c) is not documented" % key)
    return len(names), len(keys)


# --- 3. exit codes --------------------------------------------------------------------------

def check_exit_codes():
    codes = re.findall(r"\b(EXIT_\w+)\s*=\s*(\d+)", read("lib/exitcodes.h"))
    documented = set()
    for line in page_text("docs/reference.md").split("\n"):
        if line.startswith("|"):
            first = line.strip("|").split("|")[0]
            documented.update(re.findall(r"\b\d+\b", first))
    for name, value in codes:
        if value not in documented:
            problem("docs/reference.md: exit code %s (%s, lib/exitcodes.h) is in no table row" % (value, name))
    return len(codes)


# --- 4. error lines in docs/troubleshooting.md ----------------------------------------------

def c_messages():
    """(file, line, format) of every log_error / log_warn and err-buffer message."""
    out = []
    start = re.compile(r"\b(?:log_error|log_warn)\s*\(|\bsnprintf\s*\(\s*(?:err|parse_err|why)\s*,[^,]*,|\bcfg_error\s*\(\s*cfg\s*,")
    for f in c_sources():
        src = open(f, encoding="utf-8").read()
        for m in start.finditer(src):
            rest = src[m.end():]
            lit = re.match(r"\s*((?:\"(?:[^\"\\]|\\.)*\"\s*)+)", rest)
            if not lit:
                continue
            fmt = "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", lit.group(1)))
            fmt = fmt.replace('\\"', '"').replace("\\\\", "\\")
            out.append((rel(f), src.count("\n", 0, m.start()) + 1, fmt))
    return out


def script_messages():
    out = []
    files = ["image/spark/spark-env.sh", "image/identity"] + sorted(
        rel(p) for p in glob.glob(os.path.join(TOP, "image/profile.d/*.sh")))
    for f in files:
        for n, line in enumerate(read(f).split("\n"), 1):
            m = re.search(r"echo \"(mmlspark: [^\"]*)\" >&2", line)
            if m:
                out.append((f, n, re.sub(r"\$\{?[A-Za-z_][^ '\"]*", "%s", m.group(1))))
    # the roles' script: die "MESSAGE" (printed as "mmlspark-role: MESSAGE"), and its TLS helper:
    # fail(CODE, "MESSAGE" ...)
    for f, pattern in (("image/connect/mmlspark-role", r"\bdie \"([^\"]*)\""),
                       ("image/connect/connect_tls.py", r"\bfail\(\d+,\s*\"((?:[^\"\\]|\\.)*)\"")):
        for n, line in enumerate(read(f).split("\n"), 1):
            m = re.search(pattern, line)
            if m and m.group(1) != "usage: connect_tls.py KEYSTORE CERT_OUT":
                out.append((f, n, re.sub(r"\$\{?[A-Za-z_!][^ '\"]*|%[sd]", "%s", m.group(1))))
    return out


def key_part(fmt):
    parts = re.split(r"%[-+ #0-9.*]*(?:hh|h|ll|l|z|j|t)?[a-zA-Z]", fmt)
    return max(parts, key=len).strip()


def norm(text):
    return re.sub(r"\s+", " ", text)


def check_troubleshooting():
    page = norm(page_text("docs/troubleshooting.md"))
    msgs = c_messages() + script_messages()
    n = 0
    for f, line, fmt in msgs:
        part = key_part(fmt)
        if len(part) < 12 or part in ALLOW_MESSAGES:
            continue
        n += 1
        if norm(part) not in page:
            problem("docs/troubleshooting.md: %s:%d prints \"%s\", which is not there" % (f, line, part))
    return n


def main():
    links = check_links()
    nenv, nkeys = check_reference()
    ncodes = check_exit_codes()
    nmsg = check_troubleshooting()
    for p in problems:
        print(p)
    print("docs check: %d problem(s); %d relative links, %d environment variables, %d config keys, "
          "%d exit codes, %d error lines checked" % (len(problems), links, nenv, nkeys, ncodes, nmsg))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
