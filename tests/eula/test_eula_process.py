#!/usr/bin/env python3
"""Process tests of mmlspark-eula: the built binary on a free loopback port, driven over TCP.

Usage: EULA_BIN=/path/to/mmlspark-eula python3 test_eula_process.py [-v] [EulaProcess.test_name]
Python 3 standard library only. Every wait is bounded.
"""
import errno
import http.client
import os
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testlib"))
from busyconn import open_busy  # noqa: E402

BIN = os.environ.get("EULA_BIN", "")
EULA_TEXT = ("Test terms <b>not bold</b> & \"quoted\" 'single'\n"
             "</div><script>alert('x')</script>\n"
             "Second paragraph: caf\u00e9 costs < $5.\n")
ESCAPED = ("Test terms &lt;b&gt;not bold&lt;/b&gt; &amp; &quot;quoted&quot; &#39;single&#39;\n"
           "&lt;/div&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class Server:
    """One mmlspark-eula process; stopped (SIGKILL if need be) by close()."""

    def __init__(self, tmp, extra_args=(), listen="127.0.0.1", env_extra=None, nofile=None):
        self.port = free_port()
        self.host = listen if listen else "127.0.0.1"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("MMLSPARK_") and k not in ("ACCEPT_EULA", "NB_USER")}
        env.update(env_extra or {})
        args = [BIN, "--config", tmp.config, "--port", str(self.port), "--eula-file", tmp.eula]
        if listen:
            args += ["--listen", listen]
        limit = None
        if nofile:  # soft and hard: the page cannot raise it (a lower limit than the image's)
            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.proc = subprocess.Popen(args + list(extra_args), env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=limit)
        self.out = b""

    def wait_ready(self, timeout=10):
        ok = wait_until(lambda: self.proc.poll() is not None or self.healthy(), timeout, 0.05)
        if not ok or self.proc.poll() is not None:
            self.close()
            raise AssertionError("server did not start: " + self.stderr())
        return self

    def conn(self, timeout=5):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=5):
        c = self.conn(timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def healthy(self):
        try:
            return self.request("GET", "/healthz", timeout=1)[0] == 200
        except OSError:
            return False

    def nonce(self):
        status, _, body = self.request("GET", "/")
        assert status == 200
        m = re.search(rb'name="nonce" value="([0-9a-f]{64})"', body)
        assert m, "no nonce in the page"
        return m.group(1).decode()

    def post(self, path, body, ctype="application/x-www-form-urlencoded"):
        return self.request("POST", path, body=body, headers={"Content-Type": ctype})

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stderr(self):
        if self.proc.poll() is None:
            return "(still running)"
        if self.proc.stderr and not self.proc.stderr.closed:
            self.out += self.proc.stderr.read()
            self.proc.stderr.close()
        return self.out.decode(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.stderr()
        if self.proc.stdout:
            self.proc.stdout.close()


class Files:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="eula-test-")
        os.chmod(self.dir.name, 0o755)  # readable after the drop to nobody when run as root
        self.eula = os.path.join(self.dir.name, "EULA.txt")
        with open(self.eula, "w", encoding="utf-8") as f:
            f.write(EULA_TEXT)
        self.config = os.path.join(self.dir.name, "mmlspark.conf")
        with open(self.config, "w") as f:
            f.write("# empty: compiled defaults\n")
        for p in (self.eula, self.config):
            os.chmod(p, 0o644)


class ServerCase(unittest.TestCase):
    """Fresh files per test; every server started is closed afterwards (also test_eula_origin)."""

    def setUp(self):
        self.assertTrue(BIN and os.access(BIN, os.X_OK), "set EULA_BIN to the built binary")
        self.files = Files()
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.close()
        self.files.dir.cleanup()


class EulaProcess(ServerCase):
    def start(self, *args, **kw):
        s = Server(self.files, args, **kw)
        self.servers.append(s)
        return s.wait_ready()

    def run_bin(self, args, env_extra=None, timeout=10):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MMLSPARK_")}
        env.update(env_extra or {})
        return subprocess.run([BIN] + args, env=env, capture_output=True, timeout=timeout)

    def assert_still_serving(self, s):
        status, _, body = s.request("GET", "/healthz", timeout=2)
        self.assertEqual(status, 200)
        self.assertEqual(body, b"eula-pending\n")
        self.assertIsNone(s.proc.poll())

    # --- the page ---------------------------------------------------------------------------
    def test_get_page_contains_escaped_eula_text(self):
        s = self.start()
        status, headers, body = s.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        text = body.decode("utf-8")
        self.assertIn(ESCAPED, text)
        self.assertIn("caf\u00e9 costs &lt; $5.", text)
        self.assertNotIn("<script>alert", text)
        self.assertIn('name="viewport"', text)
        self.assertEqual(len(re.findall(r'<form method="post"', text)), 2)
        self.assertIn("frame-ancestors 'none'", headers["Content-Security-Policy"])

    def test_head_page_sends_headers_without_body(self):
        s = self.start()
        status, headers, body = s.request("HEAD", "/")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")
        self.assertGreater(int(headers["Content-Length"]), 1000)

    def test_healthz_reports_eula_pending(self):
        s = self.start()
        self.assert_still_serving(s)

    def test_unknown_path_is_404(self):
        s = self.start()
        self.assertEqual(s.request("GET", "/api")[0], 404)
        self.assertEqual(s.request("GET", "/exit-accept")[0], 404)
        self.assertEqual(s.request("GET", "/../etc/passwd")[0], 404)

    def test_wrong_method_is_405_with_allow_header(self):
        s = self.start()
        status, headers, _ = s.request("POST", "/", body=b"x")
        self.assertEqual((status, headers.get("Allow")), (405, "GET, HEAD"))
        status, headers, _ = s.request("GET", "/accept")
        self.assertEqual((status, headers.get("Allow")), (405, "POST"))
        status, headers, _ = s.request("DELETE", "/decline")
        self.assertEqual((status, headers.get("Allow")), (405, "POST"))
        self.assert_still_serving(s)

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        s = self.start()
        c = s.conn()
        try:
            for path in ("/", "/healthz", "/nope", "/"):
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                self.assertNotEqual(r.getheader("Connection"), "close")
            peer = c.sock.getsockname()
            c.request("GET", "/healthz")
            c.getresponse().read()
            self.assertEqual(c.sock.getsockname(), peer)  # same TCP connection
        finally:
            c.close()

    # --- the choice -------------------------------------------------------------------------
    def test_accept_with_wrong_nonce_is_403_and_server_stays_up(self):
        s = self.start()
        good = s.nonce()
        bad = ("0" if good[0] != "0" else "1") + good[1:]
        for body in ("nonce=" + bad, "nonce=" + good[:-1], "nonce=" + good + "0",
                     "nonce=" + good.upper()):
            self.assertEqual(s.post("/accept", body)[0], 403, body)
        self.assertEqual(s.post("/decline", "nonce=" + bad)[0], 403)
        self.assert_still_serving(s)

    def test_accept_with_missing_nonce_is_403_and_server_stays_up(self):
        s = self.start()
        good = s.nonce()
        for body in ("", "choice=accept", "nonce=", "nonce=%zz", "nonce=%s&nonce=%s" % (good, good)):
            self.assertEqual(s.post("/accept", body)[0], 403, body)
        self.assert_still_serving(s)

    def test_accept_with_other_encoding_is_415(self):
        s = self.start()
        good = s.nonce()
        self.assertEqual(s.post("/accept", "nonce=" + good, ctype="text/plain")[0], 415)
        self.assert_still_serving(s)

    def test_oversized_form_body_is_413_and_server_stays_up(self):
        s = self.start()
        good = s.nonce()
        body = "nonce=" + good + "&pad=" + "x" * 5000
        self.assertEqual(s.post("/accept", body)[0], 413)
        # the same without Content-Length (chunked): read, refused at the end
        c = s.conn()
        try:
            c.putrequest("POST", "/accept")
            c.putheader("Content-Type", "application/x-www-form-urlencoded")
            c.putheader("Transfer-Encoding", "chunked")
            c.endheaders()
            chunk = body.encode()
            c.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk))
            self.assertEqual(c.getresponse().status, 413)
        finally:
            c.close()
        self.assert_still_serving(s)

    def test_accept_with_right_nonce_exits_0_and_frees_the_port(self):
        s = self.start()
        status, headers, body = s.post("/accept", "nonce=" + s.nonce())
        self.assertEqual(status, 200)
        self.assertIn(b"Jupyter is starting", body)
        self.assertIn(b"fetch('/api'", body)
        self.assertIn(b'content="5;url=/"', body)
        self.assertIn(b"docker logs", body)
        self.assertEqual(s.wait_exit(5), 0, s.stderr())
        # Jupyter (tornado) binds with SO_REUSEADDR right after us: that must work now.
        for family, addr in ((socket.AF_INET, "127.0.0.1"),):
            with socket.socket(family) as b:
                b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                b.bind((addr, s.port))
                b.listen()
        err = s.stderr()
        self.assertIn("accepted", err)
        self.assertIn("http://localhost:%d/" % s.port, err)

    def test_decline_with_right_nonce_exits_3(self):
        s = self.start()
        status, _, body = s.post("/decline", "nonce=" + s.nonce())
        self.assertEqual(status, 200)
        self.assertIn(b"ACCEPT_EULA=yes", body)
        self.assertEqual(s.wait_exit(5), 3, s.stderr())
        self.assertIn("declined", s.stderr())

    def test_only_the_first_of_two_racing_choices_counts(self):
        s = self.start()
        body = ("nonce=" + s.nonce()).encode()

        def post(path):
            return (b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n\r\n%s"
                    % (path, len(body), body))

        socks = {name: socket.create_connection(("127.0.0.1", s.port), timeout=5)
                 for name in ("accept", "decline")}  # both connected before either is sent
        got = {}
        try:
            for name, sock in socks.items():
                try:
                    sock.sendall(post(b"/" + name.encode()))
                except OSError:
                    pass  # the server may already have gone after the other reply
            for name, sock in socks.items():
                try:
                    m = re.match(rb"HTTP/1\.1 (\d+)", sock.recv(65536))
                    got[name] = int(m.group(1)) if m else None
                except OSError:
                    got[name] = None
        finally:
            for sock in socks.values():
                sock.close()
        code = s.wait_exit(5)
        self.assertIn(code, (0, 3), s.stderr())
        winner, loser = ("accept", "decline") if code == 0 else ("decline", "accept")
        self.assertEqual(got[winner], 200, got)
        self.assertIn(got[loser], (409, None), got)

    # --- robustness -------------------------------------------------------------------------
    def test_1000_idle_connections_do_not_block_a_real_client(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 1200:
            if hard != resource.RLIM_INFINITY and hard < 1200:
                self.skipTest("RLIMIT_NOFILE hard limit %d is below 1200" % hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(1200, min(4096, hard)), hard))
        s = self.start()
        idle = []
        try:
            for _ in range(1000):
                idle.append(socket.create_connection(("127.0.0.1", s.port), timeout=5))
            t0 = time.monotonic()
            status, _, body = s.request("GET", "/", timeout=3)
            self.assertEqual(status, 200)
            self.assertIn(ESCAPED.encode(), body)
            self.assertLess(time.monotonic() - t0, 2.0)
            # the idle ones were accepted and are still open (no reset, no EOF)
            still_open = 0
            for sock in idle:
                sock.setblocking(False)
                try:
                    sock.recv(1)  # b"" (closed) or data: not idle any more
                except BlockingIOError:
                    still_open += 1
            self.assertEqual(still_open, 1000)
            self.assert_still_serving(s)
        finally:
            for sock in idle:
                sock.close()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    def test_10000_idle_connections_from_one_address_do_not_lock_out_a_browser(self):
        # Behind Docker's port proxy every client has one address: a stuck tab or a port
        # scanner holding 10 000 sockets must not keep a new browser out, nor grow the page.
        n = 10000
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = n + 256
        try:
            if soft < want:
                resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
        except (ValueError, OSError) as e:
            self.fail(f"this test needs {want} open files (RLIMIT_NOFILE {soft}/{hard}): {e}")
        s = self.start()
        idle = []
        try:
            for _ in range(n):
                idle.append(socket.create_connection(("127.0.0.1", s.port), timeout=5))
            for i in range(20):
                t0 = time.monotonic()
                status, _, body = s.request("GET", "/", timeout=2)
                took = time.monotonic() - t0
                self.assertEqual(status, 200, f"GET {i}")
                self.assertIn(ESCAPED.encode(), body)
                self.assertLess(took, 2.0, f"GET {i} took {took:.2f} s")
            open_fds = len(os.listdir(f"/proc/{s.proc.pid}/fd"))
            self.assertLessEqual(open_fds, 4096 + 64, "open connections stay bounded")
            with open(f"/proc/{s.proc.pid}/status") as f:
                rss_kb = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
            self.assertLess(rss_kb, 256 * 1024, "memory stays bounded (kB, ASan build included)")
            self.assert_still_serving(s)
        finally:
            for sock in idle:
                sock.close()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    def raw_exchange(self, s, data, shut=True, timeout=3):
        """Sends data, optionally half-closes, returns what came back before EOF, timeout, or
        0.3 s of silence after a reply started (libmicrohttpd keeps an answered half-closed
        keep-alive connection open until its idle timeout)."""
        with socket.create_connection(("127.0.0.1", s.port), timeout=timeout) as c:
            try:
                c.sendall(data)
                if shut:
                    c.shutdown(socket.SHUT_WR)
            except OSError:
                return b""  # dropped while we were sending: allowed
            got = b""
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                wait = max(0.0, end - time.monotonic())
                r, _, _ = select.select([c], [], [], min(wait, 0.3) if got else wait)
                if not r:
                    break
                try:
                    chunk = c.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                got += chunk
            return got

    def test_garbage_request_line_is_answered_or_dropped_and_server_keeps_serving(self):
        s = self.start()
        for junk in (b"\x00\xff\xfe garbage\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                     b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                     b"GET /\x00 HTTP/1.1\r\n\r\n", b"\r\n" * 1000, os.urandom(4096)):
            reply = self.raw_exchange(s, junk)
            self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1."), reply[:80])
            if reply:
                self.assertFalse(reply.startswith(b"HTTP/1.1 200"), (junk[:40], reply[:80]))
        self.assert_still_serving(s)

    def test_unknown_transfer_encoding_is_400_and_closed(self):
        s = self.start()
        for path in (b"/accept", b"/"):
            t0 = time.monotonic()
            reply = self.raw_exchange(s, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n"
                                      b"Transfer-Encoding: gzip\r\n\r\nabc", shut=False)
            self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:80])
            self.assertLess(time.monotonic() - t0, 2.0)
        self.assert_still_serving(s)

    def test_100kb_header_is_refused_and_server_keeps_serving(self):
        s = self.start()
        req = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100 * 1024 + b"\r\n\r\n"
        reply = self.raw_exchange(s, req)
        self.assertTrue(reply == b"" or re.match(rb"HTTP/1\.1 4\d\d", reply), reply[:80])
        req = b"GET /" + b"a" * 100 * 1024 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        reply = self.raw_exchange(s, req)
        self.assertTrue(reply == b"" or re.match(rb"HTTP/1\.1 4\d\d", reply), reply[:80])
        self.assert_still_serving(s)

    def test_slowloris_partial_request_does_not_block_others(self):
        s = self.start()
        slow = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(20)]
        try:
            for c in slow:
                c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            for i in range(10):  # 2 s of one header byte at a time, while others are served
                for c in slow:
                    c.sendall(b"X" if i else b"X-Slow: ")
                t0 = time.monotonic()
                self.assertEqual(s.request("GET", "/healthz", timeout=2)[0], 200)
                self.assertLess(time.monotonic() - t0, 1.0)
                time.sleep(0.2)
        finally:
            for c in slow:
                c.close()
        self.assert_still_serving(s)

    def test_half_closed_socket_is_answered_or_dropped(self):
        s = self.start()
        reply = self.raw_exchange(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1.1 200"), reply[:80])
        reply = self.raw_exchange(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1.1 4"), reply[:80])
        reply = self.raw_exchange(s, b"POST /accept HTTP/1.1\r\nHost: x\r\nContent-Length: 70\r\n"
                                  b"Content-Type: application/x-www-form-urlencoded\r\n\r\nnonce=")
        self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1.1 4"), reply[:80])
        self.assert_still_serving(s)

    # --- the whole-request deadline (10 s) and bodies where none belongs ----------------------
    DEADLINE = 10

    def test_a_body_on_a_get_is_refused_at_once_and_closed(self):
        s = self.start()
        for extra in (b"Content-Length: 5\r\n", b"Content-Length: 999999999\r\n",
                      b"Transfer-Encoding: chunked\r\n"):
            t0 = time.monotonic()
            reply = self.raw_exchange(s, b"GET / HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n",
                                      shut=False)
            self.assertTrue(reply.startswith(b"HTTP/1.1 400"), (extra, reply[:80]))
            self.assertLess(time.monotonic() - t0, 2.0)
        reply = self.raw_exchange(s, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:80])
        self.assert_still_serving(s)

    def test_a_body_trickled_a_byte_a_second_is_closed_at_the_deadline(self):
        s = self.start()
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
            c.sendall(b"POST /accept HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
            t0 = time.monotonic()
            closed = False
            while time.monotonic() - t0 < self.DEADLINE + 5 and not closed:
                try:
                    c.sendall(b"n")
                    r, _, _ = select.select([c], [], [], 1.0)
                    closed = bool(r) and c.recv(4096) == b""
                except OSError:
                    closed = True
            took = time.monotonic() - t0
        self.assertTrue(closed, "a trickled body is not served for ever")
        self.assertGreater(took, self.DEADLINE - 1.5)
        self.assert_still_serving(s)

    def test_a_flood_of_busy_trickling_connections_does_not_lock_out_a_browser(self):
        # ulimit -n 200: 136 connections; 140 busy POSTs announcing 1000 bytes and 10 GETs
        # announcing a huge body trickle a byte a second; a browser gets the page at once (the
        # oldest requests make room), long before the deadline.
        s = self.start(nofile=200)
        busy = []
        stop = [False]
        try:
            for i in range(150):
                head = (b"POST /accept HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" if i < 140 else
                        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
                busy.append(open_busy(("127.0.0.1", s.port), head))

            def trickle():
                while not stop[0]:
                    for c in busy:
                        try:
                            c.send(b"n")
                        except OSError:
                            pass
                    time.sleep(1.0)
            import threading
            t = threading.Thread(target=trickle, daemon=True)
            t.start()
            t0 = time.monotonic()
            status, _, body = s.request("GET", "/", timeout=self.DEADLINE + 8)
            took = time.monotonic() - t0
            self.assertEqual(status, 200)
            self.assertIn(ESCAPED.encode(), body)
            self.assertLess(took, self.DEADLINE / 2, f"the browser waited {took:.1f} s")
            stop[0] = True
            t.join(3)
        finally:
            stop[0] = True
            for c in busy:
                c.close()
        self.assert_still_serving(s)

    # --- signals and exit codes ---------------------------------------------------------------
    def test_sigterm_exits_within_1s_with_143(self):
        s = self.start()
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        self.assertEqual(s.wait_exit(1.0), 143, s.stderr())
        self.assertLess(time.monotonic() - t0, 1.0)

    def test_sigint_exits_within_1s_with_130(self):
        s = self.start()
        idle = socket.create_connection(("127.0.0.1", s.port), timeout=5)  # an open connection
        try:
            s.proc.send_signal(signal.SIGINT)
            self.assertEqual(s.wait_exit(1.0), 130, s.stderr())
        finally:
            idle.close()

    def test_port_in_use_exits_1_naming_the_port(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            r = self.run_bin(["--config", self.files.config, "--eula-file", self.files.eula,
                              "--listen", "127.0.0.1", "--port", str(port)])
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stderr.decode().strip().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("port %d is already in use" % port, lines[0])

    def test_bad_config_file_exits_78_with_one_line(self):
        with open(self.files.config, "w") as f:
            f.write("port = \"99999\"\n")
        r = self.run_bin(["--config", self.files.config])
        self.assertEqual(r.returncode, 78, r.stderr)
        lines = r.stderr.decode().strip().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("mmlspark.conf", lines[0])

    def test_bad_port_in_environment_exits_64_with_one_line(self):
        r = self.run_bin(["--config", self.files.config],
                         env_extra={"MMLSPARK_JUPYTER_PORT": "70000"})
        self.assertEqual(r.returncode, 64, r.stderr)
        lines = r.stderr.decode().strip().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("MMLSPARK_JUPYTER_PORT", lines[0])

    def test_bad_arguments_exit_64(self):
        for args in (["--bogus"], ["--port"], ["--port", "abc"], ["--eula-file", "relative.txt"],
                     ["extra"], ["--listen", "not-an-ip", "--config", self.files.config]):
            r = self.run_bin(args)
            expect = 1 if args[0] == "--listen" else 64
            self.assertEqual(r.returncode, expect, (args, r.stderr))

    def test_help_and_version_exit_0(self):
        r = self.run_bin(["--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"--eula-file", r.stdout)
        r = self.run_bin(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith(b"mmlspark-eula "))

    def test_missing_eula_file_exits_1_naming_it(self):
        missing = os.path.join(self.files.dir.name, "nope.txt")
        port = free_port()
        r = self.run_bin(["--config", self.files.config, "--eula-file", missing, "--listen",
                          "127.0.0.1", "--port", str(port)])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(missing.encode(), r.stderr)

    def test_port_from_environment_is_used(self):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MMLSPARK_")}
        env["MMLSPARK_JUPYTER_PORT"] = str(port)
        env["MMLSPARK_EULA_FILE"] = self.files.eula
        p = subprocess.Popen([BIN, "--config", self.files.config, "--listen", "127.0.0.1"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            def up():
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    c.request("GET", "/healthz")
                    return c.getresponse().status == 200
                except OSError:
                    return False
            self.assertTrue(wait_until(up, 10, 0.05))
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(5), 143)
            p.stderr.close()

    def test_listens_on_ipv4_and_ipv6_by_default(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6")
        try:
            with socket.socket(socket.AF_INET6) as t:
                t.bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback here")
        s = Server(self.files, (), listen=None)
        self.servers.append(s)
        s.wait_ready()
        for host in ("127.0.0.1", "::1"):
            c = http.client.HTTPConnection(host, s.port, timeout=3)
            c.request("GET", "/healthz")
            self.assertEqual(c.getresponse().status, 200, host)
            c.close()

    def test_started_as_root_serves_as_unprivileged_user(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        s = self.start()
        with open("/proc/%d/status" % s.proc.pid) as f:
            status = f.read()
        uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", status, re.M).groups()
        self.assertNotIn("0", uids, status)
        groups = re.search(r"^Groups:\s*(.*)$", status, re.M).group(1).split()
        self.assertNotIn("0", groups)
        capeff = re.search(r"^CapEff:\s+([0-9a-f]+)", status, re.M).group(1)
        self.assertEqual(int(capeff, 16), 0)


if __name__ == "__main__":
    unittest.main()
