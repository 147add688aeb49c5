/* SPDX-License-Identifier: MIT */
/*
 * fwd_reply.c - libFuzzer target for the head of a webhook receiver's
 * answer (src/gateway/forward_url.c, gw_fwd_reply_parse): any bytes give
 * a bounded answer, a reason for every refusal, and agree with every
 * prefix: a head found at h is incomplete in each prefix shorter than h.
 */
#include "fuzz.h"
#include "gateway/gateway.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_copy(data, size, 0), err[GW_ERR_LEN];
	struct gw_fwd_reply r, p;
	long head, h;

	err[0] = '\0';
	head = gw_fwd_reply_parse(copy, size, &r, err);
	require(head >= -1 && head <= (long)size);
	if (head < 0)
		require(err[0] != '\0');
	if (head > 0) {
		require(r.status >= 100 && r.status <= 999);
		require(r.content_length >= -1);
		require(!r.keep || r.content_length >= 0 || r.status == 204 ||
		    r.status == 304);
		/* a prefix that ends inside the head has no blank line yet */
		for (size_t n = 0; n < (size_t)head; n += 1 + n / 8) {
			h = gw_fwd_reply_parse(copy, n, &p, err);
			require(h == 0 || (h == -1 &&
			    n >= GW_FORWARD_REPLY_MAX));
		}
	}
	free(copy);
	return 0;
}
