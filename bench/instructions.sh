#!/bin/sh
# SPDX-License-Identifier: MIT
# instructions.sh - `make bench-insn`: user-space instructions per message,
# tether serve against nginx from Debian (`return 200`), counted by
# callgrind. Seconds move with whatever else the machine does; instruction
# counts do not, so this is how a change to the message path is judged.
#
# Each server runs under `valgrind --tool=callgrind` and gets keep-alive
# messages from bench/loadgen on INSN_CONNS connections, once for
# INSN_SHORT and once for INSN_LONG seconds; the extra instructions of the
# long run over its extra messages are the cost of one message, start-up
# and handshakes left out. Not counted: the kernel (syscalls, TCP, the
# disk's flush), which is about half of either server's CPU. Under
# valgrind OpenSSL runs its generic code (no AES-NI, no SHA extensions),
# so crypto weighs more than it does natively, for both servers alike.
#
# Environment: BUILD (default build/), INSN_CONNS (default 20),
# INSN_SHORT (default 5), INSN_LONG (default 15), INSN_KEEP=1 (keep the
# temp dir with the callgrind files, for callgrind_annotate),
# INSN_SERVERS (default "tether nginx"; "tether-cmd" is tether with every
# device sending X-Tether-Commands: 256, no command pending: the cost of
# the intake's probe for commands), INSN_TETHER_ARGS (more `tether serve`
# options, e.g. "--presence off"), INSN_LOADGEN_ARGS (e.g. "--once": a
# sleepy device, one message a connection, resumed). bench/presence.sh
# uses the last three.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
BUILD=${BUILD:-$ROOT/build}
LOADGEN=$BUILD/loadgen
TETHER=$BUILD/tether
CONNS=${INSN_CONNS:-20}
SHORT=${INSN_SHORT:-5}
LONG=${INSN_LONG:-15}

for tool in valgrind nginx "$TETHER" "$LOADGEN"; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ say "error: $tool not found (make bench-insn builds and installs what it needs)"; exit 1; }
done
[ "$LONG" -gt "$SHORT" ] ||
	{ say "error: INSN_LONG ($LONG) must be longer than INSN_SHORT ($SHORT)"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/tether-insn.XXXXXX")
SERVER_PID=""
cleanup() {
	trap - EXIT INT TERM
	stop_pid "$SERVER_PID"
	if [ "${INSN_KEEP:-0}" = 1 ]; then say "insn: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$TETHER" provision --db "$T/tether.db" --count "$CONNS" --out "$T/devices" \
	>/dev/null 2>"$T/provision.log" ||
	{ say "error: provisioning failed:"; cat "$T/provision.log" >&2; exit 1; }

# Total instructions in a callgrind file ("summary:" line).
total() {
	sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1"
}

# One server under callgrind for SECONDS of messages; appends
# "name seconds messages instructions" to $T/results. Runs in the main
# shell, so that the EXIT trap knows the server's pid.
measure() {	# name seconds
	port=$(free_port 1)
	out=$T/cg.$1.$2
	lgopt=""
	case $1 in
	tether|tether-cmd)
		[ "$1" = tether-cmd ] && lgopt="--commands 256"
		valgrind --tool=callgrind --callgrind-out-file="$out" \
			"$TETHER" serve --app-listen off --admin-listen off --listen "127.0.0.1:$port" --db "$T/tether.db" \
			--state-dir "$T/state" --workers 1 --device-rate 0 \
			${INSN_TETHER_ARGS:-} >"$T/$1.log" 2>&1 &
		man="--manifest $T/devices/manifest.json" ;;
	nginx)
		mkdir -p "$T/nginx/tmp"
		{ echo "master_process off;"
		  sed -e "s|@DIR@|$T/nginx|g; s|@PORT@|$port|g" \
			"$ROOT/bench/nginx.conf.in"; } >"$T/nginx/nginx.conf"
		valgrind --tool=callgrind --callgrind-out-file="$out" \
			nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" \
			-e "$T/nginx/error.log" -g 'daemon off;' >"$T/$1.log" 2>&1 &
		man="" ;;
	esac
	SERVER_PID=$!
	wait_listen "$port" "$SERVER_PID" "$1" "$T/$1.log" 60
	# shellcheck disable=SC2086
	"$LOADGEN" messages -c "$CONNS" -d "$2" -w 1 --tls 1.2 --cert ecdsa \
		--timeout 60 $man $lgopt ${INSN_LOADGEN_ARGS:-} "127.0.0.1:$port" >"$T/loadgen.out" \
		2>"$T/loadgen.err" ||
		{ say "error: loadgen against $1 failed:"; cat "$T/loadgen.err" >&2; exit 1; }
	stop_pid "$SERVER_PID"; SERVER_PID=""
	ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' "$T/loadgen.out" | head -n 1)
	insn=$(total "$out" 2>/dev/null || true)
	if [ -z "$ok" ] || [ -z "$insn" ]; then
		say "error: no message count or no callgrind total for $1 (logs in $T; INSN_KEEP=1 keeps them)"
		exit 1
	fi
	echo "$1 $2 $ok $insn" >>"$T/results"
}

# A first start, not measured, makes tether's keys and certificates (RSA
# key generation would otherwise weigh on one run and not the other);
# nginx serves the same files.
port=$(free_port 1)
"$TETHER" serve --app-listen off --admin-listen off --listen "127.0.0.1:$port" --db "$T/tether.db" \
	--state-dir "$T/state" >"$T/first.log" 2>&1 &
SERVER_PID=$!
wait_listen "$port" "$SERVER_PID" tether "$T/first.log" 60
stop_pid "$SERVER_PID"; SERVER_PID=""
cp "$T/state/ecdsa.crt" "$T/state/ecdsa.key" "$T/state/rsa.crt" \
	"$T/state/rsa.key" "$T/"

say "insn: $CONNS connections, ${SHORT} s and ${LONG} s of messages under callgrind, TLS 1.2, ECDSA"
for srv in ${INSN_SERVERS:-tether nginx}; do
	measure "$srv" "$SHORT"
	measure "$srv" "$LONG"
done
awk -v short="$SHORT" '
	$2 == short { m[$1] = $3; n[$1] = $4; next }
	{ if ($3 <= m[$1]) { printf "error: %s: the long run sent no more messages than the short one\n", $1 > "/dev/stderr"; bad = 1; exit }
	  per = ($4 - n[$1]) / ($3 - m[$1]); v[$1] = per
	  printf "%-7s %8d messages in the long run, %10.0f user-space instructions a message\n", $1, $3, per }
	END { if (bad) exit 1
	      if (v["nginx"] > 0) printf "ratio   tether / nginx: %.2f (lower is better)\n", v["tether"] / v["nginx"] }' "$T/results"

# The device side, beside the gateway's: instructions on each target image
# (QEMU -icount shift=0, waits for the gateway's bytes left out), from the
# last make target-test.
if [ -s "$BUILD/target/insns.txt" ]; then
	echo "device  instructions, client side (make target-test, $(date -r "$BUILD/target/insns.txt" -u +%Y-%m-%dT%H:%MZ)):"
	awk '{ printf "  %-10s %-11s", $1, $2
	       for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[2] == "") continue
	           if (kv[2] >= 1e6) printf " %s %.2f M", kv[1], kv[2] / 1e6; else printf " %s %.1f K", kv[1], kv[2] / 1e3 }
	       printf "\n" }' "$BUILD/target/insns.txt"
else
	echo "device  no target figures: make target-test measures them"
fi
