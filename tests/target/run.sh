#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - `make target-test`: libtether and BearSSL built for each target,
# run under QEMU against the real gateway over a UART (bridge.py), and its
# footprint (flash, static RAM, painted stack) checked against the budgets.
#   TARGET_UPDATE_DOCS=1 also rewrites the figures in docs/device-library.md.
# Each image is compiled for its run with a generated target_conf.h (the
# gateway's port and pin, its device's credential, a revoked one, a seed);
# its UART (QEMU -serial tcp:) carries frames (frame.h) that bridge.py
# turns into TCP connections to the gateway and report lines. The image
# checks each step itself and exits non-zero (semihosting, simcall) if one
# failed; this script checks the store and the figures it reported.
# Flag lists are split into words on purpose:
# shellcheck disable=SC2086
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
export TETHER_SRC=${TETHER_SRC:-$(cd "$HERE/../.." && pwd)}
export TETHER=${TETHER:-$TETHER_SRC/build/tether}
OUT=${TARGET_OUT:-$TETHER_SRC/build/target}
. "$TETHER_SRC/tests/integration/lib.sh"

# Budgets, set from the measurement with a small margin: a run that needs
# more fails. Static RAM is .data + .bss (client, config, record buffer,
# the test's own few bytes); stack is the deepest of the measured calls;
# flash is the whole image, BearSSL included (TETHER_PROFILE_DEFAULT: every
# suite, so every BearSSL algorithm).
# Measured 2026-12 (docs/device-library.md), flash / static RAM / stack:
# cortex-m4 64,056 / 5,820 / 3,492; lx106 87,238 / 5,812 / 5,136.
declare -A BUDGET_FLASH=([cortex-m4]=64512 [lx106]=88064)
declare -A BUDGET_RAM=([cortex-m4]=6000 [lx106]=6000)
declare -A BUDGET_STACK=([cortex-m4]=3712 [lx106]=5376)

LIB_SRC=""
for f in "$TETHER_SRC"/lib/*.c; do
	case $f in */posix.c) ;; *) LIB_SRC="$LIB_SRC $f" ;; esac
done
WARN="-std=c99 -Wall -Wextra -Werror -Wno-unused-parameter -fno-strict-aliasing"

# target_cortex_m4 / target_lx106: set CC, CFLAGS, LDFLAGS and QEMU (the
# command line but -serial and -kernel).
target_cortex_m4() {
	CC=arm-none-eabi-gcc
	CFLAGS="-mcpu=cortex-m4 -mthumb -Os --specs=picolibc.specs"
	LDFLAGS="-nostartfiles -T $HERE/cortex-m4/link.ld"
	QEMU="qemu-system-arm -M mps2-an386 -semihosting"
}
target_lx106() {
	CC=xtensa-lx106-elf-gcc
	# BR_LOMUL: BearSSL's code for a chip without a 32x32->64 multiply
	# (the lx106 has none): faster there, and deeper in the stack.
	CFLAGS="-DBR_LOMUL=1 -mlongcalls -Os --specs=/usr/lib/xtensa-lx106-elf/picolibc.specs"
	LDFLAGS="-nostartfiles -T $HERE/lx106/link.ld"
	QEMU="qemu-system-xtensa -M sim -cpu lx106 -semihosting"
}

for tool in arm-none-eabi-gcc xtensa-lx106-elf-gcc qemu-system-arm qemu-system-xtensa python3; do
	command -v $tool >/dev/null || fail "$tool not found: sh scripts/deps.sh --target installs it"
done

TARGETS=${TARGETS:-cortex-m4 lx106}

# The gateway; a device for each target and a revoked one.
start_gw
provision 4
"$TETHER" device revoke "${ID[0]}" --db "$GW_DB" 2>/dev/null || fail "revoke failed"
hexbytes() { od -An -v -tx1 | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1, /g' | tr -d '\n'; }

# write_conf DIR DEVICE: what the image links in: host, port, pin, the
# credentials (its own, the revoked one) and a random seed for BearSSL.
write_conf() {
	mkdir -p "$1"
	{
		echo "/* target_conf.h - written by tests/target/run.sh for one run */"
		echo "#define CONF_HOST \"127.0.0.1\""
		echo "#define CONF_PORT $PORT"
		echo "#define CONF_CRED \"${CRED[$2]}\""
		echo "#define CONF_CRED_REVOKED \"${CRED[0]}\""
		echo "static const uint8_t conf_pin[32] = { $(echo "$PIN" | base64 -d | hexbytes) };"
		echo "static const uint8_t conf_entropy[32] = { $(head -c 32 /dev/urandom | hexbytes) };"
	} >"$1/target_conf.h"
}

declare -A FIG
status=0

# run_target NAME: build, run, check the story and the store, measure.
run_target() {
	local name=$1 dev=$2 elf="$T/$1.elf" bport src qrc
	target_${name//-/_}
	write_conf "$T/$name.conf" "$dev"
	sh "$HERE/bearssl.sh" "$OUT/bearssl" "$name" "$CC" "$CFLAGS" || fail "$name: BearSSL did not build"
	src=$(ls -d "$OUT"/bearssl/bearssl-*/ | head -n 1)
	$CC $CFLAGS $WARN -ffunction-sections -fdata-sections \
	    -I"$TETHER_SRC/include" -I"$TETHER_SRC/lib/private" -I"${src}inc" \
	    -I"$HERE" -I"$T/$name.conf" $LIB_SRC "$HERE/image.c" "$HERE/ram.c" "$HERE/$name"/*.[cS] \
	    $LDFLAGS -Wl,--gc-sections -L"$OUT/bearssl/$name" -lbearssl \
	    -o "$elf" 2>"$T/$name.cc" || { cat "$T/$name.cc" >&2; fail "$name: the image did not build"; }

	rm -f "$T/$name.port"
	python3 "$HERE/bridge.py" "$T/$name.port" >"$T/$name.out" 2>"$T/$name.bridge" &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$T/$name.port" || fail "$name: the bridge did not start"
	bport=$(cat "$T/$name.port")
	local t0
	t0=$(date +%s%N)
	qrc=0
	timeout -k 5 "${TARGET_TIMEOUT:-120}" $QEMU -nographic ${TARGET_MONITOR:--monitor none} -icount shift=0 \
	    -serial "tcp:127.0.0.1:$bport" -kernel "$elf" \
	    >"$T/$name.qemu" 2>&1 || qrc=$?
	FIG[$name.ms]=$(( ($(date +%s%N) - t0) / 1000000 ))
	sed "s/^/  $name: /" "$T/$name.out"
	[ $qrc = 0 ] || { cat "$T/$name.qemu" "$T/$name.bridge" >&2; fail "$name: the image exited $qrc"; }
	grep -q '^END$' "$T/$name.out" || fail "$name: the story did not end"
	! grep -q '^FAIL' "$T/$name.out" || fail "$name: a step failed"
	ok "$name: the image's story ran to the end, exit 0"
	local rows
	rows=$(sql "select count(*) from messages where device_id = '${ID[$dev]}'")
	[ "$rows" = 3 ] || fail "$name: $rows rows in the store for the device, want 3"
	ok "$name: three rows in the store"
	measure "$name" "$elf"
}

# measure NAME ELF: the footprint, from the image and its report lines.
measure() {
	local name=$1 elf=$2 size=${CC%gcc}size
	FIG[$name.flash]=$($size -A "$elf" | awk '$1 ~ /^\.(vectors|text|literal|rodata|ARM\.exidx|data|irom|reset)/ { t += $2 } END { print t + 0 }')
	FIG[$name.ram]=$($size -A "$elf" | awk '$1 ~ /^\.(data|bss)/ { t += $2 } END { print t + 0 }')
	FIG[$name.stack]=$(sed -n 's/^M .* stack=\([0-9]*\).*/\1/p' "$T/$name.out" | sort -n | tail -n 1)
	local k
	for k in full_handshake resumed_handshake message_kept_alive; do
		FIG[$name.$k.insns]=$(sed -n "s/^M $k insns=\([0-9]*\).*/\1/p" "$T/$name.out")
		FIG[$name.$k.stack]=$(sed -n "s/^M $k .*stack=\([0-9]*\).*/\1/p" "$T/$name.out")
	done
	for k in full_handshake resumed_handshake message; do
		FIG[$name.$k.bytes]=$(sed -n "s/^M $k bytes=\([0-9]*\).*/\1/p" "$T/$name.out")
	done
	echo "$name: flash ${FIG[$name.flash]} B (budget ${BUDGET_FLASH[$name]}), static RAM ${FIG[$name.ram]} B (budget ${BUDGET_RAM[$name]}), peak stack ${FIG[$name.stack]} B (budget ${BUDGET_STACK[$name]}), in all $((FIG[$name.ram] + FIG[$name.stack])) B of RAM; QEMU ran ${FIG[$name.ms]} ms"
	over "$name" flash "${FIG[$name.flash]}" "${BUDGET_FLASH[$name]}"
	over "$name" "static RAM" "${FIG[$name.ram]}" "${BUDGET_RAM[$name]}"
	over "$name" "peak stack" "${FIG[$name.stack]}" "${BUDGET_STACK[$name]}"
}

over() {
	if [ "$3" -gt "$4" ]; then
		echo "FAIL: $1: $2 is $3 bytes, over its budget of $4 (tests/target/run.sh)" >&2
		status=1
	fi
}

# The Arduino adapter, as make-library.sh assembles it, compiles against
# stand-in core headers: for the ESP8266 (its calls on the core's second
# stack) with the lx106 compiler, and for any other core with the host's.
arduino_check() {
	local lib="$T/arduino" src
	src=$(ls -d "$OUT"/bearssl/bearssl-*/ | head -n 1)
	sh "$TETHER_SRC/examples/arduino/make-library.sh" "$lib" >/dev/null
	mkdir -p "$lib/inc" && ln -s "${src}inc" "$lib/inc/bearssl"
	xtensa-lx106-elf-g++ -DARDUINO_ARCH_ESP8266 -Os -mlongcalls -Wall -Wextra -Werror \
	    -I"$HERE/arduino" -I"$lib/inc" -I"$lib/tether/src" \
	    -c "$lib/tether/src/TetherClient.cpp" -o "$T/adapter-esp8266.o" ||
	    fail "the Arduino adapter does not compile for the ESP8266"
	xtensa-lx106-elf-nm "$T/adapter-esp8266.o" | grep -q ' T thunk_tether_send$' ||
	    fail "the ESP8266 adapter does not run tether_send on the second stack"
	g++ -Wall -Wextra -Werror -I"$HERE/arduino" -I"$lib/inc" -I"$lib/tether/src" \
	    -c "$lib/tether/src/TetherClient.cpp" -o "$T/adapter-other.o" ||
	    fail "the Arduino adapter does not compile for other cores"
	grep -q 'tetherSend(' "$lib/tether/examples/Report/Report.ino" ||
	    fail "Report.ino calls tether_send on loop()'s own stack"
	ok "the Arduino adapter compiles (ESP8266: calls on the core's second stack)"
}

dev=1
for name in $TARGETS; do
	run_target "$name" $dev
	dev=$((dev + 1))
done
arduino_check

# The docs table: generated from this run's figures. Flash, static RAM and
# stack do not change from run to run, so the docs must show this build's;
# instructions vary a little with the random keys and are not compared.
footprint_table() {
	local n k label
	printf '| | %s |\n|---|%s\n' "$(echo $TARGETS | sed 's/ / | /g')" "$(for n in $TARGETS; do printf -- '---|'; done)"
	row() { printf '| %s |' "$1"; shift; for n in $TARGETS; do printf ' %s |' "$("$@" "$n")"; done; echo; }
	f_flash() { echo "${FIG[$1.flash]} (budget ${BUDGET_FLASH[$1]})"; }
	f_ram() { echo "${FIG[$1.ram]} (budget ${BUDGET_RAM[$1]})"; }
	f_stack() { echo "${FIG[$1.stack]} (budget ${BUDGET_STACK[$1]})"; }
	f_all() { echo "**$((FIG[$1.ram] + FIG[$1.stack]))**"; }
	row "flash: the whole image, BearSSL included" f_flash
	row "static RAM: \`.data\` + \`.bss\`" f_ram
	row "peak stack, painted" f_stack
	row "RAM in all" f_all
	for k in full_handshake:full_handshake:"full handshake (ECDHE-ECDSA P-256)" \
	    resumed_handshake:resumed_handshake:"resumed handshake (session blob)" \
	    message_kept_alive:message:"one message, kept-alive connection"; do
		label=${k##*:}
		f_call() {
			local c=${k%%:*} b=${k#*:}; b=${b%%:*}
			echo "$(awk -v n="${FIG[$1.$c.insns]}" 'BEGIN { if (n >= 1e6) printf "%.2f M", n / 1e6; else printf "%.1f K", n / 1e3 }') insns, ${FIG[$1.$c.stack]} B stack, ${FIG[$1.$b.bytes]} B on the wire"
		}
		row "$label" f_call
	done
}
DOC="$TETHER_SRC/docs/device-library.md"
if [ "$TARGETS" = "cortex-m4 lx106" ]; then
	footprint_table >"$OUT/footprint.md"
	if [ "${TARGET_UPDATE_DOCS:-0}" = 1 ]; then
		awk -v table="$OUT/footprint.md" '
		    /<!-- target-test: end -->/ { while ((getline l < table) > 0) print l; skip = 0 }
		    !skip { print }
		    /<!-- target-test: begin -->/ { skip = 1 }' "$DOC" >"$T/doc.md"
		cp "$T/doc.md" "$DOC"
		echo "docs/device-library.md: the footprint table is this run's"
	fi
	grep -v insns "$OUT/footprint.md" >"$T/want"
	sed -n '/<!-- target-test: begin -->/,/<!-- target-test: end -->/p' "$DOC" | grep '^|' | grep -v insns >"$T/have"
	if ! diff "$T/have" "$T/want" >&2; then
		echo "FAIL: docs/device-library.md's footprint table is not this build's: TARGET_UPDATE_DOCS=1 make target-test rewrites it" >&2
		status=1
	else
		ok "docs/device-library.md shows this build's footprint"
	fi
fi
stop_gw
exit $status
