# SPDX-License-Identifier: MIT
# Request smuggling (#12, the campaign's cases and more): 35 heads with
# ambiguous or malformed framing (CL with TE, two CLs, CL lists, signs,
# hex, obs-fold, bare CR or LF, NUL, ...) each carry a second request that
# only a lenient reading would see. None may be answered (smuggle.py).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
start_gw --workers 1 --app-listen off --admin-listen off
timeout 120 python3 "$TETHER_SRC/tests/integration/smuggle.py" "$PORT" >"$T/smuggle" ||
    { cat "$T/smuggle"; fail "a request was smuggled (or the script failed)"; }
ok "$(tail -n 1 "$T/smuggle")"
stop_gw
