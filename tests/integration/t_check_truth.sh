# SPDX-License-Identifier: MIT
# tether check tells the truth (issue 14): one nginx with a server a port,
# each a mistake that used to get a false PASS or a FAIL with the wrong
# cause (a client certificate required, a 4xx on the device path, another
# virtual host's certificate without SNI, a name refused, TLS 1.3 only, an
# ECDSA-only server for axTLS), openssl s_server with DHE suites only, a
# plain-HTTP port; then --profile all, --json on exit 2 and the text
# report's width. Each case asserts the verdict, its cause and its fix.
. "$(dirname "$0")/lib.sh"

NAME=check.test

ck() { # ck OUT PROFILE PORT [options...]: --json into $T/OUT.json, RC
	local out=$1 prof=$2 port=$3; shift 3
	set +e
	"$TETHER" check "127.0.0.1:$port" --profile "$prof" --json --timeout 5 "$@" \
	    >"$T/$out.json" 2>"$T/$out.err"
	RC=$?
	set -e
}
verdict() { # the verdict of the first finding named $2
	local v
	v=$(grep -m1 -o "\"check\": \"$2\", \"verdict\": \"[A-Z]*\"" "$T/$1.json" |
	    sed 's/.*"\([A-Z]*\)"$/\1/')
	echo "${v:-none}"
}
expect() { # expect OUT RC CHECK=VERDICT...
	local out=$1 want=$2 kv got; shift 2
	[ "$RC" = "$want" ] || fail "$out: exit $RC, want $want: $(cat "$T/$out.json" "$T/$out.err")"
	for kv in "$@"; do
		got=$(verdict "$out" "${kv%%=*}")
		[ "$got" = "${kv#*=}" ] || fail "$out: ${kv%%=*} is $got, want ${kv#*=}: $(cat "$T/$out.json")"
	done
}
has() { grep -q -- "$2" "$T/$1.json" || fail "$1: no '$2' in $(cat "$T/$1.json")"; }
hasnt() { ! grep -q -- "$2" "$T/$1.json" || fail "$1: '$2' should not be in $(cat "$T/$1.json")"; }

# --- certificates ------------------------------------------------------------
C="$T/tls"
mkdir -p "$C"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=truth CA" \
    -keyout "$C/ca.key" -out "$C/ca.crt" 2>/dev/null
leaf() { # leaf FILE CN KEYOPTS...
	local n=$1 cn=$2; shift 2
	openssl req -new "$@" -nodes -subj "/CN=$cn" -keyout "$C/$n.key" -out "$C/$n.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s\n' "$cn" >"$C/$n.ext"
	openssl x509 -req -in "$C/$n.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial \
	    -days 20 -extfile "$C/$n.ext" -out "$C/$n.crt" 2>/dev/null
}
leaf rsa "$NAME" -newkey rsa:2048
leaf ecdsa "$NAME" -newkey ec -pkeyopt ec_paramgen_curve:P-256
leaf other other.test -newkey rsa:2048
leaf weak "$NAME" -newkey rsa:1024

# --- one nginx, one mistake a port ---------------------------------------------
command -v nginx >/dev/null || fail "nginx is not installed (Debian package nginx-light)"
N="$T/nginx"
mkdir -p "$N/tmp"
CASES="cc e403 e421 e400 vhost strict tls13 ecdsa weak host silent"
UP=$(free_port)  # an upstream that accepts and never answers
srv() { # srv CASE PORT: the server block(s) of one case
	local rsa="ssl_certificate $C/rsa.crt; ssl_certificate_key $C/rsa.key;"
	local ok="location / { return 204; }"
	case $1 in
	cc) echo "server { listen 127.0.0.1:$2 ssl; $rsa ssl_client_certificate $C/ca.crt; ssl_verify_client on; $ok }" ;;
	e403) echo "server { listen 127.0.0.1:$2 ssl; $rsa location / { return 403; } }" ;;
	e421) echo "server { listen 127.0.0.1:$2 ssl; $rsa location / { return 421; } }" ;;
	e400) echo "server { listen 127.0.0.1:$2 ssl; $rsa location / { return 400; } }" ;;
	vhost) echo "server { listen 127.0.0.1:$2 ssl default_server; server_name other.test;
		ssl_certificate $C/other.crt; ssl_certificate_key $C/other.key; $ok }
		server { listen 127.0.0.1:$2 ssl; server_name $NAME; $rsa $ok }" ;;
	strict) echo "server { listen 127.0.0.1:$2 ssl default_server; ssl_reject_handshake on; }
		server { listen 127.0.0.1:$2 ssl; server_name $NAME; $rsa $ok }" ;;
	tls13) echo "server { listen 127.0.0.1:$2 ssl; ssl_protocols TLSv1.3; $rsa $ok }" ;;
	ecdsa) echo "server { listen 127.0.0.1:$2 ssl; ssl_certificate $C/ecdsa.crt; ssl_certificate_key $C/ecdsa.key; $ok }" ;;
	weak) echo "server { listen 127.0.0.1:$2 ssl; ssl_certificate $C/weak.crt; ssl_certificate_key $C/weak.key;
		ssl_ciphers ALL:@SECLEVEL=0; $ok }" ;;
	silent) echo "server { listen 127.0.0.1:$2 ssl; $rsa
		location / { proxy_pass http://127.0.0.1:$UP; proxy_read_timeout 120s; } }" ;;
	host) echo "server { listen 127.0.0.1:$2 ssl; $rsa
		location / { if (\$http_host != \"127.0.0.1:$2\") { return 403; } return 204; } }" ;;
	esac
}
tries=0
while :; do
	: >"$N/sites.conf"
	for c in $CASES; do
		p=$(free_port); eval "P_$c=$p"
		srv "$c" "$p" >>"$N/sites.conf"
	done
	cat >"$N/nginx.conf" <<EOF
daemon off;
master_process off;
pid $N/nginx.pid;
error_log $N/error.log;
events { worker_connections 64; }
http {
	access_log off;
	keepalive_timeout 75s;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	include $N/sites.conf;
}
EOF
	: >"$N/error.log"
	nginx -p "$N" -c "$N/nginx.conf" 2>>"$N/error.log" &
	NGINX_PID=$!
	PIDS="$PIDS $NGINX_PID"
	if wait_for 10 openssl s_client -connect "127.0.0.1:$P_weak" </dev/null; then break; fi
	kill -9 "$NGINX_PID" 2>/dev/null || true
	tries=$((tries + 1))
	grep -q 'Address already in use' "$N/error.log" && [ $tries -lt 5 ] && continue
	fail "nginx did not start: $(cat "$N/error.log")"
done

# 1. A client certificate required: the handshake completes, the request
# gets 400. Every device fails; check used to say "would connect".
ck cc tether "$P_cc" --sni "$NAME"
expect cc 1 handshake=PASS http=FAIL
has cc 'asked for a client certificate'
has cc 'ssl_verify_client off'
hasnt cc 'keepalive_timeout'
ck cc32 esp32-mbedtls "$P_cc" --sni "$NAME"
expect cc32 1 http=FAIL
ok "ssl_verify_client on: FAIL, the client certificate named as the cause"

for e in 403 421 400; do
	eval "p=\$P_e$e"
	ck "e$e" esp8266-bearssl "$p" --sni "$NAME"
	expect "e$e" 1 handshake=PASS http=FAIL
	has "e$e" "answers $e"
done
has e421 'Misdirected Request'
has e403 'Forbidden'
ok "403, 421 and 400 on the device path: FAIL with the cause"

# 2. Another virtual host's certificate for a device without SNI or with
# a name the server does not serve: WARN, the certificate named.
ck vh tether "$P_vhost" --sni "$NAME"
expect vh 0 handshake=PASS sni-none=WARN sni-unknown=WARN
has vh 'another certificate (CN=other.test)'
has vh 'default_server'
ck vhpin tether "$P_vhost" --sni "$NAME" --pin "$(spki_pin "$C/rsa.crt")"
expect vhpin 0 pin=PASS sni-none=WARN
has vhpin 'pin does not match it'
# The device itself by IP, pinned to check.test's key: it gets other.test's.
ck vhip tether "$P_vhost" --pin "$(spki_pin "$C/rsa.crt")"
expect vhip 1 pin=FAIL
ok "a server that needs SNI: what a device without it gets is compared with the pin and the name"

# 3. Right FAIL, right cause. A name refused (alert 112) by IP: an SNI
# finding, no versions/suites FAIL, no "enable TLS 1.2".
ck st tether "$P_strict"
expect st 1 handshake=FAIL versions=none suites=none
has st 'unrecognized_name'
has st 'server_name'
hasnt st 'enable TLS 1.2'
# TLS 1.3 only: versions FAIL, and no suites FAIL.
ck t13 esp8266-axtls "$P_tls13" --sni "$NAME"
expect t13 1 handshake=FAIL versions=FAIL suites=none
has t13 'it takes TLS 1.3 only'
hasnt t13 'offers TLS 1.2 to TLS 1.2'
ck t13m esp32-mbedtls "$P_tls13" --sni "$NAME"
expect t13m 1 versions=FAIL suites=none
has t13m 'esp32-mbedtls offers TLS 1.2;'
ok "alert 112 and TLS 1.3 only: each FAIL from the probe that isolates it"

# DHE suites only (openssl s_server): suites FAIL naming DHE, versions PASS.
DP=$(free_port)
openssl s_server -accept "127.0.0.1:$DP" -cert "$C/rsa.crt" -key "$C/rsa.key" \
    -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 -quiet -www </dev/null >"$T/dhe.log" 2>&1 &
DHE_PID=$!
PIDS="$PIDS $DHE_PID"
wait_for 10 openssl s_client -connect "127.0.0.1:$DP" -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 </dev/null ||
    fail "openssl s_server did not start: $(cat "$T/dhe.log")"
ck dhe tether "$DP" --sni "$NAME"
expect dhe 1 handshake=FAIL versions=PASS suites=FAIL
has dhe 'DHE-RSA-AES128-GCM-SHA256, a DHE suite'
hasnt dhe 'enable TLS 1.2'
kill -TERM "$DHE_PID" 2>/dev/null || true
wait "$DHE_PID" 2>/dev/null || true
ok "DHE-only server: suites FAIL with the DHE suite named, versions PASS"

# A plain-HTTP port, on BearSSL: not TLS, and nothing about versions.
PP=$(free_port)
perl -MIO::Socket::INET -e '$SIG{PIPE} = "IGNORE";
	my $s = IO::Socket::INET->new(Listen => 8, LocalAddr => "127.0.0.1",
	    LocalPort => $ARGV[0], ReuseAddr => 1) or die "listen: $!";
	while (my $c = $s->accept) { sysread($c, my $b, 4096);
	    print $c "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"; close $c }' "$PP" &
PLAIN_PID=$!
PIDS="$PIDS $PLAIN_PID"
wait_for 10 perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or exit 1' "$PP" ||
    fail "the plain-text server did not start"
ck plain tether "$PP" --sni "$NAME"
expect plain 1 handshake=FAIL versions=none suites=none
has plain 'answers in plain text, not TLS'
ok "a plain-HTTP port: handshake FAIL, plain text named, no versions or suites"

# 4. Remedies a profile can use: axTLS and an ECDSA-only server is a key
# FAIL whose fix is an RSA certificate; no fix to axTLS says ECDSA key.
ck ec esp8266-axtls "$P_ecdsa" --sni "$NAME"
expect ec 1 handshake=FAIL key=FAIL suites=none
has ec 'add an RSA 2048 certificate'
ck weak esp8266-axtls "$P_weak" --sni "$NAME"
expect weak 0 key=WARN
has weak 'RSA 1024'
if grep -o '"remedy": "[^"]*"' "$T/ec.json" "$T/weak.json" | grep -q 'ECDSA P-256\|ECDSA key'; then
	fail "an axTLS remedy names an ECDSA key: $(grep -o '"remedy": "[^"]*"' "$T/ec.json" "$T/weak.json")"
fi
ck weakt tether "$P_weak" --sni "$NAME"
has weakt 'RSA 2048 or ECDSA P-256'
ok "remedies fit the profile: an RSA certificate for axTLS, never an ECDSA key"

# The Host header is what the stack sends: libtether its configured host
# and port (not the SNI); the others the name in their URL, also the SNI.
ck host tether "$P_host" --sni "$NAME"
expect host 0 http=PASS
ck host2 esp8266-bearssl "$P_host" --sni "$NAME"
expect host2 1 http=FAIL
ok "Host: libtether sends host:port, the Arduino and ESP-IDF clients their URL's name"

# A server that never answers the POST costs one --timeout, not one a
# profile: the first POST waits it out, the later ones a short grace.
perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 16,
	LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], ReuseAddr => 1) or die "listen: $!";
	my @held; while (my $c = $s->accept) { push @held, $c }' "$UP" &
UP_PID=$!
PIDS="$PIDS $UP_PID"
wait_for 10 perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or exit 1' "$UP" ||
    fail "the silent upstream did not start"
t0=$(date +%s)
ck silent all "$P_silent" --sni "$NAME" --timeout 4
t1=$(date +%s)
[ "$RC" = 1 ] || fail "silent upstream: exit $RC"
[ $((t1 - t0)) -lt 15 ] || fail "silent upstream: --profile all took $((t1 - t0)) s, more than one time-out a profile"
[ "$(grep -c 'no answer to the request within the time-out (--timeout' "$T/silent.json")" = 4 ] ||
    fail "silent upstream: not every profile says what timed out: $(cat "$T/silent.json")"
has silent 'an earlier profile.s POST got no answer either'
echo "# silent upstream, --profile all --timeout 4: $((t1 - t0)) s"
kill -TERM "$UP_PID" 2>/dev/null || true
wait "$UP_PID" 2>/dev/null || true
ok "a POST that is never answered: one shared time-out, and the finding says what timed out"

# 5. --profile all: one verdict a profile, exit 1 when one fails.
ck all all "$P_ecdsa" --sni "$NAME"
[ "$RC" = 1 ] || fail "--profile all with axTLS failing: exit $RC"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
names = [r["profile"] for r in d["reports"]]
assert names == ["tether", "esp8266-bearssl", "esp8266-axtls", "esp32-mbedtls"], names
assert [r["would_connect"] for r in d["reports"]] == [True, True, False, True]
assert d["would_connect"] is False' "$T/all.json" || fail "--profile all JSON: $(cat "$T/all.json")"
set +e
"$TETHER" check "127.0.0.1:$P_vhost" --profile all --sni "$NAME" >"$T/all.txt"; r=$?
set -e
[ "$r" = 0 ] || fail "--profile all, all connect: exit $r"
[ "$(grep -c '^verdict: ' "$T/all.txt")" = 5 ] || fail "--profile all: not one verdict a profile: $(cat "$T/all.txt")"
grep -q '^verdict: 4 of 4 profiles would connect' "$T/all.txt" || fail "--profile all: no summary"
ok "--profile all: one verdict a profile, exit 0 only when every one connects"

# --json when the server cannot be reached: a JSON document, exit 2.
ck down tether "$(free_port)"
[ "$RC" = 2 ] || fail "unreachable: exit $RC"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); assert d["error"] and d["would_connect"] is False' \
    "$T/down.json" || fail "unreachable: no JSON: $(cat "$T/down.json")"
ok "--json on exit 2 prints a JSON document with the error"

# The text report wraps at 100 columns.
set +e
for c in cc strict ecdsa; do eval "p=\$P_$c"; "$TETHER" check "127.0.0.1:$p" --profile esp8266-axtls >>"$T/wide.txt"; done
set -e
long=$(awk 'length > 100' "$T/wide.txt" "$T/all.txt" | head -3)
[ -z "$long" ] || fail "text lines over 100 characters: $long"
grep -q '^      fix:' "$T/wide.txt" || fail "no fix lines in the text: $(cat "$T/wide.txt")"
ok "text report: no line over 100 characters"

kill -TERM "$NGINX_PID" 2>/dev/null || true
wait "$NGINX_PID" 2>/dev/null || true
