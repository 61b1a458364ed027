#!/usr/bin/env python3
"""The original EULA design: a single-threaded http.server serving one page (the same bytes).

Usage: original_server.py PORT FILE
"""
import http.server
import sys

port, path = int(sys.argv[1]), sys.argv[2]
with open(path, "rb") as f:
    PAGE = f.read()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
