# SPDX-License-Identifier: MIT
# tether check --ca: an esp32-mbedtls device that holds a CA verifies the
# chain, and check lets mbedTLS (Debian's 2.28, set up as esp-tls sets it
# up) verify it the same way. One nginx, a server a chain: complete (PASS),
# no intermediate, a SHA-1 leaf, an RSA-1024 leaf, a name only in an IP
# SAN; every one of the four passed check before, and fails an ESP32.
. "$(dirname "$0")/lib.sh"

NAME=check.test
C="$T/tls"
mkdir -p "$C"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ca root" \
    -keyout "$C/root.key" -out "$C/root.crt" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=ca intermediate" \
    -keyout "$C/int.key" -out "$C/int.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$C/int.ext"
openssl x509 -req -in "$C/int.csr" -CA "$C/root.crt" -CAkey "$C/root.key" -CAcreateserial \
    -days 30 -extfile "$C/int.ext" -out "$C/int.crt" 2>/dev/null
leaf() { # leaf FILE SAN MD KEYOPTS...: a leaf signed by the intermediate
	local n=$1 san=$2 md=$3; shift 3
	openssl req -new "$@" -nodes -subj "/CN=leaf $n" -keyout "$C/$n.key" -out "$C/$n.csr" 2>/dev/null
	printf 'subjectAltName=%s\n' "$san" >"$C/$n.ext"
	openssl x509 -req -in "$C/$n.csr" -CA "$C/int.crt" -CAkey "$C/int.key" -CAcreateserial \
	    "-$md" -days 20 -extfile "$C/$n.ext" -out "$C/$n.crt" 2>/dev/null
	cat "$C/$n.crt" "$C/int.crt" >"$C/$n-chain.pem"
}
leaf good "DNS:$NAME" sha256 -newkey rsa:2048
leaf sha1 "DNS:$NAME" sha1 -newkey rsa:2048
leaf weak "DNS:$NAME" sha256 -newkey rsa:1024
leaf ip "IP:127.0.0.1" sha256 -newkey rsa:2048
cp "$C/good.crt" "$C/alone-chain.pem"; cp "$C/good.key" "$C/alone.key"

command -v nginx >/dev/null || fail "nginx is not installed (Debian package nginx-light)"
N="$T/nginx"
mkdir -p "$N/tmp"
CASES="good alone sha1 weak ip"
tries=0
while :; do
	: >"$N/sites.conf"
	for c in $CASES; do
		p=$(free_port); eval "P_$c=$p"
		echo "server { listen 127.0.0.1:$p ssl; ssl_certificate $C/$c-chain.pem;
			ssl_certificate_key $C/$c.key; ssl_ciphers ALL:@SECLEVEL=0;
			location / { return 204; } }" >>"$N/sites.conf"
	done
	cat >"$N/nginx.conf" <<EOC
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
	include $N/sites.conf;
}
EOC
	: >"$N/error.log"
	nginx -p "$N" -c "$N/nginx.conf" 2>>"$N/error.log" &
	NGINX_PID=$!
	PIDS="$PIDS $NGINX_PID"
	if wait_for 10 openssl s_client -connect "127.0.0.1:$P_ip" </dev/null; then break; fi
	kill -9 "$NGINX_PID" 2>/dev/null || true
	tries=$((tries + 1))
	grep -q 'Address already in use' "$N/error.log" && [ $tries -lt 5 ] && continue
	fail "nginx did not start: $(cat "$N/error.log")"
done

ck() { # ck OUT PORT [options...]
	local out=$1 port=$2; shift 2
	set +e
	"$TETHER" check "127.0.0.1:$port" --profile esp32-mbedtls --ca "$C/root.crt" \
	    --json --timeout 5 "$@" >"$T/$out.json" 2>"$T/$out.err"
	RC=$?
	set -e
}
ca_is() { # ca_is OUT RC VERDICT TEXT
	[ "$RC" = "$2" ] || fail "$1: exit $RC, want $2: $(cat "$T/$1.json" "$T/$1.err")"
	grep -q "\"check\": \"ca\", \"verdict\": \"$3\"" "$T/$1.json" ||
	    fail "$1: ca is not $3: $(cat "$T/$1.json")"
	grep -q -- "$4" "$T/$1.json" || fail "$1: no '$4': $(cat "$T/$1.json")"
}

ck good "$P_good" --sni "$NAME"
ca_is good 0 PASS 'verifies the chain against --ca'
ck alone "$P_alone" --sni "$NAME"
ca_is alone 1 FAIL 'send the intermediate certificates'
ck sha1 "$P_sha1" --sni "$NAME"
ca_is sha1 1 FAIL 'signed with SHA-256'
ck weak "$P_weak" --sni "$NAME"
ca_is weak 1 FAIL 'RSA keys under 2048 bits'
ck ip "$P_ip"
ca_is ip 1 FAIL 'never IP SANs'
ok "esp32-mbedtls --ca: mbedTLS verifies as the device does; incomplete chain, SHA-1, RSA-1024, IP SAN fail"

# The tether profile with --ca: libtether with trust anchors, BearSSL's
# br_x509_minimal as lib/anchor.c sets it up. A complete chain passes; no
# intermediate fails as TETHER_E_UNKNOWN_ISSUER; a name only in an IP SAN
# fails (BearSSL matches DNS names only); a SHA-1 leaf and an RSA-1024
# leaf pass, as they do on the device (BearSSL takes SHA-1 signatures and
# RSA keys from 1024 bits, which mbedTLS's default profile refuses).
ckt() { # ckt OUT PORT [options...]
	local out=$1 port=$2; shift 2
	set +e
	"$TETHER" check "127.0.0.1:$port" --profile tether --ca "$C/root.crt" \
	    --json --timeout 5 "$@" >"$T/$out.json" 2>"$T/$out.err"
	RC=$?
	set -e
}
ckt t-good "$P_good" --sni "$NAME"
ca_is t-good 0 PASS 'libtether with trust anchors (BearSSL'"'"'s br_x509_minimal) verifies the chain'
ckt t-alone "$P_alone" --sni "$NAME"
ca_is t-alone 1 FAIL 'TETHER_E_UNKNOWN_ISSUER'
grep -q 'send the intermediate certificates' "$T/t-alone.json" || fail "t-alone: no fix: $(cat "$T/t-alone.json")"
ckt t-ip "$P_ip"
ca_is t-ip 1 FAIL 'TETHER_E_NAME_MISMATCH'
grep -q 'BearSSL matches DNS names only' "$T/t-ip.json" || fail "t-ip: no fix: $(cat "$T/t-ip.json")"
ckt t-sha1 "$P_sha1" --sni "$NAME"
ca_is t-sha1 0 PASS 'verifies the chain'
ckt t-weak "$P_weak" --sni "$NAME"
ca_is t-weak 0 PASS 'verifies the chain'
ok "tether --ca: BearSSL verifies as libtether with trust anchors does; no intermediate and an IP-only name fail, SHA-1 and RSA-1024 pass"

# Without --ca the chain is not verified, and the report says so.
set +e
"$TETHER" check "127.0.0.1:$P_alone" --profile esp32-mbedtls --sni "$NAME" --json >"$T/noca.json"; r=$?
"$TETHER" check "127.0.0.1:$P_alone" --profile esp32-mbedtls --ca "$T/nope.pem" 2>"$T/badca.err"; r2=$?
set -e
[ "$r" = 0 ] || fail "without --ca: exit $r"
grep -q 'not verified: give --ca FILE' "$T/noca.json" || fail "without --ca: $(cat "$T/noca.json")"
[ "$r2" = 2 ] && grep -q "error: --ca '$T/nope.pem' cannot be read" "$T/badca.err" ||
    fail "unreadable --ca: exit $r2: $(cat "$T/badca.err")"
ok "without --ca the chain is said to be unverified; an unreadable --ca is a usage error"

kill -TERM "$NGINX_PID" 2>/dev/null || true
wait "$NGINX_PID" 2>/dev/null || true
