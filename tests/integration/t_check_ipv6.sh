# SPDX-License-Identifier: MIT
# tether check against an IPv6 literal (issue 14): `check [::1]:PORT`
# connects over IPv6 and sends `Host: [::1]:PORT`, the brackets an HTTP
# client must put around an IPv6 address (RFC 7230 5.4), for the tether
# profile (its configured host) and for esp8266-bearssl (the URL's host).
# The server is a small Python TLS server on [::1] that records each
# request's Host line and answers 201. Skipped (77) without IPv6 loopback.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: python3 not found"; exit 77; }
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
    { echo "skip: this machine has no IPv6 loopback (::1 cannot be bound)"; exit 77; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ec.key" -out "$T/ec.crt" -subj /CN=localhost -days 30 \
    -addext "subjectAltName=DNS:localhost,IP:::1" 2>/dev/null || fail "openssl req failed"
PIN=$(openssl pkey -in "$T/ec.key" -pubout -outform DER | openssl dgst -sha256 -binary | base64)

cat >"$T/server.py" <<'PY'
import socket, ssl, sys, threading
crt, key, portfile, hosts = sys.argv[1:5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(crt, key)
lock = threading.Lock()
def serve(conn):
    try:
        s = ctx.wrap_socket(conn, server_side=True)
        s.settimeout(10)
        data = b""
        while True:
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    return
                data += chunk
            head, data = data.split(b"\r\n\r\n", 1)
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"host:"):
                    with lock, open(hosts, "ab") as f:
                        f.write(line + b"\n")
            s.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
    except Exception:
        pass
    finally:
        conn.close()
ls = socket.socket(socket.AF_INET6)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("::1", 0))
ls.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
import os
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$T/server.py" "$T/ec.crt" "$T/ec.key" "$T/port" "$T/hosts" 2>"$T/server.log" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/port" || fail "the IPv6 test server did not start: $(cat "$T/server.log")"
P6=$(cat "$T/port")

for prof in tether esp8266-bearssl; do
	rm -f "$T/hosts"
	set +e
	"$TETHER" check "[::1]:$P6" --profile "$prof" --pin "$PIN" --timeout 5 \
	    >"$T/$prof.out" 2>&1
	rc=$?
	set -e
	[ -s "$T/hosts" ] || fail "$prof: check sent no request over IPv6 (exit $rc): $(cat "$T/$prof.out")"
	want="Host: [::1]:$P6"
	bad=$(grep -vxF "$want" "$T/hosts" || true)
	[ -z "$bad" ] || fail "$prof: check sent '$bad', want '$want'"
	grep -q "PASS.*http\|http.*PASS" "$T/$prof.out" ||
	    fail "$prof: no PASS for the POST over IPv6 (exit $rc): $(cat "$T/$prof.out")"
	ok "$prof: check [::1]:PORT sends '$want' ($(wc -l <"$T/hosts") requests) and the POST passes"
done
