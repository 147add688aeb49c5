#!/bin/bash
# SPDX-License-Identifier: MIT
# What `tether serve` and `provision` do with a database that is not there:
# they make it private (database, -wal, -shm and key 0600 whatever the
# umask), serve says so in a warning, and --no-create refuses instead.
. "$(dirname "$0")/lib.sh"

umask 022	# the usual one: files made with it are world-readable
mode() { stat -c %a "$1"; }

# A first start on a path with no database: made private, and said loudly.
start_gw
grep -q 'level=warn event=database_created' "$T/gw.log" ||
    fail "a new database was made without a warning"
grep -q "path=$GW_DB" "$T/gw.log" || fail "the warning does not name the path"
provision 1
[ "$(post "${CRED[0]}" 'first')" = 201 ] || fail "first message not stored"
for f in "$GW_DB" "$GW_DB-wal" "$GW_DB-shm" "$GW_DB.key"; do
	[ -f "$f" ] || fail "$f was not made"
	[ "$(mode "$f")" = 600 ] || fail "$f is mode $(mode "$f"), want 600"
done
ok "a new database, its -wal, -shm and key are 0600 under umask 022; a warning says it was made"
stop_gw

# The same database again: no warning.
start_gw
grep -q 'event=database_created' "$T/gw.log" && fail "warned about an existing database"
[ "$(post "${CRED[0]}" 'again')" = 201 ] || fail "message to the existing database not stored"
ok "an existing database is opened without the warning"
stop_gw

# An operator's mode is kept, and the log files SQLite makes follow it.
chmod 640 "$GW_DB"
start_gw
[ "$(post "${CRED[0]}" 'group')" = 201 ] || fail "message to the 0640 database not stored"
for f in "$GW_DB" "$GW_DB-wal" "$GW_DB-shm"; do
	[ "$(mode "$f")" = 640 ] || fail "$f is mode $(mode "$f"), want the database's 640"
done
ok "an existing database keeps its mode (0640); -wal and -shm take it"
stop_gw

# --no-create: a missing database is an error, and nothing is made.
set +e
timeout 20 "$TETHER" serve --app-listen off --admin-listen off --no-create --listen "127.0.0.1:$(free_port)" \
    --db "$T/typo.db" --state-dir "$T/state2" >/dev/null 2>"$T/err"; rc=$?
set -e
[ $rc = 1 ] || fail "--no-create on a missing database: exit $rc"
grep -q "no database at $T/typo.db" "$T/err" || fail "no reason given: $(cat "$T/err")"
ls "$T" | grep -q '^typo\.db' && fail "--no-create made $(ls "$T" | grep '^typo')"
[ -e "$T/state2" ] && fail "--no-create made the state directory"
ok "--no-create on a missing database exits 1 with the reason and makes nothing"

# --no-create on an existing database starts as usual (also from a config file).
printf 'no-create\n' >"$T/nc.conf"
start_gw --config "$T/nc.conf"
grep -q 'event=database_created' "$T/gw.log" && fail "warned about an existing database"
ok "--no-create on an existing database starts"
stop_gw

# provision makes a new database private too.
"$TETHER" provision --db "$T/p.db" --count 1 --out "$T/pdev" 2>/dev/null ||
    fail "provision into a new database failed"
for f in "$T/p.db" "$T/p.db.key"; do
	[ "$(mode "$f")" = 600 ] || fail "provision: $f is mode $(mode "$f"), want 600"
done
ok "provision makes a new database and key 0600"
