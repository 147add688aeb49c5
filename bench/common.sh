# SPDX-License-Identifier: MIT
# common.sh - helpers the benchmark scripts share (sourced, not run).

say() { printf '%s\n' "$*" >&2; }

# Running and not a zombie (kill -0 succeeds on a zombie until it is reaped).
alive() {
	st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# SIGTERM, up to 10 s, then SIGKILL; reaps it if it is our child.
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	i=0
	while alive "$1" && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if alive "$1"; then kill -9 "$1" 2>/dev/null || true; fi
	wait "$1" 2>/dev/null || true
}

# A free loopback port (the argument spreads the fallback when python3 is
# missing).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + $$ % 20000 + $1))
}

# Waits for a listener on the port, at most SECONDS (default 10); exits
# with the server's log if it dies first.
wait_listen() {	# port pid name log [seconds]
	i=0
	until ss -Htln "sport = :$1" | grep -q LISTEN; do
		if ! alive "$2"; then
			say "error: $3 exited before listening on :$1 (log: $4)"
			tail -n 20 "$4" >&2 || true
			exit 1
		fi
		i=$((i + 1))
		[ $i -lt $((${5:-10} * 10)) ] ||
			{ say "error: $3 not listening on :$1 after ${5:-10} s"; exit 1; }
		sleep 0.1
	done
}

# CPU of a process's threads of one name (pthread_setname_np), in clock
# ticks; several names: their sum.
thread_cpu() {	# pid thread-name...
	p=$1; shift
	cat /proc/"$p"/task/*/stat 2>/dev/null |
	    awk -v names="$*" 'BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) want["(" a[i] ")"] = 1 }
		$2 in want { s += $14 + $15 } END { print s + 0 }'
}

# redis_start DIR PORT CERT [--tls]: Redis (Debian's redis-server) as the
# durable peer, under $SRV: every write on the disk before the answer
# (appendonly, appendfsync always), nothing else saved; with --tls on
# PORT over TLS with CERT.crt and CERT.key, else plain TCP. Sets
# REDIS_PID; the caller waits for it (wait_listen).
redis_start() {
	mkdir -p "$1"
	if [ "${4:-}" = --tls ]; then
		set -- "$1" "$2" --port 0 --tls-port "$2" --tls-cert-file "$3.crt" \
		    --tls-key-file "$3.key" --tls-auth-clients no
	else
		set -- "$1" "$2" --port "$2"
	fi
	d=$1; shift 2
	# shellcheck disable=SC2086 # $SRV is a command prefix
	$SRV redis-server "$@" --bind 127.0.0.1 --dir "$d" --save '' \
		--appendonly yes --appendfsync always --daemonize no \
		--logfile "$d/redis.log" >"$d/stderr.log" 2>&1 &
	REDIS_PID=$!
}
