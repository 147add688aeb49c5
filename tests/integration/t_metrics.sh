#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The admin listener (docs/metrics.md): GET /metrics in the Prometheus
# text format (every line a valid sample or comment, each family typed),
# counters that follow what happened, /v1/health with the version, and
# no metrics on the devices' or the applications' port.
. "$(dirname "$0")/lib.sh"

provision 1
start_gw
ADMIN="http://127.0.0.1:$ADMIN_PORT"
scrape() { curl -sf "$ADMIN/metrics" >"$T/m" || fail "scrape failed"; }
value() { awk -v k="$1" '$1 == k { print $2 }' "$T/m"; }
family_sum() { awk -v k="$1{" 'index($1, k) == 1 { s += $2 } END { print s + 0 }' "$T/m"; }
# labels NAME LABEL V...: the family has exactly these label values.
labels() {
	local name=$1 label=$2; shift 2
	local got want
	got=$(grep -o "^$name{$label=\"[^\"]*\"}" "$T/m" | sed 's/.*="\(.*\)"}/\1/' | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "$name's $label values: $got, want $want"
	! grep -q "^$name " "$T/m" || fail "$name has an unlabelled series beside its labelled ones"
}

post() {	# SEQ [CREDENTIAL]: the status
	curl -s --cacert "$T/ca.pem" "https://localhost:$PORT/v1/messages" \
	    -H "Authorization: Device ${2:-${CRED[0]}}" -H "X-Tether-Seq: $1" \
	    -d '{"t":1}' -o /dev/null -w '%{http_code}'
}
[ "$(post 1)" = 201 ] && [ "$(post 2)" = 201 ] && [ "$(post 2)" = 200 ] ||
    fail "posts"
[ "$(post 3 tth1_notacredential0000000000000000000)" = 401 ] || fail "a 401"
printf 'GET / HTTP/1.1\nHost: x\n\n' | timeout 5 openssl s_client -quiet \
    -connect "127.0.0.1:$PORT" -CAfile "$T/ca.pem" >/dev/null 2>&1 || true
# Refusals of each kind: a POST without Content-Length (411), a head past
# 8 KiB (431), plain HTTP to the TLS port (a handshake failure, not_tls).
printf 'POST /v1/messages HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 5 openssl s_client -quiet \
    -connect "127.0.0.1:$PORT" -CAfile "$T/ca.pem" >"$T/411" 2>/dev/null || true
grep -q '^HTTP/1.1 411 ' "$T/411" || fail "a POST without Content-Length: $(head -n 1 "$T/411")"
big=$(head -c 9000 /dev/zero | tr '\0' a)
[ "$(curl -s --cacert "$T/ca.pem" -o /dev/null -w '%{http_code}' -H "X-Big: $big" \
    "https://localhost:$PORT/v1/health")" = 431 ] || fail "a 9,000-byte header is not a 431"
curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$PORT/" || true

scrape
curl -sfD "$T/head" -o /dev/null "$ADMIN/metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/head" || fail "content type: $(cat "$T/head")"
# The text format: comments, and name{labels} value.
bad=$(grep -vE '^# (HELP|TYPE) [a-z_:][a-z0-9_:]* .+$|^[a-z_:][a-z0-9_:]*(\{([a-z_]+="[^"]*",?)+\})? [-+0-9.eInf]+$' "$T/m" || true)
[ -z "$bad" ] || fail "lines not in the text format: $bad"
for fam in $(awk '$1 !~ /^#/ { sub(/[{ ].*/, "", $1); sub(/_(bucket|sum|count)$/, "", $1); print $1 }' "$T/m" | sort -u); do
	grep -q "^# TYPE $fam " "$T/m" || fail "no TYPE for $fam"
done
ok "GET /metrics: the Prometheus text format, every family typed"

[ "$(value 'tether_messages_total{outcome="stored"}')" = 2 ] || fail "stored: $(grep messages_total "$T/m")"
[ "$(value 'tether_messages_total{outcome="duplicate"}')" = 1 ] || fail "duplicate"
[ "$(value 'tether_auth_failures_total{client="device"}')" = 1 ] || fail "auth failures"
[ "$(value 'tether_requests_refused_total{status="400"}')" -ge 1 ] || fail "a bare-LF request refused: $(grep requests_refused "$T/m")"
[ "$(value 'tether_requests_refused_total{status="411"}')" = 1 ] || fail "411: $(grep requests_refused "$T/m")"
[ "$(value 'tether_requests_refused_total{status="431"}')" = 1 ] || fail "431: $(grep requests_refused "$T/m")"
labels tether_requests_refused_total status 400 411 413 414 417 431 501 505
[ "$(value 'tether_handshake_failures_total{reason="not_tls"}')" = 1 ] ||
    fail "plain HTTP to the TLS port is not a not_tls failure: $(grep handshake_failures "$T/m")"
labels tether_handshake_failures_total reason not_tls protocol_version no_shared_cipher \
    no_shared_group no_shared_signature client_alert closed timeout other
labels tether_connections_refused_total reason max_connections max_handshakes proxy_header
[ "$(family_sum tether_connections_refused_total)" = 0 ] || fail "connections refused: $(grep connections_refused "$T/m")"
[ "$(value 'tether_handshakes_total{kind="full"}')" -ge 5 ] || fail "handshakes"
[ "$(value tether_connections_accepted_total)" -ge 5 ] || fail "accepted"
[ "$(value tether_store_commit_seconds_count)" -ge 2 ] || fail "commit histogram"
[ "$(value 'tether_store_commit_seconds_bucket{le="+Inf"}')" = "$(value tether_store_commit_seconds_count)" ] ||
    fail "+Inf bucket is not the count"
[ "$(value tether_registry_lookup_seconds_count)" -ge 1 ] || fail "lookup histogram"
[ "$(value tether_store_flush_seconds_count)" -ge 1 ] || fail "flush histogram: $(grep store_flush "$T/m")"
[ "$(value 'tether_store_flush_seconds_bucket{le="+Inf"}')" = "$(value tether_store_flush_seconds_count)" ] ||
    fail "flush +Inf bucket is not the count"
[ "$(value tether_store_healthy)" = 1 ] || fail "store healthy"
version=$("$TETHER" --version | awk '{print $2}')
grep -qx "tether_build_info{version=\"$version\"} 1" "$T/m" || fail "build info is not tether --version's $version"
ok "counters follow: 2 stored, 1 duplicate, 1 device 401, requests refused by status (400, 411, 431), a not_tls handshake failure, handshakes, commit, flush and lookup histograms"

# Resumptions by kind: a session id (tether send, as libtether), then a
# ticket (openssl s_client, TLS 1.2).
printf '%s' "${CRED[0]}" >"$T/cred0"
for i in 1 2; do
	timeout 20 "$TETHER" send "https://127.0.0.1:$PORT" --pin "$PIN" --credential-file "$T/cred0" \
	    --save-session "$T/rtc" --stats "{\"m\":$i}" >"$T/out" 2>&1 || fail "send $i: $(cat "$T/out")"
done
grep -q 'handshake resumed' "$T/out" || fail "the second send did not resume: $(cat "$T/out")"
REQ='GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
for f in -sess_out -sess_in; do
	printf "$REQ" | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 \
	    -servername localhost -ign_eof $f "$T/tk" >"$T/s" 2>/dev/null || true
done
grep -q '^Reused, ' "$T/s" || fail "s_client did not resume its ticket"
scrape
[ "$(value 'tether_handshakes_resumed_total{by="session_id"}')" -ge 1 ] ||
    fail "no resumption by session id counted: $(grep resumed "$T/m")"
[ "$(value 'tether_handshakes_resumed_total{by="ticket"}')" -ge 1 ] ||
    fail "no resumption by ticket counted: $(grep resumed "$T/m")"
[ $(( $(value 'tether_handshakes_resumed_total{by="session_id"}') + $(value 'tether_handshakes_resumed_total{by="ticket"}') )) = \
    "$(value 'tether_handshakes_total{kind="resumed"}')" ] || fail "resumptions by kind do not add up"
[ "$(value tether_session_cache_sessions)" -ge 1 ] || fail "session cache size: $(grep session_cache "$T/m")"
[ "$(value tether_session_cache_bytes)" -gt 0 ] || fail "session cache bytes"
grep -q '^tether_session_share' "$T/m" && fail "session sharing metrics on SQLite (nothing is shared)"
ok "resumptions split by ticket and session id; the session cache's size"

[ "$(curl -s "$ADMIN/v1/health" | jq -r '"\(.status) \(.version)"')" = "ok $version" ] ||
    fail "admin health: $(curl -s "$ADMIN/v1/health")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN/nothing")" = 404 ] || fail "admin 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$ADMIN/metrics")" = 405 ] || fail "admin 405"
[ "$(curl -s --cacert "$T/ca.pem" -o /dev/null -w '%{http_code}' "https://localhost:$PORT/metrics")" = 404 ] ||
    fail "metrics on the devices' port"
[ "$(curl -s --cacert "$T/ca.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$APP_PORT/metrics")" = 404 ] ||
    fail "metrics on the applications' port"
ok "/v1/health with the version; 404 and 405; no /metrics on the other ports"

# A client that sends nothing holds the admin listener 2 s at most.
exec 3<>"/dev/tcp/127.0.0.1/$ADMIN_PORT"
curl -sf --max-time 10 "$ADMIN/metrics" -o /dev/null || fail "a silent client blocked the scrape"
exec 3>&-
ok "a silent client does not block a scrape for long"
stop_gw

# Connections refused by reason, and a handshake timeout: over
# --max-handshakes 2 at accept; on the --proxy-listen port without a
# PROXY header; a handshake begun (one byte of a record) and not finished
# in --handshake-timeout, which a connection that sends nothing is not.
PPORT=$(free_port)
start_gw --max-handshakes 2 --handshake-timeout 3s --proxy-listen "127.0.0.1:$PPORT"
ADMIN="http://127.0.0.1:$ADMIN_PORT"
exec 4<>"/dev/tcp/127.0.0.1/$PORT"
printf '\026' >&4	# a handshake record's first byte, no more
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
held() { scrape; [ "$(value tether_connections_accepted_total)" = 2 ]; }
wait_for 10 held || fail "the two held connections were not accepted: $(grep connections_ "$T/m")"
exec 6<>"/dev/tcp/127.0.0.1/$PORT"
over() { scrape; [ "$(value 'tether_connections_refused_total{reason="max_handshakes"}')" = 1 ]; }
wait_for 10 over || fail "no refusal at --max-handshakes counted: $(grep connections_refused "$T/m")"
exec 6>&-
timed_out() { scrape; [ "$(value 'tether_handshake_failures_total{reason="timeout"}')" = 1 ]; }
wait_for 15 timed_out || fail "no handshake timeout counted: $(grep -E 'handshake_failures|timeouts' "$T/m")"
# (the silent one times out too, and is no handshake failure; both are
# held open until then: one closed first would be a close, not a timeout)
wait_for 15 bash -c "curl -sf '$ADMIN/metrics' | grep -qx 'tether_timeouts_total 2'" ||
    fail "both held connections did not time out: $(curl -sf "$ADMIN/metrics" | grep timeouts)"
exec 4>&- 5>&-
scrape
[ "$(family_sum tether_handshake_failures_total)" = 1 ] || fail "handshake failures: $(grep handshake_failures "$T/m")"
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PPORT; cat >&3; cat <&3" >/dev/null 2>&1 || true
proxied() { scrape; [ "$(value 'tether_connections_refused_total{reason="proxy_header"}')" = 1 ]; }
wait_for 10 proxied || fail "no PROXY-header refusal counted: $(grep connections_refused "$T/m")"
grep -q 'event=proxy_refused' "$T/gw.log" || fail "no proxy_refused line"
[ "$(value 'tether_connections_refused_total{reason="max_connections"}')" = 0 ] || fail "max_connections: $(grep connections_refused "$T/m")"
ok "connections refused by reason (max_handshakes, proxy_header); a handshake timeout counted, a silent connection's not"
stop_gw
