# SPDX-License-Identifier: MIT
# A device revoked while the gateway runs (by the command-line tool,
# writing the same database) is refused within a second and its open
# connection is closed.
. "$(dirname "$0")/lib.sh"

start_gw
provision 2
C=${CRED[0]}
req="POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device $C\r\nContent-Length: 2\r\n\r\nhi"

# A device on a kept-alive connection: one message, then it waits.
mkfifo "$T/in"
timeout 20 openssl s_client -quiet -connect "127.0.0.1:$PORT" <"$T/in" >"$T/out" 2>/dev/null &
CLIENT=$!
PIDS="$PIDS $CLIENT"
exec 3>"$T/in"
printf '%b' "$req" >&3
wait_for 5 grep -q '^HTTP/1.1 201' "$T/out" || fail "first message not accepted"
ok "device connected and sending"

start=$(date +%s%N)
"$TETHER" device revoke "${ID[0]}" --db "$GW_DB" 2>"$T/revoke.err" || fail "revoke: $(cat "$T/revoke.err")"
# The connection must close: s_client exits when the gateway closes it.
wait_for 3 sh -c "! kill -0 $CLIENT 2>/dev/null" || fail "revoked device's connection still open after 3 s"
el=$((($(date +%s%N) - start) / 1000000))
exec 3>&-
[ $el -le 1500 ] || fail "connection closed ${el} ms after the revocation (want ≤ 1 s + poll)"
grep -q "event=device_disconnected.*device=${ID[0]}" "$T/gw.log" || fail "no log line for the closed connection"
ok "revoked device's open connection closed within ${el} ms"

[ "$(post "$C" again)" = 401 ] || fail "revoked device not refused"
[ "$(post "${CRED[1]}" other)" = 201 ] || fail "other device affected"
ok "revoked device refused; the others are not affected"

"$TETHER" device restore "${ID[0]}" --db "$GW_DB" 2>/dev/null || fail "restore failed"
sleep 0.5
[ "$(post "$C" back)" = 201 ] || fail "restored device refused"
ok "a restored device is accepted again"
stop_gw
