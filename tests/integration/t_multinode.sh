# SPDX-License-Identifier: MIT
# Two gateways on one PostgreSQL registry behind real HAProxy, configured
# from deploy/haproxy.cfg: devices get 201 through the proxy on both nodes,
# a revocation through the CLI is refused by both nodes within a second,
# a device's TLS session (a ticket, and a session id as libtether
# resumes) made on one node resumes on the other through HAProxy, a node
# stopped with SIGTERM costs devices nothing, and it serves again once
# restarted; after PostgreSQL restarts, with both nodes marked down
# for their failed commits, devices reach a node again within 10 s with
# nobody touching the gateways (health probes the store).
. "$(dirname "$0")/lib.sh"
command -v haproxy >/dev/null 2>&1 ||
    { echo "SKIP: haproxy is not installed (apt-get install haproxy)"; exit 77; }
. "$(dirname "$0")/pglib.sh"

HP_PID=""
HP2_PID=""
NODE_PID=([1]="" [2]="")
mn_cleanup() {
	for p in "$HP_PID" "$HP2_PID" "${NODE_PID[@]}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	done
	pg_cleanup
}
trap mn_cleanup EXIT

pg_init
pg_start
DB=$(pg_createdb tether)
KEY="$T/registry.key"
ok "private PostgreSQL on port $PG_PORT"

# One ECDSA certificate and key, served by both nodes: a device's pin
# holds whichever node the proxy picks.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/tls.key" -out "$T/tls.crt" -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost 2>"$T/openssl.err" ||
    fail "openssl req: $(cat "$T/openssl.err")"
PIN=$(spki_pin "$T/tls.crt")
PIN_RSA=$PIN
cp "$T/tls.crt" "$T/ca.pem"

"$TETHER" provision --db "$DB" --key-file "$KEY" --count 3 --label-prefix mn \
    --out "$T/dev" 2>"$T/prov.err" || fail "provision: $(cat "$T/prov.err")"
CRED=($(grep -o '"credential": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
ID=($(grep -o '"id": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
[ ${#CRED[@]} -eq 3 ] || fail "manifest has ${#CRED[@]} credentials, want 3"
ok "3 devices provisioned into PostgreSQL"

# start_node N [PORT DIRECT]: gateway N (1 or 2, as in deploy/haproxy.cfg)
# taking HAProxy's PROXY-protocol connections on PORT and devices straight
# on DIRECT (else free ones), the shared database, key file and TLS pair;
# sets NODE_PORT[N], NODE_DIRECT[N], NODE_ADMIN[N] (its metrics),
# NODE_PID[N]. --debug so its log names each message it stored.
start_node() {
	local n=$1 fixed=${2:-} dfixed=${3:-} port dport aport tries=0
	while :; do
		port=${fixed:-$(free_port)}
		dport=${dfixed:-$(free_port)}
		aport=$(free_port)
		: >"$T/node$n.log"
		"$TETHER" serve --app-listen off --admin-listen "127.0.0.1:$aport" \
		    --proxy-listen "127.0.0.1:$port" --listen "127.0.0.1:$dport" \
		    --db "$DB" --key-file "$KEY" \
		    --cert "$T/tls.crt" --key "$T/tls.key" --state-dir "$T/state$n" \
		    --workers 1 --debug >"$T/node$n.out" 2>>"$T/node$n.log" &
		NODE_PID[$n]=$!
		if wait_for 20 grep -q 'event=listening' "$T/node$n.log"; then break; fi
		kill -9 "${NODE_PID[$n]}" 2>/dev/null || true
		tries=$((tries + 1))
		[ -z "$fixed" ] && grep -qi 'address already in use' "$T/node$n.log" &&
		    [ $tries -lt 5 ] && continue
		tail -n 20 "$T/node$n.log" >&2
		fail "node $n did not start"
	done
	NODE_PORT[$n]=$port
	NODE_DIRECT[$n]=$dport
	NODE_ADMIN[$n]=$aport
}

# metric N SERIES: node N's value of SERIES (0 if absent).
metric() {
	curl -s --max-time 5 "http://127.0.0.1:${NODE_ADMIN[$1]}/metrics" |
	    awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }'
}

# stop_node N: SIGTERM and reap_node N.
stop_node() {
	kill -TERM "${NODE_PID[$1]}"
	reap_node "$1"
}

# reap_node N: node N, sent SIGTERM, must exit 0 within 15 s.
reap_node() {
	local n=$1 p=${NODE_PID[$1]} i=150
	while kill -0 "$p" 2>/dev/null && [ $i -gt 0 ]; do sleep 0.1; i=$((i - 1)); done
	kill -0 "$p" 2>/dev/null && fail "node $n did not stop on SIGTERM"
	wait "$p" || fail "node $n exited $? on SIGTERM"
	NODE_PID[$n]=""
}

# post_to PORT CRED BODY: the status of POST /v1/messages sent to PORT
# (a node, or the proxy), pinned to the shared key.
post_to() {
	PORT=$1 post "$2" "$3"
}

stored() { grep -c 'event=stored' "$T/node$1.log" || true; }

start_node 1
start_node 2
ok "two gateways on ports ${NODE_PORT[1]} and ${NODE_PORT[2]}, one database, one key pair"

# HAProxy with the shipped configuration: only the addresses, the log
# target and the limits change; the health check, timeouts and retry
# policy are the file's own. Its checks run every 2 s in the file; 500 ms
# here so the test waits less.
HP_PORT=$(free_port)
sed -e "s|^\tlog /dev/log local0|\tlog stderr format short local0|" \
    -e "s|^\tmaxconn .*|\tmaxconn 256|" \
    -e "s|^\tbind :443|\tbind 127.0.0.1:$HP_PORT|" \
    -e "s|inter 2s|inter 500ms|" \
    -e "s|^\tserver node1 [^ ]*|\tserver node1 127.0.0.1:${NODE_PORT[1]}|" \
    -e "s|^\tserver node2 [^ ]*|\tserver node2 127.0.0.1:${NODE_PORT[2]}|" \
    "$TETHER_SRC/deploy/haproxy.cfg" >"$T/haproxy.cfg"
grep -q "server node1 127.0.0.1:${NODE_PORT[1]} send-proxy-v2 check check-ssl check-send-proxy verify none" "$T/haproxy.cfg" &&
    grep -q "server node2 127.0.0.1:${NODE_PORT[2]} send-proxy-v2 check" "$T/haproxy.cfg" &&
    grep -q "bind 127.0.0.1:$HP_PORT" "$T/haproxy.cfg" ||
    fail "deploy/haproxy.cfg no longer has the lines this test rewrites"
haproxy -c -q -f "$T/haproxy.cfg" >"$T/haproxy.check" 2>&1 ||
    fail "haproxy -c: $(cat "$T/haproxy.check")"
# -db: in the foreground, not forked, so $! is its pid.
haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
HP_PID=$!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$HP_PORT" ||
    { cat "$T/haproxy.log" >&2; fail "HAProxy did not start"; }
# Both nodes pass their health check (HAProxy logs only changes, so a
# node never marked DOWN by then is UP).
sleep 1.5
grep -q 'is DOWN' "$T/haproxy.log" && { cat "$T/haproxy.log" >&2; fail "a healthy node was marked DOWN"; }
ok "HAProxy on port $HP_PORT, from deploy/haproxy.cfg (valid for haproxy -c)"

# Devices through the proxy: every message 201, and both nodes take some.
for i in $(seq 1 10); do
	code=$(post_to "$HP_PORT" "${CRED[$((i % 2))]}" "{\"via\":\"proxy\",\"n\":$i}")
	[ "$code" = 201 ] || fail "message $i through HAProxy: $code (want 201)"
done
[ "$(pg_sql tether "SELECT count(*) FROM messages WHERE kind = 0")" = 10 ] || fail "messages not in PostgreSQL"
s1=$(stored 1); s2=$(stored 2)
[ "$s1" -gt 0 ] && [ "$s2" -gt 0 ] || fail "not balanced: node 1 stored $s1, node 2 $s2"
ok "10 messages through HAProxy: 201 each, pin held on both nodes ($s1 + $s2)"

# The PROXY protocol: the nodes log the device's own address and port,
# not HAProxy's; a connection to the proxied port without the header is
# refused, and the device's last-seen address is its own.
lport=$(PORT=$HP_PORT gw_curl -o /dev/null -w '%{local_port}' -H "Authorization: Device ${CRED[0]}" \
    --data-binary '{"via":"proxy","who":"me"}' "https://localhost:$HP_PORT/v1/messages")
grep -q "event=stored peer=127.0.0.1:$lport " "$T/node1.log" "$T/node2.log" ||
    fail "no node logged the device's port $lport: $(grep event=stored "$T/node1.log" "$T/node2.log" | tail -n 3)"
"$TETHER" device show "${ID[0]}" --db "$DB" --key-file "$KEY" --json >"$T/show.json"
grep -q "127.0.0.1:$lport" "$T/show.json" || fail "last seen is not the device's address: $(cat "$T/show.json")"
code=$(post_to "${NODE_PORT[1]}" "${CRED[0]}" "no header" || true)
[ "$code" = 000 ] || fail "the proxied port answered a device without a PROXY header: $code"
grep -q 'event=proxy_refused' "$T/node1.log" || fail "no proxy_refused line"
ok "PROXY protocol v2: the device's address ($lport) in the log and last seen; no header, no service"

# Resumption across nodes through HAProxy: a device's session made on
# node 1 resumes on node 2 when the proxy sends it there after (deep
# sleep, a node drained). A second HAProxy from the same file, on its own
# port, with one server line "disabled" makes the choice: node 2 off for
# the first connections, then (same port: the device's one address) node
# 1 off for the next. Tickets resume at once (the nodes share the ticket
# keys); a session id once node 2 has read node 1's new sessions from the
# store (about a second; polled, never slept).
# hp2 N: HAProxy on HP2_PORT with only node N enabled.
HP2_PORT=$(free_port)
hp2() {
	local off=$((3 - $1))
	sed -e "s|^\tbind 127.0.0.1:$HP_PORT|\tbind 127.0.0.1:$HP2_PORT|" \
	    -e "/^\tserver node$off /s|\$| disabled|" "$T/haproxy.cfg" >"$T/haproxy-only$1.cfg"
	grep -q "^	server node$off .* disabled$" "$T/haproxy-only$1.cfg" ||
	    fail "could not disable node $off in a copy of deploy/haproxy.cfg"
	haproxy -db -f "$T/haproxy-only$1.cfg" >"$T/haproxy-only$1.log" 2>&1 &
	HP2_PID=$!
	wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$HP2_PORT" ||
	    { cat "$T/haproxy-only$1.log" >&2; fail "HAProxy (node $1 only) did not start"; }
}
hp2_stop() {
	kill -TERM "$HP2_PID"
	local i=100
	while kill -0 "$HP2_PID" 2>/dev/null && [ $i -gt 0 ]; do sleep 0.1; i=$((i - 1)); done
	kill -0 "$HP2_PID" 2>/dev/null && fail "HAProxy (one node) did not stop on SIGTERM"
	wait "$HP2_PID" 2>/dev/null || true
	HP2_PID=""
}
REQ='GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
s_sess() {
	printf "$REQ" | timeout 10 openssl s_client -connect "127.0.0.1:$HP2_PORT" \
	    -servername localhost -ign_eof -CAfile "$T/ca.pem" "$@" 2>/dev/null
}
hp_send() {
	timeout 20 "$TETHER" send "https://127.0.0.1:$HP2_PORT" --pin "$PIN" \
	    --credential-file "$T/cred0" --save-session "$T/mn.rtc" --stats "$1" \
	    >"$T/send.out" 2>"$T/send.err" || fail "tether send through HAProxy: $(cat "$T/send.err")"
}
by() { metric "$1" "tether_handshakes_resumed_total{by=\"$2\"}"; }
printf '%s' "${CRED[0]}" >"$T/cred0"
hp2 1
s1=$(stored 1); s2=$(stored 2); w1=$(metric 1 'tether_session_share_total{event="written"}')
hp_send '{"mv":"to node 1"}'
grep -q 'handshake full' "$T/send.out" || fail "the first send through HAProxy was not a full handshake: $(cat "$T/send.out")"
for v in -tls1_3 -tls1_2; do
	s_sess $v -sess_out "$T/mn$v.tk" >"$T/mn$v.s1" || true
	grep -q '^New, ' "$T/mn$v.s1" || fail "s_client ($v) through HAProxy: no handshake"
	[ -s "$T/mn$v.tk" ] || fail "s_client ($v) kept no session"
done
# (which node: its stored lines; HAProxy's own health checks make and
# resume sessions too, so handshake counts cannot say)
[ "$(stored 1)" = $((s1 + 1)) ] && [ "$(stored 2)" = "$s2" ] ||
    fail "HAProxy with node 2 disabled: stored on node 1 $s1 -> $(stored 1), node 2 $s2 -> $(stored 2)"
# Node 2 holds the send's session once node 1 wrote it (one more: a
# session id; s_client's resume by ticket, which no node stores) and node
# 2 read as many as node 1 ever wrote.
t0=$(date +%s%N)
shared() {
	local w; w=$(metric 1 'tether_session_share_total{event="written"}')
	[ "$w" -ge $((w1 + 1)) ] && [ "$(metric 2 'tether_session_share_total{event="read"}')" -ge "$w" ]
}
wait_for 15 shared || fail "node 2 did not take in node 1's sessions within 15 s (node 1 wrote \
$(metric 1 'tether_session_share_total{event="written"}'), node 2 read $(metric 2 'tether_session_share_total{event="read"}'))"
lag_ms=$((($(date +%s%N) - t0) / 1000000))
hp2_stop
hp2 2
r_id=$(by 2 session_id); r_tk=$(by 2 ticket); s1=$(stored 1); s2=$(stored 2)
hp_send '{"mv":"to node 2"}'
grep -q '^message 1 of 1: stored (201), handshake resumed ' "$T/send.out" ||
    fail "a session id made on node 1 did not resume on node 2 through HAProxy: $(cat "$T/send.out")"
for v in -tls1_3 -tls1_2; do
	s_sess $v -sess_in "$T/mn$v.tk" >"$T/mn$v.s2" || true
	grep -q '^Reused, ' "$T/mn$v.s2" ||
	    fail "a ticket ($v) node 1 issued did not resume on node 2 through HAProxy: $(grep -E '^(New|Reused)' "$T/mn$v.s2")"
done
[ "$(stored 2)" = $((s2 + 1)) ] && [ "$(stored 1)" = "$s1" ] ||
    fail "HAProxy with node 1 disabled: stored on node 1 $s1 -> $(stored 1), node 2 $s2 -> $(stored 2)"
[ "$(by 2 session_id)" -ge $((r_id + 1)) ] && [ "$(by 2 ticket)" -ge $((r_tk + 2)) ] ||
    fail "node 2 resumed by session id $r_id -> $(by 2 session_id), by ticket $r_tk -> $(by 2 ticket)"
hp2_stop
ok "through HAProxy, node 1 then node 2: a session id and two tickets (TLS 1.3, 1.2) made on node 1 resume on node 2 (it had them ${lag_ms} ms after node 1 wrote them)"

# A revocation through the CLI: both nodes refuse the device within 1 s.
"$TETHER" device revoke "${ID[1]}" --db "$DB" --key-file "$KEY" 2>"$T/rev.err" ||
    fail "revoke: $(cat "$T/rev.err")"
# A message that reaches a node before the change does is stored (201).
start=$(date +%s%N)
early=0
for n in 1 2; do
	deadline=$((start + 3000000000))
	while :; do
		code=$(post_to "${NODE_DIRECT[$n]}" "${CRED[1]}" "after revoke")
		[ "$code" = 401 ] && break
		[ "$code" = 201 ] || fail "node $n answered $code to a revoked device"
		early=$((early + 1))
		[ "$(date +%s%N)" -lt $deadline ] || fail "node $n still accepts the revoked device after 3 s"
		sleep 0.05
	done
done
el=$((($(date +%s%N) - start) / 1000000))
[ $el -le 1000 ] || fail "revocation seen by both nodes after ${el} ms (want ≤ 1 s)"
[ "$(post_to "$HP_PORT" "${CRED[0]}" still-here)" = 201 ] || fail "other device refused after the revocation"
ok "a revocation through the CLI is refused by both nodes within ${el} ms"

# Node 0 stops (SIGTERM) while devices keep sending through the proxy:
# every message still gets 201 (a refused connection is retried on the
# other node), and the health check marks the node down.
kill -TERM "${NODE_PID[1]}"
for i in $(seq 1 20); do
	code=$(post_to "$HP_PORT" "${CRED[0]}" "{\"during\":$i}")
	[ "$code" = 201 ] || { cat "$T/haproxy.log" >&2; fail "message $i while node 1 stops: $code (want 201)"; }
	sleep 0.1
done
reap_node 1
wait_for 10 grep -q 'Server tether/node1 is DOWN' "$T/haproxy.log" ||
    { cat "$T/haproxy.log" >&2; fail "HAProxy did not mark the stopped node DOWN"; }
before=$(stored 2)
for i in $(seq 1 10); do
	code=$(post_to "$HP_PORT" "${CRED[$(((i % 2) * 2))]}" "{\"down\":$i}")
	[ "$code" = 201 ] || fail "message $i with node 1 down: $code (want 201)"
done
[ $(($(stored 2) - before)) = 10 ] || fail "node 2 did not take the messages while node 1 was down"
ok "node 1 stopped: 30 messages through HAProxy, 201 each; HAProxy marked it DOWN"

# Node 0 back on its port: HAProxy marks it up and sends it devices again.
start_node 1 "${NODE_PORT[1]}" "${NODE_DIRECT[1]}"
wait_for 10 grep -q 'Server tether/node1 is UP' "$T/haproxy.log" ||
    { cat "$T/haproxy.log" >&2; fail "HAProxy did not mark the restarted node UP"; }
for i in $(seq 1 10); do
	code=$(post_to "$HP_PORT" "${CRED[2]}" "{\"back\":$i}")
	[ "$code" = 201 ] || fail "message $i after node 1 restarted: $code (want 201)"
done
[ "$(stored 1)" -gt 0 ] || fail "the restarted node took no messages through HAProxy"
[ "$(post_to "${NODE_DIRECT[1]}" "${CRED[1]}" "revoked still")" = 401 ] ||
    fail "the restarted node accepts the revoked device"
want=$((10 + 1 + 2 + early + 1 + 30 + 10))	# + the PROXY protocol check's, the two moved sends
[ "$(pg_sql tether "SELECT count(*) FROM messages WHERE kind = 0")" = $want ] ||
    fail "PostgreSQL holds $(pg_sql tether "SELECT count(*) FROM messages WHERE kind = 0") messages, want $want"
ok "node 1 restarted: HAProxy marked it UP, it stores $(stored 1) of 10 messages; $want stored in all"

# PostgreSQL stops: a device's messages fail (503), each node's health
# turns 503 and HAProxy marks both down. PostgreSQL comes back on its
# port: each node's health probes the store and HAProxy sends devices
# again within 10 s, though no message reached a node meanwhile.
downs() { grep -c "Server tether/node$1 is DOWN" "$T/haproxy.log" || true; }
down1=$(downs 1); down2=$(downs 2)
pg_stop
for n in 1 2; do
	# Device 2 is in both nodes' caches: no lookup, a failed commit.
	code=$(post_to "${NODE_DIRECT[$n]}" "${CRED[2]}" "{\"outage\":$n}")
	[ "$code" = 503 ] || fail "node $n with PostgreSQL stopped: $code (want 503)"
done
both_down() { [ "$(downs 1)" -gt "$down1" ] && [ "$(downs 2)" -gt "$down2" ]; }
wait_for 10 both_down ||
    { cat "$T/haproxy.log" >&2; fail "HAProxy did not mark both nodes DOWN"; }
pg_start "$PG_PORT"
start=$(date +%s%N)
proxy_stores() { [ "$(post_to "$HP_PORT" "${CRED[0]}" '{"after":"outage"}')" = 201 ]; }
wait_for 10 proxy_stores ||
    { cat "$T/haproxy.log" >&2; fail "devices refused 10 s after PostgreSQL came back"; }
el=$((($(date +%s%N) - start) / 1000000))
grep -q 'event=store_recovered' "$T/node1.log" "$T/node2.log" ||
    fail "no store_recovered line"
ok "PostgreSQL restarted: devices reach a node through HAProxy after ${el} ms"

kill -TERM "$HP_PID"
n=100
while kill -0 "$HP_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
kill -0 "$HP_PID" 2>/dev/null && fail "HAProxy did not stop on SIGTERM"
HP_PID=""
stop_node 1
stop_node 2
pg_stop
