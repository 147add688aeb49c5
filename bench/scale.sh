#!/bin/sh
# SPDX-License-Identifier: MIT
# scale.sh - `make bench-scale` (and part of `make bench`): scale-out on one
# PostgreSQL, side by side in one run, the same load (bench/loadgen,
# 100 keep-alive TLS devices, one message in flight each):
#   sqlite1  one `tether serve` node on SQLite, devices straight to it;
#   pg1      one node on PostgreSQL behind HAProxy (deploy/haproxy.cfg);
#   pg2      two nodes on that PostgreSQL behind HAProxy;
#   redis    the durable peer: Redis (Debian redis-server) XADD over TLS,
#            appendonly with appendfsync always, 100 clients, the same
#            payload size (redis-benchmark -t xadd -d 96);
#   nginx    the bound: nginx `return 200` over TLS (bench/nginx.conf.in).
# PostgreSQL runs from Debian in a private data directory as the postgres
# user (runuser, as tests/integration/pglib.sh does), fsync on: a commit is
# on the disk before the gateway answers 201, as SQLite's is.
# Every server process (nodes, PostgreSQL, HAProxy, Redis, nginx) runs on
# core 0, the load on core 1: the CPU per message is each server group's
# utime+stime (/proc/PID/stat) over the load run, divided by the messages
# answered; capacity per core is 1e6 / that.
#
# Environment: BUILD, LOADGEN, TETHER, BENCH_QUICK=1 (one round of 2 s),
# BENCH_ROUNDS (default 3), BENCH_DURATION (s per case, default 10),
# BENCH_CONNS (default 100), BENCH_KEEP=1 (keep the temp dir), BENCH_CASES
# (a subset of: sqlite1 pg1 pg2 redis nginx), BENCH_PG_STATEMENTS=1,
# BENCH_SERVER_CPUS (taskset list for the servers, default 0; 0,1 lets
# the nodes and PostgreSQL use the load's core too; nginx stays on 0).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
BUILD=${BUILD:-$ROOT/build}
LOADGEN=${LOADGEN:-$BUILD/loadgen}
TETHER=${TETHER:-$BUILD/tether}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-1}; DUR=${BENCH_DURATION:-2}
else
	ROUNDS=${BENCH_ROUNDS:-3}; DUR=${BENCH_DURATION:-10}
fi
CONNS=${BENCH_CONNS:-100}
# Redis's entry: loadgen's JSON body (its seq number at 6 digits), one field
PAYLOAD='{"seq":100000,"temp":21.5,"hum":48.2,"press":1013.25,"volt":3.31,"rssi":-67,"up":86400}'
SRV_CPUS=${BENCH_SERVER_CPUS:-0}
SRV="nice -n 5 taskset -c $SRV_CPUS"
LOAD="nice -n 5 taskset -c 1"
TICK=$(getconf CLK_TCK)

[ -x "$TETHER" ] || { say "error: $TETHER missing (run make first)"; exit 1; }
[ -x "$LOADGEN" ] || { say "error: $LOADGEN missing (run make first)"; exit 1; }
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
NOTES=""
note() { NOTES="$NOTES
- $*"; say "bench/scale: note: $*"; }
HAVE_PG=1 HAVE_HP=1 HAVE_REDIS=1 HAVE_NGINX=1
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/postgres" ] || ! id postgres >/dev/null 2>&1; then
	HAVE_PG=0; note "PostgreSQL missing (apt-get install postgresql): pg1 and pg2 skipped"
fi
command -v haproxy >/dev/null || { HAVE_HP=0; note "haproxy missing (apt-get install haproxy): pg1 and pg2 skipped"; }
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
	{ HAVE_REDIS=0; note "redis-server missing (apt-get install redis-server): the Redis row skipped"; }
command -v nginx >/dev/null || { HAVE_NGINX=0; note "nginx missing (apt-get install nginx-light): the nginx row skipped"; }

T=$(mktemp -d "${TMPDIR:-/tmp}/tether-bench-scale.XXXXXX")
chmod 755 "$T"
PG_PID="" HP1_PID="" HP2_PID="" N1_PID="" N2_PID="" SQ_PID="" REDIS_PID="" NGINX_PID="" NGINX_PIDS=""
cleanup() {
	trap - EXIT INT TERM
	for p in $HP1_PID $HP2_PID $N1_PID $N2_PID $SQ_PID $REDIS_PID $NGINX_PID; do stop_pid "$p"; done
	for p in $NGINX_PIDS; do alive "$p" && kill -9 "$p" 2>/dev/null || true; done
	if [ -n "$PG_PID" ]; then	# fast shutdown, bounded
		kill -INT "$PG_PID" 2>/dev/null || true
		i=0; while alive "$PG_PID" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		alive "$PG_PID" && kill -9 "$PG_PID" 2>/dev/null || true
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then say "bench/scale: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi

# --- certificates, the disk ------------------------------------------------

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ecdsa.key" -out "$T/ecdsa.crt" -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa.key" \
	-out "$T/rsa.crt" -days 2 -subj /CN=localhost 2>/dev/null
chmod 644 "$T"/*.key "$T"/*.crt	# Redis and nginx workers read them too

flush_us=$(for i in 1 2 3; do
	LC_ALL=C dd if=/dev/zero of="$T/flush.probe" bs=4k count=200 oflag=dsync 2>&1 |
		sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p'
done | sort -g | sed -n 2p | awk '{ if ($1 > 0) printf "%.0f", $1 * 1e6 / 200 }')
rm -f "$T/flush.probe"
say "bench/scale: a 4 KiB write and its flush on $T's disk: ${flush_us:-?} µs"

# --- CPU of process groups ----------------------------------------------

ticks_of() {	# pids -> "pid ticks" lines
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk -v p="$p" '{ print p, $12 + $13 }'
	done
}
pg_pids() { [ -n "$PG_PID" ] && echo "$PG_PID $(pgrep -P "$PG_PID" | tr '\n' ' ')"; }
# group_cpu BEFORE_FILE pids -> CPU seconds since BEFORE_FILE (a pid born
# in between counts from 0)
group_cpu() {
	f=$1; shift
	ticks_of "$@" | awk -v t="$TICK" -v f="$f" 'BEGIN { while ((getline l < f) > 0) { split(l, a, " "); b[a[1]] = a[2] } }
		{ s += $2 - (($1 in b) ? b[$1] : 0) } END { printf "%.3f", s / t }'
}

# --- PostgreSQL -------------------------------------------------------------

pg_sql() {
	"$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres -d tether -c "$1"
}
if [ "$HAVE_PG" = 1 ] && [ "$HAVE_HP" = 1 ]; then
	mkdir "$T/pg"
	[ "$(id -u)" = 0 ] && chown postgres: "$T/pg"
	as_pg "$PG_BIN/initdb" -D "$T/pg/data" -U postgres --auth=trust -E UTF8 \
		>"$T/initdb.log" 2>&1 || { tail -n 20 "$T/initdb.log" >&2; say "error: initdb failed"; exit 1; }
	PG_PORT=$(free_port 1)
	# fsync and synchronous_commit stay on (the defaults): durable commits
	# BENCH_PG_STATEMENTS=1: pg_stat_statements loaded, its top statements
	# printed after the table (where PostgreSQL's CPU goes; costs a little)
	pgss=""; [ "${BENCH_PG_STATEMENTS:-0}" = 1 ] && pgss="-c shared_preload_libraries=pg_stat_statements"
	pgrun=""; [ "$(id -u)" = 0 ] && pgrun="runuser -u postgres --"
	# shellcheck disable=SC2086
	$SRV $pgrun "$PG_BIN/postgres" -D "$T/pg/data" -p "$PG_PORT" -k "$T/pg" \
		-c listen_addresses=127.0.0.1 -c max_connections=100 $pgss \
		>"$T/pg/server.log" 2>&1 &
	i=0
	until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do
		i=$((i + 1)); [ $i -lt 200 ] || { tail -n 20 "$T/pg/server.log" >&2; say "error: PostgreSQL did not start in 20 s"; exit 1; }
		sleep 0.1
	done
	PG_PID=$(head -n 1 "$T/pg/data/postmaster.pid")
	"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres tether
	DB="postgres://postgres@127.0.0.1:$PG_PORT/tether"
	"$TETHER" provision --db "$DB" --key-file "$T/registry.key" --count "$CONNS" \
		--out "$T/devpg" >"$T/prov-pg.log" 2>&1 || { cat "$T/prov-pg.log" >&2; exit 1; }
	say "bench/scale: PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') on :$PG_PORT (pid $PG_PID)"
fi
"$TETHER" provision --db "$T/sq.db" --count "$CONNS" --out "$T/devsq" >"$T/prov-sq.log" 2>&1 ||
	{ cat "$T/prov-sq.log" >&2; exit 1; }

# --- gateways ---------------------------------------------------------------

start_node() {	# NAME DB -> sets NPID, NPORT (proxy port), NDIRECT
	NPORT=$(free_port 2); NDIRECT=$(free_port 3)
	kf=""; [ "$2" = "$T/sq.db" ] || kf="--key-file $T/registry.key"
	# shellcheck disable=SC2086
	$SRV "$TETHER" serve --app-listen off --admin-listen off \
		--proxy-listen "127.0.0.1:$NPORT" --listen "127.0.0.1:$NDIRECT" \
		--db "$2" $kf --cert "$T/ecdsa.crt" --key "$T/ecdsa.key" \
		--state-dir "$T/state-$1" --workers 1 --device-rate 0 \
		>"$T/$1.out" 2>"$T/$1.log" &
	NPID=$!
	wait_listen "$NDIRECT" "$NPID" "tether ($1)" "$T/$1.log" 20
}
start_node sq "$T/sq.db"; SQ_PID=$NPID; SQ_PORT=$NDIRECT

# HAProxy from deploy/haproxy.cfg, as t_multinode rewrites it: addresses,
# log target, check interval; the one-node file drops node2.
haproxy_cfg() {	# OUT PORT NODE1 [NODE2]
	sed -e "s|^\tlog /dev/log local0|\tlog stderr format short local0|" \
	    -e "s|^\tbind :443|\tbind 127.0.0.1:$2|" \
	    -e "s|^\tserver node1 [^ ]*|\tserver node1 127.0.0.1:$3|" \
	    -e "s|^\tserver node2 [^ ]*|\tserver node2 127.0.0.1:${4:-0}|" \
	    "$ROOT/deploy/haproxy.cfg" >"$1"
	[ -n "${4:-}" ] || sed -i '/^\tserver node2 /d' "$1"
	grep -q "server node1 127.0.0.1:$3 send-proxy-v2" "$1" ||
		{ say "error: deploy/haproxy.cfg no longer has the lines bench/scale.sh rewrites"; exit 1; }
	haproxy -c -q -f "$1" >"$1.check" 2>&1 || { cat "$1.check" >&2; exit 1; }
}
start_haproxy() {	# CFG PORT -> HPID
	$SRV haproxy -db -f "$1" >"$1.log" 2>&1 &
	HPID=$!
	wait_listen "$2" "$HPID" haproxy "$1.log"
}
if [ "$HAVE_PG" = 1 ] && [ "$HAVE_HP" = 1 ]; then
	start_node n1 "$DB"; N1_PID=$NPID; N1_PORT=$NPORT
	start_node n2 "$DB"; N2_PID=$NPID; N2_PORT=$NPORT
	HP1_PORT=$(free_port 4); HP2_PORT=$(free_port 5)
	haproxy_cfg "$T/hp1.cfg" "$HP1_PORT" "$N1_PORT"
	haproxy_cfg "$T/hp2.cfg" "$HP2_PORT" "$N1_PORT" "$N2_PORT"
	start_haproxy "$T/hp1.cfg" "$HP1_PORT"; HP1_PID=$HPID
	start_haproxy "$T/hp2.cfg" "$HP2_PORT"; HP2_PID=$HPID
fi

# --- peers --------------------------------------------------------------------

REDIS_TLS=1
if [ "$HAVE_REDIS" = 1 ]; then
	REDIS_PORT=$(free_port 6)
	redis_start "$T/redis" "$REDIS_PORT" "$T/ecdsa" --tls
	if ! (wait_listen "$REDIS_PORT" "$REDIS_PID" redis "$T/redis/redis.log"); then
		# a build without TLS: plain TCP, and the table says so
		stop_pid "$REDIS_PID"; REDIS_TLS=0
		note "this redis-server has no TLS: Redis measured over plain TCP"
		redis_start "$T/redis" "$REDIS_PORT" ""
		wait_listen "$REDIS_PORT" "$REDIS_PID" redis "$T/redis/redis.log"
	fi
	RVER=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
fi
if [ "$HAVE_NGINX" = 1 ]; then
	mkdir -p "$T/nginx/tmp"
	NGINX_PORT=$(free_port 7)
	sed -e "s|@DIR@|$T/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" \
		"$ROOT/bench/nginx.conf.in" >"$T/nginx/nginx.conf"
	# nginx.conf.in pins its worker to core 0 itself
	nice -n 5 nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" \
		-g 'daemon off;' >"$T/nginx/stderr.log" 2>&1 &
	NGINX_PID=$!
	wait_listen "$NGINX_PORT" "$NGINX_PID" nginx "$T/nginx/error.log"
	i=0
	while [ -z "$(pgrep -P "$NGINX_PID" || true)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	NGINX_PIDS="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"
fi

# HAProxy marks a node DOWN after two failed checks (2 s apart): none may be.
if [ -n "$HP2_PID" ]; then
	sleep 1
	if grep -q 'is DOWN' "$T/hp1.cfg.log" "$T/hp2.cfg.log"; then
		cat "$T/hp1.cfg.log" "$T/hp2.cfg.log" >&2; say "error: HAProxy marked a node DOWN"; exit 1
	fi
fi

# --- one measurement ----------------------------------------------------------

VALUES=$T/values.txt RAW=$T/raw.txt
: >"$VALUES"; : >"$RAW"
rec() { echo "$1 $2 $3 $rnd" >>"$VALUES"; }
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
pg_counters() {	# -> "commits wal_syncs wal_writes"
	pg_sql "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = 'tether'), wal_sync, wal_write FROM pg_stat_wal" |
		tr '|' ' '
}

# run_gw CASE PORT MANIFEST GROUPS...: loadgen messages, -w 0 so the
# window is the whole run and the /proc figures cover the same messages.
# A group is NAME=pid,pid or pg (PostgreSQL's processes, looked up then).
# shellcheck disable=SC2046 # pid lists are split on purpose
run_gw() {
	cs=$1 port=$2 man=$3; shift 3
	for g in "$@"; do
		case $g in pg) ticks_of $(pg_pids) >"$T/b.pg" ;;
		*) ticks_of $(echo "${g#*=}" | tr ',' ' ') >"$T/b.${g%%=*}" ;; esac
	done
	pc0=""; case $cs in pg*) pc0=$(pg_counters) ;; esac
	mopt=""; [ -z "$man" ] || mopt="--manifest $man"
	# shellcheck disable=SC2086
	out=$(timeout $((DUR + 60)) $LOAD "$LOADGEN" messages -c "$CONNS" -w 0 -d "$DUR" \
		--tls 1.2 --cert ecdsa $mopt --label "$cs/$rnd" \
		"127.0.0.1:$port" 2>"$T/err.txt") || true
	line=$(printf '%s\n' "$out" | grep '^mode=' || true)
	[ -n "$line" ] || { say "  $cs: loadgen failed:"; sed 's/^/    /' "$T/err.txt" >&2; return 0; }
	tot=0
	for g in "$@"; do
		case $g in pg) c=$(group_cpu "$T/b.pg" $(pg_pids)); n=pg ;;
		*) n=${g%%=*}; c=$(group_cpu "$T/b.$n" $(echo "${g#*=}" | tr ',' ' ')) ;; esac
		line="$line cpu_$n=$c"
		tot=$(awk -v a="$tot" -v b="$c" 'BEGIN { print a + b }')
	done
	ok=$(kv ok "$line")
	if [ -n "$pc0" ]; then
		set -- $pc0; set -- "$@" $(pg_counters)
		line="$line pg_commits=$(($4 - $1)) wal_syncs=$(($5 - $2)) wal_writes=$(($6 - $3))"
		rec "$cs" commits "$(awk -v d=$(($4 - $1)) -v n="$ok" 'BEGIN { if (n > 0) printf "%.3f", d / n }')"
		rec "$cs" syncs "$(awk -v d=$(($5 - $2)) -v n="$ok" 'BEGIN { if (n > 0) printf "%.3f", d / n }')"
	fi
	echo "$line" >>"$RAW"
	rec "$cs" rate "$(kv rate "$line")"
	rec "$cs" non2xx "$(kv non2xx "$line")"
	rec "$cs" p50 "$(kv p50_us "$line")"
	for n in $(printf '%s\n' "$line" | tr ' ' '\n' | sed -n 's/^cpu_\([^=]*\)=.*/\1/p'); do
		rec "$cs" "us_$n" "$(awk -v c="$(kv "cpu_$n" "$line")" -v n="$ok" 'BEGIN { if (n > 0) printf "%.1f", c * 1e6 / n }')"
	done
	rec "$cs" us "$(awk -v c="$tot" -v n="$ok" 'BEGIN { if (n > 0) printf "%.1f", c * 1e6 / n }')"
	say "  $cs: $(kv rate "$line") msg/s, $(kv non2xx "$line") non-2xx, server CPU $(awk -v c="$tot" -v n="$ok" 'BEGIN { if (n > 0) printf "%.1f", c * 1e6 / n }') µs/msg"
}

REDIS_N=""
run_redis() {
	tls=""; [ "$REDIS_TLS" = 1 ] && tls="--tls --insecure"
	if [ -z "$REDIS_N" ]; then	# size the run to about DUR seconds
		# shellcheck disable=SC2086
		r=$($LOAD redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" $tls -c "$CONNS" \
			-n 2000 --csv XADD bench '*' m "$PAYLOAD" 2>/dev/null | awk -F'","' 'NR == 2 { print $(NF - 6) }')
		# (the CSV's test name holds the body's quotes: fields from the end)
		REDIS_N=$(awk -v r="${r:-1000}" -v d="$DUR" 'BEGIN { n = r * d; printf "%d", n < 2000 ? 2000 : n }')
	fi
	ticks_of "$REDIS_PID" >"$T/b.redis"
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	csv=$(timeout $((DUR * 5 + 60)) $LOAD redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" $tls \
		-c "$CONNS" -n "$REDIS_N" --csv XADD bench '*' m "$PAYLOAD" 2>"$T/err.txt") || true
	t1=$(date +%s%N)
	c=$(group_cpu "$T/b.redis" "$REDIS_PID")
	rps=$(printf '%s\n' "$csv" | awk -F'","' 'NR == 2 { print $(NF - 6) }')
	[ -n "$rps" ] || { say "  redis: redis-benchmark failed:"; sed 's/^/    /' "$T/err.txt" >&2; return 0; }
	# the rate on our clock, connecting included, as loadgen's -w 0 window
	# (redis-benchmark's own rps is in the raw line)
	rate=$(awk -v a="$t0" -v b="$t1" -v n="$REDIS_N" 'BEGIN { printf "%.1f", n * 1e9 / (b - a) }')
	p50=$(printf '%s\n' "$csv" | awk -F'","' 'NR == 2 { print $(NF - 3) * 1000 }')
	us=$(awk -v c="$c" -v n="$REDIS_N" 'BEGIN { printf "%.1f", c * 1e6 / n }')
	echo "mode=redis-benchmark label=redis/$rnd tls=$REDIS_TLS n=$REDIS_N wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }') rate=$rate rps=$rps p50_us=$p50 cpu_redis=$c" >>"$RAW"
	rec redis rate "$rate"; rec redis p50 "$p50"; rec redis us_redis "$us"; rec redis us "$us"
	# the next round's count from this round's rate (the probe is short)
	REDIS_N=$(awk -v r="$rate" -v d="$DUR" -v n="$REDIS_N" 'BEGIN { m = r * d; printf "%d", m < 2000 ? n : m }')
	say "  redis: $rate XADD/s, server CPU $us µs/msg"
}

# --- the run ------------------------------------------------------------------

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "bench/scale: $ROUNDS round(s) of $DUR s, $CONNS devices; servers on core(s) $SRV_CPUS, load on core 1; load average $LOAD0"
CASES="sqlite1"
[ -n "$HP2_PID" ] && CASES="$CASES pg1 pg2"
[ "$HAVE_REDIS" = 1 ] && CASES="$CASES redis"
[ "$HAVE_NGINX" = 1 ] && CASES="$CASES nginx"
if [ -n "${BENCH_CASES:-}" ]; then	# a subset, for diagnosis
	want=$CASES; CASES=""
	for c in $BENCH_CASES; do case " $want " in *" $c "*) CASES="$CASES $c" ;; esac; done
fi
start_s=$(date +%s)
rnd=1
while [ $rnd -le "$ROUNDS" ]; do
	say "round $rnd:"
	order=$CASES
	# shellcheck disable=SC2086
	[ $((rnd % 2)) = 0 ] && order=$(printf '%s\n' $CASES | tac | tr '\n' ' ')
	for cs in $order; do
		case $cs in
		sqlite1) run_gw sqlite1 "$SQ_PORT" "$T/devsq/manifest.json" "node=$SQ_PID" ;;
		pg1) run_gw pg1 "$HP1_PORT" "$T/devpg/manifest.json" "node=$N1_PID" pg "haproxy=$HP1_PID" ;;
		pg2) run_gw pg2 "$HP2_PORT" "$T/devpg/manifest.json" "node=$N1_PID,$N2_PID" pg "haproxy=$HP2_PID" ;;
		redis) run_redis ;;
		nginx) run_gw nginx "$NGINX_PORT" "" "nginx=$(echo $NGINX_PIDS | tr ' ' ',')" ;;
		esac
	done
	rnd=$((rnd + 1))
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
say "bench/scale: measured in $(($(date +%s) - start_s)) s"

# --- the table ----------------------------------------------------------------

med() {	# CASE KEY -> median over rounds, or -
	awk -v s="$1" -v k="$2" '$1 == s && $2 == k && $3 != "" { print $3 }' "$VALUES" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
cap() { awk -v u="$1" 'BEGIN { if (u == "-" || u <= 0) print "-"; else printf "%.0f", 1e6 / u }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.2f", a / b }'; }
rtls="TLS"; [ "$REDIS_TLS" = 1 ] || rtls="plain TCP"
label() {
	case $1 in
	sqlite1) echo "1 node, SQLite, direct" ;;
	pg1) echo "1 node, PostgreSQL, via HAProxy" ;;
	pg2) echo "2 nodes, PostgreSQL, via HAProxy" ;;
	redis) echo "Redis ${RVER:-?} XADD, $rtls, appendfsync always" ;;
	nginx) echo "nginx return 200 (bound)" ;;
	esac
}
echo
echo "## Scale-out on one PostgreSQL ($ROUNDS round(s) of $DUR s, median; $CONNS devices; $(date +%Y-%m-%d))"
echo
echo "Command: \`$(env | grep '^BENCH_' | sort | tr '\n' ' ')sh bench/scale.sh\`; load average before $LOAD0, after $LOAD1."
echo "Servers on core(s) $SRV_CPUS, load on core 1 ($(nproc) cores). A 4 KiB write + flush on the disk: ${flush_us:-?} µs."
echo
echo "| case | msg/s | p50 µs | server µs/msg | of which nodes | PostgreSQL | HAProxy | msg/s/core | commits/msg | WAL fsyncs/msg |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for cs in $CASES; do
	u=$(med "$cs" us)
	case $cs in redis) nd="(redis)"; pg="-"; hp="-" ;; nginx) nd="(nginx)"; pg="-"; hp="-" ;;
	*) nd=$(med "$cs" us_node); pg=$(med "$cs" us_pg); hp=$(med "$cs" us_haproxy) ;; esac
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$cs")" \
		"$(med "$cs" rate | awk '{ printf "%s", ($1 == "-") ? "-" : sprintf("%.0f", $1) }')" \
		"$(med "$cs" p50)" "$u" "$nd" "$pg" "$hp" "$(cap "$u")" "$(med "$cs" commits)" "$(med "$cs" syncs)"
done
echo
R1=$(med pg1 rate) R2=$(med pg2 rate) RS=$(med sqlite1 rate) RR=$(med redis rate) RN=$(med nginx rate)
C1=$(cap "$(med pg1 us)") C2=$(cap "$(med pg2 us)") CS=$(cap "$(med sqlite1 us)") CR=$(cap "$(med redis us)") CN=$(cap "$(med nginx us)")
echo "| ratio | msg/s | per core |"
echo "|---|---|---|"
echo "| 2 nodes / 1 node (PostgreSQL, HAProxy) | $(ratio "$R2" "$R1") | $(ratio "$C2" "$C1") |"
echo "| 1 node PostgreSQL+HAProxy / 1 node SQLite | $(ratio "$R1" "$RS") | $(ratio "$C1" "$CS") |"
echo "| 2 nodes PostgreSQL / Redis XADD (goal per core: >= 1.5) | $(ratio "$R2" "$RR") | $(ratio "$C2" "$CR") |"
echo "| 1 node SQLite / Redis XADD (goal per core: >= 1.5) | $(ratio "$RS" "$RR") | $(ratio "$CS" "$CR") |"
echo "| 2 nodes PostgreSQL / nginx (bound) | $(ratio "$R2" "$RN") | $(ratio "$C2" "$CN") |"
echo
echo "Server µs/msg: utime+stime of the case's server processes over the run"
echo "(/proc/PID/stat; PostgreSQL = the postmaster and all its children) per"
echo "message answered; msg/s/core = 1e6 / that. commits/msg and WAL fsyncs/msg"
echo "from pg_stat_database and pg_stat_wal over the run (under 1: commits and"
echo "fsyncs shared by several messages). Redis's figures come from"
echo "redis-benchmark -c $CONNS XADD bench '*' m <loadgen's ${#PAYLOAD}-byte JSON body> (count / wall"
echo "time of the run, its p50), a fixed count sized from a probe (round 1) or the round"
echo "before to about $DUR s. nginx stores nothing: the bound for TLS + HTTP on this machine."
[ -n "$NOTES" ] && printf '\nNotes:%s\n' "$NOTES"
if [ -n "$PG_PID" ] && [ "${BENCH_PG_STATEMENTS:-0}" = 1 ]; then
	echo
	echo "PostgreSQL's statements over the whole run (pg_stat_statements), by total time:"
	echo
	pg_sql "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
	pg_sql "SELECT calls, round(total_exec_time::numeric, 1) AS ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8" |
		sed 's/^/    /'
fi
echo
echo "raw lines:"
sed 's/^/    /' "$RAW"
