#!/bin/sh
# SPDX-License-Identifier: MIT
# where.sh - `make bench-where`: where a message's microseconds go, tether
# beside its durable peer, in one run. One `tether serve` node on SQLite
# (one worker) and Redis (Debian redis-server) XADD over TLS with
# appendfsync always, each on core 0, loaded from core 1 as bench/scale.sh
# loads them (bench/loadgen, 100 keep-alive TLS 1.2 devices; redis-benchmark,
# 100 clients). `perf record -e cpu-clock -g` samples each server while it
# is loaded; every sample is put in one bucket: in user space by the
# library it is in (OpenSSL's libcrypto and libssl, SQLite, libc, the
# program itself), in the kernel by the system call it serves (read,
# write, epoll_wait, fdatasync, ...; "softirq" for the loopback's receive
# path, which runs in whichever process is on the CPU). A bucket's share
# of the samples times the server's CPU per message (utime + stime over
# the messages answered) is its microseconds a message.
#
# Environment: BUILD, LOADGEN, TETHER, BENCH_DURATION (s, default 10),
# BENCH_CONNS (default 100), BENCH_KEEP=1 (keep the temp dir with the
# perf files, for `perf report -i`).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
BUILD=${BUILD:-$ROOT/build}
LOADGEN=${LOADGEN:-$BUILD/loadgen}
TETHER=${TETHER:-$BUILD/tether}
DUR=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNS:-100}
PAYLOAD='{"seq":100000,"temp":21.5,"hum":48.2,"press":1013.25,"volt":3.31,"rssi":-67,"up":86400}'
SRV="nice -n 5 taskset -c 0"
LOAD="nice -n 5 taskset -c 1"
TICK=$(getconf CLK_TCK)

for tool in perf redis-server redis-benchmark python3 "$TETHER" "$LOADGEN"; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ say "error: $tool not found (apt-get install linux-perf redis-server; make)"; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/tether-bench-where.XXXXXX")
chmod 755 "$T"
GW_PID="" REDIS_PID="" PERF_PID=""
cleanup() {
	trap - EXIT INT TERM
	for p in $PERF_PID $GW_PID $REDIS_PID; do stop_pid "$p"; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then say "bench/where: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ecdsa.key" -out "$T/ecdsa.crt" -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost 2>/dev/null
chmod 644 "$T"/ecdsa.*

cpu_s() {	# pid -> utime + stime in seconds
	sed 's/^.*) //' "/proc/$1/stat" | awk -v t="$TICK" '{ printf "%.3f", ($12 + $13) / t }'
}
# record NAME PID: samples PID from now until stop_record
record() {
	perf record -q -e cpu-clock -F 2000 -g -p "$2" -o "$T/$1.perf" \
		>"$T/$1.perf.log" 2>&1 &
	PERF_PID=$!
	sleep 0.5	# perf attaches
}
stop_record() { kill -INT "$PERF_PID" 2>/dev/null || true; wait "$PERF_PID" 2>/dev/null || true; PERF_PID=""; }

# buckets NAME: "bucket share" lines, largest first
buckets() {
	perf script -i "$T/$1.perf" -F comm,ip,sym,dso 2>/dev/null | python3 -c '
import collections, re, sys
count = collections.Counter()
frames = []
def bucket(frames):
    # frames: (sym, dso), innermost first
    if frames and "kernel" in frames[0][1]:
        for sym, _ in frames:
            if sym == "net_rx_action":
                return "kernel: softirq (loopback receive)"
        if not any(sym == "do_syscall_64" for sym, _ in frames):
            return "kernel: page faults, interrupts"
        # the system call: the libc wrapper the kernel frames return to
        for sym, dso in frames:
            if "kernel" not in dso:
                name = re.sub(r"^(__GI_)?_*(libc_)?", "", sym).split("@")[0]
                if re.match(r"(futex|lll_lock|pthread_)", name):
                    name = "futex (threads hand work over)"
                elif name.endswith("_nocancel_adjusted"):
                    name = name[:-len("_nocancel_adjusted")]
                return "kernel: " + re.sub(r"64$", "", name or "?")
        return "kernel: page faults, interrupts"
    dso = frames[0][1] if frames else "?"
    base = dso.rsplit("/", 1)[-1]
    for key, name in (("libcrypto", "libcrypto (OpenSSL)"), ("libssl", "libssl (OpenSSL)"),
                      ("libsqlite3", "SQLite"), ("libc.so", "libc, malloc"),
                      ("ld-linux", "libc, malloc"), ("libm.so", "libc, malloc"),
                      ("libjemalloc", "libc, malloc")):
        if key in base:
            return name
    return "the program (" + base + ")"
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        if frames:
            count[bucket(frames)] += 1
        frames = []
        continue
    if not line.startswith((" ", "\t")):
        if frames:
            count[bucket(frames)] += 1
        frames = []
        continue
    m = re.match(r"\s+[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$", line)
    if m:
        frames.append((m.group(1).split("+")[0], m.group(2)))
if frames:
    count[bucket(frames)] += 1
total = sum(count.values()) or 1
for k, v in count.most_common():
    print("%s\t%.4f\t%d" % (k, v / total, v))
'
}

# --- tether, one node on SQLite ---------------------------------------------
"$TETHER" provision --db "$T/sq.db" --count "$CONNS" --out "$T/dev" >"$T/prov.log" 2>&1 ||
	{ cat "$T/prov.log" >&2; exit 1; }
GW_PORT=$(free_port 1)
$SRV "$TETHER" serve --app-listen off --admin-listen off --listen "127.0.0.1:$GW_PORT" \
	--db "$T/sq.db" --cert "$T/ecdsa.crt" --key "$T/ecdsa.key" --state-dir "$T/state" \
	--workers 1 --device-rate 0 --presence off >"$T/gw.out" 2>"$T/gw.log" &
GW_PID=$!
wait_listen "$GW_PORT" "$GW_PID" tether "$T/gw.log" 20

# --- Redis --------------------------------------------------------------------
REDIS_PORT=$(free_port 2)
redis_start "$T/redis" "$REDIS_PORT" "$T/ecdsa" --tls
wait_listen "$REDIS_PORT" "$REDIS_PID" redis "$T/redis/redis.log"

say "bench/where: $DUR s each, $CONNS clients, servers on core 0, load on core 1; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# tether: loadgen's window is the whole run (-w 0), as the CPU is
c0=$(cpu_s "$GW_PID")
record tether "$GW_PID"
out=$($LOAD "$LOADGEN" messages -c "$CONNS" -w 0 -d "$DUR" --tls 1.2 --cert ecdsa \
	--manifest "$T/dev/manifest.json" "127.0.0.1:$GW_PORT" 2>"$T/lg.err") ||
	{ cat "$T/lg.err" >&2; exit 1; }
stop_record
c1=$(cpu_s "$GW_PID")
tn=$(printf '%s\n' "$out" | tr ' ' '\n' | sed -n 's/^ok=//p')
trate=$(printf '%s\n' "$out" | tr ' ' '\n' | sed -n 's/^rate=//p')
tus=$(awk -v a="$c0" -v b="$c1" -v n="$tn" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')

# Redis: about as many XADDs as tether took messages
c0=$(cpu_s "$REDIS_PID")
record redis "$REDIS_PID"
t0=$(date +%s%N)
$LOAD redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" --tls --insecure -c "$CONNS" \
	-n "$tn" --csv XADD bench '*' m "$PAYLOAD" >"$T/rb.csv" 2>"$T/rb.err" ||
	{ cat "$T/rb.err" >&2; exit 1; }
t1=$(date +%s%N)
stop_record
c1=$(cpu_s "$REDIS_PID")
rrate=$(awk -v a="$t0" -v b="$t1" -v n="$tn" 'BEGIN { printf "%.1f", n * 1e9 / (b - a) }')
rus=$(awk -v a="$c0" -v b="$c1" -v n="$tn" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')

buckets tether >"$T/tether.b"
buckets redis >"$T/redis.b"
echo "| where (perf samples) | tether µs/msg | share | Redis µs/msg | share |"
echo "|---|---|---|---|---|"
python3 - "$T/tether.b" "$T/redis.b" "$tus" "$rus" <<'EOF'
import sys
def load(p):
    d = {}
    for line in open(p):
        k, share, _ = line.rstrip("\n").split("\t")
        d[k] = float(share)
    return d
t, r = load(sys.argv[1]), load(sys.argv[2])
tus, rus = float(sys.argv[3]), float(sys.argv[4])
# the program's own buckets share a row: tether's and redis-server's code
def norm(d):
    out = {}
    for k, v in d.items():
        k2 = "the server's own code" if k.startswith("the program") else k
        out[k2] = out.get(k2, 0) + v
    return out
t, r = norm(t), norm(r)
keys = sorted(set(t) | set(r), key=lambda k: -(t.get(k, 0) * tus + r.get(k, 0) * rus))
for k in keys:
    a, b = t.get(k, 0), r.get(k, 0)
    if a * tus < 0.3 and b * rus < 0.3:
        continue
    print("| %s | %.1f | %.0f%% | %.1f | %.0f%% |" % (k, a * tus, a * 100, b * rus, b * 100))
print("| **all** (utime + stime a message) | **%.1f** | | **%.1f** | |" % (tus, rus))
EOF
echo
echo "tether $trate msg/s, Redis $rrate XADD/s; CPU a message tether / Redis: $(awk -v a="$tus" -v b="$rus" 'BEGIN { printf "%.2f", a / b }') (capacity per core $(awk -v a="$tus" -v b="$rus" 'BEGIN { printf "%.2f", b / a }')×)"
