# SPDX-License-Identifier: MIT
# A registry that stops answering (its PostgreSQL frozen by SIGSTOP, the
# socket open, nothing coming back) holds up only the credential lookups,
# never the worker's loop: with one worker, /v1/health stays answered while
# a lookup is stuck, the stuck request gets 503 with Retry-After at the
# --registry-timeout deadline, a flood of unknown credentials is answered
# the same way, an unknown credential once seen costs no round trip, the
# device gets 201 once the database thaws; a cached device's message whose
# commit hangs gets 503 with Retry-After at the deadline (never 201), and
# health turns 503; SIGTERM during a stall (a lookup and a commit stuck)
# exits within --drain-timeout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pglib.sh"

# The cluster's processes while frozen: thawed before anything is killed
# (a stopped backend would never notice its postmaster's death).
# runuser, the postmaster's parent, stops itself when its child stops
# (job control): it is thawed too, or it could not reap the postmaster.
FROZEN=""
freeze() {
	FROZEN="$PG_PID $(pgrep -P "$PG_PID" | tr '\n' ' ')"
	kill -STOP $FROZEN
}
thaw() {
	if [ -n "$FROZEN" ]; then
		kill -CONT $FROZEN $(ps -o ppid= -p "$PG_PID") 2>/dev/null || true
	fi
	FROZEN=""
}
stall_cleanup() { thaw; pg_cleanup; }
trap stall_cleanup EXIT

ms() { echo $(($(date +%s%N) / 1000000)); }
# Lookups the gateway has queued (a --debug line each).
queued() { grep -c 'event=lookup_queued' "$T/gw.log" || true; }
more_queued() { [ "$(queued)" -gt "$1" ]; }
timeouts() { grep -c 'event=registry_timeout' "$T/gw.log" || true; }
more_timeouts() { [ "$(timeouts)" -gt "$1" ]; }
# burst NAME N CRED: N messages at once, CRED's %d their number; their
# status codes go to $T/NAME.<number>, burst_wait waits for them all.
burst() {
	local i
	BURST=""
	for i in $(seq 1 "$2"); do
		# shellcheck disable=SC2059
		gw_curl -o /dev/null -w '%{http_code}\n' \
		    -H "Authorization: Device $(printf "$3" "$i")" --data-binary x \
		    "https://localhost:$PORT/v1/messages" >"$T/$1.$i" 2>&1 &
		BURST="$BURST $!"
	done
}
burst_wait() { local p; for p in $BURST; do wait "$p" || true; done; }
# codes NAME: the status codes of burst NAME, counted.
codes() { cat "$T/$1".* | sort | uniq -c | tr -s ' \n' ' '; }

pg_init
pg_start
GW_DB=$(pg_createdb tether)
KEY="$T/registry.key"
"$TETHER" provision --db "$GW_DB" --key-file "$KEY" --count 4 --out "$T/dev" \
    2>"$T/prov.err" || fail "provision: $(cat "$T/prov.err")"
CRED=($(grep -o '"credential": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
[ ${#CRED[@]} -eq 4 ] || fail "manifest has ${#CRED[@]} credentials, want 4"

# Presence off: its beats would also find the frozen store (the last
# case, below, is about that); here health must say what a lookup and
# a message's commit do.
start_gw --key-file "$KEY" --workers 1 --registry-timeout 2s --drain-timeout 5s \
    --debug --presence off
[ "$(post "${CRED[0]}" '{"t":0}')" = 201 ] || fail "first message not 201"
ok "one worker on PostgreSQL; device 0 known"

freeze
ok "PostgreSQL frozen (pids $FROZEN)"

# An uncached credential: its lookup is stuck in the frozen server.
q=$(queued)
t0=$(ms)
gw_curl -D "$T/stuck.h" -o /dev/null -w '%{http_code}' \
    -H "Authorization: Device ${CRED[1]}" --data-binary 'x' \
    "https://localhost:$PORT/v1/messages" >"$T/stuck.code" 2>&1 &
STUCK=$!
wait_for 5 more_queued "$q" || fail "the lookup was not queued"
h0=$(ms)
code=$(gw_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/v1/health")
h1=$(ms)
[ "$code" = 200 ] || fail "health while a lookup is stuck: $code"
[ $((h1 - h0)) -le 1500 ] || fail "health took $((h1 - h0)) ms while a lookup was stuck"
ok "health answered in $((h1 - h0)) ms while a lookup is stuck"

wait "$STUCK" || fail "curl of the stuck request failed: $(cat "$T/stuck.code")"
t1=$(ms)
[ "$(cat "$T/stuck.code")" = 503 ] || fail "stuck lookup answered $(cat "$T/stuck.code"), want 503"
grep -qi '^Retry-After: [0-9]' "$T/stuck.h" || fail "503 without Retry-After: $(cat "$T/stuck.h")"
el=$((t1 - t0))
[ $el -ge 1800 ] && [ $el -le 4500 ] || fail "503 after $el ms (deadline 2 s)"
grep -q 'event=registry_timeout' "$T/gw.log" || fail "no registry_timeout line"
ok "the stuck request got 503 with Retry-After after $el ms (deadline 2 s)"

# A flood of unknown credentials while frozen: all answered at the
# deadline, and the loop keeps answering meanwhile.
t0=$(ms)
burst flood 40 'flood-%d-unknown'
h0=$(ms)
code=$(gw_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/v1/health")
h1=$(ms)
[ "$code" = 200 ] || fail "health during the flood: $code"
[ $((h1 - h0)) -le 2000 ] || fail "health took $((h1 - h0)) ms during the flood"
burst_wait
t1=$(ms)
[ "$(codes flood)" = " 40 503 " ] || fail "flood answers: $(codes flood)"
[ $((t1 - t0)) -le 6000 ] || fail "the flood took $((t1 - t0)) ms to be answered"
ok "40 unknown credentials while frozen: 503 each within $((t1 - t0)) ms; health in $((h1 - h0)) ms"

thaw
wait_for 10 sh -c "[ \"\$(curl -sS --max-time 5 --cacert '$T/ca.pem' \
    --resolve localhost:$PORT:127.0.0.1 -o /dev/null -w '%{http_code}' \
    -H 'Authorization: Device ${CRED[1]}' --data y https://localhost:$PORT/v1/messages)\" = 201 ]" ||
    fail "device 1 not accepted after the thaw"
ok "thawed: device 1 gets 201 (late answers dropped)"

# An unknown credential once looked up is remembered: while frozen again
# it gets 401 at once, no round trip.
[ "$(post not-a-device-credential x)" = 401 ] || fail "unknown credential not 401"
freeze
t0=$(ms)
burst neg 5 'not-a-device-credential'
burst_wait
t1=$(ms)
[ "$(codes neg)" = " 5 401 " ] || fail "known-unknown while frozen: $(codes neg)"
[ $((t1 - t0)) -le 1500 ] || fail "known-unknown answers took $((t1 - t0)) ms"
ok "a known-unknown credential gets 401 from the negative cache while frozen ($((t1 - t0)) ms)"

# Two requests on one connection, the first's lookup stuck in flight: the
# first gets 503, the second parks; thawed, the first's late answer finds
# the connection waiting for another lookup and is dropped; the second
# gets its own answer.
q=$(queued)
n=$(timeouts)
d=$(grep -c 'event=lookup_dropped' "$T/gw.log" || true)
gw_curl -o /dev/null -o /dev/null -w '%{http_code}\n' -H "Authorization: Device ${CRED[3]}" \
    --data-binary x "https://localhost:$PORT/v1/messages" \
    "https://localhost:$PORT/v1/messages" >"$T/two.codes" 2>&1 &
TWO=$!
wait_for 5 more_timeouts "$n" || fail "the first request got no 503"
wait_for 5 more_queued $((q + 1)) || fail "the second request was not parked"
thaw
wait "$TWO" || fail "two requests on one connection: $(cat "$T/two.codes")"
[ "$(tr '\n' ' ' <"$T/two.codes")" = "503 201 " ] ||
    fail "two requests on one connection: $(cat "$T/two.codes")"
[ "$(grep -c 'event=lookup_dropped' "$T/gw.log")" -gt "$d" ] ||
    fail "the first request's late answer was not dropped"
ok "one connection: 503, then 201 for the next request; the late answer dropped"
freeze

# A cached device's message: no lookup, but its commit hangs in the
# frozen server. It gets 503 with Retry-After at the deadline, and health
# says 503 once a commit has run longer than the deadline.
t0=$(ms)
gw_curl -D "$T/commit.h" -o /dev/null -w '%{http_code}' \
    -H "Authorization: Device ${CRED[0]}" -H 'X-Tether-Seq: 7' --data-binary x \
    "https://localhost:$PORT/v1/messages" >"$T/commit.code" 2>&1 &
COMMIT=$!
health() { [ "$(gw_curl -o /dev/null -w '%{http_code}' --max-time 2 \
    "https://localhost:$PORT/v1/health")" = "$1" ]; }
wait_for 5 health 503 || fail "health not 503 while a commit hangs"
h1=$(ms)
[ $((h1 - t0)) -le 3500 ] || fail "health turned 503 after $((h1 - t0)) ms (deadline 2 s)"
wait "$COMMIT" || fail "curl of the stuck commit failed: $(cat "$T/commit.code")"
t1=$(ms)
[ "$(cat "$T/commit.code")" = 503 ] || fail "stuck commit answered $(cat "$T/commit.code"), want 503"
grep -qi '^Retry-After: [0-9]' "$T/commit.h" || fail "503 without Retry-After: $(cat "$T/commit.h")"
[ $((t1 - t0)) -le 4500 ] || fail "stuck commit answered after $((t1 - t0)) ms (deadline 2 s)"
grep -q 'event=store_timeout' "$T/gw.log" || fail "no store_timeout line"
ok "a cached device's stuck commit: 503 with Retry-After after $((t1 - t0)) ms, health 503 after $((h1 - t0)) ms"

# SIGTERM while a lookup and a commit are stuck: the gateway exits within
# the drain time.
q=$(queued)
gw_curl -o /dev/null -w '%{http_code}' -H "Authorization: Device ${CRED[2]}" \
    --data-binary 'x' "https://localhost:$PORT/v1/messages" >"$T/term.code" 2>&1 &
TERMC=$!
wait_for 5 more_queued "$q" || fail "the lookup was not queued"
t0=$(ms)
kill -TERM "$GW_PID"
n=100
while kill -0 "$GW_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
t1=$(ms)
kill -0 "$GW_PID" 2>/dev/null && fail "gateway still running 10 s after SIGTERM"
wait "$GW_PID" || fail "gateway exited $? on SIGTERM during a stall"
[ $((t1 - t0)) -le 6000 ] || fail "exit took $((t1 - t0)) ms (drain timeout 5 s)"
wait "$TERMC" || true
[ "$(cat "$T/term.code")" = 503 ] || fail "request in flight at SIGTERM: $(cat "$T/term.code")"
ok "SIGTERM during a stall: exit 0 after $((t1 - t0)) ms; the parked request got 503"
thaw
# The commit that hung went in once thawed, or not: either way the
# device's retry of seq 7 is answered as one message.
start_gw --key-file "$KEY" --workers 1
code=$(gw_curl -o /dev/null -w '%{http_code}' -H "Authorization: Device ${CRED[0]}" \
    -H 'X-Tether-Seq: 7' --data-binary x "https://localhost:$PORT/v1/messages")
[ "$code" = 201 ] || [ "$code" = 200 ] || fail "retry of seq 7 after the stall: $code"
ok "the retry of the message that got 503 is answered $code"

# A quiet node with presence on: no message comes, but its beat (every
# 3 s) finds the frozen store, and health turns 503 within a beat and a
# deadline; it stays 503 (not only while the beat hangs) until the
# store, thawed, takes the probe's write.
stop_gw
start_gw --key-file "$KEY" --workers 1 --registry-timeout 2s
health 200 || fail "health not 200 before the freeze"
freeze
t0=$(ms)
wait_for 10 health 503 || fail "health not 503 on a quiet node while the store is frozen"
h1=$(ms)
[ $((h1 - t0)) -le 6500 ] || fail "health turned 503 after $((h1 - t0)) ms (beat 3 s, deadline 2 s)"
# (health says 503 once the beat is past the deadline, a moment before
# the beat gives up and says why)
wait_for 5 grep -q 'event=presence_failed' "$T/gw.log" ||
    fail "no presence_failed line for the beat"
health 503 || fail "health back to 200 while the store is still frozen"
thaw
wait_for 10 health 200 || fail "health not 200 again after the thaw"
grep -q 'event=store_recovered' "$T/gw.log" || fail "no store_recovered line"
ok "a quiet node's beat finds the frozen store: health 503 after $((h1 - t0)) ms, 200 again after the thaw"
stop_gw
pg_stop
