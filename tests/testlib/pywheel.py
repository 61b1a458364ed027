"""pywheel - a minimal pure-Python wheel, written with the standard library (zipfile), for the
tests that `pip install` a local wheel offline."""
import base64
import hashlib
import os
import zipfile

GREETING = "hello from a wheel the user installed"


def wheel(directory, name, version="1.0"):
    """Writes NAME-VERSION-py3-none-any.whl into directory: module NAME with hello() returning
    GREETING. Returns the wheel's path."""
    dist = "%s-%s.dist-info" % (name, version)
    files = {
        "%s.py" % name: "def hello():\n    return %r\n" % GREETING,
        dist + "/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version),
        dist + "/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append("%s,sha256=%s,%d" % (path, digest.decode(), len(text.encode())))
    record.append(dist + "/RECORD,,")
    out = os.path.join(directory, "%s-%s-py3-none-any.whl" % (name, version))
    with zipfile.ZipFile(out, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
        z.writestr(dist + "/RECORD", "\n".join(record) + "\n")
    os.chmod(out, 0o644)
    return out
