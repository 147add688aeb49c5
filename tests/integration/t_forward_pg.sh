# SPDX-License-Identifier: MIT
# Forwarding on PostgreSQL: schema 5's tables on the other backend, the
# webhook secret derived there, the forwarder reading in commit order
# (below every open transaction), its cursor and backlog in
# `tether forward status`, and a backlog delivered after an outage.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pglib.sh"

pg_init
pg_start
DB=$(pg_createdb tether)
KEY="$T/registry.key"
GW_DB=$DB
fs() { "$TETHER" forward status --db "$DB" --key-file "$KEY" "$@"; }
backlog() { fs --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["backlog"])'; }

"$TETHER" provision --db "$DB" --key-file "$KEY" --count 2 --out "$T/dev" \
    2>"$T/prov.err" || fail "provision: $(cat "$T/prov.err")"
CRED=($(grep -o '"credential": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
"$TETHER" app add hook --webhook --db "$DB" --key-file "$KEY" >"$T/app.out" 2>"$T/app.err" ||
	fail "app add --webhook: $(cat "$T/app.err")"
sed -n 2p "$T/app.out" >"$T/secret"

RP=$(free_port)
start_recv() {
	: >"$T/recv.out"
	python3 "$TETHER_SRC/tests/integration/fwd_receiver.py" --secret-file "$T/secret" \
	    --record "$T/rec" --port "$RP" >"$T/recv.out" 2>&1 &
	RECV_PID=$!
	PIDS="$PIDS $RECV_PID"
	wait_for 20 grep -q ready "$T/recv.out" || fail "receiver did not start: $(cat "$T/recv.out")"
}
recorded() { [ -f "$T/rec" ] && [ "$(wc -l <"$T/rec")" -ge "$1" ]; }

start_recv
start_gw --key-file "$KEY" --forward "http://127.0.0.1:$RP/in#app=hook" --presence off
for s in 1 2 3 4 5; do
	for i in 0 1; do
		[ "$(post "${CRED[$i]}" "{\"s\":$s}" "$s")" = 201 ] || fail "post $i/$s"
	done
done
wait_for 20 recorded 10 || fail "the receiver got $(wc -l <"$T/rec" 2>/dev/null) of 10"
[ ! -s "$T/rec.bad" ] || fail "refused posts: $(cat "$T/rec.bad")"
[ "$(cut -d' ' -f1 "$T/rec" | sort -n | uniq | wc -l)" = 10 ] || fail "ids not each once: $(cat "$T/rec")"
wait_for 10 sh -c "[ \"\$($(printf %q "$TETHER") forward status --db $(printf %q "$DB") --key-file $(printf %q "$KEY") --json | grep -o '\"backlog\": [0-9]*')\" = '\"backlog\": 0' ]" ||
	fail "backlog not 0: $(fs)"
fs --json | python3 -c 'import json,sys; f=json.load(sys.stdin)[0]; assert f["delivered"]==10, f' || fail "status: $(fs)"
ok "PostgreSQL: 10 messages delivered signed, each once; status delivered 10, backlog 0"

kill "$RECV_PID"; wait "$RECV_PID" 2>/dev/null || true
for s in 6 7 8; do
	[ "$(post "${CRED[0]}" "{\"s\":$s}" "$s")" = 201 ] || fail "post while the receiver is down"
done
wait_for 20 sh -c "$(printf %q "$TETHER") forward status --db $(printf %q "$DB") --key-file $(printf %q "$KEY") | grep -q 'cannot connect'" ||
	fail "no error in status: $(fs)"
[ "$(backlog)" = 3 ] || fail "backlog $(backlog), want 3"
start_recv
wait_for 40 recorded 13 || fail "the backlog did not arrive"
[ "$(tail -n 3 "$T/rec" | cut -d' ' -f3 | tr '\n' ' ')" = "6 7 8 " ] || fail "out of order: $(tail -n 3 "$T/rec")"
ok "PostgreSQL: receiver down, backlog 3 with its error, then delivered in order"
stop_gw

# Retention on PostgreSQL: db prune never deletes what the forwarder has
# not delivered (with the receiver down), nor the newest message, and
# says which forwarder holds it once those are old enough.
kill "$RECV_PID"; wait "$RECV_PID" 2>/dev/null || true
start_gw --key-file "$KEY" --forward "http://127.0.0.1:$RP/in#app=hook" --presence off
for s in 9 10; do
	[ "$(post "${CRED[1]}" "{\"s\":$s}" "$s")" = 201 ] || fail "post $s"
done
stop_gw
pgc() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d tether -Atc "$1"; }
pruned() {
	"$TETHER" db prune --db "$DB" --key-file "$KEY" --older-than 1s >/dev/null 2>"$T/prune.err" || return 1
	[ "$(pgc 'select count(*) from messages where kind = 0')" = 2 ] && grep -q 'has not delivered' "$T/prune.err"
}
wait_for 20 pruned || fail "db prune on PostgreSQL: $(cat "$T/prune.err"), $(pgc 'select count(*) from messages where kind = 0') left"
[ "$(pgc 'select string_agg(seq::text, $$,$$ order by id) from messages where kind = 0')" = "9,10" ] ||
	fail "prune deleted the undelivered: $(pgc 'select seq from messages where kind = 0')"
ok "PostgreSQL: db prune deletes the delivered, keeps the 2 not delivered"
