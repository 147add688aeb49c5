# SPDX-License-Identifier: MIT
# Forwarding to a webhook: a real HTTP receiver (fwd_receiver.py) checks
# every post's signature and records the ids it got. Messages reach it in
# order; a receiver that fails (503) or is down (refused) never slows
# intake, its backlog shows in `tether forward status` and arrives in
# order once it is back; after SIGKILL of the gateway while it forwards,
# every message a device got 201 for is delivered at least once, and a
# repeat carries the same id. Also https:// with --forward-ca.
. "$(dirname "$0")/lib.sh"

RECV="$TETHER_SRC/tests/integration/fwd_receiver.py"
"$TETHER" app add hook --webhook --db "$GW_DB" >"$T/app.out" 2>"$T/app.err" ||
	fail "app add --webhook: $(cat "$T/app.err")"
sed -n 2p "$T/app.out" >"$T/secret"
grep -qE '^ttw1_[0-9a-f]{64}$' "$T/secret" || fail "no webhook secret printed: $(cat "$T/app.out")"
ok "app add --webhook prints a ttw1_ secret on the second line"

# start_recv [options]: the receiver on $RP (chosen once, reused after a
# restart), recording to $T/rec; RECV_PID.
RP=$(free_port)
start_recv() {
	: >"$T/recv.out"
	python3 "$RECV" --secret-file "$T/secret" --record "$T/rec" \
	    --port "$RP" --down "$T/down" "$@" >"$T/recv.out" 2>&1 &
	RECV_PID=$!
	PIDS="$PIDS $RECV_PID"
	wait_for 20 grep -q ready "$T/recv.out" || fail "receiver did not start: $(cat "$T/recv.out")"
}
stop_recv() { kill "$RECV_PID"; wait "$RECV_PID" 2>/dev/null || true; }
# recorded N: the receiver has recorded at least N messages
recorded() { [ -f "$T/rec" ] && [ "$(wc -l <"$T/rec")" -ge "$1" ]; }
status_json() { "$TETHER" forward status --db "$GW_DB" --json; }
# backlog: of the one forwarder
backlog() { status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["backlog"])'; }

# The gateway refuses a bad --forward before it starts, saying why.
if "$TETHER" serve --db "$GW_DB" --state-dir "$T/state" \
    --forward "http://192.0.2.1/x#app=hook" 2>"$T/err"; then
	fail "http:// to a non-loopback host was taken"
fi
grep -q "on this machine only" "$T/err" || fail "no reason for a non-loopback http://: $(cat "$T/err")"
"$TETHER" serve --db "$GW_DB" --forward "https://h/x" 2>"$T/err" && fail "a webhook without #app= was taken"
grep -q "#app=NAME" "$T/err" || fail "no reason for a missing #app=: $(cat "$T/err")"
ok "a bad --forward URL is refused with its reason"

start_recv
URL="http://127.0.0.1:$RP/in#app=hook"
start_gw --forward "$URL" --forward-batch 7 --presence off	# counts: messages alone
provision 3
for s in 1 2 3 4 5; do
	for i in 0 1 2; do
		[ "$(post "${CRED[$i]}" "{\"d\":$i,\"s\":$s}" "$s")" = 201 ] || fail "post $i/$s"
	done
done
wait_for 20 recorded 15 || fail "the receiver got $(wc -l <"$T/rec" 2>/dev/null) of 15 messages"
[ ! -s "$T/rec.bad" ] || fail "the receiver refused posts: $(cat "$T/rec.bad")"
# in store order: ids ascending, each once, and the ids the store gave
[ "$(cut -d' ' -f1 "$T/rec" | tr '\n' ' ')" = "$(sql 'select id from messages where kind = 0 order by id' | tr '\n' ' ')" ] ||
	fail "delivered ids differ from the stored ones: $(cut -d' ' -f1 "$T/rec" | tr '\n' ' ')"
wait_for 10 sh -c "[ \"\$($(printf %q "$TETHER") forward status --db $(printf %q "$GW_DB") --json | grep -o '\"backlog\": [0-9]*')\" = '\"backlog\": 0' ]" ||
	fail "backlog not 0 after delivery: $(status_json)"
status_json | python3 -c 'import json,sys; f=json.load(sys.stdin)[0]; assert f["delivered"]==15 and f["last_error"] is None, f' ||
	fail "forward status: $(status_json)"
curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$T/m" || fail "metrics scrape failed"
grep -qx "tether_forward_delivered_total{forwarder=\"$URL\"} 15" "$T/m" ||
	fail "metrics: $(grep forward "$T/m")"
grep -qx "tether_forward_up{forwarder=\"$URL\"} 1" "$T/m" || fail "metrics: $(grep forward "$T/m")"
ok "15 messages delivered signed, in store order, with their ids; status: delivered 15, backlog 0; metrics"

# (t_presence.sh: presence events through a webhook)
# Failing (503) and down (refused): intake answers at once, the backlog
# shows with the receiver's error, and arrives in order when it is back.
touch "$T/down"
t0=$(date +%s%N)
for s in 6 7 8 9 10; do
	[ "$(post "${CRED[0]}" "{\"s\":$s}" "$s")" = 201 ] || fail "post while the receiver fails"
done
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "5 posts took $(((t1 - t0) / 1000000)) ms while the receiver failed"
wait_for 20 sh -c "$(printf %q "$TETHER") forward status --db $(printf %q "$GW_DB") | grep -q 'answered 503'" ||
	fail "no 503 in forward status: $("$TETHER" forward status --db "$GW_DB")"
[ "$(backlog)" = 5 ] || fail "backlog $(backlog), want 5"
stop_recv
rm -f "$T/down"
for s in 11 12; do
	[ "$(post "${CRED[0]}" "{\"s\":$s}" "$s")" = 201 ] || fail "post while the receiver is down"
done
wait_for 20 sh -c "$(printf %q "$TETHER") forward status --db $(printf %q "$GW_DB") | grep -q 'cannot connect'" ||
	fail "no connection error in forward status: $("$TETHER" forward status --db "$GW_DB")"
[ "$(backlog)" = 7 ] || fail "backlog $(backlog), want 7"
grep -q 'event=forward_failed' "$T/gw.log" || fail "no forward_failed log line"
curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$T/m" || fail "metrics scrape failed"
grep -qx "tether_forward_up{forwarder=\"$URL\"} 0" "$T/m" || fail "metrics while down: $(grep forward "$T/m")"
grep -qE "^tether_forward_failures_total\{forwarder=\"$URL\"\} [1-9]" "$T/m" || fail "metrics: no failures counted"
# the backlog is counted at most every 5 s while the forwarder is behind;
# the lag is the age of the oldest message waiting (6: a second or more)
metric() { curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" | grep "^$1{forwarder=\"$URL\"}" | cut -d' ' -f2; }
wait_for 20 sh -c "curl -sf http://127.0.0.1:$ADMIN_PORT/metrics | grep -qx 'tether_forward_backlog{forwarder=\"$URL\"} 7'" ||
	fail "metrics backlog while down: $(metric tether_forward_backlog), want 7"
lag=$(metric tether_forward_lag_seconds)
python3 -c "import sys; sys.exit(0 if float('$lag') >= 1 else 1)" || fail "metrics lag while down: $lag"
start_recv
wait_for 40 recorded 22 || fail "the backlog did not arrive after the receiver came back"
[ "$(tail -n 7 "$T/rec" | cut -d' ' -f3 | tr '\n' ' ')" = "6 7 8 9 10 11 12 " ] ||
	fail "the backlog arrived out of order: $(tail -n 7 "$T/rec")"
wait_for 10 grep -q 'event=forward_recovered' "$T/gw.log" || fail "no forward_recovered log line"
[ "$(backlog)" = 0 ] || fail "backlog $(backlog) after recovery"
wait_for 10 sh -c "curl -sf http://127.0.0.1:$ADMIN_PORT/metrics | grep -qx 'tether_forward_lag_seconds{forwarder=\"$URL\"} 0.000'" ||
	fail "metrics lag after recovery: $(metric tether_forward_lag_seconds)"
[ "$(metric tether_forward_backlog)" = 0 ] || fail "metrics backlog after recovery: $(metric tether_forward_backlog)"
ok "receiver failing then down: intake unaffected, backlog 7 with its error (metrics: backlog 7, lag ${lag} s), then delivered in order"

# A new webhook secret: posts signed with it are refused by a receiver
# that has the old one (401 in status), taken once it has the new one.
"$TETHER" app webhook hook --db "$GW_DB" >"$T/secret.new" 2>/dev/null || fail "app webhook"
[ "$(post "${CRED[1]}" rotated 6)" = 201 ] || fail "post after rotation"
wait_for 20 sh -c "$(printf %q "$TETHER") forward status --db $(printf %q "$GW_DB") | grep -q 'answered 401'" ||
	fail "the old secret still signs: $("$TETHER" forward status --db "$GW_DB")"
stop_recv
cp "$T/secret.new" "$T/secret"
start_recv
wait_for 40 recorded 23 || fail "nothing delivered with the new secret"
ok "app webhook rotates the secret: the old one is refused, the new one signs"

# SIGKILL while devices send and the gateway forwards.
stop_recv
: >"$T/rec"
rm -f "$T/rec.bad"
start_recv --slow 0.05
device() { # device INDEX: numbered posts from 100; records seqs that got 201
	local i=$1 s=100
	while :; do
		s=$((s + 1))
		code=$(post "${CRED[$i]}" "{\"k\":$s}" "$s" 2>/dev/null) || break
		[ "$code" = 201 ] && echo "$s" >>"$T/acked.$i"
	done
}
for i in 0 1 2; do device "$i" & PIDS="$PIDS $!"; done
wait_for 30 recorded 30 || fail "nothing forwarded under load"
kill -9 "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
for p in $PIDS; do [ "$p" = "$RECV_PID" ] || kill "$p" 2>/dev/null || true; done
start_gw --forward "$URL" --forward-batch 7 --presence off	# counts: messages alone
wait_for 40 sh -c "[ \"\$($(printf %q "$TETHER") forward status --db $(printf %q "$GW_DB") --json | grep -o '\"backlog\": [0-9]*')\" = '\"backlog\": 0' ]" ||
	fail "backlog not delivered after the restart: $(status_json)"
acked=0
for i in 0 1 2; do
	[ -f "$T/acked.$i" ] || continue
	for s in $(cat "$T/acked.$i"); do
		acked=$((acked + 1))
		grep -q " ${ID[$i]} $s " "$T/rec" || fail "${ID[$i]} seq $s got 201 but was never delivered"
	done
done
[ $acked -gt 20 ] || fail "only $acked messages acknowledged before the kill: not a load"
# a repeat is the same message: one id for each (device, seq), and one
# (device, seq) for each id
[ "$(cut -d' ' -f1-3 "$T/rec" | sort -u | cut -d' ' -f2-3 | sort | uniq -d | wc -l)" = 0 ] ||
	fail "a (device, seq) was delivered with two ids"
[ "$(cut -d' ' -f1-3 "$T/rec" | sort -u | cut -d' ' -f1 | uniq -d | wc -l)" = 0 ] ||
	fail "an id was delivered for two messages"
repeats=$(($(wc -l <"$T/rec") - $(cut -d' ' -f1 "$T/rec" | sort -u | wc -l)))
ok "SIGKILL while forwarding: all $acked acknowledged delivered, $repeats repeats, each with its id"
stop_gw

# https:// to a receiver whose certificate a private CA signed: refused
# without --forward-ca (the reason says so), delivered with it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=tether-test-ca -keyout "$T/ca.key" -out "$T/fca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$T/recv.key" -out "$T/recv.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/san"
openssl x509 -req -in "$T/recv.csr" -CA "$T/fca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -days 2 -extfile "$T/san" -out "$T/recv.crt" 2>/dev/null
stop_recv
: >"$T/rec"
start_recv --cert "$T/recv.crt" --key "$T/recv.key"
SURL="https://localhost:$RP/in#app=hook"
start_gw --forward "$SURL" --presence off
[ "$(post "${CRED[2]}" tls 9001)" = 201 ] || fail "post for https"
wait_for 20 sh -c "$(printf %q "$TETHER") forward status --db $(printf %q "$GW_DB") | grep -q 'certificate was refused'" ||
	fail "an unknown CA was not refused: $("$TETHER" forward status --db "$GW_DB")"
stop_gw
start_gw --forward "$SURL" --forward-ca "$T/fca.pem" --presence off
wait_for 30 grep -q " ${ID[2]} 9001 " "$T/rec" ||
	fail "nothing delivered over https with --forward-ca: $("$TETHER" forward status --db "$GW_DB")"
ok "https://: the receiver's certificate is verified (refused, then taken with --forward-ca)"
stop_gw
