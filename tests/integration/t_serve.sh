# SPDX-License-Identifier: MIT
# How an operator configures the gateway: a config file, several listen
# addresses (IPv6 too), their own certificates with --cert/--key, several
# names picked by SNI.
. "$(dirname "$0")/lib.sh"

# Operator certificates: RSA and ECDSA for gw.example, ECDSA for other.example.
mk() { # mk NAME KEYOPTS...: self-signed cert NAME.crt / NAME.key
	local name=$1 cn=$2; shift 2
	openssl req -x509 -newkey "$@" -nodes -keyout "$T/$name.key" -out "$T/$name.crt" \
	    -days 30 -subj "/CN=$cn" -addext "subjectAltName=DNS:$cn" 2>/dev/null
}
mk gw-rsa gw.example rsa:2048
mk gw-ec gw.example ec -pkeyopt ec_paramgen_curve:P-256
mk other other.example ec -pkeyopt ec_paramgen_curve:P-256

P4=$(free_port)
P6=$(free_port)
cat >"$T/serve.conf" <<CONF
# tether serve configuration
listen = 127.0.0.1:$P4
listen [::1]:$P6
cert $T/gw-rsa.crt
key  $T/gw-rsa.key
cert $T/gw-ec.crt
key  $T/gw-ec.key
cert $T/other.crt
key  $T/other.key
profile legacy-esp8266
db $GW_DB
workers 1
CONF
: >"$T/gw.log"
"$TETHER" serve --app-listen off --admin-listen off --config "$T/serve.conf" >"$T/gw.out" 2>"$T/gw.log" &
GW_PID=$!
PIDS="$PIDS $GW_PID"
wait_for 20 grep -q 'event=listening' "$T/gw.log" || fail "gateway did not start from the config file"
grep -q 'profile=legacy-esp8266' "$T/gw.log" || fail "profile from the config file not used"
grep -c 'SPKI SHA-256' "$T/gw.out" | grep -q 3 || fail "pins of the three certificates not printed"
ok "config file: listen, cert/key pairs, profile, db"

PORT=$P4
subject() { echo | timeout 10 openssl s_client -connect "$1" "${@:2}" 2>/dev/null | sed -n 's/^subject=//p'; }
subject "127.0.0.1:$P4" -servername gw.example | grep -q 'CN = gw.example' || fail "SNI gw.example"
subject "127.0.0.1:$P4" -servername other.example | grep -q 'CN = other.example' || fail "SNI other.example"
subject "127.0.0.1:$P4" -servername nobody.example | grep -q 'CN = gw.example' || fail "unknown SNI: not the first certificate"
echo | timeout 10 openssl s_client -connect "127.0.0.1:$P4" -servername gw.example -tls1_2 \
    -cipher AES128-SHA 2>/dev/null | grep -q 'Server public key is 2048 bit' || fail "RSA kx did not get gw.example's RSA cert"
ok "several names by SNI; RSA and ECDSA of one name side by side; unknown name gets the first"

if [ -f /proc/net/if_inet6 ] && grep -q '^0*1 ' /proc/net/if_inet6; then
	code=$(curl -sS -g -k --max-time 5 -o /dev/null -w '%{http_code}' "https://[::1]:$P6/v1/health")
	[ "$code" = 200 ] || fail "IPv6 listener: $code"
	ok "IPv6 listener [::1]"
else
	ok "IPv6 listener skipped: this machine has no ::1"
fi

# The command line overrides the file: --listen replaces the file's list.
stop_gw
P3=$(free_port)
: >"$T/gw.log"	# else the old listening line could answer the wait below
"$TETHER" serve --app-listen off --admin-listen off --config "$T/serve.conf" --listen "127.0.0.1:$P3" --profile modern >"$T/gw.out" 2>"$T/gw.log" &
GW_PID=$!
PIDS="$PIDS $GW_PID"
wait_for 20 grep -q 'event=listening' "$T/gw.log" || fail "gateway did not start"
grep -q "address=127.0.0.1:$P3" "$T/gw.log" || fail "--listen did not replace the file's addresses"
grep -q "address=127.0.0.1:$P4" "$T/gw.log" && fail "the file's address is still used"
grep -q 'profile=modern' "$T/gw.log" || fail "--profile did not override the file"
ok "the command line overrides the config file"
stop_gw

set +e
printf 'listen 127.0.0.1:1\nbogus-option 3\n' >"$T/bad.conf"
"$TETHER" serve --app-listen off --admin-listen off --config "$T/bad.conf" 2>"$T/err"; rc=$?
set -e
[ $rc = 1 ] || fail "bad config file: exit $rc"
grep -q "bad.conf:2: unknown option 'bogus-option'" "$T/err" || fail "bad config message: $(cat "$T/err")"
ok "a bad config file names the file, the line and the option"

# A config file elsewhere, started from another directory: its relative
# paths are the file's; "debug off" is off; a '#' inside a value is kept.
mkdir -p "$T/etc/keys"
cp "$T/gw-ec.crt" "$T/etc/gw.crt"
cp "$T/gw-ec.key" "$T/etc/keys/gw.key"
P5=$(free_port)
cat >"$T/etc/serve.conf" <<CONF
listen 127.0.0.1:$P5	# a comment after a tab
cert gw.crt
key keys/gw.key
db store#1.db
debug off
CONF
: >"$T/gw.log"
(cd / && exec "$TETHER" serve --app-listen off --admin-listen off --config "$T/etc/serve.conf" >"$T/gw.out" 2>"$T/gw.log") &
GW_PID=$!
PIDS="$PIDS $GW_PID"
wait_for 20 grep -q 'event=listening' "$T/gw.log" || fail "gateway did not start: $(cat "$T/gw.log")"
curl -sS -k --max-time 5 -o /dev/null "https://127.0.0.1:$P5/v1/health" || fail "no answer on $P5"
stop_gw
[ -f "$T/etc/store#1.db" ] || fail "db not beside the config file (or cut at '#')"
grep -q 'level=debug' "$T/gw.log" && fail "'debug off' logged debug lines"
ok "config file: paths from its directory, debug off, '#' inside a value"
