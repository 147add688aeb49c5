#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SIGHUP renews the certificates in place (a certbot renewal with the
# same key): new handshakes get the new certificate, a connection opened
# before keeps working, sessions and tickets made before resume after; a
# file that does not load is refused with the reason and the old
# certificate stays; a renewal with another key warns that pinned devices
# will refuse it.
. "$(dirname "$0")/lib.sh"

mkcert() {	# SERIAL [new-key]: (re)writes $T/tls.crt for $T/tls.key
	[ "${2:-}" = new-key ] || [ ! -f "$T/tls.key" ] &&
	    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	        -out "$T/tls.key" 2>/dev/null
	openssl req -x509 -key "$T/tls.key" -out "$T/tls.new" -days 2 \
	    -subj /CN=localhost -addext subjectAltName=DNS:localhost \
	    -set_serial "$1" 2>/dev/null || fail "openssl req"
	mv "$T/tls.new" "$T/tls.crt"	# atomically, as certbot's symlink swap
}
serial() {	# the serial of what a new handshake gets
	openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
	    </dev/null 2>/dev/null | openssl x509 -noout -serial | cut -d= -f2
}
reload() {	# EVENT: SIGHUP, then wait for the line it gives
	local n0
	n0=$(grep -c "event=$1" "$T/gw.log" || true)
	kill -HUP "$GW_PID"
	wait_for 10 sh -c "[ \$(grep -c 'event=$1' '$T/gw.log') -gt $n0 ]" ||
	    fail "no $1 line after SIGHUP: $(tail -n 3 "$T/gw.log")"
}

provision 1
mkcert 1001
start_gw --cert "$T/tls.crt" --key "$T/tls.key"
cp "$T/tls.crt" "$T/ca.pem"
PIN=$(spki_pin "$T/tls.crt"); PIN_RSA=$PIN
[ "$(serial)" = 03E9 ] || fail "first serial: $(serial)"

# A kept-alive connection opened before, and sessions saved before.
coproc KEPT { python3 -u -c '
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
for seq in ("1", "2"):
    sys.stdin.readline()
    s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: Device " + sys.argv[3].encode() +
              b"\r\nX-Tether-Seq: " + seq.encode() + b"\r\nContent-Length: 2\r\n\r\n{}")
    print(s.recv(4096).split(b" ")[1].decode(), flush=True)
' "$PORT" "$T/ca.pem" "${CRED[0]}"; }
echo go >&"${KEPT[1]}"; read -r -t 10 st <&"${KEPT[0]}" || fail "kept connection: no answer"
[ "$st" = 201 ] || fail "kept connection, before: $st"
openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -tls1_2 \
    -sess_out "$T/ticket.sess" </dev/null >/dev/null 2>&1
openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -tls1_2 -no_ticket \
    -sess_out "$T/id.sess" </dev/null >/dev/null 2>&1

mkcert 1002
reload reloaded
[ "$(serial)" = 03EA ] || fail "after SIGHUP, a new handshake got serial $(serial), not the renewed one"
grep -q 'event=key_changed' "$T/gw.log" && fail "same key, yet key_changed"
echo go >&"${KEPT[1]}"; read -r -t 10 st <&"${KEPT[0]}" || fail "kept connection: no answer after SIGHUP"
[ "$st" = 201 ] || fail "kept connection, after: $st"
for kind in ticket id; do
	openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -tls1_2 \
	    $([ $kind = id ] && echo -no_ticket) -sess_in "$T/$kind.sess" </dev/null 2>/dev/null |
	    grep -q '^Reused' || fail "a session by $kind made before SIGHUP did not resume after"
done
ok "SIGHUP: new handshakes get the renewed certificate; the open connection and sessions by ticket and id carry on"

echo "not a certificate" >"$T/tls.crt"
reload reload_failed
grep 'event=reload_failed' "$T/gw.log" | grep -q 'tls.crt' || fail "reload_failed does not name the file"
[ "$(serial)" = 03EA ] || fail "a bad file replaced the certificate"
ok "a file that does not load: reload_failed with the reason; the last good certificate stays"

mkcert 1003 new-key
reload reloaded
grep -q 'event=key_changed' "$T/gw.log" || fail "no key_changed warning for a new key"
[ "$(serial)" = 03EB ] || fail "new key not served"
ok "a renewal with another key is served, with a key_changed warning for pinned devices"
stop_gw

# With --config, SIGHUP reads the file again: the certificates and the
# profile it names change live; an option read at start only is named.
mkcert 1004
mkcert_pair() {	# NAME: a second certificate and key, $T/NAME.crt/.key
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -out "$T/$1.crt" -days 2 -subj /CN=localhost \
	    -addext subjectAltName=DNS:localhost -set_serial 2001 2>/dev/null || fail "openssl req"
}
mkcert_pair other
cat >"$T/serve.conf" <<CONF
cert $T/tls.crt
key $T/tls.key
profile modern
max-body 16384
CONF
start_gw --config "$T/serve.conf"
[ "$(serial)" = 03EC ] || fail "the config file's certificate is not served"
sed -i -e "s|$T/tls|$T/other|g" -e 's/profile modern/profile compat/' -e 's/max-body 16384/max-body 8192/' "$T/serve.conf"
reload reloaded
grep 'event=reloaded' "$T/gw.log" | tail -n 1 | grep -q 'profile=compat' || fail "the profile did not change live"
[ "$(serial)" = 07D1 ] || fail "the certificate the file now names is not served: $(serial)"
grep 'event=reload_ignored' "$T/gw.log" | grep -q 'options=max-body ' ||
    fail "a changed max-body is not named as read at start only"
grep 'event=reload_ignored' "$T/gw.log" | grep -q 'profile\|cert' && fail "a live option was named as ignored"
printf 'profile nonsense\n' >>"$T/serve.conf"
reload reload_failed
grep 'event=reload_failed' "$T/gw.log" | tail -n 1 | grep -q 'serve.conf:5' || fail "reload_failed does not name the file's line"
[ "$(serial)" = 07D1 ] || fail "a bad config file changed the certificate"
ok "SIGHUP with --config: certificates and profile change live, start-only options are named, a bad file changes nothing"

# A file that no longer names a certificate: going to the development
# pair is read at start only (named), the certificate in use stays (its
# paths pointed into the reading before, freed by this one).
sed -i -e '/^cert /d' -e '/^key /d' -e '/^profile nonsense/d' "$T/serve.conf"
reload reload_ignored
grep 'event=reload_ignored' "$T/gw.log" | tail -n 1 | grep -q 'development pair' ||
    fail "going to the development pair was not named: $(tail -n 2 "$T/gw.log")"
grep 'event=reload_failed' "$T/gw.log" | tail -n 1 | grep -q 'serve.conf:5' ||
    fail "a file without certificates failed: $(tail -n 2 "$T/gw.log")"
[ "$(serial)" = 07D1 ] || fail "a file without certificates changed the certificate"
mkcert_pair third
printf 'cert %s\nkey %s\n' "$T/third.crt" "$T/third.key" >>"$T/serve.conf"
reload reloaded
served_fp=$(openssl s_client -connect "127.0.0.1:$PORT" -servername localhost </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256)
[ "$served_fp" = "$(openssl x509 -in "$T/third.crt" -noout -fingerprint -sha256)" ] ||
    fail "the certificate named again is not served"
kill -0 "$GW_PID" || fail "the gateway died"
ok "SIGHUP with a file that names no certificate any more: named as read at start only, the certificate in use stays"
stop_gw
