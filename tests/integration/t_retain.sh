# SPDX-License-Identifier: MIT
# Retention: without --retain every message is kept (and the gateway says
# so); `tether db prune --older-than` and --retain delete old messages but
# never the newest, nor one a forwarder has not delivered: a receiver that
# is down holds retention back (a log line names it), and once it is back
# it gets every message and retention goes on.
. "$(dirname "$0")/lib.sh"

count() { sql 'select count(*) from messages where kind = 0'; }
start_gw --presence off	# rows are messages alone: the counts below
grep -q 'event=retention keep="every message (no --retain)"' "$T/gw.log" ||
	fail "no retention line at start: $(head -n 5 "$T/gw.log")"
provision 2
for s in 1 2 3 4 5; do [ "$(post "${CRED[0]}" "{\"s\":$s}" "$s")" = 201 ] || fail "post $s"; done
curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$T/m0" || fail "metrics scrape failed"
stop_gw
[ "$(count)" = 5 ] || fail "messages were deleted without --retain"
! grep -q '^tether_retention' "$T/m0" || fail "retention metrics without --retain: $(grep retention "$T/m0")"
ok "without --retain every message is kept, and the gateway says so"

"$TETHER" db prune --db "$GW_DB" 2>"$T/err" && fail "prune without --older-than ran"
grep -q 'needs --older-than' "$T/err" || fail "no reason: $(cat "$T/err")"
"$TETHER" db prune --db "$GW_DB" --older-than 1x 2>"$T/err" && fail "a bad duration was taken"
# pruned: prunes once, adds what it deleted to $T/pruned; true once only
# one message is left
pruned() {
	"$TETHER" db prune --db "$GW_DB" --older-than 1s >>"$T/pruned" 2>"$T/prune.err" || return 1
	[ "$(count)" = 1 ]
}
wait_for 20 pruned || fail "db prune: $(cat "$T/prune.err"), $(count) left"
[ "$(awk '{ n += $1 } END { print n }' "$T/pruned")" = 4 ] || fail "prune counted $(cat "$T/pruned"), want 4 in all"
[ "$(sql 'select seq from messages')" = 5 ] || fail "prune did not keep the newest"
ok "db prune --older-than 1s deletes the old messages but the newest"

# A forwarder whose receiver is down holds retention back.
"$TETHER" app add hook --webhook --db "$GW_DB" >"$T/app.out" 2>/dev/null || fail "app add"
sed -n 2p "$T/app.out" >"$T/secret"
RP=$(free_port)
start_recv() {
	: >"$T/recv.out"
	python3 "$TETHER_SRC/tests/integration/fwd_receiver.py" --secret-file "$T/secret" \
	    --record "$T/rec" --port "$RP" >"$T/recv.out" 2>&1 &
	RECV_PID=$!
	PIDS="$PIDS $RECV_PID"
	wait_for 20 grep -q ready "$T/recv.out" || fail "receiver did not start"
}
recorded() { [ -f "$T/rec" ] && [ "$(wc -l <"$T/rec")" -ge "$1" ]; }
start_recv
start_gw --forward "http://127.0.0.1:$RP/in#app=hook" --retain 1s --presence off
grep -q 'event=retention .*retain=1s' "$T/gw.log" || fail "no retention line: $(grep retention "$T/gw.log")"
wait_for 20 recorded 1 || fail "the kept message was not forwarded"
kill "$RECV_PID"; wait "$RECV_PID" 2>/dev/null || true
for s in 6 7 8; do [ "$(post "${CRED[0]}" "{\"s\":$s}" "$s")" = 201 ] || fail "post $s"; done
seqs() { sql 'select group_concat(seq) from (select seq from messages order by id)'; }
# retention deletes the delivered 5, never the undelivered 6, 7, 8
wait_for 30 sh -c "[ \"\$(sqlite3 $(printf %q "$GW_DB") 'select group_concat(seq) from (select seq from messages order by id)')\" = 6,7,8 ]" ||
	fail "retention: $(seqs) left, want 6,7,8"
held_by_prune() {
	"$TETHER" db prune --db "$GW_DB" --older-than 1s >/dev/null 2>"$T/prune.err" &&
	    grep -q "forwarder http://127.0.0.1:$RP/in#app=hook has not delivered" "$T/prune.err"
}
wait_for 20 held_by_prune || fail "db prune does not say what holds it: $(cat "$T/prune.err")"
wait_for 30 sh -c "grep 'event=retention_held' $(printf %q "$T/gw.log") | grep -q 'forwarder=\"http://127.0.0.1:$RP/in#app=hook\"'" ||
	fail "no retention_held line naming the forwarder: $(grep retention "$T/gw.log")"
[ "$(seqs)" = 6,7,8 ] || fail "retention deleted what the forwarder has not delivered: $(seqs) left"
metric() { curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" | sed -n "s/^$1 //p"; }
wait_for 10 sh -c "curl -sf http://127.0.0.1:$ADMIN_PORT/metrics | grep -qx 'tether_retention_held 1'" ||
	fail "metrics: tether_retention_held $(metric tether_retention_held), want 1"
ok "a receiver down holds retention back (retention_held names it; db prune says so too)"
start_recv
wait_for 30 recorded 4 || fail "the held messages were not delivered"
[ "$(tail -n 3 "$T/rec" | cut -d' ' -f3 | tr '\n' ' ')" = "6 7 8 " ] || fail "delivered: $(cat "$T/rec")"
wait_for 30 sh -c "[ \"\$(sqlite3 $(printf %q "$GW_DB") 'select count(*) from messages')\" = 1 ]" ||
	fail "retention did not go on after delivery: $(count) left"
wait_for 10 grep -q 'event=retention_released' "$T/gw.log" || fail "no retention_released line"
wait_for 10 sh -c "curl -sf http://127.0.0.1:$ADMIN_PORT/metrics | grep -qx 'tether_retention_held 0'" ||
	fail "metrics: tether_retention_held $(metric tether_retention_held) after the release"
[ "$(metric tether_retention_pruned_total)" -ge 3 ] || fail "metrics: tether_retention_pruned_total $(metric tether_retention_pruned_total)"
ok "once delivered, retention deletes them (all but the newest)"
stop_gw
