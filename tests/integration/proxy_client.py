#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""proxy_client.py PORT CA CREDENTIAL SEQ KIND: sends a PROXY protocol
header of KIND (v1, v1-split, v2, v2-split, v2-local, garbage) and then a
message over TLS, as a balancer would pass a device on; prints the HTTP
status, or 'closed' when the gateway closed the connection."""
import socket, ssl, struct, sys, time

port, ca, cred, seq, kind = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
src, sport = "192.0.2.7", 40123
if kind.startswith("v1"):
    header = f"PROXY TCP4 {src} 127.0.0.1 {sport} {port}\r\n".encode()
elif kind == "v2-local":
    header = b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x20, 0x00]) + struct.pack("!H", 0)
elif kind.startswith("v2"):
    addrs = socket.inet_aton(src) + socket.inet_aton("127.0.0.1") + struct.pack("!HH", sport, port)
    tlv = bytes([0x04, 0x00, 0x03]) + b"abc"            # a NOOP TLV, to be skipped
    header = b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(addrs) + len(tlv)) + addrs + tlv
else:
    header = b"GARBAGE / HTTP/1.1\r\n\r\n"
s = socket.create_connection(("127.0.0.1", port), timeout=10)
if kind.endswith("split"):
    s.sendall(header[:7]); time.sleep(0.2); s.sendall(header[7:])
else:
    s.sendall(header)
ctx = ssl.create_default_context(cafile=ca)
try:
    t = ctx.wrap_socket(s, server_hostname="localhost")
    body = b'{"via":"proxy"}'
    t.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: Device " + cred.encode() +
              b"\r\nX-Tether-Seq: " + seq.encode() + b"\r\nContent-Length: " + str(len(body)).encode() +
              b"\r\nConnection: close\r\n\r\n" + body)
    answer = t.recv(4096)
    print(answer.split(b" ")[1].decode() if answer else "closed")
except (ssl.SSLError, ConnectionError, OSError):
    print("closed")
