# SPDX-License-Identifier: MIT
# make install DESTDIR=... PREFIX=/usr: the binary, libtether.a, tether.h,
# tether.pc, a man page for tether and for every command `tether --help`
# lists, the docs; then a tiny C program built against the installed
# libtether with only `pkg-config --cflags --libs tether` into DESTDIR.
. "$(dirname "$0")/lib.sh"
: "${TETHER_BUILD:?set TETHER_BUILD to the build directory}"
command -v lowdown >/dev/null || { echo "skip: no lowdown (sh scripts/deps.sh)"; exit 77; }

R=$T/root
make -s -C "$TETHER_SRC" install BUILD="$TETHER_BUILD" DESTDIR="$R" PREFIX=/usr \
    >"$T/install.log" 2>&1 || { tail -n 20 "$T/install.log" >&2; fail "make install"; }
[ -x "$R/usr/bin/tether" ] || fail "no usr/bin/tether"
[ "$("$R/usr/bin/tether" --version)" = "$("$TETHER" version)" ] || fail "installed --version"
[ -f "$R/usr/include/tether.h" ] || fail "no usr/include/tether.h"
pc=$(find "$R/usr/lib" -name tether.pc) && [ -n "$pc" ] || fail "no tether.pc"
find "$R/usr/lib" -name libtether.a | grep -q . || fail "no libtether.a"
[ -f "$R/usr/share/doc/tether/operations.md" ] || fail "no docs"
[ -f "$R/usr/share/doc/tether/deploy/tether.service" ] || fail "no deploy files"
ok "make install puts the binary, library, header, tether.pc, docs under DESTDIR"

for c in "" $("$TETHER" --help | sed -n 's/^  \([a-z]*\)  .*/\1/p'); do
	page="$R/usr/share/man/man1/tether${c:+-$c}.1"
	[ -f "$page" ] || fail "no man page $page"
	MANWIDTH=80 man -l "$page" >"$T/page" 2>"$T/man.err" || fail "man -l $page"
	# tbl and troff warn about wide tables (layout); an error is a bad page
	! grep -qiE "error|unknown|not defined|cannot open" "$T/man.err" || fail "man -l $page: $(cat "$T/man.err")"
	grep -q "^NAME" "$T/page" || fail "$page has no NAME"
done
man -l "$R/usr/share/man/man1/tether-db.1" | grep -q "tether db backup" || fail "tether-db.1 lacks backup"
ok "a man page for tether and every command, that man renders"

cat >"$T/hello.c" <<'C'
#include <stdio.h>
#include <tether.h>
int main(void)
{
	struct tether_config cfg;

	tether_config_init(&cfg);
	return tether_config_set_host(&cfg, "gw.example", 443) == 0 ? 0 : 1;
}
C
san=""
grep -q '^TETHER_SANITIZE:BOOL=ON' "$TETHER_BUILD/CMakeCache.txt" && san="-fsanitize=address,undefined"
# (system directories kept: with a sysroot they are inside DESTDIR)
flags=$(PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 PKG_CONFIG_SYSROOT_DIR="$R" PKG_CONFIG_LIBDIR="$(dirname "$pc")" pkg-config --cflags --libs tether) ||
    fail "pkg-config tether"
case "$flags" in *"$R"*) ;; *) fail "pkg-config flags do not point into DESTDIR: $flags" ;; esac
[ "$(PKG_CONFIG_LIBDIR="$(dirname "$pc")" pkg-config --modversion tether)" = "$("$TETHER" version | cut -d' ' -f2)" ] ||
    fail "tether.pc version"
# shellcheck disable=SC2086
cc -std=c99 -Wall -Werror -o "$T/hello" "$T/hello.c" $flags $san 2>"$T/cc.err" || fail "cc: $(cat "$T/cc.err")"
"$T/hello" || fail "the program linked against the installed libtether failed"
ok "a C program compiles and links with pkg-config --cflags --libs tether ($flags)"
