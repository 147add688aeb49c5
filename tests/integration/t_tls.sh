# SPDX-License-Identifier: MIT
# TLS as devices meet it: the article's legacy suites by profile, RSA and
# ECDSA side by side, max fragment length 512, SNI that names nothing we
# serve, session resumption by id and by ticket, handshake failures logged
# with OpenSSL's reason.
. "$(dirname "$0")/lib.sh"

hs() { # hs [s_client options]: prints s_client's summary of one handshake
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" "$@" 2>&1 || true
}

start_gw --profile legacy-esp8266
for suite in AES128-SHA AES256-SHA AES128-SHA256 AES256-SHA256; do
	hs -tls1_2 -cipher "$suite" -servername localhost | grep -q "Cipher is $suite" ||
	    fail "legacy-esp8266 refused $suite"
done
ok "legacy-esp8266 accepts the article's four TLS_RSA_WITH_AES suites"
hs -tls1_2 -cipher AES128-SHA | grep -q 'Server public key is 2048 bit' ||
    fail "RSA key exchange did not get the RSA certificate"
hs -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 | grep -q 'Server public key is 256 bit' ||
    fail "an ECDSA suite did not get the ECDSA certificate"
ok "RSA and ECDSA certificates served side by side, by what the client offers"
stop_gw

start_gw
hs -tls1_2 -cipher AES128-SHA | grep -q 'Cipher is AES128-SHA' && fail "modern accepted AES128-SHA"
wait_for 5 grep -q 'event=handshake_failed.*no shared cipher' "$T/gw.log" ||
    fail "no handshake_failed log line naming the missing shared cipher"
ok "modern refuses the legacy suites, and the log says why"

out=$(hs -tls1_2 -maxfraglen 512 -servername localhost -tlsextdebug)
echo "$out" | grep -q 'TLS server extension "max fragment length"' ||
    fail "MFLN 512 not echoed by the server: $out"
# Records from the server: with MFLN 512 none is longer than 512 bytes of
# plaintext plus cipher overhead; without it the RSA certificate's record is.
biggest() { # biggest [s_client options]: longest record the server sent
	# -msg prints each record header's 5 bytes on the line after it.
	hs -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -msg "$@" |
	    awk '/^<<< .*RecordHeader/ { getline; print $4 $5 }' |
	    while read -r h; do echo $((16#$h)); done | sort -n | tail -n 1
}
small=$(biggest -maxfraglen 512)
large=$(biggest)
[ "$small" -le $((512 + 64)) ] || fail "with MFLN 512 the server sent a ${small}-byte record"
[ "$large" -gt 600 ] || fail "test is void: the certificate record is only ${large} bytes"
ok "max fragment length 512 honoured"

for sni in wrong.example 127.0.0.1 ''; do
	if [ -n "$sni" ]; then out=$(hs -servername "$sni"); else out=$(hs -noservername); fi
	echo "$out" | grep -q 'CN = tether development certificate' ||
	    fail "SNI '$sni' did not get the default certificate: $out"
	echo "$out" | grep -qi 'alert' && fail "SNI '$sni' got an alert: $out"
done
ok "unknown, IP-literal and missing SNI get the default certificate, no alert"

rm -f "$T/sess"
hs -tls1_2 -sess_out "$T/sess" >/dev/null
hs -tls1_2 -sess_in "$T/sess" | grep -q '^Reused' || fail "ticket resumption failed"
rm -f "$T/sess"
hs -tls1_2 -no_ticket -sess_out "$T/sess" >/dev/null
hs -tls1_2 -no_ticket -sess_in "$T/sess" | grep -q '^Reused' || fail "session-id resumption failed"
ok "TLS 1.2 resumption by ticket and by session id"

hs -tls1_3 | grep -q 'TLSv1.3' || fail "TLS 1.3 not offered"
hs -tls1_1 | grep -q 'Cipher is [A-Z]' && fail "TLS 1.1 accepted"
ok "TLS 1.3 and 1.2 only"

# A curl with the wrong pin must refuse the gateway.
wrong=$(printf 'x%.0s' $(seq 32) | openssl dgst -sha256 -binary | base64)
curl -sS --max-time 5 -k --pinnedpubkey "sha256//$wrong" "https://127.0.0.1:$PORT/v1/health" \
    >/dev/null 2>&1 && fail "curl accepted a wrong pin"
ok "a wrong pin is refused by the client"
stop_gw
