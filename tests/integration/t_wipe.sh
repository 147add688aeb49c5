# SPDX-License-Identifier: MIT
# A credential does not stay in the gateway's buffers once its request is
# answered: the request buffer and the worker's scratch space are wiped.
# The test reads the process's memory (/proc/PID/mem) and looks for the
# credential's bytes. (OpenSSL's record buffer is not wiped: DESIGN.md.)
. "$(dirname "$0")/lib.sh"

start_gw --workers 1
provision 2
[ -r "/proc/$GW_PID/mem" ] || { echo "SKIP: cannot read /proc/$GW_PID/mem"; exit 77; }

# count_in_memory TEXT: how many times TEXT is in the gateway's memory.
count_in_memory() {
	python3 - "$GW_PID" "$1" <<'PY'
import re, sys
pid, needle = sys.argv[1], sys.argv[2].encode()
n = 0
where = []
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        addr, perms = line.split()[:2]
        if not perms.startswith("r"):
            continue
        lo, hi = (int(x, 16) for x in addr.split("-"))
        if hi - lo > 1 << 30:   # a sanitizer's shadow: no heap there
            continue
        for at in range(lo, hi, 1 << 20):
            try:
                mem.seek(at)
                # overlap by the needle's length, so no match is split
                buf = mem.read(min(hi - at, (1 << 20) + len(needle) - 1))
                i = buf.find(needle)
                while i >= 0:
                    n += 1
                    where.append((hex(at + i), line.strip(), buf[max(0, i - 64):i]))
                    i = buf.find(needle, i + 1)
            except (OSError, ValueError, OverflowError):
                pass
print(n)
import os
if os.environ.get("WIPE_WHERE"): print(where, file=sys.stderr)
PY
}

# request CRED [MORE]: a POST whose credential straddles byte 512, sent in
# TLS records of 512 bytes (s_client -max_send_frag): OpenSSL decrypts
# each record in a buffer of its own making, so the whole credential can
# only be in the gateway's own buffers (the request buffer, the scratch).
request() {
	local before="POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-Pad: " tail="\r\nAuthorization: Device $1"
	local pad=$((512 - ${#1} / 2 - $(printf '%b' "$before$tail" | wc -c) + ${#1}))
	printf '%b%s%b%s' "$before" "$(head -c "$pad" /dev/zero | tr '\0' p)" "$tail" "${2:-\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx}"
}
sendfrag() { raw "$(request "$@")" -max_send_frag 512; }

# The scanner finds what is there: the credential of a request still
# waiting for its body is in the request buffer.
exec 3> >(timeout 20 openssl s_client -quiet -connect "127.0.0.1:$PORT" \
    -servername localhost -max_send_frag 512 >/dev/null 2>&1)
PARKED=$!
request "${CRED[1]}" '\r\nContent-Length: 10\r\n\r\nabc' >&3
found=0
for _ in $(seq 1 50); do
	found=$(count_in_memory "${CRED[1]}")
	[ "$found" -gt 0 ] && break
	sleep 0.1
done
[ "$found" -gt 0 ] || fail "the scanner does not find a credential still in a request buffer"
exec 3>&-
kill "$PARKED" 2>/dev/null || true
ok "a request not yet complete: its credential is found in memory ($found)"

# Messages, each answered: then the credential is nowhere.
for i in 1 2 3; do
	sendfrag "${CRED[0]}" | grep -q '^HTTP/1.1 201' || fail "message $i not 201"
done
n=$(count_in_memory "${CRED[0]}")
[ "$n" = 0 ] || fail "the credential is in the gateway's memory $n times after its requests were answered"
ok "3 messages answered: their credential is in none of the gateway's buffers"
stop_gw
