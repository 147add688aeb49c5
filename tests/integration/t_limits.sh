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
