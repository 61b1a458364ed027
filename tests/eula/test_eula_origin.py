#!/usr/bin/env python3
"""Process tests of mmlspark-eula's origin check: a form posted from another site is refused
(403, one log line) even with the right nonce; the page's own origin, or none at all, is not.

Usage: EULA_BIN=/path/to/mmlspark-eula python3 test_eula_origin.py [-v] [EulaOrigin.test_name]
Python 3 standard library and curl (the client that sends no Origin).
"""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_eula_process import Server, ServerCase  # noqa: E402

REFUSAL = "posted from another origin"


class EulaOrigin(ServerCase):
    def start(self):
        s = Server(self.files)
        self.servers.append(s)
        return s.wait_ready()

    def post(self, s, path, headers):
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers)
        return s.request("POST", path, body="nonce=" + s.nonce(), headers=h)[0]

    def assert_refused_then_still_choosable(self, s, refused):
        """Every refused POST changed nothing: the right nonce without headers still accepts,
        and the log has one line per refusal."""
        self.assertEqual(s.request("GET", "/healthz")[0], 200)
        self.assertEqual(self.post(s, "/accept", {}), 200)
        self.assertEqual(s.wait_exit(5), 0, s.stderr())
        self.assertEqual(s.stderr().count(REFUSAL), refused, s.stderr())

    def test_right_nonce_from_a_foreign_origin_is_403_with_one_log_line(self):
        s = self.start()
        own = "http://127.0.0.1:%d" % s.port
        other_port = "http://127.0.0.1:%d" % (s.port + 1 if s.port < 65535 else 1)
        foreign = ["http://evil.example", other_port, "https://evil.example:%d" % s.port, "null",
                   own + "/", own + ".evil.example"]
        for origin in foreign:
            self.assertEqual(self.post(s, "/accept", {"Origin": origin}), 403, origin)
        self.assertEqual(self.post(s, "/decline", {"Origin": "http://evil.example"}), 403)
        self.assert_refused_then_still_choosable(s, len(foreign) + 1)

    def test_right_nonce_with_the_pages_own_origin_is_accepted(self):
        s = self.start()
        status = self.post(s, "/accept", {"Origin": "http://127.0.0.1:%d" % s.port})
        self.assertEqual(status, 200)
        self.assertEqual(s.wait_exit(5), 0, s.stderr())
        self.assertNotIn(REFUSAL, s.stderr())

    def test_any_host_name_the_user_reached_is_its_own_origin(self):
        s = self.start()
        host = "My-Laptop.lan:%d" % s.port  # no allow-list of names: Host says which one
        origin = "http://my-laptop.lan:%d" % s.port
        status = self.post(s, "/decline", {"Host": host, "Origin": origin})
        self.assertEqual(status, 200)
        self.assertEqual(s.wait_exit(5), 3, s.stderr())

    def test_ipv6_literal_origin_matches_its_host(self):
        s = self.start()
        self.assertEqual(self.post(s, "/accept", {"Host": "[::1]:%d" % s.port,
                                                  "Origin": "http://[::2]:%d" % s.port}), 403)
        self.assertEqual(self.post(s, "/accept", {"Host": "[::1]:%d" % s.port,
                                                  "Origin": "http://[::1]:%d" % s.port}), 200)
        self.assertEqual(s.wait_exit(5), 0, s.stderr())

    def test_curl_without_origin_is_accepted(self):
        curl = shutil.which("curl")
        self.assertTrue(curl, "curl is not installed (tests/setup.sh installs it)")
        s = self.start()
        out = subprocess.run([curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                              "-d", "nonce=" + s.nonce(), "http://127.0.0.1:%d/accept" % s.port],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.stdout, "200", out.stderr)
        self.assertEqual(s.wait_exit(5), 0, s.stderr())

    def test_foreign_referer_without_origin_is_403(self):
        s = self.start()
        own = "http://127.0.0.1:%d/" % s.port
        for referer in ("http://evil.example/page", "http://evil.example/?" + own):
            self.assertEqual(self.post(s, "/accept", {"Referer": referer}), 403, referer)
        self.assert_refused_then_still_choosable(s, 2)

    def test_own_referer_without_origin_is_accepted(self):
        s = self.start()
        self.assertEqual(self.post(s, "/accept", {"Referer": "http://127.0.0.1:%d/" % s.port}), 200)
        self.assertEqual(s.wait_exit(5), 0, s.stderr())

    def test_page_lets_the_browser_name_its_origin(self):
        # Under Referrer-Policy: no-referrer a browser posts the form with "Origin: null".
        s = self.start()
        _, headers, _ = s.request("GET", "/")
        self.assertEqual(headers["Referrer-Policy"], "same-origin")


if __name__ == "__main__":
    unittest.main()
