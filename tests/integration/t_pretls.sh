# SPDX-License-Identifier: MIT
# Connections that never start TLS: each costs the gateway little (its
# TLS state is made when the first byte comes, not at accept), and
# --max-handshakes bounds how many may be open before their handshake
# ends, apart from --max-connections: over it a new connection is closed
# at once with a log line; devices get in again once the pending ones
# are gone.
. "$(dirname "$0")/lib.sh"

N=2000
# holder N PORT: opens N bare TCP connections to PORT, prints "open" and
# holds them until its stdin closes; then prints how many the gateway
# had closed by then (EOF or reset on a 1-byte peek).
cat >"$T/holder.py" <<'EOF'
import select, socket, sys
n, port = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    socks.append(s)
print("open", flush=True)
sys.stdin.readline()
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            closed += 1
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
print("closed", closed, flush=True)
EOF
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$GW_PID/status"; }
fds() { ls "/proc/$GW_PID/fd" | wc -l; }
at_least_fds() { [ "$(fds)" -ge "$1" ]; }

provision 1
# A handshake timeout longer than the test: no bare connection is closed
# while they are counted.
start_gw --workers 1 --handshake-timeout 120s
[ "$(post "${CRED[0]}" warm)" = 201 ] || fail "first message not 201"
base_fds=$(fds)
rss0=$(rss_kib)

mkfifo "$T/hold.in"
python3 "$T/holder.py" "$N" "$PORT" <"$T/hold.in" >"$T/hold.out" 2>"$T/hold.err" &
HOLDER=$!
exec 7>"$T/hold.in"
wait_for 30 grep -q '^open' "$T/hold.out" || fail "holder: $(cat "$T/hold.err")"
# (base_fds may still count the first message's connection, closing)
wait_for 30 at_least_fds $((base_fds + N - 1)) ||
    fail "the gateway holds $(($(fds) - base_fds)) of $N connections"
# Every accepted connection has been run once (its EPOLLOUT edge): a
# request after them is answered only when the loop is past them.
[ "$(post "${CRED[0]}" after)" = 201 ] || fail "message beside the bare connections not 201"
rss1=$(rss_kib)
per=$(( (rss1 - rss0) * 1024 / N ))
echo "RSS ${rss0} KiB -> ${rss1} KiB with $N bare connections: $per bytes each"
[ "$per" -le 8192 ] || fail "a bare TCP connection costs $per bytes (want <= 8 KiB)"
ok "$N connections that never start TLS: $per bytes each"
exec 7>&-
wait "$HOLDER" || true
stop_gw

# The limit: 50 pending handshakes at most; the 51st .. 60th are closed.
start_gw --workers 1 --max-handshakes 50 --handshake-timeout 120s
mkfifo "$T/hold2.in"
python3 "$T/holder.py" 60 "$PORT" <"$T/hold2.in" >"$T/hold2.out" 2>"$T/hold2.err" &
HOLDER=$!
exec 7>"$T/hold2.in"
wait_for 30 grep -q '^open' "$T/hold2.out" || fail "holder: $(cat "$T/hold2.err")"
refused() { grep -q 'event=connection_refused.*--max-handshakes' "$T/gw.log"; }
wait_for 10 refused || fail "no connection_refused line for --max-handshakes"
code=$(gw_curl -o /dev/null -w '%{http_code}' -H "Authorization: Device ${CRED[0]}" \
    --data-binary x "https://localhost:$PORT/v1/messages" 2>/dev/null || true)
[ "$code" != 201 ] || fail "a device got in past --max-handshakes"
exec 7>&-
wait "$HOLDER" || true
[ "$(cat "$T/hold2.out" | sed -n 's/^closed //p')" = 10 ] ||
    fail "closed at once: $(sed -n 's/^closed //p' "$T/hold2.out"), want 10"
ok "--max-handshakes 50: 10 of 60 bare connections closed at once, a device refused meanwhile"
accepted() { [ "$(post "${CRED[0]}" later)" = 201 ]; }
wait_for 10 accepted || fail "device not accepted once the bare connections left"
ok "the pending connections gone, the device gets 201"
stop_gw
