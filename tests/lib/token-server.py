#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# token-server.py PORTFILE LOG KEY.pem CERT.pem ISSUER USER:PASSWORD
# A tiny token server for docker-registry's "auth: token:" (docker's token protocol),
# for tests only. It listens on 127.0.0.1 (a free port, written to PORTFILE), checks HTTP
# basic credentials against USER:PASSWORD, and answers GET /token?service=S&scope=... with
# {"token": JWT, "expires_in": 300}: an RS256 JWT signed with KEY.pem (through the openssl
# CLI) whose header carries the certificate as "x5c" (the registry trusts it through its
# rootcertbundle) and whose "access" claim grants the scopes asked for. Missing or wrong
# credentials: 401. One line per request goes to LOG: "token scope=S auth=yes|no status=N".
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

portfile, logfile, key, cert, issuer, userpass = sys.argv[1:7]
with open(cert) as f:
    der_b64 = "".join(l.strip() for l in f if l.strip() and not l.startswith("-----"))
expected = "Basic " + base64.b64encode(userpass.encode()).decode()

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [der_b64]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(),
                         capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, status, body, scopes, auth):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(logfile, "a") as f:
            f.write("token scope=%s auth=%s status=%d\n" % (",".join(scopes) or "-", auth, status))

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        scopes = q.get("scope", [])
        given = self.headers.get("Authorization")
        auth = "no" if given is None else "yes"
        if url.path != "/token":
            return self.reply(404, {"errors": [{"code": "NOT_FOUND"}]}, scopes, auth)
        if given != expected:
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}, scopes, auth)
        access = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) >= 3:
                access.append({"type": parts[0], "name": ":".join(parts[1:-1]), "actions": parts[-1].split(",")})
        now = int(time.time())
        claims = {"iss": issuer, "sub": userpass.split(":")[0], "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(time.monotonic_ns()), "access": access}
        self.reply(200, {"token": sign(claims), "expires_in": 300}, scopes, auth)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))

os.rename(portfile + ".tmp", portfile)
server.serve_forever()
