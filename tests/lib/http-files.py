#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# http-files.py DIR PORTFILE LOG [norange]: serve the files below DIR over HTTP on
# 127.0.0.1 (a free port, written to PORTFILE), for tests. Supports "Range: bytes=N-"
# (206), like the storage a registry redirects blob downloads to, unless "norange" is
# given: then every GET is a 200 with the whole file. One line per request goes to LOG:
# "GET PATH status=N auth=yes|no range=N|-", so a test can count requests and see whether
# an Authorization header arrived.
import http.server
import os
import re
import sys

root, portfile, logfile = os.path.realpath(sys.argv[1]), sys.argv[2], sys.argv[3]
use_range = sys.argv[4:5] != ["norange"]

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def log(self, status, start):
        with open(logfile, "a") as f:
            f.write("GET %s status=%d auth=%s range=%s\n" % (self.path, status,
                    "yes" if "Authorization" in self.headers else "no", "-" if start is None else start))

    def do_GET(self):
        path = os.path.realpath(os.path.join(root, self.path.split("?")[0].lstrip("/")))
        start = None
        m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if m and use_range:
            start = int(m.group(1))
        if not path.startswith(root + "/") or not os.path.isfile(path):
            self.send_error(404)
            return self.log(404, start)
        size = os.path.getsize(path)
        status = 200
        if start is not None:
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return self.log(416, start)
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(size - (start or 0)))
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        self.end_headers()
        self.log(status, start)
        with open(path, "rb") as f:
            f.seek(start or 0)
            while True:
                chunk = f.read(65536)
                if not chunk:
                    break
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    return

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
