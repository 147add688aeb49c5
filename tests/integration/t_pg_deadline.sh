# SPDX-License-Identifier: MIT
# Every call to PostgreSQL has a deadline of its own (reg_set_timeout):
# a server that keeps its sockets open and answers nothing does not hold
# a call past it. A tool's query stuck behind a lock fails at the 3 s
# default with the reason, and its query is cancelled in the server (not
# left waiting); with PostgreSQL frozen (SIGSTOP), a tool fails within the
# deadline, the gateway's lookup and commit fail at --registry-timeout
# with the reason in the log (their threads come back); thawed, the
# gateway and the tools work again without a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pglib.sh"

FROZEN=""
freeze() {
	FROZEN="$PG_PID $(pgrep -P "$PG_PID" | tr '\n' ' ')"
	kill -STOP $FROZEN
}
thaw() {
	if [ -n "$FROZEN" ]; then
		# runuser, the postmaster's parent, stops with its child
		kill -CONT $FROZEN $(ps -o ppid= -p "$PG_PID") 2>/dev/null || true
	fi
	FROZEN=""
}
LOCKER=""
deadline_cleanup() {
	thaw
	if [ -n "$LOCKER" ]; then kill "$LOCKER" 2>/dev/null || true; fi
	pg_cleanup
}
trap deadline_cleanup EXIT
ms() { echo $(($(date +%s%N) / 1000000)); }

pg_init
pg_start
GW_DB=$(pg_createdb tether)
KEY="$T/registry.key"
"$TETHER" provision --db "$GW_DB" --key-file "$KEY" --count 3 --out "$T/dev" \
    2>"$T/prov.err" || fail "provision: $(cat "$T/prov.err")"
CRED=($(grep -o '"credential": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
ID=($(grep -o '"id": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
[ ${#CRED[@]} -eq 3 ] || fail "manifest has ${#CRED[@]} credentials, want 3"
tool() { timeout 15 "$TETHER" device show "${ID[0]}" --db "$GW_DB" --key-file "$KEY"; }
tool >/dev/null 2>&1 || fail "device show failed before anything"

# A query stuck behind a lock another session holds: the server runs,
# the answer never comes. The tool fails at its deadline and cancels the
# query, so nothing of it waits in the server afterwards.
mkfifo "$T/lock.in"
"$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d tether \
    <"$T/lock.in" >"$T/lock.out" 2>&1 &
LOCKER=$!
exec 7>"$T/lock.in"
echo "BEGIN; LOCK TABLE devices IN ACCESS EXCLUSIVE MODE; SELECT 'locked';" >&7
wait_for 10 grep -q locked "$T/lock.out" || fail "psql did not take the lock"
t0=$(ms)
tool >/dev/null 2>"$T/lock.err" && fail "device show succeeded behind the lock"
t1=$(ms)
grep -q "did not answer within 3 s" "$T/lock.err" ||
    fail "no deadline reason: $(cat "$T/lock.err")"
[ $((t1 - t0)) -ge 2800 ] && [ $((t1 - t0)) -le 6000 ] ||
    fail "device show failed after $((t1 - t0)) ms (deadline 3 s)"
waiting() { [ "$(pg_sql tether "SELECT count(*) FROM pg_stat_activity
    WHERE application_name = 'tether' AND wait_event_type = 'Lock'")" = "$1" ]; }
waiting 0 || fail "the tool's query still waits in the server (not cancelled)"
ok "behind a lock: the tool fails after $((t1 - t0)) ms: $(cat "$T/lock.err")"
echo "ROLLBACK; \\q" >&7
exec 7>&-
wait "$LOCKER" || true
LOCKER=""

start_gw --key-file "$KEY" --workers 1 --registry-timeout 2s --drain-timeout 5s
[ "$(post "${CRED[0]}" '{"t":0}')" = 201 ] || fail "first message not 201"
ok "gateway on PostgreSQL; device 0 known"

freeze
ok "PostgreSQL frozen (pids $FROZEN)"

# A tool while frozen: its connection is accepted by the kernel and then
# nothing comes; it fails at the deadline, not at libpq's own.
t0=$(ms)
tool >/dev/null 2>"$T/frozen.err" && fail "device show succeeded while frozen"
t1=$(ms)
grep -q "did not answer within 3 s" "$T/frozen.err" ||
    fail "no deadline reason: $(cat "$T/frozen.err")"
[ $((t1 - t0)) -le 6000 ] || fail "device show failed after $((t1 - t0)) ms"
ok "frozen: the tool fails after $((t1 - t0)) ms: $(cat "$T/frozen.err")"

# The gateway's lookup (an uncached credential) and commit (a cached
# device's message) fail at the deadline, with the reason in the log:
# their threads come back instead of waiting in the frozen server.
t0=$(ms)
[ "$(post "${CRED[1]}" x)" = 503 ] || fail "lookup while frozen not 503"
wait_for 5 grep -q 'event=registry_failed.*did not answer within 2 s' "$T/gw.log" ||
    fail "no registry_failed line with the deadline's reason"
t1=$(ms)
[ $((t1 - t0)) -le 4500 ] || fail "the lookup failed after $((t1 - t0)) ms (deadline 2 s)"
ok "frozen: the lookup thread gave up after $((t1 - t0)) ms with the reason"
t0=$(ms)
[ "$(post "${CRED[0]}" y 5)" = 503 ] || fail "commit while frozen not 503"
wait_for 5 grep -q 'event=store_failed.*did not answer within 2 s' "$T/gw.log" ||
    fail "no store_failed line with the deadline's reason"
t1=$(ms)
[ $((t1 - t0)) -le 4500 ] || fail "the commit failed after $((t1 - t0)) ms (deadline 2 s)"
ok "frozen: the commit gave up after $((t1 - t0)) ms with the reason"

thaw
ok "thawed"
accepted() { [ "$(post "${CRED[2]}" z)" = 201 ]; }
wait_for 10 accepted || fail "device 2 not accepted after the thaw"
[ "$(post "${CRED[0]}" y 5)" = 201 ] || [ "$(post "${CRED[0]}" y 5)" = 200 ] ||
    fail "device 0's retry after the thaw not accepted"
tool >/dev/null 2>"$T/after.err" || fail "device show after the thaw: $(cat "$T/after.err")"
ok "after the thaw: the gateway stores again, the tool works"
stop_gw
pg_stop
