# SPDX-License-Identifier: MIT
# The command-line tool as a user meets it: help for every subcommand,
# usage errors exit 2, provisioning output and its permissions.
. "$(dirname "$0")/lib.sh"

"$TETHER" --help | grep -q 'usage: tether' || fail "tether --help"
# the commands as `tether --help` lists them, so a new one is never missed
cmds=$("$TETHER" --help | sed -n 's/^  \([a-z]*\)  .*/\1/p')
[ "$(echo "$cmds" | wc -w)" -ge 8 ] || fail "tether --help lists too few commands: $cmds"
for cmd in $cmds; do
	"$TETHER" "$cmd" --help >"$T/help" || fail "tether $cmd --help exited $?"
	grep -q "usage: tether $cmd" "$T/help" || fail "tether $cmd --help has no usage line"
	# each subcommand its usage lines name (tether app add, db prune, ...)
	subs=$(sed -n "s/^ *\(usage: \)\{0,1\}tether $cmd \([a-z][a-z-]*\).*/\2/p" "$T/help" | sort -u)
	for sub in "" $subs; do
		"$TETHER" $cmd $sub --help >"$T/help.$cmd.$sub" 2>&1 ||
		    fail "tether $cmd $sub --help exited $?"
		awk -v w="tether $cmd $sub --help" 'length($0) > 100 {
			printf "FAIL: %s: line %d is %d columns (over 100): %s\n", w, NR, length($0), $0 > "/dev/stderr"; bad = 1 }
		    END { exit bad }' "$T/help.$cmd.$sub" || exit 1
	done
done
"$TETHER" --help | awk 'length($0) > 100 { exit 1 }' || fail "tether --help has a line over 100 columns"
ok "--help of every subcommand and its subcommands, each line within 100 columns"

set +e
"$TETHER" >/dev/null 2>&1; [ $? = 2 ] || fail "no command: want exit 2"
"$TETHER" frobnicate >/dev/null 2>&1; [ $? = 2 ] || fail "unknown command: want exit 2"
"$TETHER" serve --profile nope 2>"$T/err"; [ $? = 2 ] || fail "bad profile: want exit 2"
grep -q "error: --profile: 'nope' is not a profile" "$T/err" || fail "bad profile message: $(cat "$T/err")"
"$TETHER" serve --listen nonsense 2>"$T/err"; [ $? = 1 ] || fail "bad listen: want exit 1"
grep -q 'error: --listen nonsense' "$T/err" || fail "bad listen message: $(cat "$T/err")"
"$TETHER" serve --cert only.crt 2>"$T/err"; [ $? = 2 ] || fail "cert without key: want exit 2"
set -e
ok "usage errors exit 2 with a sentence"

"$TETHER" provision --db "$GW_DB" --count 5 --out "$T/batch" 2>"$T/err" || fail "provision: $(cat "$T/err")"
[ "$(stat -c %a "$T/batch")" = 700 ] || fail "output directory is not 0700"
[ "$(stat -c %a "$T/batch/manifest.json")" = 600 ] || fail "manifest is not 0600"
[ "$(grep -c '"credential"' "$T/batch/manifest.json")" = 5 ] || fail "manifest does not hold 5 devices"
[ "$(sql 'select count(*) from devices')" = 5 ] || fail "registry does not hold 5 devices"
cred=$(grep -o 'tth1_[0-9a-z]*' "$T/batch/manifest.json" | head -n 1)
grep -q "$cred" "$GW_DB" && fail "a credential is stored in the database"
set +e
"$TETHER" provision --db "$GW_DB" --count 5 --out "$T/batch" 2>"$T/err"; [ $? = 1 ] ||
    fail "provisioning into a used directory must fail"
set -e
[ "$(sql 'select count(*) from devices')" = 5 ] || fail "a refused batch registered devices"
ok "provision: 0700 directory, 0600 manifest, no credential in the database, no overwrite"

# tether db migrate: a new database gets every migration; a second run none.
"$TETHER" db migrate --db "$T/fresh.db" >"$T/mig1" 2>"$T/mig1.err" || fail "db migrate: $(cat "$T/mig1.err")"
grep -q '(applied now)' "$T/mig1" || fail "a new database: no migration marked applied now"
grep -q 'is at schema version' "$T/mig1.err" || fail "db migrate does not say the version"
"$TETHER" db migrate --db "$T/fresh.db" >"$T/mig2" 2>/dev/null || fail "second db migrate failed"
grep -q '(applied now)' "$T/mig2" && fail "a second migrate applied something again"
[ "$(grep -c '^ *[0-9]' "$T/mig2")" = "$(grep -c '^ *[0-9]' "$T/mig1")" ] || fail "migrations listed differ between runs"
ok "db migrate: applies what is missing once, lists every migration"

