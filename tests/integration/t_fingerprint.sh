# SPDX-License-Identifier: MIT
# tether fingerprint against real servers: the gateway (an RSA and an
# ECDSA development certificate) and Debian's nginx (an RSA and an ECDSA
# certificate from a test CA, with their chain). Every pin must equal the
# string openssl computes from the same files, in every output format;
# then --next, the renewal warning, and the errors a user meets.
. "$(dirname "$0")/lib.sh"

fp() { "$TETHER" fingerprint "$@"; }

# What openssl says about a certificate file: the strings to find.
sha1_colon() { openssl x509 -in "$1" -noout -fingerprint -sha1 | cut -d= -f2; }
sha256_colon() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
plain() { tr -d ':\n' | tr 'A-F' 'a-f'; }
key_pin() { # key_pin KEYFILE: base64 SPKI SHA-256 of a private or public key
	openssl pkey -in "$1" -pubout -outform der 2>/dev/null |
	    openssl dgst -sha256 -binary | base64
}
key_pin_hex() {
	openssl pkey -in "$1" -pubout -outform der 2>/dev/null |
	    openssl dgst -sha256 -binary | od -An -v -tx1 | tr -d ' \n'
}
der_bytes() { openssl x509 -in "$1" -outform der | wc -c | tr -d ' '; }

# expect_pins OUTPUT CERT KEY: OUTPUT shows every pin of CERT (whose key is
# KEY) in the forms openssl gives.
expect_pins() {
	local out=$1 crt=$2 key=$3 s
	for s in "$(sha1_colon "$crt")" "$(sha1_colon "$crt" | plain)" \
	    "$(sha256_colon "$crt")" "$(sha256_colon "$crt" | plain)" \
	    "sha256//$(key_pin "$key")" "$(key_pin_hex "$key")"; do
		grep -qF -- "$s" "$out" || fail "$crt: '$s' not in the output: $(cat "$out")"
	done
}

set +e
fp --help >"$T/help"; [ $? = 0 ] || fail "--help exited non-zero"
set -e
grep -q 'usage: tether fingerprint' "$T/help" || fail "--help has no usage line"
"$TETHER" --help | grep -q fingerprint || fail "tether --help does not list fingerprint"
ok "--help"

# --- the gateway: ECDSA and RSA side by side ---------------------------------
start_gw
fp "127.0.0.1:$PORT" >"$T/gw.txt" 2>"$T/gw.err" || fail "fingerprint of the gateway: $(cat "$T/gw.err")"
expect_pins "$T/gw.txt" "$T/state/ecdsa.crt" "$T/state/ecdsa.key"
expect_pins "$T/gw.txt" "$T/state/rsa.crt" "$T/state/rsa.key"
grep -q '^certificate 1: ECDSA P-256, sent to clients offering everything, ECDSA only' "$T/gw.txt" ||
    fail "the ECDSA leaf is not reported as the one a full ClientHello gets: $(cat "$T/gw.txt")"
grep -q '^certificate 2: RSA 2048, sent to clients offering RSA only' "$T/gw.txt" ||
    fail "the RSA leaf is not reported: $(cat "$T/gw.txt")"
grep -q 'SNI none' "$T/gw.txt" || fail "an IP address was sent as SNI by default"
grep -q "size     $(der_bytes "$T/state/rsa.crt") bytes DER" "$T/gw.txt" ||
    fail "the RSA certificate's DER size is wrong"
[ -s "$T/gw.err" ] && fail "unexpected stderr: $(cat "$T/gw.err")"
ok "gateway: both leaves, every pin equal to openssl's"

fp "127.0.0.1:$PORT" --single >"$T/one.txt"
[ "$(grep -c '^certificate ' "$T/one.txt")" = 1 ] || fail "--single made more than one handshake"
fp "localhost:$PORT" --single | grep -q 'port '"$PORT"' (127.0.0.1), SNI localhost' ||
    fail "a host name is not sent as SNI"
fp "127.0.0.1:$PORT" --single --sni 127.0.0.1 | grep -q 'SNI 127.0.0.1' ||
    fail "--sni 127.0.0.1 (what the ESP8266 core sends) failed"
fp "https://localhost:$PORT/v1/messages" --single --no-sni | grep -q 'SNI none' ||
    fail "an https URL with --no-sni failed"
ok "--single, SNI by name, --sni with an IP, --no-sni, a URL"

fp --cert "$T/state/ecdsa.crt" --cert "$T/state/rsa.crt" >"$T/files.txt"
expect_pins "$T/files.txt" "$T/state/ecdsa.crt" "$T/state/ecdsa.key"
expect_pins "$T/files.txt" "$T/state/rsa.crt" "$T/state/rsa.key"
openssl x509 -in "$T/state/rsa.crt" -outform der -out "$T/rsa.der"
fp --cert "$T/rsa.der" | grep -qF "$(sha1_colon "$T/state/rsa.crt")" || fail "--cert with a DER file"
ok "--cert FILE (PEM and DER) gives the same pins"

# JSON: valid, with the pins.
fp "127.0.0.1:$PORT" --format json >"$T/gw.json"
if command -v python3 >/dev/null 2>&1; then
	python3 -m json.tool "$T/gw.json" >/dev/null || fail "--format json does not parse: $(cat "$T/gw.json")"
	python3 - "$T/gw.json" "$(key_pin "$T/state/ecdsa.key")" "$(key_pin "$T/state/rsa.key")" <<'EOF' ||
import json, sys
d = json.load(open(sys.argv[1]))
pins = [c["spki_sha256_base64"] for c in d["certificates"]]
assert pins == sys.argv[2:4], pins
assert d["certificates"][0]["offers"] == ["all", "ecdsa"]
assert d["certificates"][1]["offers"] == ["rsa"]
assert d["sni"] is None and d["port"] > 0
EOF
	    fail "--format json holds the wrong values: $(cat "$T/gw.json")"
else
	grep -q "\"spki_sha256_base64\": \"$(key_pin "$T/state/rsa.key")\"" "$T/gw.json" ||
	    fail "--format json lacks the RSA pin"
fi
ok "--format json parses and holds the pins"

# C: compiles as C99 with every warning, and the arrays hold openssl's bytes.
fp "127.0.0.1:$PORT" --format c >"$T/tether_pins.h"
cat >"$T/pins_test.c" <<'EOF'
#include <stdio.h>
#include "tether_pins.h"
static void
put(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}
int
main(void)
{
	put(tether_pin_spki_sha256, sizeof(tether_pin_spki_sha256));
	put(tether_pin_cert_sha256, sizeof(tether_pin_cert_sha256));
	put(tether_pin_cert_sha1, sizeof(tether_pin_cert_sha1));
	put(tether_pin_rsa_spki_sha256, sizeof(tether_pin_rsa_spki_sha256));
	printf("%d\n", TETHER_PINS_SPKI_SHA256_COUNT);
	put(tether_pins_spki_sha256[1], 32);
	return 0;
}
EOF
echo '#include "tether_pins.h"' >"$T/only_header.c"
cc -std=c99 -pedantic -Wall -Wextra -Werror -c "$T/only_header.c" -o "$T/only_header.o" ||
    fail "the header does not compile on its own"
cc -std=c99 -Wall -Wextra -Werror -I"$T" "$T/pins_test.c" -o "$T/pins_test" ||
    fail "a program using the header does not compile"
# libtether takes it as it is: next to include/tether.h, the arrays go
# straight into tether_config_add_pin().
cat >"$T/with_lib.c" <<'EOF'
#include "tether.h"
#include "tether_pins.h"
int add_pins(struct tether_config *cfg);
int
add_pins(struct tether_config *cfg)
{
	if (tether_config_add_pin(cfg, TETHER_PIN_SPKI_SHA256,
	    tether_pin_spki_sha256) != 0)
		return -1;
	if (tether_config_add_pin(cfg, TETHER_PIN_SPKI_SHA256,
	    tether_pins_spki_sha256[1]) != 0)
		return -1;
	return tether_config_add_pin(cfg, TETHER_PIN_CERT_SHA1,
	    tether_pin_cert_sha1);
}
EOF
cc -std=c99 -Wall -Wextra -Werror -I"$TETHER_SRC/include" -I"$T" -c "$T/with_lib.c" -o "$T/with_lib.o" ||
    fail "the header does not compile beside include/tether.h"
"$T/pins_test" >"$T/pins_test.out"
{
	key_pin_hex "$T/state/ecdsa.key"; echo
	sha256_colon "$T/state/ecdsa.crt" | plain; echo
	sha1_colon "$T/state/ecdsa.crt" | plain; echo
	key_pin_hex "$T/state/rsa.key"; echo
	echo 2
	key_pin_hex "$T/state/rsa.key"; echo
} >"$T/pins_want.out"
diff "$T/pins_want.out" "$T/pins_test.out" >&2 || fail "--format c arrays differ from openssl's bytes"
ok "--format c compiles (-std=c99 -pedantic -Werror, and beside tether.h) and holds openssl's bytes"

# Arduino: what works on the ESP8266 core leads. The ECDSA leaf (first)
# is pinned by setFingerprint, live: the core 3.0.0 and later fails
# setKnownKey with an EC key (error 27), so no live setKnownKey for it. The
# RSA leaf (second, in a comment) by its key, setKnownKey with its PEM.
fp "127.0.0.1:$PORT" --format arduino >"$T/sketch.txt"
want=$(sha1_colon "$T/state/ecdsa.crt" | tr ':' ' ')
grep -qxF "client.setFingerprint(\"$want\");" "$T/sketch.txt" ||
    fail "--format arduino does not lead with setFingerprint(\"$want\") for the ECDSA leaf: $(cat "$T/sketch.txt")"
! grep -q '^client.setKnownKey(&key);' "$T/sketch.txt" ||
    fail "--format arduino gives setKnownKey an ECDSA key, which the ESP8266 core rejects"
grep -q 'error 27' "$T/sketch.txt" || fail "--format arduino does not say why not setKnownKey"
want=$(sha1_colon "$T/state/rsa.crt" | tr ':' ' ')
sed -n '/^\/\*$/,/^\*\/$/p' "$T/sketch.txt" >"$T/sketch.rsa"
grep -qxF 'client.setKnownKey(&key2);' "$T/sketch.rsa" &&
    grep -qxF "client.setFingerprint(\"$want\");" "$T/sketch.rsa" ||
    fail "--format arduino does not pin the RSA leaf by key (setKnownKey) and fingerprint: $(cat "$T/sketch.txt")"
openssl pkey -in "$T/state/rsa.key" -pubout >"$T/rsa.pub"
sed -n '/^BearSSL::PublicKey key2(R"(/,/^)");/p' "$T/sketch.txt" |
    sed -e 's/^BearSSL::PublicKey key2(R"(//' -e '/^)");$/d' >"$T/sketch.pub"
diff "$T/rsa.pub" "$T/sketch.pub" >&2 || fail "--format arduino's PublicKey is not the server's RSA key"
ok "--format arduino: setFingerprint leads for the ECDSA leaf, setKnownKey with the PEM for the RSA one"

# --next: a private key, its public key, and an encrypted key.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/next.key" 2>/dev/null
openssl pkey -in "$T/next.key" -pubout -out "$T/next.pub"
fp "127.0.0.1:$PORT" --single --next "$T/next.key" >"$T/next.txt"
grep -qF "$(key_pin "$T/next.key")" "$T/next.txt" || fail "--next pin missing"
grep -qF "$(key_pin_hex "$T/next.key")" "$T/next.txt" || fail "--next hex pin missing"
fp --next "$T/next.pub" | grep -qF "$(key_pin "$T/next.key")" || fail "--next with a public key"
fp --next "$T/state/rsa.key" --format c >"$T/next.h"
grep -q 'tether_pin_next_spki_sha256\[32\]' "$T/next.h" || fail "--format c lacks the next pin"
fp "127.0.0.1:$PORT" --next "$T/state/rsa.key" | grep -q 'certificate 2 already has this key' ||
    fail "--next does not notice a key the server already uses"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-128-cbc \
    -pass pass:secret -out "$T/enc.key" 2>/dev/null
set +e
fp --next "$T/enc.key" 2>"$T/err"; rc=$?
set -e
[ $rc = 1 ] || fail "--next with an encrypted key: exit $rc, want 1"
grep -q 'error: .*encrypted private key.*openssl pkey' "$T/err" || fail "encrypted --next: $(cat "$T/err")"
ok "--next: private, public and encrypted keys"
stop_gw

# --- the renewal warning ----------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 5 \
    -subj /CN=soon.test -keyout "$T/soon.key" -out "$T/soon.crt" 2>/dev/null
fp --cert "$T/soon.crt" >"$T/soon.txt" 2>"$T/soon.err" || fail "a soon-expiring certificate failed"
grep -q '^warning: the ECDSA P-256 certificate CN=soon.test expires in [45] days' "$T/soon.err" ||
    fail "no expiry warning: $(cat "$T/soon.err")"
grep -q 'certbot renew --reuse-key' "$T/soon.err" || fail "the warning does not say how to keep the key"
grep -q 'SPKI pin stays the same if the key is kept' "$T/soon.err" || fail "the warning does not name the SPKI pin"
expect_pins "$T/soon.txt" "$T/soon.crt" "$T/soon.key"
fp --cert "$T/state/rsa.crt" 2>"$T/long.err" >/dev/null
[ -s "$T/long.err" ] && fail "a warning for a certificate valid ten years: $(cat "$T/long.err")"
ok "a certificate that expires in 5 days gets the renewal warning on stderr"

# --- nginx: a CA, an RSA and an ECDSA leaf with their chain -----------------
command -v nginx >/dev/null || fail "nginx is not installed (Debian package nginx-light)"
N="$T/nginx"
mkdir -p "$N/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=tether test CA" \
    -keyout "$N/ca.key" -out "$N/ca.crt" 2>/dev/null
printf 'subjectAltName=DNS:fp.test\n' >"$N/ext"
for kind in rsa ecdsa; do
	if [ $kind = rsa ]; then alg=(-newkey rsa:2048); else alg=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); fi
	openssl req -new "${alg[@]}" -nodes -subj "/CN=fp.test" \
	    -keyout "$N/$kind.key" -out "$N/$kind.csr" 2>/dev/null
	openssl x509 -req -in "$N/$kind.csr" -CA "$N/ca.crt" -CAkey "$N/ca.key" \
	    -CAcreateserial -days 20 -extfile "$N/ext" -out "$N/$kind.crt" 2>/dev/null
	cat "$N/$kind.crt" "$N/ca.crt" >"$N/$kind-chain.pem"
done

# start_nginx: on two free ports, NPORT (both certificates) and SPORT (a
# strict default server that rejects names it does not serve).
start_nginx() {
	local tries=0
	while :; do
		NPORT=$(free_port); SPORT=$(free_port)
		cat >"$N/nginx.conf" <<EOF
daemon off;
master_process off;
pid $N/nginx.pid;
error_log $N/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	ssl_protocols TLSv1.2 TLSv1.3;
	server {
		listen 127.0.0.1:$NPORT ssl default_server;
		server_name fp.test;
		ssl_certificate $N/rsa-chain.pem;
		ssl_certificate_key $N/rsa.key;
		ssl_certificate $N/ecdsa-chain.pem;
		ssl_certificate_key $N/ecdsa.key;
		return 204;
	}
	server {
		listen 127.0.0.1:$SPORT ssl default_server;
		ssl_reject_handshake on;
	}
	server {
		listen 127.0.0.1:$SPORT ssl;
		server_name fp.test;
		ssl_certificate $N/ecdsa-chain.pem;
		ssl_certificate_key $N/ecdsa.key;
		return 204;
	}
}
EOF
		: >"$N/error.log"
		nginx -p "$N" -c "$N/nginx.conf" 2>>"$N/error.log" &
		NGINX_PID=$!
		PIDS="$PIDS $NGINX_PID"
		if wait_for 10 openssl s_client -connect "127.0.0.1:$NPORT" -servername fp.test </dev/null; then
			break
		fi
		kill -9 "$NGINX_PID" 2>/dev/null || true
		tries=$((tries + 1))
		grep -q 'Address already in use' "$N/error.log" && [ $tries -lt 5 ] && continue
		fail "nginx did not start: $(cat "$N/error.log")"
	done
}
start_nginx

fp "127.0.0.1:$NPORT" --sni fp.test >"$T/ng.txt" 2>"$T/ng.err" || fail "fingerprint of nginx: $(cat "$T/ng.err")"
expect_pins "$T/ng.txt" "$N/rsa.crt" "$N/rsa.key"
expect_pins "$T/ng.txt" "$N/ecdsa.crt" "$N/ecdsa.key"
[ "$(grep -c '^certificate ' "$T/ng.txt")" = 2 ] || fail "nginx: want 2 leaves: $(cat "$T/ng.txt")"
grep -q 'offering .*ECDSA only' "$T/ng.txt" || fail "nginx: no leaf for the ECDSA-only ClientHello"
grep -q 'offering .*RSA only' "$T/ng.txt" || fail "nginx: no leaf for the RSA-only ClientHello"
total=$(($(der_bytes "$N/rsa.crt") + $(der_bytes "$N/ca.crt")))
grep -q "chain as sent: 2 certificates, $total bytes DER" "$T/ng.txt" ||
    fail "nginx: the RSA chain is not 2 certificates of $total bytes: $(cat "$T/ng.txt")"
grep -q 'issuer   CN=tether test CA' "$T/ng.txt" || fail "nginx: issuer not shown"
grep -q 'trusted by this system.s CAs for fp.test: no' "$T/ng.txt" || fail "nginx: a test CA was trusted"
# The renewal warning holds for a live server too (the leaves expire in 20 days).
grep -Eq "warning: the RSA 2048 certificate CN=fp.test expires in (19|20) days" "$T/ng.err" ||
    fail "nginx: no renewal warning: $(cat "$T/ng.err")"
fp --cert "$N/ecdsa-chain.pem" >"$T/ngf.txt" 2>"$T/ngf.err"
grep -q 'certbot certonly --reuse-key -d fp.test' "$T/ngf.err" ||
    fail "the warning for a file does not name the certificate's host: $(cat "$T/ngf.err")"
grep -q 'chain in the file: 2 certificates' "$T/ngf.txt" || fail "--cert with a chain file"
expect_pins "$T/ngf.txt" "$N/ecdsa.crt" "$N/ecdsa.key"
ok "nginx with ssl_certificate twice: both leaves and their chains, pins equal to openssl's"

# A server that refuses: the alert is named, and it is the server's.
set +e
fp "127.0.0.1:$SPORT" --sni other.test 2>"$T/err"; rc=$?
set -e
[ $rc = 1 ] || fail "rejected handshake: exit $rc, want 1"
grep -q "error: 127.0.0.1 port $SPORT refused the TLS handshake: the server sent alert 112 (unrecognized name).*--sni NAME" "$T/err" ||
    fail "rejected handshake message: $(cat "$T/err")"
fp "127.0.0.1:$SPORT" --sni fp.test 2>"$T/err" >"$T/strict.txt" || fail "strict server with its name: $(cat "$T/err")"
grep -q 'a client offering RSA only gets no certificate: .*alert 40 (handshake failure): it has no RSA certificate' "$T/strict.txt" ||
    fail "the RSA-only refusal of an ECDSA-only server is not reported: $(cat "$T/strict.txt")"
ok "alerts from the server are named: unrecognized name, and no RSA certificate"
kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true

# --- errors -----------------------------------------------------------------
closed=$(free_port)
set +e
fp "127.0.0.1:$closed" 2>"$T/err"; rc=$?
set -e
[ $rc = 1 ] || fail "closed port: exit $rc, want 1"
grep -q "error: 127.0.0.1 refused the connection on port $closed (127.0.0.1): nothing listens there" "$T/err" ||
    fail "closed port message: $(cat "$T/err")"

set +e
fp nonexistent.invalid --timeout 5 2>"$T/err"; rc=$?
set -e
[ $rc = 1 ] || fail "DNS failure: exit $rc, want 1"
grep -q "error: cannot resolve 'nonexistent.invalid'" "$T/err" || fail "DNS failure message: $(cat "$T/err")"

# A listener that never speaks TLS: the handshake times out.
silent=$(free_port)
perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(Listen => 5, LocalAddr => "127.0.0.1",
    LocalPort => $ARGV[0], ReuseAddr => 1) or die; sleep 30' "$silent" &
SILENT_PID=$!
PIDS="$PIDS $SILENT_PID"
wait_for 5 perl -MIO::Socket::INET -e 'IO::Socket::INET->new("127.0.0.1:$ARGV[0]") or exit 1' "$silent" ||
    fail "the silent listener did not start"
set +e
start=$(date +%s)
fp "127.0.0.1:$silent" --timeout 1 2>"$T/err"; rc=$?
took=$(($(date +%s) - start))
set -e
[ $rc = 1 ] || fail "handshake time-out: exit $rc, want 1"
grep -q 'did not finish the TLS handshake within 1 s' "$T/err" || fail "time-out message: $(cat "$T/err")"
[ $took -le 3 ] || fail "--timeout 1 took $took s"
kill "$SILENT_PID"; wait "$SILENT_PID" 2>/dev/null || true
ok "errors: connection refused, no such host, handshake time-out (exit 1)"

usage_err() { # usage_err "MESSAGE" ARGS...: exit 2 and the message
	local want=$1; shift
	set +e
	fp "$@" >/dev/null 2>"$T/err"; local rc=$?
	set -e
	[ $rc = 2 ] || fail "fingerprint $*: exit $rc, want 2"
	grep -qF -- "$want" "$T/err" || fail "fingerprint $*: $(cat "$T/err")"
}
usage_err "name a server (HOST[:PORT]) or a certificate file"
usage_err "'0' is not a port number" 127.0.0.1:0
usage_err "'x' is one too many" a x
usage_err "--format: 'xml' is not a format" --format xml host
usage_err "--timeout: 'soon' is not a number" --timeout soon host
usage_err "give a server or --cert files, not both" host --cert "$T/soon.crt"
usage_err "--sni applies to a server" --cert "$T/soon.crt" --sni x
usage_err "--sni and --no-sni contradict" host --sni x --no-sni
usage_err "is not a scheme tether knows" ftp://host
usage_err "unknown option '--frob'" --frob host
set +e
fp --cert "$T/nope.pem" 2>"$T/err"; rc=$?
set -e
[ $rc = 1 ] || fail "missing --cert file: exit $rc, want 1"
grep -q "error: cannot read $T/nope.pem: No such file or directory" "$T/err" || fail "missing file: $(cat "$T/err")"
set +e
fp --cert "$T/soon.key" 2>"$T/err"; rc=$?
set -e
[ $rc = 1 ] && grep -q 'holds a key, not a certificate; --next' "$T/err" || fail "key as --cert: $(cat "$T/err")"
ok "usage errors exit 2, unreadable files exit 1, each with a sentence"

# --- probed as devices probe: TLS 1.2 ------------------------------------------
# openssl s_server with -servername answers another name with a warning
# alert 112 at TLS 1.2 (axTLS dies of it) and with nothing at TLS 1.3:
# fingerprint must see what a TLS 1.2 device sees.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
    -subj /CN=warn.test -keyout "$T/warn.key" -out "$T/warn.crt" 2>/dev/null
WPORT=$(free_port)
openssl s_server -accept "127.0.0.1:$WPORT" -cert "$T/warn.crt" -key "$T/warn.key" \
    -servername warn.test -cert2 "$T/warn.crt" -key2 "$T/warn.key" -www -quiet \
    </dev/null >"$T/warn.log" 2>&1 &
WARN_PID=$!
PIDS="$PIDS $WARN_PID"
wait_for 10 openssl s_client -connect "127.0.0.1:$WPORT" -servername warn.test </dev/null ||
    fail "openssl s_server did not start: $(cat "$T/warn.log")"
fp "127.0.0.1:$WPORT" --sni other.test >"$T/warn.txt" 2>"$T/warn.err" || fail "warning-alert server: $(cat "$T/warn.err")"
grep -q "warning alert unrecognized name (112)" "$T/warn.err" ||
    fail "the TLS 1.2 warning alert is not reported: $(cat "$T/warn.err")"
kill -TERM "$WARN_PID" 2>/dev/null || true
wait "$WARN_PID" 2>/dev/null || true
ok "fingerprint probes with TLS 1.2, as devices do, and reports the warning alert TLS 1.3 hides"
