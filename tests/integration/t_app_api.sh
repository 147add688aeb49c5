#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The application API (docs/app-api.md) on its own listener: NDJSON reads
# with a last line, paging by cursor that gives every message once, the
# device filter, long polls woken by a commit, Server-Sent Events resumed
# with Last-Event-ID, every refusal with its status, the two listeners
# apart, a stop that ends long polls, and the docs' Python consumer.
. "$(dirname "$0")/lib.sh"

provision 2
"$TETHER" app add dash --db "$GW_DB" >"$T/token" 2>/dev/null || fail "app add"
"$TETHER" app add cmdonly --scope command --db "$GW_DB" >"$T/token_cmd" 2>/dev/null
"$TETHER" app add gone --db "$GW_DB" >"$T/token_gone" 2>/dev/null
"$TETHER" app revoke gone --db "$GW_DB" 2>/dev/null || fail "app revoke"
TOKEN=$(cat "$T/token")
# --presence off: the ids below are the messages' own 1..6 (t_presence.sh
# reads the events)
start_gw --debug --presence off	# read_queued lines: the stop test waits on one
APP="https://127.0.0.1:$APP_PORT"

post() {	# DEVICE-INDEX SEQ BODY
	curl -s --cacert "$T/ca.pem" "https://localhost:$PORT/v1/messages" \
	    -H "Authorization: Device ${CRED[$1]}" -H "X-Tether-Seq: $2" \
	    --data-binary "$3" -o /dev/null -w '%{http_code}'
}
get() {		# PATH-AND-QUERY [curl args]: body to stdout
	local p=$1; shift
	curl -s --cacert "$T/ca.pem" "$APP$p" -H "Authorization: Bearer $TOKEN" "$@"
}
status() {	# PATH-AND-QUERY [curl args]: the status code
	local p=$1; shift
	curl -s --cacert "$T/ca.pem" "$APP$p" -o "$T/body" -w '%{http_code}' "$@"
}
lines_ok() {	# FILE: every line is JSON, the last one the cursor line
	jq -e . "$1" >/dev/null || fail "not JSON lines: $(cat "$1")"
	tail -n 1 "$1" | jq -e 'has("next") and has("count") and has("more")' \
	    >/dev/null || fail "no last line with next/count/more: $(cat "$1")"
}

for i in 1 2 3 4 5; do
	[ "$(post 0 "$i" "{\"n\":$i}")" = 201 ] || fail "post $i"
done
[ "$(post 1 1 'not json')" = 201 ] || fail "post from device 1"

# ---- reading ----
get /v1/messages >"$T/all"
lines_ok "$T/all"
[ "$(grep -c '"id"' "$T/all")" = 6 ] || fail "want 6 messages: $(cat "$T/all")"
[ "$(jq -s -c '[.[] | select(.id) | .id]' "$T/all")" = "[1,2,3,4,5,6]" ] ||
    fail "not oldest first: $(cat "$T/all")"
[ "$(jq -r 'select(.id == 2) | .body.n' "$T/all")" = 2 ] || fail "JSON body"
[ "$(jq -r 'select(.id == 6) | .body_b64' "$T/all" | base64 -d)" = "not json" ] ||
    fail "non-JSON body as body_b64"
[ "$(jq -r 'select(.id == 1) | .device' "$T/all")" = "${ID[0]}" ] || fail "device id"
[ "$(tail -n 1 "$T/all" | jq -r '"\(.count) \(.more)"')" = "6 false" ] ||
    fail "last line: $(tail -n 1 "$T/all")"
curl -s --cacert "$T/ca.pem" "$APP/v1/messages" -H "Authorization: Bearer $TOKEN" \
    -D "$T/head" -o /dev/null
grep -qi '^content-type: application/x-ndjson' "$T/head" || fail "content type: $(cat "$T/head")"
ok "GET /v1/messages: NDJSON oldest first, JSON bodies inline, others base64, a last line"

# Paging two at a time gives each message once, and more says when to stop.
cursor="" seen=""
for round in 1 2 3 4 5; do
	get "/v1/messages?limit=2&after=$cursor" >"$T/page"
	lines_ok "$T/page"
	seen="$seen $(jq -r 'select(.id) | .id' "$T/page" | tr '\n' ' ')"
	cursor=$(tail -n 1 "$T/page" | jq -r .next)
	[ "$(tail -n 1 "$T/page" | jq -r .more)" = true ] || break
done
[ "$(echo $seen)" = "1 2 3 4 5 6" ] || fail "paging gave: $seen"
[ "$round" = 3 ] || fail "paging took $round reads for 6 messages by 2"
get "/v1/messages?after=$cursor" >"$T/page"
[ "$(tail -n 1 "$T/page" | jq -r '"\(.count) \(.next)"')" = "0 $cursor" ] ||
    fail "a read past the newest: $(cat "$T/page")"
ok "paging by cursor (limit=2): every message once, more=false at the end"

get "/v1/messages?device=${ID[1]^^}" >"$T/dev1"
[ "$(jq -s -c '[.[] | select(.id) | .device] | unique' "$T/dev1")" = "[\"${ID[1]}\"]" ] ||
    fail "device filter: $(cat "$T/dev1")"
ok "device= filters (an id as typed, any case)"

# ---- refusals ----
want() {	# STATUS WHAT PATH [curl args]
	local st=$1 what=$2; shift 2
	local got
	got=$(status "$@")
	[ "$got" = "$st" ] || fail "$what: want $st, got $got: $(cat "$T/body")"
	[ "$st" = 200 ] || jq -e .error "$T/body" >/dev/null ||
	    fail "$what: body is no JSON error: $(cat "$T/body")"
}
BEARER="Authorization: Bearer $TOKEN"
want 400 "unknown parameter" "/v1/messages?afer=x" -H "$BEARER"
grep -q "unknown query parameter 'afer'" "$T/body" || fail "says which: $(cat "$T/body")"
want 400 "bad cursor" "/v1/messages?after=nonsense" -H "$BEARER"
want 400 "limit 0" "/v1/messages?limit=0" -H "$BEARER"
want 400 "wait too long" "/v1/messages?wait=61" -H "$BEARER"
want 400 "twice" "/v1/messages?limit=1&limit=2" -H "$BEARER"
# the id with another check character (its last): mistyped for sure
bad_id=${ID[0]%?}; [ "${ID[0]: -1}" = 0 ] && bad_id="${bad_id}1" || bad_id="${bad_id}0"
want 400 "mistyped device" "/v1/messages?device=$bad_id" -H "$BEARER"
grep -q mistyped "$T/body" || fail "says mistyped: $(cat "$T/body")"
want 401 "no token" "/v1/messages"
grep -qi 'bearer' "$T/body" || fail "401 says what to send: $(cat "$T/body")"
want 401 "a device credential as a token" "/v1/messages" -H "Authorization: Bearer ${CRED[0]}"
want 401 "a made-up token" "/v1/messages" -H "Authorization: Bearer tta1_0000000000000000000000000000000000"
want 401 "a revoked token" "/v1/messages" -H "Authorization: Bearer $(cat "$T/token_gone")"
want 403 "a token without read scope" "/v1/messages" -H "Authorization: Bearer $(cat "$T/token_cmd")"
want 405 "POST on the application API" "/v1/messages" -H "$BEARER" -d x
want 404 "a device route on the application API" "/v1/nothing" -H "$BEARER"
want 200 "health on the application API" "/v1/health"
ok "400 for a bad query, 401 for missing/device/unknown/revoked tokens, 403 without read scope, 405, 404"

code=$(curl -s --cacert "$T/ca.pem" "https://localhost:$PORT/v1/messages" \
    -H "Authorization: Device $TOKEN" -H "X-Tether-Seq: 1" -d x -o /dev/null -w '%{http_code}')
[ "$code" = 401 ] || fail "an application token as a device credential: $code"
code=$(curl -s --cacert "$T/ca.pem" "https://localhost:$PORT/v1/messages" \
    -H "$BEARER" -o /dev/null -w '%{http_code}')
[ "$code" = 405 ] || fail "GET /v1/messages on the devices' port: $code"
ok "the devices' port serves no read, and takes no application token"

# ---- long poll ----
last=$(tail -n 1 "$T/all" | jq -r .next)
get "/v1/messages?after=$last&wait=1" >"$T/empty"
[ "$(tail -n 1 "$T/empty" | jq -r .count)" = 0 ] || fail "an empty wait: $(cat "$T/empty")"
get "/v1/messages?after=$last&wait=30" >"$T/poll" &
poll=$!
PIDS="$PIDS $poll"
# The poll is parked at the reader before the message comes, or it is
# not: either way it must return with the message, long before 30 s.
[ "$(post 0 6 '{"n":6}')" = 201 ] || fail "post during the poll"
wait_for 20 sh -c "! kill -0 $poll" || fail "the long poll did not return when a message came"
wait "$poll" || true
[ "$(jq -r 'select(.id) | .body.n' "$T/poll")" = 6 ] || fail "the long poll's answer: $(cat "$T/poll")"
ok "wait= long-polls: an empty answer when the time passes, the message when it comes"

# ---- Server-Sent Events ----
curl -sN --cacert "$T/ca.pem" "$APP/v1/messages/stream?after=$last" -H "$BEARER" \
    -D "$T/sse_head" >"$T/sse" &
sse=$!
PIDS="$PIDS $sse"
wait_for 10 grep -q 'event: message' "$T/sse" || fail "the stream gave no event: $(cat "$T/sse")"
[ "$(post 1 2 '{"n":7}')" = 201 ] || fail "post during the stream"
wait_for 10 sh -c "[ \$(grep -c 'event: message' '$T/sse') = 2 ]" ||
    fail "the stream missed a message: $(cat "$T/sse")"
kill "$sse" 2>/dev/null; wait "$sse" 2>/dev/null || true
grep -qi '^content-type: text/event-stream' "$T/sse_head" || fail "SSE content type"
grep '^data: ' "$T/sse" | sed 's/^data: //' | jq -e .id >/dev/null || fail "SSE data is not JSON"
first=$(grep -m1 '^id: ' "$T/sse" | sed 's/^id: //')
[ "$first" = "$(grep -m1 '^data: ' "$T/sse" | sed 's/^data: //' | jq -r .cursor)" ] ||
    fail "an event's id is not its cursor"
curl -sN --max-time 3 --cacert "$T/ca.pem" "$APP/v1/messages/stream" -H "$BEARER" \
    -H "Last-Event-ID: $first" >"$T/sse2" || true
[ "$(grep -c 'event: message' "$T/sse2")" = 1 ] && grep -q '"n":7' "$T/sse2" ||
    fail "Last-Event-ID did not resume after the first event: $(cat "$T/sse2")"
ok "GET /v1/messages/stream: SSE events as they come, id = cursor, resumed with Last-Event-ID"

# ---- the docs' consumer ----
python3 "$TETHER_SRC/examples/app/consume.py" --help >/dev/null || fail "consume.py --help"
export TETHER_APP_URL="$APP" TETHER_APP_TOKEN="$TOKEN" TETHER_CA="$T/ca.pem" \
    TETHER_CURSOR_FILE="$T/cursor" TETHER_ONCE=1
python3 "$TETHER_SRC/examples/app/consume.py" >"$T/py1" || fail "consume.py: $(cat "$T/py1")"
[ "$(wc -l <"$T/py1")" = 8 ] || fail "consume.py read $(wc -l <"$T/py1") messages, want 8: $(cat "$T/py1")"
python3 "$TETHER_SRC/examples/app/consume.py" >"$T/py2"
[ ! -s "$T/py2" ] || fail "consume.py read again what it had: $(cat "$T/py2")"
[ "$(post 0 9 '{"n":9}')" = 201 ] || fail "post"
python3 "$TETHER_SRC/examples/app/consume.py" >"$T/py3"
[ "$(cat "$T/py3")" = "${ID[0]} 9 {\"n\": 9}" ] || fail "consume.py after restart: $(cat "$T/py3")"
awk '/^```python$/{p=1;next} /^```$/{p=0} p' "$TETHER_SRC/docs/app-api.md" >"$T/doc.py"
diff -u <(grep -v SPDX "$TETHER_SRC/examples/app/consume.py") <(grep -v SPDX "$T/doc.py") >/dev/null ||
    fail "docs/app-api.md's consumer is not examples/app/consume.py"
ok "the docs' Python consumer reads every message once, resuming from its cursor file"

# ---- a stop ends long polls at once ----
queued() { grep -c 'event=read_queued' "$T/gw.log" || true; }
n0=$(queued)
get "/v1/messages?after=$last&limit=1&wait=60&device=${ID[1]}" >"$T/stop_poll" &
poll=$!
wait_for 10 sh -c "[ \$(grep -c 'event=read_queued' '$T/gw.log') -gt $n0 ]" ||
    fail "the long poll never reached the gateway"
stop_gw
wait "$poll" || true
lines_ok "$T/stop_poll"
ok "SIGTERM answers a waiting long poll and the gateway exits"
