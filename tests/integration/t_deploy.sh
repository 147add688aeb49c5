# SPDX-License-Identifier: MIT
# The deploy files: deploy/tether.service passes systemd-analyze verify
# (with ExecStart pointed at this build's tether and its man pages) and
# keeps the hardening docs/operations.md promises; deploy/haproxy.cfg
# parses and sets no maxconn that a small file limit cannot hold.
. "$(dirname "$0")/lib.sh"
: "${TETHER_BUILD:?set TETHER_BUILD to the build directory}"
U=$TETHER_SRC/deploy/tether.service

for want in '^User=tether$' '^AmbientCapabilities=CAP_NET_BIND_SERVICE$' \
    '^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$' '^ProtectSystem=strict$' \
    '^StateDirectory=tether$' '^ExecReload=/bin/kill -HUP \$MAINPID$' \
    '--db /var/lib/tether/tether.db' '--state-dir /var/lib/tether/state'; do
	grep -qe "$want" "$U" || fail "tether.service lacks $want"
done
ok "the unit: unprivileged, CAP_NET_BIND_SERVICE only, ProtectSystem=strict, state under StateDirectory"

# The unit's ExecStart options are ones tether serve accepts.
for opt in $(sed -n '/^ExecStart=/,/^[^\t]/p' "$U" | grep -o -- '--[a-z-]*' | sort -u); do
	"$TETHER" serve --help | grep -q -- "$opt" || fail "tether serve has no $opt"
done
ok "every option in ExecStart is one tether serve documents"

if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/unit"
	sed "s#/usr/bin/tether#$TETHER#g" "$U" >"$T/unit/tether.service"
	MANPATH=$TETHER_BUILD/man systemd-analyze verify "$T/unit/tether.service" >"$T/verify" 2>&1 ||
	    fail "systemd-analyze verify: $(cat "$T/verify")"
	[ ! -s "$T/verify" ] || fail "systemd-analyze verify warns: $(cat "$T/verify")"
	ok "systemd-analyze verify passes"
else
	echo "# no systemd-analyze here: verify not run"
fi

H=$TETHER_SRC/deploy/haproxy.cfg
! grep -qE '^[[:space:]]*maxconn' "$H" || fail "haproxy.cfg fixes a maxconn (needs a file limit to match)"
if command -v haproxy >/dev/null; then
	haproxy -c -f "$H" >"$T/hc" 2>&1 || fail "haproxy -c: $(cat "$T/hc")"
	ok "haproxy.cfg parses"
	# Under a file limit of 20000 it starts (maxconn derived from the
	# limit); the old fixed "maxconn 50000" did not.
	HP=$(free_port)
	sed "s/bind :443/bind 127.0.0.1:$HP/" "$H" >"$T/hp.cfg"
	(ulimit -Hn 20000 && ulimit -Sn 20000 && exec haproxy -db -f "$T/hp.cfg") >"$T/hp.log" 2>&1 &
	HPID=$!
	PIDS="$PIDS $HPID"
	wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$HP" || fail "haproxy did not start at ulimit -n 20000: $(cat "$T/hp.log")"
	kill "$HPID"; wait "$HPID" 2>/dev/null || true
	sed 's/^global$/global\n\tmaxconn 50000/' "$T/hp.cfg" >"$T/hp50k.cfg"
	set +e
	(ulimit -Hn 20000 && ulimit -Sn 20000 && exec timeout 10 haproxy -db -f "$T/hp50k.cfg") >"$T/hp.log" 2>&1
	[ $? = 1 ] || fail "maxconn 50000 at ulimit -n 20000: want exit 1"
	set -e
	grep -q "Cannot raise FD limit" "$T/hp.log" || fail "maxconn 50000: $(cat "$T/hp.log")"
	ok "haproxy.cfg starts HAProxy under a file limit of 20000 (a fixed maxconn 50000 does not)"
fi
