# SPDX-License-Identifier: MIT
# The deploy files: deploy/tether.service passes systemd-analyze verify
# (with ExecStart pointed at this build's tether and its man pages) and
# keeps the hardening docs/operations.md promises; deploy/haproxy.cfg
# parses and sets no maxconn that a small file limit cannot hold;
# deploy/certbot-deploy-hook.sh installs a renewed lineage where the unit
# reads it and reloads; every tracked source file has its SPDX line.
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

# The certbot deploy hook, on a fake lineage laid out as certbot's
# (live/NAME/*.pem links into archive/NAME/), with systemctl a stub that
# records its arguments: the files land in TETHER_CERT_DIR under the
# names the unit passes, mode 0640, and the unit is reloaded.
HOOK=$TETHER_SRC/deploy/certbot-deploy-hook.sh
for n in ecdsa rsa; do
	grep -q -- "--cert /etc/tether/$n.crt --key /etc/tether/$n.key" "$U" ||
	    fail "tether.service does not read /etc/tether/$n.crt/.key (the hook writes those)"
done
mkdir -p "$T/le/archive/gw" "$T/le/live/gw" "$T/le/archive/gwrsa" "$T/le/live/gwrsa" "$T/etc" "$T/bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=gw \
    -keyout "$T/le/archive/gw/privkey1.pem" -out "$T/le/archive/gw/fullchain1.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=gwrsa \
    -keyout "$T/le/archive/gwrsa/privkey1.pem" -out "$T/le/archive/gwrsa/fullchain1.pem" 2>/dev/null
for l in gw gwrsa; do
	chmod 0600 "$T/le/archive/$l/privkey1.pem"
	ln -s "../../archive/$l/privkey1.pem" "$T/le/live/$l/privkey.pem"
	ln -s "../../archive/$l/fullchain1.pem" "$T/le/live/$l/fullchain.pem"
done
printf '#!/bin/sh\necho "$*" >>"%s/systemctl.calls"\n' "$T" >"$T/bin/systemctl"
chmod +x "$T/bin/systemctl"
me=$(id -un); grp=$(id -gn)
hook() {
	env "$@" PATH="$T/bin:$PATH" TETHER_CERT_DIR="$T/etc" \
	    TETHER_CERT_OWNER="$me" TETHER_CERT_GROUP="$grp" sh "$HOOK"
}

set +e
hook -u RENEWED_LINEAGE >"$T/hook.out" 2>&1; rc=$?
set -e
[ $rc = 1 ] || fail "hook without RENEWED_LINEAGE: exit $rc, want 1"
grep -q "RENEWED_LINEAGE is not set" "$T/hook.out" || fail "hook without RENEWED_LINEAGE: $(cat "$T/hook.out")"
[ ! -e "$T/systemctl.calls" ] || fail "hook without RENEWED_LINEAGE reloaded the unit"
[ -z "$(ls -A "$T/etc")" ] || fail "hook without RENEWED_LINEAGE wrote $(ls -A "$T/etc")"
ok "the certbot hook without RENEWED_LINEAGE: refused, says why, nothing written or reloaded"

hook RENEWED_LINEAGE="$T/le/live/gw" >"$T/hook.out" 2>&1 || fail "hook: $(cat "$T/hook.out")"
hook RENEWED_LINEAGE="$T/le/live/gwrsa" >>"$T/hook.out" 2>&1 || fail "hook (rsa): $(cat "$T/hook.out")"
for pair in "ecdsa gw" "rsa gwrsa"; do
	set -- $pair
	cmp -s "$T/etc/$1.crt" "$T/le/archive/$2/fullchain1.pem" || fail "$1.crt is not the lineage's fullchain.pem"
	cmp -s "$T/etc/$1.key" "$T/le/archive/$2/privkey1.pem" || fail "$1.key is not the lineage's privkey.pem"
	for f in "$T/etc/$1.crt" "$T/etc/$1.key"; do
		[ ! -L "$f" ] || fail "$f is a link (the gateway's user cannot follow it into archive/)"
		m=$(stat -c '%a %U %G' "$f")
		[ "$m" = "640 $me $grp" ] || fail "$f: $m, want 640 $me $grp"
	done
done
[ "$(ls -A "$T/etc" | sort | tr '\n' ' ')" = "ecdsa.crt ecdsa.key rsa.crt rsa.key " ] ||
    fail "hook left $(ls -A "$T/etc")"
[ "$(cat "$T/systemctl.calls")" = "reload tether
reload tether" ] || fail "systemctl calls: $(cat "$T/systemctl.calls")"
ok "the certbot hook: fullchain/privkey to ecdsa.* and rsa.* by key type, 0640, group set, then systemctl reload tether"

# What it copied is a pair the gateway serves.
start_gw --cert "$T/etc/ecdsa.crt" --key "$T/etc/ecdsa.key" --cert "$T/etc/rsa.crt" --key "$T/etc/rsa.key"
echo | openssl s_client -connect "127.0.0.1:$PORT" 2>/dev/null | grep -q 'subject=.*CN *= *gw$' ||
    fail "the gateway does not serve the hook's ecdsa.crt"
ok "the gateway serves the files the hook installed"
stop_gw

# Licence: every tracked file names it in its first three lines (after a
# shebang), but these, each for its reason:
#   LICENSE                  the licence itself
#   *.md                     prose, not source (README, docs/, whose
#                            cmd-*.md become the man pages)
#   fuzz/corpus/*            seed inputs: bytes fed to a parser as they
#                            are; a header would change what they test
#   library.json             PlatformIO's manifest, JSON (no comments):
#                            it says "license": "MIT" instead
#   examples/arduino/library.properties  the Arduino IDE's manifest: it
#                            says license=MIT instead
if git -C "$TETHER_SRC" rev-parse --git-dir >/dev/null 2>&1; then
	missing=$(git -C "$TETHER_SRC" ls-files | while read -r f; do
		case $f in
		LICENSE | *.md | fuzz/corpus/* | library.json | examples/arduino/library.properties) continue ;;
		esac
		[ -f "$TETHER_SRC/$f" ] || continue	# deleted, not yet committed
		head -n 3 "$TETHER_SRC/$f" | grep -q 'SPDX-License-Identifier: MIT' || echo "$f"
	done)
	[ -z "$missing" ] || fail "no SPDX-License-Identifier: MIT line in: $missing"
	grep -q '"license": *"MIT"' "$TETHER_SRC/library.json" || fail "library.json does not say MIT"
	grep -qx 'license=MIT' "$TETHER_SRC/examples/arduino/library.properties" || fail "library.properties does not say MIT"
	ok "every tracked source file carries SPDX-License-Identifier: MIT (the manifests say MIT in their own fields)"
else
	echo "# not a git checkout: the SPDX check needs git ls-files"
fi
