# SPDX-License-Identifier: MIT
# t_restart_resume.sh - a restart is not a handshake storm: a device that
# kept its session (tether send --save-session, as libtether resumes: by
# session id) resumes after SIGTERM and a new start; a client with a
# ticket resumes too; a damaged or foreign ticket key file is a warning
# and fresh keys, never a failed start; two nodes on one PostgreSQL open
# each other's tickets; a session id written at a SIGKILL's distance
# (--session-save) survives the kill; on PostgreSQL a session id node A
# made resumes on node B.
. "$TETHER_SRC/tests/integration/lib.sh"

# restart_gw [KILL [OPTIONS...]]: SIGTERM (or SIGKILL), then the same
# gateway again on the same port, as systemctl restart does (a device's
# session belongs to its server's address).
restart_gw() {
	if [ "${1:-}" = KILL ]; then
		shift
		kill -KILL "$GW_PID"
		wait "$GW_PID" 2>/dev/null || true
	else
		stop_gw
	fi
	mv "$T/gw.log" "$T/gw.log.prev"
	"$TETHER" serve --listen "127.0.0.1:$PORT" --db "$GW_DB" \
	    --app-listen off --admin-listen off --state-dir "$T/state" \
	    --workers 2 "$@" >"$T/gw.out" 2>>"$T/gw.log" &
	GW_PID=$!
	PIDS="$PIDS $GW_PID"
	wait_for 20 grep -qE 'event=listening' "$T/gw.log" || fail "gateway did not start again"
}
send() { timeout 20 "$TETHER" send "https://127.0.0.1:$PORT" "$@" >"$T/out" 2>"$T/err"; }

start_gw --app-listen off --admin-listen off
provision 1
printf '%s' "${CRED[0]}" >"$T/cred0"

# 1. Session id: full, then restart, then resumed.
send --pin "$PIN" --credential-file "$T/cred0" --save-session "$T/rtc" --stats '{"r":1}' ||
    fail "first send: $(cat "$T/err")"
grep -q 'handshake full' "$T/out" || fail "first send not full: $(cat "$T/out")"
restart_gw
grep -q 'event=sessions_saved' "$T/gw.log.prev" || fail "no sessions_saved at the stop"
[ "$(stat -c %a "$T/state/sessions")" = 600 ] || fail "sessions file is not mode 600"
[ "$(stat -c %a "$T/state/ticket-keys")" = 600 ] || fail "ticket-keys file is not mode 600"
grep -q 'event=sessions_loaded' "$T/gw.log" || fail "no sessions_loaded at the start"
send --pin "$PIN" --credential-file "$T/cred0" --save-session "$T/rtc" --stats '{"r":2}' ||
    fail "send after restart: $(cat "$T/err")"
grep -q '^message 1 of 1: stored (201), handshake resumed ' "$T/out" ||
    fail "no resumption by session id after a restart: $(cat "$T/out")"
ok "session id resumption survives a restart (libtether's kind)"

# 1b. SIGKILL: no stop writes the file, the periodic write (--session-save)
# did. A new session (a full handshake after the file is gone), then the
# write that holds it, then the kill.
rm -f "$T/rtc"
restart_gw KILL --session-save 1s
rm -f "$T/gw.log.prev"
send --pin "$PIN" --credential-file "$T/cred0" --save-session "$T/rtc" --stats '{"k":1}' ||
    fail "send before the kill: $(cat "$T/err")"
grep -q 'handshake full' "$T/out" || fail "send before the kill not full: $(cat "$T/out")"
wait_for 20 grep -qE 'event=sessions_saved.* sessions=[1-9].*when=periodic' "$T/gw.log" ||
    fail "no periodic sessions_saved within 20 s of --session-save 1s: $(grep sessions "$T/gw.log")"
[ "$(stat -c %a "$T/state/sessions")" = 600 ] || fail "periodic sessions file is not mode 600"
ls "$T/state" | grep -q '^sessions\.' && fail "a temporary session file was left: $(ls "$T/state")"
restart_gw KILL
grep -q 'event=sessions_loaded' "$T/gw.log" || fail "no sessions_loaded after the kill"
send --pin "$PIN" --credential-file "$T/cred0" --save-session "$T/rtc" --stats '{"k":2}' ||
    fail "send after the kill: $(cat "$T/err")"
grep -q '^message 1 of 1: stored (201), handshake resumed ' "$T/out" ||
    fail "no resumption by session id after a SIGKILL: $(cat "$T/out")"
ok "a session id written by --session-save survives a SIGKILL"

# 2. Ticket (TLS 1.3 and 1.2): openssl s_client keeps the ticket.
# s_sess ARGS...: one request and its answer (a TLS 1.3 ticket comes
# after the handshake: s_client must read on until the gateway closes).
REQ='GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
s_sess() {
	printf "$REQ" | timeout 10 openssl s_client -connect "127.0.0.1:${SPORT:-$PORT}" \
	    -servername localhost -ign_eof "$@" 2>/dev/null
}
for v in -tls1_3 -tls1_2; do
	rm -f "$T/tk"
	s_sess $v -sess_out "$T/tk" >"$T/s1" || true
	[ -s "$T/tk" ] || fail "s_client $v kept no session"
	restart_gw
	s_sess $v -sess_in "$T/tk" >"$T/s2" || true
	grep -q '^Reused, ' "$T/s2" || fail "ticket ($v) not resumed after a restart: $(grep -E '^(New|Reused)' "$T/s2")"
done
ok "tickets (TLS 1.3 and 1.2) resume after a restart"

# 3. A damaged or foreign key file: a warning, fresh keys, a normal start.
stop_gw
for bad in garbage nginx; do
	if [ $bad = garbage ]; then printf 'not a key file' >"$T/state/ticket-keys"
	else head -c 80 /dev/urandom >"$T/state/ticket-keys"; fi
	chmod 600 "$T/state/ticket-keys"
	start_gw --app-listen off --admin-listen off
	grep -q 'event=ticket_keys_refused' "$T/gw.log" || fail "no warning for a $bad key file"
	s_sess -tls1_3 >"$T/s3" || true
	grep -q '^New, ' "$T/s3" || fail "no handshake after a $bad key file"
	stop_gw
	grep -q '^tether tickets1$' "$T/state/ticket-keys" 2>/dev/null ||
	    head -c 16 "$T/state/ticket-keys" | grep -q 'tether tickets1' ||
	    fail "the $bad key file was not replaced by fresh keys"
done
chmod 644 "$T/state/ticket-keys"
start_gw --app-listen off --admin-listen off
grep -q 'event=ticket_keys_refused.*mode 644' "$T/gw.log" || fail "a key file others can read was used"
[ "$(stat -c %a "$T/state/ticket-keys")" = 600 ] || fail "the replaced key file is not mode 600"
stop_gw
printf 'damaged' >"$T/state/sessions"; chmod 600 "$T/state/sessions"
start_gw --app-listen off --admin-listen off
grep -q 'event=sessions_refused' "$T/gw.log" || fail "no warning for a damaged session file"
stop_gw
ok "a damaged, foreign or readable key file: a warning and fresh keys"

# 4. Two nodes on one PostgreSQL: a ticket from node A resumes on node B.
if [ -z "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null)" ] || ! id postgres >/dev/null 2>&1; then
	echo "ok - # SKIP two nodes: no PostgreSQL here"
	exit 0
fi
. "$TETHER_SRC/tests/integration/pglib.sh"
pg_init
pg_start
URI=$(pg_createdb tether)
"$TETHER" provision --db "$URI" --key-file "$T/reg.key" --count 1 --out "$T/pgdev" >/dev/null 2>&1 ||
    fail "provision on PostgreSQL failed"
node() {	# node NAME: starts a gateway on its own ports and state dir
	local port admin; port=$(free_port); admin=$(free_port)
	# one certificate for every node, as behind a load balancer
	if [ "$1" != a ] && [ -f "$T/state-a/ecdsa.crt" ]; then
		mkdir -p "$T/state-$1" && chmod 700 "$T/state-$1"
		cp -p "$T"/state-a/ecdsa.* "$T"/state-a/rsa.* "$T/state-$1/"
	fi
	"$TETHER" serve --listen "127.0.0.1:$port" --db "$URI" --key-file "$T/reg.key" \
	    --app-listen off --admin-listen "127.0.0.1:$admin" --state-dir "$T/state-$1" \
	    --workers 1 --node "$1" >"$T/$1.out" 2>"$T/$1.log" &
	PIDS="$PIDS $!"
	eval "PID_$1=$! PORT_$1=$port ADMIN_$1=$admin"
	wait_for 20 grep -q 'event=listening' "$T/$1.log" || { cat "$T/$1.log" >&2; fail "node $1 did not start"; }
}
node a
node b
[ "$(pg_sql tether 'select count(*) from tls_ticket_keys')" -ge 1 ] || fail "no ticket key in the store"
for v in -tls1_3 -tls1_2; do
	rm -f "$T/tk"
	SPORT=$PORT_a s_sess $v -sess_out "$T/tk" >"$T/a1" || true
	SPORT=$PORT_b s_sess $v -sess_in "$T/tk" >"$T/b1" || true
	grep -q '^Reused, ' "$T/b1" || fail "a ticket ($v) of node A did not resume on node B"
done
# The key in the store is sealed: its secret is not in the row.
pg_sql tether "select encode(sealed, 'hex') from tls_ticket_keys" | grep -qE '^[0-9a-f]{184}$' ||
    fail "the sealed key is not 92 bytes"
ok "two nodes on PostgreSQL: a ticket node A issued resumes on node B"

# A session id (libtether's kind) from node A resumes on node B: A writes
# it to the store within a second, B reads it within another.
PGCRED=$(grep -o '"credential": *"[^"]*"' "$T/pgdev/manifest.json" | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
printf '%s' "$PGCRED" >"$T/pgcred"
PGPIN=$(spki_pin "$T/state-a/ecdsa.crt")
# share_read NODE: the sessions NODE took in from other nodes
share_read() {
	curl -s --max-time 5 "http://127.0.0.1:$(eval echo \$ADMIN_$1)/metrics" |
	    sed -n 's/^tether_session_share_total{event="read"} //p'
}
has_read() { [ "$(share_read "$1")" -ge "$2" ] 2>/dev/null; }
# The device keeps one address (a relay, as HAProxy): node A behind it,
# then node B.
RPORT=$(free_port)
echo "$PORT_a" >"$T/relay.to"
python3 "$TETHER_SRC/tests/integration/relay.py" --port "$RPORT" --to "$T/relay.to" \
    >"$T/relay.out" 2>"$T/relay.err" &
RELAY_PID=$!
PIDS="$PIDS $RELAY_PID"
wait_for 10 grep -q listening "$T/relay.out" || fail "the relay did not start: $(cat "$T/relay.err")"
N=10
base=$(share_read b); base=${base:-0}
for i in $(seq 1 $N); do
	rm -f "$T/mv$i"
	timeout 20 "$TETHER" send "https://127.0.0.1:$RPORT" --pin "$PGPIN" \
	    --credential-file "$T/pgcred" --save-session "$T/mv$i" --stats "{\"a\":$i}" \
	    >"$T/out" 2>"$T/err" || fail "send $i to node A: $(cat "$T/err")"
	grep -q 'handshake full' "$T/out" || fail "send $i to node A not full: $(cat "$T/out")"
done
t0=$(date +%s%N)
wait_for 15 has_read b $((base + N)) ||
    fail "node B took in $(share_read b) sessions, want $((base + N)), within 15 s"
lag_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$PORT_b" >"$T/relay.to"
resumed=0
for i in $(seq 1 $N); do
	timeout 20 "$TETHER" send "https://127.0.0.1:$RPORT" --pin "$PGPIN" \
	    --credential-file "$T/pgcred" --save-session "$T/mv$i" --stats "{\"b\":$i}" \
	    >"$T/out" 2>"$T/err" || fail "send $i to node B: $(cat "$T/err")"
	grep -q '^message 1 of 1: stored (201), handshake resumed ' "$T/out" && resumed=$((resumed + 1))
done
echo "# sessions moved A->B: $resumed of $N resumed; B had them ${lag_ms} ms after A's last handshake"
[ "$resumed" = "$N" ] || fail "only $resumed of $N session ids of node A resumed on node B"
curl -s "http://127.0.0.1:$ADMIN_b/metrics" | grep -qE '^tether_handshakes_resumed_total\{by="session_id"\} [1-9]' ||
    fail "node B's /metrics does not count the resumptions by session id"
# The row is sealed: no session id or master secret of A's in clear
# (an unsealed row holds both, in the session's DER), and each row
# opens only under the registry key. The device's session file holds
# them (lib/session.c: the id at byte 10, 32 bytes; the master secret
# at 42, 48 bytes).
[ "$(pg_sql tether "select count(*) from tls_sessions where node = 'a'")" -ge $N ] ||
    fail "node A wrote fewer than $N sessions to the store"
pg_sql tether "select n, node, expires_at, encode(sealed, 'hex') from tls_sessions" >"$T/rows"
for i in $(seq 1 $N); do
	sid=$(od -An -v -tx1 -j 10 -N 32 "$T/mv$i" | tr -d ' \n')
	msec=$(od -An -v -tx1 -j 42 -N 48 "$T/mv$i" | tr -d ' \n')
	[ ${#sid} = 64 ] && [ ${#msec} = 96 ] && [ "$sid" != "$(printf '0%.0s' $(seq 64))" ] ||
	    fail "session file $i holds no session id: $sid"
	grep -q "$sid" "$T/rows" && fail "session id $i of node A is in the store in clear"
	grep -q "$msec" "$T/rows" && fail "the master secret of session $i is in the store in clear"
done
ok "two nodes on PostgreSQL: a session id node A made resumes on node B"

# A damaged row (a copy of a real one with one byte flipped): refused and
# counted, never a crash.
refused() { curl -s "http://127.0.0.1:$ADMIN_b/metrics" | sed -n 's/^tether_session_share_total{event="refused"} //p'; }
base=$(refused)
pg_sql tether "insert into tls_sessions (node, sealed, expires_at) select 'x', overlay(sealed placing decode(lpad(to_hex(get_byte(sealed, 20) # 255), 2, '0'), 'hex') from 21 for 1), expires_at from tls_sessions order by n desc limit 1" >/dev/null
refused_more() { [ "$(refused)" -gt "${base:-0}" ]; }
wait_for 10 refused_more || fail "node B did not refuse a damaged row (refused: $(refused))"
kill -0 "$PID_b" || fail "node B died reading a damaged row"
ok "a damaged session row is refused (counted), node B runs on"

# A row whose transaction commits late: its position is taken, a later
# row commits and node B's read passes both, then it commits 1.4 s
# later. B reads the rows of the last 2 s again, so it still takes it
# (it read them again only one sync later before). The row is a copy
# of one of A's made while B was stopped, moved aside so B never saw it.
echo "$PORT_a" >"$T/relay.to"
kill -STOP "$PID_b"
rows_a=$(pg_sql tether "select count(*) from tls_sessions where node = 'a'")
rm -f "$T/late"
timeout 20 "$TETHER" send "https://127.0.0.1:$RPORT" --pin "$PGPIN" \
    --credential-file "$T/pgcred" --save-session "$T/late" --stats '{"late":1}' \
    >"$T/out" 2>"$T/err" || { kill -CONT "$PID_b"; fail "send to node A: $(cat "$T/err")"; }
a_wrote() { [ "$(pg_sql tether "select count(*) from tls_sessions where node = 'a'")" -gt "$rows_a" ]; }
wait_for 10 a_wrote || { kill -CONT "$PID_b"; fail "node A did not write its session"; }
pg_sql tether "create table held as select sealed, expires_at from tls_sessions where node = 'a' order by n desc limit 1;
    delete from tls_sessions where n = (select max(n) from tls_sessions where node = 'a')" >/dev/null
kill -CONT "$PID_b"
base_read=$(share_read b); base=$(refused)
mkfifo "$T/sql.in"
"$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres -d tether \
    <"$T/sql.in" >"$T/sql.out" 2>&1 &
PSQL_PID=$!
PIDS="$PIDS $PSQL_PID"
exec 7>"$T/sql.in"
echo "begin; insert into tls_sessions (node, sealed, expires_at) select 'late', sealed, expires_at from held; select 'held';" >&7
wait_for 10 grep -q '^held$' "$T/sql.out" || fail "the held transaction did not insert: $(cat "$T/sql.out")"
# a row after it, committed at once (it does not open: counted as refused)
pg_sql tether "insert into tls_sessions (node, sealed, expires_at) values ('junk', '\\x00', $(($(date +%s) + 3600)))" >/dev/null
wait_for 10 refused_more || fail "node B did not read past the held row"
sleep 1.4	# the point of the test: a transaction held open that long
echo "commit; select 'done';" >&7
wait_for 10 grep -q '^done$' "$T/sql.out" || fail "the held transaction did not commit: $(cat "$T/sql.out")"
exec 7>&-
wait "$PSQL_PID" 2>/dev/null || true
late_read() { has_read b $((base_read + 1)); }
wait_for 10 late_read || fail "node B never took in the row committed 1.4 s late (read: $(share_read b), was $base_read)"
echo "$PORT_b" >"$T/relay.to"
timeout 20 "$TETHER" send "https://127.0.0.1:$RPORT" --pin "$PGPIN" \
    --credential-file "$T/pgcred" --save-session "$T/late" --stats '{"late":2}' \
    >"$T/out" 2>"$T/err" || fail "send to node B: $(cat "$T/err")"
grep -q '^message 1 of 1: stored (201), handshake resumed ' "$T/out" ||
    fail "the session of the late row did not resume on node B: $(cat "$T/out")"
pg_sql tether "drop table held" >/dev/null
ok "a session row committed 1.4 s after a read passed it is still taken in"

# Expired rows faster than a fixed count of deletes a prune keeps up
# with (32 batches every 10 s a node, before): all go at the next prune.
pg_sql tether "insert into tls_sessions (node, sealed, expires_at) select 'old', '\\x00', 1 from generate_series(1, 20000)" >/dev/null
t0=$(date +%s%N)
none_old() { [ "$(pg_sql tether "select count(*) from tls_sessions where node = 'old'")" = 0 ]; }
wait_for 15 none_old ||
    fail "$(pg_sql tether "select count(*) from tls_sessions where node = 'old'") of 20000 expired rows left after 15 s"
echo "# 20000 expired rows deleted $(( ($(date +%s%N) - t0) / 1000000 )) ms after they were written"
ok "expired rows are deleted until none is left, not a fixed count at a time"
kill "$RELAY_PID"

# A key made while node B runs (here: the store emptied and node A
# restarted, as a rotation makes one): B picks it up, soon after a client
# shows it a ticket of it.
kill -TERM "$PID_a"
wait_for 15 sh -c "! kill -0 $PID_a 2>/dev/null" || fail "node A did not stop"
pg_sql tether 'delete from tls_ticket_keys' >/dev/null
node a
# (node B's own sync, every 10 s, may put its key back meanwhile: then A
# takes that one; either way the store holds a key A seals with)
keys_in_store() { [ "$(pg_sql tether 'select count(*) from tls_ticket_keys')" -ge 1 ]; }
wait_for 10 keys_in_store || fail "node A made no new key"
rm -f "$T/tk"
SPORT=$PORT_a s_sess -tls1_2 -sess_out "$T/tk" >"$T/a2" || true
b_resumes() { SPORT=$PORT_b s_sess -tls1_2 -sess_in "$T/tk" | grep -q '^Reused, '; }
wait_for 8 b_resumes || fail "node B did not pick up the key node A made after B started"
ok "a key another node makes later is picked up (at once when a client shows a ticket of it)"
kill -TERM "$PID_a" "$PID_b"
wait_for 15 sh -c "! kill -0 $PID_a 2>/dev/null && ! kill -0 $PID_b 2>/dev/null" || fail "nodes did not stop"
