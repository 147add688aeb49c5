#!/bin/sh
# SPDX-License-Identifier: MIT
# read_device.sh - reading one device's messages on SQLite (`tether
# messages --device`, the read behind GET /v1/messages?device=) with the
# block index (schema 11, DESIGN.md "Reading by device") against the
# tether before it, which filtered a scan of everyone's messages; and the
# read of all messages, which must not change. One store of 1,000,000
# messages from 1,000 devices, copied: PEER reads it at schema 9, TETHER
# after migrating it to 11 (the backfill's time is printed). Devices:
#   even   every 1,000th message (0.1%, in every block)
#   burst  999 messages in a row near the end (a device that woke up)
#   silent one message, the 5th of the store
# Rounds interleaved, medians of wall time, the reader on core 1.
#   PEER=/path/to/old/tether sh bench/read_device.sh
# BENCH_ROUNDS (5), BENCH_MESSAGES (1000000), BENCH_KEEP=1.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
TETHER=${TETHER:-$ROOT/build/tether}
PEER=${PEER:?PEER=path of a tether before schema 11 (the peer)}
ROUNDS=${BENCH_ROUNDS:-5}
N=${BENCH_MESSAGES:-1000000}
T=$(mktemp -d "${TMPDIR:-/tmp}/tether-bench-rdev.XXXXXX")
cleanup() { [ "${BENCH_KEEP:-0}" = 1 ] && say "bench: kept $T" || rm -rf "$T"; }
trap cleanup EXIT INT TERM

say "bench/read_device: a store of $N messages from 1,000 devices"
"$PEER" provision --db "$T/b.db" --out "$T/prov" --count 1000 \
    --no-per-device-files >/dev/null
sqlite3 "$T/b.db" <<EOF
CREATE TEMP TABLE d AS SELECT row_number() OVER (ORDER BY rowid) - 1 AS k,
    id FROM devices;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
INSERT INTO messages (id, device_id, seq, received_at, peer, body, kind)
SELECT i, (SELECT id FROM d WHERE k = CASE
        WHEN i % 1000 = 0 THEN 0
        WHEN i > $N * 9 / 10 AND i <= $N * 9 / 10 + 1000 THEN 1
        WHEN i = 5 THEN 2
        ELSE 3 + (i * 7919) % 997 END),
    NULL, 1700000000000 + i, '127.0.0.1:1', '{"t":21.5,"n":' || i || '}', 0
FROM c;
EOF
dev() { sqlite3 "$T/b.db" "SELECT id FROM devices ORDER BY rowid LIMIT 1 OFFSET $1"; }
EVEN=$(dev 0) BURST=$(dev 1) SILENT=$(dev 2)
cp "$T/b.db" "$T/a.db"; cp "$T/b.db.key" "$T/a.db.key"
t0=$(date +%s%N)
"$TETHER" db migrate --db "$T/a.db" >/dev/null
t1=$(date +%s%N)
say "bench/read_device: migration to schema 11 (the blocks of $N messages): $(( (t1 - t0) / 1000000 )) ms; $(sqlite3 "$T/a.db" 'SELECT count(*) FROM message_blocks') block rows"
AFTER=$("$TETHER" messages --db "$T/a.db" --device "$SILENT" |
    sed 's/.*"cursor":"\([^"]*\)".*/\1/')

# ms of one read: binary db args...; its line count in $T/lines
run_ms() {
	b=$1 db=$2; shift 2
	s=$(date +%s%N)
	taskset -c 1 "$b" messages --db "$db" "$@" >"$T/out"
	e=$(date +%s%N)
	wc -l <"$T/out" >"$T/lines"
	echo $(( (e - s) / 1000 ))
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

printf '| read | messages | blocks (schema 11), ms | scan (the peer), ms | ratio |\n'
printf '|---|---|---|---|---|\n'
for c in all even burst silent silent_after; do
	case $c in
	all) args="" ;;
	even) args="--device $EVEN" ;;
	burst) args="--device $BURST" ;;
	silent) args="--device $SILENT" ;;
	silent_after) args="--device $SILENT --after $AFTER" ;;
	esac
	A="" B=""
	for r in $(seq "$ROUNDS"); do
		# shellcheck disable=SC2086
		A="$A $(run_ms "$TETHER" "$T/a.db" $args)"
		la=$(cat "$T/lines")
		# shellcheck disable=SC2086
		B="$B $(run_ms "$PEER" "$T/b.db" $args)"
		lb=$(cat "$T/lines")
		[ "$la" = "$lb" ] || { say "error: $c: $la lines against $lb"; exit 1; }
	done
	ma=$(echo "$A" | median) mb=$(echo "$B" | median)
	awk -v c="$c" -v n="$la" -v a="$ma" -v b="$mb" 'BEGIN {
	    printf "| %s | %d | %.1f | %.1f | %.3f |\n", c, n, a / 1000, b / 1000, a / b }'
	say "  $c: blocks$A / scan$B (µs)"
done
