# SPDX-License-Identifier: MIT
# Commands to devices, the device's side (libtether through `tether send
# --commands`), against a stand-in that answers as the contract says the
# gateway does (cmd_gateway.py: canned answers, every request recorded):
# the buffer is announced, a command is printed (text and JSON) and acked
# by the next message, the ack rides the session file across runs and
# survives a 503, a repeat is not handed over twice, an oversized command
# and a command for another device are refused in words.
. "$(dirname "$0")/lib.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=cmd-gateway.test -keyout "$T/ec.key" -out "$T/ec.crt" 2>/dev/null || fail "certificate"
PIN=$(spki_pin "$T/ec.crt")
echo tth1_thisserverdoesnotcheckcredentials0 >"$T/cred"
echo '[]' >"$T/script"

tries=0
while :; do
	P=$(free_port)
	: >"$T/srv.out"
	python3 "$TETHER_SRC/tests/integration/cmd_gateway.py" --cert "$T/ec.crt" --key "$T/ec.key" \
	    --port "$P" --script "$T/script" --log "$T/log" >"$T/srv.out" 2>"$T/srv.err" &
	SRV_PID=$!
	PIDS="$PIDS $SRV_PID"
	wait_for 20 grep -q listening "$T/srv.out" && break
	kill -9 "$SRV_PID" 2>/dev/null || true
	tries=$((tries + 1))
	grep -q 'Address already in use' "$T/srv.err" && [ $tries -lt 5 ] && continue
	fail "the stand-in did not start: $(cat "$T/srv.err")"
done

STORED='{"status": 201, "headers": {"Content-Type": "application/json"}, "body": "{\"stored\":true,\"device\":\"dev-1\",\"seq\":1}"}'
cmd() { # cmd ID BODY [DEVICE]: a 201 carrying command ID
	printf '{"status": 201, "headers": {"Content-Type": "application/octet-stream", "X-Tether-Device": "%s", "X-Tether-Command": "%s"}, "body": "%s"}' \
	    "${3:-dev-1}" "$1" "$2"
}
script() { local IFS=,; echo "[$*]" >"$T/script"; : >"$T/log"; }
send() { "$TETHER" send "https://127.0.0.1:$P" --pin "$PIN" --credential-file "$T/cred" --device dev-1 "$@"; }
# hdr N NAME: header NAME of the Nth request logged ("-" when absent)
hdr() { python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(r[int(sys.argv[2])-1]["headers"].get(sys.argv[3], "-"))' "$T/log" "$1" "$2"; }

# Without --commands: nothing announced, and a command answer is no
# answer of the gateway's (today's firmware check).
script "$STORED"
send x >"$T/out" 2>"$T/err" || fail "plain send: $(cat "$T/err")"
[ "$(hdr 1 x-tether-commands)" = - ] || fail "X-Tether-Commands sent without --commands"
script "$(cmd 16 hello)"
send x >"$T/out" 2>"$T/err" && fail "a command answer counted as stored without a command buffer"
grep -q "answered 2xx but not as a tether" "$T/err" || fail "no NOT_GATEWAY: $(cat "$T/err")"
ok "without --commands: no X-Tether-Commands, a command answer is not taken"

# Two messages over one connection: the command, then its ack.
script "$(cmd 17 reboot)" "$STORED"
send --commands --count 2 x >"$T/out" 2>"$T/err" || fail "send --commands: $(cat "$T/err")"
[ "$(hdr 1 x-tether-commands)" = 4096 ] || fail "X-Tether-Commands: $(hdr 1 x-tether-commands)"
[ "$(hdr 1 x-tether-command-ack)" = - ] || fail "an ack before any command"
[ "$(hdr 2 x-tether-command-ack)" = 17 ] || fail "second message's ack: $(hdr 2 x-tether-command-ack)"
grep -qx 'command 17 (6 bytes): reboot' "$T/out" || fail "command not printed: $(cat "$T/out")"
grep -qx 'message 2 of 2: stored (201), acknowledged command 17' "$T/out" || fail "ack not said: $(cat "$T/out")"
[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
ok "a command is printed and acknowledged by the next message (X-Tether-Commands: 4096, X-Tether-Command-Ack: 17)"

# Without a next message and no session file: said, not lost silently.
script "$(cmd 18 once)"
send --commands x >"$T/out" 2>"$T/err" || fail "send: $(cat "$T/err")"
grep -q "warning: command 18 is acknowledged by the next message" "$T/err" || fail "no warning: $(cat "$T/err")"
ok "an ack no message carries is warned about"

# Across runs: the session file keeps the ack, also through a 503.
script "$(cmd 19 'set t=5')"
send --commands --json --save-session "$T/rtc" x >"$T/out" 2>"$T/err" || fail "json send: $(cat "$T/err")"
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); assert d["command"]=={"id":19,"size":7,"payload":"set t=5"}, d; assert d["acknowledged"] is None and d["status"]==201, d' "$T/out" ||
    fail "JSON line: $(cat "$T/out")"
[ "$(stat -c %s "$T/rtc")" = 120 ] || fail "session file is not 120 bytes"
script '{"status": 503, "headers": {"Retry-After": "1"}, "body": "busy"}'
send --commands --save-session "$T/rtc" x >"$T/out" 2>"$T/err" && fail "a 503 counted as stored"
[ "$(hdr 1 x-tether-command-ack)" = 19 ] || fail "ack after restore: $(hdr 1 x-tether-command-ack)"
script "$(cmd 19 'set t=5')"
send --commands --json --save-session "$T/rtc" x >"$T/out" 2>"$T/err" || fail "send after 503: $(cat "$T/err")"
[ "$(hdr 1 x-tether-command-ack)" = 19 ] || fail "ack again after the 503: $(hdr 1 x-tether-command-ack)"
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); assert d["acknowledged"]==19 and d["command"] is None, d' "$T/out" ||
    fail "a repeat of the acked command was handed over again: $(cat "$T/out")"
script "$STORED"
send --commands --save-session "$T/rtc" x >"$T/out" 2>"$T/err" || fail "send: $(cat "$T/err")"
[ "$(hdr 1 x-tether-command-ack)" = - ] || fail "the ack was sent after a stored message carried it"
ok "the ack rides the session file across runs, stays through a 503, and a repeat of its id is not handed over"

# Binary payloads: base64 in text and JSON; an empty one.
script '{"status": 200, "headers": {"X-Tether-Device": "dev-1", "X-Tether-Command": "20"}, "body_b64": "AAEC/w=="}' \
    '{"status": 201, "headers": {"X-Tether-Device": "dev-1", "X-Tether-Command": "21"}, "body": ""}'
send --commands --count 2 --json x >"$T/out" 2>"$T/err" || fail "binary: $(cat "$T/err")"
python3 -c '
import json,sys
a,b=[json.loads(l) for l in open(sys.argv[1])]
assert a["status"]==200 and a["command"]=={"id":20,"size":4,"payload_b64":"AAEC/w=="}, a
assert b["acknowledged"]==20 and b["command"]=={"id":21,"size":0,"payload":""}, b' "$T/out" || fail "binary JSON: $(cat "$T/out")"
script '{"status": 201, "headers": {"X-Tether-Device": "dev-1", "X-Tether-Command": "22"}, "body_b64": "AAEC/w=="}'
send --commands x >"$T/out" 2>"$T/err" || fail "binary text: $(cat "$T/err")"
grep -qx 'command 22 (4 bytes, base64): AAEC/w==' "$T/out" || fail "binary text: $(cat "$T/out")"
ok "binary and empty payloads: base64 (payload_b64) and \"\""

# A command larger than the buffer the device announced; chunked too.
script "$(cmd 23 0123456789)"
send --command-buffer 4 x >"$T/out" 2>"$T/err" && fail "an oversized command was taken"
[ "$(hdr 1 x-tether-commands)" = 4 ] || fail "X-Tether-Commands: $(hdr 1 x-tether-commands)"
grep -q "error: the server's answer is not well-formed.*the command is larger than the command buffer (more than 4 bytes)" "$T/err" ||
    fail "oversize error: $(cat "$T/err")"
script '{"status": 201, "headers": {"X-Tether-Device": "dev-1", "X-Tether-Command": "24"}, "body": "0123456789", "no_length": true}'
send --command-buffer 4 x >"$T/out" 2>"$T/err" && fail "an oversized command to the close was taken"
grep -q "larger than the command buffer (more than 4 bytes)" "$T/err" || fail "oversize error: $(cat "$T/err")"
ok "a command over the buffer is TETHER_E_BAD_RESPONSE with the sizes"

# A command for another device, and a malformed id.
script "$(cmd 25 x other-dev)"
send --commands x >"$T/out" 2>"$T/err" && fail "a command naming another device counted as stored"
grep -q "X-Tether-Command 25 without an X-Tether-Device that names this device" "$T/err" || fail "device error: $(cat "$T/err")"
script "$(cmd 0x1a x)"
send --commands x >"$T/out" 2>"$T/err" && fail "a malformed id was taken"
grep -q "X-Tether-Command is not a command id" "$T/err" || fail "id error: $(cat "$T/err")"
ok "another device's command and a malformed id are refused in words"
