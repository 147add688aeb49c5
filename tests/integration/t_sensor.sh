# SPDX-License-Identifier: MIT
# examples/sensor: a Linux device on libtether reports over one kept-alive
# connection, and keeps reporting when the gateway restarts under it, with
# no report stored twice; a quick restart of the sensor never repeats a
# sequence number (its state file); and a sensor whose credential is
# derived on the device from identity.bin and its MAC reports too.
. "$(dirname "$0")/lib.sh"

# Built here from the library of this build; an ASan build's library
# needs the sanitizers at link time too.
SENSOR="$T/sensor"
build_sensor() {
	cc -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror "$@" \
	    -I"$TETHER_SRC/include" -o "$SENSOR" "$TETHER_SRC/examples/sensor/sensor.c" \
	    "$TETHER_BUILD/libtether.a" -lbearssl 2>>"$T/cc.err"
}
build_sensor || build_sensor -fsanitize=address,undefined ||
    fail "examples/sensor does not build: $(cat "$T/cc.err")"
ok "examples/sensor builds against libtether.a"

start_gw
provision 1
( umask 077; printf '%s\n' "${CRED[0]}" >"$T/cred" )
"$SENSOR" -H 127.0.0.1 -p "$PORT" -P "$PIN" -c "$T/cred" -s "$T/sensor.seq" -i 1 >"$T/sensor.out" 2>"$T/sensor.err" &
SENSOR_PID=$!
PIDS="$PIDS $SENSOR_PID"
wait_for 10 sh -c "[ \$(grep -c stored '$T/sensor.out') -ge 3 ]" ||
    fail "sensor did not report 3 times: $(cat "$T/sensor.out" "$T/sensor.err")"
grep -q '^report [0-9]* stored (201), full handshake$' "$T/sensor.out" || fail "first report: $(head -n 1 "$T/sensor.out")"
[ "$(grep -c 'kept alive$' "$T/sensor.out")" -ge 2 ] || fail "reports not kept alive: $(cat "$T/sensor.out")"
ok "sensor reports over one kept-alive connection"

# The gateway restarts on the same port; the sensor carries on.
stop_gw
before=$(grep -c stored "$T/sensor.out")
sleep 1.5
"$TETHER" serve --app-listen off --admin-listen off --listen "127.0.0.1:$PORT" --db "$GW_DB" --state-dir "$T/state" --workers 2 \
    >"$T/gw2.out" 2>"$T/gw2.log" &
GW_PID=$!
PIDS="$PIDS $GW_PID"
wait_for 20 grep -q 'event=listening' "$T/gw2.log" || fail "gateway did not restart: $(cat "$T/gw2.log")"
wait_for 15 sh -c "[ \$(grep -c stored '$T/sensor.out') -ge $((before + 3)) ]" ||
    fail "sensor stopped reporting after the restart: $(tail -n 5 "$T/sensor.out" "$T/sensor.err")"
kill -TERM "$SENSOR_PID"
wait "$SENSOR_PID" || fail "sensor exited $? on SIGTERM"
n=$(grep -c stored "$T/sensor.out")
stored=$(sql "select count(*) from messages where kind = 0")
[ "$stored" = "$n" ] || fail "$n reports acknowledged, $stored stored"
[ "$(sql 'select count(*) - count(distinct seq) from messages where kind = 0')" = 0 ] || fail "a report was stored twice"
ok "sensor survived the gateway restart: $n reports acknowledged and stored once each"

# Restarted at once, twice within a second: each run's report is a new
# one (201), never a repeat of the last run's number dropped as a
# duplicate (200), as when the seq was seeded with time(NULL) * 1000.
last=$(cat "$T/sensor.seq")
for run in 1 2 3; do
	"$SENSOR" -H 127.0.0.1 -p "$PORT" -P "$PIN" -c "$T/cred" -s "$T/sensor.seq" -n 1 \
	    >"$T/quick$run.out" 2>"$T/quick$run.err" || fail "quick run $run: $(cat "$T/quick$run.err")"
	grep -q '^report [0-9]* stored (201), full handshake$' "$T/quick$run.out" ||
	    fail "quick restart $run: $(cat "$T/quick$run.out" "$T/quick$run.err")"
done
seqs=$(cat "$T"/quick[123].out | awk '{ print $2 }' | sort -u | wc -l)
[ "$seqs" = 3 ] || fail "three quick runs used $seqs sequence numbers: $(cat "$T"/quick[123].out)"
[ "$(awk '{ print $2 }' "$T/quick1.out")" -ge "$last" ] || fail "the state file's number was not used"
[ "$(sql 'select count(*) - count(distinct seq) from messages where kind = 0')" = 0 ] || fail "a report was stored twice"
ok "three restarts within a second: three new sequence numbers, each stored (201)"

# A damaged state file stops the sensor rather than guess a number.
echo garbage >"$T/bad.seq"
set +e
"$SENSOR" -H 127.0.0.1 -p "$PORT" -P "$PIN" -c "$T/cred" -s "$T/bad.seq" -n 1 >"$T/bad.out" 2>"$T/bad.err"; rc=$?
set -e
[ $rc = 1 ] && grep -q 'not a sequence number' "$T/bad.err" || fail "damaged state file: exit $rc, $(cat "$T/bad.err")"
ok "a damaged state file is refused"

# The credential derived on the device: identity.bin of the hmac scheme
# and the board's MAC, as the library reads and derives them.
echo 02:00:5e:10:00:01 >"$T/macs.txt"
"$TETHER" provision --db "$GW_DB" --mac-file "$T/macs.txt" --scheme hmac --out "$T/hw" 2>"$T/prov.err" ||
    fail "provision --scheme hmac: $(cat "$T/prov.err")"
hw_id=$(jq -r '.[0].id' "$T/hw/manifest.json")
"$SENSOR" -H 127.0.0.1 -p "$PORT" -P "$PIN" -I "$T/hw/$hw_id/identity.bin" -m 02:00:5e:10:00:01 \
    -s "$T/hw.seq" -n 1 >"$T/hw.out" 2>"$T/hw.err" || fail "sensor -I: $(cat "$T/hw.err")"
grep -q '^report [0-9]* stored (201)' "$T/hw.out" || fail "sensor -I: $(cat "$T/hw.out" "$T/hw.err")"
[ "$(sql "select count(*) from messages where device_id = '$hw_id' and kind = 0")" = 1 ] || fail "not stored under $hw_id"
set +e
"$SENSOR" -H 127.0.0.1 -p "$PORT" -P "$PIN" -I "$T/hw/$hw_id/identity.bin" -m 02:00:5e:10:00:02 \
    -s "$T/hw.seq" -n 1 >"$T/hw.out" 2>"$T/hw.err"; rc=$?
set -e
[ $rc = 1 ] && grep -q 'the image is on the wrong board' "$T/hw.err" || fail "wrong MAC: exit $rc, $(cat "$T/hw.err")"
ok "sensor -I identity.bin -m MAC: derived on the device, stored under $hw_id; another MAC refused"
stop_gw
