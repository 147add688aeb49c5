/* SPDX-License-Identifier: MIT */
/*
 * identity_blob.c - libFuzzer target for identity.bin as the device reads
 * it (tether_identity_load, lib/identity_blob.c): any bytes are refused
 * with a code and a wiped identity, or loaded; a loaded one writes back to
 * the same blob (lib/private/identity_blob.h's layout) and gives one
 * credential, the blob's MAC or none as its scheme requires; a plain one
 * parses and formats back to itself. Input: the blob, then a byte whose
 * bit 0 asks the harness to mend the CRC the fuzzer cannot.
 */
#include "fuzz.h"
#include "../lib/inner.h"
#include "identity_blob.h"

/* What provision would write for id (src/cli/artifacts.c's layout). */
static void
write_blob(const struct tether_identity *id, const uint8_t *mac_field,
    uint8_t b[TETHER_BLOB_SIZE])
{
	uint32_t crc;
	int i;

	memset(b, 0, TETHER_BLOB_SIZE);
	memcpy(b + TETHER_BLOB_OFF_MAGIC, TETHER_BLOB_MAGIC, 4);
	b[TETHER_BLOB_OFF_VERSION] = TETHER_BLOB_VERSION;
	b[TETHER_BLOB_OFF_SCHEME] = id->scheme;
	b[TETHER_BLOB_OFF_FLAGS] = id->has_mac ? TETHER_BLOB_FLAG_MAC : 0;
	memcpy(b + TETHER_BLOB_OFF_ID, id->device, strlen(id->device));
	memcpy(b + TETHER_BLOB_OFF_SECRET, id->secret, strlen(id->secret));
	memcpy(b + TETHER_BLOB_OFF_MAC, mac_field, TETHER_MAC_LEN);
	crc = tether_crc32(b, TETHER_BLOB_OFF_CRC);
	for (i = 0; i < 4; i++)
		b[TETHER_BLOB_OFF_CRC + i] = (uint8_t)(crc >> (8 * i));
}

static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t other_mac[TETHER_MAC_LEN] = { 2, 0, 0, 0, 0, 9 };
	struct tether_identity id, id2;
	uint8_t *b, again[TETHER_BLOB_SIZE], raw[TETHER_CREDENTIAL_RAW];
	char out[TETHER_CREDENTIAL_MAX], out2[TETHER_CREDENTIAL_MAX];
	char text[TETHER_CREDENTIAL_LEN + 1];
	size_t len = size;
	uint32_t crc;
	int r, n, i;

	b = (uint8_t *)fuzz_copy(data, size, 0);
	if (size > TETHER_BLOB_SIZE && (data[TETHER_BLOB_SIZE] & 1)) {
		crc = tether_crc32(b, TETHER_BLOB_OFF_CRC);
		for (i = 0; i < 4; i++)
			b[TETHER_BLOB_OFF_CRC + i] = (uint8_t)(crc >> (8 * i));
	}
	r = tether_identity_load(&id, b, len);
	require(r == 0 || r == TETHER_E_BAD_IDENTITY ||
	    r == TETHER_E_IDENTITY_VERSION);
	if (len >= TETHER_BLOB_SIZE)	/* the bytes after it are not read */
		require(tether_identity_load(&id2, b, TETHER_BLOB_SIZE) == r);
	if (r != 0) {
		require(all_zero(&id, sizeof(id)));
		goto out;
	}
	require(id.scheme <= TETHER_SCHEME_HMAC && id.has_mac <= 1);
	require(memchr(id.device, '\0', sizeof(id.device)) != NULL);
	require(memchr(id.secret, '\0', sizeof(id.secret)) != NULL);
	require(id.device[0] != '\0' && id.secret[0] != '\0');

	/* Written back, the same blob (the MAC field as it was: load does
	 * not look at it when the flag says there is no MAC). */
	write_blob(&id, b + TETHER_BLOB_OFF_MAC, again);
	require(memcmp(again, b, TETHER_BLOB_SIZE) == 0);

	n = tether_identity_credential(&id, NULL, out);
	if (id.scheme != TETHER_SCHEME_PLAIN && !id.has_mac) {
		require(n == -TETHER_E_NO_MAC && out[0] == '\0');
		require(tether_identity_credential(&id, other_mac, out) > 0);
		goto out;
	}
	require(n > 0 && n < TETHER_CREDENTIAL_MAX && strlen(out) == (size_t)n);
	if (id.has_mac) {
		require(tether_identity_credential(&id, id.mac, out2) == n);
		require(strcmp(out, out2) == 0);
		require(memcmp(id.mac, other_mac, TETHER_MAC_LEN) == 0 ||
		    tether_identity_credential(&id, other_mac, out2) ==
		    -TETHER_E_WRONG_MAC);
	}
	if (id.scheme == TETHER_SCHEME_PLAIN) {
		require(n == TETHER_CREDENTIAL_LEN);
		require(tether_credential_parse(out, (size_t)n, raw) == 1);
		tether_credential_format(raw, text);
		require(strcmp(text, out) == 0);
	}
out:
	free(b);
	return 0;
}
