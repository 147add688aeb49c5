#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages tether builds and tests with, and only those
# that are missing: `make demo` and `make test` call it first.
set -eu
want="build-essential cmake pkg-config clang libclang-rt-14-dev lowdown \
libssl-dev openssl libsqlite3-dev sqlite3 libcmocka-dev libbearssl-dev \
libpq-dev postgresql libmbedtls-dev \
curl python3 mosquitto mosquitto-clients libmosquitto-dev nginx-light apache2 haproxy procps valgrind openjdk-17-jdk-headless"
cross="gcc-arm-none-eabi gcc-xtensa-lx106"
# --target: make target-test's images (tests/target/): the cross compilers,
# their C library, QEMU, and apt-get source for BearSSL's Debian package.
target="$cross picolibc-arm-none-eabi picolibc-xtensa-lx106-elf \
qemu-system-arm qemu-system-misc dpkg-dev"
case "${1:-}" in
--cross) want="$want $cross" ;;
--target) want="$want $target" ;;
# --bench: make bench's peers beyond the test set (bench/scale.sh's Redis)
# and bench/where.sh's profiler
--bench) want="$want redis-server linux-perf" ;;
esac

# apt-get source needs a deb-src entry for the suite the machine runs: made
# from the deb822 .sources files' own deb entries when there is none.
add_deb_src() {
	grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 1
	if [ "$(id -u)" -ne 0 ]; then
		echo "error: no deb-src entry in /etc/apt: apt-get source bearssl cannot work (run as root)" >&2
		exit 1
	fi
	for f in /etc/apt/sources.list.d/*.sources; do
		grep -q 'deb.debian.org' "$f" || continue
		sed 's/^Types: deb$/Types: deb-src/' "$f"
		echo
	done >/etc/apt/tether-deb-src.tmp
	mv /etc/apt/tether-deb-src.tmp /etc/apt/sources.list.d/tether-deb-src.sources
	echo "deps: added /etc/apt/sources.list.d/tether-deb-src.sources for apt-get source"
}
src_added=0
if [ "${1:-}" = "--target" ] && add_deb_src; then src_added=1; fi
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	[ $src_added = 1 ] && apt-get update -qq
	exit 0
fi
echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "error: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
