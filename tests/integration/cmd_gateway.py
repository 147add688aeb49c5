#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cmd_gateway.py - a stand-in for the gateway's side of commands to
devices (t_send_commands.sh): a TLS server that answers each POST with the
next canned answer and records what the device sent.

Before each request it takes the first answer out of SCRIPT (a JSON list
of {"status": 201, "headers": {...}, "body": "text"} or "body_b64") and
writes the rest back, so the test says what each message gets. With SCRIPT
empty it answers 500 "no canned answer". Each request is appended to LOG
as one JSON line: {"headers": {lowercase name: value}, "body": "..."}.
Keep-alive like the gateway; prints "listening" once bound.
"""
import argparse
import base64
import json
import socket
import ssl
import sys
import threading

ap = argparse.ArgumentParser()
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--script", required=True)
ap.add_argument("--log", required=True)
args = ap.parse_args()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(args.cert, args.key)
lock = threading.Lock()


def next_answer():
    with lock:
        with open(args.script) as f:
            script = json.load(f)
        if not script:
            return {"status": 500, "headers": {}, "body": "no canned answer"}
        first = script.pop(0)
        with open(args.script, "w") as f:
            json.dump(script, f)
        return first


def read_request(f):
    """The head and body of one request, or None at the end."""
    line = f.readline(8192)
    if not line:
        return None
    headers = {}
    while True:
        h = f.readline(8192)
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    n = int(headers.get("content-length", "0"))
    body = f.read(n) if n else b""
    return line.decode("latin-1").strip(), headers, body


def serve(conn):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        conn.close()
        return
    f = tls.makefile("rb")
    try:
        while True:
            req = read_request(f)
            if req is None:
                break
            _, headers, body = req
            with lock:
                with open(args.log, "a") as log:
                    log.write(json.dumps({"headers": headers,
                                          "body": body.decode("latin-1")}) + "\n")
            a = next_answer()
            if "body_b64" in a:
                payload = base64.b64decode(a["body_b64"])
            else:
                payload = a.get("body", "").encode()
            head = "HTTP/1.1 %d X\r\n" % a["status"]
            hdrs = dict(a.get("headers", {}))
            if "Content-Length" not in hdrs and not a.get("no_length"):
                hdrs["Content-Length"] = str(len(payload))
            for k, v in hdrs.items():
                head += "%s: %s\r\n" % (k, v)
            tls.sendall((head + "\r\n").encode() + payload)
            if a.get("close") or a.get("no_length"):
                break
    except (ssl.SSLError, OSError, ValueError) as e:
        print("connection: %s" % e, file=sys.stderr, flush=True)
    finally:
        try:
            tls.close()
        except OSError:
            pass


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", args.port))
srv.listen(8)
print("listening", flush=True)
sys.stdout.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
