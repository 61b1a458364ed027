#!/usr/bin/env python3
"""connect_tls.py - the TLS key of a start of SPARK_MODE=connect (mmlspark-role runs it).

Usage: connect_tls.py KEYSTORE CERT_OUT
  With SPARK_CONNECT_TLS_CERT and SPARK_CONNECT_TLS_KEY (PEM files: the certificate, its chain
  after it, and its unencrypted private key), those; else a new self-signed certificate (ECDSA
  P-256, 10 years) for this host's names (its host name, its full name, localhost, 127.0.0.1,
  ::1 and each name or address of SPARK_CONNECT_TLS_NAMES, comma separated), made at each start.
  Writes the key and chain to KEYSTORE (PKCS#12, password from MMLSPARK_CONNECT_KEYSTORE_PASSWORD;
  the JVM deletes it once read) and the certificate (PEM) to CERT_OUT, readable by anyone: what
  a client needs to trust this server. Prints the certificate's SHA-256 fingerprint.
Exit: 0; 64 a bad setting (one line on stderr); 73 CERT_OUT cannot be written.
"""
import datetime
import ipaddress
import os
import socket
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


def fail(code, message):
    print("mmlspark-role: %s" % message, file=sys.stderr)
    sys.exit(code)


def san_entries(names):
    out, seen = [], set()
    for name in names:
        name = name.strip()
        if not name or name in seen:
            continue
        seen.add(name)
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            if any(c.isspace() or c in "/:@" for c in name):
                fail(64, "SPARK_CONNECT_TLS_NAMES: '%s' is not a host name or an address" % name)
            out.append(x509.DNSName(name))
    return out


def self_signed():
    host = socket.gethostname()
    names = [host, socket.getfqdn(), "localhost", "127.0.0.1", "::1"]
    names += os.environ.get("SPARK_CONNECT_TLS_NAMES", "").split(",")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64] or "spark-connect")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(san_entries(names)), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    return key, [cert]


def given(cert_path, key_path):
    try:
        with open(cert_path, "rb") as f:
            chain = x509.load_pem_x509_certificates(f.read())
    except (OSError, ValueError) as e:
        fail(64, "SPARK_CONNECT_TLS_CERT=%s: not a readable PEM certificate: %s" % (cert_path, e))
    try:
        with open(key_path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
    except (OSError, ValueError, TypeError) as e:
        fail(64, "SPARK_CONNECT_TLS_KEY=%s: not a readable unencrypted PEM key: %s"
             % (key_path, str(e).splitlines()[0] if str(e) else type(e).__name__))
    if chain[0].public_key().public_numbers() != key.public_key().public_numbers():
        fail(64, "SPARK_CONNECT_TLS_KEY is not the key of SPARK_CONNECT_TLS_CERT's certificate")
    return key, chain


def main():
    if len(sys.argv) != 3:
        fail(64, "usage: connect_tls.py KEYSTORE CERT_OUT")
    keystore, cert_out = sys.argv[1:]
    password = os.environ.get("MMLSPARK_CONNECT_KEYSTORE_PASSWORD", "").encode()
    if not password:
        fail(64, "MMLSPARK_CONNECT_KEYSTORE_PASSWORD is not set")
    cert_path = os.environ.get("SPARK_CONNECT_TLS_CERT", "")
    key_path = os.environ.get("SPARK_CONNECT_TLS_KEY", "")
    if bool(cert_path) != bool(key_path):
        fail(64, "SPARK_CONNECT_TLS_CERT and SPARK_CONNECT_TLS_KEY go together: give both or neither")
    key, chain = given(cert_path, key_path) if cert_path else self_signed()
    blob = pkcs12.serialize_key_and_certificates(
        b"spark-connect", key, chain[0], chain[1:] or None,
        serialization.BestAvailableEncryption(password))
    fd = os.open(keystore, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(blob)
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    try:
        os.makedirs(os.path.dirname(cert_out) or ".", exist_ok=True)
        tmp = cert_out + ".tmp%d" % os.getpid()
        with open(tmp, "wb") as f:
            f.write(pem)
        os.chmod(tmp, 0o644)
        os.replace(tmp, cert_out)
    except OSError as e:
        fail(73, "the server's certificate cannot be written to %s: %s" % (cert_out, e.strerror))
    print(chain[0].fingerprint(hashes.SHA256()).hex(":").upper())


if __name__ == "__main__":
    main()
