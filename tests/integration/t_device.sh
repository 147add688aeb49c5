# SPDX-License-Identifier: MIT
# tether device against a running gateway: list with its filters, show,
# rename, rotate (the old credential is refused within a second, the new
# one accepted), forget, "did you mean" for a near miss, and no secret or
# credential anywhere in the database files, the gateway log or any output
# of `tether device`.
. "$(dirname "$0")/lib.sh"

OUT="$T/outputs"	# every `tether device` output, for the leak check
: >"$OUT"
dev() { "$TETHER" device "$@" --db "$GW_DB" 2>>"$OUT.err" | tee -a "$OUT"; }
dev_err() {	# STATUS ARGS...: runs and wants that exit status; stderr in $T/err
	local want=$1 rc; shift
	set +e
	"$TETHER" device "$@" --db "$GW_DB" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	cat "$T/out" "$T/err" >>"$OUT"
	[ $rc = "$want" ] || fail "tether device $*: want exit $want, got $rc: $(cat "$T/err")"
}

start_gw
provision 3
ok "3 devices provisioned, gateway up"

# ---- list ----
dev list >"$T/list"
[ "$(grep -c -E '^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z] +active +plain +never' "$T/list")" = 3 ] ||
    fail "list: $(cat "$T/list")"
[ "$(dev list --json | jq length)" = 3 ] || fail "list --json"
[ "$(post "${CRED[0]}" hello)" = 201 ] || fail "device 0 refused"
[ "$(dev list --json --seen-since 1m | jq -r '.[].id')" = "${ID[0]}" ] || fail "--seen-since"
[ "$(dev list --json --not-seen-since 1m | jq length)" = 2 ] || fail "--not-seen-since"
[ "$(dev list --json | jq -r ".[] | select(.id == \"${ID[0]}\") | .last_seen_addr" | cut -d: -f1)" = 127.0.0.1 ] ||
    fail "last seen address"
dev_err 2 list --status gone
grep -q -- "--status takes active or revoked, not 'gone'" "$T/err" || fail "bad status message"
dev_err 2 list --seen-since yesterday
grep -q "takes an age like 30s" "$T/err" || fail "bad age message"
dev_err 2 list "${ID[0]}"
ok "list: text, --json, --seen-since, --not-seen-since, bad filters exit 2"

# ---- rename and show ----
dev rename "${ID[1]}" "hall sensor" >/dev/null
grep -q "renamed ${ID[1]}: '' -> 'hall sensor'" "$OUT.err" || fail "rename message: $(cat "$OUT.err")"
[ "$(dev list --json --label 'hall*' | jq -r '.[0].id')" = "${ID[1]}" ] || fail "--label after rename"
dev show "${ID[1]}" >"$T/show"
grep -q '^label       hall sensor$' "$T/show" || fail "show label: $(cat "$T/show")"
grep -q 'rename  *label .. -> .hall sensor.' "$T/show" || fail "show audit rename: $(cat "$T/show")"
grep -q 'provision  *provisioned 3 devices, scheme plain' "$T/show" || fail "show audit provision"
[ "$(dev show "${ID[0]}" --json | jq -r '.messages')" = 1 ] || fail "show --json messages"
# an id as a person types it
[ "$(dev show "$(tr a-z A-Z <<<"${ID[1]}" | tr -d -)" --json | jq -r .label)" = "hall sensor" ] ||
    fail "show of an upper-case id without dashes"
ok "rename, show (fields and audit rows), ids in any case"

# ---- did you mean ----
id=${ID[2]}
last=${id: -1}; [ "$last" = z ] && other=y || other=z
typo="${id%?}$other"
dev_err 2 show "$typo"
grep -q "'$typo' is not a device id: the check character does not match" "$T/err" || fail "mistyped message: $(cat "$T/err")"
grep -q "did you mean $id?" "$T/err" || fail "no suggestion for $typo: $(cat "$T/err")"
dev_err 2 revoke "hall sensor"
grep -q "did you mean ${ID[1]} (label hall sensor)?" "$T/err" || fail "no suggestion for a label: $(cat "$T/err")"
dev_err 2 show "${id:0:4}${id:5:3}-${id: -1}"
grep -q "did you mean $id?" "$T/err" || fail "no suggestion for a dropped character: $(cat "$T/err")"
dev_err 1 show 0000-0000-0
grep -q "no device '0000-0000-0' in $GW_DB" "$T/err" || fail "unknown id message"
dev_err 2 frob "$id"
dev_err 2 rename "$id"
dev_err 2 show "$id" --out "$T/x"
grep -q "show does not take --out" "$T/err" || fail "option of another subcommand: $(cat "$T/err")"
ok "mistyped, label, dropped character: did you mean; unknown id exits 1"

# ---- rotate ----
old=${CRED[0]}
[ "$(post "$old" before)" = 201 ] || fail "old credential refused before the rotation"
dev_err 2 rotate "${ID[0]}"
grep -q "rotate needs --out DIR" "$T/err" || fail "rotate without --out"
start=$(date +%s%N)
dev rotate "${ID[0]}" --out "$T/rot" >/dev/null
wait_for 10 sh -c "[ \"\$(curl -sS --max-time 5 --cacert '$T/ca.pem' --resolve 'localhost:$PORT:127.0.0.1' \
    -o /dev/null -w '%{http_code}' -H 'Authorization: Device $old' --data-binary x \
    https://localhost:$PORT/v1/messages)\" = 401 ]" || fail "old credential still accepted 10 s after the rotation"
el=$((($(date +%s%N) - start) / 1000000))
[ $el -le 1500 ] || fail "old credential refused only after ${el} ms"
new=$(jq -r '.[0].credential' "$T/rot/manifest.json")
[ "$(jq -r '.[0].id' "$T/rot/manifest.json")" = "${ID[0]}" ] || fail "rotated manifest names another device"
[ -f "$T/rot/${ID[0]}/tether_identity.h" ] && [ -f "$T/rot/${ID[0]}/identity.bin" ] || fail "rotate wrote no per-device files"
[ "$(stat -c %a "$T/rot/manifest.json")" = 600 ] || fail "rotated manifest not 0600"
[ "$new" != "$old" ] || fail "rotation kept the credential"
[ "$(post "$new" after)" = 201 ] || fail "new credential refused"
[ "$(post "${CRED[1]}" other)" = 201 ] || fail "another device affected by the rotation"
dev show "${ID[0]}" | grep -q '(rotated)' || fail "show does not say rotated"
dev_err 1 rotate "${ID[0]}" --out "$T/rot"
grep -q "manifest.json already exists" "$T/err" || fail "rotate into a used directory"
[ "$(post "$new" still)" = 201 ] || fail "a refused rotation changed the credential"
ok "rotate: old credential 401 after ${el} ms, new one 201, files in --out"

# ---- forget ----
dev forget "${ID[2]}" >/dev/null
grep -q "forgot ${ID[2]}: gateways refuse its credential within a second; its 0 messages are kept" "$OUT.err" ||
    fail "forget message: $(cat "$OUT.err")"
wait_for 10 sh -c "[ \"\$(curl -sS --max-time 5 --cacert '$T/ca.pem' --resolve 'localhost:$PORT:127.0.0.1' \
    -o /dev/null -w '%{http_code}' -H 'Authorization: Device ${CRED[2]}' --data-binary x \
    https://localhost:$PORT/v1/messages)\" = 401 ]" || fail "forgotten device still accepted"
dev_err 1 show "${ID[2]}"
grep -q "no device '${ID[2]}' in $GW_DB: it was forgotten on .* by cli:" "$T/err" || fail "forgotten message: $(cat "$T/err")"
[ "$(sql "select count(*) from audit where device_id = '${ID[2]}' and action = 'forget'")" = 1 ] || fail "no audit row"
sql "select detail from audit where device_id = '${ID[2]}' and action = 'forget'" |
    grep -q "^label '.*', scheme plain; its messages kept$" || fail "forget audit detail"
dev forget "${ID[0]}" --delete-messages >/dev/null
[ "$(sql "select count(*) from messages where device_id = '${ID[0]}'")" = 0 ] || fail "--delete-messages kept messages"
sql "select detail from audit where device_id = '${ID[0]}' and action = 'forget'" |
    grep -q "; its messages deleted$" || fail "forget --delete-messages audit detail"
[ "$(dev list --json | jq length)" = 1 ] || fail "list after forget"
ok "forget: refused within a second, audit row stays, messages kept or deleted"

# ---- no secret anywhere it must not be ----
stop_gw
for c in "${CRED[@]}" "$new"; do
	r=${c#*_}
	for f in "$GW_DB" "$GW_DB-wal" "$GW_DB-shm" "$T/gw.log" "$T/gw.out" "$OUT" "$OUT.err"; do
		[ -f "$f" ] || continue
		grep -aq "$r" "$f" && fail "a credential appears in $f"
	done
done
ok "no credential in the database files, the gateway log or tether device output"
