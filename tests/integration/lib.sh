# SPDX-License-Identifier: MIT
# lib.sh - what every integration test shares: a private temp directory,
# free loopback ports, starting and stopping the real gateway by pid, curl
# pinned to the gateway's key, bounded waits. Sourced by t_*.sh (bash).
set -eu
: "${TETHER:?set TETHER to the tether binary}"
: "${TETHER_SRC:?set TETHER_SRC to the source tree}"

T=$(mktemp -d "${TMPDIR:-/tmp}/tether-test.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
# CTest runs each test under timeout(1); on its SIGTERM, clean up too.
trap 'echo "FAIL: test timed out" >&2; exit 143' TERM INT

fail() { echo "FAIL: $*" >&2; [ -f "$T/gw.log" ] && tail -n 30 "$T/gw.log" >&2; exit 1; }
ok() { echo "ok - $*"; }

# A port nobody listens on now (the kernel picks it), and never one this
# test was given before: the kernel may pick the same free port twice in
# a row, and a gateway refuses one address for two kinds of client.
free_port() {
	local p
	while :; do
		p=$(perl -MIO::Socket::INET -e \
		    'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0, ReuseAddr => 1)->sockport')
		grep -qx "$p" "$T/.ports" 2>/dev/null || break
	done
	echo "$p" >>"$T/.ports"
	echo "$p"
}

# wait_for SECONDS COMMAND...: retries COMMAND every 0.1 s until it succeeds.
wait_for() {
	local n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1; n=$((n - 1))
	done
	return 1
}

# start_gw [serve options...]: starts the gateway on a free port with its
# database and state in $T; sets PORT, GW_PID, PIN (SPKI sha256 base64 of
# the ECDSA dev key), PIN_RSA, APP_PORT (the application API's listener),
# ADMIN_PORT (metrics).
# Retries if a port was taken meanwhile.
GW_DB="$T/tether.db"
start_gw() {
	local tries=0
	while :; do
		PORT=$(free_port)
		APP_PORT=$(free_port)
		ADMIN_PORT=$(free_port)
		: >"$T/gw.log"
		"$TETHER" serve --listen "127.0.0.1:$PORT" --db "$GW_DB" \
		    --app-listen "127.0.0.1:$APP_PORT" \
		    --admin-listen "127.0.0.1:$ADMIN_PORT" \
		    --state-dir "$T/state" --workers 2 "$@" \
		    >"$T/gw.out" 2>>"$T/gw.log" &
		GW_PID=$!
		PIDS="$PIDS $GW_PID"
		if wait_for 20 grep -qE 'event=listening|"event":"listening"' "$T/gw.log"; then break; fi
		kill -9 "$GW_PID" 2>/dev/null || true
		tries=$((tries + 1))
		grep -qi 'address already in use' "$T/gw.log" && [ $tries -lt 5 ] && continue
		fail "gateway did not start"
	done
	# (with --cert/--key there are no development certificates: the
	# test sets these itself)
	if [ -f "$T/state/ecdsa.crt" ]; then
		PIN=$(spki_pin "$T/state/ecdsa.crt")
		PIN_RSA=$(spki_pin "$T/state/rsa.crt")
		cat "$T/state/ecdsa.crt" "$T/state/rsa.crt" >"$T/ca.pem"
	fi
}

# stop_gw: SIGTERM, and the gateway must exit 0 within 15 s.
stop_gw() {
	kill -TERM "$GW_PID"
	local n=150
	while kill -0 "$GW_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -0 "$GW_PID" 2>/dev/null && fail "gateway did not stop on SIGTERM"
	wait "$GW_PID" || fail "gateway exited $? on SIGTERM"
}

spki_pin() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
	    openssl dgst -sha256 -binary | base64
}

# provision N: registers N devices; CRED[i] and ID[i] (from 0) hold them.
provision() {
	rm -rf "$T/dev"
	"$TETHER" provision --db "$GW_DB" --count "$1" --out "$T/dev" 2>/dev/null ||
	    fail "provision failed"
	CRED=($(grep -o '"credential": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
	ID=($(grep -o '"id": *"[^"]*"' "$T/dev/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'))
	[ ${#CRED[@]} -eq "$1" ] || fail "manifest has ${#CRED[@]} credentials, want $1"
}

# gw_curl ARGS...: curl to the gateway, pinned, bounded.
gw_curl() {
	curl -sS --max-time 10 --cacert "$T/ca.pem" \
	    --pinnedpubkey "sha256//$PIN;sha256//$PIN_RSA" \
	    --resolve "localhost:$PORT:127.0.0.1" "$@"
}

# post CRED BODY [SEQ]: prints the status code of POST /v1/messages.
post() {
	local seq=()
	[ $# -ge 3 ] && seq=(-H "X-Tether-Seq: $3")
	gw_curl -o "$T/body" -w '%{http_code}' -H "Authorization: Device $1" \
	    "${seq[@]}" --data-binary "$2" "https://localhost:$PORT/v1/messages"
}

# raw REQUEST_BYTES [s_client options...]: sends bytes over TLS, prints
# what the gateway answered (s_client exits when the gateway closes).
raw() {
	local req=$1; shift
	{ printf '%b' "$req"; sleep "${RAW_WAIT:-1}"; } |
	    timeout 15 openssl s_client -quiet -connect "127.0.0.1:$PORT" \
	    -servername localhost "$@" 2>/dev/null || true
}

sql() { sqlite3 "$GW_DB" "$1"; }

# apache_base DIR [MODULE...]: the head of an Apache httpd config of its
# own under DIR (its pid, mutex and log there; one process, 16 threads,
# run as nobody) with mod_ssl and the proxy, and the named modules too;
# the caller adds its Listen lines and virtual hosts.
apache_base() {
	local d=$1 m=/usr/lib/apache2/modules mod
	shift
	printf '%s\n' "ServerRoot $d" "PidFile $d/run/httpd.pid" \
	    "Mutex file:$d/run default" "ErrorLog $d/error.log" "LogLevel warn"
	for mod in mpm_event authz_core ssl socache_shmcb "$@" proxy proxy_http; do
		echo "LoadModule ${mod}_module $m/mod_$mod.so"
	done
	printf '%s\n' "ServerName localhost" "User nobody" "Group nogroup" \
	    "StartServers 1" "ServerLimit 1" "ThreadsPerChild 16" \
	    "MaxRequestWorkers 16"
}
