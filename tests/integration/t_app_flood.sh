#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The application listener under junk (#12, the review's leftovers):
# 3,000 requests with bad Bearer tokens (1,000 malformed ones, each
# different; 1,000 of one unknown token; 1,000 of one revoked token) are
# all answered 401 with at most a few store lookups (the admin listener's
# tether_app_token_lookup_seconds_count), and GW_READ_QUEUE + 1 long polls
# whose clients close free their places: the next poll is not 503.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 ||
    { echo "SKIP: python3 is not installed"; exit 77; }
QUEUE=$(sed -n 's/^#define GW_READ_QUEUE[[:space:]]*\([0-9]*\).*/\1/p' \
    "$TETHER_SRC/src/gateway/limits.h")
[ -n "$QUEUE" ] || fail "GW_READ_QUEUE not found in limits.h"

provision 1
"$TETHER" app add dash --db "$GW_DB" >"$T/token" 2>/dev/null || fail "app add"
"$TETHER" app add gone --db "$GW_DB" >"$T/token_gone" 2>/dev/null || fail "app add gone"
"$TETHER" app revoke gone --db "$GW_DB" 2>/dev/null || fail "app revoke"
# a well-formed token this registry never issued
"$TETHER" app add elsewhere --db "$T/other.db" >"$T/token_unknown" 2>/dev/null ||
    fail "app add in another registry"
TOKEN=$(cat "$T/token")
start_gw
APP="https://127.0.0.1:$APP_PORT"
[ "$(post "${CRED[0]}" '{"n":1}' 1)" = 201 ] || fail "a device's message"

lookups() {
	curl -s --max-time 10 "http://127.0.0.1:$ADMIN_PORT/metrics" |
	    sed -n 's/^tether_app_token_lookup_seconds_count \([0-9]*\)$/\1/p'
}
[ "$(curl -s --cacert "$T/ca.pem" "$APP/v1/messages" -H "Authorization: Bearer $TOKEN" \
    -o /dev/null -w '%{http_code}')" = 200 ] || fail "a read with the valid token"
before=$(lookups)
[ -n "$before" ] || fail "no tether_app_token_lookup_seconds_count on /metrics"

# One curl per kind: its connections are reused until the gateway closes
# one (after GW_MAX_AUTH_FAILURES 401s) and it opens the next.
python3 - "$APP" "$T/ca.pem" >"$T/junk.cfg" <<'EOF'
import random, string, sys
alphabet = string.ascii_lowercase + string.digits
for i in range(1000):
    tok = "tta1_" + "".join(random.choice(alphabet) for _ in range(33))
    # --next starts afresh: each request has every option of its own
    print('url = "%s/v1/messages"\nheader = "Authorization: Bearer %s"\n'
          'cacert = "%s"\nsilent\nmax-time = 10\noutput = /dev/null\n'
          'write-out = "%%{http_code}\\n"\nnext' % (sys.argv[1], tok, sys.argv[2]))
EOF
t0=$(date +%s)
timeout 120 curl -K "$T/junk.cfg" >"$T/codes.malformed" 2>/dev/null || true
for kind in unknown gone; do
	curl -s --max-time 120 --cacert "$T/ca.pem" -H "Authorization: Bearer $(cat "$T/token_$kind")" \
	    -o /dev/null -w '%{http_code}\n' "$APP/v1/messages?limit=[1-1000]" >"$T/codes.$kind" || true
done
elapsed=$(($(date +%s) - t0))
for kind in malformed unknown gone; do
	n=$(grep -c '^401$' "$T/codes.$kind" || true)
	[ "$n" = 1000 ] || fail "$kind tokens: $n of 1000 answered 401 ($(sort "$T/codes.$kind" | uniq -c | tr '\n' ' '))"
done
after=$(lookups)
# Malformed: none. Unknown and revoked: one each per GW_NEGCACHE_MS (5 s)
# at most, and a slot another token may take.
bound=$((2 * (elapsed / 5 + 2)))
[ $((after - before)) -le $bound ] ||
    fail "3,000 junk tokens cost $((after - before)) store lookups in $elapsed s (at most $bound)"
ok "3,000 junk Bearer tokens: all 401, $((after - before)) store lookups in $elapsed s"

# GW_READ_QUEUE + 1 long polls after the newest message: QUEUE park (the
# last is refused 503: the queue is full), then every client closes.
next=$(curl -s --cacert "$T/ca.pem" "$APP/v1/messages" -H "Authorization: Bearer $TOKEN" |
    tail -n 1 | jq -r .next)
[ -n "$next" ] && [ "$next" != null ] || fail "no cursor"
python3 - "$APP_PORT" "$TOKEN" "$next" "$((QUEUE + 1))" "$T/ca.pem" <<'EOF' || fail "the long polls"
import resource, socket, ssl, sys, time
port, token, cursor, n, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 256)), hard))
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
req = ("GET /v1/messages?after=%s&wait=60 HTTP/1.1\r\nHost: x\r\n"
       "Authorization: Bearer %s\r\n\r\n" % (cursor, token)).encode()
conns = []
deadline = time.time() + 90
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
    s.sendall(req)
    conns.append(s)
# One finds the queue full: 503 at once (the others wait 60 s). Which
# one depends on the workers' order, so any may be it.
import select
poller = select.poll()	# not select(): the fds pass 1024
byfd = {}
for s in conns:
    poller.register(s.fileno(), select.POLLIN)
    byfd[s.fileno()] = s
refused = None
while refused is None and time.time() < deadline:
    ready = [s for s in conns if s.pending()]
    if not ready:
        ready = [byfd[fd] for fd, _ in poller.poll(1000)]
    for s in ready:
        # readable may be a session ticket only: no answer yet
        s.setblocking(False)
        try:
            head = s.recv(4096).decode(errors="replace")
        except ssl.SSLWantReadError:
            continue
        if not head:
            sys.exit("a long poll's connection closed before its wait")
        if not head.startswith("HTTP/1.1 503"):
            sys.exit("a long poll answered before its wait: %r" % head[:80])
        refused = s
        break
if refused is None:
    sys.exit("no poll of %d was refused 503: the queue was not full" % n)
for s in conns:
    s.close()
print("ok - %d long polls sent, one refused 503, all closed" % n)
EOF
# Their places come free as the worker sees each close: the next poll
# parks and ends 200 (before, 503 until the closed polls' waits ended).
code=""
for i in $(seq 1 50); do
	code=$(curl -s --max-time 10 --cacert "$T/ca.pem" "$APP/v1/messages?after=$next&wait=1" \
	    -H "Authorization: Bearer $TOKEN" -o /dev/null -w '%{http_code}')
	[ "$code" = 200 ] && break
	sleep 0.2
done
[ "$code" = 200 ] || fail "a poll after $((QUEUE + 1)) closed ones: $code, want 200"
ok "$((QUEUE + 1)) long polls closed by their clients free their places: the next poll is 200"
stop_gw
