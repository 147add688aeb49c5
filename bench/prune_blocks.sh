#!/bin/sh
# SPDX-License-Identifier: MIT
# prune_blocks.sh - `tether db prune` on SQLite beside a large block index
# (message_blocks, DESIGN.md "Reading by device"), against a tether that
# deletes the pruned blocks' rows in every prune transaction (PEER). The
# delete cannot use the key (device first) and scans the table; this
# tether runs it only when the oldest message's block moved. One store:
# 1,000 devices x 1,500 blocks of rows (1,500,000, the rows of ~98M
# messages) and 131,071 messages, dense, in blocks 1-2; each round prunes
# a copy of it down to the newest message (132 transactions of 1,000).
# Rounds interleaved, medians of wall time, on core 1.
#   PEER=/path/to/old/tether sh bench/prune_blocks.sh
# BENCH_ROUNDS (5), BENCH_KEEP=1.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/common.sh"
TETHER=${TETHER:-$ROOT/build/tether}
PEER=${PEER:?PEER=path of a tether that prunes blocks in every transaction}
ROUNDS=${BENCH_ROUNDS:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/tether-bench-prune.XXXXXX")
cleanup() { [ "${BENCH_KEEP:-0}" = 1 ] && say "bench: kept $T" || rm -rf "$T"; }
trap cleanup EXIT INT TERM

say "bench/prune_blocks: 1,500,000 block rows, 131,071 messages"
"$TETHER" db migrate --db "$T/base.db" >/dev/null 2>&1
sqlite3 "$T/base.db" <<'SQL'
WITH RECURSIVE b(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM b WHERE k < 1499),
d(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM d WHERE j < 999)
INSERT INTO message_blocks (device_id, block)
SELECT printf('dev-%08x-%04d', j * 2654435761 % 4294967296, j), k FROM d, b;
WITH RECURSIVE c(i) AS (SELECT 65536 UNION ALL SELECT i + 1 FROM c WHERE i < 196606)
INSERT INTO messages (id, device_id, seq, received_at, peer, body, kind)
SELECT i, printf('dev-%08x-%04d', (i % 1000) * 2654435761 % 4294967296, i % 1000),
    NULL, 1700000000000, '127.0.0.1:1', '{"t":21.5}', 0 FROM c;
SQL
say "bench/prune_blocks: the peer's delete, in every prune transaction:"
sqlite3 "$T/base.db" "EXPLAIN QUERY PLAN DELETE FROM message_blocks WHERE \
block < (SELECT min(id) FROM messages) / 65536" >&2

# ms of one prune of a fresh copy: binary
run_ms() {
	rm -f "$T/t.db-wal" "$T/t.db-shm"
	cp "$T/base.db" "$T/t.db"; cp "$T/base.db.key" "$T/t.db.key"
	s=$(date +%s%N)
	taskset -c 1 "$1" db prune --db "$T/t.db" --older-than 1s >"$T/out" 2>"$T/err"
	e=$(date +%s%N)
	[ "$(cat "$T/out")" = 131070 ] ||
	    { say "error: $1 pruned $(cat "$T/out"), not 131070"; exit 1; }
	[ "$(sqlite3 "$T/t.db" 'SELECT count(*) FROM message_blocks')" = 1498000 ] ||
	    { say "error: $1 left the wrong block rows"; exit 1; }
	echo $(( (e - s) / 1000000 ))
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

A="" B=""
for _ in $(seq "$ROUNDS"); do
	A="$A $(run_ms "$TETHER")"
	B="$B $(run_ms "$PEER")"
done
say "  tether:$A / peer:$B (ms)"
ma=$(echo "$A" | median) mb=$(echo "$B" | median)
printf '| prune | messages | tether, ms | peer, ms | ratio |\n'
printf '|---|---|---|---|---|\n'
awk -v a="$ma" -v b="$mb" 'BEGIN {
    printf "| to the newest, 1,000 a transaction | 131,070 | %d | %d | %.3f |\n", a, b, a / b }'
