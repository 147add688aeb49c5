# SPDX-License-Identifier: MIT
# The registry on PostgreSQL, with the real gateway and command-line
# tool, against a private server this test starts: the store test suite
# on PostgreSQL, provisioning, messages and duplicates, a revocation seen
# within a second, and a database restart: 503 (never 201) while it is
# down, service back without restarting the gateway.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pglib.sh"

pg_init
pg_start
GW_DB=$(pg_createdb tether)
KEY="$T/registry.key"
ok "private PostgreSQL on port $PG_PORT"

# The store test suite, on this server (a database of its own).
if [ -n "${TETHER_BUILD:-}" ] && [ -x "$TETHER_BUILD/test_registry" ]; then
	TETHER_PG_URL=$(pg_createdb units) "$TETHER_BUILD/test_registry" \
	    >"$T/units.log" 2>&1 || { cat "$T/units.log" >&2; fail "test_registry failed"; }
	ok "store tests pass on PostgreSQL ($(grep -c '^\[       OK \]' "$T/units.log") tests)"
fi

# Errors as sentences.
out=$("$TETHER" provision --db "$GW_DB" --count 1 --out "$T/nokey" 2>&1) &&
    fail "provision without --key-file succeeded"
echo "$out" | grep -q 'needs its key file named' || fail "no key file: $out"
out=$("$TETHER" provision --db "postgres://postgres@127.0.0.1:$(free_port)/x" \
    --key-file "$KEY" --count 1 --out "$T/nodb" 2>&1) && fail "provision to a dead port succeeded"
echo "$out" | grep -q 'cannot connect to PostgreSQL at 127.0.0.1:[0-9]*: connection refused' ||
    fail "dead port: $out"
ok "a missing key file and a refused connection are explained"

"$TETHER" provision --db "$GW_DB" --key-file "$KEY" --count 3 --label-prefix pg \
    --out "$T/dev" 2>"$T/prov.err" || fail "provision: $(cat "$T/prov.err")"
CRED=($(grep -o '"credential": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
ID=($(grep -o '"id": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
[ ${#CRED[@]} -eq 3 ] || fail "manifest has ${#CRED[@]} credentials, want 3"
[ "$(pg_sql tether "SELECT count(*) FROM devices")" = 3 ] || fail "devices not in PostgreSQL"
"$TETHER" db migrate --db "$GW_DB" --key-file "$KEY" >"$T/mig" 2>&1 || fail "db migrate: $(cat "$T/mig")"
grep -q '(applied now)' "$T/mig" && fail "db migrate applied again what provision applied"
grep -q 'schema version' "$T/mig" || fail "db migrate on PostgreSQL: $(cat "$T/mig")"
for c in "${CRED[@]}"; do
	"$PG_BIN/pg_dump" -h 127.0.0.1 -p "$PG_PORT" -U postgres tether | grep -qF "$c" &&
	    fail "a credential is in the database"
done
ok "3 devices provisioned into PostgreSQL; no credential in a dump of it"

start_gw --key-file "$KEY" --debug
[ "$(post "${CRED[0]}" '{"t":1}' 1)" = 201 ] || fail "first message not 201"
[ "$(post "${CRED[0]}" '{"t":1}' 1)" = 200 ] || fail "retried seq not 200"
[ "$(post "${CRED[1]}" '{"t":2}')" = 201 ] || fail "second device not 201"
[ "$(pg_sql tether "SELECT count(*) FROM messages WHERE kind = 0")" = 2 ] || fail "messages not stored once each"
[ "$(pg_sql tether "SELECT count(*) FROM devices WHERE last_seen_at IS NOT NULL")" = 2 ] ||
    fail "last seen not written"
ok "201 for a message, 200 for its retry, stored once in PostgreSQL"

"$TETHER" device revoke "${ID[1]}" --db "$GW_DB" --key-file "$KEY" 2>"$T/rev.err" ||
    fail "revoke: $(cat "$T/rev.err")"
start=$(date +%s%N)
wait_for 3 sh -c "[ \"\$(curl -sS --max-time 5 --cacert '$T/ca.pem' \
    --resolve localhost:$PORT:127.0.0.1 -o /dev/null -w '%{http_code}' \
    -H 'Authorization: Device ${CRED[1]}' --data x https://localhost:$PORT/v1/messages)\" = 401 ]" ||
    fail "revoked device still accepted after 3 s"
el=$((($(date +%s%N) - start) / 1000000))
[ $el -le 1000 ] || fail "revocation seen after ${el} ms (want ≤ 1 s)"
wait_for 2 grep -q 'event=registry_change_announced' "$T/gw.log" ||
    fail "the gateway was not woken by PostgreSQL NOTIFY"
"$TETHER" device show "${ID[1]}" --db "$GW_DB" --key-file "$KEY" | grep -q revoked ||
    fail "device show does not say revoked"
ok "a revocation through the CLI is seen by the gateway within ${el} ms"

pg_stop
for i in 1 2 3 4 5; do
	code=$(post "${CRED[0]}" "down $i" $((100 + i)))
	[ "$code" = 503 ] || fail "message $i while PostgreSQL is down: $code (want 503)"
done
grep -q 'the database is unavailable' "$T/gw.log" || fail "no 'database is unavailable' in the log"
ok "PostgreSQL down: 503 for every message, never 201"

pg_start "$PG_PORT"
back=""
for i in $(seq 1 50); do
	code=$(post "${CRED[0]}" "back" 200)
	[ "$code" = 201 ] && { back=$i; break; }
	[ "$code" = 503 ] || fail "after the restart: $code"
	sleep 0.2
done
[ -n "$back" ] || fail "no 201 within 10 s of PostgreSQL's restart"
[ "$(pg_sql tether "SELECT count(*) FROM messages WHERE seq > 100 AND seq < 200")" = 0 ] ||
    fail "a message answered 503 was stored"
[ "$(pg_sql tether "SELECT count(*) FROM messages WHERE seq = 200")" = 1 ] || fail "message after restart not stored"
ok "PostgreSQL back: service resumed (attempt $back) without restarting the gateway"

"$TETHER" device restore "${ID[1]}" --db "$GW_DB" --key-file "$KEY" 2>/dev/null || fail "restore failed"
wait_for 3 sh -c "[ \"\$(curl -sS --max-time 5 --cacert '$T/ca.pem' \
    --resolve localhost:$PORT:127.0.0.1 -o /dev/null -w '%{http_code}' \
    -H 'Authorization: Device ${CRED[1]}' --data y https://localhost:$PORT/v1/messages)\" = 201 ]" ||
    fail "restored device refused after the restart"
ok "a restore after the database restart reaches the gateway"
stop_gw
pg_stop
