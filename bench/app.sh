#!/bin/sh
# SPDX-License-Identifier: MIT
# app.sh - the application API's figures (`make bench` runs it after
# run.sh; alone: sh bench/app.sh):
#  1. intake with nothing attached against intake with a stream reader
#     and a long-polling reader attached (loadgen, 100 devices), rounds
#     interleaved: the goal is >= 0.9;
#  2. GET /v1/messages read rate (pages of 5,000 over one keep-alive TLS
#     connection, following `next`) against nginx serving the same bytes
#     as static pages (no store, no auth: an upper bound).
# Server on core 0, clients on core 1. BENCH_QUICK=1: a short run.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
BUILD=${BUILD:-$ROOT/build}
LOADGEN=${LOADGEN:-$BUILD/loadgen}
TETHER=${TETHER:-$BUILD/tether}
if [ "${BENCH_QUICK:-0}" = 1 ]; then ROUNDS=1; DUR=2; else ROUNDS=${BENCH_ROUNDS:-3}; DUR=${BENCH_DURATION:-5}; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/tether-bench-app.XXXXXX")
GW_PID="" NGINX_PID="" READERS=""
cleanup() {
	for p in $READERS; do stop_pid "$p"; done
	stop_pid "$GW_PID"; stop_pid "$NGINX_PID"
	[ "${BENCH_KEEP:-0}" = 1 ] && say "bench: kept $T" || rm -rf "$T"
}
trap cleanup EXIT INT TERM

PORT=$(free_port 1); APP_PORT=$(free_port 2); NGINX_PORT=$(free_port 3)
cd "$T"
"$TETHER" provision --db "$T/t.db" --count 100 --out "$T/dev" >/dev/null 2>&1
TOKEN=$("$TETHER" app add bench --db "$T/t.db" 2>/dev/null)
taskset -c 0 "$TETHER" serve --listen "127.0.0.1:$PORT" --app-listen "127.0.0.1:$APP_PORT" --admin-listen off \
    --db "$T/t.db" --state-dir "$T/state" --workers 1 --device-rate 0 \
    >"$T/gw.out" 2>"$T/gw.log" &
GW_PID=$!
wait_listen "$APP_PORT" "$GW_PID" tether "$T/gw.log"
wait_listen "$PORT" "$GW_PID" tether "$T/gw.log"

TICK=$(getconf CLK_TCK)
# The threads a message passes through (the worker, the committer, the
# syncer; the worker also writes the readers' answers to their TLS
# connections) and the one that reads the store and formats for readers.
PATH_THREADS="tether-w0 tether-intake tether-sync"
intake() {	# one loadgen run: "messages/s server-µs/message path-µs reader-µs"
	p0=$(thread_cpu "$GW_PID" $PATH_THREADS); r0=$(thread_cpu "$GW_PID" tether-reader)
	set -- $(taskset -c 1 "$LOADGEN" messages -c 100 -d "$DUR" --tls 1.2 \
	    --manifest "$T/dev/manifest.json" --server-pid "$GW_PID" -w 0 \
	    "127.0.0.1:$PORT" 2>>"$T/loadgen.err" | head -n 1 | tr ' ' '\n' |
	    awk -F= '$1 == "rate" { r = $2 } $1 == "server_us_per_op" { u = $2 } $1 == "ok" { n = $2 }
		END { print r, u, n }')
	p1=$(thread_cpu "$GW_PID" $PATH_THREADS); r1=$(thread_cpu "$GW_PID" tether-reader)
	awk -v r="$1" -v u="$2" -v n="$3" -v p=$((p1 - p0)) -v q=$((r1 - r0)) -v t="$TICK" \
	    'BEGIN { if (n > 0) { p = p * 1e6 / t / n; q = q * 1e6 / t / n }; printf "%s %s %.1f %.1f\n", r, u, p, q }'
}
attach() {	# two readers from the newest message: they read what comes
	last=$("$TETHER" messages --db "$T/t.db" --format jsonl | tail -n 1 |
	    sed 's/^{"cursor":"\([^"]*\)".*/\1/')
	printf '%s' "$last" >"$T/cursor"
	taskset -c 1 curl -sN --cacert "$T/state/ecdsa.crt" \
	    "https://127.0.0.1:$APP_PORT/v1/messages/stream?after=$last" \
	    -H "Authorization: Bearer $TOKEN" >/dev/null 2>&1 &
	READERS="$READERS $!"
	# a long poller, as examples/app/consume.py reads
	TETHER_APP_URL="https://127.0.0.1:$APP_PORT" TETHER_APP_TOKEN=$TOKEN \
	    TETHER_CA="$T/state/ecdsa.crt" TETHER_CURSOR_FILE="$T/cursor" \
	    taskset -c 1 python3 "$ROOT/examples/app/consume.py" >/dev/null 2>&1 &
	READERS="$READERS $!"
}
detach() { for p in $READERS; do stop_pid "$p"; done; READERS=""; }

say "bench/app: intake alone and with two readers attached, $ROUNDS round(s) of $DUR s"
alone="" with="" alone_us="" with_us="" alone_p="" with_p="" with_r=""
for r in $(seq "$ROUNDS"); do
	set -- $(intake); alone="$alone $1"; alone_us="$alone_us $2"; alone_p="$alone_p $3"
	attach
	set -- $(intake); with="$with $1"; with_us="$with_us $2"; with_p="$with_p $3"; with_r="$with_r $4"
	detach
done
median() { printf '%s\n' $1 | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
A=$(median "$alone"); W=$(median "$with")
AU=$(median "$alone_us"); WU=$(median "$with_us")
AP=$(median "$alone_p"); WP=$(median "$with_p"); WR=$(median "$with_r")

# ---- reads ----
cat >"$T/read.py" <<'EOF'
import http.client, ssl, sys, time
host, port, ca, token, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection(host, port, context=ctx)
h = {"Authorization": "Bearer " + token}
n, cursor, page, t0 = 0, "", 0, time.monotonic()
while True:
    c.request("GET", f"/v1/messages?limit=5000&after={cursor}" if mode == "tether" else f"/page{page}", headers=h)
    r = c.getresponse()
    body = r.read()
    if r.status != 200: break
    lines = body.split(b"\n")[:-1]
    n += len(lines) - 1
    if mode == "tether":
        last = lines[-1]
        cursor = last[9:last.index(b'"', 9)].decode()
        if b'"more":true' not in last: break
    page += 1
print(n, n / (time.monotonic() - t0))
EOF
total=$("$TETHER" messages --db "$T/t.db" --format jsonl | wc -l)
say "bench/app: reading $total messages"
tether_read() { taskset -c 1 python3 "$T/read.py" 127.0.0.1 "$APP_PORT" "$T/state/ecdsa.crt" "$TOKEN" tether; }
# nginx: the same bytes, the same pages, each with a last line
mkdir -p "$T/nginx/tmp" "$T/www"
chmod 755 "$T" "$T/www"		# nginx's workers run as www-data
"$TETHER" messages --db "$T/t.db" --format jsonl | split -l 5000 -d -a 4 - "$T/www/p"
i=0
for f in "$T"/www/p*; do
	{ cat "$f"; echo '{"next":"AQAAAAAAAAAAAAAAAAAAAAEA","count":5000,"more":true}'; } >"$T/www/page$i"
	rm -f "$f"; i=$((i + 1))
done
cat >"$T/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_cpu_affinity 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $T/nginx/tmp/body;
	proxy_temp_path $T/nginx/tmp/proxy;
	fastcgi_temp_path $T/nginx/tmp/fastcgi;
	uwsgi_temp_path $T/nginx/tmp/uwsgi;
	scgi_temp_path $T/nginx/tmp/scgi;
	keepalive_requests 100000;
	server {
		listen 127.0.0.1:$NGINX_PORT ssl;
		ssl_certificate $T/state/ecdsa.crt;
		ssl_certificate_key $T/state/ecdsa.key;
		root $T/www;
		default_type application/x-ndjson;
	}
}
EOF
taskset -c 0 nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" \
    -g 'daemon off;' >"$T/nginx/stderr.log" 2>&1 &
NGINX_PID=$!
wait_listen "$NGINX_PORT" "$NGINX_PID" nginx "$T/nginx/error.log"
tr="" nr=""
for r in $(seq "$ROUNDS"); do
	tr="$tr $(tether_read | cut -d' ' -f2)"
	nr="$nr $(taskset -c 1 python3 "$T/read.py" 127.0.0.1 "$NGINX_PORT" "$T/state/ecdsa.crt" x nginx | cut -d' ' -f2)"
done
TR=$(median "$tr"); NR=$(median "$nr")

echo "## Application API ($ROUNDS round(s), median; $(date +%Y-%m-%d))"
echo
echo "| figure | tether | peer | ratio | goal |"
echo "|---|---|---|---|---|"
awk -v a="$A" -v w="$W" 'BEGIN { printf "| intake msg/s, 2 readers attached vs none (load on the readers\x27 core) | %.0f | %.0f (none) | %.2f | >= 0.9 |\n", w, a, w / a }'
awk -v a="$AU" -v w="$WU" 'BEGIN { printf "| intake capacity (1 / server CPU µs per message), 2 readers attached vs none | %.1f µs | %.1f µs (none) | %.2f | >= 0.9 |\n", w, a, a / w }'
awk -v a="$AP" -v w="$WP" 'BEGIN { printf "| of which the worker, committer and syncer threads (the worker also encrypts and writes the readers\x27 answers), CPU per message, readers attached vs none | %.1f µs | %.1f µs (none) | %.2f | |\n", w, a, w / a }'
awk -v r="$WR" 'BEGIN { printf "| the reader thread, CPU per message, readers attached | %.1f µs | | | |\n", r }'
awk -v t="$TR" -v n="$NR" -v m="$total" 'BEGIN { printf "| GET /v1/messages read, msg/s (%d messages, pages of 5,000) | %.0f | %.0f (nginx, static pages) | %.2f | >= 100,000 msg/s |\n", m, t, n, t / n }'
