/* SPDX-License-Identifier: MIT */
/*
 * check_wire.c - libFuzzer target for `tether check`'s reader of what a
 * server sends in the clear (src/check/wire.c): any bytes, fed whole and
 * split at a point the input chooses, must give the same reading, and
 * every kept field must stay inside its bounds.
 */
#include "fuzz.h"
#include "check/wire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct chk_wire whole, split;
	size_t at;

	chk_wire_init(&whole);
	chk_wire_feed(&whole, data, size);
	at = size > 0 ? data[0] % (size + 1) : 0;
	chk_wire_init(&split);
	chk_wire_feed(&split, data, at);
	chk_wire_feed(&split, data + at, size - at);

	require(whole.bytes == size && split.bytes == size);
	require(whole.hello_len <= sizeof(whole.hello));
	require(whole.sid_len <= sizeof(whole.sid));
	require(whole.hdr_got < 5 && whole.hs_hdr_got <= 4);
	require(whole.hello_done == split.hello_done);
	require(whole.hello_bad == split.hello_bad);
	require(whole.suite == split.suite && whole.version == split.version);
	require(whole.mfln_echo == split.mfln_echo);
	require(whole.cert_msg_len == split.cert_msg_len);
	require(whole.fatal_alert == split.fatal_alert);
	require(whole.warn_alert == split.warn_alert);
	require(whole.max_clear == split.max_clear);
	require(whole.max_sealed == split.max_sealed);
	return 0;
}
