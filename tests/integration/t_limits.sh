# SPDX-License-Identifier: MIT
# A slow or silent client cannot hold the gateway: handshake and head
# timeouts, idle keep-alive timeout, the connection limit.
. "$(dirname "$0")/lib.sh"

start_gw --handshake-timeout 1s --head-timeout 1s --idle-timeout 2s --max-connections 4

# Silent TCP client: no ClientHello. The gateway closes within ~1 s.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
start=$(date +%s%N)
timeout 5 cat <&3 >/dev/null || fail "silent client not closed within 5 s"
exec 3<&-
el=$((($(date +%s%N) - start) / 1000000))
[ $el -lt 4000 ] || fail "silent client closed after ${el} ms"
wait_for 3 grep -q 'event=timeout.*TLS handshake not finished' "$T/gw.log" ||
    fail "no log line for the handshake timeout"
ok "a client that never sends a ClientHello is closed after the handshake timeout"

# Slow header: half a head, then nothing. 408 and close after ~1 s.
out=$( { printf 'GET /v1/health HTTP/1.1\r\nHost: x\r\n'; sleep 4; } |
    timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PORT" 2>/dev/null || true)
echo "$out" | grep -q '^HTTP/1.1 408' || fail "slow header: '$out'"
grep -q 'event=timeout.*request head not received' "$T/gw.log" || fail "no log line for the slow head"
ok "a slow request head gets 408 and the connection closed"

# Idle keep-alive: one request, then silence; closed after ~2 s. The
# client's exit time is taken inside the pipeline, which lasts 6 s anyway.
start=$(date +%s%N)
{ printf 'GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n'; sleep 6; } |
    { timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PORT" >"$T/idle.out" 2>/dev/null || true
      date +%s%N >"$T/idle.end"; }
el=$((($(cat "$T/idle.end") - start) / 1000000))
grep -q '^HTTP/1.1 200' "$T/idle.out" || fail "idle test: no answer"
[ $el -ge 1500 ] && [ $el -lt 4500 ] || fail "idle keep-alive connection closed after ${el} ms, want ~2000"
ok "an idle keep-alive connection is closed after the idle timeout"

# Connection limit 4: the fifth concurrent connection is refused.
for i in 1 2 3 4; do
	eval "exec $((i + 2))<>/dev/tcp/127.0.0.1/$PORT"
done
sleep 0.3
exec 7<>"/dev/tcp/127.0.0.1/$PORT"
timeout 3 cat <&7 >/dev/null || fail "the fifth connection was not closed"
wait_for 3 grep -q 'event=connection_refused.*connection limit' "$T/gw.log" ||
    fail "no log line for the connection limit"
for fd in 3 4 5 6 7; do eval "exec $fd<&-"; done
ok "--max-connections refuses the connection over the limit, with a log line"
stop_gw

# Per-device rate limit (DESIGN.md's 429): at 1 message a second with a
# burst of 3, a fourth message at once gets 429 with Retry-After, is not
# stored, and leaves other devices alone; after the wait it is accepted.
start_gw --device-rate 1 --device-burst 3
provision 2
for s in 1 2 3; do
	[ "$(post "${CRED[0]}" "{\"n\":$s}" "$s")" = 201 ] || fail "message $s of the burst refused: $(cat "$T/body")"
done
code=$(gw_curl -D "$T/hdr" -o "$T/body" -w '%{http_code}' \
    -H "Authorization: Device ${CRED[0]}" -H 'X-Tether-Seq: 4' \
    --data-binary '{"n":4}' "https://localhost:$PORT/v1/messages")
[ "$code" = 429 ] || fail "the fourth message at once got $code, not 429"
wait_s=$(tr -d '\r' <"$T/hdr" | sed -n 's/^Retry-After: *//Ip')
[ -n "$wait_s" ] && [ "$wait_s" -ge 1 ] && [ "$wait_s" -le 3 ] ||
    fail "429 without a sensible Retry-After: '$wait_s'"
grep -q 'retry in' "$T/body" || fail "429 body does not say when to retry: $(cat "$T/body")"
[ "$(sql "select count(*) from messages where device_id = '${ID[0]}' and kind = 0")" = 3 ] ||
    fail "a message answered 429 was stored"
[ "$(post "${CRED[1]}" other 1)" = 201 ] || fail "another device was limited too"
grep -q "event=rate_limited.*device=${ID[0]}" "$T/gw.log" || fail "no rate_limited log line"
sleep "$wait_s"
[ "$(post "${CRED[0]}" '{"n":4}' 4)" = 201 ] || fail "after Retry-After the message is still refused: $(cat "$T/body")"
ok "--device-rate: 429 with Retry-After $wait_s s over the burst, nothing stored, others unaffected, accepted after the wait"
stop_gw
