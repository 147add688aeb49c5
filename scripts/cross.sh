#!/bin/sh
# SPDX-License-Identifier: MIT
# cross.sh - `make cross`: compiles libtether's own code (lib/*.c, not
# BearSSL, not the POSIX transport) for the Cortex-M4 and the ESP8266 with
# warnings as errors, prints .text/.data/.bss and the code a device links.
# The budgets are the whole image's, BearSSL included, in make target-test
# (tests/target/run.sh). Installs nothing: scripts/deps.sh does.
# Flag lists and tool prefixes are split into words on purpose:
# shellcheck disable=SC2086
set -eu

# What a device calls; --gc-sections keeps these and what they reach.
# tether_strerror, tether_error_detail, tether_config_set_log,
# tether_pin_parse and the credential schemes are linked only if called.
DEVICE_CALLS="tether_config_init tether_config_set_host tether_config_add_pin
tether_config_set_credential tether_client_init tether_send tether_close
tether_last_error tether_set_seq tether_session_save tether_session_restore"

# libc functions the library may call on bare metal; anything else (printf,
# malloc, time) would be a portability regression.
LIBC_ALLOWED="memchr memcmp memcpy memmove memset strchr strlen"

# The library's own C99 flags (CMakeLists.txt), -Os for size.
CFLAGS="-std=c99 -Os -ffunction-sections -fdata-sections -Wall -Wextra
-Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
-Wno-unused-parameter -fno-strict-aliasing"

SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/tether-cross.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM

# BearSSL's headers are plain C99 (stddef.h, stdint.h, string.h only), but
# -I/usr/include would also bring the host's C library headers in ahead of
# the target's: a directory of links to BearSSL's headers alone avoids it.
mkdir -p "$W/bearssl"
for h in /usr/include/bearssl.h /usr/include/bearssl; do
	[ -e "$h" ] || { echo "error: $h not found (apt-get install libbearssl-dev)" >&2; exit 1; }
	ln -s "$h" "$W/bearssl/"
done

# A toolchain without a C library installed has no <string.h>, and its
# <stdint.h> wants the C library's: give it the C99 declarations (7.21) of
# what the library calls, and GCC's own stdint. The objects are only
# compiled and measured here, never linked into a program.
mkdir -p "$W/libc" "$W/stdint"
echo '#include <stdint-gcc.h>' >"$W/stdint/stdint.h"
cat >"$W/libc/string.h" <<'EOF'
/* string.h - the C99 declarations libtether uses (scripts/cross.sh). */
#ifndef CROSS_STRING_H
#define CROSS_STRING_H
#include <stddef.h>
void *memchr(const void *, int, size_t);
int memcmp(const void *, const void *, size_t);
void *memcpy(void *restrict, const void *restrict, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
char *strchr(const char *, int);
size_t strlen(const char *);
#endif
EOF

# build NAME PREFIX FLAGS: compiles into $W/NAME, prints the sizes; sets
# DEVICE_TEXT to the code a device links.
build() {
	name=$1 prefix=$2 flags=$3
	cc=${prefix}gcc
	out="$W/$name"
	mkdir -p "$out"
	libc_inc=""
	libc_note="the toolchain's own C library headers"
	if ! echo '#include <string.h>' | $cc $flags -x c -E - >/dev/null 2>&1; then
		libc_inc="-isystem $W/libc"
		libc_note="no C library for this target: string.h from C99's declarations"
	fi
	if ! echo '#include <stdint.h>' | $cc $flags -x c -E - >/dev/null 2>&1; then
		libc_inc="$libc_inc -isystem $W/stdint"
	fi
	for f in "$SRC"/lib/*.c; do
		case $f in */posix.c) continue ;; esac
		$cc $CFLAGS $flags -I"$SRC/include" -I"$SRC/lib/private" \
		    -I"$W/bearssl" $libc_inc \
		    -c "$f" -o "$out/$(basename "$f" .c).o"
	done
	echo "== $name: $cc $flags -Os ($libc_note)"
	${prefix}size -t "$out"/*.o | sed "s|$out/||"
	code_all=$(${prefix}size -A "$out"/*.o | awk '$1 ~ /^\.text/ { t += $2 } END { print t + 0 }')
	roots=""
	for s in $DEVICE_CALLS; do roots="$roots -u $s"; done
	${prefix}ld -r --gc-sections $roots -e tether_send "$out"/*.o -o "$W/$name.device.o"
	DEVICE_TEXT=$(${prefix}size -A "$W/$name.device.o" | awk '$1 ~ /^\.text/ { t += $2 } END { print t + 0 }')
	device_ro=$(${prefix}size -A "$W/$name.device.o" | awk '$1 ~ /^\.rodata/ { t += $2 } END { print t + 0 }')
	echo "code (.text) of every object: $code_all bytes; the size column above also counts .rodata (tether_strerror's sentences are most of it)"
	echo "a device's link (--gc-sections, the core calls): .text $DEVICE_TEXT bytes, .rodata $device_ro bytes"
	undef=$(${prefix}nm -u "$W/$name.device.o" | awk '{ print $NF }' | sort -u)
	bad=""
	for s in $undef; do
		case $s in br_*|__*) continue ;; esac
		ok=0
		for a in $LIBC_ALLOWED; do [ "$s" = "$a" ] && ok=1; done
		[ $ok = 1 ] || bad="$bad $s"
	done
	if [ -n "$bad" ]; then
		echo "error: $name: libtether calls C library functions a bare-metal device may lack:$bad" >&2
		exit 1
	fi
	echo "C library calls: $(echo "$undef" | grep -v '^br_' | tr '\n' ' ')"
	echo
}

found=0
if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
	found=1
	build cortex-m4 arm-none-eabi- "-mcpu=cortex-m4 -mthumb"
else
	echo "warning: arm-none-eabi-gcc not found: no Cortex-M4 build (apt-get install gcc-arm-none-eabi)" >&2
fi
if command -v xtensa-lx106-elf-gcc >/dev/null 2>&1; then
	found=1
	build esp8266 xtensa-lx106-elf- "-mlongcalls"
else
	echo "warning: xtensa-lx106-elf-gcc not found: no ESP8266 build (apt-get install gcc-xtensa-lx106)" >&2
fi
if [ $found = 0 ]; then
	echo "error: no cross compiler found; scripts/deps.sh --cross installs them" >&2
	exit 1
fi
exit 0
