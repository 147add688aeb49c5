#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --proxy-listen: the PROXY protocol header (v1 and v2, whole or in
# pieces, with a TLV, the LOCAL command of a health check) gives the
# connection the device's address; bytes that are not a header close the
# connection with a log line; the plain --listen port takes no header.
# (t_multinode runs the shipped deploy/haproxy.cfg with send-proxy-v2.)
. "$(dirname "$0")/lib.sh"

provision 1
PROXY_PORT=$(free_port)
start_gw --proxy-listen "127.0.0.1:$PROXY_PORT" --debug
wait_for 10 grep -q "event=proxy_listening address=127.0.0.1:$PROXY_PORT" "$T/gw.log" ||
    fail "no proxy_listening line"
send() { python3 "$TETHER_SRC/tests/integration/proxy_client.py" "$1" "$T/ca.pem" "${CRED[0]}" "$2" "$3"; }

seq=1
for kind in v1 v1-split v2 v2-split; do
	[ "$(send "$PROXY_PORT" $seq $kind)" = 201 ] || fail "$kind: not stored"
	seq=$((seq + 1))
done
[ "$(grep -c 'event=stored peer=192.0.2.7:40123 ' "$T/gw.log")" = 4 ] ||
    fail "the device's address is not the connection's: $(grep event=stored "$T/gw.log")"
"$TETHER" device show "${ID[0]}" --db "$GW_DB" --json | grep -q '192.0.2.7:40123' ||
    fail "last seen is not the device's address"
ok "PROXY v1 and v2 (whole, in pieces, with a TLV): stored, logged and last seen as 192.0.2.7:40123"

[ "$(send "$PROXY_PORT" $seq v2-local)" = 201 ] || fail "LOCAL: not served"
grep "event=stored" "$T/gw.log" | tail -n 1 | grep -q 'peer=127.0.0.1:' ||
    fail "LOCAL did not keep the balancer's own address"
ok "the LOCAL command (a health check) keeps the connection's own address"

[ "$(send "$PROXY_PORT" 99 garbage)" = closed ] || fail "garbage on the proxied port was served"
wait_for 10 grep -q 'event=proxy_refused' "$T/gw.log" || fail "no proxy_refused line"
[ "$(send "$PORT" 98 v2)" = closed ] || fail "the plain port took a PROXY header"
[ "$(curl -s --cacert "$T/ca.pem" -o /dev/null -w '%{http_code}' "https://localhost:$PROXY_PORT/v1/health")" = 000 ] ||
    fail "the proxied port served a client without a header"
ok "no header on the proxied port, or a header on the plain one: closed, never served"
stop_gw
