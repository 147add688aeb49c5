# SPDX-License-Identifier: MIT
# tether messages against a running gateway on SQLite: JSON lines that
# parse, oldest first, bodies as JSON or base64, the cursor of a line
# resumes after it (also across a gateway restart), the device filter,
# --since, CSV, and --follow seeing messages as the gateway stores them.
. "$(dirname "$0")/lib.sh"

msgs() { "$TETHER" messages --db "$GW_DB" "$@"; }

start_gw
provision 2
[ "$(post "${CRED[0]}" '{"t":21.5}' 1)" = 201 ] || fail "post 1"
[ "$(post "${CRED[1]}" 'plain text' 1)" = 201 ] || fail "post 2"
printf '\x00\xff\x01' >"$T/bin"
[ "$(post "${CRED[0]}" @"$T/bin" 2)" = 201 ] || fail "post 3"
[ "$(post "${CRED[0]}" "$(printf '[1,2]\n')")" = 201 ] || fail "post 4"
ok "4 messages stored"

# ---- JSON lines ----
msgs >"$T/all" || fail "messages"
[ "$(wc -l <"$T/all")" = 4 ] || fail "want 4 lines: $(cat "$T/all")"
jq -e . "$T/all" >/dev/null || fail "a line is not JSON: $(cat "$T/all")"
[ "$(jq -r .id "$T/all" | sort -n | tr '\n' ' ')" = "$(jq -r .id "$T/all" | tr '\n' ' ')" ] ||
    fail "not oldest first"
[ "$(jq -c 'select(.seq == 1 and .device == "'"${ID[0]}"'") | .body' "$T/all")" = '{"t":21.5}' ] ||
    fail "JSON body: $(head -n 1 "$T/all")"
[ "$(sed -n 2p "$T/all" | jq -r .body_b64 | base64 -d)" = "plain text" ] || fail "text body as base64"
sed -n 3p "$T/all" | jq -r .body_b64 | base64 -d | cmp - "$T/bin" || fail "binary body"
[ "$(sed -n 4p "$T/all" | jq -c .body)" = '[1,2]' ] || fail "a trailing newline made JSON base64"
[ "$(sed -n 4p "$T/all" | jq -r .seq)" = null ] || fail "no seq is null"
sed -n 1p "$T/all" | jq -r .received_at | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$' ||
    fail "received_at: $(sed -n 1p "$T/all")"
ok "JSON lines parse, oldest first, bodies as JSON or base64, RFC 3339 times"

# ---- cursors and filters ----
C2=$(sed -n 2p "$T/all" | jq -r .cursor)
[ "$(msgs --after "$C2" | jq -r .id | tr '\n' ' ')" = "$(sed -n '3,4p' "$T/all" | jq -r .id | tr '\n' ' ')" ] ||
    fail "--after the second line"
[ "$(msgs --device "${ID[1]}" | jq -r .body_b64 | base64 -d)" = "plain text" ] || fail "--device"
[ "$(msgs --device "$(tr a-z A-Z <<<"${ID[0]}")" | wc -l)" = 3 ] || fail "--device in upper case"
[ "$(msgs --since 1h | wc -l)" = 4 ] || fail "--since 1h"
[ "$(msgs --since 2099-01-01T00:00:00Z | wc -l)" = 0 ] || fail "--since the future"
set +e
msgs --after bogus >/dev/null 2>"$T/err"; [ $? = 2 ] || fail "a bad cursor: want exit 2"
grep -q "is not a cursor" "$T/err" || fail "bad cursor message"
msgs --after "$C2" --since 1h >/dev/null 2>&1; [ $? = 2 ] || fail "--after with --since: want exit 2"
msgs --format xml >/dev/null 2>&1; [ $? = 2 ] || fail "--format xml: want exit 2"
set -e
ok "--after resumes after a line, --device, --since, bad arguments exit 2"

# ---- CSV ----
msgs --format csv >"$T/csv"
[ "$(head -n 1 "$T/csv")" = "cursor,id,device,label,seq,received_at,body,body_b64" ] || fail "csv header"
[ "$(wc -l <"$T/csv")" = 5 ] || fail "csv rows: $(cat "$T/csv")"
grep -q ',"{""t"":21.5}",$' "$T/csv" || fail "csv JSON body quoted: $(cat "$T/csv")"
grep -q ",\"plain text\",$" "$T/csv" || fail "csv text body"
grep -q ",,AP8B$" "$T/csv" || fail "csv binary body as base64: $(cat "$T/csv")"
ok "CSV: a header, quoted text, base64 for bytes"

# ---- across a restart ----
C4=$(tail -n 1 "$T/all" | jq -r .cursor)
stop_gw
start_gw
[ "$(post "${CRED[1]}" '"after restart"' 2)" = 201 ] || fail "post after restart"
[ "$(msgs --after "$C4" | jq -r .body)" = "after restart" ] || fail "cursor across a restart"
ok "a cursor taken before a restart resumes after it"

# ---- --follow ----
"$TETHER" messages --db "$GW_DB" --follow --after "$C4" >"$T/follow" 2>"$T/follow.err" &
FPID=$!
PIDS="$PIDS $FPID"
wait_for 10 test -s "$T/follow" || fail "--follow printed nothing"
for i in 1 2 3; do [ "$(post "${CRED[0]}" "{\"n\":$i}" $((10 + i)))" = 201 ] || fail "post $i"; done
wait_for 10 sh -c "[ \$(wc -l <'$T/follow') -ge 4 ]" || fail "--follow: $(cat "$T/follow")"
kill -TERM "$FPID"; wait "$FPID" || fail "--follow exited $? on SIGTERM"
[ "$(jq -c .body "$T/follow" | tr '\n' ' ')" = '"after restart" {"n":1} {"n":2} {"n":3} ' ] ||
    fail "--follow order: $(cat "$T/follow")"
ok "--follow prints messages as the gateway stores them, exits 0 on SIGTERM"
