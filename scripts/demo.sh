#!/bin/sh
# SPDX-License-Identifier: MIT
# `make demo`: the gateway on its defaults (./tether.db, a development
# certificate, 127.0.0.1:8443) in build/demo/, a few simulated devices
# talking to it with curl, and what happened, read back from the log and
# the database.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tether="$top/build/tether"
dir="$top/build/demo"
rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"

port=8443
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
	port=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0)->sockport')
	echo "(port 8443 is taken on this machine; the demo uses $port)"
fi
listen=""
[ "$port" = 8443 ] || listen="--listen 127.0.0.1:$port"
# The application API and the metrics, on their defaults when free.
free_or_other() {	# PORT NAME: the port, or a free one
	if (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; then
		p=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0)->sockport')
		echo "(port $1 is taken on this machine; the demo's $2 uses $p)" >&2
		echo "$p"
	else
		echo "$1"
	fi
}
app_port=$(free_or_other 8444 "application API")
admin_port=$(free_or_other 9464 metrics)
[ "$app_port" = 8444 ] || listen="$listen --app-listen 127.0.0.1:$app_port"
[ "$admin_port" = 9464 ] || listen="$listen --admin-listen 127.0.0.1:$admin_port"

if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

say "1. Register five devices: tether provision --count 5 --out devices"
"$tether" provision --count 5 --out devices --label-prefix sensor
ids=$(grep -o '"id": *"[^"]*"' devices/manifest.json | sed 's/.*"\([^"]*\)"$/\1/')
creds=$(grep -o '"credential": *"[^"]*"' devices/manifest.json | sed 's/.*"\([^"]*\)"$/\1/')
echo "devices/manifest.json holds each device's id and secret credential;"
echo "the registry (tether.db) holds only a keyed hash of each credential."

say "2. Start the gateway: tether serve $listen"
# shellcheck disable=SC2086
"$tether" serve $listen >gateway.out 2>gateway.log &
gw=$!
trap 'kill $gw 2>/dev/null || true' EXIT
n=0
until grep -q event=listening gateway.log; do
	n=$((n + 1)); [ $n -lt 100 ] || { cat gateway.log; exit 1; }
	sleep 0.1
done
cat gateway.out
pin=$(grep -m1 'curl --pinnedpubkey' gateway.out | sed 's/.*sha256\/\/\([^ ]*\).*/\1/')

post() { # post CRED BODY SEQ -> status code
	curl -sS -k --max-time 5 --pinnedpubkey "sha256//$pin" -o /dev/null \
	    -w '%{http_code}' -H "Authorization: Device $1" -H "X-Tether-Seq: $3" \
	    --data-binary "$2" "https://127.0.0.1:$port/v1/messages"
}

say "3. Five simulated devices each send three readings over one kept-alive, pinned TLS connection"
i=0
for c in $creds; do
	i=$((i + 1))
	# One curl, three POSTs (--next): the second and third reuse the connection.
	set --
	for s in 1 2 3; do
		[ $s = 1 ] || set -- "$@" --next
		set -- "$@" -sS -k --max-time 5 --pinnedpubkey "sha256//$pin" -o /dev/null \
		    -w "device $i reading $s -> %{http_code} (%{num_connects} new connections)\n" \
		    -H "Authorization: Device $c" -H "X-Tether-Seq: $s" \
		    --data-binary "{\"temp\":2$i.$s}" "https://127.0.0.1:$port/v1/messages"
	done
	curl "$@"
done
c1=$(echo "$creds" | head -n 1)
printf 'device 1 retries reading 3 (same X-Tether-Seq) -> %s (stored once)\n' "$(post "$c1" '{"temp":21.3}' 3)"
printf 'a device with a made-up credential -> %s\n' \
    "$(post tth1_0000000000000000000000000000000000 '{}' 1)"

id5=$(echo "$ids" | tail -n 1)
c5=$(echo "$creds" | tail -n 1)
say "4. Revoke device 5 while the gateway runs: tether device revoke $id5"
"$tether" device revoke "$id5"
sleep 0.5
printf 'device 5 sends again -> %s\n' "$(post "$c5" '{"temp":0}' 4)"

say "5. Would an old ESP8266 (axTLS) connect? tether check handshakes as that device"
"$tether" check "127.0.0.1:$port" --profile esp8266-axtls || true
echo "(the default 'modern' profile refuses it; 'tether serve --profile legacy-esp8266' accepts it)"

say "6. What the gateway logged (one line per event; never a credential)"
grep -v 'event=listening' gateway.log || true

say "7. What the store holds (sqlite3 tether.db)"
sqlite3 -header -column tether.db \
    "select d.id, d.label, d.status, count(m.id) as messages
       from devices d left join messages m on m.device_id = d.id and m.kind = 0
      group by d.id order by d.label;"

id1=$(echo "$ids" | head -n 1)
say "8. Your application reads device 1's messages: tether messages --device $id1 (JSON lines; --follow waits for more)"
"$tether" messages --db tether.db --device "$id1"

say "9. Or over HTTPS, as an application: tether app add dashboard, then GET /v1/messages with its token"
token=$("$tether" app add dashboard 2>/dev/null)
echo "curl -H 'Authorization: Bearer tta1_...' 'https://127.0.0.1:$app_port/v1/messages?device=$id1&limit=2'"
curl -s --cacert tether-state/ecdsa.crt -H "Authorization: Bearer $token" \
    "https://127.0.0.1:$app_port/v1/messages?device=$id1&limit=2"
echo "(the last line's \"next\" is where the next read starts; add &wait=30 to wait for new ones)"

say "10. A command back to device 1: POST /v1/devices/$id1/commands; it rides the answer to the device's next message"
ops=$("$tether" app add ops --scope read,command 2>/dev/null)
curl -s --cacert tether-state/ecdsa.crt -H "Authorization: Bearer $ops" \
    --data-binary 'led on' "https://127.0.0.1:$app_port/v1/devices/$id1/commands?ttl=3600"
devpost() { # devpost SEQ [HEADER]: device 1 posts; prints the answer's status, command headers, body
	curl -sS -k --max-time 5 --pinnedpubkey "sha256//$pin" -D - -o "$1.body" \
	    -H "Authorization: Device $c1" -H "X-Tether-Seq: $1" -H "X-Tether-Commands: 256" \
	    ${2:+-H "$2"} --data-binary '{"temp":21.4}' "https://127.0.0.1:$port/v1/messages" |
	    grep -iE '^(HTTP/|X-Tether-Comm)' | tr -d '\r'
	printf '  body: %s\n' "$(cat "$1.body")"
}
echo "device 1 sends a reading with X-Tether-Commands: 256 (it takes commands of up to 256 bytes):"
devpost 4
echo "device 1 acknowledges it on its next message (X-Tether-Command-Ack: 1):"
devpost 5 "X-Tether-Command-Ack: 1"
curl -s --cacert tether-state/ecdsa.crt -H "Authorization: Bearer $ops" \
    "https://127.0.0.1:$app_port/v1/commands/1" | grep -o '"state":"[a-z]*"'
echo "(libtether does this for a device: tether_client_set_command_buffer, tether_command)"

say "11. Presence: each connection's connected / disconnected, in order with the messages (tether messages --events)"
"$tether" messages --db tether.db --device "$id1" --events | grep '"event"' | head -n 4

say "12. The gateway's metrics, for Prometheus: curl http://127.0.0.1:$admin_port/metrics"
curl -s "http://127.0.0.1:$admin_port/metrics" | grep -E '^tether_(messages_total|handshakes_total|auth_failures_total)'

say "13. Stop the gateway with SIGTERM (in-flight messages are answered first)"
kill -TERM $gw
wait $gw && echo "gateway exited 0"
trap - EXIT
echo
echo "Files are in build/demo/. Next: README.md (the tour), docs/."
