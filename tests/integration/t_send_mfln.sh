# SPDX-License-Identifier: MIT
# A server that ignores max_fragment_length (RFC 6066): a device with
# 512-byte records must say so, and name the buffer that server needs,
# never blame the certificate. The server is Java's TLS (JSSE, Debian's
# OpenJDK) with the extension switched off (peers/NoMflnServer.java); GnuTLS
# 3.7 and OpenSSL 3 both honour the extension and cannot be told not to.
. "$(dirname "$0")/lib.sh"

if ! command -v java >/dev/null || ! command -v javac >/dev/null; then
	echo "skip - no Java compiler (openjdk-17-jdk-headless): no server that ignores max_fragment_length"
	exit 0
fi

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=no-mfln.test -keyout "$T/ec.key" -out "$T/ec.crt" 2>/dev/null || fail "certificate"
openssl pkcs12 -export -in "$T/ec.crt" -inkey "$T/ec.key" -out "$T/ks.p12" \
    -passout pass:test 2>/dev/null || fail "PKCS#12 keystore"
PIN=$(spki_pin "$T/ec.crt")
echo tth1_thisserverdoesnotcheckcredentials0 >"$T/cred"

tries=0
while :; do
	P=$(free_port)
	java -Djdk.tls.server.disableExtensions=max_fragment_length \
	    "$TETHER_SRC/tests/integration/peers/NoMflnServer.java" "$T/ks.p12" test "$P" \
	    >"$T/java.out" 2>"$T/java.err" &
	JAVA_PID=$!
	PIDS="$PIDS $JAVA_PID"
	wait_for 60 grep -q listening "$T/java.out" && break
	kill -9 "$JAVA_PID" 2>/dev/null || true
	tries=$((tries + 1))
	grep -q 'Address already in use' "$T/java.err" && [ $tries -lt 5 ] && continue
	fail "the Java TLS server did not start: $(cat "$T/java.err")"
done

# The server's hello carries no max_fragment_length: it ignored the request.
echo | timeout 10 openssl s_client -tls1_2 -connect "127.0.0.1:$P" -maxfraglen 512 \
    -tlsextdebug >"$T/hello" 2>&1 || true
grep -q 'Cipher is' "$T/hello" || fail "no handshake with the Java server: $(cat "$T/hello")"
grep -q '"max fragment length"' "$T/hello" && fail "the Java server honoured max_fragment_length after all"
ok "the Java server ignores max_fragment_length"

set +e
"$TETHER" send "https://127.0.0.1:$P" --pin "$PIN" --credential-file "$T/cred" --buffer 512 x >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc = 1 ] || fail "512-byte records against a server that ignores MFLN: exit $rc, want 1: $(cat "$T/out" "$T/err")"
grep -q "^error: the server sent a TLS record larger than the device's buffer: it ignored the max_fragment_length request.* (the buffer is 837 bytes, for records of up to 512 bytes; the server may send records of 16384 bytes and needs a buffer of 16709 bytes (TETHER_BUFSIZE(16384)))" "$T/err" ||
    fail "record too large message: $(cat "$T/err")"
ok "512-byte records: the error names the ignored request and the 16709-byte buffer needed"

"$TETHER" send "https://127.0.0.1:$P" --pin "$PIN" --credential-file "$T/cred" --buffer 16384 x >"$T/out" 2>"$T/err" ||
    fail "full-size records refused: $(cat "$T/err")"
ok "with --buffer 16384 the same server is fine"
