# SPDX-License-Identifier: MIT
# A client without a valid credential cannot make the gateway log without
# bound: a connection is closed at its third 401, and each event's lines
# are rate-limited, what was left out counted in a log_suppressed line.
. "$(dirname "$0")/lib.sh"

start_gw --workers 1
N=300

# N requests with an unknown credential from one curl: it reconnects
# each time the gateway closes.
urls=$(for i in $(seq 1 $N); do printf 'https://localhost:%s/v1/messages ' "$PORT"; done)
# shellcheck disable=SC2086
gw_curl -H 'Authorization: Device not-a-credential' --data-binary x \
    -o /dev/null -w '%{http_code} %{num_connects}\n' $urls >"$T/flood" 2>"$T/curl.err" ||
    fail "curl: $(cat "$T/curl.err")"
[ "$(awk '$1 == 401' "$T/flood" | wc -l)" = $N ] || fail "not $N 401s: $(sort "$T/flood" | uniq -c)"
conns=$(awk '{ n += $2 } END { print n }' "$T/flood")
[ "$conns" -ge $((N / 3)) ] || fail "$N 401s on $conns connections: not closed at the third"
ok "$N 401s took $conns connections: each closed at its third 401"

lines() { grep -c 'event=auth_failed' "$T/gw.log" || true; }
[ "$(lines)" -lt $N ] || fail "every 401 was logged ($(lines) lines)"
ok "$(lines) auth_failed lines for $N 401s"

# The count of what was left out comes once the event is quiet, in a
# line of its own, and adds up with the lines written.
summaries() { grep 'event=log_suppressed' "$T/gw.log" | grep -c 'of=auth_failed' || true; }
wait_for 15 sh -c "grep 'event=log_suppressed' '$T/gw.log' | grep -q 'of=auth_failed'" ||
    fail "no log_suppressed line for auth_failed"
left=$(grep 'event=log_suppressed' "$T/gw.log" | grep 'of=auth_failed' |
    sed 's/.* suppressed=\([0-9]*\).*/\1/' | awk '{ n += $1 } END { print n }')
[ $(($(lines) + left)) = $N ] || fail "$(lines) lines + $left left out != $N"
ok "log_suppressed: $left auth_failed lines left out, $(lines) written ($(summaries) summary line)"

# Other events are not held back by this one.
[ "$(gw_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/nope")" = 404 ] || fail "404"
out=$(raw 'GET /v1/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
echo "$out" | grep -q '^HTTP/1.1 501' || fail "Transfer-Encoding: $out"
wait_for 5 grep -q 'event=request_refused.*status=501' "$T/gw.log" ||
    fail "a request_refused line was held back by the auth_failed flood"
ok "another event is logged as before"
stop_gw
