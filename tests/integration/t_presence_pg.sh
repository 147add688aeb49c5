# SPDX-License-Identifier: MIT
# Presence across two gateways on one PostgreSQL: a device held on node A
# and another on node B are both online in `tether device list --online`
# and in GET /v1/devices of either node, each with its node; SIGKILL of
# node A takes its device offline within the staleness window (15 s of no
# beat), and B's beat tells it: disconnected, reason "node lost".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pglib.sh"

HOLD="$TETHER_SRC/tests/integration/hold_client.py"
pg_init
pg_start
DB=$(pg_createdb tether)
KEY="$T/registry.key"
"$TETHER" provision --db "$DB" --key-file "$KEY" --count 2 --out "$T/dev" \
    2>"$T/prov.err" || fail "provision: $(cat "$T/prov.err")"
CRED=($(grep -o '"credential": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
ID=($(grep -o '"id": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
"$TETHER" app add reader --db "$DB" --key-file "$KEY" >"$T/app.out" 2>&1 || fail "app add"
TOKEN=$(grep -o 'tta1_[A-Za-z0-9_-]*' "$T/app.out" | head -n 1)
ok "private PostgreSQL on port $PG_PORT, 2 devices, an application"

declare -A NPORT NAPP NPID
# start_node NAME: a gateway named NAME on the shared store
start_node() {
	local tries=0
	while :; do
		NPORT[$1]=$(free_port)
		NAPP[$1]=$(free_port)
		: >"$T/$1.log"
		"$TETHER" serve --listen "127.0.0.1:${NPORT[$1]}" \
		    --app-listen "127.0.0.1:${NAPP[$1]}" --admin-listen off \
		    --db "$DB" --key-file "$KEY" --node "$1" \
		    --state-dir "$T/state-$1" --workers 1 >/dev/null 2>>"$T/$1.log" &
		NPID[$1]=$!
		PIDS="$PIDS ${NPID[$1]}"
		wait_for 20 grep -q 'event=listening' "$T/$1.log" && return 0
		kill -9 "${NPID[$1]}" 2>/dev/null || true
		tries=$((tries + 1))
		grep -qi 'address already in use' "$T/$1.log" && [ $tries -lt 5 ] && continue
		fail "node $1 did not start: $(cat "$T/$1.log")"
	done
}
# hold N NODE CRED: a device connection held open on NODE
hold() {
	python3 "$HOLD" --port "${NPORT[$2]}" --cred "$3" --close "$T/close$1" \
	    >"$T/hold$1.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 10 grep -q "answered 201" "$T/hold$1.out" ||
	    fail "held connection $1 on $2: $(cat "$T/hold$1.out")"
}
online() { "$TETHER" device list --db "$DB" --key-file "$KEY" --online --json; }
# devices NODE: GET /v1/devices?online=1 of that node
devices() {
	curl -sS --max-time 10 -k -H "Authorization: Bearer $TOKEN" \
	    "https://127.0.0.1:${NAPP[$1]}/v1/devices?online=1"
}
both_online() {
	online | jq -e --arg a "${ID[0]}" --arg b "${ID[1]}" \
	    'length == 2 and ([.[] | select(.id == $a)][0].nodes == ["gw-a"]) and
	    ([.[] | select(.id == $b)][0].nodes == ["gw-b"])' >/dev/null
}

start_node gw-a
start_node gw-b
hold 1 gw-a "${CRED[0]}"
hold 2 gw-b "${CRED[1]}"
wait_for 10 both_online || fail "device list --online: $(online)"
for n in gw-a gw-b; do
	devices $n | jq -e --arg a "${ID[0]}" '.count == 2 and
	    ([.devices[] | select(.id == $a)][0].nodes == ["gw-a"])' >/dev/null ||
	    fail "GET /v1/devices on $n: $(devices $n)"
done
ok "a device on node A and one on node B: both online, with their nodes, in the CLI and in either node's API"

kill -9 "${NPID[gw-a]}"
t0=$(date +%s)
gone() { online | jq -e --arg b "${ID[1]}" 'length == 1 and .[0].id == $b' >/dev/null; }
wait_for 25 gone || fail "node A's device still online: $(online)"
t1=$(date +%s)
[ $((t1 - t0)) -le 20 ] || fail "took $((t1 - t0)) s"
lost() {
	"$TETHER" messages --db "$DB" --key-file "$KEY" --events --device "${ID[0]}" |
	    jq -s -e 'any(.[]; .event == "disconnected" and .presence.reason == "node lost" and
	    .presence.node == "gw-a" and .presence.online == false)' >/dev/null
}
wait_for 10 lost || fail "no disconnected (node lost): $("$TETHER" messages --db "$DB" --key-file "$KEY" --events)"
grep -q 'event=nodes_lost' "$T/gw-b.log" || fail "node B did not log nodes_lost"
devices gw-b | jq -e '.count == 1' >/dev/null || fail "node B's API: $(devices gw-b)"
ok "SIGKILL of node A: its device offline in $((t1 - t0)) s (window 15 s), node B told it: disconnected (node lost)"
