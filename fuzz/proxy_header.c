/* SPDX-License-Identifier: MIT */
/*
 * proxy_header.c - libFuzzer target for the PROXY protocol header
 * (src/gateway/proxy.c): any bytes give a header, a need for more, or a
 * refusal; a header is never longer than the bytes given nor than its
 * bound, and giving fewer bytes than a whole header asks for more.
 */
#include <sys/socket.h>

#include "fuzz.h"
#include "gateway/proxy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = fuzz_copy(data, size, 0);
	struct proxy_header h, h2;
	int r = proxy_parse(p, size, &h);

	require(r >= -1 && r <= 1);
	if (r == 1) {
		require(h.len > 0 && h.len <= size && h.len <= PROXY_V2_MAX);
		require(h.local || h.src.ss_family == AF_INET ||
		    h.src.ss_family == AF_INET6);
		/* the header alone is the same header; one byte less is not
		 * whole */
		require(proxy_parse(p, h.len, &h2) == 1 && h2.len == h.len);
		require(proxy_parse(p, h.len - 1, &h2) != 1);
	}
	free(p);
	return 0;
}
