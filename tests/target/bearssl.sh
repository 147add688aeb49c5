#!/bin/sh
# SPDX-License-Identifier: MIT
# bearssl.sh - BearSSL for a target image, built from Debian's own source
# package (apt-get source bearssl: needs a deb-src line for the suite, which
# scripts/deps.sh --target adds). Nothing is downloaded from anywhere else
# and nothing of BearSSL's is kept in the repository.
#
#   sh tests/target/bearssl.sh DIR NAME CC "CFLAGS"   makes DIR/NAME/libbearssl.a
# Flag lists are split into words on purpose:
# shellcheck disable=SC2086
set -eu
[ $# -eq 4 ] || { echo "usage: bearssl.sh DIR NAME CC CFLAGS" >&2; exit 2; }
dir=$1 name=$2 cc=$3 flags=$4
out="$dir/$name"
[ -f "$out/libbearssl.a" ] && [ "$(cat "$out/flags" 2>/dev/null)" = "$cc $flags" ] && exit 0

mkdir -p "$dir"
src=$(ls -d "$dir"/bearssl-*/ 2>/dev/null | head -n 1)
if [ -z "$src" ]; then
	(cd "$dir" && apt-get source -qq bearssl >/dev/null 2>"$dir/apt-source.log") || {
		echo "error: apt-get source bearssl failed (is there a deb-src line? scripts/deps.sh --target adds it):" >&2
		cat "$dir/apt-source.log" >&2
		exit 1
	}
	src=$(ls -d "$dir"/bearssl-*/ | head -n 1)
fi

# Bare metal: no OS random source, no clock (the pins need none), no RDRAND.
defs="-DBR_USE_URANDOM=0 -DBR_USE_GETENTROPY=0 -DBR_USE_UNIX_TIME=0 -DBR_RDRAND=0"
rm -rf "$out"
mkdir -p "$out/obj"
# two compilers at a time: the machine is shared
export cc flags defs src out
find "$src"src -name '*.c' -print0 | xargs -0 -P 2 -n 1 sh -c '
	o="$out/obj/$(basename "$(dirname "$0")")_$(basename "$0" .c).o"
	exec $cc $flags $defs -ffunction-sections -fdata-sections \
	    -I"${src}inc" -I"${src}src" -c "$0" -o "$o"' || {
	echo "error: building BearSSL for $name failed" >&2
	exit 1
}
ar=$(echo "$cc" | sed 's/gcc$/ar/')
$ar rcs "$out/libbearssl.a" "$out"/obj/*.o
rm -rf "$out/obj"
echo "$cc $flags" >"$out/flags"
