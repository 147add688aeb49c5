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
[ "$(value tether_requests_refused_total)" -ge 1 ] || fail "a bare-LF request refused: $(value tether_requests_refused_total)"
[ "$(value 'tether_handshakes_total{kind="full"}')" -ge 5 ] || fail "handshakes"
[ "$(value tether_connections_accepted_total)" -ge 5 ] || fail "accepted"
[ "$(value tether_store_commit_seconds_count)" -ge 2 ] || fail "commit histogram"
[ "$(value 'tether_store_commit_seconds_bucket{le="+Inf"}')" = "$(value tether_store_commit_seconds_count)" ] ||
    fail "+Inf bucket is not the count"
[ "$(value tether_registry_lookup_seconds_count)" -ge 1 ] || fail "lookup histogram"
[ "$(value tether_store_healthy)" = 1 ] || fail "store healthy"
version=$("$TETHER" --version | awk '{print $2}')
grep -qx "tether_build_info{version=\"$version\"} 1" "$T/m" || fail "build info is not tether --version's $version"
ok "counters follow: 2 stored, 1 duplicate, 1 device 401, refused requests, handshakes, histograms"

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
