# examples/sensor: a Linux device on libtether reports over one kept-alive
# connection, and keeps reporting when the gateway restarts under it, with
# no report stored twice.
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
"$SENSOR" -H 127.0.0.1 -p "$PORT" -P "$PIN" -c "$T/cred" -i 1 >"$T/sensor.out" 2>"$T/sensor.err" &
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
"$TETHER" serve --listen "127.0.0.1:$PORT" --db "$GW_DB" --state-dir "$T/state" --workers 2 \
    >"$T/gw2.out" 2>"$T/gw2.log" &
GW_PID=$!
PIDS="$PIDS $GW_PID"
wait_for 20 grep -q 'event=listening' "$T/gw2.log" || fail "gateway did not restart: $(cat "$T/gw2.log")"
wait_for 15 sh -c "[ \$(grep -c stored '$T/sensor.out') -ge $((before + 3)) ]" ||
    fail "sensor stopped reporting after the restart: $(tail -n 5 "$T/sensor.out" "$T/sensor.err")"
kill -TERM "$SENSOR_PID"
wait "$SENSOR_PID" || fail "sensor exited $? on SIGTERM"
n=$(grep -c stored "$T/sensor.out")
stored=$(sql "select count(*) from messages")
[ "$stored" = "$n" ] || fail "$n reports acknowledged, $stored stored"
[ "$(sql 'select count(*) - count(distinct seq) from messages')" = 0 ] || fail "a report was stored twice"
ok "sensor survived the gateway restart: $n reports acknowledged and stored once each"
stop_gw
