#!/bin/bash
# SPDX-License-Identifier: MIT
# Every command's JSON output parses, whatever its labels hold: UTF-8,
# control characters and invalid bytes from an older database. A label
# that is not valid UTF-8 is refused when it comes in.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }

# parses FILE [PYTHON_EXPR]: FILE is one JSON document, and the expression
# over it (d) is true.
parses() {
	python3 - "$1" "${2:-True}" <<'PY' || fail "$1 is not the JSON wanted: $(cat "$1")"
import json, sys
with open(sys.argv[1], "rb") as f:
    d = json.loads(f.read().decode("utf-8"))
sys.exit(0 if eval(sys.argv[2]) else "does not hold: " + sys.argv[2])
PY
}

# The commands whose --help offers JSON; each must have a case below.
covered=" provision device fingerprint check serve app messages forward send "
for c in $("$TETHER" --help | sed -n 's/^  \([a-z]*\)  .*/\1/p'); do
	"$TETHER" "$c" --help 2>&1 | grep -qi json || continue
	case "$covered" in *" $c "*) ;; *) fail "'tether $c' offers JSON but this test does not parse it" ;; esac
done
ok "every command that offers JSON is covered here"

# provision: manifest.json, with a UTF-8 label prefix.
"$TETHER" provision --db "$GW_DB" --count 2 --label-prefix 'café ☃' \
    --out "$T/b1" 2>/dev/null || fail "provision failed"
parses "$T/b1/manifest.json" 'len(d) == 2 and d[1]["label"] == "café ☃-2" and d[0]["mac"] is None'
ID0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$T/b1/manifest.json")
ok "provision: manifest.json parses, UTF-8 labels kept"

# Invalid UTF-8 is refused at input, with the offending byte.
if "$TETHER" provision --db "$GW_DB" --count 1 --label-prefix "$(printf 'caf\xe9')" \
    --out "$T/b2" 2>"$T/err"; then fail "a Latin-1 label prefix was accepted"; fi
grep -q 'label prefix is not valid UTF-8 (byte 0xe9 at offset 3)' "$T/err" ||
    fail "provision: unclear error: $(cat "$T/err")"
for bad in 'a\xc0\xafb' '\xed\xa0\x80' 'x\xe2\x82' '\xff'; do
	if "$TETHER" device rename --db "$GW_DB" "$ID0" "$(printf "$bad")" 2>"$T/err"; then
		fail "device rename accepted $bad"
	fi
	grep -q 'the label is not valid UTF-8 (byte 0x' "$T/err" ||
	    fail "rename: unclear error: $(cat "$T/err")"
done
ok "a label that is not valid UTF-8 is refused, provision and rename"

# device list and show: UTF-8 from rename, then what an older database or
# another writer may hold: control characters, quotes, invalid bytes.
"$TETHER" device rename --db "$GW_DB" "$ID0" 'Küche "Nord" \ 🌡' 2>/dev/null ||
    fail "rename to UTF-8 failed"
"$TETHER" device list --db "$GW_DB" --json >"$T/list.json" || fail "list failed"
parses "$T/list.json" 'any(x["label"] == "Küche \"Nord\" \\ 🌡" for x in d)'
"$TETHER" device show --db "$GW_DB" "$ID0" --json >"$T/show.json" || fail "show failed"
parses "$T/show.json" 'd["label"].startswith("Küche") and len(d["audit"]) >= 2 and isinstance(d["messages"], int)'
ID1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[1]["id"])' "$T/b1/manifest.json")
sql "UPDATE devices SET label = CAST(X'0161090a0d1b7f22275c' || X'636166e9' || X'c0af' AS TEXT) WHERE id = '$ID1';"
sql "UPDATE audit SET detail = CAST(X'0a01e9' AS TEXT) WHERE action = 'provision';"
"$TETHER" device list --db "$GW_DB" --json >"$T/list2.json" || fail "list failed"
parses "$T/list2.json" '[x["label"] for x in d if x["id"] == "'"$ID1"'"] == ["\x01a\t\n\r\x1b\x7f\"'"'"'\\caf\ufffd\ufffd\ufffd"]'
"$TETHER" device show --db "$GW_DB" "$ID1" --json >"$T/show2.json" || fail "show failed"
parses "$T/show2.json" 'd["audit"][-1]["detail"] == "\n\x01\ufffd"'
"$TETHER" device list --db "$GW_DB" --status revoked --json >"$T/none.json" || fail "list failed"
parses "$T/none.json" 'd == []'
ok "device list and show --json parse: control characters escaped, bad bytes as U+FFFD"

# device command and commands: text with quotes and control characters as
# a string, invalid UTF-8 and NUL as base64
"$TETHER" device command --db "$GW_DB" "$ID0" "$(printf 'say "hi"\t\\ \033')" --json \
    >"$T/cmd1.json" 2>/dev/null || fail "device command failed"
parses "$T/cmd1.json" 'd["state"] == "queued" and d["id"] >= 1'
"$TETHER" device command --db "$GW_DB" "$ID0" --hex c0af00e9 --json >"$T/cmd2.json" 2>/dev/null ||
    fail "device command --hex failed"
"$TETHER" device commands --db "$GW_DB" "$ID0" --json >"$T/cmds.json" || fail "commands failed"
parses "$T/cmds.json" 'd[0]["payload"] == "say \"hi\"\t\\ \x1b" and d[1]["payload_b64"] == "wK8A6Q=="'
ok "device command and commands --json parse: text payloads escaped, other bytes base64"

# messages: every line one document, the same bad label escaped, bodies
# that are JSON kept as JSON, anything else (bad UTF-8) as base64
sql "INSERT INTO messages (device_id, seq, received_at, peer, body) VALUES
    ('$ID1', 1, 0, '', CAST('{\"t\":\"☃\"}' AS BLOB)), ('$ID1', 2, 0, '', X'22e922')"
"$TETHER" messages --db "$GW_DB" >"$T/msgs.jsonl" || fail "messages failed"
[ "$(wc -l <"$T/msgs.jsonl")" = 2 ] || fail "messages: $(cat "$T/msgs.jsonl")"
head -n 1 "$T/msgs.jsonl" >"$T/m1.json"
parses "$T/m1.json" 'd["body"] == {"t": "☃"} and d["label"].startswith("\x01a\t")'
tail -n 1 "$T/msgs.jsonl" >"$T/m2.json"
parses "$T/m2.json" 'd["body_b64"] == "Iuki" and "body" not in d'
# app list: names are plain, but the document must parse, empty or not
"$TETHER" app list --db "$GW_DB" --json >"$T/apps0.json" || fail "app list failed"
parses "$T/apps0.json" 'd == []'
"$TETHER" app add --db "$GW_DB" json-test >/dev/null 2>&1 || fail "app add failed"
"$TETHER" app list --db "$GW_DB" --json >"$T/apps.json" || fail "app list failed"
parses "$T/apps.json" 'd[0]["name"] == "json-test" and d[0]["revoked_at"] is None'
# forward status: empty, then a forwarder whose name and error hold UTF-8,
# control characters and bytes that are not UTF-8
"$TETHER" forward status --db "$GW_DB" --json >"$T/fwd0.json" 2>/dev/null || fail "forward status failed"
parses "$T/fwd0.json" 'd == []'
sql "INSERT INTO forwarders (name, cursor, delivered, last_error, error_at, created_at) VALUES
    ('https://h/☃#app=a', '', 0, CAST(X'7265667573656401e90a' AS TEXT), 1, 1)"
"$TETHER" forward status --db "$GW_DB" --json >"$T/fwd.json" || fail "forward status failed"
parses "$T/fwd.json" 'd[0]["forwarder"] == "https://h/☃#app=a" and d[0]["backlog"] == 2 and d[0]["last_error"].startswith("refused\x01")'
sql "DELETE FROM forwarders"
ok "messages lines, app list --json and forward status --json parse"

# fingerprint and check against the gateway, fingerprint of files.
start_gw
"$TETHER" fingerprint "127.0.0.1:$PORT" --json >"$T/fp.json" || fail "fingerprint failed"
parses "$T/fp.json" 'd["port"] == '"$PORT"' and len(d["certificates"]) == 2'
"$TETHER" fingerprint "localhost:$PORT" --format json --single >"$T/fp1.json" || fail "fingerprint failed"
parses "$T/fp1.json" 'len(d["certificates"]) == 1 and d["sni"] == "localhost"'
"$TETHER" fingerprint --cert "$T/state/ecdsa.crt" --next "$T/state/rsa.key" \
    --format json >"$T/fp2.json" || fail "fingerprint --cert failed"
parses "$T/fp2.json" 'd["refused"] == [] and len(d["next"]) == 1'
for p in tether esp8266-bearssl esp32-mbedtls; do
	"$TETHER" check "127.0.0.1:$PORT" --profile "$p" --json >"$T/ck-$p.json" || true
	parses "$T/ck-$p.json" 'isinstance(d["would_connect"], bool) and len(d["findings"]) > 0'
done
# Nothing listening: exit 2 and a whole JSON document saying why.
rc=0
"$TETHER" check "127.0.0.1:$(free_port)" --profile tether --json >"$T/ck-down.json" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "check --json of a closed port: exit $rc"
parses "$T/ck-down.json" 'isinstance(d["error"], str) and len(d["error"]) > 0'
# A verdict that cannot be written is exit 2, not a silent 0.
rc=0
"$TETHER" check "127.0.0.1:$PORT" --profile tether --json >/dev/full 2>"$T/ck-full.err" || rc=$?
[ "$rc" = 2 ] && grep -q 'cannot write the output' "$T/ck-full.err" || fail "check --json >/dev/full: exit $rc"
# send --json: one object a message, also with a command whose payload is
# not text and one that is text with quotes and control characters.
CRED0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["credential"])' "$T/b1/manifest.json")
( umask 077; printf '%s\n' "$CRED0" >"$T/cred0" )
"$TETHER" device command "$ID0" 00ff --hex --db "$GW_DB" >/dev/null 2>&1 || fail "queue --hex"
"$TETHER" device command "$ID0" "$(printf 'a "q" \\ \t\001')" --db "$GW_DB" >/dev/null 2>&1 ||
    fail "queue text"
"$TETHER" send "https://localhost:$PORT" --pin "$PIN" --credential-file "$T/cred0" \
    --commands --json --count 4 '{"t":1}' >"$T/send.json" 2>"$T/send.err" ||
    fail "send --json: $(cat "$T/send.err")"
[ "$(wc -l <"$T/send.json")" = 4 ] || fail "send --json: not one line a message: $(cat "$T/send.json")"
python3 - "$T/send.json" <<'PY' || fail "send --json lines: $(cat "$T/send.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
cmds = [l["command"] for l in lines if l["command"] is not None]
assert all(l["stored"] for l in lines), lines
assert any(c.get("payload_b64") == "AP8=" for c in cmds), cmds
assert any(c.get("payload") == 'a "q" \\ \t\x01' or "payload_b64" in c for c in cmds[1:]), cmds
assert lines[-1]["acknowledged"] is not None, lines
PY
stop_gw
ok "fingerprint --json / --format json, check --json and send --json parse"
# serve --log-format json: t_json_http.sh parses every line.
