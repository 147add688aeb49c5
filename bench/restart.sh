#!/bin/sh
# SPDX-License-Identifier: MIT
# restart.sh - `make bench-restart`: a fleet of N clients with sessions,
# the server restarted (SIGTERM, start again), and every client back at
# once offering its session; for tether and for nginx from Debian with an
# `ssl_session_ticket_key` file (its session id cache is in shared memory
# and does not survive a restart). Three cases each: "fresh" (no session
# offered: the full-handshake storm a restart was before), "ticket" (TLS
# 1.2 session tickets) and "id" (TLS 1.2 session ids, what BearSSL and
# the ESP8266 core resume by). Server on core 0, clients on core 1.
#
# Environment: BUILD (default build/), TETHER, BENCH_N (clients, default
# 2000), BENCH_PAR (clients at once, default 32), BENCH_QUICK=1 (N=300),
# BENCH_REQ (message: each client POSTs one message, which tether stores
# durably; health: GET /v1/health, the TLS cost alone; default message),
# BENCH_KEEP=1 (keep the temp dir).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
BUILD=${BUILD:-$ROOT/build}
TETHER=${TETHER:-$BUILD/tether}
if [ "${BENCH_QUICK:-0}" = 1 ]; then N=${BENCH_N:-300}; else N=${BENCH_N:-2000}; fi
PAR=${BENCH_PAR:-32}
REQ=${BENCH_REQ:-message}
case $REQ in
message) GET="" ;;
health) GET="--get /v1/health" ;;
*) say "error: BENCH_REQ is message or health"; exit 1 ;;
esac
SERVER_CPU=0
LOAD_CPU=1

T=$(mktemp -d "${TMPDIR:-/tmp}/tether-restart.XXXXXX")
SRV_PID=""
cleanup() {
	trap - EXIT INT TERM
	stop_pid "$SRV_PID"
	if [ "${BENCH_KEEP:-0}" = 1 ]; then say "bench: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v nginx >/dev/null || { say "error: nginx missing (apt-get install nginx-light)"; exit 1; }
[ -x "$TETHER" ] || { say "error: $TETHER is missing (run make first)"; exit 1; }
cc -std=c11 -D_GNU_SOURCE -O2 -o "$T/reconnect" "$ROOT/bench/reconnect.c" \
	-lssl -lcrypto -lpthread

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ecdsa.key" -out "$T/ecdsa.crt" -days 30 \
	-subj /CN=localhost 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa.key" \
	-out "$T/rsa.crt" -days 30 -subj /CN=localhost 2>/dev/null

# nginx: the make bench peer, with a ticket key file (80 bytes: AES-256),
# and no lingering close: the clients read to the end of each answer, and
# nginx would otherwise wait on a request's unread body before closing.
mkdir -p "$T/nginx/tmp"
NGINX_PORT=$(free_port 1)
head -c 80 /dev/urandom >"$T/nginx/ticket.key"
chmod 600 "$T/nginx/ticket.key"
sed -e "s|@DIR@|$T/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" \
	-e "s|ssl_session_tickets on;|ssl_session_tickets on; ssl_session_ticket_key $T/nginx/ticket.key; lingering_close off;|" \
	"$ROOT/bench/nginx.conf.in" >"$T/nginx/nginx.conf"
grep -q ssl_session_ticket_key "$T/nginx/nginx.conf" || { say "error: nginx.conf.in changed"; exit 1; }

TETHER_PORT=$(free_port 2)
"$TETHER" provision --db "$T/tether.db" --count "$N" --out "$T/devices" \
	>"$T/provision.log" 2>&1 || { tail -n 5 "$T/provision.log" >&2; exit 1; }

start() {	# server
	if [ "$1" = nginx ]; then
		taskset -c $SERVER_CPU nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" \
			-e "$T/nginx/error.log" -g 'daemon off;' >>"$T/nginx/stderr.log" 2>&1 &
		SRV_PID=$!
		wait_listen "$NGINX_PORT" "$SRV_PID" nginx "$T/nginx/error.log"
		i=0
		while [ -z "$(pgrep -P "$SRV_PID" || true)" ] && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		SRV_PIDS="$SRV_PID $(pgrep -P "$SRV_PID" | tr '\n' ' ')"
		PORT=$NGINX_PORT; MAN=""
	else
		taskset -c $SERVER_CPU "$TETHER" serve --app-listen off --admin-listen off \
			--listen "127.0.0.1:$TETHER_PORT" --db "$T/tether.db" \
			--state-dir "$T/state" --workers 1 --device-rate 0 \
			--cert "$T/ecdsa.crt" --key "$T/ecdsa.key" \
			--cert "$T/rsa.crt" --key "$T/rsa.key" >>"$T/tether.log" 2>&1 &
		SRV_PID=$!
		wait_listen "$TETHER_PORT" "$SRV_PID" tether "$T/tether.log"
		SRV_PIDS=$SRV_PID
		PORT=$TETHER_PORT; MAN="--manifest $T/devices/manifest.json"
	fi
}
stop() { stop_pid "$SRV_PID"; SRV_PID=""; }

rc() {	# mode [options]: the clients, on the load core
	mode=$1; shift
	pidopts=""
	for p in $SRV_PIDS; do pidopts="$pidopts --server-pid $p"; done
	# shellcheck disable=SC2086
	timeout 600 taskset -c $LOAD_CPU "$T/reconnect" "$mode" -c "$N" -P "$PAR" \
		--tls 1.2 --sessions "$T/sessions.bin" $MAN $GET $pidopts "$@" "127.0.0.1:$PORT"
}

: >"$T/values"
for srv in tether nginx; do
	for cs in fresh ticket id; do
		opts=""
		[ $cs = id ] && opts="--no-ticket"
		start $srv
		# shellcheck disable=SC2086
		[ $cs = fresh ] || rc save $opts >/dev/null
		stop		# SIGTERM: tether writes its session cache
		start $srv
		if [ $cs = fresh ]; then line=$(rc fresh); else line=$(rc load $opts); fi
		stop
		say "bench: $srv $cs: $line"
		echo "$srv $cs $line" >>"$T/values"
	done
done

v() {	# server case key
	awk -v s="$1" -v c="$2" -v k="$3" '$1 == s && $2 == c {
	    for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$T/values"
}
echo "## Restart: $N clients back at once ($PAR at a time), TLS 1.2, ECDSA P-256, request: $REQ ($(date +%Y-%m-%d))"
echo
echo "| case | server | full | resumed | failed | seconds to serve all | server CPU ms | CPU µs a reconnect | time vs fresh |"
echo "|---|---|---|---|---|---|---|---|---|"
for cs in fresh ticket id; do
	for srv in tether nginx; do
		s=$(v $srv $cs seconds); f=$(v $srv fresh seconds); cpu=$(v $srv $cs server_cpu_ms)
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$cs" "$srv" \
			"$(v $srv $cs full)" "$(v $srv $cs resumed)" "$(v $srv $cs failed)" "$s" "$cpu" \
			"$(awk -v c="$cpu" -v n="$N" 'BEGIN { printf "%.0f", c * 1000 / n }')" \
			"$(awk -v a="$f" -v b="$s" 'BEGIN { if (b > 0) printf "%.2f× faster", a / b }')"
	done
done
echo
echo "| after a restart | tether / nginx, time to serve all | tether / nginx, server CPU |"
echo "|---|---|---|"
for cs in fresh ticket id; do
	printf '| %s | %s | %s |\n' "$cs" \
		"$(awk -v a="$(v tether $cs seconds)" -v b="$(v nginx $cs seconds)" 'BEGIN { if (b > 0) printf "%.2f", a / b }')" \
		"$(awk -v a="$(v tether $cs server_cpu_ms)" -v b="$(v nginx $cs server_cpu_ms)" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
done
echo
echo "Below 1 is tether ahead. With request: message tether stores each client's"
echo "message durably (one SQLite commit a batch); nginx answers \`return 200\` and"
echo "stores nothing. With request: health both answer a few bytes."
