#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - `make bench`: the same load from bench/loadgen against
# `tether serve` and against nginx from Debian (`return 200`), interleaved,
# server on core 0 and load on core 1; prints medians and ratios to nginx.
#
# Environment: BUILD (default build/), LOADGEN, TETHER (binaries),
# BENCH_QUICK=1 (a ~1 minute smoke run), BENCH_ROUNDS, BENCH_DURATION,
# BENCH_IDLE (idle connections, default 10000), BENCH_TLS (1.2 or 1.3),
# BENCH_RAW (copy the raw loadgen lines there), BENCH_KEEP=1 (keep temp dir),
# BENCH_CASES (a subset of: hs_ecdsa hs_rsa res_ticket res_id msg100 msg1000
# idle_hs idle_req; default all), BENCH_DB_DIR (where tether's database
# goes, default the temp dir; /dev/shm shows the message path without the
# disk's flush, for diagnosis: nothing there survives power loss).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
BUILD=${BUILD:-$ROOT/build}
LOADGEN=${LOADGEN:-$BUILD/loadgen}
TETHER=${TETHER:-$BUILD/tether}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-1}; DUR=${BENCH_DURATION:-2}
	IDLE_N=${BENCH_IDLE:-1000}; HOLD=1
else
	ROUNDS=${BENCH_ROUNDS:-3}; DUR=${BENCH_DURATION:-10}
	IDLE_N=${BENCH_IDLE:-10000}; HOLD=3
fi
TLSV=${BENCH_TLS:-1.2}
CASES=${BENCH_CASES:-hs_ecdsa hs_rsa res_ticket res_id msg100 msg1000 idle_hs idle_req}
SERVER_CPU=0
LOAD_CPU=1

T=$(mktemp -d "${TMPDIR:-/tmp}/tether-bench.XXXXXX")
DBDIR=$T
NGINX_PID=""
TETHER_PID=""
LOAD_PID=""

stop_nginx() {
	stop_pid "$NGINX_PID"
	for p in ${NGINX_PIDS:-}; do	# a worker the master left behind
		if alive "$p"; then kill -9 "$p" 2>/dev/null || true; fi
	done
	NGINX_PID=""; NGINX_PIDS=""
}

cleanup() {
	trap - EXIT INT TERM
	stop_pid "$LOAD_PID"
	stop_nginx
	stop_pid "$TETHER_PID"
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "bench: kept $T"
		[ "$DBDIR" = "$T" ] || say "bench: kept $DBDIR (the database)"
	else
		rm -rf "$T"
		[ "$DBDIR" = "$T" ] || rm -rf "$DBDIR"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -n "${BENCH_DB_DIR:-}" ] && [ -z "${BENCH_REPORT:-}" ]; then
	DBDIR=$(mktemp -d "$BENCH_DB_DIR/tether-bench-db.XXXXXX") ||
		{ say "error: cannot make a directory in BENCH_DB_DIR=$BENCH_DB_DIR"; exit 1; }
fi

# --- the table ----------------------------------------------------------

report() {
	med() {	# server key -> median, or "-"
		awk -v s="$1" -v k="$2" '$1 == s && $2 == k && $3 != "" { print $3 }' "$VALUES" |
			sort -g | awk '{ v[NR] = $1 } END {
			    if (NR == 0) print "-";
			    else if (NR % 2) print v[(NR + 1) / 2];
			    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	}

	# Median over rounds of tether/nginx, each round's pair measured back to
	# back (the machine drifts between rounds more than within a pair).
	pratio() {	# key how
		awk -v k="$1" -v h="$2" '$2 == k && $3 != "" && $3 > 0 { v[$1, $4] = $3; r[$4] = 1 }
		    END { for (i in r) if (("tether", i) in v && ("nginx", i) in v)
			if (h == "core") print v["nginx", i] / v["tether", i]
			else print v["tether", i] / v["nginx", i] }' "$VALUES" |
			sort -g | awk '{ v[NR] = $1 } END {
			    if (NR == 0) print "-";
			    else if (NR % 2) print v[(NR + 1) / 2];
			    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	}

	# row LABEL KEY HOW GOAL: HOW is rate (as is), core (1e6 / us), or raw
	row() {
		tv=$(med tether "$2"); nv=$(med nginx "$2"); pr=$(pratio "$2" "$3")
		awk -v l="$1" -v t="$tv" -v n="$nv" -v h="$3" -v g="$4" -v pr="$pr" 'BEGIN {
			if (h == "core") {
				if (t != "-" && t > 0) t = 1e6 / t
				if (n != "-" && n > 0) n = 1e6 / n
			}
			ratio = (pr != "-") ? sprintf("%.2f", pr) : "-"
			ft = (t == "-") ? "-" : (h == "raw" ? sprintf("%.2f", t) : sprintf("%.0f", t))
			fn = (n == "-") ? "-" : (h == "raw" ? sprintf("%.2f", n) : sprintf("%.0f", n))
			verdict = ""
			if (ratio != "-" && g != "") {
				op = substr(g, 1, 1); lim = substr(g, 2) + 0
				ok = (op == ">") ? (ratio + 0 >= lim) : (ratio + 0 <= lim)
				verdict = sprintf("%s%s %s", op == ">" ? ">=" : "<=", substr(g, 2), ok ? "met" : "NOT met")
			}
			printf "| %s | %s | %s | %s | %s |\n", l, ft, fn, ratio, verdict
		}'
	}

	echo
	echo "## tether vs nginx ($ROUNDS round(s), median; TLS $TLSV; $(date +%Y-%m-%d))"
	echo
	echo "| figure | tether | nginx | ratio | goal |"
	echo "|---|---|---|---|---|"
	row "full handshakes/s, ECDSA P-256 (client-bound rate)" hs_ecdsa.rate rate ""
	row "  server capacity, handshakes/s/core (1e6 / server µs)" hs_ecdsa.us core ">0.9"
	row "full handshakes/s, RSA-2048 (client-bound rate)" hs_rsa.rate rate ""
	row "  server capacity, handshakes/s/core" hs_rsa.us core ">0.9"
	row "resumed handshakes/s, ticket (rate)" res_ticket.rate rate ""
	row "  server capacity, resumed/s/core" res_ticket.us core ">0.9"
	row "resumed handshakes/s, session id (rate)" res_id.rate rate ""
	row "  server capacity, resumed/s/core" res_id.us core ">0.9"
	row "messages/s, 100 connections (rate)" msg100.rate rate ">0.7"
	row "  server capacity, messages/s/core" msg100.us core ">0.7"
	row "p50 latency at 100, µs" msg100.p50 rate ""
	row "p99 latency at 100, µs" msg100.p99 rate ""
	row "messages/s, 1,000 connections (rate)" msg1000.rate rate ">0.7"
	row "  server capacity, messages/s/core" msg1000.us core ">0.7"
	row "p50 latency at 1,000, µs" msg1000.p50 rate ""
	row "p99 latency at 1,000, µs" msg1000.p99 rate ""
	row "non-2xx responses at 100 / run" msg100.non2xx rate ""
	row "idle TLS conn, ΔRssAnon KiB/conn ($IDLE_N, handshake only)" idle_hs.anon raw "<1.0"
	row "idle TLS conn, ΔVmRSS KiB/conn ($IDLE_N, handshake only)" idle_hs.rss raw "<1.0"
	row "idle TLS conn, ΔRssAnon KiB/conn ($IDLE_N, after one request)" idle_req.anon raw "<1.0"
	row "idle TLS conn, ΔVmRSS KiB/conn ($IDLE_N, after one request)" idle_req.rss raw "<1.0"
	echo
	[ -n "$TETHER_NOTE" ] && echo "Note: $TETHER_NOTE."
	echo "Values: medians over rounds. Ratio: tether/nginx, the median of the"
	echo "per-round ratios (each round runs the two back to back). Rates are"
	echo "client-bound (one load core); the /s/core rows are the server's capacity"
	echo "from its CPU time (/proc/PID/stat utime+stime over the window)."
	echo "tether answers a message only once the disk has flushed it; nginx"
	echo "stores nothing. The disk under tether's database: $(cat "$T/flush.txt" 2>/dev/null || echo "not measured")."
	echo
	echo "raw loadgen lines:"
	sed 's/^/    /' "$RAW"
	if [ -n "${BENCH_RAW:-}" ]; then cp "$RAW" "$BENCH_RAW"; fi
}

RAW=$T/raw.txt
VALUES=$T/values.txt
TETHER_NOTE=""
# BENCH_REPORT=DIR: print the table again from a kept temp dir, measure nothing.
if [ -n "${BENCH_REPORT:-}" ]; then
	rmdir "$T"
	T=$BENCH_REPORT; RAW=$T/raw.txt; VALUES=$T/values.txt; BENCH_KEEP=1
	ROUNDS=$(awk '{ print $4 }' "$VALUES" | sort -u | wc -l)
	IDLE_N=$(sed -n 's/.* of=\([0-9]*\).*/\1/p' "$RAW" | head -n 1)
	report
	exit 0
fi

# --- preparation --------------------------------------------------------

# dash and bash both have ulimit -n and -H
# shellcheck disable=SC3045
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# shellcheck disable=SC3045
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((IDLE_N + 100)) ]; then
	say "warning: nofile limit $NOFILE: idle test lowered to $((NOFILE - 100)) connections"
	IDLE_N=$((NOFILE - 100))
fi

if [ ! -x "$LOADGEN" ]; then
	say "bench: $LOADGEN missing; compiling bench/loadgen.c into $T"
	cc -std=c11 -D_GNU_SOURCE -O2 -o "$T/loadgen" "$ROOT/bench/loadgen.c" \
		-lssl -lcrypto -lpthread -lm
	LOADGEN=$T/loadgen
fi
command -v nginx >/dev/null || { say "error: nginx missing (apt-get install nginx-light)"; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa.key" \
	-out "$T/rsa.crt" -days 30 -subj /CN=localhost 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ecdsa.key" -out "$T/ecdsa.crt" -days 30 \
	-subj /CN=localhost 2>/dev/null

mkdir -p "$T/nginx/tmp"
NGINX_PORT=$(free_port 1)
sed -e "s|@DIR@|$T/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" \
	"$ROOT/bench/nginx.conf.in" >"$T/nginx/nginx.conf"

HAVE_TETHER=0
if [ ! -x "$TETHER" ]; then
	TETHER_NOTE="$TETHER is missing (run make first): tether rows skipped"
elif ! "$TETHER" serve --help >/dev/null 2>&1; then
	TETHER_NOTE="'$TETHER serve --help' fails: tether rows skipped"
else
	HAVE_TETHER=1
	TETHER_PORT=$(free_port 2)
	TETHER_CERTS=""
	if "$TETHER" serve --help 2>&1 | grep -q -- '--cert'; then
		TETHER_CERTS="--cert $T/ecdsa.crt --key $T/ecdsa.key --cert $T/rsa.crt --key $T/rsa.key"
	fi
	if ! "$TETHER" provision --db "$DBDIR/tether.db" --count 1000 \
	    --out "$T/devices" >"$T/provision.log" 2>&1 ||
	    [ ! -s "$T/devices/manifest.json" ]; then
		tail -n 5 "$T/provision.log" >&2
		TETHER_NOTE="'tether provision' failed: tether rows skipped"
		HAVE_TETHER=0
	fi
fi
[ -n "$TETHER_NOTE" ] && say "bench: note: $TETHER_NOTE"

# What one durable write costs on the disk under the database: a 4 KiB
# write and its flush (dd's O_DSYNC), median of 3 runs of 200. With 100
# devices each waiting for its message's flush, this bounds the rate.
flush_probe() {
	for i in 1 2 3; do
		LC_ALL=C dd if=/dev/zero of="$DBDIR/flush.probe" bs=4k count=200 oflag=dsync 2>&1 |
			sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p'
	done | sort -g | sed -n 2p | awk '{ if ($1 > 0) printf "%.0f", $1 * 1e6 / 200 }'
	rm -f "$DBDIR/flush.probe"
}
us=$(flush_probe || true)
if [ -n "$us" ]; then
	echo "$DBDIR, a 4 KiB write and its flush take $us µs (dd oflag=dsync, median of 3 x 200)" >"$T/flush.txt"
	say "bench: disk under the database: $(cat "$T/flush.txt")"
fi

# --- servers ------------------------------------------------------------

start_nginx() {
	rm -f "$T/nginx/nginx.pid"
	taskset -c $SERVER_CPU nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" \
		-e "$T/nginx/error.log" -g 'daemon off;' >>"$T/nginx/stderr.log" 2>&1 &
	NGINX_PID=$!
	wait_listen "$NGINX_PORT" "$NGINX_PID" nginx "$T/nginx/error.log"
	i=0
	while [ -z "$(pgrep -P "$NGINX_PID" || true)" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	NGINX_PIDS="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"
}

start_tether() {
	# shellcheck disable=SC2086
	# --device-rate 0: the simulated devices send back to back, hundreds
	# a second each, far over the default per-device limit (20/s), and
	# nginx limits nothing either.
	taskset -c $SERVER_CPU "$TETHER" serve --app-listen off --admin-listen off --listen "127.0.0.1:$TETHER_PORT" \
		--db "$DBDIR/tether.db" --state-dir "$T/state" --workers 1 \
		--device-rate 0 $TETHER_CERTS >>"$T/tether.log" 2>&1 &
	TETHER_PID=$!
	wait_listen "$TETHER_PORT" "$TETHER_PID" tether "$T/tether.log"
}

stop_tether() { stop_pid "$TETHER_PID"; TETHER_PID=""; }

# --- one measurement ----------------------------------------------------

: >"$RAW"
: >"$VALUES"

kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
record() { printf '%s %s %s %s\n' "$1" "$2" "$3" "$rnd" >>"$VALUES"; }

# Extra loadgen options per case: TLS 1.2 picks the key by cipher suite,
# TLS 1.3 by signature algorithm; --cert sets the latter for both.
case_opts() {
	c12=""
	case $1 in
	hs_ecdsa)  echo "full -c 16 --cert ecdsa --groups P-256" ; c12=ECDHE-ECDSA-AES128-GCM-SHA256 ;;
	hs_rsa)    echo "full -c 16 --cert rsa --groups P-256" ; c12=ECDHE-RSA-AES128-GCM-SHA256 ;;
	res_ticket) echo "resume -c 16 --cert ecdsa --groups P-256" ;;
	res_id)    echo "resume -c 16 --cert ecdsa --groups P-256 --no-ticket" ;;
	msg100)    echo "messages -c 100 --cert ecdsa" ;;
	msg1000)   echo "messages -c 1000 --cert ecdsa -w 4" ;;
	esac
	if [ -n "$c12" ] && [ "$TLSV" = 1.2 ]; then echo "--cipher $c12"; fi
}

# run_case SERVER CASE ROUND
run_case() {
	srv=$1; cs=$2; rnd=$3
	if [ "$srv" = nginx ]; then
		port=$NGINX_PORT; pids=$NGINX_PIDS; man=""
	else
		port=$TETHER_PORT; pids=$TETHER_PID
		man="--manifest $T/devices/manifest.json"
	fi
	pidopts=""
	for p in $pids; do pidopts="$pidopts --server-pid $p"; done
	# shellcheck disable=SC2046,SC2086
	out=$(timeout $((DUR + 60)) taskset -c $LOAD_CPU "$LOADGEN" \
		$(case_opts "$cs") -d "$DUR" --tls "$TLSV" $man $pidopts \
		--label "$srv/$cs/$rnd" "127.0.0.1:$port" 2>"$T/err.txt") || true
	line=$(printf '%s\n' "$out" | grep '^mode=' || true)
	if [ -z "$line" ]; then
		say "  $srv $cs: loadgen failed:"; sed 's/^/    /' "$T/err.txt" >&2
		return 0
	fi
	printf '%s\n' "$line" >>"$RAW"
	say "  $srv $cs: $(printf '%s\n' "$out" | sed -n 's/^# //p')"
	[ -s "$T/err.txt" ] && sed 's/^/    /' "$T/err.txt" >&2
	record "$srv" "$cs.rate" "$(kv rate "$line")"
	record "$srv" "$cs.us" "$(kv server_us_per_op "$line")"
	case $cs in msg*)
		record "$srv" "$cs.p50" "$(kv p50_us "$line")"
		record "$srv" "$cs.p99" "$(kv p99_us "$line")"
		record "$srv" "$cs.non2xx" "$(kv non2xx "$line")"
	esac
	record "$srv" "$cs.errors" "$(kv errors "$line")"
}

mem_of() {	# pids -> "VmRSS RssAnon" in KiB, summed
	for p in "$@"; do
		awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 }
		    END { print r + 0, a + 0 }' "/proc/$p/status" 2>/dev/null || true
	done | awk '{ r += $1; a += $2 } END { print r + 0, a + 0 }'
}

# run_idle SERVER CASE ROUND: a fresh server, N idle connections, RSS delta.
run_idle() {
	srv=$1; cs=$2; rnd=$3; extra=""
	[ "$cs" = idle_req ] && extra="--request"
	if [ "$srv" = nginx ]; then
		stop_nginx; start_nginx; port=$NGINX_PORT; pids=$NGINX_PIDS; man=""
	else
		stop_tether; start_tether; port=$TETHER_PORT; pids=$TETHER_PID
		man="--manifest $T/devices/manifest.json"
	fi
	sleep 0.5
	# shellcheck disable=SC2046,SC2086
	set -- $(mem_of $pids); rss0=$1; anon0=$2
	# shellcheck disable=SC2086
	timeout 300 taskset -c $LOAD_CPU "$LOADGEN" idle -c "$IDLE_N" \
		--hold "$HOLD" --tls "$TLSV" --cert ecdsa -P 64 $extra $man \
		"127.0.0.1:$port" >"$T/idle.out" 2>"$T/err.txt" &
	LOAD_PID=$!
	while kill -0 "$LOAD_PID" 2>/dev/null && ! grep -q '^ready' "$T/idle.out"; do
		sleep 0.1
	done
	sleep 0.5
	# shellcheck disable=SC2046,SC2086
	set -- $(mem_of $pids); rss1=$1; anon1=$2
	wait "$LOAD_PID" || true
	LOAD_PID=""
	n=$(sed -n 's/^ready established=\([0-9]*\).*/\1/p' "$T/idle.out")
	if [ -z "$n" ] || [ "$n" -eq 0 ]; then
		say "  $srv $cs: no idle connection was established:"
		sed 's/^/    /' "$T/err.txt" >&2
		return 0
	fi
	rss=$(awk -v a="$rss0" -v b="$rss1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')
	anon=$(awk -v a="$anon0" -v b="$anon1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')
	line="mode=idle label=$srv/$cs/$rnd established=$n of=$IDLE_N vmrss_kib=$rss0->$rss1 rssanon_kib=$anon0->$anon1 rss_per_conn_kib=$rss anon_per_conn_kib=$anon"
	printf '%s\n' "$line" >>"$RAW"
	say "  $srv $cs: $n held; VmRSS $rss0 -> $rss1 KiB ($rss KiB/conn), RssAnon $anon0 -> $anon1 KiB ($anon KiB/conn)"
	for p in $pids; do
		kill -0 "$p" 2>/dev/null || say "    warning: server process $p is gone: figure not valid"
	done
	if awk -v a="$anon" 'BEGIN { exit !(a < 1) }'; then
		say "    warning: under 1 KiB per connection is implausible (seen once on this VM, cause unknown): outlier"
	fi
	[ "$n" -lt "$IDLE_N" ] && sed 's/^/    /' "$T/err.txt" >&2
	record "$srv" "$cs.rss" "$rss"
	record "$srv" "$cs.anon" "$anon"
}

# --- the run ------------------------------------------------------------

SERVERS="nginx"
[ "$HAVE_TETHER" = 1 ] && SERVERS="tether nginx"
say "bench: $ROUNDS round(s), ${DUR} s per case, TLS $TLSV, $IDLE_N idle connections; servers: $SERVERS"
say "bench: server on core $SERVER_CPU, load on core $LOAD_CPU; temp dir $T"
start_nginx
[ "$HAVE_TETHER" = 1 ] && start_tether
start_s=$(date +%s)

r=1
while [ $r -le "$ROUNDS" ]; do
	say "round $r:"
	for cs in $CASES; do
		case $cs in idle_*) continue ;; esac
		# alternate which server goes first, so drift hits both alike
		# shellcheck disable=SC2086
		if [ $((r % 2)) = 1 ]; then order=$SERVERS; else
			order=$(printf '%s\n' $SERVERS | tac | tr '\n' ' '); fi
		for srv in $order; do run_case "$srv" "$cs" "$r"; done
	done
	for cs in $CASES; do
		case $cs in idle_*) ;; *) continue ;; esac
		for srv in $SERVERS; do run_idle "$srv" "$cs" "$r"; done
	done
	r=$((r + 1))
done
say "bench: measured in $(($(date +%s) - start_s)) s"
stop_nginx
stop_tether
report
