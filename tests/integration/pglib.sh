# SPDX-License-Identifier: MIT
# pglib.sh - a private PostgreSQL server for a test: its own data
# directory and socket directory in a temp dir, a free loopback port, run
# as the postgres user, stopped by pid. Sourced after lib.sh (bash), which
# gives free_port, wait_for, fail and the cleanup trap this extends.
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/postgres" ] || {
	echo "SKIP: the postgresql package is not installed (apt-get install postgresql)"
	exit 77
}
id postgres >/dev/null 2>&1 || { echo "SKIP: no postgres user"; exit 77; }
if [ "$(id -u)" = 0 ]; then
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }	# already an unprivileged user: run as it
fi

# A directory the postgres user owns (lib.sh's $T is private to root).
PGT=$(mktemp -d "${TMPDIR:-/tmp}/tether-pg.XXXXXX")
chmod 755 "$PGT"
[ "$(id -u)" = 0 ] && chown postgres: "$PGT"
PG_PID=""
pg_cleanup() {
	if [ -n "$PG_PID" ]; then kill -9 "$PG_PID" 2>/dev/null || true; fi
	rm -rf "$PGT"
	cleanup
}
trap pg_cleanup EXIT

# pg_init: makes the cluster (trust authentication on the loopback only).
pg_init() {
	as_pg "$PG_BIN/initdb" -D "$PGT/data" -U postgres --auth=trust \
	    -E UTF8 --no-sync >"$PGT/initdb.log" 2>&1 ||
	    { cat "$PGT/initdb.log" >&2; fail "initdb failed"; }
}

# pg_start [PORT]: starts the server (on PORT, else a free one) and waits
# until it takes connections; sets PG_PORT and PG_PID.
pg_start() {
	PG_PORT=${1:-$(free_port)}
	as_pg "$PG_BIN/postgres" -D "$PGT/data" -p "$PG_PORT" -k "$PGT" \
	    -c listen_addresses=127.0.0.1 -c fsync=off \
	    >>"$PGT/server.log" 2>&1 &
	wait_for 20 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" ||
	    { tail -n 20 "$PGT/server.log" >&2; fail "PostgreSQL did not start"; }
	PG_PID=$(head -n 1 "$PGT/data/postmaster.pid")
}

# pg_stop: fast shutdown by pid (open connections are closed), bounded.
pg_stop() {
	kill -INT "$PG_PID"
	local n=150
	while kill -0 "$PG_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -0 "$PG_PID" 2>/dev/null && fail "PostgreSQL did not stop"
	PG_PID=""
}

# pg_createdb NAME: makes a database; prints its URI.
pg_createdb() {
	"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$1" ||
	    fail "createdb $1 failed"
	echo "postgres://postgres@127.0.0.1:$PG_PORT/$1"
}

# pg_sql NAME SQL: runs SQL in database NAME, prints rows unaligned.
pg_sql() {
	"$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres \
	    -d "$1" -c "$2"
}
