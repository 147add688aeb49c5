#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Commands to devices (docs/protocol.md "Commands", docs/app-api.md): queued
# by the CLI and the API, carried in the answer to a device that sends
# X-Tether-Commands (201 and a duplicate's 200), never to one that does
# not (today's body byte for byte), delivered again until acknowledged,
# a too large one rejected and the next delivered, expiry (never
# delivered, logged), cancel, the refusals, and a SIGKILL between
# delivery and ack that loses nothing.
. "$(dirname "$0")/lib.sh"

provision 3
"$TETHER" device forget "${ID[2]}" --db "$GW_DB" 2>/dev/null || fail "forget"
"$TETHER" app add ctl --scope read,command --db "$GW_DB" >"$T/tok_ctl" 2>/dev/null ||
    fail "app add ctl"
"$TETHER" app add viewer --db "$GW_DB" >"$T/tok_view" 2>/dev/null || fail "app add viewer"
CTL=$(cat "$T/tok_ctl")
VIEW=$(cat "$T/tok_view")
start_gw
APP="https://127.0.0.1:$APP_PORT"

# dev INDEX SEQ [curl args...]: POST /v1/messages as device INDEX; the
# status to stdout, headers in $T/h, body in $T/b
dev() {
	local i=$1 seq=$2; shift 2
	gw_curl -D "$T/h" -o "$T/b" -w '%{http_code}' \
	    -H "Authorization: Device ${CRED[$i]}" -H "X-Tether-Seq: $seq" \
	    --data-binary "m$seq" "$@" "https://localhost:$PORT/v1/messages"
}
hdr() { grep -i "^$1:" "$T/h" | tr -d '\r' | sed 's/^[^:]*: *//'; }
api() {		# METHOD PATH TOKEN [curl args]: status; body in $T/a
	local m=$1 p=$2 tok=$3; shift 3
	curl -sS --max-time 10 --cacert "$T/ca.pem" -X "$m" -o "$T/a" \
	    -w '%{http_code}' -H "Authorization: Bearer $tok" "$@" "$APP$p"
}
state_of() {	# CMDID: its state, through the API
	[ "$(api GET "/v1/commands/$1" "$VIEW")" = 200 ] || fail "GET command $1: $(cat "$T/a")"
	jq -r .state "$T/a"
}
cli_state() {	# DEVICE-INDEX CMDID: its state, through the CLI
	"$TETHER" device commands "${ID[$1]}" --db "$GW_DB" --json |
	    jq -r ".[] | select(.id == $2) | .state"
}
CMD=(-H "X-Tether-Commands: 256")

# ---- queue by CLI; a device that does not ask gets today's answer ----
C1=$("$TETHER" device command "${ID[0]}" reboot --db "$GW_DB" 2>/dev/null) ||
    fail "device command"
[ "$C1" = 1 ] || fail "first command id: $C1"
[ "$(dev 0 1)" = 201 ] || fail "post without X-Tether-Commands: $(cat "$T/b")"
printf '{"stored":true,"device":"%s"}\n' "${ID[0]}" | cmp -s - "$T/b" ||
    fail "the 201 without X-Tether-Commands is not today's body: $(cat "$T/b")"
[ -z "$(hdr X-Tether-Command)" ] || fail "a command to a device that did not ask"
[ "$(cli_state 0 1)" = queued ] || fail "not queued: $(cli_state 0 1)"
ok "a device that does not send X-Tether-Commands gets today's 201 body exactly"

# ---- delivered in the answer, again until acknowledged ----
[ "$(dev 0 2 "${CMD[@]}")" = 201 ] || fail "post with X-Tether-Commands: $(cat "$T/b")"
[ "$(hdr X-Tether-Command)" = 1 ] || fail "X-Tether-Command: $(cat "$T/h")"
[ "$(hdr X-Tether-Device)" = "${ID[0]}" ] || fail "X-Tether-Device: $(cat "$T/h")"
[ "$(hdr Content-Type)" = application/octet-stream ] || fail "type: $(cat "$T/h")"
[ "$(cat "$T/b")" = reboot ] || fail "payload: $(cat "$T/b")"
[ "$(cli_state 0 1)" = delivered ] || fail "not delivered"
[ "$(dev 0 3 "${CMD[@]}")" = 201 ] && [ "$(hdr X-Tether-Command)" = 1 ] ||
    fail "not delivered again without an ack"
# a duplicate seq: 200, and it carries the command too
[ "$(dev 0 3 "${CMD[@]}")" = 200 ] || fail "duplicate: $(cat "$T/b")"
[ "$(hdr X-Tether-Command)" = 1 ] && [ "$(cat "$T/b")" = reboot ] ||
    fail "the duplicate's 200 does not carry the command: $(cat "$T/h")"
[ "$(state_of 1)" = delivered ] && [ "$(jq -r .attempts "$T/a")" = 3 ] ||
    fail "attempts: $(cat "$T/a")"
ok "201 and a duplicate's 200 carry X-Tether-Command, X-Tether-Device and the payload, until acked"

# ---- the ack on the next request ----
[ "$(dev 0 4 "${CMD[@]}" -H "X-Tether-Command-Ack: 1")" = 201 ] || fail "ack post"
printf '{"stored":true,"device":"%s"}\n' "${ID[0]}" | cmp -s - "$T/b" ||
    fail "after the ack, nothing pending: today's body, got $(cat "$T/b")"
[ "$(cli_state 0 1)" = acknowledged ] || fail "CLI: not acknowledged"
[ "$(state_of 1)" = acknowledged ] && [ "$(jq -r .acked_at "$T/a")" != null ] ||
    fail "API: not acknowledged: $(cat "$T/a")"
# a repeated ack is ignored
[ "$(dev 0 5 -H "X-Tether-Command-Ack: 1")" = 201 ] || fail "repeated ack refused"
ok "X-Tether-Command-Ack: acknowledged (CLI and API); a repeat is ignored"

# ---- queue by the API; refusals ----
[ "$(api POST "/v1/devices/${ID[0]}/commands?ttl=600" "$CTL" --data-binary 'led=on')" = 201 ] ||
    fail "API queue: $(cat "$T/a")"
[ "$(jq -r '"\(.id) \(.device) \(.state)"' "$T/a")" = "2 ${ID[0]} queued" ] ||
    fail "API queue answer: $(cat "$T/a")"
jq -e '.expires_at | test("^20[0-9-]+T[0-9:.]+Z$")' "$T/a" >/dev/null || fail "expires_at"
[ "$(api GET "/v1/devices/${ID[0]}/commands" "$VIEW")" = 200 ] || fail "API list"
[ "$(jq -c '[.commands[] | [.id, .state, .payload]]' "$T/a")" = \
    '[[1,"acknowledged","reboot"],[2,"queued","led=on"]]' ] || fail "API list: $(cat "$T/a")"
[ "$(api GET "/v1/devices/${ID[0]}/commands?state=queued" "$VIEW")" = 200 ] &&
    [ "$(jq '.commands | length' "$T/a")" = 1 ] || fail "state filter: $(cat "$T/a")"
want() {	# STATUS WORDS METHOD PATH TOKEN [curl args]
	local st=$1 words=$2; shift 2
	local got; got=$(api "$@")
	[ "$got" = "$st" ] || fail "$3: want $st, got $got: $(cat "$T/a")"
	jq -e .error "$T/a" >/dev/null || fail "$3: no error sentence: $(cat "$T/a")"
	grep -q "$words" "$T/a" || fail "$3: '$words' not in $(cat "$T/a")"
}
want 401 "application token" POST "/v1/devices/${ID[0]}/commands" nope -d x
want 401 "application token" POST "/v1/devices/${ID[0]}/commands" "${CRED[0]}" -d x
want 403 "command scope" POST "/v1/devices/${ID[0]}/commands" "$VIEW" -d x
want 403 "command scope" DELETE "/v1/commands/2" "$VIEW"
want 404 "no device" POST "/v1/devices/${ID[2]}/commands" "$CTL" -d x
want 404 "no device" GET "/v1/devices/${ID[2]}/commands" "$VIEW"
want 404 "no command" GET "/v1/commands/999" "$VIEW"
want 413 "at most 256" POST "/v1/devices/${ID[0]}/commands" "$CTL" \
    --data-binary "$(head -c 257 /dev/zero | tr '\0' x)"
want 400 "ttl" POST "/v1/devices/${ID[0]}/commands?ttl=0" "$CTL" -d x
want 400 "unknown query" POST "/v1/devices/${ID[0]}/commands?tll=5" "$CTL" -d x
want 400 "not a device id" GET "/v1/devices/nope/commands" "$VIEW"
want 405 "POST" PUT "/v1/devices/${ID[0]}/commands" "$CTL" -d x
# a device's header that is not a number: 400, as X-Tether-Seq
[ "$(dev 0 6 -H "X-Tether-Command-Ack: 1x")" = 400 ] &&
    grep -q "X-Tether-Command-Ack must be a decimal command id" "$T/b" ||
    fail "bad ack: $(cat "$T/b")"
[ "$(dev 0 6 -H "X-Tether-Commands: 0")" = 400 ] || fail "X-Tether-Commands: 0"
[ "$(api GET "/v1/devices/${ID[0]}/commands?state=queued" "$VIEW")" = 200 ] &&
    [ "$(jq '.commands | length' "$T/a")" = 1 ] || fail "a refused request changed commands"
ok "POST /v1/devices/ID/commands 201; 401, 403, 404, 413, 400, 405 with sentences"

# ---- too large for the device: rejected, the next delivered ----
[ "$(dev 0 7 -H "X-Tether-Commands: 100")" = 201 ] && [ "$(hdr X-Tether-Command)" = 2 ] ||
    fail "API-queued command not delivered: $(cat "$T/h")"
C3=$("$TETHER" device command "${ID[0]}" "$(head -c 300 /dev/zero | tr '\0' b)" \
    --max-size 4096 --db "$GW_DB" 2>/dev/null) || fail "queue 300 bytes"
C4=$("$TETHER" device command "${ID[0]}" --hex 00ff01 --db "$GW_DB" 2>/dev/null) ||
    fail "queue hex"
[ "$(dev 0 8 "${CMD[@]}" -H "X-Tether-Command-Ack: 2")" = 201 ] || fail "post"
[ "$(hdr X-Tether-Command)" = "$C4" ] || fail "the next one after a rejected: $(cat "$T/h")"
[ "$(od -An -tx1 "$T/b" | tr -d ' \n')" = 00ff01 ] || fail "binary payload"
[ "$(state_of "$C3")" = rejected ] || fail "300 bytes to a 256-byte device: $(cat "$T/a")"
grep -q "larger than the device takes (300 > 256 bytes)" "$T/a" || fail "reason: $(cat "$T/a")"
[ "$(state_of "$C4")" = delivered ] && jq -e '.payload_b64 == "AP8B"' "$T/a" >/dev/null ||
    fail "binary command as payload_b64: $(cat "$T/a")"
[ "$(state_of 2)" = acknowledged ] || fail "ack of 2 with the same request"
ok "a command larger than the device takes is rejected (with the reason), the next delivered"

# ---- SIGKILL between delivery and ack: still delivered, delivered again ----
kill -9 "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
start_gw
APP="https://127.0.0.1:$APP_PORT"
[ "$(cli_state 0 "$C4")" = delivered ] || fail "state lost in the SIGKILL"
[ "$(dev 0 9 "${CMD[@]}")" = 201 ] && [ "$(hdr X-Tether-Command)" = "$C4" ] ||
    fail "not delivered again after a SIGKILL: $(cat "$T/h")"
[ "$(dev 0 10 "${CMD[@]}" -H "X-Tether-Command-Ack: $C4")" = 201 ] || fail "ack"
[ "$(state_of "$C4")" = acknowledged ] && [ "$(jq -r .attempts "$T/a")" = 2 ] ||
    fail "after the restart: $(cat "$T/a")"
ok "SIGKILL between delivery and ack: the command is delivered again, then acknowledged"

# ---- expiry: never delivered, logged ----
C5=$("$TETHER" device command "${ID[1]}" soon --ttl 1s --db "$GW_DB" 2>/dev/null) ||
    fail "queue with --ttl 1s"
wait_for 15 grep -q "command_expired.*command=$C5 " "$T/gw.log" ||
    fail "no command_expired line"
grep "command_expired.*command=$C5 " "$T/gw.log" | grep -q "device=${ID[1]}" ||
    fail "command_expired without the device"
[ "$(dev 1 1 "${CMD[@]}")" = 201 ] && [ -z "$(hdr X-Tether-Command)" ] ||
    fail "an expired command was delivered: $(cat "$T/h")"
[ "$(state_of "$C5")" = expired ] && [ "$(jq -r .attempts "$T/a")" = 0 ] ||
    fail "not expired: $(cat "$T/a")"
"$TETHER" device commands "${ID[1]}" --state expired --db "$GW_DB" | grep -q "expired before it was delivered" ||
    fail "CLI: no expired row with its reason"
ok "a command past its --ttl is never delivered, expired, logged as command_expired"

# ---- cancel: API and CLI ----
C6=$("$TETHER" device command "${ID[1]}" one --db "$GW_DB" 2>/dev/null)
[ "$(api DELETE "/v1/commands/$C6" "$CTL")" = 200 ] && [ "$(jq -r .state "$T/a")" = cancelled ] ||
    fail "DELETE: $(cat "$T/a")"
want 409 "already cancelled" DELETE "/v1/commands/$C6" "$CTL"
want 409 "already acknowledged" DELETE "/v1/commands/1" "$CTL"
C7=$("$TETHER" device command "${ID[1]}" two --db "$GW_DB" 2>/dev/null)
"$TETHER" device command "${ID[1]}" --cancel "$C7" --db "$GW_DB" 2>/dev/null || fail "CLI cancel"
[ "$(cli_state 1 "$C7")" = cancelled ] || fail "CLI cancel: state"
"$TETHER" device command "${ID[0]}" --cancel "$C7" --db "$GW_DB" 2>"$T/err" &&
    fail "cancelled another device's command"
grep -q "has no command" "$T/err" || fail "CLI cancel of another's: $(cat "$T/err")"
[ "$(dev 1 2 "${CMD[@]}")" = 201 ] && [ -z "$(hdr X-Tether-Command)" ] ||
    fail "a cancelled command was delivered"
ok "DELETE /v1/commands/ID and --cancel: cancelled, never delivered; 409 when final"

# ---- a client that shuts its sending side after its POST still gets the answer ----
python3 - "$APP_PORT" "$T/ca.pem" "$CTL" "${ID[1]}" >"$T/half" <<'PY' || fail "half-closed POST: $(cat "$T/half")"
import socket, ssl, sys
port, ca, tok, dev = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
body = b"half"
s.sendall(b"POST /v1/devices/%s/commands HTTP/1.1\r\nHost: x\r\n"
          b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s"
          % (dev.encode(), tok.encode(), len(body), body))
socket.socket.shutdown(s, socket.SHUT_WR)	# TCP half-close, TLS kept
got = b""
while b"\r\n\r\n" not in got:
    chunk = s.recv(4096)
    if not chunk:
        break
    got += chunk
print(got.split(b"\r\n", 1)[0].decode())
sys.exit(0 if got.startswith(b"HTTP/1.1 201") else 1)
PY
ok "a POST whose client half-closes after sending is answered (201), not dropped"

# ---- metrics ----
curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$T/m" || fail "scrape"
grep -q '^tether_commands_total{event="delivered"} 1$' "$T/m" ||
    fail "delivered since the restart: $(grep commands "$T/m")"
grep -q '^tether_commands_total{event="acknowledged"} 1$' "$T/m" || fail "acked metric"
grep -q '^tether_commands_expired_total 1$' "$T/m" || fail "expired metric"
ok "metrics: tether_commands_total by event, tether_commands_expired_total"
stop_gw
