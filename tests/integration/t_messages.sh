# SPDX-License-Identifier: MIT
# The wire protocol as a device meets it: POST /v1/messages with each
# answer DESIGN.md promises, health, 404, keep-alive and pipelining.
. "$(dirname "$0")/lib.sh"

start_gw
provision 3
C=${CRED[0]}

[ "$(post "$C" '{"t":21.5}' 1)" = 201 ] || fail "a registered device's message is not 201"
grep -q '"stored":true' "$T/body" || fail "201 body: $(cat "$T/body")"
ok "201 for a registered device"

[ "$(post "$C" '{"t":21.5}' 1)" = 200 ] || fail "a retried seq is not 200"
grep -q '"duplicate":true' "$T/body" || fail "duplicate body: $(cat "$T/body")"
[ "$(sql "select count(*) from messages where seq = 1")" = 1 ] || fail "retried message stored twice"
ok "a retried X-Tether-Seq is stored once and answered 200"

[ "$(post "$C" 'no seq')" = 201 ] || fail "message without seq"
[ "$(post "$C" 'no seq')" = 201 ] || fail "second message without seq"
ok "messages without X-Tether-Seq are all stored"

bogus=tth1_00000000000000000000000000000000000
[ "$(post "$bogus" x)" = 401 ] || fail "unknown credential is not 401"
cp "$T/body" "$T/body.unknown"
"$TETHER" device revoke "${ID[1]}" --db "$GW_DB" 2>/dev/null || fail "revoke failed"
sleep 0.5
[ "$(post "${CRED[1]}" x)" = 401 ] || fail "revoked credential is not 401"
cmp -s "$T/body" "$T/body.unknown" || fail "revoked and unknown get different bodies"
# The whole answer, status line, headers and body, byte for byte; the
# second time each comes from the negative cache, the same path.
for i in 1 2; do
	for who in unknown revoked; do
		cred=$bogus; [ $who = revoked ] && cred=${CRED[1]}
		raw "POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device $cred\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx" \
		    >"$T/answer.$who.$i"
	done
	cmp -s "$T/answer.unknown.$i" "$T/answer.revoked.$i" ||
	    fail "unknown and revoked answers differ: $(cat "$T/answer.unknown.$i") / $(cat "$T/answer.revoked.$i")"
done
grep -q '^HTTP/1.1 401' "$T/answer.revoked.2" || fail "revoked: $(cat "$T/answer.revoked.2")"
ok "unknown and revoked credentials get the same 401, byte for byte"

code=$(gw_curl -o /dev/null -w '%{http_code}' --data x "https://localhost:$PORT/v1/messages")
[ "$code" = 401 ] || fail "no Authorization: $code"
ok "401 without a credential"

[ "$(post "$C" x abc)" = 400 ] || fail "bad X-Tether-Seq is not 400"
# The offset is the first wrong byte's, and the connection closes: the
# request after it is never answered.
head1="POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device $C\r\nX-Tether-Seq: 12x4\r\n"
want=$(($(printf '%b' "$head1" | grep -bo 'X-Tether-Seq: 12x4' | cut -d: -f1) + 16))
out=$(raw "$head1""Content-Length: 1\r\n\r\nz""GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n" | tr -d '\r' | tr '\n' ' ')
echo "$out" | grep -q '^HTTP/1.1 400 .*Connection: close' || fail "bad X-Tether-Seq answer: $out"
echo "$out" | grep -q "\"offset\":$want}" || fail "bad X-Tether-Seq: offset not $want: $out"
[ "$(echo "$out" | grep -o 'HTTP/1.1 ' | wc -l)" = 1 ] || fail "answered after a bad X-Tether-Seq: $out"
ok "400 for a malformed X-Tether-Seq, with the offset of its bad byte ($want), connection closed"

# Methods are case-sensitive (RFC 9110, 9.1): "post" is not POST.
out=$(raw "post /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device $C\r\nX-Tether-Seq: 300\r\nContent-Length: 2\r\nConnection: close\r\n\r\nlc" | tr -d '\r' | tr '\n' ' ')
echo "$out" | grep -q '^HTTP/1.1 405 .*Allow: POST' || fail "post /v1/messages: $out"
[ "$(sql "select count(*) from messages where seq = 300")" = 0 ] || fail "a 'post' was stored"
out=$(raw 'get /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | tr -d '\r' | tr '\n' ' ')
echo "$out" | grep -q '^HTTP/1.1 405' || fail "get /v1/health: $out"
ok "methods are case-sensitive: post and get get 405, nothing stored"

head -c 16385 /dev/zero | tr '\0' a >"$T/big"
code=$(gw_curl -o /dev/null -w '%{http_code}' -H "Authorization: Device $C" \
    -H 'Expect:' --data-binary @"$T/big" "https://localhost:$PORT/v1/messages")
[ "$code" = 413 ] || fail "17 KiB body: $code, want 413"
head -c 16384 /dev/zero | tr '\0' a >"$T/max"
[ "$(post "$C" @"$T/max")" = 201 ] || fail "a 16 KiB body (the limit) is refused"
code=$(gw_curl -o /dev/null -w '%{http_code}' -H "Authorization: Device $C" \
    --data-binary @"$T/big" "https://localhost:$PORT/v1/messages")
[ "$code" = 413 ] || fail "17 KiB body with Expect: 100-continue: $code"
ok "413 above --max-body, with and without Expect: 100-continue"

code=$(gw_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/v1/health")
[ "$code" = 200 ] || fail "health: $code"
code=$(gw_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/")
[ "$code" = 404 ] || fail "/: $code"
code=$(gw_curl -o /dev/null -w '%{http_code}' "https://localhost:$PORT/v1/messages")
[ "$code" = 405 ] || fail "GET /v1/messages: $code"
ok "health 200, unknown path 404, wrong method 405, no redirects"

out=$(raw 'POST /v1/messages HTTP/1.1\r\nHost: x\r\n\r\n')
echo "$out" | grep -q '^HTTP/1.1 411' || fail "POST without Content-Length: $out"
out=$(raw 'GET /v1/health HTTP/1.1\nHost: x\n\n')
echo "$out" | grep -q '^HTTP/1.1 400' || fail "bare LF: $out"
echo "$out" | grep -q 'LF' || fail "400 body does not say why: $out"
out=$(raw 'GET /v1/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
echo "$out" | grep -q '^HTTP/1.1 501' || fail "Transfer-Encoding: $out"
grep -q 'event=request_refused.*status=400' "$T/gw.log" || fail "no log line for a 400"
ok "malformed requests get 400/411/501 with the reason, and a log line"

# Keep-alive: curl reuses one connection for several URLs.
gw_curl -v -o /dev/null -o /dev/null -o /dev/null "https://localhost:$PORT/v1/health" \
    "https://localhost:$PORT/v1/health" "https://localhost:$PORT/v1/health" 2>"$T/curl.err"
grep -q 'Re-using existing connection' "$T/curl.err" || fail "keep-alive connection not reused"
ok "keep-alive: one connection, several requests"

# Pipelining: three requests in one write, three answers in order.
req="POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device $C\r\nX-Tether-Seq: 100\r\nContent-Length: 2\r\n\r\np1"
req="$req""GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
req="$req""POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device $C\r\nX-Tether-Seq: 101\r\nContent-Length: 2\r\nConnection: close\r\n\r\np2"
out=$(raw "$req" | grep '^HTTP/1.1' | tr -d '\r' | tr '\n' ' ')
[ "$out" = "HTTP/1.1 201 Created HTTP/1.1 404 Not Found HTTP/1.1 201 Created " ] ||
    fail "pipelined answers: '$out'"
[ "$(sql "select group_concat(body, ',') from (select body from messages where seq in (100, 101) order by seq)")" = "p1,p2" ] ||
    fail "pipelined messages not stored in order"
ok "pipelined requests are answered in order"

# Another device's credential on a connection authenticated as C: 401,
# nothing stored, and the connection closes (the third request is never
# read).
req="POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device $C\r\nX-Tether-Seq: 200\r\nContent-Length: 2\r\n\r\nm1"
req="$req""POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device ${CRED[2]}\r\nX-Tether-Seq: 201\r\nContent-Length: 2\r\n\r\nm2"
req="$req""POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device $C\r\nX-Tether-Seq: 202\r\nContent-Length: 2\r\n\r\nm3"
out=$(raw "$req" | grep -E '^HTTP/1.1|^Connection:' | tr -d '\r' | tr '\n' ' ')
[ "$out" = "HTTP/1.1 201 Created HTTP/1.1 401 Unauthorized Connection: close " ] ||
    fail "another device's credential on an authenticated connection: '$out'"
[ "$(sql "select count(*) from messages where seq in (201, 202)")" = 0 ] ||
    fail "a message after the other credential was stored"
ok "another device's credential on an authenticated connection: 401, closed, nothing stored"

grep -q "$C" "$T/gw.log" && fail "a credential appears in the log"
ok "no credential in the log"
stop_gw
ok "SIGTERM: exit 0"
