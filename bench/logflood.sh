# SPDX-License-Identifier: MIT
# logflood.sh - what clients without a credential make the gateway log
# (#12, item 4): 5 s of 401s from a client that reconnects each time the
# gateway closes (at the third 401), then 1,000 bare TCP connect/close;
# and, where a loop mount is possible, 10 s of messages on a full disk
# (store_failed lines). Not part of make test:
#   TETHER=build/tether TETHER_SRC=. bash bench/logflood.sh
. "${TETHER_SRC:-.}/tests/integration/lib.sh"
provision 1
start_gw --workers 1 --app-listen off --admin-listen off
python3 - "$PORT" <<'PY'
import socket, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
req = b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device tth1_notacredential\r\nContent-Length: 1\r\n\r\nx"
n401 = conns = 0
end = time.time() + 5
while time.time() < end:
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    conns += 1
    s.sendall(req * 8)
    buf = b""
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            buf += d
    except Exception: pass
    n401 += buf.count(b"HTTP/1.1 401")
    s.close()
print("401 flood 5 s: %d 401s on %d connections" % (n401, conns))
PY
echo "log after the 401 flood: $(wc -c <"$T/gw.log") bytes, $(wc -l <"$T/gw.log") lines"
b0=$(wc -c <"$T/gw.log")
python3 - "$PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port)); s.close()
PY
sleep 1.5
b1=$(wc -c <"$T/gw.log")
echo "1000 bare TCP connect/close: $((b1 - b0)) bytes of log ($(( (b1 - b0) / 1000 )) a connection)"
sleep 6; b2=$(wc -c <"$T/gw.log"); echo "after 6 s more (summaries): $((b2 - b0)) bytes"
tail -3 "$T/gw.log"
stop_gw

# 10 s of messages on a full disk: how many store_failed lines.
MNT="$T/mnt"
mkdir -p "$MNT"
truncate -s 16M "$T/fs.img"
if [ "$(id -u)" != 0 ] || ! mkfs.ext4 -q -b 4096 -m 0 "$T/fs.img" ||
    ! mount -o loop "$T/fs.img" "$MNT" 2>/dev/null; then
	echo "full disk: skipped (needs root and a loop mount)"
	exit 0
fi
trap 'kill -9 "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true; umount "$MNT" 2>/dev/null || umount -l "$MNT" || true; cleanup' EXIT
GW_DB="$MNT/tether.db"
provision 1
start_gw --workers 1 --app-listen off --admin-listen off
[ "$(post "${CRED[0]}" first 1)" = 201 ] || fail "no 201 before the disk is full"
dd if=/dev/zero of="$MNT/fill" bs=64k 2>/dev/null || true
: >"$T/gw.log"
end=$(($(date +%s) + 10))
while [ "$(date +%s)" -lt "$end" ]; do
	# shellcheck disable=SC2046
	gw_curl -H "Authorization: Device ${CRED[0]}" --data-binary x -w '%{http_code}\n' \
	    $(for i in $(seq 1 50); do echo "-o /dev/null https://localhost:$PORT/v1/messages"; done) \
	    >>"$T/codes" 2>/dev/null || true
done
sleep 6		# the last suppressed-lines summary
echo "10 s of full disk: answers $(sort "$T/codes" | uniq -c | tr -s ' \n' ' ');" \
    "store_failed lines $(grep -c 'event=store_failed' "$T/gw.log"), left out" \
    "$(grep 'of=store_failed' "$T/gw.log" | sed 's/.*suppressed=\([0-9]*\).*/\1/' | paste -sd+ | bc)"
stop_gw
