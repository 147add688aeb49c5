#!/bin/bash
# SPDX-License-Identifier: MIT
# t_arduino_library.sh - the Arduino library's two manifests agree: the
# Arduino IDE's library.properties (examples/arduino/, copied into the
# library make-library.sh assembles) and PlatformIO's library.json (at the
# top, building lib/ and include/ in place) name the same version, every
# file or folder they name exists, the assembled library has them with only
# the public headers at src/'s root, and library.json asks for BearSSL only
# on a platform whose core lacks it.
. "$(dirname "$0")/lib.sh"
SRC=$TETHER_SRC
PROPS=$SRC/examples/arduino/library.properties
JSON=$SRC/library.json

prop() { sed -n "s/^$1=//p" "$PROPS"; }
for k in name version author maintainer sentence paragraph category architectures includes license; do
	[ -n "$(prop "$k")" ] || fail "library.properties has no $k"
done
# url and maintainer's address: the format asks for both (url: the
# project's page; maintainer: "Name <address>"). The project names neither
# a page nor an address anywhere yet (docs, library.json, LICENSE), so
# they are checked when set and named as missing until then.
missing=""
if [ -n "$(prop url)" ]; then
	prop url | grep -Eq '^https?://[^ ]+$' || fail "library.properties' url $(prop url) is not an http(s) address"
	home=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("homepage", ""))' "$JSON")
	[ -z "$home" ] || [ "$home" = "$(prop url)" ] ||
	    fail "library.properties' url $(prop url) is not library.json's homepage $home"
else
	missing="url"
fi
if prop maintainer | grep -q '[<>@]'; then
	prop maintainer | grep -Eq '^[^<>]*[^ <>] <[^<> @]+@[^<> @]+\.[^<> @]+>$' ||
	    fail "library.properties' maintainer $(prop maintainer) is not in the form Name <address>"
else
	missing="$missing${missing:+, }maintainer's address"
fi
[ -z "$missing" ] ||
    echo "note: library.properties has no $missing: the project names none to use (set them and this test checks their form)" >&2
ok "library.properties has every field the Arduino library format asks for${missing:+ but $missing (none named by the project)}"

# library.json parses, and what it names, as lines: version, headers,
# include dirs and flags' -I dirs, examples' files, exported paths.
python3 - "$JSON" >"$T/json" 2>&1 <<'PY' || fail "$(tail -n 1 "$T/json")"
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except ValueError as e:
    sys.exit("library.json does not parse: %s" % e)
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
# BearSSL where the platform's core lacks it: ESP8266's core has its own
# (<bearssl/bearssl.h>), ESP32's has none; a dependency without platforms
# applies to every platform.
have = {"espressif8266"}
def plats(d):
    p = d.get("platforms", "*")
    return [p] if isinstance(p, str) else p
bearssl = [d for d in j.get("dependencies", []) if "bearssl" in d["name"].lower()]
for d in bearssl:
    for q in plats(d):
        if q == "*" or q in have:
            sys.exit("library.json's dependency %s applies to %s, whose core has BearSSL" % (d["name"], q))
for q in j["platforms"]:
    if q not in have and not any(q in plats(d) for d in bearssl):
        sys.exit("library.json names no BearSSL dependency for %s, whose core has none" % q)
    print("bearssl", q, "core" if q in have else "dependency")
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
ok "every file and folder library.json names exists; BearSSL: $(sed -n 's/^bearssl //p' "$T/json" | tr '\n' ',' | sed 's/,$//; s/,/, /g')"

# The assembled library: what library.properties says it includes is
# there, and every example library.json lists is in it.
sh "$SRC/examples/arduino/make-library.sh" "$T/lib" >/dev/null || fail "make-library.sh failed"
L=$T/lib/tether
cmp -s "$L/library.properties" "$PROPS" || fail "the assembled library's library.properties is not the tree's"
for h in $(prop includes | tr ',' ' '); do
	[ -f "$L/src/$h" ] || fail "library.properties includes $h, not in the assembled src/"
done
[ -f "$L/src/tether.h" ] || fail "the assembled library has no tether.h"
# at src/'s root only what a sketch includes: tether.h, the adapter and
# the bearssl.h tether.h names; libtether's sources and headers inside
# src/internal/ (the IDE compiles subfolders, with only src/ on the path)
root=$(cd "$L/src" && ls | tr '\n' ' ')
[ "$root" = "TetherClient.cpp TetherClient.h bearssl.h internal tether.h " ] ||
    fail "the assembled library's src/ holds $root, not only the public headers and internal/"
for f in "$SRC"/lib/*.c "$SRC"/lib/*.h "$SRC"/lib/private/*.h; do
	case $f in */posix.c) continue ;; esac
	cmp -s "$f" "$L/src/internal/$(basename "$f")" ||
	    fail "the assembled library's src/internal/ lacks lib's $(basename "$f")"
done
[ ! -e "$L/src/internal/posix.c" ] || fail "the assembled library has the POSIX transport"
for f in $(sed -n 's|^file examples/arduino/||p' "$T/json"); do
	[ -f "$L/$f" ] || fail "example $f is in library.json but not in the assembled library"
done
for d in "$L"/examples/*/; do
	grep -q "\"base\": \"examples/arduino/examples/$(basename "$d")\"" "$JSON" ||
	    fail "example $(basename "$d") is not in library.json"
done
ok "the assembled library has what both manifests name, and only the public headers at src/'s root"
