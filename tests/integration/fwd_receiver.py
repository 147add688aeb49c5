#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fwd_receiver.py - a webhook receiver for the forwarding tests (t_forward.sh).

Checks each post's X-Tether-Signature (sha256=<hex HMAC-SHA256(secret,
body)>), that the body is {"messages": [...], "cursor": ...} and that
X-Tether-Count matches, then appends one line per message to RECORD:
"<id> <device> <seq> <cursor>". A post that fails a check is answered
400/401 and noted in RECORD.bad. While the file DOWN exists it answers 503
and records nothing (a receiver that is up but failing). With --slow it
waits between recording a post and answering it: a gateway killed then
has delivered what it has not seen acknowledged.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import socketserver
import ssl
import time

ap = argparse.ArgumentParser()
ap.add_argument("--secret-file", required=True)
ap.add_argument("--record", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--down", default="")
ap.add_argument("--events", default="",
                help="a file for presence events (else they are skipped)")
ap.add_argument("--cert", default="")
ap.add_argument("--key", default="")
ap.add_argument("--slow", type=float, default=0,
                help="seconds between recording a post and answering it")
args = ap.parse_args()
with open(args.secret_file) as f:
    secret = f.read().strip().encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the gateway uses it

    def answer(self, code, text):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def refuse(self, code, why):
        with open(args.record + ".bad", "a") as f:
            f.write(why + "\n")
        self.answer(code, why.encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sig = self.headers.get("X-Tether-Signature", "")
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(sig, want):
            return self.refuse(401, "bad signature: " + sig)
        if args.down and os.path.exists(args.down):
            return self.answer(503, b"down for a while")
        try:
            doc = json.loads(body)
            msgs = doc["messages"]
            ok = (int(self.headers["X-Tether-Count"]) == len(msgs) and
                  doc["cursor"] == msgs[-1]["cursor"] and
                  self.headers["X-Tether-Cursor"] == doc["cursor"])
        except (ValueError, KeyError, IndexError, TypeError) as e:
            return self.refuse(400, "bad body: %r" % e)
        if not ok:
            return self.refuse(400, "count or cursor does not match")
        with open(args.record, "a") as f:
            for m in msgs:
                if "event" in m:
                    # presence: "<id> <device> <event> <reason> <online>"
                    if args.events:
                        p = m["presence"]
                        with open(args.events, "a") as e:
                            e.write("%d %s %s %s %s\n" % (
                                m["id"], m["device"], m["event"],
                                p.get("reason", "-").replace(" ", "_"),
                                str(p["online"]).lower()))
                    continue
                f.write("%d %s %s %s\n" % (m["id"], m["device"], m["seq"],
                                           m["cursor"]))
        if args.slow:
            time.sleep(args.slow)
        self.answer(200, b"ok")

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
    daemon_threads = True


srv = Server(("127.0.0.1", args.port), Handler)
if args.cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
