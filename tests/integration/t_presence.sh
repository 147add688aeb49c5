# SPDX-License-Identifier: MIT
# Presence on a real gateway (SQLite): a device holding a keep-alive
# connection is in `tether device list --online` and GET /v1/devices;
# its close is a disconnected event (reason closed) in `tether messages
# --events`, the SSE stream and a webhook forwarder; the idle timeout and
# a revocation give their own reasons; after SIGKILL of the gateway and a
# restart the device is offline and an event says why (gateway
# restarted); a SIGTERM stop says "shutdown".
. "$(dirname "$0")/lib.sh"

HOLD="$TETHER_SRC/tests/integration/hold_client.py"
RECV="$TETHER_SRC/tests/integration/fwd_receiver.py"
msgs() { "$TETHER" messages --db "$GW_DB" --events "$@"; }
online() { "$TETHER" device list --db "$GW_DB" --online "$@"; }
# has_event DEVICE EVENT REASON: `tether messages --events` has it
has_event() {
	msgs | jq -s -e --arg d "$1" --arg e "$2" --arg r "$3" \
	    'any(.[]; .device == $d and .event == $e and
	    ($r == "" or .presence.reason == $r))' >/dev/null
}
# hold N CRED: device connection N, kept open; HOLD_PID[N]
declare -A HOLD_PID
hold() {
	rm -f "$T/close$1"
	python3 "$HOLD" --port "$PORT" --cred "$2" --close "$T/close$1" \
	    >"$T/hold$1.out" 2>&1 &
	HOLD_PID[$1]=$!
	PIDS="$PIDS ${HOLD_PID[$1]}"
	wait_for 10 grep -q "answered 201" "$T/hold$1.out" ||
	    fail "held connection $1: $(cat "$T/hold$1.out")"
}
release() { touch "$T/close$1"; wait "${HOLD_PID[$1]}" || fail "hold $1: $(cat "$T/hold$1.out")"; }

"$TETHER" app add reader --db "$GW_DB" >"$T/app.out" 2>"$T/app.err" ||
    fail "app add: $(cat "$T/app.err")"
TOKEN=$(grep -o 'tta1_[A-Za-z0-9_-]*' "$T/app.out" | head -n 1)
[ -n "$TOKEN" ] || fail "no token: $(cat "$T/app.out")"
"$TETHER" app add hook --webhook --db "$GW_DB" >"$T/hook.out" 2>/dev/null ||
    fail "app add --webhook"
sed -n 2p "$T/hook.out" >"$T/secret"
RP=$(free_port)
python3 "$RECV" --secret-file "$T/secret" --record "$T/rec" \
    --events "$T/events" --port "$RP" >"$T/recv.out" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 grep -q ready "$T/recv.out" || fail "receiver: $(cat "$T/recv.out")"

provision 2
start_gw --node gw-a --idle-timeout 3s --head-timeout 1s \
    --forward "http://127.0.0.1:$RP/in#app=hook"
grep -q 'event=node_started node=gw-a left_online=0' "$T/gw.log" ||
    fail "no node_started line: $(cat "$T/gw.log")"
APP="https://localhost:$APP_PORT"
api() {
	curl -sS --max-time 10 --cacert "$T/ca.pem" --resolve "localhost:$APP_PORT:127.0.0.1" \
	    -H "Authorization: Bearer $TOKEN" "$APP$1"
}
# the stream from the start, in the background
curl -sS -N --max-time 60 --cacert "$T/ca.pem" --resolve "localhost:$APP_PORT:127.0.0.1" \
    -H "Authorization: Bearer $TOKEN" "$APP/v1/messages/stream" >"$T/sse" 2>/dev/null &
SSE_PID=$!
PIDS="$PIDS $SSE_PID"

# ---- online while connected ----
hold 1 "${CRED[0]}"
wait_for 10 sh -c "$(printf %q "$TETHER") device list --db $(printf %q "$GW_DB") --online | grep -q ${ID[0]}" ||
    fail "not in device list --online: $(online 2>&1)"
online | grep -q "gw-a" || fail "the list does not name the node: $(online)"
online | grep -q "${ID[1]}" && fail "the device that never connected is online"
online --json | jq -e --arg d "${ID[0]}" \
    'length == 1 and (.[0] | .id == $d and .online == true and .nodes == ["gw-a"] and
    (.online_since | test("Z$")))' >/dev/null || fail "device list --online --json: $(online --json)"
api "/v1/devices?online=1" >"$T/devs"
jq -e --arg d "${ID[0]}" '.count == 1 and .devices[0].id == $d and .devices[0].online and
    .devices[0].nodes == ["gw-a"] and (.devices[0].since | test("Z$"))' "$T/devs" >/dev/null ||
    fail "GET /v1/devices?online=1: $(cat "$T/devs")"
api "/v1/devices" | jq -e '.count == 2 and ([.devices[] | select(.online)] | length) == 1' >/dev/null ||
    fail "GET /v1/devices: $(api /v1/devices)"
[ "$(api '/v1/devices?limit=3' | jq -r .error)" != null ] || fail "/v1/devices took limit="
curl -sS --max-time 10 "http://127.0.0.1:$ADMIN_PORT/metrics" >"$T/metrics"
grep -qx 'tether_node_info{node="gw-a"} 1' "$T/metrics" || fail "no tether_node_info: $(grep node "$T/metrics")"
grep -qx 'tether_devices_online 1' "$T/metrics" || fail "tether_devices_online: $(grep online "$T/metrics")"
ok "a held connection: device list --online (text, --json), GET /v1/devices and the metrics name it and its node"

# ---- closed by the device ----
release 1
wait_for 10 has_event "${ID[0]}" disconnected closed ||
    fail "no disconnected event (closed): $(msgs)"
has_event "${ID[0]}" connected "" || fail "no connected event: $(msgs)"
msgs | jq -s -e '[.[] | select(.event == "disconnected")][0] | .presence.online == false and
    .presence.node == "gw-a" and (has("body") | not)' >/dev/null || fail "event shape: $(msgs)"
"$TETHER" messages --db "$GW_DB" | jq -s -e 'any(.[]; .event)' >/dev/null &&
    fail "events without --events"
[ "$(api /v1/messages | grep -c '"event"' || true)" = 0 ] || fail "events in /v1/messages by default"
api "/v1/messages?events=1" | jq -s -e '[.[] | select(.event)] | length >= 2' >/dev/null ||
    fail "GET /v1/messages?events=1: $(api '/v1/messages?events=1')"
# in order: connected, the message, disconnected
[ "$(msgs --device "${ID[0]}" | jq -r '.event // "message"' | head -n 3 | tr '\n' ' ')" = "connected message disconnected " ] ||
    fail "order: $(msgs --device "${ID[0]}")"
[ -z "$(online)" ] || fail "still online after its close: $(online)"
wait_for 10 grep -q '^event: disconnected' "$T/sse" || fail "SSE: no disconnected event: $(cat "$T/sse")"
grep -q '^event: connected' "$T/sse" || fail "SSE: no connected event"
grep -A1 '^event: disconnected' "$T/sse" | grep '^data: ' | head -n 1 | sed 's/^data: //' |
    jq -e '.presence.reason == "closed"' >/dev/null || fail "SSE data: $(cat "$T/sse")"
wait_for 10 grep -q "${ID[0]} disconnected closed false" "$T/events" ||
    fail "the webhook did not get the event: $(cat "$T/events" 2>&1)"
ok "its close: disconnected (closed, online false) after connected and the message, in --events, ?events=1, SSE and the webhook"

# ---- idle timeout ----
hold 2 "${CRED[0]}"
wait_for 10 grep -q "closed by gateway" "$T/hold2.out" || fail "the idle connection stayed"
wait_for 10 has_event "${ID[0]}" disconnected "idle timeout" ||
    fail "no disconnected event (idle timeout): $(msgs)"
ok "an idle connection closed by the gateway: disconnected (idle timeout)"

# ---- revoked ----
hold 3 "${CRED[1]}"
wait_for 10 sh -c "$(printf %q "$TETHER") device list --db $(printf %q "$GW_DB") --online | grep -q ${ID[1]}" ||
    fail "second device not online"
"$TETHER" device revoke "${ID[1]}" --db "$GW_DB" >/dev/null 2>&1 || fail "revoke"
wait_for 10 grep -q "closed by gateway" "$T/hold3.out" || fail "the revoked device's connection stayed"
wait_for 10 has_event "${ID[1]}" disconnected revoked || fail "no disconnected event (revoked): $(msgs)"
"$TETHER" device restore "${ID[1]}" --db "$GW_DB" >/dev/null 2>&1 || fail "restore"
ok "a revoked device's connection is closed: disconnected (revoked)"

# ---- SIGKILL, restart ----
hold 4 "${CRED[0]}"
wait_for 10 sh -c "$(printf %q "$TETHER") device list --db $(printf %q "$GW_DB") --online | grep -q ${ID[0]}" ||
    fail "not online before the kill"
kill -9 "$GW_PID"; wait "$GW_PID" 2>/dev/null || true
before=$(msgs | jq -s '[.[] | select(.presence.reason == "gateway restarted")] | length')
start_gw --node gw-a --idle-timeout 3s --head-timeout 1s
grep -q 'event=node_started node=gw-a left_online=1' "$T/gw.log" ||
    fail "the restart did not say what the last run left: $(grep node_started "$T/gw.log")"
[ -z "$(online)" ] || fail "online after the gateway was killed and restarted: $(online)"
[ "$(msgs | jq -s '[.[] | select(.device == "'"${ID[0]}"'" and .presence.reason == "gateway restarted")] | length')" -gt "$before" ] ||
    fail "no disconnected event (gateway restarted): $(msgs | tail -n 3)"
ok "SIGKILL, restart: the device is offline, disconnected (gateway restarted)"

# ---- SIGTERM: shutdown ----
hold 5 "${CRED[0]}"
wait_for 10 sh -c "$(printf %q "$TETHER") device list --db $(printf %q "$GW_DB") --online | grep -q ${ID[0]}" ||
    fail "not online before the stop"
stop_gw
has_event "${ID[0]}" disconnected shutdown || fail "no disconnected event (shutdown): $(msgs | tail -n 3)"
[ "$(sql 'select count(*) from presence') $(sql 'select count(*) from nodes')" = "0 0" ] ||
    fail "a clean stop left rows: $(sql 'select * from presence')"
ok "SIGTERM: disconnected (shutdown), no presence or node row left"

# ---- --presence off ----
n=$(sql 'select count(*) from messages where kind <> 0')
start_gw --presence off
[ "$(post "${CRED[0]}" '{"off":1}' 77)" = 201 ] || fail "post with presence off"
stop_gw
[ "$(sql 'select count(*) from messages where kind <> 0')" = "$n" ] || fail "--presence off wrote events"
ok "--presence off records nothing"
