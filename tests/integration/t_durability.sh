# SPDX-License-Identifier: MIT
# Nothing acknowledged is lost: devices send under load, the gateway is
# killed with SIGKILL, and after a restart every message that got 201 is
# in the store. Then SIGTERM: in-flight messages are answered, exit 0.
. "$(dirname "$0")/lib.sh"

start_gw
provision 8

# Each device sends numbered messages over one kept-alive connection
# (curl with many URLs) and records the seqs that got 201.
device() { # device INDEX
	local i=$1 s=0
	while :; do
		s=$((s + 1))
		code=$(post "${CRED[$i]}" "{\"n\":$s}" "$s" 2>/dev/null) || break
		[ "$code" = 201 ] && echo "$s" >>"$T/acked.$i"
	done
}
for i in 0 1 2 3 4 5 6 7; do device "$i" & PIDS="$PIDS $!"; done
sleep 3
kill -9 "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
sleep 0.5
acked=0
for i in 0 1 2 3 4 5 6 7; do
	[ -f "$T/acked.$i" ] || continue
	for s in $(cat "$T/acked.$i"); do
		acked=$((acked + 1))
		n=$(sql "select count(*) from messages m join devices d on d.id = m.device_id where d.id = '${ID[$i]}' and m.seq = $s")
		[ "$n" = 1 ] || fail "device ${ID[$i]} seq $s got 201 but is not stored"
	done
done
[ $acked -gt 20 ] || fail "only $acked messages acknowledged before the kill: not a load"
ok "SIGKILL under load: all $acked acknowledged messages are in the store"
for p in $PIDS; do [ "$p" = "$GW_PID" ] || kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true

start_gw
[ "$(post "${CRED[0]}" after-restart)" = 201 ] || fail "gateway does not serve after the restart"
ok "the gateway serves again after a restart"

# The duplicate check is rebuilt after the kill (sqlite_seqs.c, "Duplicates":
# snapshot plus the messages after it): a retry of an acknowledged seq is
# a duplicate, the next seq is new.
for i in 0 1 2 3 4 5 6 7; do
	[ -s "$T/acked.$i" ] || continue
	last=$(tail -n 1 "$T/acked.$i")
	[ "$(post "${CRED[$i]}" retry "$last")" = 200 ] ||
		fail "a retry of acknowledged seq $last of ${ID[$i]} after the kill was not a duplicate"
	grep -q '"duplicate":true' "$T/body" || fail "no duplicate flag: $(cat "$T/body")"
	n=$(sql "select count(*) from messages where device_id = '${ID[$i]}' and seq = $last")
	[ "$n" = 1 ] || fail "seq $last of ${ID[$i]} stored $n times"
	[ "$(post "${CRED[$i]}" next $((last + 1000)))" = 201 ] ||
		fail "a new seq after the kill was not stored"
	break
done
ok "after the kill a retried seq is answered 200 duplicate and stored once"

# SIGTERM while devices send: each request either completes or is never
# answered; nothing gets 201 that is not stored, and the exit status is 0.
rm -f "$T"/acked.*
for i in 0 1 2 3; do device "$i" & PIDS="$PIDS $!"; done
sleep 1.5
stop_gw
sleep 0.5
for i in 0 1 2 3; do
	[ -f "$T/acked.$i" ] || continue
	for s in $(cat "$T/acked.$i"); do
		n=$(sql "select count(*) from messages where device_id = '${ID[$i]}' and seq = $s")
		[ "$n" = 1 ] || fail "SIGTERM: seq $s of ${ID[$i]} got 201 but is not stored"
	done
done
grep -q 'event=stopped' "$T/gw.log" || fail "no 'stopped' log line"
ok "SIGTERM under load: in-flight answered, all acknowledged stored, exit 0"
