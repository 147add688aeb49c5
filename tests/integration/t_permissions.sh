#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A database this user may not write is named as such (#12, item 11):
# a read-only file, a directory the journal cannot be made in, a file
# that cannot be opened at all. Each: exit 1 at start with a sentence
# that says what it is, never "input/output error". Runs the gateway as
# the user nobody (root passes every permission check).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "skip: needs root to run the gateway as another user"; exit 77; }
command -v runuser >/dev/null || { echo "skip: no runuser"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "skip: no user nobody"; exit 77; }

D="$T/perm"
mkdir -p "$D"
"$TETHER" provision --db "$D/p.db" --count 1 --out "$D/batch" >/dev/null 2>&1 ||
    fail "provision"
chown -R nobody "$D"
chmod 755 "$T"	# nobody walks to $D
# serve_as_nobody: the gateway's exit status; its stderr in $T/err
serve_as_nobody() {
	local rc=0
	timeout -k 5 20 runuser -u nobody -- "$TETHER" serve --db "$D/p.db" \
	    --listen "127.0.0.1:$(free_port)" --app-listen off --admin-listen off \
	    --state-dir "$D/state" >/dev/null 2>"$T/err" || rc=$?
	echo "$rc"
}
said() { grep -v 'level=info' "$T/err"; }

chmod 444 "$D/p.db"
[ "$(serve_as_nobody)" = 1 ] || fail "a read-only database: exit $(serve_as_nobody)"
said | grep -q "the database $D/p.db is read-only for this user" ||
    fail "a read-only database: $(said)"
ok "a database file of mode 0444: exit 1, 'is read-only for this user'"

chmod 644 "$D/p.db"
chmod 555 "$D"
[ "$(serve_as_nobody)" = 1 ] || fail "a read-only directory: exit $(serve_as_nobody)"
said | grep -q "read-only (check the permissions of the file and of its directory)" ||
    fail "a read-only directory: $(said)"
ok "a directory it may not write: exit 1, 'read-only', the directory named"

chmod 755 "$D"
chmod 000 "$D/p.db"
[ "$(serve_as_nobody)" = 1 ] || fail "an unreadable database: exit $(serve_as_nobody)"
said | grep -q "cannot be opened.*(Permission denied)" || fail "an unreadable database: $(said)"
! said | grep -qi "input/output error" || fail "an I/O error named: $(said)"
ok "a database it may not open: exit 1, 'Permission denied', no 'input/output error'"
chmod 644 "$D/p.db"
