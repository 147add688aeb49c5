#!/bin/bash
# SPDX-License-Identifier: MIT
# Every answer the gateway gives, refusals first, has a body that parses as
# JSON, and so does every line of its JSON log (numbers as numbers).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }

provision 1
start_gw --log-format json --debug --head-timeout 1s --device-rate 1 \
    --device-burst 2 --max-body 1000

# One case a line: name, status wanted, the bytes sent ("\r\n" escapes).
# Each goes on its own connection; the answers are read by Content-Length.
python3 - "$PORT" "${CRED[0]}" <<'PY' || fail "an answer is not JSON (above)"
import json, socket, ssl, sys, time

port, cred = int(sys.argv[1]), sys.argv[2]
H = "Host: a\r\n"
AUTH = "Authorization: Device " + cred + "\r\n"
MSG = "POST /v1/messages HTTP/1.1\r\n" + H + AUTH
cases = [
    ("request line with two spaces", 400, "GET  / HTTP/1.1\r\n" + H + "\r\n"),
    ("request line without a version", 400, "GET /\r\n" + H + "\r\n"),
    ("empty line first", 400, "\r\nGET / HTTP/1.1\r\n" + H + "\r\n"),
    ("method not a token", 400, "G(T / HTTP/1.1\r\n" + H + "\r\n"),
    ("method too long", 400, "A" * 40 + " / HTTP/1.1\r\n" + H + "\r\n"),
    ("target not origin-form", 400, "GET foo HTTP/1.1\r\n" + H + "\r\n"),
    ("target with a fragment", 400, "GET /a#b HTTP/1.1\r\n" + H + "\r\n"),
    ("target too long", 414, "GET /" + "a" * 1100 + " HTTP/1.1\r\n" + H + "\r\n"),
    ("HTTP/2.0", 505, "GET / HTTP/2.0\r\n" + H + "\r\n"),
    ("bare LF", 400, "GET / HTTP/1.1\n" + H + "\r\n"),
    ("header name not a token", 400, "GET / HTTP/1.1\r\n" + H + "B\"d: x\r\n\r\n"),
    ("header line without a colon", 400, "GET / HTTP/1.1\r\n" + H + "nocolon\r\n\r\n"),
    ("space before the colon", 400, "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
    ("control character in a value", 400, "GET / HTTP/1.1\r\n" + H + "X: a\x01b\r\n\r\n"),
    ("DEL in a value", 400, "GET / HTTP/1.1\r\n" + H + "X: a\x7fb\r\n\r\n"),
    ("two Authorization headers", 400, MSG + AUTH + "Content-Length: 0\r\n\r\n"),
    ("obsolete line folding", 400, "GET / HTTP/1.1\r\n" + H + "X: a\r\n b\r\n\r\n"),
    ("too many headers", 431, "GET / HTTP/1.1\r\n" + H + "X: a\r\n" * 40 + "\r\n"),
    ("head too large", 431, "GET / HTTP/1.1\r\n" + H + "X: " + "a" * 9000 + "\r\n\r\n"),
    ("no Host", 400, "GET /v1/health HTTP/1.1\r\n\r\n"),
    ("two Hosts", 400, "GET /v1/health HTTP/1.1\r\n" + H + H + "\r\n"),
    ("Content-Length not a number", 400, MSG + "Content-Length: 1x\r\n\r\n"),
    ("two different Content-Lengths", 400, MSG + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
    ("chunked body", 501, MSG + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("Expect other than 100-continue", 417, MSG + "Expect: tea\r\nContent-Length: 1\r\n\r\na"),
    ("POST without Content-Length", 411, MSG + "\r\n"),
    ("body too large", 413, MSG + "Content-Length: 5000\r\n\r\n"),
    ("no credential", 401, "POST /v1/messages HTTP/1.1\r\n" + H + "Content-Length: 1\r\n\r\na"),
    ("unknown credential", 401, "POST /v1/messages HTTP/1.1\r\n" + H +
        "Authorization: Device " + "A" * 32 + "\r\nContent-Length: 1\r\n\r\na"),
    ("X-Tether-Seq not a number", 400, MSG + "X-Tether-Seq: 1e3\r\nContent-Length: 1\r\n\r\na"),
    ("unknown path", 404, "GET /nowhere HTTP/1.1\r\n" + H + "\r\n"),
    ("GET on /v1/messages", 405, "GET /v1/messages HTTP/1.1\r\n" + H + "\r\n"),
    ("POST on /v1/health", 405, "POST /v1/health HTTP/1.1\r\n" + H + "Content-Length: 0\r\n\r\n"),
    ("head not received in time", 408, "GET /v1/health HTTP/1.1\r\n" + H),
    ("health", 200, "GET /v1/health HTTP/1.1\r\n" + H + "\r\n"),
    ("stored", 201, MSG + "X-Tether-Seq: 7\r\nContent-Length: 2\r\n\r\nhi"),
    ("duplicate", 200, MSG + "X-Tether-Seq: 7\r\nContent-Length: 2\r\n\r\nhi"),
]

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

def answers(data, n):
    """Sends data on a new connection, returns n (status, body) pairs."""
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 10),
                        server_hostname="localhost")
    s.settimeout(10)
    s.sendall(data.encode("latin-1"))
    buf, out = b"", []
    while len(out) < n:
        while b"\r\n\r\n" not in buf:
            more = s.recv(65536)
            if not more:
                raise Exception("closed after %d answers: %r" % (len(out), buf))
            buf += more
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        clen = 0
        for l in lines[1:]:
            k, v = l.split(":", 1)
            if k.lower() == "content-length":
                clen = int(v)
        while len(buf) < clen:
            more = s.recv(65536)
            if not more:
                raise Exception("body cut short")
            buf += more
        body, buf = buf[:clen], buf[clen:]
        if status == 100:
            continue
        out.append((status, body))
    s.close()
    return out

bad = 0
def check(name, want, status, body):
    global bad
    try:
        doc = json.loads(body.decode("utf-8"))
        assert isinstance(doc, dict), "not an object"
        if status >= 400:
            assert isinstance(doc.get("error"), str), "no error string"
        if status in (want if isinstance(want, tuple) else (want,)):
            print("ok - %s: %d %s" % (name, status, body.decode().strip()))
            return
        print("FAIL: %s: status %d, want %s" % (name, status, want))
    except Exception as e:
        print("FAIL: %s: %d body %r: %s" % (name, status, body, e))
    bad += 1

for name, want, req in cases:
    (status, body), = answers(req, 1)
    check(name, want, status, body)

# Rate limit (burst 2, taken by the two above): 429 on one connection.
seqs = "".join(MSG + "Content-Length: 1\r\n\r\na" for _ in range(4))
got = answers(seqs, 4)
for i, (status, body) in enumerate(got):
    check("message %d of a burst" % (i + 1), (201, 429), status, body)
if got[-1][0] != 429:
    print("FAIL: no 429 after a burst")
    bad += 1
sys.exit(1 if bad else 0)
PY
ok "every answer body, refusals included, parses as JSON"

stop_gw
python3 - "$T/gw.log" <<'PY' || fail "the JSON log has a line that does not parse (above)"
import json, sys
ints = {"status", "offset", "seq", "ms", "messages", "workers"}
events = set()
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        d = json.loads(line)
    except ValueError as e:
        sys.exit("line %d: %s: %r" % (n, e, line))
    events.add(d["event"])
    for k in ints & d.keys():
        if not isinstance(d[k], int):
            sys.exit("line %d: %s is not a number: %r" % (n, k, line))
for e in ("listening", "request_refused", "auth_failed", "stored",
          "duplicate", "rate_limited", "timeout", "stopped"):
    if e not in events:
        sys.exit("no %s line in the log" % e)
refused = [json.loads(l) for l in open(sys.argv[1]) if '"request_refused"' in l]
if not any('"METHOD target HTTP/1.x"' in d["reason"] for d in refused):
    sys.exit("the request line's reason lost its quotes")
if not any(d.get("status") == 413 for d in refused):
    sys.exit("no request_refused line with status 413 as a number")
print("ok - %d events" % len(events))
PY
ok "every line of the JSON log parses, statuses and offsets are numbers"
