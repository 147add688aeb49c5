/* SPDX-License-Identifier: MIT */
/*
 * credential_text.c - libFuzzer target for the credential text form
 * (lib/credential.c, tether_credential_parse), which the application
 * listener runs on every Bearer token (app.c: length and checksum before
 * any store lookup). Any bytes give 0 or a credential; a credential parsed
 * is written back (tether_credential_format) as the same text, up to case,
 * and that text parses to the same 16 bytes.
 */
#include <ctype.h>

#include "fuzz.h"
#include "tether.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	 raw[TETHER_CREDENTIAL_RAW], again[TETHER_CREDENTIAL_RAW];
	char	 text[TETHER_CREDENTIAL_LEN + 1];
	char	*copy = fuzz_copy(data, size, 0);
	int	 r;

	r = tether_credential_parse(copy, size, raw);
	require(r == 0 || r == 1);
	if (r == 1) {
		require(size == TETHER_CREDENTIAL_LEN);
		tether_credential_format(raw, text);
		for (size_t i = 0; i < size; i++)
			require(tolower((unsigned char)copy[i]) ==
			    tolower((unsigned char)text[i]));
		require(tether_credential_parse(text, TETHER_CREDENTIAL_LEN,
		    again) == 1);
		require(memcmp(raw, again, sizeof(raw)) == 0);
	}
	free(copy);
	return 0;
}
