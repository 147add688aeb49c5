#!/bin/bash
# SPDX-License-Identifier: MIT
# t_arduino_library.sh - the Arduino library's two manifests agree: the
# Arduino IDE's library.properties (examples/arduino/, copied into the
# library make-library.sh assembles) and PlatformIO's library.json (at the
# top, building lib/ and include/ in place) name the same version, every
# file or folder they name exists, and the assembled library has them.
. "$(dirname "$0")/lib.sh"
SRC=$TETHER_SRC
PROPS=$SRC/examples/arduino/library.properties
JSON=$SRC/library.json

prop() { sed -n "s/^$1=//p" "$PROPS"; }
for k in name version author maintainer sentence paragraph category architectures includes license; do
	[ -n "$(prop "$k")" ] || fail "library.properties has no $k"
done
ok "library.properties has every field the Arduino library format asks for"

# library.json parses, and what it names, as lines: version, headers,
# include dirs and flags' -I dirs, examples' files, exported paths.
python3 - "$JSON" >"$T/json" <<'PY' || fail "library.json does not parse: $(cat "$T/json")"
import json, sys
j = json.load(open(sys.argv[1]))
print("version", j["version"])
print("name", j["name"])
for h in j["headers"]:
    print("header", h)
b = j["build"]
print("dir", b["includeDir"])
for f in b["flags"]:
    if f.startswith("-I"):
        print("dir", f[2:])
for e in j["examples"]:
    for f in e["files"]:
        print("file", e["base"] + "/" + f)
for p in j["export"]["include"]:
    print("path", p)
PY
[ "$(sed -n 's/^version //p' "$T/json")" = "$(prop version)" ] ||
    fail "library.json's version $(sed -n 's/^version //p' "$T/json") is not library.properties' $(prop version)"
[ "$(sed -n 's/^name //p' "$T/json")" = "$(prop name)" ] || fail "the manifests name different libraries"
ok "library.json and library.properties name the same library and version ($(prop version))"

while read -r kind path; do
	case $kind in
	dir) [ -d "$SRC/$path" ] || fail "library.json names $path, not a folder" ;;
	file|path) [ -e "$SRC/$path" ] || fail "library.json names $path, which does not exist" ;;
	header)
		[ -f "$SRC/include/$path" ] || [ -f "$SRC/examples/arduino/src/$path" ] ||
		    fail "library.json's header $path is in none of its include folders" ;;
	esac
done <"$T/json"
# the srcFilter's sources: every C file of lib/ but posix.c, and the adapter
ls "$SRC"/lib/*.c >/dev/null && [ -f "$SRC/examples/arduino/src/TetherClient.cpp" ] ||
    fail "the sources library.json builds are missing"
ok "every file and folder library.json names exists"

# The assembled library: what library.properties says it includes is
# there, and every example library.json lists is in it.
sh "$SRC/examples/arduino/make-library.sh" "$T/lib" >/dev/null || fail "make-library.sh failed"
L=$T/lib/tether
cmp -s "$L/library.properties" "$PROPS" || fail "the assembled library's library.properties is not the tree's"
for h in $(prop includes | tr ',' ' '); do
	[ -f "$L/src/$h" ] || fail "library.properties includes $h, not in the assembled src/"
done
[ -f "$L/src/tether.h" ] || fail "the assembled library has no tether.h"
for f in $(sed -n 's|^file examples/arduino/||p' "$T/json"); do
	[ -f "$L/$f" ] || fail "example $f is in library.json but not in the assembled library"
done
for d in "$L"/examples/*/; do
	grep -q "\"base\": \"examples/arduino/examples/$(basename "$d")\"" "$JSON" ||
	    fail "example $(basename "$d") is not in library.json"
done
ok "the assembled library has what both manifests name"
