#!/bin/sh
# Installs the Debian packages tether builds and tests with, and only those
# that are missing: `make demo` and `make test` call it first.
set -eu
want="build-essential cmake pkg-config clang libclang-rt-14-dev \
libssl-dev openssl libsqlite3-dev sqlite3 libcmocka-dev libbearssl-dev \
libpq-dev postgresql libmbedtls-dev \
curl python3 nginx-light apache2 haproxy procps valgrind openjdk-17-jdk-headless"
[ "${1:-}" = "--cross" ] && want="$want gcc-arm-none-eabi gcc-xtensa-lx106"
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "error: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
