# SPDX-License-Identifier: MIT
# sigkill.sh - nothing acknowledged is lost, nothing stored twice, across
# ROUNDS (12) SIGKILLs under load (#12): 8 devices post numbered messages
# over keep-alive connections (Python, one thread each) for 3 s, the
# gateway is killed with SIGKILL and started again; each round first sends
# again the previous round's last acknowledged seqs and the one in flight
# at the kill. At the end every acknowledged (device, seq) must be stored
# exactly once. Not part of make test (about a minute):
#   TETHER=build/tether TETHER_SRC=. bash bench/sigkill.sh
. "${TETHER_SRC:-.}/tests/integration/lib.sh"
provision 8
printf '%s\n' "${CRED[@]}" >"$T/creds"
ROUNDS=${ROUNDS:-12}
cat >"$T/load.py" <<'PY'
import http.client, ssl, sys, threading, time
port, creds, round_no, out, secs = int(sys.argv[1]), open(sys.argv[2]).read().split(), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def dev(i):
    acked = []
    # first the previous round's last acknowledged seqs and the one in
    # flight at the kill, again: retries, each must be stored once
    again = []
    try:
        again = [int(x.split()[1]) for x in open("%s.%d" % (out, i)).read().split("\n") if x][-3:]
        again.append(int(open("%s.last.%d" % (out, i)).read()))
    except Exception:
        pass
    seqs = again + list(range(round_no * 1000000, round_no * 1000000 + 999999))
    end = time.time() + secs
    try:
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
        for seq in seqs:
            if time.time() >= end: break
            open("%s.last.%d" % (out, i), "w").write(str(seq))
            c.request("POST", "/v1/messages", body=b'{"n":%d}' % seq,
                      headers={"Authorization": "Device " + creds[i], "X-Tether-Seq": str(seq)})
            r = c.getresponse(); r.read()
            if r.status in (200, 201): acked.append(seq)
    except Exception:
        pass
    with open("%s.%d" % (out, i), "a") as f:
        f.write("".join("%d %d\n" % (i, s) for s in acked))
ts = [threading.Thread(target=dev, args=(i,)) for i in range(len(creds))]
[t.start() for t in ts]; [t.join() for t in ts]
PY
for r in $(seq 1 $ROUNDS); do
	start_gw --workers 2 --app-listen off --admin-listen off
	python3 "$T/load.py" "$PORT" "$T/creds" "$r" "$T/acked" 30 &
	LP=$!
	sleep 3
	kill -9 "$GW_PID"; wait "$GW_PID" 2>/dev/null || true
	wait $LP || true
done
cat "$T"/acked.[0-9] | sort -u >"$T/acked"
acked=$(wc -l <"$T/acked")
sqlite3 "$GW_DB" "select d.rowid-1, m.seq from messages m join devices d on d.id = m.device_id" | tr '|' ' ' | sort >"$T/stored_all"
dups=$(sort "$T/stored_all" | uniq -d | wc -l)
# a device's index is its rowid - 1: provisioned in the manifest's order
sort -u "$T/stored_all" >"$T/stored"
missing=$(comm -23 "$T/acked" "$T/stored" | wc -l)
[ "$missing" = 0 ] && [ "$dups" = 0 ] || fail "acknowledged messages lost or stored twice"
echo "$ROUNDS SIGKILLs under load (8 devices, 3 s each): $acked acknowledged, $missing missing, $dups duplicated; $(wc -l <"$T/stored_all") rows stored"
