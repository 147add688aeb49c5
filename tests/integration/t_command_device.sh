#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Commands to devices end to end: libtether (through `tether send
# --commands`) against the real gateway. A command queued by the CLI
# reaches the device in the answer to its message, is acknowledged by the
# next message (in the same run, or the next run through the session
# file), several go one per answer in order, a device without a command
# buffer leaves them queued, a binary payload arrives as its bytes, and
# one larger than the device's buffer is rejected and the next delivered;
# a command whose ack a run could not keep is delivered again.
. "$(dirname "$0")/lib.sh"

provision 1
( umask 077; printf '%s\n' "${CRED[0]}" >"$T/cred" )
start_gw
send() {
	"$TETHER" send "https://localhost:$PORT" --pin "$PIN" \
	    --credential-file "$T/cred" --device "${ID[0]}" "$@"
}
queue() { "$TETHER" device command "${ID[0]}" "$@" --db "$GW_DB" 2>/dev/null; }
state() {
	"$TETHER" device commands "${ID[0]}" --db "$GW_DB" --json |
	    jq -r ".[] | select(.id == $1) | .state"
}
line() { sed -n "${1}p" "$T/out"; }	# N: the Nth JSON line of the last send

# ---- one command, acknowledged by the next run (the session file) ----
C1=$(queue 'led on') || fail "queue"
send --commands --json --save-session "$T/rtc" '{"t":1}' >"$T/out" 2>"$T/err" ||
    fail "send --commands: $(cat "$T/err")"
line 1 | jq -e --argjson id "$C1" '.status == 201 and .command.id == $id and
    .command.payload == "led on" and .acknowledged == null' >/dev/null ||
    fail "the command in the answer: $(cat "$T/out")"
[ "$(state "$C1")" = delivered ] || fail "state after delivery: $(state "$C1")"
send --commands --json --save-session "$T/rtc" '{"t":2}' >"$T/out" 2>"$T/err" ||
    fail "second run: $(cat "$T/err")"
line 1 | jq -e --argjson id "$C1" '.acknowledged == $id and .command == null' >/dev/null ||
    fail "the ack in the next run: $(cat "$T/out")"
[ "$(state "$C1")" = acknowledged ] || fail "state after the ack: $(state "$C1")"
ok "a queued command reaches libtether in the 201 and the next run's message acknowledges it"

# ---- several, one per answer, in order, in one run ----
C2=$(queue first) && C3=$(queue second) || fail "queue two"
send --commands --json --count 3 '{"t":3}' >"$T/out" 2>"$T/err" || fail "send x3: $(cat "$T/err")"
line 1 | jq -e --argjson id "$C2" '.command.id == $id' >/dev/null || fail "first answer: $(line 1)"
line 2 | jq -e --argjson a "$C2" --argjson id "$C3" '.acknowledged == $a and .command.id == $id' \
    >/dev/null || fail "second answer: $(line 2)"
line 3 | jq -e --argjson a "$C3" '.acknowledged == $a and .command == null' >/dev/null ||
    fail "third answer: $(line 3)"
[ "$(state "$C2")/$(state "$C3")" = acknowledged/acknowledged ] ||
    fail "states: $(state "$C2")/$(state "$C3")"
ok "two commands arrive one per answer, oldest first, each acknowledged by the next message"

# ---- a device without a command buffer: stored, the command waits ----
C4=$(queue later) || fail "queue"
send '{"t":4}' >"$T/out" 2>"$T/err" || fail "plain send: $(cat "$T/err")"
[ "$(state "$C4")" = queued ] || fail "a device without a buffer got a command: $(state "$C4")"
send --commands --json '{"t":5}' >"$T/out" 2>"$T/err" || fail "send: $(cat "$T/err")"
line 1 | jq -e --argjson id "$C4" '.command.id == $id' >/dev/null || fail "not delivered: $(cat "$T/out")"
ok "a plain tether send is stored with the command left queued; the next --commands send gets it"

# ---- a binary payload; one too large for the device's buffer ----
C5=$(queue 00ff10 --hex) || fail "queue --hex"
C6=$(queue "$(printf 'x%.0s' $(seq 1 40))") && C7=$(queue small) || fail "queue"
send --command-buffer 16 --json --count 3 '{"t":6}' >"$T/out" 2>"$T/err" ||
    fail "send --command-buffer 16: $(cat "$T/err")"
# the last run ended owing C4's ack with no session file: delivered again
line 1 | jq -e --argjson id "$C4" '.acknowledged == null and .command.id == $id' >/dev/null ||
    fail "C4 again: $(line 1)"
line 2 | jq -e --argjson a "$C4" --argjson id "$C5" '.acknowledged == $a and
    .command.id == $id and .command.payload_b64 == "AP8Q"' >/dev/null ||
    fail "binary payload: $(line 2)"
line 3 | jq -e --argjson id "$C7" '.command.id == $id and .command.payload == "small"' \
    >/dev/null || fail "after the too large one: $(line 3)"
[ "$(state "$C6")" = rejected ] || fail "the 40-byte command for a 16-byte buffer: $(state "$C6")"
"$TETHER" device commands "${ID[0]}" --db "$GW_DB" --state rejected | grep -q "larger than the device takes" ||
    fail "no reason for the rejection"
ok "an ack a run could not keep means delivery again; a binary payload arrives as its bytes; one larger than the device's buffer is rejected, the next delivered"
stop_gw
