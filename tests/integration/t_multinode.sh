# SPDX-License-Identifier: MIT
# Two gateways on one PostgreSQL registry behind real HAProxy, configured
# from deploy/haproxy.cfg: devices get 201 through the proxy on both nodes,
# a revocation through the CLI is refused by both nodes within a second,
# a node stopped with SIGTERM costs devices nothing, and it serves again
# once restarted; after PostgreSQL restarts, with both nodes marked down
# for their failed commits, devices reach a node again within 10 s with
# nobody touching the gateways (health probes the store).
. "$(dirname "$0")/lib.sh"
command -v haproxy >/dev/null 2>&1 ||
    { echo "SKIP: haproxy is not installed (apt-get install haproxy)"; exit 77; }
. "$(dirname "$0")/pglib.sh"

HP_PID=""
NODE_PID=([1]="" [2]="")
mn_cleanup() {
	for p in "$HP_PID" "${NODE_PID[@]}"; do
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
# sets NODE_PORT[N], NODE_DIRECT[N], NODE_PID[N]. --debug so its log
# names each message it stored.
start_node() {
	local n=$1 fixed=${2:-} dfixed=${3:-} port dport tries=0
	while :; do
		port=${fixed:-$(free_port)}
		dport=${dfixed:-$(free_port)}
		: >"$T/node$n.log"
		"$TETHER" serve --app-listen off --admin-listen off \
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
want=$((10 + 1 + early + 1 + 30 + 10))	# + the PROXY protocol check's
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
