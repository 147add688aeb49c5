# SPDX-License-Identifier: MIT
# tether check tells the truth (issue 14): a corpus of misconfigured
# servers, each checked once with --profile all, and one expected verdict
# and cause a profile in check_corpus.txt beside this script: the corpus
# is the specification. Beside check, the real stacks Debian has make the
# device's connection to the same server, and their verdict must agree:
# libtether (tether send, 512-byte records, pinned) for tether, mbedTLS
# set up as esp-tls with a CA (peers/esp_tls_client.c) for esp32-mbedtls,
# OpenSSL (Python's ssl module) with axTLS's four suites and its name check
# for esp8266-axtls.
# Then what the table cannot say: one time-out shared by the profiles,
# --json on exit 2, the text report's width.
. "$(dirname "$0")/lib.sh"

NAME=check.test
CORPUS="$TETHER_SRC/tests/integration/check_corpus.txt"
ESP_TLS="${TETHER_BUILD:-$(dirname "$TETHER")}/esp_tls_client"
[ -x "$ESP_TLS" ] || fail "no $ESP_TLS: build the tree (make -C build esp_tls_client)"
t_start=$(date +%s.%N)

# --- certificates ------------------------------------------------------------
C="$T/tls"
mkdir -p "$C"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=truth CA" \
    -keyout "$C/ca.key" -out "$C/ca.crt" 2>/dev/null
leaf() { # leaf FILE CN [-sha1] [-san SAN] [-by CA] KEYOPTS...: a leaf of CA (ca)
	local n=$1 cn=$2 md=-sha256 san="DNS:$2" by=ca; shift 2
	while :; do
		case $1 in
		-sha1) md=-sha1; shift ;;
		-san) san=$2; shift 2 ;;
		-by) by=$2; shift 2 ;;
		*) break ;;
		esac
	done
	openssl req -new "$@" -nodes -subj "/CN=$cn" -keyout "$C/$n.key" -out "$C/$n.csr" 2>/dev/null
	printf 'subjectAltName=%s\n' "$san" >"$C/$n.ext"
	openssl x509 -req -in "$C/$n.csr" -CA "$C/$by.crt" -CAkey "$C/$by.key" -CAcreateserial "$md" \
	    -days 90 -extfile "$C/$n.ext" -out "$C/$n.crt" 2>/dev/null
}
leaf rsa "$NAME" -newkey rsa:2048
leaf ecdsa "$NAME" -newkey ec -pkeyopt ec_paramgen_curve:P-256
leaf other other.test -newkey rsa:2048
leaf weak "$NAME" -newkey rsa:1024
leaf sha1 "$NAME" -sha1 -newkey rsa:2048
# A certificate for a device by address: the address in an IP SAN only
# (CN a label), and the usual recipe, CN and IP SAN both the address.
leaf ipsan gateway -san IP:127.0.0.1 -newkey rsa:2048
leaf ipcn 127.0.0.1 -san IP:127.0.0.1 -newkey rsa:2048
# A leaf of an intermediate CA, served without the intermediate.
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=truth intermediate" \
    -keyout "$C/inter.key" -out "$C/inter.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$C/inter.ext"
openssl x509 -req -in "$C/inter.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -sha256 \
    -days 90 -extfile "$C/inter.ext" -out "$C/inter.crt" 2>/dev/null
leaf alone "$NAME" -by inter -newkey rsa:2048
# A long chain (the stand-in for a root and cross-signed certificates left
# in ssl_certificate): the leaf and two 4 KB certificates, ~10 KB.
cp "$C/rsa.crt" "$C/bigchain.pem"
for i in 1 2; do
	openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=pad $i" -days 90 \
	    -addext "nsComment=$(head -c 4000 /dev/zero | tr '\0' p)" -keyout "$C/pad.key" 2>/dev/null >>"$C/bigchain.pem"
done

# --- one nginx, one server a port --------------------------------------------
command -v nginx >/dev/null || fail "nginx is not installed (Debian package nginx-light)"
N="$T/nginx"
mkdir -p "$N/tmp"
echo 'admin:{PLAIN}secret' >"$N/htpasswd"
NGX="gw good cc e403 e421 e400 basic vhost strict tls13 ecdsa weak sha1 ipsan ipcn alone bigchain host silent bighead bigsmall ticket"
UP=$(free_port)  # an upstream that accepts and never answers
pad() { head -c "$1" /dev/zero | tr '\0' p; }
srv() { # srv SERVER PORT: the server block(s) of one server
	local rsa="ssl_certificate $C/rsa.crt; ssl_certificate_key $C/rsa.key;"
	# the gateway's answer, word for word (docs/protocol.md)
	local stored="return 201 '{\"stored\":true,\"device\":\"corpus\"}';"
	local ok="location / { $stored }"
	case $1 in
	good) echo "server { listen 127.0.0.1:$2 ssl; $rsa $ok }" ;;
	cc) echo "server { listen 127.0.0.1:$2 ssl; $rsa ssl_client_certificate $C/ca.crt; ssl_verify_client on; $ok }" ;;
	e403) echo "server { listen 127.0.0.1:$2 ssl; $rsa location / { return 403; } }" ;;
	e421) echo "server { listen 127.0.0.1:$2 ssl; $rsa location / { return 421; } }" ;;
	e400) echo "server { listen 127.0.0.1:$2 ssl; $rsa location / { return 400; } }" ;;
	# HTTP Basic authentication over the whole site, the device path too,
	# in front of the gateway's answer (return would come before it).
	basic) echo "server { listen 127.0.0.1:$2 ssl; $rsa auth_basic devices;
		auth_basic_user_file $N/htpasswd; location / { proxy_pass http://127.0.0.1:$P_gw; } }" ;;
	vhost) echo "server { listen 127.0.0.1:$2 ssl default_server; server_name other.test;
		ssl_certificate $C/other.crt; ssl_certificate_key $C/other.key; $ok }
		server { listen 127.0.0.1:$2 ssl; server_name $NAME; $rsa $ok }" ;;
	strict) echo "server { listen 127.0.0.1:$2 ssl default_server; ssl_reject_handshake on; }
		server { listen 127.0.0.1:$2 ssl; server_name $NAME; $rsa $ok }" ;;
	tls13) echo "server { listen 127.0.0.1:$2 ssl; ssl_protocols TLSv1.3; $rsa $ok }" ;;
	ecdsa) echo "server { listen 127.0.0.1:$2 ssl; ssl_certificate $C/ecdsa.crt; ssl_certificate_key $C/ecdsa.key; $ok }" ;;
	weak) echo "server { listen 127.0.0.1:$2 ssl; ssl_certificate $C/weak.crt; ssl_certificate_key $C/weak.key;
		ssl_ciphers ALL:@SECLEVEL=0; $ok }" ;;
	sha1) echo "server { listen 127.0.0.1:$2 ssl; ssl_certificate $C/sha1.crt; ssl_certificate_key $C/sha1.key;
		ssl_ciphers ALL:@SECLEVEL=0; $ok }" ;;
	ipsan|ipcn|alone) echo "server { listen 127.0.0.1:$2 ssl; ssl_certificate $C/$1.crt;
		ssl_certificate_key $C/$1.key; $ok }" ;;
	bigchain) echo "server { listen 127.0.0.1:$2 ssl; ssl_certificate $C/bigchain.pem;
		ssl_certificate_key $C/rsa.key; $ok }" ;;
	silent) echo "server { listen 127.0.0.1:$2 ssl; $rsa
		location / { proxy_pass http://127.0.0.1:$UP; proxy_read_timeout 120s; } }" ;;
	host) echo "server { listen 127.0.0.1:$2 ssl; $rsa
		location / { if (\$http_host != \"127.0.0.1:$2\") { return 403; } $stored } }" ;;
	# A head of 7000 bytes: within libtether's 8192, past axTLS's 5840.
	bighead) echo "server { listen 127.0.0.1:$2 ssl; $rsa
		add_header X-Pad1 $(pad 3500) always; add_header X-Pad2 $(pad 3500) always; $ok }" ;;
	bigsmall) echo "server { listen 127.0.0.1:$2 ssl; $rsa ssl_buffer_size 4k;
		add_header X-Pad1 $(pad 3500) always; add_header X-Pad2 $(pad 3500) always; $ok }" ;;
	# Session ids off, tickets on: only a stack with tickets resumes.
	ticket) echo "server { listen 127.0.0.1:$2 ssl; $rsa ssl_session_cache off; ssl_session_tickets on; $ok }" ;;
	# Plain HTTP, for Apache's proxy and nginx's: the gateway's answer
	# (first in NGX, so that its port is known to the others).
	gw) echo "server { listen 127.0.0.1:$2; $ok }" ;;
	esac
}
tries=0
while :; do
	: >"$N/sites.conf"
	for c in $NGX; do
		p=$(free_port); eval "P_$c=$p"
		srv "$c" "$p" >>"$N/sites.conf"
	done
	cat >"$N/nginx.conf" <<EOF
daemon off;
master_process off;
pid $N/nginx.pid;
error_log $N/error.log;
events { worker_connections 64; }
http {
	access_log off;
	keepalive_timeout 75s;
	default_type application/json;
	ssl_session_cache shared:corpus:1m;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	include $N/sites.conf;
}
EOF
	: >"$N/error.log"
	nginx -p "$N" -c "$N/nginx.conf" 2>>"$N/error.log" &
	NGINX_PID=$!
	PIDS="$PIDS $NGINX_PID"
	if wait_for 10 openssl s_client -connect "127.0.0.1:$P_weak" </dev/null; then break; fi
	kill -9 "$NGINX_PID" 2>/dev/null || true
	tries=$((tries + 1))
	grep -q 'Address already in use' "$N/error.log" && [ $tries -lt 5 ] && continue
	fail "nginx did not start: $(cat "$N/error.log")"
done

# --- openssl s_server with DHE suites only -------------------------------------
P_dhe=$(free_port)
openssl s_server -accept "127.0.0.1:$P_dhe" -cert "$C/rsa.crt" -key "$C/rsa.key" \
    -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 -quiet -www </dev/null >"$T/dhe.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 openssl s_client -connect "127.0.0.1:$P_dhe" -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 </dev/null ||
    fail "openssl s_server did not start: $(cat "$T/dhe.log")"

# --- openssl s_server that requires a client certificate -----------------------
P_ccreq=$(free_port)
openssl s_server -accept "127.0.0.1:$P_ccreq" -cert "$C/rsa.crt" -key "$C/rsa.key" \
    -Verify 1 -CAfile "$C/ca.crt" -quiet -www </dev/null >"$T/ccreq.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 openssl s_client -connect "127.0.0.1:$P_ccreq" -cert "$C/rsa.crt" -key "$C/rsa.key" </dev/null ||
    fail "openssl s_server -Verify did not start: $(cat "$T/ccreq.log")"

# --- a TCP balancer whose backend is down ----------------------------------------
# The balancer (HAProxy mode tcp, nginx stream) takes the connection,
# reads the ClientHello and closes: no alert, no answer, for any client.
P_dead=$(free_port)
perl -MIO::Socket::INET -e '$SIG{PIPE} = "IGNORE";
	my $s = IO::Socket::INET->new(Listen => 8, LocalAddr => "127.0.0.1",
	    LocalPort => $ARGV[0], ReuseAddr => 1) or die "listen: $!";
	while (my $c = $s->accept) { sysread($c, my $b, 4096); close $c }' "$P_dead" &
PIDS="$PIDS $!"
wait_for 10 perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or exit 1' "$P_dead" ||
    fail "the closing server did not start"

# --- a plain-HTTP port -----------------------------------------------------------
P_plain=$(free_port)
perl -MIO::Socket::INET -e '$SIG{PIPE} = "IGNORE";
	my $s = IO::Socket::INET->new(Listen => 8, LocalAddr => "127.0.0.1",
	    LocalPort => $ARGV[0], ReuseAddr => 1) or die "listen: $!";
	while (my $c = $s->accept) { sysread($c, my $b, 4096);
	    print $c "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"; close $c }' "$P_plain" &
PIDS="$PIDS $!"
wait_for 10 perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or exit 1' "$P_plain" ||
    fail "the plain-text server did not start"

# --- Apache httpd: a large header, and a site with one name --------------
command -v apache2 >/dev/null || fail "apache2 is not installed (Debian package apache2)"
A="$T/apache"
mkdir -p "$A/run"
# Apache's children outlive a parent killed with -9 (and hold this test's
# output open): on any exit, TERM the parent and wait for it first.
APACHE_PID=""
apache_down() {
	[ -n "$APACHE_PID" ] || return 0
	kill -TERM "$APACHE_PID" 2>/dev/null || true
	wait "$APACHE_PID" 2>/dev/null || true
	APACHE_PID=""
}
trap 'apache_down; cleanup' EXIT
tries=0
while :; do
	P_aphead=$(free_port); P_apname=$(free_port)
	{ apache_base "$A" headers; cat; } >"$A/httpd.conf" <<EOF
SSLSessionCache shmcb:$A/run/scache(512000)
Listen 127.0.0.1:$P_aphead https
Listen 127.0.0.1:$P_apname https
# A header set for browsers on the whole site, 9000 bytes of it.
<VirtualHost 127.0.0.1:$P_aphead>
	ServerName $NAME
	SSLEngine on
	SSLCertificateFile $C/rsa.crt
	SSLCertificateKeyFile $C/rsa.key
	Header always set X-Pad1 "$(pad 3000)"
	Header always set X-Pad2 "$(pad 3000)"
	Header always set X-Pad3 "$(pad 3000)"
	ProxyPass "/" "http://127.0.0.1:$P_gw/"
</VirtualHost>
# One name and no ServerAlias, for a device that connects by address.
<VirtualHost 127.0.0.1:$P_apname>
	ServerName $NAME
	SSLEngine on
	SSLCertificateFile $C/rsa.crt
	SSLCertificateKeyFile $C/rsa.key
	ProxyPass "/" "http://127.0.0.1:$P_gw/"
</VirtualHost>
EOF
	: >"$A/error.log"
	apache2 -f "$A/httpd.conf" -DFOREGROUND 2>>"$A/error.log" &
	APACHE_PID=$!
	PIDS="$PIDS $APACHE_PID"
	if wait_for 10 openssl s_client -connect "127.0.0.1:$P_apname" -servername "$NAME" </dev/null; then break; fi
	kill -9 "$APACHE_PID" 2>/dev/null || true
	tries=$((tries + 1))
	grep -q 'Address already in use' "$A/error.log" && [ $tries -lt 5 ] && continue
	fail "apache2 did not start: $(cat "$A/error.log")"
done
t_up=$(date +%s.%N)

# --- the corpus: each case checked once, every profile ---------------------------
echo tth1_nginxdoesnotcheckthecredential0000 >"$T/cred"
# axTLS's connection, on OpenSSL: its four suites, TLS 1.0 to 1.2, no
# ticket; then what verify(fingerprint, name) checks: the leaf's SHA-1
# against the pinned certificate, the name against the DNS SANs and the
# CN as WiFiClientSecure::_verifyDN reads them (axTLS keeps no IP SANs);
# no chain. Then the POST.
cat >"$T/axtls.py" <<'PY'
import hashlib, socket, ssl, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
host, port, name, pinned, path = sys.argv[1:6]
want = hashlib.sha1(ssl.PEM_cert_to_DER_cert(open(pinned).read())).digest()
def match(pat, dom):  # WiFiClientSecure::_matchName
    pat, dom = pat.lower(), dom.lower()
    if "*" not in pat:
        return pat == dom
    if not pat.startswith("*.") or "." not in dom:
        return False
    return pat[2:] == dom.split(".", 1)[1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.set_ciphers("AES128-SHA256:AES256-SHA256:AES256-SHA:AES128-SHA:@SECLEVEL=0")
ctx.options |= ssl.OP_NO_TICKET
try:
    s = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=5),
                        server_hostname=name)
    der = s.getpeercert(binary_form=True)
    if hashlib.sha1(der).digest() != want:
        raise Exception("verify(): the fingerprint does not match")
    cert = x509.load_der_x509_certificate(der)
    try:
        names = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    names += [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if not any(match(n, name) for n in names):
        raise Exception("verify(): %s is not in the DNS SANs or CN %s" % (name, names))
    s.sendall(("POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: 0\r\n\r\n"
               % (path, name, port)).encode())
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        b = s.recv(16384)
        if not b:
            break
        head += b
    status = int(head.split(b" ", 2)[1])
except Exception as e:
    print("fails", str(e).replace("\n", " "))
    sys.exit(1)
# The gateway's 401 (WWW-Authenticate: Device) is the answer to a made-up
# credential: the connection works; any other 401 is a server in front.
auth = [l.split(b":", 1)[1].strip().lower() for l in head.split(b"\r\n")[1:]
        if l.lower().startswith(b"www-authenticate:")]
ok = 200 <= status < 300 or (status == 401 and auth[:1] == [b"device"])
print("connects" if ok else "fails", status)
sys.exit(0 if ok else 1)
PY
# real CASE PROFILE SNI PIN CERT CA: the real stack's verdict into
# $T/CASE.real.PROFILE (CA: the case runs check with --ca; tether send
# pins, so libtether with trust anchors has no real run here)
real() {
	local c=$1 prof=$2 sni=$3 pin=$4 cert=$5 ca=$6 port out=$T/$1.real.$2 name
	eval "port=\$P_$(grep "^case $c " "$CORPUS" | awk '{print $3}')"
	name=${sni:-127.0.0.1}
	set +e
	case $prof in
	tether)
		if [ -n "$ca" ]; then echo "none (tether send pins)" >"$out"; set -e; return; fi
		"$TETHER" send "https://127.0.0.1:$port" --buffer 512 --pin "$pin" \
		    ${sni:+--sni "$sni"} --credential-file "$T/cred" --timeout 5 x >"$out.out" 2>"$out.err"
		if [ $? = 0 ]; then echo connects >"$out"; else echo "fails $(head -c 300 "$out.err")" >"$out"; fi ;;
	esp32-mbedtls)
		"$ESP_TLS" 127.0.0.1 "$port" "$name" "$C/ca.crt" /v1/messages >"$out" 2>&1 ;;
	esp8266-axtls)
		python3 -W ignore "$T/axtls.py" 127.0.0.1 "$port" "$name" "$C/$cert.crt" /v1/messages >"$out" 2>&1 ;;
	esac
	set -e
}
ncase=0
while read -r kw c srv cert opts; do
	[ "$kw" = case ] || continue
	eval "port=\$P_$srv"
	pin=$(spki_pin "$C/$cert.crt")
	opts=${opts//PIN/$pin}
	ca=""
	case " $opts " in *" --ca CA "*) ca=$C/ca.crt; opts=$(echo " $opts " | sed "s| --ca CA | --ca $ca |") ;; esac
	sni=$(echo " $opts " | sed -n 's/.* --sni \([^ ]*\) .*/\1/p')
	# The real stacks while check runs: they share nothing but the
	# server, and the test's time is mostly waiting on handshakes.
	(for prof in tether esp32-mbedtls esp8266-axtls; do real "$c" "$prof" "$sni" "$pin" "$cert" "$ca"; done) &
	real_pid=$!
	set +e
	# shellcheck disable=SC2086  # the options are words
	"$TETHER" check "127.0.0.1:$port" --profile all --json --timeout 5 $opts >"$T/$c.json" 2>"$T/$c.err"
	set -e
	wait "$real_pid" || fail "the real stacks of case $c did not run"
	ncase=$((ncase + 1))
done <"$CORPUS"
t_checked=$(date +%s.%N)

# The table: each row's verdict, cause and words against check's report,
# and against the real stack's verdict where the row says "=".
python3 - "$CORPUS" "$T" <<'PY' || fail "the corpus disagrees with tether check (rows above)"
import json, sys
corpus, tdir = sys.argv[1], sys.argv[2]
profiles = ["tether", "esp8266-bearssl", "esp8266-axtls", "esp32-mbedtls"]
cases, rows, bad, real_n = [], {}, 0, 0
for ln, line in enumerate(open(corpus), 1):
    line = line.split(" #", 1)[0].rstrip() if not line.startswith("#") else ""
    if not line.strip():
        continue
    w = line.split(None, 5)
    if w[0] == "case":
        cases.append(w[1])
        continue
    if len(w) < 5 or w[1] not in profiles or w[2] not in ("connects", "fails") \
            or w[4] not in ("=", "~", "-"):
        sys.exit("%s:%d: not CASE PROFILE connects|fails CAUSE =|~|- [WORDS]" % (corpus, ln))
    rows[(w[0], w[1])] = (ln, w[2], w[3], w[4], w[5].split(" | ") if len(w) > 5 else [])
for c in cases:
    doc = json.load(open("%s/%s.json" % (tdir, c)))
    reports = {r["profile"]: r for r in doc["reports"]}
    for p in profiles:
        if (c, p) not in rows:
            print("MISSING %s %s: no row" % (c, p)); bad += 1; continue
        ln, verdict, cause, real, words = rows[(c, p)]
        r = reports[p]
        got_v = "connects" if r["would_connect"] else "fails"
        kind = "FAIL" if got_v == "fails" else "WARN"
        seen = []
        for f in r["findings"]:
            if f["verdict"] == kind and f["check"] not in seen:
                seen.append(f["check"])
        got_c = "+".join(seen) or "-"
        text = json.dumps(r["findings"])
        why = []
        if (got_v, got_c) != (verdict, cause):
            why.append("check says %s %s" % (got_v, got_c))
        for wd in words:
            if wd.startswith("!") and wd[1:] in text:
                why.append("has '%s'" % wd[1:])
            elif not wd.startswith("!") and wd not in text:
                why.append("lacks '%s'" % wd)
        rv = ""
        if real != "-":
            rl = open("%s/%s.real.%s" % (tdir, c, p)).readline().strip()
            rv = rl.split(" ", 1)[0]
            if real == "=":
                real_n += 1
                if rv != verdict:
                    why.append("the real stack %s" % rl)
            elif rv == verdict:
                why.append("'~' but the real stack agrees now (%s): make it '='" % rl)
        print("%-4s %-10s %-16s %-8s %-28s real %s" % ("ok" if not why else "BAD",
              c, p, verdict, cause, rv or "-"))
        for y in why:
            print("     line %d: %s" % (ln, y))
            if y.startswith("check says") or y.startswith("lacks"):
                print("     " + "; ".join("%s %s: %s" % (f["verdict"], f["check"], f["summary"])
                                          for f in r["findings"] if f["verdict"] != "PASS"))
        bad += bool(why)
for k in rows:
    if k[0] not in cases:
        print("BAD row for an unknown case %s" % k[0]); bad += 1
print("# corpus: %d cases x %d profiles = %d verdicts, %d beside a real stack"
      % (len(cases), len(profiles), len(cases) * len(profiles), real_n))
sys.exit(1 if bad else 0)
PY
ok "the corpus: $ncase cases, every profile's verdict and cause as check_corpus.txt says"

# Resumption beside the real stacks: against session ids off and tickets
# on, mbedTLS resumes (by ticket) and libtether does not, as the table's
# ticket rows say; against the good server both resume.
resumes() { # resumes SERVER: "mbedtls=yes|no libtether=yes|no"
	local port m l
	eval "port=\$P_$1"
	m=$("$ESP_TLS" 127.0.0.1 "$port" "$NAME" "$C/ca.crt" /v1/messages resume) ||
	    fail "esp_tls_client against $1: $m"
	rm -f "$T/sess"
	for i in 1 2; do
		"$TETHER" send "https://127.0.0.1:$port" --buffer 512 --pin "$(spki_pin "$C/rsa.crt")" \
		    --sni "$NAME" --credential-file "$T/cred" --save-session "$T/sess" --stats x \
		    >"$T/send$i.out" 2>&1 || fail "tether send against $1: $(cat "$T/send$i.out")"
	done
	case $m in *" resumed") m=yes ;; *) m=no ;; esac
	if grep -q 'handshake full' "$T/send2.out"; then l=no; else l=yes; fi
	echo "mbedtls=$m libtether=$l"
}
r=$(resumes ticket)
[ "$r" = "mbedtls=yes libtether=no" ] || fail "ticket-only server, the real stacks: $r"
r=$(resumes good)
[ "$r" = "mbedtls=yes libtether=yes" ] || fail "good server, the real stacks: $r"
ok "resumption: mbedTLS resumes by ticket where ids are off, libtether does not, as check says"

# A server that never answers the POST costs one --timeout, not one a
# profile: the first POST waits it out, the later three 0.5 s each
# (CHK_POST_GRACE_MS); with the other probes, at most --timeout + 4 x
# 0.5 s + 6 s for the other probes on a busy machine; unshared it would be
# 4 x 4 s at least (docs/cmd-check.md states the figure).
perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 16,
	LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], ReuseAddr => 1) or die "listen: $!";
	my @held; while (my $c = $s->accept) { push @held, $c }' "$UP" &
UP_PID=$!
PIDS="$PIDS $UP_PID"
wait_for 10 perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or exit 1' "$UP" ||
    fail "the silent upstream did not start"
t0=$(date +%s.%N)
set +e
"$TETHER" check "127.0.0.1:$P_silent" --profile all --json --sni "$NAME" --timeout 4 >"$T/silent.json"; r=$?
set -e
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[ "$r" = 1 ] || fail "silent upstream: exit $r"
awk -v t="$took" 'BEGIN { exit !(t <= 4 + 4 * 0.5 + 6) }' ||
    fail "silent upstream: --profile all took $took s, more than --timeout 4 + 4 x 0.5 s + 6 s"
[ "$(grep -c 'no answer to the request within the time-out (--timeout' "$T/silent.json")" = 4 ] ||
    fail "silent upstream: not every profile says what timed out: $(cat "$T/silent.json")"
grep -q 'an earlier profile.s POST got no answer either' "$T/silent.json" ||
    fail "silent upstream: no word of the shared time-out: $(cat "$T/silent.json")"
echo "# silent upstream, --profile all --timeout 4: $took s (bound 12 s; not shared: 16 s or more)"
kill -TERM "$UP_PID" 2>/dev/null || true
wait "$UP_PID" 2>/dev/null || true
ok "a POST that is never answered: one shared time-out, and the finding says what timed out"

# --profile all in text: one verdict a profile and a summary; exit 0 only
# when every one connects (the JSON's would_connect, in the table).
set +e
"$TETHER" check "127.0.0.1:$P_vhost" --profile all --sni "$NAME" >"$T/all.txt"; r=$?
set -e
[ "$r" = 0 ] || fail "--profile all, all connect: exit $r"
[ "$(grep -c '^verdict: ' "$T/all.txt")" = 5 ] || fail "--profile all: not one verdict a profile: $(cat "$T/all.txt")"
grep -q '^verdict: 4 of 4 profiles would connect' "$T/all.txt" || fail "--profile all: no summary"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert [r["profile"] for r in d["reports"]] == ["tether", "esp8266-bearssl", "esp8266-axtls", "esp32-mbedtls"]
assert [r["would_connect"] for r in d["reports"]] == [True, True, False, True]
assert d["would_connect"] is False' "$T/ecdsa.json" || fail "--profile all JSON: $(cat "$T/ecdsa.json")"
ok "--profile all: one verdict a profile, exit 0 only when every one connects"

# --json when the server cannot be reached: a JSON document, exit 2.
set +e
"$TETHER" check "127.0.0.1:$(free_port)" --profile tether --json >"$T/down.json" 2>/dev/null; r=$?
set -e
[ "$r" = 2 ] || fail "unreachable: exit $r"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); assert d["error"] and d["would_connect"] is False' \
    "$T/down.json" || fail "unreachable: no JSON: $(cat "$T/down.json")"
ok "--json on exit 2 prints a JSON document with the error"

# The text report wraps at 100 columns.
set +e
for c in cc strict ecdsa bighead; do eval "p=\$P_$c"; "$TETHER" check "127.0.0.1:$p" --profile esp8266-axtls >>"$T/wide.txt"; done
set -e
long=$(awk 'length > 100' "$T/wide.txt" "$T/all.txt" | head -3)
[ -z "$long" ] || fail "text lines over 100 characters: $long"
grep -q '^      fix:' "$T/wide.txt" || fail "no fix lines in the text: $(cat "$T/wide.txt")"
ok "text report: no line over 100 characters"

t_end=$(date +%s.%N)
awk -v a="$t_start" -v b="$t_up" -v c="$t_checked" -v d="$t_end" 'BEGIN {
	printf "# time: servers up %.1f s, %d cases checked and run on the real stacks %.1f s, all %.1f s\n",
	    b - a, '"$ncase"', c - b, d - a }'
apache_down
kill -TERM "$NGINX_PID" 2>/dev/null || true
wait "$NGINX_PID" 2>/dev/null || true
