#!/bin/sh
# SPDX-License-Identifier: MIT
# man.sh TETHER VERSION SRC OUT: the man pages, generated from the docs at
# build time with lowdown (Debian package lowdown): tether-NAME.1 from
# docs/cmd-NAME.md for every command `tether --help` lists, and tether.1
# from that list. CMake runs it (the `man` target); nothing is kept in git.
set -eu
tether=$1 version=$2 src=$3 out=$4
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
mkdir -p "$out"
cmds=$("$tether" --help | sed -n 's/^  \([a-z]*\)  *\(.*\)$/\1/p')

page() {	# page NAME MARKDOWN-ON-STDIN
	lowdown -s -Tman -M "title=$1" -M section=1 -M "date=$date" \
	    -M "source=tether $version" -M "manual=tether manual" \
	    -o "$out/$1.1.tmp"
	mv "$out/$1.1.tmp" "$out/$1.1"
}

for c in $cmds; do
	md="$src/docs/cmd-$c.md"
	[ -f "$md" ] || { echo "man.sh: no $md for 'tether $c'" >&2; exit 1; }
	summary=$("$tether" --help | sed -n "s/^  $c  *//p")
	{
		printf '# NAME\n\ntether-%s - %s\n\n# DESCRIPTION\n' "$c" "$summary"
		sed '1{/^# /d}' "$md"
		printf '\n# SEE ALSO\n\ntether(1); the documentation in the docs/ of tether, installed under share/doc/tether.\n'
	} | page "tether-$c"
done
{
	printf '# NAME\n\ntether - a TLS gateway for devices, and its tools\n\n'
	printf '# SYNOPSIS\n\n`tether` *command* [*options*]\n\n`tether --version`\n\n'
	printf '# COMMANDS\n\n'
	"$tether" --help | sed -n 's/^  \([a-z]*\)  *\(.*\)$/**\1**\n:   \2\n/p'
	printf '\nEach command has its page: `man tether-COMMAND`, and `tether COMMAND --help`.\n\n'
	printf '# SEE ALSO\n\n'
	for c in $cmds; do printf 'tether-%s(1), ' "$c"; done
	printf 'and operations.md in share/doc/tether (deploy, upgrade, backup, restore).\n'
} | page tether
