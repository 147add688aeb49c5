# SPDX-License-Identifier: MIT
# A full ext4 with 1 KiB blocks (Debian's default below 512 MiB) must cost
# the gateway a 503 or a clear refusal to start, never its life (#12, item
# 6). SQLite extends its WAL index (tether.db-shm) a byte per 4 KiB page
# and maps it; with 1 KiB blocks the rest of each page is a hole, and on a
# full disk the first store into one was a SIGBUS. The gateway is started
# with 0, 2, 4, ... KiB left free (before the fix it died at 5 KiB, 9,
# 25, ...) and sent five messages each time; every acknowledged one must
# be there afterwards. Needs root, mkfs.ext4 and a loop mount: skipped
# (exit 77, with the reason) where the container cannot mount.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to mount a small-block ext4 image"; exit 77; }
command -v mkfs.ext4 >/dev/null 2>&1 ||
    { echo "SKIP: mkfs.ext4 is not installed (apt-get install e2fsprogs)"; exit 77; }
command -v sqlite3 >/dev/null 2>&1 ||
    { echo "SKIP: sqlite3 is not installed (apt-get install sqlite3)"; exit 77; }

MNT="$T/mnt"
mkdir -p "$MNT"
truncate -s 8M "$T/fs.img"
mkfs.ext4 -q -F -b 1024 -m 0 "$T/fs.img" || fail "mkfs.ext4 -b 1024 failed"
if ! mount -o loop "$T/fs.img" "$MNT" 2>"$T/mount.err"; then
	echo "SKIP: cannot loop-mount an ext4 image here: $(cat "$T/mount.err")"
	exit 77
fi
GW_PID=""
smallblock_cleanup() {
	if [ -n "$GW_PID" ]; then kill -9 "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true; fi
	umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
	cleanup
}
trap smallblock_cleanup EXIT

GW_DB="$MNT/tether.db"
provision 1
C=${CRED[0]}
start_gw --workers 1 --app-listen off --admin-listen off
[ "$(post "$C" first 1)" = 201 ] || fail "no 201 with a disk that has room"
echo 1 >"$T/acked"
stop_gw

# start_try: starts the gateway; 0 once it listens, 1 if it exited first
# (its log says why).
PORT=$(free_port)
start_try() {
	: >"$T/gw.log"
	"$TETHER" serve --listen "127.0.0.1:$PORT" --db "$GW_DB" \
	    --app-listen off --admin-listen off --state-dir "$T/state" \
	    --workers 1 >"$T/gw.out" 2>>"$T/gw.log" &
	GW_PID=$!
	local n=200
	while [ $n -gt 0 ]; do
		grep -q 'event=listening' "$T/gw.log" && return 0
		kill -0 "$GW_PID" 2>/dev/null || return 1
		sleep 0.1; n=$((n - 1))
	done
	fail "the gateway neither listened nor exited within 20 s"
}

# died FREE WHEN: reaps the gateway; fails if a signal killed it.
died() {
	local rc=0
	wait "$GW_PID" || rc=$?
	GW_PID=""
	[ $rc -le 128 ] || fail "the gateway died of signal $((rc - 128)) with $1 KiB free ($2)"
}

seq_no=10 started=0 refused=0 answered503=0
for free in $(seq 0 2 44); do
	rm -f "$MNT/fill"
	sync
	avail=$(df -k --output=avail "$MNT" | tail -n 1)
	if [ "$avail" -gt "$free" ]; then
		dd if=/dev/zero of="$MNT/fill" bs=1k count=$((avail - free)) 2>/dev/null || true
	fi
	if ! start_try; then
		died "$free" "at start"
		grep -q 'the disk is full' "$T/gw.log" ||
		    fail "with $free KiB free the gateway refused to start without saying the disk is full: $(tail -n 3 "$T/gw.log")"
		refused=$((refused + 1))
		continue
	fi
	started=$((started + 1))
	for i in 1 2 3 4 5; do
		seq_no=$((seq_no + 1))
		code=$(post "$C" "message $seq_no" "$seq_no" || true)
		case $code in
		201) echo "$seq_no" >>"$T/acked" ;;
		503) answered503=$((answered503 + 1)) ;;
		*) kill -0 "$GW_PID" 2>/dev/null || died "$free" "at message $seq_no"
		   fail "answer '$code' with $free KiB free" ;;
		esac
	done
	stop_gw
	GW_PID=""
done
[ $started -gt 0 ] || fail "the gateway never started on the small file system"
[ $answered503 -gt 0 ] || fail "no 503: the disk was never full when the gateway wrote"
rm -f "$MNT/fill"
for s in $(cat "$T/acked"); do
	[ "$(sql "select count(*) from messages where seq = $s")" = 1 ] ||
	    fail "acknowledged seq $s missing"
done
ok "1 KiB-block ext4, 0-44 KiB free: $started starts ($answered503 x 503), $refused refusals saying the disk is full, no signal, $(wc -l <"$T/acked") acknowledged messages all present"
