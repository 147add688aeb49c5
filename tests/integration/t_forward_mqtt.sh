# SPDX-License-Identifier: MIT
# Forwarding to MQTT: a real mosquitto on loopback (its own config and
# persistence in the temp dir) and mosquitto_sub as the receiver, with a
# persistent QoS 1 session so nothing published while it reconnects is
# lost to it. Each message arrives at tt/<device id> with its id; a broker
# that is down never slows intake, its backlog shows and arrives in order;
# after SIGKILL of the gateway while it forwards, every message a device
# got 201 for is delivered at least once, and a repeat carries its id.
# mqtts:// verifies the broker's certificate (refused, then --forward-ca).
. "$(dirname "$0")/lib.sh"

command -v mosquitto >/dev/null || { echo "skip: no mosquitto (scripts/deps.sh)"; exit 77; }
MP=$(free_port)
TP=$(free_port)
# A private CA and the broker's certificate for mqtts://.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=tether-test-ca -keyout "$T/ca.key" -out "$T/fca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$T/broker.key" -out "$T/broker.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/san"
openssl x509 -req -in "$T/broker.csr" -CA "$T/fca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -days 2 -extfile "$T/san" -out "$T/broker.crt" 2>/dev/null
mkdir -p "$T/mq"
# "user": as root, mosquitto would become user mosquitto, which cannot
# write its persistence into our private temp dir.
cat >"$T/mosquitto.conf" <<EOF
per_listener_settings false
allow_anonymous true
listener $MP 127.0.0.1
listener $TP 127.0.0.1
cafile $T/fca.pem
certfile $T/broker.crt
keyfile $T/broker.key
persistence true
persistence_location $T/mq/
user $(id -un)
EOF
start_broker() {
	: >"$T/broker.log"
	mosquitto -c "$T/mosquitto.conf" >>"$T/broker.log" 2>&1 &
	BROKER_PID=$!
	PIDS="$PIDS $BROKER_PID"
	wait_for 20 grep -q 'running' "$T/broker.log" || fail "mosquitto did not start: $(cat "$T/broker.log")"
}
start_broker
mosquitto_sub -h 127.0.0.1 -p "$MP" -q 1 -c -i tether-test-sub -t 'tt/#' -v \
    >"$T/sub" 2>"$T/sub.err" &
PIDS="$PIDS $!"
probe() { mosquitto_pub -h 127.0.0.1 -p "$MP" -q 1 -t tt/probe -m probe && grep -q '^tt/probe' "$T/sub"; }
wait_for 20 probe || fail "mosquitto_sub does not receive: $(cat "$T/sub.err")"

# check_sub: every line of the subscriber is at tt/<its device> and
# carries an id; one id per (device, seq) and one (device, seq) per id;
# per device, first deliveries in seq order. Prints "<messages> <repeats>".
check_sub() {
	python3 - "$T/sub" <<'EOF'
import json, sys
first, seen, order, n = {}, {}, {}, 0
for line in open(sys.argv[1]):
    topic, _, payload = line.rstrip("\n").partition(" ")
    if topic == "tt/probe":
        continue
    m = json.loads(payload)
    assert topic == "tt/" + m["device"], (topic, m["device"])
    key = (m["device"], m["seq"])
    new = m["id"] not in seen
    assert first.setdefault(key, m["id"]) == m["id"], ("two ids", key)
    assert seen.setdefault(m["id"], key) == key, ("id reused", m["id"])
    n += 1
    if new:  # not a repeat: first deliveries come in order
        o = order.setdefault(m["device"], [])
        assert not o or o[-1] < m["seq"], ("out of order", m["device"], o[-1], m["seq"])
        o.append(m["seq"])
print(len(seen), n - len(seen))
EOF
}
delivered() { [ "$(check_sub 2>/dev/null | cut -d' ' -f1)" -ge "$1" ] 2>/dev/null; }
backlog() { "$TETHER" forward status --db "$GW_DB" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["backlog"])'; }

URL="mqtt://127.0.0.1:$MP/tt"
start_gw --forward "$URL" --presence off	# presence: t_presence.sh
provision 2
for s in 1 2 3 4 5; do
	for i in 0 1; do
		[ "$(post "${CRED[$i]}" "{\"s\":$s}" "$s")" = 201 ] || fail "post $i/$s"
	done
done
wait_for 20 delivered 10 || fail "the subscriber got $(check_sub) of 10"
check_sub >/dev/null || fail "the subscriber's messages: $(check_sub 2>&1 | tail -n 3)"
wait_for 10 sh -c "[ \"\$($(printf %q "$TETHER") forward status --db $(printf %q "$GW_DB") --json | grep -o '\"backlog\": [0-9]*')\" = '\"backlog\": 0' ]" ||
	fail "backlog not 0: $("$TETHER" forward status --db "$GW_DB")"
ok "10 messages published at QoS 1 to tt/<device>, with their ids, in order"

# The broker down: intake answers at once, the backlog shows with the
# error, and reaches the subscriber in order once the broker is back.
kill -TERM "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null || true
t0=$(date +%s%N)
for s in 6 7 8 9 10; do
	[ "$(post "${CRED[0]}" "{\"s\":$s}" "$s")" = 201 ] || fail "post while the broker is down"
done
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "5 posts took $(((t1 - t0) / 1000000)) ms while the broker was down"
wait_for 20 sh -c "$(printf %q "$TETHER") forward status --db $(printf %q "$GW_DB") | grep -q 'MQTT broker'" ||
	fail "no broker error in forward status: $("$TETHER" forward status --db "$GW_DB")"
[ "$(backlog)" = 5 ] || fail "backlog $(backlog), want 5"
start_broker
wait_for 40 delivered 15 || fail "the backlog did not arrive: $(check_sub) $("$TETHER" forward status --db "$GW_DB")"
check_sub >/dev/null || fail "after the outage: $(check_sub 2>&1 | tail -n 3)"
ok "broker down: intake unaffected, backlog 5 with its error, then delivered in order"

# SIGKILL while devices send and the gateway publishes.
device() { # device INDEX: numbered posts from 100; records seqs that got 201
	local i=$1 s=100
	while :; do
		s=$((s + 1))
		code=$(post "${CRED[$i]}" "{\"k\":$s}" "$s" 2>/dev/null) || break
		[ "$code" = 201 ] && echo "$s" >>"$T/acked.$i"
	done
}
DEVS=""
for i in 0 1; do device "$i" & DEVS="$DEVS $!"; done
PIDS="$PIDS $DEVS"
wait_for 30 delivered 40 || fail "nothing forwarded under load"
kill -9 "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
for p in $DEVS; do kill "$p" 2>/dev/null || true; done
start_gw --forward "$URL" --presence off	# presence: t_presence.sh
wait_for 40 sh -c "[ \"\$($(printf %q "$TETHER") forward status --db $(printf %q "$GW_DB") --json | grep -o '\"backlog\": [0-9]*')\" = '\"backlog\": 0' ]" ||
	fail "backlog not delivered after the restart: $("$TETHER" forward status --db "$GW_DB")"
total=$(sql 'select count(*) from messages')
wait_for 20 delivered "$total" || fail "the subscriber has $(check_sub) of $total"
acked=0
for i in 0 1; do
	[ -f "$T/acked.$i" ] || continue
	for s in $(cat "$T/acked.$i"); do
		acked=$((acked + 1))
		grep -q "^tt/${ID[$i]} .*\"seq\":$s," "$T/sub" || fail "${ID[$i]} seq $s got 201 but was never published"
	done
done
[ $acked -gt 20 ] || fail "only $acked messages acknowledged before the kill: not a load"
res=$(check_sub) || fail "after the kill: $(check_sub 2>&1 | tail -n 3)"
ok "SIGKILL while forwarding: all $acked acknowledged published; messages and repeats: $res"
stop_gw

# mqtts://: the broker's certificate is verified against the system's
# store (refused: a private CA signed it), then against --forward-ca.
SURL="mqtts://localhost:$TP/ts"
start_gw --forward "$SURL" --presence off
wait_for 20 sh -c "$(printf %q "$TETHER") forward status --db $(printf %q "$GW_DB") | grep -A4 '^mqtts' | grep -q 'last error    the TLS handshake with the MQTT broker'" ||
	fail "an unknown CA was not refused: $("$TETHER" forward status --db "$GW_DB")"
stop_gw
mosquitto_sub -h 127.0.0.1 -p "$MP" -q 1 -t 'ts/#' -v >"$T/sub.tls" 2>/dev/null &
PIDS="$PIDS $!"
probe_tls() { mosquitto_pub -h 127.0.0.1 -p "$MP" -q 1 -t ts/probe -m probe && grep -q '^ts/probe' "$T/sub.tls"; }
wait_for 20 probe_tls || fail "the second subscriber does not receive"
start_gw --forward "$SURL" --forward-ca "$T/fca.pem" --presence off
wait_for 30 sh -c "[ \"\$(grep -c '^ts/[a-z0-9]*-' $(printf %q "$T/sub.tls"))\" -ge \"\$(sqlite3 $(printf %q "$GW_DB") 'select count(*) from messages')\" ]" ||
	fail "mqtts: $(grep -c '^ts/' "$T/sub.tls") published: $("$TETHER" forward status --db "$GW_DB")"
ok "mqtts://: the broker's certificate is verified (refused, then taken with --forward-ca)"
stop_gw

# Presence: a device's connections are published, retained, to
# PREFIX/<device>/presence with the state flat; its messages stay on
# PREFIX/<device>. A subscriber that comes afterwards gets the last state.
start_gw --forward "mqtt://127.0.0.1:$MP/tp"
[ "$(post "${CRED[0]}" '{"p":1}' 901)" = 201 ] || fail "post with presence on"
last_state() {
	mosquitto_sub -h 127.0.0.1 -p "$MP" -q 1 -t "tp/${ID[0]}/presence" -C 1 -W 5 \
	    2>/dev/null | jq -e --arg d "${ID[0]}" '.event == "disconnected" and .device == $d and
	    .reason == "closed" and .online == false and (.id | type) == "number"' >/dev/null
}
wait_for 20 last_state || fail "no retained presence state: $(mosquitto_sub -h 127.0.0.1 -p "$MP" -t 'tp/#' -v -W 2 2>&1)"
stop_gw
ok "presence: disconnected (closed, online false) retained at tp/<device>/presence"
