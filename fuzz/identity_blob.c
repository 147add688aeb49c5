/* SPDX-License-Identifier: MIT */
/*
 * identity_blob.c - libFuzzer target for identity.bin as a device reads it
 * from flash (lib/private/identity_blob.h, docs/credentials.md): size,
 * magic, version and CRC-32 first, then the secret through
 * tether_credential_derive(), whose own checksum must catch the rest. A
 * credential derived is the same for the secret in upper case, and a
 * plain one parses and formats back to itself. Input: the 84 bytes, then
 * a byte whose bit 0 asks the harness to mend the CRC the fuzzer cannot.
 */
#include <ctype.h>

#include "fuzz.h"
#include "../lib/inner.h"
#include "identity_blob.h"

/* The blob's CRC field, little-endian, over bytes 0..79. */
static uint32_t
stored_crc(const uint8_t *b)
{
	const uint8_t *p = b + TETHER_BLOB_OFF_CRC;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Derives from a copy of exactly the secret's length. */
static int
derive(unsigned scheme, const char *secret, size_t len, const uint8_t *mac,
    char out[TETHER_CREDENTIAL_MAX])
{
	char	*copy = fuzz_copy(secret, len, 0);
	int	 r;

	r = tether_credential_derive((enum tether_scheme)scheme, copy, len,
	    mac, out);
	free(copy);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		 raw[TETHER_BLOB_SIZE], *b, cred_raw[TETHER_CREDENTIAL_RAW];
	char		 out[TETHER_CREDENTIAL_MAX], out2[TETHER_CREDENTIAL_MAX];
	char		 upper[TETHER_BLOB_SECRET_LEN], again[TETHER_CREDENTIAL_LEN + 1];
	const char	*secret;
	const uint8_t	*mac;
	size_t		 len, i;
	uint32_t	 crc;
	int		 r;

	memset(raw, 0, sizeof(raw));
	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	if (size > sizeof(raw) && (data[sizeof(raw)] & 1)) {
		crc = tether_crc32(raw, TETHER_BLOB_OFF_CRC);
		for (i = 0; i < 4; i++)
			raw[TETHER_BLOB_OFF_CRC + i] = (uint8_t)(crc >> (8 * i));
	}
	b = (uint8_t *)fuzz_copy(raw, sizeof(raw), 0);
	if (memcmp(b + TETHER_BLOB_OFF_MAGIC, TETHER_BLOB_MAGIC, 4) != 0 ||
	    b[TETHER_BLOB_OFF_VERSION] != TETHER_BLOB_VERSION ||
	    stored_crc(b) != tether_crc32(b, TETHER_BLOB_OFF_CRC))
		goto out;

	secret = (const char *)b + TETHER_BLOB_OFF_SECRET;
	for (len = 0; len < TETHER_BLOB_SECRET_LEN && secret[len] != '\0'; len++)
		continue;
	mac = b[TETHER_BLOB_OFF_FLAGS] & TETHER_BLOB_FLAG_MAC ?
	    b + TETHER_BLOB_OFF_MAC : NULL;
	memset(out, 0x5a, sizeof(out));
	r = derive(b[TETHER_BLOB_OFF_SCHEME], secret, len, mac, out);
	require(r >= -1 && r < TETHER_CREDENTIAL_MAX);
	if (r < 0) {
		require(out[0] == '\0');
		goto out;
	}
	require(b[TETHER_BLOB_OFF_SCHEME] <= TETHER_SCHEME_HMAC);
	require(strlen(out) == (size_t)r);

	/* The secret in upper case past its prefix: the same credential. */
	memcpy(upper, secret, len);
	for (i = 5; i < len; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	require(derive(b[TETHER_BLOB_OFF_SCHEME], upper, len, mac, out2) == r);
	require(strcmp(out, out2) == 0);

	if (b[TETHER_BLOB_OFF_SCHEME] == TETHER_SCHEME_PLAIN) {
		require(r == TETHER_CREDENTIAL_LEN);
		require(tether_credential_parse(out, (size_t)r, cred_raw) == 1);
		tether_credential_format(cred_raw, again);
		require(strcmp(again, out) == 0);
	}
out:
	free(b);
	return 0;
}
