# SPDX-License-Identifier: MIT
# Reading without skipping on PostgreSQL, where ids from a sequence commit
# out of order: a transaction holding a lower id keeps readers from
# passing it (a reader taking id > cursor would skip it); then two
# gateways on one database take messages from concurrent devices while
# four readers poll (the CLI, --follow, an SSE stream on one node's
# application API, the docs' consumer long-polling the other's), and each
# reader sees every message exactly once; and a command queued on one node
# reaches a device on the other.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pglib.sh"

NODE_PID=([1]="" [2]="")
APP_PORT_OF=([1]="" [2]="")
HOLD_PID=""
rd_cleanup() {
	for p in "$HOLD_PID" "${NODE_PID[@]}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	done
	pg_cleanup
}
trap rd_cleanup EXIT

pg_init
pg_start
DB=$(pg_createdb tether)
KEY="$T/registry.key"
msgs() { "$TETHER" messages --db "$DB" --key-file "$KEY" "$@"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/tls.key" -out "$T/tls.crt" -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost 2>"$T/openssl.err" ||
    fail "openssl req: $(cat "$T/openssl.err")"
"$TETHER" provision --db "$DB" --key-file "$KEY" --count 4 --out "$T/dev" \
    2>"$T/prov.err" || fail "provision: $(cat "$T/prov.err")"
TOKEN=$("$TETHER" app add reader --db "$DB" --key-file "$KEY" 2>/dev/null) ||
    fail "app add on PostgreSQL"
CRED=($(grep -o '"credential": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
ID=($(grep -o '"id": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))

# start_node N: gateway N on a free port; sets NODE_PORT[N], NODE_PID[N].
start_node() {
	local n=$1 port aport tries=0
	while :; do
		port=$(free_port)
		aport=$(free_port)
		: >"$T/node$n.log"
		"$TETHER" serve --app-listen "127.0.0.1:$aport" --admin-listen off \
		    --listen "127.0.0.1:$port" --db "$DB" --key-file "$KEY" \
		    --cert "$T/tls.crt" --key "$T/tls.key" --state-dir "$T/state$n" \
		    --workers 1 >"$T/node$n.out" 2>>"$T/node$n.log" &
		NODE_PID[$n]=$!
		if wait_for 20 grep -q 'event=listening' "$T/node$n.log"; then break; fi
		kill -9 "${NODE_PID[$n]}" 2>/dev/null || true
		tries=$((tries + 1))
		grep -q 'Address already in use' "$T/node$n.log" && [ $tries -lt 5 ] && continue
		fail "node $n did not start: $(tail -n 5 "$T/node$n.log")"
	done
	NODE_PORT[$n]=$port
	APP_PORT_OF[$n]=$aport
}
# send NODE CRED BODY SEQ: prints the status code.
send() {
	curl -sS --max-time 10 --cacert "$T/tls.crt" -o /dev/null -w '%{http_code}' \
	    --resolve "localhost:${NODE_PORT[$1]}:127.0.0.1" -H "Authorization: Device $2" \
	    -H "X-Tether-Seq: $4" --data-binary "$3" "https://localhost:${NODE_PORT[$1]}/v1/messages"
}
start_node 1
start_node 2
ok "two gateways on one PostgreSQL (port $PG_PORT)"

[ "$(send 1 "${CRED[0]}" '{"n":0}' 1)" = 201 ] || fail "first message"
C0=$(msgs | tail -n 1 | jq -r .cursor)
[ -n "$C0" ] || fail "no cursor"

# ---- a lower id still uncommitted ----
mkfifo "$T/hold"
"$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres -d tether \
    <"$T/hold" >"$T/hold.out" 2>&1 &
HOLD_PID=$!
exec 7>"$T/hold"
echo "BEGIN; INSERT INTO messages (device_id, seq, received_at, body) VALUES
    ('${ID[1]}', 1, 0, convert_to('\"held\"', 'UTF8')) RETURNING id;" >&7
wait_for 10 grep -qE '^[0-9]+$' "$T/hold.out" || fail "held insert: $(cat "$T/hold.out")"
HELD=$(grep -E '^[0-9]+$' "$T/hold.out")
[ "$(send 2 "${CRED[2]}" '"later"' 1)" = 201 ] || fail "message after the held one"
LATER=$(pg_sql tether "SELECT max(id) FROM messages")
[ "$LATER" -gt "$HELD" ] || fail "the later message's id $LATER is not above $HELD"
[ "$(msgs --after "$C0" | wc -l)" = 0 ] ||
    fail "a reader passed an open transaction: $(msgs --after "$C0")"
api_count=$(curl -s --cacert "$T/tls.crt" --resolve "localhost:${APP_PORT_OF[1]}:127.0.0.1" \
    -H "Authorization: Bearer $TOKEN" \
    "https://localhost:${APP_PORT_OF[1]}/v1/messages?after=$C0" | tail -n 1 | jq -r .count)
[ "$api_count" = 0 ] || fail "GET /v1/messages passed an open transaction: count $api_count"
echo "COMMIT;" >&7
exec 7>&-
wait "$HOLD_PID" || fail "psql exited $?"
HOLD_PID=""
[ "$(msgs --after "$C0" | jq -r .id | tr '\n' ' ')" = "$HELD $LATER " ] ||
    fail "after the commit: $(msgs --after "$C0")"
ok "a committed id $LATER is not read while id $HELD is still open; then both, in order"

# ---- two nodes, concurrent devices, two readers ----
C1=$(msgs | tail -n 1 | jq -r .cursor)
PER=40
"$TETHER" messages --db "$DB" --key-file "$KEY" --follow --after "$C1" >"$T/follow" 2>"$T/follow.err" &
FPID=$!
PIDS="$PIDS $FPID"
poll() {	# a reader that starts a new process for each poll
	local c=$C1 out
	: >"$T/polled"
	for _ in $(seq 1 600); do
		out=$(msgs --after "$c") || return 1
		if [ -n "$out" ]; then
			echo "$out" >>"$T/polled"
			c=$(echo "$out" | tail -n 1 | jq -r .cursor)
		fi
		[ "$(wc -l <"$T/polled")" -ge $((4 * PER)) ] && return 0
	done
	return 1
}
poll &
POLL=$!
PIDS="$PIDS $POLL"
curl -sN --cacert "$T/tls.crt" --resolve "localhost:${APP_PORT_OF[1]}:127.0.0.1" \
    -H "Authorization: Bearer $TOKEN" \
    "https://localhost:${APP_PORT_OF[1]}/v1/messages/stream?after=$C1" >"$T/sse" &
SSE=$!
PIDS="$PIDS $SSE"
printf '%s' "$C1" >"$T/cursor"
TETHER_APP_URL="https://localhost:${APP_PORT_OF[2]}" TETHER_APP_TOKEN=$TOKEN \
    TETHER_CA="$T/tls.crt" TETHER_CURSOR_FILE="$T/cursor" \
    python3 "$TETHER_SRC/examples/app/consume.py" >"$T/consumed" 2>"$T/consume.err" &
CONSUME=$!
PIDS="$PIDS $CONSUME"
pids=""
for d in 0 1 2 3; do
	(
		node=$((d % 2 + 1))
		for i in $(seq 1 $PER); do
			r=$(send $node "${CRED[$d]}" "{\"d\":$d,\"i\":$i}" $((100 + i)))
			[ "$r" = 201 ] || { echo "device $d message $i: $r" >&2; exit 1; }
		done
	) &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a device was refused"; done
ok "4 devices sent $PER messages each through two nodes at once"

wait "$POLL" || fail "the polling reader did not get $((4 * PER)) messages: $(wc -l <"$T/polled")"
wait_for 20 sh -c "[ \$(wc -l <'$T/follow') -ge $((4 * PER)) ]" ||
    fail "--follow got $(wc -l <"$T/follow") of $((4 * PER))"
kill -TERM "$FPID"; wait "$FPID" || true
wait_for 20 sh -c "[ \$(grep -c '^event: message' '$T/sse') -ge $((4 * PER)) ]" ||
    fail "the SSE stream got $(grep -c '^event: message' "$T/sse") of $((4 * PER))"
wait_for 20 sh -c "[ \$(wc -l <'$T/consumed') -ge $((4 * PER)) ]" ||
    fail "consume.py got $(wc -l <"$T/consumed") of $((4 * PER)): $(cat "$T/consume.err")"
kill "$SSE" "$CONSUME" 2>/dev/null || true
# messages' events alone (presence events have names of their own)
awk '/^event: /{m = ($2 == "message"); next} /^data: / && m {print substr($0, 7)}' \
    "$T/sse" >"$T/stream"
pg_sql tether "SELECT id FROM messages WHERE seq > 100 ORDER BY id" >"$T/want"
[ "$(wc -l <"$T/want")" = $((4 * PER)) ] || fail "stored $(wc -l <"$T/want")"
[ "$(sort -u "$T/consumed" | wc -l)" = $((4 * PER)) ] &&
    [ "$(wc -l <"$T/consumed")" = $((4 * PER)) ] ||
    fail "consume.py: not each message once ($(wc -l <"$T/consumed") lines)"
for r in follow polled stream; do
	jq -r .id "$T/$r" | sort -n >"$T/$r.ids"
	[ "$(sort -u "$T/$r.ids" | wc -l)" = "$(wc -l <"$T/$r.ids")" ] || fail "$r: a message twice"
	cmp -s "$T/$r.ids" "$T/want" || fail "$r: not every message: $(diff "$T/$r.ids" "$T/want" | head)"
done
ok "all four readers saw each of the $((4 * PER)) messages exactly once (CLI, --follow, SSE on node 1, long polls on node 2)"

# ---- commands across nodes: queued on node 1's API, delivered by node 2 ----
CTL=$("$TETHER" app add ctl --scope read,command --db "$DB" --key-file "$KEY" 2>/dev/null) ||
    fail "app add ctl"
api1() {	# METHOD PATH [curl args]: body to stdout, against node 1's API
	local m=$1 p=$2; shift 2
	curl -sS --max-time 10 --cacert "$T/tls.crt" -X "$m" \
	    --resolve "localhost:${APP_PORT_OF[1]}:127.0.0.1" \
	    -H "Authorization: Bearer $CTL" "$@" "https://localhost:${APP_PORT_OF[1]}$p"
}
cmd2() {	# SEQ [curl args]: POST as device 3 to node 2; headers in $T/ch, body $T/cb
	local seq=$1; shift
	curl -sS --max-time 10 --cacert "$T/tls.crt" -D "$T/ch" -o "$T/cb" -w '%{http_code}' \
	    --resolve "localhost:${NODE_PORT[2]}:127.0.0.1" -H "Authorization: Device ${CRED[3]}" \
	    -H "X-Tether-Seq: $seq" -H "X-Tether-Commands: 256" "$@" --data-binary x \
	    "https://localhost:${NODE_PORT[2]}/v1/messages"
}
CID=$(api1 POST "/v1/devices/${ID[3]}/commands" --data-binary 'open valve' | jq -r .id)
[ -n "$CID" ] && [ "$CID" != null ] || fail "queue on node 1"
[ "$(cmd2 500)" = 201 ] || fail "device on node 2: $(cat "$T/cb")"
grep -qi "^X-Tether-Command: $CID" "$T/ch" && [ "$(cat "$T/cb")" = "open valve" ] ||
    fail "node 2 did not deliver node 1's command: $(cat "$T/ch")"
[ "$(cmd2 501 -H "X-Tether-Command-Ack: $CID")" = 201 ] || fail "ack on node 2"
! grep -qi '^X-Tether-Command:' "$T/ch" || fail "delivered again after the ack"
[ "$(api1 GET "/v1/commands/$CID" | jq -r .state)" = acknowledged ] ||
    fail "node 1 does not see the ack: $(api1 GET "/v1/commands/$CID")"
"$TETHER" device commands "${ID[3]}" --db "$DB" --key-file "$KEY" --json |
    jq -e ".[] | select(.id == $CID and .state == \"acknowledged\" and .attempts == 1)" >/dev/null ||
    fail "CLI on PostgreSQL"
ok "a command queued through node 1 is delivered and acknowledged through node 2 (shared store)"
