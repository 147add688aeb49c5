#!/bin/sh
# SPDX-License-Identifier: MIT
# forward.sh - forwarding's figures (`make bench-forward`; also a step of
# `make bench`; alone: sh bench/forward.sh):
#  1. intake at full rate (loadgen messages, 100 devices) on a gateway
#     with nothing attached, against a gateway forwarding to a local
#     mosquitto over TLS (mqtts://) with an SSE stream reader attached,
#     rounds interleaved: the goal is >= 0.9 (rate, and capacity: server
#     CPU per message, which sharing the machine moves less);
#  2. delivery lag at 10,000 messages/s paced: from the device's 201
#     (loadgen --stamps) to mosquitto_sub receiving the message (its
#     own stamp, -F %U), p50/p99/max: the goal is p99 <= 100 ms;
#  3. the peer: mosquitto alone, publishers (bench/mqttpub, QoS 1, TLS,
#     100 messages in flight as 100 devices each wait for their 201) to a
#     subscriber: messages/s, the broker's CPU per message, and the lag
#     from publish to the subscriber at the same 10,000 messages/s.
# Servers (gateways, the peer broker) on core 0; clients and the readers
# on core 1, and the broker tether forwards to on core 1 for the intake
# rounds (load beside the clients, as the readers), on core 0 for the lag. BENCH_QUICK=1: a short run;
# BENCH_PERF=1 BENCH_KEEP=1: perf.data of the forwarding gateway's first
# full-rate round, kept in the temp dir. BENCH_FWD_ARGS: more options for
# the forwarding gateway (e.g. --forward-batch 1000).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
BUILD=${BUILD:-$ROOT/build}
LOADGEN=${LOADGEN:-$BUILD/loadgen}
MQTTPUB=${MQTTPUB:-$BUILD/mqttpub}
TETHER=${TETHER:-$BUILD/tether}
if [ "${BENCH_QUICK:-0}" = 1 ]; then ROUNDS=1; DUR=2; else ROUNDS=${BENCH_ROUNDS:-3}; DUR=${BENCH_DURATION:-5}; fi
PACE=${BENCH_PACE:-10000}
command -v mosquitto >/dev/null && command -v mosquitto_sub >/dev/null ||
	{ say "error: bench/forward.sh needs mosquitto and mosquitto-clients (sh scripts/deps.sh --bench)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/tether-bench-fwd.XXXXXX")
PIDS="" READERS=""
cleanup() {
	for p in $READERS $PIDS; do stop_pid "$p"; done
	[ "${BENCH_KEEP:-0}" = 1 ] && say "bench: kept $T" || rm -rf "$T"
}
trap cleanup EXIT INT TERM
cd "$T"

# ---- brokers: one tether forwards to (core 1), the peer (core 0) ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=tether-bench-ca -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout broker.key -out broker.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san
openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile san -out broker.crt 2>/dev/null
broker() {	# name port core: starts a TLS-only mosquitto, sets BROKER_PID
	# "user": as root, mosquitto would become user mosquitto, which
	# cannot read our private temp dir. No queue limit: a subscriber
	# that falls behind gets everything late rather than a part.
	cat >"$T/$1.conf" <<EOF
allow_anonymous true
listener $2 127.0.0.1
cafile $T/ca.pem
certfile $T/broker.crt
keyfile $T/broker.key
tls_version tlsv1.2
persistence false
max_queued_messages 0
max_inflight_messages 0
user $(id -un)
EOF
	taskset -c "$3" mosquitto -c "$T/$1.conf" >"$T/$1.log" 2>&1 &
	BROKER_PID=$!
	PIDS="$PIDS $BROKER_PID"
	wait_listen "$2" "$BROKER_PID" mosquitto "$T/$1.log"
}
SINK_PORT=$(free_port 1); PEER_PORT=$(free_port 2)
broker sink "$SINK_PORT" "${BENCH_SINK_CORE:-1}"; SINK_PID=$BROKER_PID
broker peer "$PEER_PORT" 0; PEER_PID=$BROKER_PID
sub() {	# port topic file: a QoS 1 subscriber stamping each message; sets SUB_PID
	: >"$3"
	taskset -c 1 mosquitto_sub -h 127.0.0.1 -p "$1" --cafile "$T/ca.pem" \
	    -q 1 -t "$2" -F '%U %p' >"$3" 2>>"$T/sub.err" &
	SUB_PID=$!
	i=0	# subscribed: a probe comes back
	until grep -q '^[0-9.]* probe$' "$3"; do
		taskset -c 1 mosquitto_pub -h 127.0.0.1 -p "$1" --cafile "$T/ca.pem" \
		    -q 1 -t "${2%/#}/probe" -m probe 2>>"$T/sub.err" || true
		i=$((i + 1))
		[ $i -lt 50 ] || { say "error: mosquitto_sub does not receive: $(cat "$T/sub.err")"; exit 1; }
		sleep 0.1
	done
}

# ---- two gateways: nothing attached (A), forwarding + a stream (F) ----
gw() {	# name extra-args...: starts it on core 0, sets GW_PID
	n=$1; shift
	taskset -c 0 "$TETHER" serve --listen "127.0.0.1:$(cat "$T/$n.port")" \
	    --admin-listen off --db "$T/$n.db" --state-dir "$T/$n-state" \
	    --workers 1 --device-rate 0 "$@" >"$T/$n.out" 2>"$T/$n.log" &
	GW_PID=$!
	PIDS="$PIDS $GW_PID"
	wait_listen "$(cat "$T/$n.port")" "$GW_PID" tether "$T/$n.log"
}
free_port 3 >A.port; free_port 4 >F.port; APP_PORT=$(free_port 5)
for n in A F; do
	"$TETHER" provision --db "$T/$n.db" --count 100 --out "$T/$n-dev" >/dev/null 2>&1
done
TOKEN=$("$TETHER" app add bench --db "$T/F.db" 2>/dev/null)
gw A --app-listen off; A_PID=$GW_PID
gw F --app-listen "127.0.0.1:$APP_PORT" --forward "mqtts://127.0.0.1:$SINK_PORT/tt" \
    --forward-ca "$T/ca.pem" ${BENCH_FWD_ARGS:-}; F_PID=$GW_PID
wait_listen "$APP_PORT" "$F_PID" tether "$T/F.log"

backlog() { "$TETHER" forward status --db "$T/F.db" --json |
	python3 -c 'import json,sys; print(sum(f["backlog"] for f in json.load(sys.stdin)))'; }
caught_up() {	# waits until the forwarder has delivered all (at most 60 s)
	i=0
	until [ "$(backlog)" = 0 ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || { say "error: the forwarder has a backlog of $(backlog) after 60 s (log: $T/F.log)"; exit 1; }
		sleep 0.1
	done
}
attach() {	# the stream reader, from the newest message
	last=$("$TETHER" messages --db "$T/F.db" --format jsonl | tail -n 1 |
	    sed 's/^{"cursor":"\([^"]*\)".*/\1/')
	taskset -c 1 curl -sN --cacert "$T/F-state/ecdsa.crt" \
	    "https://127.0.0.1:$APP_PORT/v1/messages/stream?after=$last" \
	    -H "Authorization: Bearer $TOKEN" >/dev/null 2>&1 &
	READERS="$READERS $!"
}
detach() { for p in $READERS; do stop_pid "$p"; done; READERS=""; }
intake() {	# name [loadgen args]: "messages/s server-µs/message p99-µs"
	n=$1; shift
	pid=$A_PID; [ "$n" = F ] && pid=$F_PID
	taskset -c 1 "$LOADGEN" messages -c 100 -d "$DUR" --tls 1.2 \
	    --manifest "$T/$n-dev/manifest.json" --server-pid "$pid" "$@" \
	    "127.0.0.1:$(cat "$T/$n.port")" 2>>"$T/loadgen.err" | head -n 1 |
	    tr ' ' '\n' | awk -F= '$1 == "rate" { r = $2 } $1 == "server_us_per_op" { u = $2 }
		$1 == "p99_us" { p = $2 } END { print r, u, p }'
}
delivered() { "$TETHER" forward status --db "$T/F.db" --json |
	python3 -c 'import json,sys; print(sum(f["delivered"] for f in json.load(sys.stdin)))'; }
TICK=$(getconf CLK_TCK)
median() { printf '%s\n' $1 | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
cat >"$T/lag.py" <<'EOF'
# lag.py SUBFILE [STAMPS]: "n missing p50 p99 max" in ms, from the
# device's 201 (STAMPS: seq sent answered) or from the payload's "t"
# (publish time) to the subscriber's stamp; then the same from the
# device's send when STAMPS is given.
import re, sys
seq_re, t_re = re.compile(rb'"seq":(\d+)'), re.compile(rb'"t":(\d+)')
stamps = {}
if len(sys.argv) > 2:
    for line in open(sys.argv[2], "rb"):
        s, sent, done = line.split()
        stamps[int(s)] = (int(sent), int(done))
got = {}
for line in open(sys.argv[1], "rb"):
    ts, _, payload = line.rstrip(b"\n").partition(b" ")
    m = seq_re.search(payload)
    if not m:
        continue
    s = int(m.group(1))
    if s in got:  # a repeat: the first delivery counts
        continue
    sec, _, frac = ts.partition(b".")
    recv = int(sec) * 10**9 + int(frac.ljust(9, b"0")[:9])
    if stamps:
        if s in stamps:
            got[s] = (recv - stamps[s][1], recv - stamps[s][0])
    else:
        got[s] = (recv - int(t_re.search(payload).group(1)),)
def pct(v, p):
    return v[min(len(v) - 1, int(p * len(v)))] / 1e6
out = []
for k in range(2 if stamps else 1):
    v = sorted(g[k] for g in got.values())
    if not v:
        print("0 0 0 0 0"); sys.exit(1)
    out.append("%d %d %.1f %.1f %.1f" % (len(v), (len(stamps) or len(v)) - len(v),
        pct(v, .5), pct(v, .99), v[-1] / 1e6))
print(" ".join(out))
EOF
settle() {	# file: waits until it stops growing (the last deliveries in)
	prev=-1; i=0
	while [ "$(wc -l <"$1")" != "$prev" ] && [ $i -lt 100 ]; do
		prev=$(wc -l <"$1"); i=$((i + 1)); sleep 0.3
	done
}

# ---- 1. intake alone vs forwarding + stream ----
say "bench/forward: intake alone and with a forwarder (mqtts) and a stream attached, $ROUNDS round(s) of $DUR s"
taskset -c 1 mosquitto_sub -h 127.0.0.1 -p "$SINK_PORT" --cafile "$T/ca.pem" -q 1 -t 'tt/#' \
    >/dev/null 2>>"$T/sub.err" &
SINK_SUB=$!; PIDS="$SINK_SUB $PIDS"
alone="" with="" alone_us="" with_us="" fwd_rates=""
fc0=$(thread_cpu "$F_PID" tether-forward); rc0=$(thread_cpu "$F_PID" tether-reader); d0=$(delivered)
for r in $(seq "$ROUNDS"); do
	set -- $(intake A); alone="$alone $1"; alone_us="$alone_us $2"
	caught_up; attach
	# BENCH_PERF=1: a profile of the attached gateway (with BENCH_KEEP=1)
	[ "${BENCH_PERF:-0}" = 1 ] && [ "$r" = 1 ] &&
		{ perf record -q -F 4999 -p "$F_PID" -o "$T/perf.data" -- sleep $((DUR + 2)) >/dev/null 2>&1 & }
	# BENCH_STRACE=1: the forwarder thread's system calls, counted
	if [ "${BENCH_STRACE:-0}" = 1 ] && [ "$r" = 1 ]; then
		tid=$(grep -l '^tether-forward$' /proc/"$F_PID"/task/*/comm | cut -d/ -f5)
		timeout -s INT $((DUR + 2)) strace -c -p "$tid" -o "$T/strace.txt" 2>/dev/null &
	fi
	set -- $(intake F); with="$with $1"; with_us="$with_us $2"
	detach
	b=$(backlog); caught_up
	# forwarding at full rate: behind by b at the end, caught up after
	say "bench/forward: round $r: alone $(echo "$alone" | awk '{print $NF}')/s ($(echo "$alone_us" | awk '{print $NF}') µs), attached $1/s ($2 µs); forwarder backlog at the end $b"
	fwd_rates="$fwd_rates $b"
done
stop_pid "$SINK_SUB"
fc1=$(thread_cpu "$F_PID" tether-forward); rc1=$(thread_cpu "$F_PID" tether-reader); d1=$(delivered)
FWD_US=$(awk -v a="$fc0" -v b="$fc1" -v n=$((d1 - d0)) -v t="$TICK" 'BEGIN { printf "%.1f", (n > 0 ? (b - a) * 1e6 / t / n : 0) }')
RD_US=$(awk -v a="$rc0" -v b="$rc1" -v n=$((d1 - d0)) -v t="$TICK" 'BEGIN { printf "%.1f", (n > 0 ? (b - a) * 1e6 / t / n : 0) }')
say "bench/forward: the forwarder thread $FWD_US µs, the reader thread $RD_US µs per message ($((d1 - d0)) forwarded)"
A=$(median "$alone"); W=$(median "$with")
AU=$(median "$alone_us"); WU=$(median "$with_us"); FB=$(median "$fwd_rates")

# BENCH_INTAKE_ONLY=1: the intake rounds alone (profiling the gateway)
[ "${BENCH_INTAKE_ONLY:-0}" = 1 ] && exit 0

# ---- 2. delivery lag at $PACE/s, tether and the peer ----
say "bench/forward: delivery lag at $PACE messages/s, $ROUNDS round(s) of $DUR s"
lag_t="" lag_t50="" lag_tmax="" lag_ts="" miss_t="" lag_p="" lag_p50="" lag_pmax="" paced_us="" paced_rate=""
# The broker tether forwards to moves to the servers' core, where the
# peer's broker is: on the clients' core, behind a paced loadgen, its
# answers wait on the scheduler (p99 0.9-2.5 s against ~50 ms).
taskset -apc "${BENCH_LAG_SINK_CORE:-0}" "$SINK_PID" >/dev/null
for r in $(seq "$ROUNDS"); do
	caught_up; attach
	sub "$SINK_PORT" 'tt/#' "$T/sub-t"
	set -- $(intake F --rate "$PACE" --stamps "$T/stamps"); paced_us="$paced_us $2"; paced_rate="$paced_rate $1"
	detach; caught_up; settle "$T/sub-t"; stop_pid "$SUB_PID"
	set -- $(python3 "$T/lag.py" "$T/sub-t" "$T/stamps")
	miss_t="$miss_t $2"; lag_t50="$lag_t50 $3"; lag_t="$lag_t $4"; lag_tmax="$lag_tmax $5"; lag_ts="$lag_ts $9"
	say "bench/forward: round $r: paced intake $(echo "$paced_rate" | awk '{print $NF}')/s; tether lag from the 201 p50 $3 p99 $4 max $5 ms ($1 messages, $2 not received); from the send p99 $9 ms"
	sub "$PEER_PORT" 'peer/#' "$T/sub-p"
	taskset -c 1 "$MQTTPUB" -p "$PEER_PORT" --cafile "$T/ca.pem" -c 10 --rate "$PACE" \
	    -d "$DUR" -t peer >/dev/null 2>>"$T/mqttpub.err"
	settle "$T/sub-p"; stop_pid "$SUB_PID"
	set -- $(python3 "$T/lag.py" "$T/sub-p")
	lag_p50="$lag_p50 $3"; lag_p="$lag_p $4"; lag_pmax="$lag_pmax $5"
	say "bench/forward: round $r: mosquitto lag from the publish p50 $3 p99 $4 max $5 ms ($1 messages)"
	rm -f "$T/sub-t" "$T/sub-p" "$T/stamps"
done

# ---- 3. the peer at full rate ----
say "bench/forward: mosquitto alone at full rate (QoS 1, TLS, 10 publishers x 10 in flight)"
peer="" peer_us="" peer_sub=""
for r in $(seq "$ROUNDS"); do
	sub "$PEER_PORT" 'peer/#' "$T/sub-p"
	set -- $(taskset -c 1 "$MQTTPUB" -p "$PEER_PORT" --cafile "$T/ca.pem" -c 10 --window 10 \
	    -d "$DUR" -t peer --server-pid "$PEER_PID" 2>>"$T/mqttpub.err" | tr ' ' '\n' |
	    awk -F= '$1 == "rate" { r = $2 } $1 == "server_us_per_op" { u = $2 }
		$1 == "acked" { a = $2 } END { print r, u, a }')
	peer="$peer $1"; peer_us="$peer_us $2"
	settle "$T/sub-p"; stop_pid "$SUB_PID"
	got=$(grep -c '"seq"' "$T/sub-p" || true)
	say "bench/forward: round $r: mosquitto $1/s, broker $2 µs/message; the subscriber got $got of $3"
	rm -f "$T/sub-p"
done
P=$(median "$peer"); PU=$(median "$peer_us")

echo "## Forwarding ($ROUNDS round(s) of $DUR s, median; $(date +%Y-%m-%d))"
echo
echo "| figure | tether | peer / reference | ratio | goal |"
echo "|---|---|---|---|---|"
awk -v a="$A" -v w="$W" 'BEGIN { printf "| intake msg/s, forwarder (mqtts) + SSE stream attached vs nothing (clients, readers and the sink broker on core 1) | %.0f | %.0f (nothing attached) | %.2f | >= 0.9 |\n", w, a, w / a }'
awk -v a="$AU" -v w="$WU" 'BEGIN { printf "| intake capacity (1 / server CPU µs per message), attached vs nothing | %.1f µs | %.1f µs (nothing attached) | %.2f | >= 0.9 |\n", w, a, a / w }'
awk -v f="$FWD_US" -v r="$RD_US" 'BEGIN { printf "| of which the forwarder thread / the reader thread (the stream), CPU per message | %.1f / %.1f µs | | | |\n", f, r }'
awk -v b="$FB" 'BEGIN { printf "| forwarder backlog at the end of a full-rate run (then caught up) | %d | | | |\n", b }'
awk -v t="$(median "$lag_t")" -v p="$(median "$lag_p")" -v r="$PACE" 'BEGIN { printf "| delivery lag p99 at %d msg/s, ms (tether: the device\x27s 201 to the subscriber; mosquitto: publish to the subscriber) | %.1f | %.1f (mosquitto alone) | %.2f | <= 100 ms |\n", r, t, p, (p > 0 ? t / p : 0) }'
awk -v t="$(median "$lag_t50")" -v p="$(median "$lag_p50")" 'BEGIN { printf "| delivery lag p50, ms | %.1f | %.1f | %.2f | |\n", t, p, (p > 0 ? t / p : 0) }'
awk -v t="$(median "$lag_tmax")" -v p="$(median "$lag_pmax")" 'BEGIN { printf "| delivery lag max, ms | %.1f | %.1f | | |\n", t, p }'
awk -v t="$(median "$lag_ts")" -v p="$(median "$lag_p")" 'BEGIN { printf "| delivery lag p99 from the device\x27s send (like for like with the publish), ms | %.1f | %.1f | %.2f | |\n", t, p, (p > 0 ? t / p : 0) }'
awk -v m="$(median "$paced_rate")" -v r="$PACE" 'BEGIN { printf "| intake rate reached in the paced runs (target %d msg/s) | %.0f | | | |\n", r, m }'
awk -v m="$(median "$miss_t")" 'BEGIN { printf "| messages answered 201 and not received by the subscriber (median per run) | %d | | | 0 |\n", m }'
awk -v u="$(median "$paced_us")" -v r="$PACE" 'BEGIN { printf "| server CPU per message at %d msg/s, forwarding + stream | %.1f µs | | | |\n", r, u }'
awk -v w="$W" -v p="$P" 'BEGIN { printf "| messages/s at full rate: tether intake attached vs mosquitto alone (QoS 1, TLS, 100 in flight) | %.0f | %.0f | %.2f | |\n", w, p, w / p }'
awk -v w="$WU" -v p="$PU" 'BEGIN { printf "| server CPU per message: tether (store, forward, stream) vs the mosquitto broker | %.1f µs | %.1f µs | %.2f | |\n", w, p, w / p }'
