# SPDX-License-Identifier: MIT
# tether db backup while a device posts through a running gateway, then
# tether db restore into a new path: the copy holds every message
# acknowledged before the backup began, its key is named or copied 0600,
# a backup never overwrites, a wrong key or a PostgreSQL URI is refused.
. "$(dirname "$0")/lib.sh"

start_gw
provision 1

# A device posting seq 1, 2, ... and noting each acknowledged one.
: >"$T/acked"
(
	for i in $(seq 1 3000); do
		[ "$(post "${CRED[0]}" "{\"n\":$i}" "$i")" = 201 ] && echo "$i" >>"$T/acked"
	done
) &
POSTER=$!
PIDS="$PIDS $POSTER"
wait_for 30 sh -c "[ \$(wc -l <'$T/acked') -ge 20 ]" || fail "the device could not post"

# Three backups while the device posts: each must hold everything
# acknowledged before it began, and the gateway must keep acknowledging.
for r in 1 2 3; do
	cp "$T/acked" "$T/before$r"
	"$TETHER" db backup --db "$GW_DB" --to "$T/backup$r.db" >"$T/out" 2>"$T/err" ||
	    fail "backup $r: $(cat "$T/err")"
	n=$(wc -l <"$T/before$r")
	wait_for 30 sh -c "[ \$(wc -l <'$T/acked') -ge $((n + 10)) ]" ||
	    fail "the gateway stopped acknowledging during backup $r"
done
grep -q "^key .*$GW_DB.key: NOT copied" "$T/out" || fail "backup does not name the key: $(cat "$T/out")"
[ ! -e "$T/backup1.db.key" ] || fail "the key was copied without --with-key"
[ ! -e "$T/backup1.db-wal" ] || fail "the backup left a WAL beside it"
[ "$(stat -c %a "$T/backup1.db")" = 600 ] || fail "backup mode $(stat -c %a "$T/backup1.db"), want 600"
before=$(wc -l <"$T/before3")
ok "three backups of a live database (the last after $before acknowledged messages), key named"

"$TETHER" db backup --db "$GW_DB" --to "$T/b2.db" --with-key >"$T/out" 2>"$T/err" ||
    fail "backup --with-key: $(cat "$T/err")"
[ "$(stat -c %a "$T/b2.db.key")" = 600 ] || fail "key copy mode $(stat -c %a "$T/b2.db.key")"
cmp -s "$T/b2.db.key" "$GW_DB.key" || fail "key copy differs"
set +e
"$TETHER" db backup --db "$GW_DB" --to "$T/b2.db" >/dev/null 2>"$T/err"; [ $? = 1 ] || fail "overwrite: want exit 1"
grep -q "already exists" "$T/err" || fail "overwrite message: $(cat "$T/err")"
"$TETHER" db backup --db postgres://localhost/x --to "$T/pg" >/dev/null 2>"$T/err"; [ $? = 2 ] || fail "URI: want exit 2"
grep -q pg_dump "$T/err" || fail "URI message: $(cat "$T/err")"
"$TETHER" db backup --db "$T/nothing.db" --to "$T/b3.db" >/dev/null 2>&1; [ $? = 1 ] || fail "missing db: want exit 1"
set -e
ok "--with-key copies the key 0600; no overwrite; PostgreSQL points to pg_dump"

kill "$POSTER" 2>/dev/null || true
wait "$POSTER" 2>/dev/null || true

# Restore: a new database with its key, that tether messages reads.
set +e
"$TETHER" db restore --from "$T/backup1.db" --db "$T/r/tether.db" >/dev/null 2>"$T/err"; [ $? = 1 ] ||
    fail "restore without a key: want exit 1"
grep -q "key-file" "$T/err" || fail "missing key message: $(cat "$T/err")"
head -c 32 /dev/urandom >"$T/wrong.key"
mkdir -p "$T/r"
"$TETHER" db restore --from "$T/backup1.db" --key-file "$T/wrong.key" --db "$T/r/tether.db" >/dev/null 2>"$T/err"
[ $? = 1 ] || fail "restore with a wrong key: want exit 1"
[ -z "$(ls "$T/r")" ] || fail "a refused restore left files: $(ls "$T/r")"
set -e
for r in 1 2 3; do
	"$TETHER" db restore --from "$T/backup$r.db" --key-file "$GW_DB.key" --db "$T/r$r.db" >"$T/out" 2>"$T/err" ||
	    fail "restore $r: $(cat "$T/err")"
	[ "$(stat -c %a "$T/r$r.db.key")" = 600 ] || fail "restored key mode"
	[ "$(stat -c %a "$T/r$r.db")" = 600 ] || fail "restored database mode"
	"$TETHER" messages --db "$T/r$r.db" >"$T/msgs" 2>"$T/err" || fail "messages on copy $r: $(cat "$T/err")"
	jq -r .seq "$T/msgs" | sort >"$T/have"
	missing=$(comm -23 <(sort "$T/before$r") "$T/have")
	[ -z "$missing" ] || fail "acknowledged before backup $r, not in its copy: $missing"
done
ok "restore into new paths: tether messages reads every message acknowledged before each backup ($before, $(wc -l <"$T/have") in the last copy)"

"$TETHER" db restore --from "$T/b2.db" --db "$T/rk.db" >/dev/null 2>"$T/err" || fail "restore with FILE.key: $(cat "$T/err")"
"$TETHER" device list --db "$T/rk.db" >/dev/null 2>&1 || fail "device list on the copy"
set +e
"$TETHER" db restore --from "$T/b2.db" --db "$T/rk.db" >/dev/null 2>"$T/err"; [ $? = 1 ] || fail "restore over a database: want exit 1"
set -e
ok "restore finds FILE.key, never overwrites a database"
stop_gw
