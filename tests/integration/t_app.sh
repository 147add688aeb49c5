# SPDX-License-Identifier: MIT
# tether app: a token printed once on stdout, in its own text form, never
# stored (only its keyed hash), never in a listing; names are never
# reused; revoke, usage errors, and the audit trail of each change.
. "$(dirname "$0")/lib.sh"

app() { "$TETHER" app "$@" --db "$GW_DB"; }
app_err() {	# STATUS ARGS...: wants that exit status; stderr in $T/err
	local want=$1 rc; shift
	set +e
	"$TETHER" app "$@" --db "$GW_DB" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ $rc = "$want" ] || fail "tether app $*: want exit $want, got $rc: $(cat "$T/err")"
}

# ---- add ----
app add dashboard >"$T/token" 2>"$T/err" || fail "add: $(cat "$T/err")"
[ "$(wc -l <"$T/token")" = 1 ] || fail "add printed more than the token: $(cat "$T/token")"
grep -qE '^tta1_[0-9a-hjkmnp-tv-z]{33}$' "$T/token" || fail "token form: $(cat "$T/token")"
grep -q 'shown only now' "$T/err" || fail "add says nothing of the token: $(cat "$T/err")"
TOKEN=$(cat "$T/token")
grep -q "$TOKEN" "$GW_DB" && fail "the token is stored in the database"
[ "$(sql 'select length(token_hash) from apps')" = 32 ] || fail "no 32-byte hash stored"
app add ops --scope read,command >"$T/token2" 2>/dev/null
[ "$(cat "$T/token2")" != "$TOKEN" ] || fail "two applications got one token"
ok "add prints a tta1_ token once; only its hash is stored"

# ---- list ----
app list >"$T/list"
grep -qE '^dashboard +read +[0-9-]+ [0-9:]+ UTC +-$' "$T/list" || fail "list: $(cat "$T/list")"
grep -qE '^ops +read,command ' "$T/list" || fail "list scopes: $(cat "$T/list")"
grep -q tta1_ "$T/list" && fail "list shows a token"
[ "$(app list --json | jq -r '.[1].scopes')" = read,command ] || fail "list --json"
[ "$(app list --json | jq -r '.[0].revoked_at')" = null ] || fail "list --json revoked_at"
ok "list: text and --json, oldest first, no token"

# ---- errors ----
app_err 1 add dashboard
grep -q "an application named 'dashboard' exists" "$T/err" || fail "taken name: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "a refused add printed a token"
app_err 1 add 'Two Words'
grep -q 'is not an application name' "$T/err" || fail "bad name: $(cat "$T/err")"
app_err 2 add x --scope write
grep -q "'write' is not a scope" "$T/err" || fail "bad scope: $(cat "$T/err")"
app_err 2 add
app_err 2 list extra
app_err 2 revoke dashboard --scope read
app_err 2 frob
ok "a taken or bad name exits 1, usage errors exit 2, each with a sentence"

# ---- revoke ----
app revoke dashboard 2>"$T/err" || fail "revoke: $(cat "$T/err")"
grep -q 'revoked application dashboard' "$T/err" || fail "revoke message"
[ "$(app list --json | jq -r '.[0].revoked_at')" != null ] || fail "revoked_at not set"
app_err 1 revoke dashboard
grep -q "no application named 'dashboard' holds a valid token" "$T/err" || fail "revoke twice: $(cat "$T/err")"
app_err 1 add dashboard
[ "$(sql "select count(*) from audit where action like 'app-%'")" = 3 ] ||
    fail "audit rows: $(sql 'select action, detail from audit')"
ok "revoke once; the name is not reused; each change is audited"
