# SPDX-License-Identifier: MIT
# A credential does not stay in the gateway's memory once its request is
# answered: the request buffer, the worker's scratch space and OpenSSL's
# record buffer are wiped. The test reads the process's memory
# (/proc/PID/mem) and looks for the credential's bytes.
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
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        addr, perms = line.split()[:2]
        if not perms.startswith("r"):
            continue
        lo, hi = (int(x, 16) for x in addr.split("-"))
        try:
            mem.seek(lo)
            n += mem.read(hi - lo).count(needle)
        except (OSError, ValueError, OverflowError):
            pass
print(n)
PY
}

# The scanner finds what is there: a credential in a request still parked
# would be found (here, one whose body has not all arrived).
exec 3> >(timeout 20 openssl s_client -quiet -connect "127.0.0.1:$PORT" \
    -servername localhost >/dev/null 2>&1)
PARKED=$!
printf 'POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Device %s\r\nContent-Length: 10\r\n\r\nabc' \
    "${CRED[1]}" >&3
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

# Messages on one kept-alive connection and on new ones, all answered.
urls="https://localhost:$PORT/v1/messages https://localhost:$PORT/v1/messages https://localhost:$PORT/v1/messages"
# shellcheck disable=SC2086
gw_curl -H "Authorization: Device ${CRED[0]}" --data-binary x -o /dev/null -o /dev/null \
    -o /dev/null -w '%{http_code} ' $urls >"$T/codes"
[ "$(cat "$T/codes")" = "201 201 201 " ] || fail "kept-alive messages: $(cat "$T/codes")"
[ "$(post "${CRED[0]}" one-more)" = 201 ] || fail "message on a new connection"
n=$(count_in_memory "${CRED[0]}")
[ "$n" = 0 ] || fail "the credential is in the gateway's memory $n times after its requests were answered"
ok "4 messages answered: their credential is nowhere in the gateway's memory"
stop_gw
