# SPDX-License-Identifier: MIT
# tether provision as a factory uses it: MAC files and their errors, the
# three schemes, the per-device header and flash blob (the header compiles,
# the blob's CRC verifies, the device library derives from them the very
# credential the gateway accepts, and `tether send --identity` gets 201 with
# it), the batch files, and all or nothing.
. "$(dirname "$0")/lib.sh"
: "${TETHER_BUILD:?set TETHER_BUILD to the build directory (for libtether.a)}"

DB="$T/p.db"
devices() { sqlite3 "$DB" 'select count(*) from devices' 2>/dev/null || echo 0; }

# A device's boot, on the host: the library reads identity.bin
# (tether_identity_load checks size, magic, version, CRC and fields),
# derives the credential with the MAC given (as the board would read its
# own) and the program prints "id scheme secret credential".
cat >"$T/boot.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "tether.h"

int
main(int argc, char **argv)
{
	unsigned char b[4096], mac[6] = { 0 };
	struct tether_identity id;
	char cred[TETHER_CREDENTIAL_MAX];
	FILE *fp = fopen(argv[1], "rb");
	size_t n = fp ? fread(b, 1, sizeof(b), fp) : 0;
	int r;

	if ((r = tether_identity_load(&id, b, n)) != 0) {
		fprintf(stderr, "%s\n", tether_strerror(r)); return 1;
	}
	if (argc > 2 && argv[2][0] != '\0')
		sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		    &mac[2], &mac[3], &mac[4], &mac[5]);
	r = tether_identity_credential(&id, argc > 2 && argv[2][0] ? mac : NULL, cred);
	if (r < 0) { fprintf(stderr, "%s\n", tether_strerror(-r)); return 1; }
	printf("%s %d %s %s\n", id.device, id.scheme, id.secret, cred);
	return 0;
}
C
# libtether.a of a sanitizer build needs the sanitizers' run time
san=
nm "$TETHER_BUILD/libtether.a" 2>/dev/null | grep -q __asan_ && san=-fsanitize=address,undefined
cc -std=c99 -Wall -Werror $san -I "$TETHER_SRC/include" -I "$TETHER_SRC/lib/private" \
    -o "$T/boot" "$T/boot.c" "$TETHER_BUILD/libtether.a" -lbearssl ||
    fail "the boot check does not build"

# ---- MAC files: every bad line named, nothing registered ----
cat >"$T/bad.txt" <<'M'
# the first board
24:0a:c4:00:00:01
24:0a:c4:00:00:02   # a comment after the address

24-0a-c4-00-00-03
240ac4000001
24:0a:c4:00:00:0g
01:00:5e:00:00:01
M
set +e
"$TETHER" provision --db "$DB" --mac-file "$T/bad.txt" --scheme hmac --out "$T/b0" 2>"$T/err"
rc=$?
set -e
[ $rc = 1 ] || fail "bad MAC file: want exit 1, got $rc"
grep -q "error: $T/bad.txt:5: '24-0a-c4-00-00-03' is not a MAC address" "$T/err" || fail "malformed line 5 not named: $(cat "$T/err")"
grep -q "$T/bad.txt:7: '24:0a:c4:00:00:0g' is not a MAC address" "$T/err" || fail "malformed line 7 not named"
grep -q "$T/bad.txt:8: 01:00:5e:00:00:01 is a multicast address" "$T/err" || fail "multicast line 8 not named"
grep -q "$T/bad.txt:6: 24:0a:c4:00:00:01 is listed twice (first on line 2)" "$T/err" || fail "repeat not named: $(cat "$T/err")"
grep -q "has 4 bad lines; nothing was registered" "$T/err" || fail "no summary"
[ ! -e "$T/b0" ] || fail "a refused MAC file left an output directory"
[ "$(devices)" = 0 ] || fail "a refused MAC file registered devices"
printf '# nothing\n\n' >"$T/empty.txt"
set +e
"$TETHER" provision --db "$DB" --mac-file "$T/empty.txt" --out "$T/b0" 2>"$T/err"; [ $? = 1 ] || fail "empty MAC file: want exit 1"
grep -q "holds no MAC address" "$T/err" || fail "empty MAC file message: $(cat "$T/err")"
"$TETHER" provision --db "$DB" --mac-file "$T/none.txt" --out "$T/b0" 2>"$T/err"; [ $? = 1 ] || fail "missing MAC file: want exit 1"
grep -q "cannot read the MAC file $T/none.txt: No such file" "$T/err" || fail "missing MAC file message"
ok "MAC file errors name file:line; nothing registered"

# ---- usage errors exit 2 ----
"$TETHER" provision --db "$DB" --count 3 --scheme hmac --out "$T/b0" 2>"$T/err"; [ $? = 2 ] || fail "hmac without MACs: want exit 2"
grep -q -- "--scheme hmac needs --mac-file FILE" "$T/err" || fail "hmac without MACs message"
"$TETHER" provision --db "$DB" --count 3 --mac-file "$T/bad.txt" --out "$T/b0" 2>"$T/err"; [ $? = 2 ] || fail "count and mac-file: want exit 2"
grep -q "exclude each other" "$T/err" || fail "count and mac-file message"
"$TETHER" provision --db "$DB" --count 3 --scheme rot13 --out "$T/b0" 2>"$T/err"; [ $? = 2 ] || fail "bad scheme: want exit 2"
grep -q -- "--scheme takes plain, interleave or hmac, not 'rot13'" "$T/err" || fail "bad scheme message"
"$TETHER" provision --db "$DB" --out "$T/b0" 2>"$T/err"; [ $? = 2 ] || fail "no count: want exit 2"
set -e
[ "$(devices)" = 0 ] || fail "a usage error registered devices"
ok "usage errors exit 2"

# ---- each scheme: artifacts, modes, header, blob, derivation ----
printf '24:0a:c4:00:00:01\n240AC4000002\n# spare\n24:0a:c4:00:00:03\n' >"$T/macs.txt"
check_batch() {	# DIR SCHEME N
	local dir=$1 scheme=$2 n=$3 id mac secret cred line
	[ "$(stat -c %a "$dir")" = 700 ] || fail "$dir is not 0700"
	for f in manifest.json manifest.csv labels.txt; do
		[ "$(stat -c %a "$dir/$f")" = 600 ] || fail "$dir/$f is not 0600"
	done
	[ "$(jq length "$dir/manifest.json")" = "$n" ] || fail "manifest.json does not hold $n devices"
	[ "$(head -n 1 "$dir/manifest.csv" | tr -d '\r')" = "id,label,mac,scheme,credential,secret" ] ||
	    fail "manifest.csv header"
	[ "$(($(wc -l <"$dir/manifest.csv") - 1))" = "$n" ] || fail "manifest.csv does not hold $n rows"
	grep -Eq 'tt[hik][1ih]_' "$dir/labels.txt" && fail "labels.txt holds a secret or credential"
	for i in $(seq 0 $((n - 1))); do
		id=$(jq -r ".[$i].id" "$dir/manifest.json")
		mac=$(jq -r ".[$i].mac // \"\"" "$dir/manifest.json")
		secret=$(jq -r ".[$i].secret" "$dir/manifest.json")
		cred=$(jq -r ".[$i].credential" "$dir/manifest.json")
		[ "$(jq -r ".[$i].scheme" "$dir/manifest.json")" = "$scheme" ] || fail "$id: scheme in manifest"
		grep -q "^$id " "$dir/labels.txt" || fail "$id missing from labels.txt"
		grep -q "^$id,.*,$scheme,$cred,$secret" "$dir/manifest.csv" || fail "$id missing from manifest.csv"
		[ "$(stat -c %a "$dir/$id")" = 700 ] || fail "$dir/$id is not 0700"
		for f in tether_identity.h identity.bin; do
			[ "$(stat -c %a "$dir/$id/$f")" = 600 ] || fail "$dir/$id/$f is not 0600"
		done
		# the header compiles into a firmware and says what the manifest says
		cat >"$T/fw.c" <<-C
		#include <stdio.h>
		#include "tether_identity.h"
		static const unsigned char mac[6] = TETHER_IDENTITY_MAC;
		int main(void) {
			printf("%s %d %s %s %d\n", TETHER_IDENTITY_ID, TETHER_IDENTITY_SCHEME,
			    TETHER_IDENTITY_SECRET, TETHER_IDENTITY_LABEL, mac[5] + TETHER_IDENTITY_HAS_MAC);
			return 0;
		}
		C
		cc -std=c99 -Wall -Wextra -Werror -c -I "$dir/$id" -o "$T/fw.o" "$T/fw.c" ||
		    fail "$dir/$id/tether_identity.h does not compile"
		cc -o "$T/fw" "$T/fw.o" && line=$("$T/fw")
		want="$id $(jq ".[$i].scheme | {\"plain\":0,\"interleave\":1,\"hmac\":2}[.]" "$dir/manifest.json") $secret"
		want="$want $(jq -r ".[$i].label" "$dir/manifest.json") $([ -n "$mac" ] && echo $((0x${mac##*:} + 1)) || echo 0)"
		[ "$line" = "$want" ] || fail "$id: the header says '$line', want '$want'"
		# the blob verifies, and the device derives the manifest's credential
		line=$("$T/boot" "$dir/$id/identity.bin" "$mac") || fail "$id: identity.bin does not verify"
		[ "$line" = "$id $(cut -d' ' -f2 <<<"$line") $secret $cred" ] || fail "$id: boot derived '$line', manifest has $cred"
	done
}
"$TETHER" provision --db "$DB" --count 2 --out "$T/plain" --label-prefix 'odd "q"\?' 2>"$T/err" || fail "plain: $(cat "$T/err")"
check_batch "$T/plain" plain 2
"$TETHER" provision --db "$DB" --mac-file "$T/macs.txt" --scheme hmac --out "$T/hmac" --label-prefix kitchen 2>"$T/err" ||
    fail "hmac: $(cat "$T/err")"
check_batch "$T/hmac" hmac 3
grep -q "provisioned 3 devices (scheme hmac)" "$T/err" || fail "hmac summary: $(cat "$T/err")"
# the same MACs again: they belong to the hmac batch
set +e
"$TETHER" provision --db "$DB" --mac-file "$T/macs.txt" --scheme interleave --out "$T/again" 2>"$T/err"; [ $? = 1 ] || fail "taken MACs: want exit 1"
set -e
grep -q "the MAC address 24:0a:c4:00:00:01 already belongs to device $(jq -r '.[0].id' "$T/hmac/manifest.json"); nothing was registered" "$T/err" ||
    fail "taken MAC message: $(cat "$T/err")"
[ ! -e "$T/again" ] && ! ls -a "$T" | grep -q tether-partial || fail "a refused batch left files"
sed 's/24:0a:c4/a4:cf:12/; s/240AC4/A4CF12/' "$T/macs.txt" >"$T/macs2.txt"
"$TETHER" provision --db "$DB" --mac-file "$T/macs2.txt" --scheme interleave --out "$T/inter" 2>"$T/err" ||
    fail "interleave: $(cat "$T/err")"
check_batch "$T/inter" interleave 3
# a board with another MAC refuses the identity
"$T/boot" "$T/hmac/$(jq -r '.[0].id' "$T/hmac/manifest.json")/identity.bin" 24:0a:c4:99:99:99 2>"$T/err" &&
    fail "an identity booted on the wrong board"
grep -q "the image is on the wrong board" "$T/err" || fail "wrong board message: $(cat "$T/err")"
# a damaged blob: the library refuses it in words
cp "$T/hmac/$(jq -r '.[0].id' "$T/hmac/manifest.json")/identity.bin" "$T/flipped.bin"
printf 'X' | dd of="$T/flipped.bin" bs=1 seek=30 conv=notrunc 2>/dev/null
"$T/boot" "$T/flipped.bin" 24:0a:c4:00:00:01 2>"$T/err" && fail "a damaged identity booted"
grep -q "the identity blob read on the device is damaged" "$T/err" || fail "damaged blob message: $(cat "$T/err")"
head -c 40 "$T/flipped.bin" >"$T/short.bin"
"$T/boot" "$T/short.bin" 2>"$T/err" && fail "a truncated identity booted"
grep -q "damaged" "$T/err" || fail "truncated blob message: $(cat "$T/err")"
[ "$(devices)" = 8 ] || fail "want 8 devices, have $(devices)"
ok "plain, hmac, interleave: 0700/0600, headers compile, blobs verify, derivation matches"

# ---- the gateway accepts what the device derives, and not the secret ----
GW_DB=$DB
start_gw
for b in plain hmac inter; do
	cred=$(jq -r '.[1].credential' "$T/$b/manifest.json")
	secret=$(jq -r '.[1].secret' "$T/$b/manifest.json")
	[ "$(post "$cred" "from $b")" = 201 ] || fail "$b credential refused"
	[ "$b" = plain ] || [ "$(post "$secret" "secret of $b")" = 401 ] || fail "$b: the flashed secret itself was accepted"
done
# a device built on the library: identity.bin as flashed, the board's MAC,
# 201 and the gateway's answer naming the device (tether send --identity)
for b in plain hmac inter; do
	id=$(jq -r '.[0].id' "$T/$b/manifest.json")
	mac=$(jq -r '.[0].mac // ""' "$T/$b/manifest.json")
	"$TETHER" send "https://127.0.0.1:$PORT" --pin "$PIN" --identity "$T/$b/$id/identity.bin" \
	    ${mac:+--mac "$mac"} "from $b's identity.bin" >"$T/out" 2>"$T/err" ||
	    fail "$b: send --identity: $(cat "$T/err")"
	grep -q '^message 1 of 1: stored (201)$' "$T/out" || fail "$b: send --identity: $(cat "$T/out")"
	[ "$(sqlite3 "$DB" "select count(*) from messages where device_id = '$id' and kind = 0")" = 1 ] ||
	    fail "$b: the message is not stored under $id"
done
# the wrong board's MAC: refused before anything is sent
id=$(jq -r '.[2].id' "$T/hmac/manifest.json")
set +e
"$TETHER" send "https://127.0.0.1:$PORT" --pin "$PIN" --identity "$T/hmac/$id/identity.bin" \
    --mac 24:0a:c4:99:99:99 x >"$T/out" 2>"$T/err"; rc=$?
set -e
[ $rc = 1 ] || fail "send --identity on the wrong board: exit $rc"
grep -q "^error: --identity .*the image is on the wrong board" "$T/err" || fail "wrong board send: $(cat "$T/err")"
stop_gw
ok "the gateway accepts each scheme's derived credential, never an interleave/hmac secret"
ok "tether send --identity: the library reads identity.bin, derives with the MAC, gets 201"

# ---- all or nothing ----
mkdir "$T/used"
cp "$T/plain/manifest.json" "$T/used/"
set +e
"$TETHER" provision --db "$DB" --count 2 --out "$T/used" 2>"$T/err"; [ $? = 1 ] || fail "used directory: want exit 1"
grep -q "$T/used/manifest.json already exists" "$T/err" || fail "used directory message"
# a write that fails (a file size limit of 100 KiB: the database and the
# per-device files fit, the batch's manifest does not): rolled back,
# nothing left behind
( trap '' XFSZ; ulimit -f 200; exec "$TETHER" provision --db "$DB" --count 2000 --out "$T/big" ) 2>"$T/err"
rc=$?
set -e
[ $rc = 1 ] || fail "failed write: want exit 1, got $rc: $(cat "$T/err")"
grep -Eq "cannot write $T/.big.tether-partial/manifest.(json|csv): File too large; nothing was registered" "$T/err" ||
    fail "failed write message: $(cat "$T/err")"
[ "$(devices)" = 8 ] || fail "a failed write registered devices"
[ ! -e "$T/big" ] && [ ! -e "$T/.big.tether-partial" ] || fail "a failed write left files"
# an interrupted run's staging directory is never overwritten
mkdir -m 700 "$T/.next.tether-partial"
set +e
"$TETHER" provision --db "$DB" --count 1 --out "$T/next" 2>"$T/err"; [ $? = 1 ] || fail "staging left over: want exit 1"
set -e
grep -q "an earlier run was interrupted" "$T/err" || fail "staging message: $(cat "$T/err")"
# into an existing empty directory, entry by entry
mkdir -m 700 "$T/existing"
"$TETHER" provision --db "$DB" --count 2 --out "$T/existing" 2>"$T/err" || fail "existing dir: $(cat "$T/err")"
check_batch "$T/existing" plain 2
[ ! -e "$T/existing/.tether-partial" ] || fail "staging left in an existing directory"
# without per-device files
"$TETHER" provision --db "$DB" --count 2 --out "$T/nofiles" --no-per-device-files 2>"$T/err" || fail "no files: $(cat "$T/err")"
[ "$(ls "$T/nofiles" | wc -l)" = 3 ] || fail "--no-per-device-files wrote $(ls "$T/nofiles")"
[ "$(devices)" = 12 ] || fail "want 12 devices"
ok "all or nothing: used directory, failed write, interrupted run, existing directory"
