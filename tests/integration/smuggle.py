#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""smuggle.py PORT: request smuggling against the device listener. Each
case is a head whose framing is ambiguous or malformed, followed by bytes
that hold a second request (GET /v1/health) only under a reading other
than the strict one (RFC 9112). Smuggled: the gateway answers that second
request. Prints each case, its first answer, and the count; exits 1 if any
was smuggled."""
import socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE  # the test pins nothing: framing only
S = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
L = str(len(S)).encode()
P = b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device tth1_x\r\n"
ch = b"0\r\n\r\n"
cases = {
 "CL then TE chunked": P + b"Content-Length: " + str(len(ch) + len(S)).encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + ch + S,
 "TE chunked then CL": P + b"Transfer-Encoding: chunked\r\nContent-Length: " + str(len(ch) + len(S)).encode() + b"\r\n\r\n" + ch + S,
 "TE chunked alone": P + b"Transfer-Encoding: chunked\r\n\r\n" + ch + S,
 "TE xchunked + CL": P + b"Transfer-Encoding: xchunked\r\nContent-Length: " + str(len(ch)+len(S)).encode() + b"\r\n\r\n" + ch + S,
 "TE chunked, identity": P + b"Transfer-Encoding: chunked, identity\r\n\r\n" + ch + S,
 "TE tab chunked": P + b"Transfer-Encoding:\tchunked\r\n\r\n" + ch + S,
 "TE obs-fold": P + b"Transfer-Encoding:\r\n chunked\r\n\r\n" + ch + S,
 "TE space before colon": P + b"Transfer-Encoding : chunked\r\n\r\n" + ch + S,
 "TE uppercase CHUNKED": P + b"Transfer-Encoding: CHUNKED\r\n\r\n" + ch + S,
 "two TE": P + b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n" + ch + S,
 "two CL, 0 then N": P + b"Content-Length: 0\r\nContent-Length: " + L + b"\r\n\r\n" + S,
 "two CL, N then 0": P + b"Content-Length: " + L + b"\r\nContent-Length: 0\r\n\r\n" + S,
 "CL list 0, N": P + b"Content-Length: 0, " + L + b"\r\n\r\n" + S,
 "CL +N": P + b"Content-Length: +" + L + b"\r\n\r\n" + S,
 "CL -1": P + b"Content-Length: -1\r\n\r\n" + S,
 "CL hex 0x": P + b"Content-Length: 0x" + ("%x" % len(S)).encode() + b"\r\n\r\n" + S,
 "CL space before colon": P + b"Content-Length : 0\r\n\r\n" + S,
 "CL obs-fold": P + b"Content-Length: 0\r\n " + L + b"\r\n\r\n" + S,
 "CL leading zeros": P + b"Content-Length: 000" + L + b"\r\n\r\n" + S,
 "CL huge overflow": P + b"Content-Length: 18446744073709551616\r\n\r\n" + S,
 "CL with NUL": P + b"Content-Length: 0\x00" + L + b"\r\n\r\n" + S,
 "CL tab value": P + b"Content-Length:\t" + L + b"\t\r\n\r\n" + S,
 "header without colon": P + b"Content-Length " + b"0\r\n\r\n" + S,
 "bare CR in header": P + b"X-A: a\rContent-Length: 0\r\n\r\n" + S,
 "bare LF lines, CL N": P.replace(b"\r\n", b"\n") + b"Content-Length: " + L + b"\n\n" + S,
 "space in method line": b"POST  /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: " + L + b"\r\n\r\n" + S,
 "HTTP/1.0 keep-alive CL": P.replace(b"HTTP/1.1", b"HTTP/1.0") + b"Connection: keep-alive\r\nContent-Length: " + L + b"\r\n\r\n" + S,
 "GET with CL body": b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: " + L + b"\r\n\r\n" + S,
 "GET with TE": b"GET /v1/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + ch + S,
 "Expect 100-continue CL 0": P + b"Expect: 100-continue\r\nContent-Length: " + L + b"\r\n\r\n" + S,
 "request line LF only": b"POST /v1/messages HTTP/1.1\nHost: x\r\nContent-Length: " + L + b"\r\n\r\n" + S,
 "absolute-form target": b"POST http://x/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: " + L + b"\r\n\r\n" + S,
 "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + S,
 "lowercase method post": b"post /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: " + L + b"\r\n\r\n" + S,
 "very long CL digits": P + b"Content-Length: " + b"0" * 30 + L + b"\r\n\r\n" + S,
}
smuggled = 0
for name, data in cases.items():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=3))
    s.sendall(data)
    buf = b""
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            buf += d
    except Exception:
        pass
    s.close()
    heads = buf.count(b"HTTP/1.1 ")
    first = buf[:12].decode(errors="replace")
    health = b'"status"' in buf and name not in ("GET with CL body", "GET with TE")
    # a GET /v1/health case: smuggled if answered twice
    if name in ("GET with CL body", "GET with TE"):
        health = buf.count(b'"status"') > 1
    smuggled += health
    print("%-28s first=%-12s responses=%d %s" % (name, first, heads, "SMUGGLED" if health else ""))
print("%d cases, %d smuggled" % (len(cases), smuggled))
sys.exit(1 if smuggled else 0)
