# SPDX-License-Identifier: MIT
# tether send against nginx from Debian, a server the device library did
# not grow up with: each pin kind accepted, max_fragment_length honoured
# (a 4000-byte answer read through 512-byte records), the axTLS suites
# met, a redirect refused in the library's words, and a 2xx that is not
# the gateway's answer (an empty 200, a 201 naming no device) never taken
# for "stored".
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || fail "nginx not installed (scripts/deps.sh installs nginx-light)"

# A certificate pair of nginx's own, EC and RSA, as a real site has.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=nginx.test -keyout "$T/ec.key" -out "$T/ec.crt" 2>/dev/null || fail "EC certificate"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
    -subj /CN=nginx.test -keyout "$T/rsa.key" -out "$T/rsa.crt" 2>/dev/null || fail "RSA certificate"
big=$(head -c 4000 /dev/zero | tr '\0' x)

P_OK=$(free_port); P_BIG=$(free_port); P_REDIR=$(free_port); P_EMPTY=$(free_port)
mkdir -p "$T/nginx/tmp"
cat >"$T/nginx.conf" <<EOF
# One process, everything under $T: the test kills it by pid.
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx/tmp/body;
	proxy_temp_path $T/nginx/tmp/proxy;
	fastcgi_temp_path $T/nginx/tmp/fastcgi;
	uwsgi_temp_path $T/nginx/tmp/uwsgi;
	scgi_temp_path $T/nginx/tmp/scgi;
	ssl_certificate $T/rsa.crt;
	ssl_certificate_key $T/rsa.key;
	ssl_certificate $T/ec.crt;
	ssl_certificate_key $T/ec.key;
	ssl_protocols TLSv1.2 TLSv1.3;
	ssl_ciphers HIGH:!aNULL:!MD5;
	default_type application/json;
	server {
		listen 127.0.0.1:$P_OK ssl;
		# the gateway's answer, word for word (docs/protocol.md)
		location = /v1/messages { return 201 '{"stored":true,"device":"nginx-1"}'; }
	}
	server {
		listen 127.0.0.1:$P_BIG ssl;
		location = /v1/messages { return 201 '{"stored":true,"device":"$big"}'; }
	}
	server {
		# a web server that answers anything with an empty 200
		listen 127.0.0.1:$P_EMPTY ssl;
		location = /v1/messages { return 200 ''; }
	}
	server {
		listen 127.0.0.1:$P_REDIR ssl;
		location = /v1/messages { return 301 https://gw.example/v1/messages; }
	}
}
EOF
nginx -e "$T/nginx/error.log" -p "$T/nginx" -c "$T/nginx.conf" 2>"$T/nginx.err" &
NGINX_PID=$!
PIDS="$PIDS $NGINX_PID"
wait_for 10 curl -sk -o /dev/null "https://127.0.0.1:$P_OK/v1/messages" ||
    fail "nginx did not start: $(cat "$T/nginx.err" "$T/nginx/error.log" 2>/dev/null)"

echo tth1_nginxdoesnotcheckthecredential0000 >"$T/cred"
send() { local port=$1; shift; "$TETHER" send "https://127.0.0.1:$port" --credential-file "$T/cred" "$@" >"$T/out" 2>"$T/err"; }
expect_fail() {
	set +e; send "$@"; local rc=$?; set -e
	[ $rc = 1 ] || fail "send $*: exit $rc, want 1: $(cat "$T/err")"
}

# The three pin kinds, as openssl prints them.
spki=$(spki_pin "$T/ec.crt")
cert256=$(openssl x509 -in "$T/ec.crt" -noout -fingerprint -sha256 | cut -d= -f2)
sha1=$(openssl x509 -in "$T/ec.crt" -noout -fingerprint -sha1 | cut -d= -f2)
for pin in "$spki" "sha256//$spki" "$cert256" "$sha1"; do
	send "$P_OK" --pin "$pin" x || fail "pin $pin refused by nginx: $(cat "$T/err")"
	grep -q '^message 1 of 1: stored (201)$' "$T/out" || fail "pin $pin: $(cat "$T/out")"
done
ok "nginx: SPKI SHA-256, certificate SHA-256 and SHA-1 pins accepted"

expect_fail "$P_OK" --pin "$(spki_pin "$T/rsa.crt")" x
grep -q "^error: the server's certificate matches none of the device's pins .*(expected SPKI SHA-256 $(spki_pin "$T/rsa.crt"); received SPKI SHA-256 $spki; certificate CN=nginx.test, valid .* key EC 256)$" "$T/err" ||
    fail "wrong pin against nginx: $(cat "$T/err")"
ok "nginx: a wrong pin refused with both pins"

# 512-byte records: nginx (OpenSSL) honours max_fragment_length, so an
# answer of 4000 bytes reaches an 837-byte buffer in pieces.
send "$P_BIG" --pin "$spki" --buffer 512 --stats x || fail "512-byte records from nginx: $(cat "$T/err")"
grep -q 'handshake full (TLS_ECDHE_ECDSA_[A-Z0-9_]*, records of up to 512 bytes)' "$T/out" ||
    fail "no 512-byte records: $(cat "$T/out")"
in=$(sed -n 's/^message 1 of 1: .* \([0-9]*\) bytes in, .*/\1/p' "$T/out")
[ "$in" -gt 4000 ] || fail "the 4000-byte answer did not come through ($in bytes in)"
ok "nginx honours max_fragment_length: 4000 bytes through 512-byte records"

# The axTLS suites: nginx's default HIGH list has them, with its RSA key.
send "$P_OK" --pin "$(spki_pin "$T/rsa.crt")" --profile legacy-axtls --buffer 512 --stats x ||
    fail "legacy-axtls against nginx: $(cat "$T/err")"
grep -q 'handshake full (TLS_RSA_WITH_AES_' "$T/out" || fail "no axTLS suite: $(cat "$T/out")"
ok "nginx: legacy-axtls gets $(grep -o 'TLS_RSA_[A-Z0-9_]*' "$T/out")"

# A redirect: devices cannot follow one, and say where it pointed.
expect_fail "$P_REDIR" --pin "$spki" x
grep -q '^error: the server answered with a redirect, and devices cannot follow one.* (HTTP status 301; Location: https://gw.example/v1/messages)$' "$T/err" ||
    fail "redirect message: $(cat "$T/err")"
ok "nginx: a 301 is refused, naming the Location"

# An empty 200 is not the gateway's answer: nothing was stored, and the
# device says so instead of "stored (200)" (a silent loss before).
expect_fail "$P_EMPTY" --pin "$spki" x
grep -q '^message 1 of 1: stored' "$T/out" && fail "an empty 200 taken for stored: $(cat "$T/out")"
grep -q '^error: the server answered 2xx but not as a tether gateway does.* (HTTP status 200; no body)$' "$T/err" ||
    fail "empty 200 message: $(cat "$T/err")"
ok "nginx: an empty 200 is refused as not the gateway's answer"

# The gateway's answer names the device: --device makes the device check
# the name, and another device's answer is not this one's "stored".
send "$P_OK" --pin "$spki" --device nginx-1 x || fail "--device nginx-1: $(cat "$T/err")"
grep -q '^message 1 of 1: stored (201)$' "$T/out" || fail "--device nginx-1: $(cat "$T/out")"
expect_fail "$P_OK" --pin "$spki" --device d7k3-m9q2-x x
grep -q '^error: the server answered 2xx but not as a tether gateway does.* (HTTP status 201; body: {"stored":true,"device":"nginx-1"})$' "$T/err" ||
    fail "answer for another device: $(cat "$T/err")"
ok "nginx: an answer naming another device is not stored for this one"
