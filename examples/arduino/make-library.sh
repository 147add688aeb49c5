#!/bin/sh
# SPDX-License-Identifier: MIT
# make-library.sh - assembles the Arduino library "tether" from this tree:
# at the root of src/ what a sketch includes (include/tether.h, the Client
# adapter TetherClient.h and the bearssl.h that tether.h names), and in
# src/internal/ libtether's sources (lib/*.c but the POSIX transport) with
# the headers of lib/ and lib/private/, which no sketch includes; plus the
# example sketches. The library's code is never copied into the repository,
# so there is one source of it.
#
# The includes work unchanged: the IDE compiles src/ and its subfolders
# with src/ on the include path, so the sources find "inner.h" and the
# other internal headers beside them (a quoted include looks in the
# including file's folder first) and "tether.h" and <bearssl.h> at the root.
#
#   sh examples/arduino/make-library.sh DIR     makes DIR/tether/
set -eu
[ $# -eq 1 ] || { echo "usage: sh make-library.sh DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
OUT="$1/tether"
[ -e "$OUT" ] && { echo "error: $OUT exists; remove it first" >&2; exit 1; }
mkdir -p "$OUT/src/internal" "$OUT/examples"
cp "$HERE/library.properties" "$OUT/"
cp "$HERE/src/TetherClient.h" "$HERE/src/TetherClient.cpp" "$OUT/src/"
cp -R "$HERE/examples/Report" "$HERE/examples/DeepSleep" "$OUT/examples/"
cp "$TOP/include/tether.h" "$OUT/src/"
for f in "$TOP"/lib/*.c "$TOP"/lib/*.h "$TOP"/lib/private/*.h; do
	case $f in */posix.c) continue ;; esac
	cp "$f" "$OUT/src/internal/"
done
# tether.h includes <bearssl.h>; the Arduino cores (and ArduinoBearSSL,
# for a core without BearSSL) keep it as <bearssl/bearssl.h>.
cp "$HERE/shim/bearssl.h" "$OUT/src/"
echo "made $OUT: copy it to your Arduino libraries folder, or zip it for"
echo "Sketch > Include Library > Add .ZIP Library"
