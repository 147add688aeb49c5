/* SPDX-License-Identifier: MIT */
/*
 * identity_blob.c - reads identity.bin on the device (tether.h,
 * docs/credentials.md): every check before any field is trusted, then the
 * credential derived from the blob's secret and the board's MAC.
 */
#include "inner.h"
#include "identity_blob.h"

#define BLOB_HEAD	(TETHER_BLOB_OFF_VERSION + 1)	/* magic, version */
#define RESERVED_A	7	/* the byte after the flags */
#define RESERVED_B	78	/* two bytes after the MAC */

/*
 * Copies a NUL-padded ASCII field of n bytes into out (n + 1 bytes):
 * visible characters, then NULs only. 0, or -1 when the field is empty,
 * holds another byte, or has text after its padding.
 */
static int
field_text(char *out, const uint8_t *f, size_t n)
{
	size_t i, len = 0;

	while (len < n && f[len] != 0) {
		if (f[len] <= 0x20 || f[len] >= 0x7f)
			return -1;
		out[len] = (char)f[len];
		len++;
	}
	out[len] = '\0';
	for (i = len; i < n; i++)
		if (f[i] != 0)
			return -1;
	return len > 0 ? 0 : -1;
}

/* tether.h's sizes are the layout's (C99: no _Static_assert) */
typedef char identity_sizes[TETHER_IDENTITY_SIZE == TETHER_BLOB_SIZE &&
    TETHER_DEVICE_ID_MAX == TETHER_BLOB_ID_LEN + 1 &&
    TETHER_SECRET_MAX == TETHER_BLOB_SECRET_LEN + 1 ? 1 : -1];

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* see tether.h */
int
tether_identity_load(struct tether_identity *id, const void *blob,
    size_t len)
{
	static const uint8_t any_mac[TETHER_MAC_LEN];
	const uint8_t *b = blob;
	char check[TETHER_CREDENTIAL_MAX];
	int code = TETHER_E_BAD_IDENTITY, n;

	if (id == NULL)
		return TETHER_E_BAD_ARG;
	memset(id, 0, sizeof(*id));
	if (b == NULL || len < BLOB_HEAD ||
	    memcmp(b + TETHER_BLOB_OFF_MAGIC, TETHER_BLOB_MAGIC, 4) != 0)
		goto refuse;
	/* a newer layout may be longer or shorter: say so, do not guess */
	if (b[TETHER_BLOB_OFF_VERSION] != TETHER_BLOB_VERSION) {
		code = TETHER_E_IDENTITY_VERSION;
		goto refuse;
	}
	/* bytes after the blob (the rest of a flash page) are not read */
	if (len < TETHER_BLOB_SIZE || le32(b + TETHER_BLOB_OFF_CRC) !=
	    tether_crc32(b, TETHER_BLOB_OFF_CRC))
		goto refuse;
	/* the CRC held: now the fields must be what provision writes */
	if (b[TETHER_BLOB_OFF_SCHEME] > TETHER_SCHEME_HMAC ||
	    (b[TETHER_BLOB_OFF_FLAGS] & ~TETHER_BLOB_FLAG_MAC) != 0 ||
	    b[RESERVED_A] != 0 || b[RESERVED_B] != 0 || b[RESERVED_B + 1] != 0)
		goto refuse;
	if (field_text(id->device, b + TETHER_BLOB_OFF_ID,
	    TETHER_BLOB_ID_LEN) != 0 || field_text(id->secret,
	    b + TETHER_BLOB_OFF_SECRET, TETHER_BLOB_SECRET_LEN) != 0)
		goto refuse;
	id->scheme = b[TETHER_BLOB_OFF_SCHEME];
	id->has_mac = (uint8_t)(b[TETHER_BLOB_OFF_FLAGS] & TETHER_BLOB_FLAG_MAC);
	if (id->has_mac)
		memcpy(id->mac, b + TETHER_BLOB_OFF_MAC, TETHER_MAC_LEN);
	else if (memcmp(b + TETHER_BLOB_OFF_MAC, any_mac, TETHER_MAC_LEN) != 0)
		goto refuse;	/* zeros when the flag says no MAC */
	/* the secret's own checksum, as the scheme reads it: a secret
	 * damaged before the CRC was computed is caught here */
	n = tether_credential_derive((enum tether_scheme)id->scheme,
	    id->secret, strlen(id->secret), any_mac, check);
	tether_wipe(check, sizeof(check));
	if (n > 0)
		return 0;
refuse:
	tether_wipe(id, sizeof(*id));
	return code;
}

/* see tether.h */
int
tether_identity_credential(const struct tether_identity *id,
    const uint8_t *mac, char out[TETHER_CREDENTIAL_MAX])
{
	int n;

	out[0] = '\0';
	if (mac == NULL && id->has_mac)
		mac = id->mac;
	else if (mac != NULL && id->has_mac &&
	    memcmp(mac, id->mac, TETHER_MAC_LEN) != 0)
		return -TETHER_E_WRONG_MAC;
	if (mac == NULL && id->scheme != TETHER_SCHEME_PLAIN)
		return -TETHER_E_NO_MAC;
	n = tether_credential_derive((enum tether_scheme)id->scheme,
	    id->secret, strlen(id->secret), mac, out);
	return n > 0 ? n : -TETHER_E_BAD_IDENTITY;
}
