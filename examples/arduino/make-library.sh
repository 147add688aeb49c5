#!/bin/sh
# SPDX-License-Identifier: MIT
# make-library.sh - assembles the Arduino library "tether" from this tree:
# libtether's sources (lib/*.c but the POSIX transport, include/tether.h,
# the headers of lib/ and lib/private/, all in one directory),
# the Client adapter and the example sketch. The library's code is never
# copied into the repository, so there is one source of it.
#
#   sh examples/arduino/make-library.sh DIR     makes DIR/tether/
set -eu
[ $# -eq 1 ] || { echo "usage: sh make-library.sh DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
OUT="$1/tether"
[ -e "$OUT" ] && { echo "error: $OUT exists; remove it first" >&2; exit 1; }
mkdir -p "$OUT/src" "$OUT/examples"
cp "$HERE/library.properties" "$OUT/"
cp "$HERE/src/TetherClient.h" "$HERE/src/TetherClient.cpp" "$OUT/src/"
cp -R "$HERE/examples/Report" "$HERE/examples/DeepSleep" "$OUT/examples/"
cp "$TOP/include/tether.h" "$TOP/lib/inner.h" "$OUT/src/"
# lib/private/ last: the library's own headers, beside the public one.
for f in "$TOP"/lib/*.c "$TOP"/lib/*.h "$TOP"/lib/private/*.h; do
	case $f in */posix.c) continue ;; esac
	cp "$f" "$OUT/src/"
done
# The Arduino cores keep BearSSL's header as <bearssl/bearssl.h>.
cat >"$OUT/src/bearssl.h" <<'H'
/* bearssl.h - BearSSL as the ESP8266 Arduino core ships it. */
#include <bearssl/bearssl.h>
H
echo "made $OUT: copy it to your Arduino libraries folder, or zip it for"
echo "Sketch > Include Library > Add .ZIP Library"
