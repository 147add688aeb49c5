# SPDX-License-Identifier: MIT
# One address, one gateway: a second `tether serve` on an address another
# one listens on (with another database) exits 1 and says why, instead of
# taking a share of the connections; the first keeps every device; a port
# another program holds is refused the same way.
. "$(dirname "$0")/lib.sh"

"$TETHER" provision --db "$GW_DB" --count 1 --out "$T/dev" 2>"$T/prov.err" ||
    fail "provision: $(cat "$T/prov.err")"
CRED=$(grep -o '"credential": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/')
start_gw --workers 2
ok "the first gateway listens on 127.0.0.1:$PORT with 2 workers"

# second [serve options...]: a second gateway on the same address, its
# own database and state; exit status in $rc, messages in $T/second.err.
second() {
	set +e
	timeout 20 "$TETHER" serve --app-listen off --admin-listen off --listen "127.0.0.1:$PORT" --db "$T/second.db" \
	    --state-dir "$T/second" "$@" >/dev/null 2>"$T/second.err"
	rc=$?
	set -e
}
second --workers 2
[ $rc = 1 ] || fail "second gateway on the same address: exit $rc, want 1 ($(cat "$T/second.err"))"
grep -q "cannot listen on 127.0.0.1:$PORT: address already in use by another process" \
    "$T/second.err" || fail "second gateway's reason: $(cat "$T/second.err")"
[ -e "$T/second.db" ] && fail "the second gateway created its database"
ok "a second tether serve on 127.0.0.1:$PORT exits 1: $(head -n 1 "$T/second.err")"

# Every message reaches the first gateway: none went to another one.
for i in $(seq 1 20); do
	code=$(post "$CRED" "{\"n\":$i}")
	[ "$code" = 201 ] || fail "message $i: $code (want 201)"
done
ok "20 messages, 201 each: the first gateway has every connection"

# The claim goes with the process, however it ends: killed with SIGKILL,
# its address takes another gateway at once.
kill -9 "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
: >"$T/again.log"
"$TETHER" serve --app-listen off --admin-listen off --listen "127.0.0.1:$PORT" --db "$GW_DB" --state-dir "$T/state" \
    --workers 1 >/dev/null 2>>"$T/again.log" &
GW_PID=$!
PIDS="$PIDS $GW_PID"
wait_for 20 grep -q 'event=listening' "$T/again.log" ||
    fail "no gateway on 127.0.0.1:$PORT after the first was killed: $(cat "$T/again.log")"
[ "$(post "$CRED" after)" = 201 ] || fail "the new gateway does not store"
ok "the first gateway killed (SIGKILL): another listens on 127.0.0.1:$PORT at once"
stop_gw

# A port another program holds: bind(2) refuses, the same words.
HOLD=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("ready", flush=True); time.sleep(60)' "$HOLD" >"$T/hold.out" &
HOLD_PID=$!
PIDS="$PIDS $HOLD_PID"
wait_for 10 grep -q ready "$T/hold.out" || fail "the port holder did not start"
PORT=$HOLD second --workers 1
[ $rc = 1 ] || fail "gateway on a port another program holds: exit $rc"
grep -q "cannot listen on 127.0.0.1:$HOLD: address already in use by another process" \
    "$T/second.err" || fail "reason for a port another program holds: $(cat "$T/second.err")"
ok "a port another program holds: exit 1, the same reason"
kill "$HOLD_PID"
