# SPDX-License-Identifier: MIT
# A failed SQLite store is probed with a write (reg_ping), not a read:
# while another process holds the write lock, health stays 503 although
# the database still reads; once the lock is gone, health turns 200 by
# itself, with no device sending (behind a balancer that took the node
# out, none would), and the log says the store recovered.
. "$(dirname "$0")/lib.sh"

start_gw
provision 1
C=${CRED[0]}
[ "$(post "$C" before 1)" = 201 ] || fail "no 201 before the lock"
health() { [ "$(gw_curl -o /dev/null -w '%{http_code}' --max-time 8 \
    "https://localhost:$PORT/v1/health")" = "$1" ]; }

# Another process takes the write lock and holds it until told to stop.
mkfifo "$T/lock.in"
sqlite3 "$GW_DB" <"$T/lock.in" >"$T/lock.out" 2>&1 &
LOCKER=$!
PIDS="$PIDS $LOCKER"
exec 7>"$T/lock.in"
echo "BEGIN EXCLUSIVE; INSERT INTO audit (at, actor, action) VALUES (0, 'test', 'lock'); SELECT 'locked';" >&7
wait_for 10 grep -q locked "$T/lock.out" || fail "sqlite3 did not take the lock"
[ "$(post "$C" during-lock 2)" = 503 ] || fail "message while locked not 503"
wait_for 10 grep -q 'event=store_failed' "$T/gw.log" || fail "no store_failed line"
health 503 || fail "health not 503 after the failed commit"
# Probes meanwhile (one a second, each waiting out the busy timeout)
# must not call a store that reads but cannot write healthy.
n=0
while [ $n -lt 3 ]; do
	health 503 || fail "health turned 200 while the store still cannot write"
	sleep 1; n=$((n + 1))
done
grep -q 'event=store_recovered' "$T/gw.log" && fail "store_recovered while locked"
ok "locked: health stays 503 (the probe writes, and the write waits on the lock)"

echo "COMMIT;" >&7
exec 7>&-
wait "$LOCKER" || true
wait_for 15 health 200 || fail "health still 503 after the lock is gone, no message sent"
grep -q 'event=store_recovered' "$T/gw.log" || fail "no store_recovered line"
ok "lock released: health 200 by itself, no message needed"
[ "$(post "$C" after 3)" = 201 ] || fail "no 201 after the recovery"
[ "$(sql "select count(*) from messages where seq = 2")" = 0 ] || fail "the 503 message was stored"
ok "a message after the recovery: 201"
stop_gw
