# SPDX-License-Identifier: MIT
"""A device that holds its connection: connects over TLS, posts one
message with keep-alive, prints "answered <status>", then keeps the
connection open until the file --close exists (it closes: "closed by
device") or the gateway closes it ("closed by gateway"). At most --max
seconds. For t_presence.sh: presence needs a connection that stays."""
import argparse
import os
import select
import socket
import ssl
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--cred", required=True)
ap.add_argument("--close", required=True)
ap.add_argument("--max", type=float, default=60)
args = ap.parse_args()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE	# loopback, the test's own gateway
raw = socket.create_connection(("127.0.0.1", args.port), timeout=10)
s = ctx.wrap_socket(raw, server_hostname="localhost")
body = b'{"held":1}'
s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\n"
          b"Authorization: Device " + args.cred.encode() + b"\r\n"
          b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
got = b""
while b"\r\n\r\n" not in got:
    chunk = s.recv(4096)
    if not chunk:
        print("closed before the answer", flush=True)
        sys.exit(1)
    got += chunk
print("answered " + got.split(b" ", 2)[1].decode(), flush=True)
s.setblocking(False)
end = time.monotonic() + args.max
while time.monotonic() < end:
    if os.path.exists(args.close):
        s.close()
        print("closed by device", flush=True)
        sys.exit(0)
    r, _, _ = select.select([s], [], [], 0.1)
    if r:
        try:
            if s.recv(4096) == b"":
                print("closed by gateway", flush=True)
                sys.exit(0)
        except ssl.SSLWantReadError:
            pass
        except (ssl.SSLError, OSError):
            print("closed by gateway", flush=True)
            sys.exit(0)
print("still open at --max", flush=True)
sys.exit(1)
