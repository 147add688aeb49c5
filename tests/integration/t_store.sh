# SPDX-License-Identifier: MIT
# When the store cannot commit (a database locked by someone else, a full
# disk), messages get 503 with Retry-After, never 201; health says so; and
# service resumes by itself when the store does.
. "$(dirname "$0")/lib.sh"

# --presence off: a lone presence commit waiting on the lock first would
# hold the 503'd message's commit until the lock is gone, and the message
# would be stored late (which the contract allows: its retry is then a
# duplicate); this test wants the store's failure alone.
start_gw --presence off
provision 2
C=${CRED[0]}
[ "$(post "$C" before 1)" = 201 ] || fail "no 201 before the lock"

# Another process holds the write lock longer than the busy timeout (5 s).
{ echo 'BEGIN EXCLUSIVE;'; echo 'INSERT INTO audit (at, actor, action) VALUES (0, "test", "lock");'; sleep 8; echo 'COMMIT;'; } |
    sqlite3 "$GW_DB" &
LOCKER=$!
PIDS="$PIDS $LOCKER"
sleep 0.5
code=$(post "$C" during-lock 2)
[ "$code" = 503 ] || fail "message while the store is locked: $code, want 503"
grep -q 'error' "$T/body" || fail "503 body: $(cat "$T/body")"
# The device's answer comes at --registry-timeout (3 s), the commit's
# failure at the busy timeout (5 s): wait for its line.
wait_for 10 grep -q 'event=store_failed.*locked' "$T/gw.log" ||
    fail "no store_failed log line naming the lock"
code=$(gw_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/v1/health")
[ "$code" = 503 ] || fail "health while the store fails: $code"
ok "database locked by another process: 503, health 503, a log line"

wait "$LOCKER"
[ "$(sql "select count(*) from messages where seq = 2")" = 0 ] || fail "the 503 message was stored"
[ "$(post "$C" after-lock 2)" = 201 ] || fail "no 201 once the lock is gone"
code=$(gw_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/v1/health")
[ "$code" = 200 ] || fail "health after recovery: $code"
grep -q 'event=store_recovered' "$T/gw.log" || fail "no store_recovered log line"
ok "service resumes by itself when the lock is released"
stop_gw

# A full disk: the gateway runs under a file-size limit; once the database
# cannot grow, messages get 503 and nothing acknowledged is missing.
size=$(($(stat -c %s "$GW_DB") / 1024 + 256))
# Empty the log first: the shell truncates it in the background child, so
# waiting on it at once could match the previous gateway's listening line.
: >"$T/gw.log"
( ulimit -f "$size"; exec "$TETHER" serve --app-listen off --admin-listen off --listen "127.0.0.1:$PORT" --db "$GW_DB" \
    --state-dir "$T/state" --workers 1 ) >"$T/gw.out" 2>"$T/gw.log" &
GW_PID=$!
PIDS="$PIDS $GW_PID"
wait_for 20 grep -q 'event=listening' "$T/gw.log" || fail "gateway did not start under ulimit -f"
head -c 16000 /dev/zero | tr '\0' x >"$T/body16k"
acked=0 full=0
for s in $(seq 100 200); do
	code=$(post "$C" @"$T/body16k" "$s")
	case $code in
	201) acked=$((acked + 1)); echo "$s" >>"$T/acked" ;;
	503) full=1; break ;;
	*) fail "unexpected answer $code with a full disk" ;;
	esac
done
[ $full = 1 ] || fail "no 503 after $acked messages filled the file-size limit"
grep -q 'event=store_failed' "$T/gw.log" || fail "no store_failed log line for the full disk"
for s in $(cat "$T/acked"); do
	[ "$(sql "select count(*) from messages where seq = $s")" = 1 ] || fail "acknowledged seq $s missing"
done
ok "full disk: 503 after $acked stored messages, every acknowledged one present"
stop_gw

# A failing disk: fdatasync(2) returns EIO (the test-only shim
# tests/integration/shims/failsync.c, preloaded into the gateway only).
# Linux may drop pages it could not write while SQLite still sees their
# rows, so from the first failure the gateway acknowledges nothing until
# it is restarted: 503, health 503, a log line that says so.
SHIM=${TETHER_BUILD:-$(dirname "$TETHER")}/libfailsync.so
[ -f "$SHIM" ] || fail "$SHIM is missing (built with the tests)"
rm -f "$GW_DB" "$GW_DB-wal" "$GW_DB-shm"
LD_PRELOAD=$SHIM TETHER_FAILSYNC=$T/failsync TETHER_SLOWSYNC=$T/slowsync \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 start_gw
provision 1
[ "$(post "${CRED[0]}" before 1)" = 201 ] || fail "no 201 before the disk fails"
# A disk that flushes in 0.6 s: still 201, and one line that says why.
touch "$T/slowsync"
[ "$(post "${CRED[0]}" slow 100)" = 201 ] || fail "no 201 from a slow disk"
rm -f "$T/slowsync"
grep -q 'level=warn event=store_slow ms=[0-9]* messages=1 reason="the disk.s flush of the write-ahead log took [0-9]* ms' "$T/gw.log" ||
    fail "no store_slow line for a 0.6 s flush: $(grep store_ "$T/gw.log")"
ok "a 0.6 s flush: 201, and a store_slow line naming the disk's flush"
touch "$T/failsync"
code=$(post "${CRED[0]}" failing 2)
[ "$code" = 503 ] || fail "message while fdatasync fails: $code, want 503"
wait_for 5 grep -q 'event=store_failed.*fdatasync.*restarted' "$T/gw.log" ||
    fail "no store_failed log line naming fdatasync and the restart"
rm -f "$T/failsync"
[ "$(post "${CRED[0]}" after 3)" = 503 ] || fail "acknowledged again after a failed fdatasync, before a restart"
code=$(gw_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/v1/health")
[ "$code" = 503 ] || fail "health after a failed fdatasync: $code"
stop_gw
start_gw
[ "$(post "${CRED[0]}" restarted 4)" = 201 ] || fail "no 201 after the restart"
[ "$(sql "select count(*) from messages where seq = 1")" = 1 ] || fail "the acknowledged message is missing"
ok "fdatasync fails: 503 from then on, health 503, a log line; 201 again after a restart"
stop_gw

# The gateway builds its duplicate check before it listens, under the
# write lock: with another process holding that lock past the busy
# timeout, it does not start, exits 1 and says why.
{ echo 'BEGIN EXCLUSIVE;'; echo 'INSERT INTO audit (at, actor, action) VALUES (0, "test", "lock");'; sleep 9; echo 'COMMIT;'; } |
    sqlite3 "$GW_DB" &
LOCKER=$!
PIDS="$PIDS $LOCKER"
sleep 0.5
PORT=$(free_port)
rc=0
timeout 30 "$TETHER" serve --app-listen off --admin-listen off --listen "127.0.0.1:$PORT" --db "$GW_DB" \
    --state-dir "$T/state" --workers 1 >/dev/null 2>"$T/start.err" || rc=$?
[ $rc = 1 ] || fail "gateway on a locked store exited $rc, want 1"
grep -q 'cannot prepare the message store.*locked' "$T/start.err" ||
    fail "no reason for the failed start: $(cat "$T/start.err")"
wait "$LOCKER"
ok "a store locked past the busy timeout at start: exit 1, '$(tail -n 1 "$T/start.err" | cut -c1-80)...'"

# The syncer opens the write-ahead log SQLite has just made: if that open
# fails (the shim refuses it, as when the log vanished or lost its
# permissions in between), the gateway does not start, exits 1, says why.
PORT=$(free_port)
rc=0
LD_PRELOAD=$SHIM TETHER_FAILWALOPEN=1 \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    timeout 30 "$TETHER" serve --app-listen off --admin-listen off --listen "127.0.0.1:$PORT" --db "$GW_DB" \
    --state-dir "$T/state" --workers 1 >/dev/null 2>"$T/start.err" || rc=$?
[ $rc = 1 ] || fail "gateway that cannot open its log exited $rc, want 1"
grep -q "cannot open the write-ahead log $GW_DB-wal: Permission denied" "$T/start.err" ||
    fail "no reason for the failed start: $(cat "$T/start.err")"
ok "the write-ahead log cannot be opened at start: exit 1, '$(tail -n 1 "$T/start.err" | cut -c1-80)'"
