/* SPDX-License-Identifier: MIT */
/*
 * http_response.c - libFuzzer target for the device's response parser:
 * any bytes, fed whole and split at a point the input chooses, must give
 * the same bounded answer, a reason for every refusal, a kept text that
 * stays inside its buffer, and a command (X-Tether-Command) that stays
 * inside the command buffer, whose size the input chooses too.
 */
#include "fuzz.h"
#include "../lib/inner.h"

/* The command buffer's size, by the first byte's top 3 bits: 0 takes no
 * commands; the others the sizes around the edges. */
static const uint16_t caps[8] = { 0, 0, 1, 6, 16, 64, 256, 4096 };

static unsigned char cmd_whole[4096], cmd_parts[4096];

static int
feed(struct tether_http *h, const uint8_t *data, size_t size, size_t split,
    unsigned char *cmd, unsigned sel)
{
	size_t used;
	int r;

	tether_http_init(h);
	/* odd selectors want a device id, even ones any */
	h->device = (sel & 1) ? "d7k3-m9q2-x" : NULL;
	if (sel != 0) {
		h->header = tether_command_header;
		h->cmd_buf = cmd;
		h->cmd_cap = caps[sel];
	}
	r = tether_http_feed(h, data, split, &used);
	require(used <= split);
	if (r != 0)
		return r;
	require(used == split);
	r = tether_http_feed(h, data + split, size - split, &used);
	require(used <= size - split);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tether_http whole, parts;
	size_t split;
	unsigned sel;
	int r, r2;

	if (size == 0)
		return 0;
	/* the first byte picks the split and the command buffer, the rest
	 * is the response */
	split = data[0] % size;
	sel = data[0] >> 5;
	data++;
	size--;
	if (split > size)
		split = size;
	r = feed(&whole, data, size, size, cmd_whole, sel);
	r2 = feed(&parts, data, size, split, cmd_parts, sel);
	require(r == r2);
	require(r >= -1 && r <= 1);
	if (r < 0) {
		require(whole.reason > TETHER_HTTP_R_NONE &&
		    whole.reason < TETHER_HTTP_R_COUNT);
		require(whole.reason == parts.reason);
		require(tether_http_reason_text(whole.reason)[0] != '\0');
	} else {
		require(whole.status == parts.status);
		require(whole.flags == parts.flags);
		require(whole.keep_len == parts.keep_len);
		require(memcmp(whole.keep, parts.keep, whole.keep_len) == 0);
		if (r == 1)
			require(whole.status >= 100 && whole.status <= 999);
		require(whole.cmd_id == parts.cmd_id);
		require(whole.cmd_len == parts.cmd_len);
		require(memcmp(cmd_whole, cmd_parts, whole.cmd_len) == 0);
		require(whole.named == parts.named && whole.named <= 2);
		require(whole.cmd_id < 1000000000000000000ull);
	}
	/* a command's body goes to its buffer only (keep holds no byte of
	 * it, a Location at most), and never past it */
	require(whole.cmd_len <= caps[sel]);
	require(!(whole.flags & TETHER_HTTP_F_COMMAND) ||
	    (sel != 0 && whole.cmd_id != 0 && (whole.keep_len == 0 ||
	    (whole.flags & TETHER_HTTP_F_LOCATION))));
	require(whole.keep_len < sizeof(whole.keep));
	require(whole.keep[whole.keep_len] == '\0');
	require(whole.head_len <= TETHER_HTTP_HEAD_MAX);
	(void)tether_http_eof(&whole);
	return 0;
}
