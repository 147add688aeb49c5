/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what every libFuzzer target here shares: the entry point's
 * prototype, an invariant check that aborts (libFuzzer keeps the input),
 * and the input copied to a heap block of exactly its size, so that ASan
 * catches a parser reading one byte past what it was given.
 */
#ifndef TETHER_FUZZ_H
#define TETHER_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
require(int cond)
{
	if (!cond)
		abort();
}

/* n bytes of data in a block of n bytes (one when n is 0, never read);
 * with nul, one more byte holding '\0'. The caller frees it. */
static inline char *
fuzz_copy(const void *data, size_t n, int nul)
{
	char *p = malloc(n + (nul ? 1 : 0) + (n == 0 && !nul));

	require(p != NULL);
	if (n > 0)
		memcpy(p, data, n);
	if (nul)
		p[n] = '\0';
	return p;
}

#endif
