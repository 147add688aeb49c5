/* SPDX-License-Identifier: MIT */
/*
 * http_response.c - libFuzzer target for the device's response parser:
 * any bytes, fed whole and split at a point the input chooses, must give
 * the same bounded answer, a reason for every refusal, and a kept text
 * that stays inside its buffer.
 */
#include "fuzz.h"
#include "../lib/inner.h"

static int
feed(struct tether_http *h, const uint8_t *data, size_t size, size_t split)
{
	size_t used;
	int r;

	tether_http_init(h);
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
	int r, r2;

	if (size == 0)
		return 0;
	/* the first byte picks the split, the rest is the response */
	split = data[0] % size;
	data++;
	size--;
	if (split > size)
		split = size;
	r = feed(&whole, data, size, size);
	r2 = feed(&parts, data, size, split);
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
	}
	require(whole.keep_len < sizeof(whole.keep));
	require(whole.keep[whole.keep_len] == '\0');
	require(whole.head_len <= TETHER_HTTP_HEAD_MAX);
	(void)tether_http_eof(&whole);
	return 0;
}
