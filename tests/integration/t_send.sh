# SPDX-License-Identifier: MIT
# tether send, a device on the command line, against the real gateway: a
# message stored; keep-alive, resumption and a session kept across two runs
# as --stats tells them; and each failure said in the library's words
# (wrong pin, revoked device, no common cipher, nothing listening).
. "$(dirname "$0")/lib.sh"

"$TETHER" send --help >"$T/help" || fail "tether send --help exited $?"
grep -q '^usage: tether send URL --pin PIN' "$T/help" || fail "no usage line in --help"
ok "--help"

# The gateway drops idle connections after 1 s, so a message sent after a
# pause finds its kept-alive connection gone and must resume.
start_gw --idle-timeout 1s --head-timeout 1s --body-timeout 1s
provision 2
URL="https://127.0.0.1:$PORT"
( umask 077; printf '%s\n' "${CRED[0]}" >"$T/cred0"; printf '%s\n' "${CRED[1]}" >"$T/cred1" )
send() { "$TETHER" send "$URL" "$@" >"$T/out" 2>"$T/err"; }
# expect_fail STATUS ARGS...: send must exit STATUS
expect_fail() {
	local want=$1; shift
	set +e; send "$@"; local rc=$?; set -e
	[ $rc = "$want" ] || fail "send $*: exit $rc, want $want: $(cat "$T/err")"
}
stored() { sql "select count(*) from messages where cast(body as text) = '$1'"; }

send --pin "$PIN" --credential-file "$T/cred0" '{"t":21.5}' || fail "send: $(cat "$T/err")"
grep -q '^message 1 of 1: stored (201)$' "$T/out" || fail "no stored line: $(cat "$T/out")"
[ "$(stored '{"t":21.5}')" = 1 ] || fail "the message is not in the store"
[ "$(sql "select device_id from messages where cast(body as text) = '{\"t\":21.5}'")" = "${ID[0]}" ] ||
    fail "the message is stored under another device"
ok "a message is stored under the device's id"

# Three messages, 512-byte records: one full handshake, then the same
# connection (one client port for all three, as the store records it).
send --pin "$PIN" --credential-file "$T/cred0" --buffer 512 --count 3 \
    --stats '{"n":3}' || fail "send --count 3: $(cat "$T/err")"
sed -n 1p "$T/out" | grep -q '^message 1 of 3: stored (201), handshake full (TLS_ECDHE_ECDSA_[A-Z0-9_]*, records of up to 512 bytes), [0-9]* bytes out, [0-9]* bytes in, [0-9.]* ms$' ||
    fail "first message is not a full handshake with 512-byte records: $(cat "$T/out")"
sed -n 2p "$T/out" | grep -q '^message 2 of 3: stored (201), kept alive, ' || fail "second message not kept alive: $(cat "$T/out")"
sed -n 3p "$T/out" | grep -q '^message 3 of 3: stored (201), kept alive, ' || fail "third message not kept alive: $(cat "$T/out")"
grep -q '^total: 3 messages stored, 1 full handshake, 0 resumed, ' "$T/out" || fail "no total line: $(cat "$T/out")"
ram=$(sed -n 's/^RAM: .* = \([0-9]*\) bytes, no heap$/\1/p' "$T/out")
[ -n "$ram" ] && [ "$ram" -le 6144 ] || fail "RAM with 512-byte records is '$ram' bytes, want at most 6144"
[ "$(stored '{"n":3}')" = 3 ] || fail "not all three messages are stored"
[ "$(sql "select count(distinct peer) from messages where cast(body as text) = '{\"n\":3}'")" = 1 ] ||
    fail "the three messages came over more than one connection"
ok "--count 3 --stats: one full handshake, two kept alive, one connection, $ram bytes of RAM"

# After a pause longer than the gateway's idle time-out the connection is
# gone: the next message goes over a resumed one.
send --pin "$PIN" --credential-file "$T/cred0" --count 2 --interval 1.6 \
    --stats '{"n":"pause"}' || fail "send --interval: $(cat "$T/err")"
sed -n 2p "$T/out" | grep -q '^message 2 of 2: stored (201), handshake resumed ' ||
    fail "the message after the idle time-out did not resume: $(cat "$T/out")"
ok "a connection the gateway dropped is reopened with resumption"

# --seq: numbered messages; a repeat is acknowledged (200), stored once.
send --pin "$PIN" --credential-file "$T/cred0" --seq 100 --count 2 '{"s":1}' ||
    fail "send --seq: $(cat "$T/err")"
[ "$(sql "select group_concat(seq) from messages where cast(body as text) = '{\"s\":1}' order by seq")" = 100,101 ] ||
    fail "sequence numbers are not 100,101"
send --pin "$PIN" --credential-file "$T/cred0" --seq 101 '{"s":1}' || fail "repeat: $(cat "$T/err")"
grep -q '^message 1 of 1: stored (200)$' "$T/out" || fail "a repeat is not acknowledged 200: $(cat "$T/out")"
[ "$(stored '{"s":1}')" = 2 ] || fail "a repeated sequence number was stored twice"
ok "--seq numbers messages; a repeat is stored once"

# Deep sleep: the first run keeps its session (and sequence number) in a
# file, the second resumes from it.
send --pin "$PIN" --credential-file "$T/cred0" --save-session "$T/rtc" --seq 500 \
    --stats '{"w":1}' || fail "first --save-session: $(cat "$T/err")"
grep -q '^message 1 of 1: stored (201), handshake full ' "$T/out" || fail "first run not full: $(cat "$T/out")"
[ "$(stat -c '%s %a' "$T/rtc")" = "120 600" ] || fail "session file is not 120 bytes, mode 600: $(stat -c '%s %a' "$T/rtc")"
send --pin "$PIN" --credential-file "$T/cred0" --save-session "$T/rtc" \
    --stats '{"w":2}' || fail "second --save-session: $(cat "$T/err")"
grep -q '^message 1 of 1: stored (201), handshake resumed ' "$T/out" || fail "second run did not resume: $(cat "$T/out")"
[ "$(sql "select seq from messages where cast(body as text) = '{\"w\":2}'")" = 501 ] || fail "the sequence number did not carry over"
ok "--save-session: the next run resumes and carries the sequence number"

printf 'garbage' >"$T/rtc"
send --pin "$PIN" --credential-file "$T/cred0" --save-session "$T/rtc" --stats '{"w":3}' ||
    fail "a damaged session file made send fail: $(cat "$T/err")"
grep -q "^warning: --save-session $T/rtc: not a session file (7 bytes, want 120); a full handshake follows$" "$T/err" ||
    fail "no warning for a damaged session file: $(cat "$T/err")"
grep -q 'handshake full' "$T/out" || fail "damaged session: not a full handshake"
[ "$(stat -c %s "$T/rtc")" = 120 ] || fail "the damaged file was not replaced by a good session"
ok "a damaged session file costs one full handshake, with a warning"

# -vvv: the library's debug levels on stderr, and never the credential.
send --pin "$PIN" --credential-file "$T/cred0" -vvv '{"v":1}' || fail "send -vvv: $(cat "$T/err")"
grep -q '^debug: memory: client [0-9]* bytes' "$T/err" || fail "-vvv shows no memory line"
grep -q '^debug: connecting to 127.0.0.1:' "$T/err" || fail "-vvv shows no connect line"
grep -q '^debug: certificate CN=' "$T/err" || fail "-vvv shows no certificate line"
grep -q "${CRED[0]}" "$T/out" "$T/err" && fail "the credential was printed"
send --pin "$PIN" --credential "${CRED[0]}" -vvv '{"v":2}' || fail "--credential: $(cat "$T/err")"
grep -q "${CRED[0]}" "$T/out" "$T/err" && fail "the credential given with --credential was printed"
ok "-vvv shows the library's debug lines and never the credential"

# A wrong pin: refused, with the expected and received pins. A backup pin
# beside the wrong one is enough.
expect_fail 1 --pin "$PIN_RSA" --credential-file "$T/cred0" '{"x":1}'
grep -q "^error: the server's certificate matches none of the device's pins .*(expected SPKI SHA-256 $PIN_RSA; received SPKI SHA-256 $PIN; certificate CN=tether development certificate, valid [0-9-]* to [0-9-]*, key EC 256)$" "$T/err" ||
    fail "wrong pin message: $(cat "$T/err")"
send --pin "$PIN_RSA" --pin "$PIN" --credential-file "$T/cred0" '{"x":2}' || fail "backup pin refused: $(cat "$T/err")"
[ "$(stored '{"x":1}')" = 0 ] || fail "a message went out despite the wrong pin"
ok "wrong pin refused naming both pins; a backup pin is accepted"

# A revoked device: 401 in the library's words, with the gateway's body.
"$TETHER" device revoke "${ID[1]}" --db "$GW_DB" 2>/dev/null || fail "revoke failed"
sleep 1.2
expect_fail 1 --pin "$PIN" --credential-file "$T/cred1" '{"r":1}'
grep -q '^error: the server answered 401: the device credential is unknown or revoked.* (HTTP status 401; body: .*)$' "$T/err" ||
    fail "revoked device message: $(cat "$T/err")"
ok "revoked device: 401 named as such"

# axTLS-era firmware against a modern gateway: no cipher suite in common,
# named as the server's alert.
expect_fail 1 --pin "$PIN_RSA" --credential-file "$T/cred0" --profile legacy-axtls '{"l":1}'
grep -q '^error: the server found no cipher suite in common with the device.*(the server sent alert handshake_failure (40): no cipher suite in common; the device offered only TLS_RSA_WITH_AES_{128,256}_CBC_SHA{,256} (legacy-axtls))$' "$T/err" ||
    fail "legacy-axtls vs modern message: $(cat "$T/err")"
ok "legacy-axtls vs a modern gateway: the server's handshake_failure alert"

# Nothing listening.
dead=$(free_port)
set +e; "$TETHER" send "https://127.0.0.1:$dead" --pin "$PIN" --credential-file "$T/cred0" x 2>"$T/err"; rc=$?; set -e
[ $rc = 1 ] || fail "refused connection: exit $rc"
grep -q "^error: the server refused the TCP connection.* (server 127.0.0.1 port $dead)$" "$T/err" || fail "refused message: $(cat "$T/err")"
ok "connection refused, with the address"

# Usage errors exit 2 with a sentence, before anything goes out.
usage_case() {
	local want=$1; shift
	set +e; "$TETHER" send "$@" >/dev/null 2>"$T/err"; local rc=$?; set -e
	[ $rc = 2 ] || fail "send $*: exit $rc, want 2"
	grep -q "^error: $want" "$T/err" || fail "send $*: message '$(head -n 1 "$T/err")', want '$want'"
}
usage_case 'name the server' --pin "$PIN"
usage_case 'give the message BODY' "$URL" --pin "$PIN" --credential-file "$T/cred0"
usage_case "give the server's pin with --pin" "$URL" --credential-file "$T/cred0" x
usage_case 'give the device credential' "$URL" --pin "$PIN" x
usage_case '--credential, --credential-file and --identity contradict' "$URL" --pin "$PIN" --credential "${CRED[0]}" --credential-file "$T/cred0" x
usage_case '--mac applies to --identity' "$URL" --pin "$PIN" --credential-file "$T/cred0" --mac 02:00:00:00:00:01 x
usage_case "--pin 'd8ef[0-9a-f]*': 64 hex digits may be an SPKI SHA-256 or a certificate SHA-256 pin" \
    "$URL" --pin d8ef2c841f0e087faea13fdf7539ee70c6436d82230c2d491717afbed9254182 --credential-file "$T/cred0" x
usage_case "--pin 'nope': not an SPKI SHA-256 hash" "$URL" --pin nope --credential-file "$T/cred0" x
usage_case "'https://127.0.0.1:$PORT/other': devices post to /v1/messages only" "$URL/other" --pin "$PIN" --credential-file "$T/cred0" x
usage_case "'http://127.0.0.1:$PORT': devices speak TLS only" "http://127.0.0.1:$PORT" --pin "$PIN" --credential-file "$T/cred0" x
usage_case "--buffer: '100' is not a whole number from 512 to 16384" "$URL" --pin "$PIN" --credential-file "$T/cred0" --buffer 100 x
usage_case "--profile: 'axtls' is not a profile" "$URL" --pin "$PIN" --credential-file "$T/cred0" --profile axtls x
usage_case '--interval applies to --count' "$URL" --pin "$PIN" --credential-file "$T/cred0" --interval 2 x
usage_case '--pin given more than 4 times' "$URL" --pin "$PIN" --pin "$PIN" --pin "$PIN" --pin "$PIN" --pin "$PIN" x
usage_case 'the credential: the device credential has spaces' "$URL" --pin "$PIN" --credential 'a b' x
set +e; "$TETHER" send "$URL" --pin "$PIN" --credential-file "$T/none" x 2>"$T/err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "^error: --credential-file $T/none: No such file or directory$" "$T/err" ||
    fail "missing credential file: exit $rc, $(cat "$T/err")"
ok "usage errors exit 2 with a sentence; a missing credential file exits 1"

# The body from stdin.
printf '{"stdin":true}' | send --pin "$PIN" --credential-file "$T/cred0" - || fail "body from stdin: $(cat "$T/err")"
[ "$(stored '{"stdin":true}')" = 1 ] || fail "the body from stdin is not stored"
ok "BODY - reads the body from stdin"
stop_gw

# axTLS-era firmware against a gateway that offers its suites.
start_gw --profile legacy-esp8266
URL="https://127.0.0.1:$PORT"
send --pin "$PIN_RSA" --credential-file "$T/cred0" --profile legacy-axtls --buffer 512 --stats '{"l":2}' ||
    fail "legacy-axtls vs legacy-esp8266: $(cat "$T/err")"
grep -q 'handshake full (TLS_RSA_WITH_AES_[0-9]*_CBC_SHA[0-9]*, records of up to 512 bytes)' "$T/out" ||
    fail "legacy-axtls did not get an axTLS suite: $(cat "$T/out")"
ok "legacy-axtls vs a legacy-esp8266 gateway: $(grep -o 'TLS_RSA_[A-Z0-9_]*' "$T/out")"
stop_gw
