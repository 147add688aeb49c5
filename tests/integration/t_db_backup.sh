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

# Everything acknowledged so far must be in the backup.
cp "$T/acked" "$T/before"
"$TETHER" db backup --db "$GW_DB" --to "$T/backup.db" >"$T/out" 2>"$T/err" ||
    fail "backup: $(cat "$T/err")"
grep -q "^key .*$GW_DB.key: NOT copied" "$T/out" || fail "backup does not name the key: $(cat "$T/out")"
[ ! -e "$T/backup.db.key" ] || fail "the key was copied without --with-key"
[ ! -e "$T/backup.db-wal" ] || fail "the backup left a WAL beside it"
before=$(wc -l <"$T/before")
wait_for 30 sh -c "[ \$(wc -l <'$T/acked') -ge $((before + 10)) ]" ||
    fail "the gateway stopped acknowledging during the backup"
ok "backup of a live database ($before messages acknowledged before it), key named"

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
"$TETHER" db restore --from "$T/backup.db" --db "$T/r/tether.db" >/dev/null 2>"$T/err"; [ $? = 1 ] ||
    fail "restore without a key: want exit 1"
grep -q "key-file" "$T/err" || fail "missing key message: $(cat "$T/err")"
head -c 32 /dev/urandom >"$T/wrong.key"
mkdir -p "$T/r"
"$TETHER" db restore --from "$T/backup.db" --key-file "$T/wrong.key" --db "$T/r/tether.db" >/dev/null 2>"$T/err"
[ $? = 1 ] || fail "restore with a wrong key: want exit 1"
[ ! -e "$T/r/tether.db" ] || fail "a refused restore left its database"
set -e
"$TETHER" db restore --from "$T/backup.db" --key-file "$GW_DB.key" --db "$T/r/tether.db" >"$T/out" 2>"$T/err" ||
    fail "restore: $(cat "$T/err")"
[ "$(stat -c %a "$T/r/tether.db.key")" = 600 ] || fail "restored key mode"
"$TETHER" messages --db "$T/r/tether.db" >"$T/msgs" 2>"$T/err" || fail "messages on the copy: $(cat "$T/err")"
jq -r .seq "$T/msgs" | sort -n >"$T/have"
missing=$(comm -23 <(sort -n "$T/before" | sort) <(sort "$T/have"))
[ -z "$missing" ] || fail "acknowledged before the backup, not in the copy: $missing"
ok "restore into a new path: tether messages reads all $before, $(wc -l <"$T/have") in the copy"

"$TETHER" db restore --from "$T/b2.db" --db "$T/r2.db" >/dev/null 2>"$T/err" || fail "restore with FILE.key: $(cat "$T/err")"
"$TETHER" device list --db "$T/r2.db" >/dev/null 2>&1 || fail "device list on the copy"
set +e
"$TETHER" db restore --from "$T/b2.db" --db "$T/r2.db" >/dev/null 2>"$T/err"; [ $? = 1 ] || fail "restore over a database: want exit 1"
set -e
ok "restore finds FILE.key, never overwrites a database"
stop_gw
