/* SPDX-License-Identifier: MIT */
/*
 * test_identity.c - the credential schemes (lib/identity.c) against the
 * test vectors of docs/credentials.md, round trips with the registry's
 * secret maker, and secrets that must be refused: a bad flash or a typo
 * never yields a credential. identity.bin read on the device: good,
 * truncated, bit-flipped, a newer version, fields no writer makes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tether.h"
#include "registry/registry.h"
#include "registry/scheme.h"
#include "../../lib/private/identity_blob.h"

/* docs/credentials.md, "Test vectors": keep the two in step. */
struct vector {
	const char		*name;
	enum tether_scheme	 scheme;
	uint8_t			 raw[16];
	uint8_t			 mac[6];
	const char		*secret;
	const char		*credential;
};

static const struct vector vectors[] = {
	{
		.name = "plain, bytes 00..0f",
		.scheme = TETHER_SCHEME_PLAIN,
		.raw = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f },
		.secret = "tth1_000g40r40m30e209185gr38e1w37cxrm8",
		.credential = "tth1_000g40r40m30e209185gr38e1w37cxrm8",
	},
	{
		.name = "interleave, bytes 00..0f, MAC 24:0a:c4:12:34:56",
		.scheme = TETHER_SCHEME_INTERLEAVE,
		.raw = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f },
		.mac = { 0x24, 0x0a, 0xc4, 0x12, 0x34, 0x56 },
		.secret = "tti1_000g40r40m30e209185gr38e1w37cxrm8",
		.credential = "tthi_000j80g31820bh060w90g29m185nc30d1r7g1dex0c0",
	},
	{
		.name = "hmac, bytes 00..0f, MAC 24:0a:c4:12:34:56",
		.scheme = TETHER_SCHEME_HMAC,
		.raw = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f },
		.mac = { 0x24, 0x0a, 0xc4, 0x12, 0x34, 0x56 },
		.secret = "ttk1_000g40r40m30e209185gr38e1w37cxrm8",
		.credential = "tthh_6r9z7pe8y5kb6wfr7p59r1gzg00tf16tv",
	},
	{
		.name = "plain, bytes f0 e1 .. 0f",
		.scheme = TETHER_SCHEME_PLAIN,
		.raw = { 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
		    0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f },
		.secret = "tth1_y3gx5gxmmpb8ey39b95krb8y1w0nj3msf",
		.credential = "tth1_y3gx5gxmmpb8ey39b95krb8y1w0nj3msf",
	},
	{
		.name = "interleave, bytes f0 e1 .. 0f, MAC a4:cf:12:fe:dc:ba",
		.scheme = TETHER_SCHEME_INTERLEAVE,
		.raw = { 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
		    0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f },
		.mac = { 0xa4, 0xcf, 0x12, 0xfe, 0xdc, 0xba },
		.secret = "tti1_y3gx5gxmmpb8ey39b95krb8y1w0nj3msf",
		.credential = "tthi_y3gt9mp3sytaa4mpgzz7gtewb95vmf1d3r7g381vqq4",
	},
	{
		.name = "hmac, bytes f0 e1 .. 0f, MAC a4:cf:12:fe:dc:ba",
		.scheme = TETHER_SCHEME_HMAC,
		.raw = { 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
		    0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f },
		.mac = { 0xa4, 0xcf, 0x12, 0xfe, 0xdc, 0xba },
		.secret = "ttk1_y3gx5gxmmpb8ey39b95krb8y1w0nj3msf",
		.credential = "tthh_0j17nepfmtssbg4cgx4wr1z3f42hvrxkw",
	},
	{
		.name = "interleave, bytes ff.., MAC 00..00 (padding bits)",
		.scheme = TETHER_SCHEME_INTERLEAVE,
		.raw = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		.secret = "tti1_zzzzzzzzzzzzzzzzzzzzzzzzzw0zv7hgt",
		.credential = "tthi_zzzg1zzz03zzy07zzw0fzzr0zzzg1zzzzzzg2pbpxdn",
	},
	{
		.name = "hmac, bytes ff.., MAC 00..00",
		.scheme = TETHER_SCHEME_HMAC,
		.raw = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		.secret = "ttk1_zzzzzzzzzzzzzzzzzzzzzzzzzw0zv7hgt",
		.credential = "tthh_f9zz4d53dd9gdcqgrcv2dkftrg2g6ghz7",
	},
};

#define NVECTORS (sizeof(vectors) / sizeof(vectors[0]))

static int
derive(const struct vector *v, const char *secret, char *out)
{
	return tether_credential_derive(v->scheme, secret, strlen(secret),
	    v->scheme == TETHER_SCHEME_PLAIN ? NULL : v->mac, out);
}

static void
test_vectors(void **state)
{
	char out[TETHER_CREDENTIAL_MAX];

	for (size_t i = 0; i < NVECTORS; i++) {
		const struct vector *v = &vectors[i];
		int len = derive(v, v->secret, out);

		if (len < 0 || strcmp(out, v->credential) != 0)
			fail_msg("%s: got %d '%s', want '%s'", v->name, len,
			    out, v->credential);
		assert_int_equal(len, (int)strlen(v->credential));
	}
}

/* The secret text of each vector is what the registry makes of its raw
 * bytes, and the plain one is tether.h's credential form. */
static void
test_secret_text(void **state)
{
	char out[TETHER_CREDENTIAL_MAX], cred[TETHER_CREDENTIAL_LEN + 1];

	for (size_t i = 0; i < NVECTORS; i++) {
		const struct vector *v = &vectors[i];

		reg_secret_make(v->scheme, v->raw, out);
		assert_string_equal(out, v->secret);
		if (v->scheme == TETHER_SCHEME_PLAIN) {
			tether_credential_format(v->raw, cred);
			assert_string_equal(cred, v->secret);
		}
	}
}

/* Upper case is read (a secret typed from a print-out), and the
 * credential is still the one lowercase text the registry hashed. */
static void
test_upper_case_secret(void **state)
{
	char up[TETHER_CREDENTIAL_MAX], out[TETHER_CREDENTIAL_MAX];

	for (size_t i = 0; i < NVECTORS; i++) {
		const struct vector *v = &vectors[i];

		snprintf(up, sizeof(up), "%s", v->secret);
		for (char *p = up + 5; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		assert_true(derive(v, up, out) > 0);
		assert_string_equal(out, v->credential);
	}
}

/* Each scheme reads only its own prefix: a flashed interleave secret is
 * never taken for a plain credential, and the other way round. */
static void
test_wrong_scheme_refused(void **state)
{
	char out[TETHER_CREDENTIAL_MAX];
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };

	for (size_t i = 0; i < 3; i++) {
		const struct vector *v = &vectors[i];

		for (int s = 0; s <= TETHER_SCHEME_HMAC; s++) {
			int r = tether_credential_derive((enum tether_scheme)s,
			    v->secret, strlen(v->secret), mac, out);

			if (s == (int)v->scheme)
				assert_true(r > 0);
			else
				assert_int_equal(r, -1);
		}
	}
	/* nor is a derived credential a secret of any scheme */
	for (int s = 0; s <= TETHER_SCHEME_HMAC; s++) {
		assert_int_equal(tether_credential_derive((enum tether_scheme)s,
		    vectors[1].credential, strlen(vectors[1].credential), mac,
		    out), -1);
		assert_int_equal(tether_credential_derive((enum tether_scheme)s,
		    vectors[2].credential, strlen(vectors[2].credential), mac,
		    out), -1);
	}
	assert_int_equal(tether_credential_derive((enum tether_scheme)3,
	    vectors[0].secret, 38, mac, out), -1);
	assert_int_equal(tether_credential_derive((enum tether_scheme)-1,
	    vectors[0].secret, 38, mac, out), -1);
}

static void
test_malformed_refused(void **state)
{
	const struct vector *v = &vectors[2];	/* hmac */
	char bad[TETHER_CREDENTIAL_MAX + 8], out[TETHER_CREDENTIAL_MAX];
	size_t len = strlen(v->secret);

	/* every single changed character: the checksum or the form */
	for (size_t pos = 0; pos < len; pos++)
		for (int ch = 1; ch < 256; ch++) {
			memcpy(bad, v->secret, len + 1);
			if ((unsigned char)bad[pos] == ch)
				continue;
			/* the same character in the other case is the same
			 * secret, not a typo */
			if (pos >= 5 && ((bad[pos] ^ ch) == 0x20) &&
			    ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'))
				continue;
			bad[pos] = (char)ch;
			if (derive(v, bad, out) != -1)
				fail_msg("'%s' accepted", bad);
			assert_string_equal(out, "");
		}
	/* too short, too long, empty, NULL, no MAC */
	assert_int_equal(tether_credential_derive(v->scheme, v->secret,
	    len - 1, v->mac, out), -1);
	snprintf(bad, sizeof(bad), "%s0", v->secret);
	assert_int_equal(derive(v, bad, out), -1);
	assert_int_equal(derive(v, "", out), -1);
	assert_int_equal(tether_credential_derive(v->scheme, NULL, 38, v->mac,
	    out), -1);
	assert_int_equal(tether_credential_derive(v->scheme, v->secret, len,
	    NULL, out), -1);
	assert_int_equal(tether_credential_derive(TETHER_SCHEME_INTERLEAVE,
	    vectors[1].secret, len, NULL, out), -1);
	/* plain needs no MAC */
	assert_true(tether_credential_derive(TETHER_SCHEME_PLAIN,
	    vectors[0].secret, len, NULL, out) > 0);
	/* the padding bits of the last data character must be zero:
	 * ...w37cxrm8 has 'w' (11100) there; 'x' (11101) is the same
	 * bytes with a padding bit set */
	snprintf(bad, sizeof(bad), "%s", vectors[6].secret);
	assert_int_equal(bad[30], 'w');
	bad[30] = 'x';
	assert_int_equal(tether_credential_derive(TETHER_SCHEME_INTERLEAVE,
	    bad, len, vectors[6].mac, out), -1);
}

/* The MAC matters, every byte of it, and the secret does. */
static void
test_mac_binds(void **state)
{
	char a[TETHER_CREDENTIAL_MAX], b[TETHER_CREDENTIAL_MAX];

	for (size_t i = 1; i < 3; i++) {
		const struct vector *v = &vectors[i];

		assert_true(derive(v, v->secret, a) > 0);
		for (int byte = 0; byte < 6; byte++) {
			uint8_t mac[6];

			memcpy(mac, v->mac, 6);
			mac[byte] ^= 0x01;
			assert_true(tether_credential_derive(v->scheme,
			    v->secret, strlen(v->secret), mac, b) > 0);
			assert_string_not_equal(a, b);
		}
	}
}

/* Fresh secrets of every scheme round-trip: made by the registry's code,
 * read by the device's, and each credential is well-formed. */
static void
test_round_trip(void **state)
{
	char secret[TETHER_CREDENTIAL_MAX], out[TETHER_CREDENTIAL_MAX];
	uint8_t raw[16], mac[6] = { 0x24, 0x0a, 0xc4, 0, 0, 0 };

	for (int n = 0; n < 3000; n++) {
		enum tether_scheme s = (enum tether_scheme)(n % 3);
		int len;

		for (int i = 0; i < 16; i++)
			raw[i] = (uint8_t)(n * 31 + i * 17 + (n >> 3));
		mac[5] = (uint8_t)n;
		reg_secret_make(s, raw, secret);
		len = tether_credential_derive(s, secret, strlen(secret), mac,
		    out);
		assert_true(len > 0 && len < TETHER_CREDENTIAL_MAX);
		assert_int_equal((int)strlen(out), len);
		switch (s) {
		case TETHER_SCHEME_PLAIN:
			assert_string_equal(out, secret);
			assert_true(tether_credential_parse(out, (size_t)len,
			    NULL));
			break;
		case TETHER_SCHEME_INTERLEAVE:
			assert_int_equal(len, 48);
			assert_memory_equal(out, "tthi_", 5);
			break;
		default:
			assert_int_equal(len, 38);
			assert_memory_equal(out, "tthh_", 5);
			break;
		}
	}
}

static void
test_scheme_names_and_macs(void **state)
{
	enum tether_scheme s;
	uint8_t mac[6];
	char text[REG_MAC_TEXT], why[REG_ERR_LEN];

	assert_int_equal(reg_scheme_parse("hmac", &s), 0);
	assert_int_equal(s, TETHER_SCHEME_HMAC);
	assert_int_equal(reg_scheme_parse("interleave", &s), 0);
	assert_int_equal(s, TETHER_SCHEME_INTERLEAVE);
	assert_int_equal(reg_scheme_parse("HMAC", &s), -1);
	assert_string_equal(reg_scheme_name(TETHER_SCHEME_PLAIN), "plain");

	assert_int_equal(reg_mac_parse("24:0A:c4:12:34:56", mac, why), 0);
	reg_mac_format(mac, text);
	assert_string_equal(text, "24:0a:c4:12:34:56");
	assert_int_equal(reg_mac_parse("240ac4123456", mac, why), 0);
	reg_mac_format(mac, text);
	assert_string_equal(text, "24:0a:c4:12:34:56");
	assert_int_equal(reg_mac_parse("24-0a-c4-12-34-56", mac, why), -1);
	assert_non_null(strstr(why, "not a MAC address"));
	assert_int_equal(reg_mac_parse("24:0a:c4:12:34", mac, why), -1);
	assert_int_equal(reg_mac_parse("24:0a:c4:12:34:5g", mac, why), -1);
	assert_int_equal(reg_mac_parse("240ac412345", mac, why), -1);
	assert_int_equal(reg_mac_parse("", mac, why), -1);
	assert_int_equal(reg_mac_parse("00:00:00:00:00:00", mac, why), -1);
	assert_non_null(strstr(why, "no device's address"));
	assert_int_equal(reg_mac_parse("ff:ff:ff:ff:ff:ff", mac, why), -1);
	assert_non_null(strstr(why, "broadcast"));
	assert_int_equal(reg_mac_parse("01:00:5e:00:00:01", mac, why), -1);
	assert_non_null(strstr(why, "multicast"));
}

static void
test_id_distance(void **state)
{
	assert_int_equal(reg_id_distance("d7k3-m9q2-x", "d7k3-m9q2-x"), 0);
	assert_int_equal(reg_id_distance("D7K3M9Q2X", "d7k3-m9q2-x"), 0);
	assert_int_equal(reg_id_distance("d7k3-m9q2-y", "d7k3-m9q2-x"), 1);
	assert_int_equal(reg_id_distance("d7k3-9mq2-x", "d7k3-m9q2-x"), 1);
	assert_int_equal(reg_id_distance("d7k3-m9q-x", "d7k3-m9q2-x"), 1);
	assert_int_equal(reg_id_distance("d7k3-m9q22-x", "d7k3-m9q2-x"), 1);
	assert_int_equal(reg_id_distance("o7k3", "07k3"), 0);
	assert_int_equal(reg_id_distance("aaaa-aaaa-a", "d7k3-m9q2-x"), 9);
	assert_int_equal(reg_id_distance("kitchen-1!", "d7k3-m9q2-x"), -1);
	assert_int_equal(reg_id_distance("uuuu", "d7k3-m9q2-x"), -1);
	assert_int_equal(reg_id_distance("0123456789abcdefg", "0"), -1);
}

/*
 * identity.bin as docs/credentials.md lays it out (the layout's constants
 * are lib/private/identity_blob.h's): the test's own writer, so a reader
 * that drifted from the documented layout fails here.
 */
static void
blob_of(const struct vector *v, int has_mac, uint8_t b[TETHER_BLOB_SIZE])
{
	uint32_t crc;

	memset(b, 0, TETHER_BLOB_SIZE);
	memcpy(b, "TTID", 4);
	b[4] = 1;
	b[5] = (uint8_t)v->scheme;
	b[6] = has_mac ? 1 : 0;
	memcpy(b + 8, "d7k3-m9q2-x", 11);
	memcpy(b + 24, v->secret, strlen(v->secret));
	if (has_mac)
		memcpy(b + 72, v->mac, 6);
	crc = tether_crc32(b, 80);
	for (int i = 0; i < 4; i++)
		b[80 + i] = (uint8_t)(crc >> (8 * i));
}

/* A blob re-sealed after a field was changed: the CRC holds, the field
 * must still be refused. */
static void
reseal(uint8_t b[TETHER_BLOB_SIZE])
{
	uint32_t crc = tether_crc32(b, 80);

	for (int i = 0; i < 4; i++)
		b[80 + i] = (uint8_t)(crc >> (8 * i));
}

static int
load(const uint8_t *b, size_t len)
{
	struct tether_identity id;

	memset(&id, 0x5a, sizeof(id));
	int r = tether_identity_load(&id, b, len);
	if (r != 0) {
		/* a refused blob leaves nothing behind */
		static const struct tether_identity zero;

		assert_memory_equal(&id, &zero, sizeof(id));
	}
	return r;
}

/* Good blobs of every vector give the vector's credential on the device,
 * with the board's MAC or the blob's. */
static void
test_identity_blob_good(void **state)
{
	uint8_t b[TETHER_BLOB_SIZE], page[4096];
	struct tether_identity id;
	char out[TETHER_CREDENTIAL_MAX];

	(void)state;
	assert_int_equal(TETHER_IDENTITY_SIZE, TETHER_BLOB_SIZE);
	for (size_t i = 0; i < NVECTORS; i++) {
		const struct vector *v = &vectors[i];
		int mac_scheme = v->scheme != TETHER_SCHEME_PLAIN;

		blob_of(v, mac_scheme, b);
		assert_int_equal(tether_identity_load(&id, b, sizeof(b)), 0);
		assert_int_equal(id.scheme, v->scheme);
		assert_string_equal(id.device, "d7k3-m9q2-x");
		assert_string_equal(id.secret, v->secret);
		assert_int_equal(id.has_mac, mac_scheme);
		/* the board's MAC, as WiFi.macAddress() reads it */
		assert_int_equal(tether_identity_credential(&id,
		    mac_scheme ? v->mac : NULL, out),
		    (int)strlen(v->credential));
		assert_string_equal(out, v->credential);
		/* or the MAC the blob was provisioned for */
		assert_int_equal(tether_identity_credential(&id, NULL, out),
		    (int)strlen(v->credential));
		assert_string_equal(out, v->credential);
		/* a whole flash page: the bytes after the blob are not read */
		memset(page, 0xff, sizeof(page));
		memcpy(page, b, sizeof(b));
		assert_int_equal(tether_identity_load(&id, page, sizeof(page)),
		    0);
		assert_string_equal(id.secret, v->secret);
	}
}

/* Truncated, bit-flipped, a newer version, and fields provision never
 * writes: each refused with its code, and nothing left in *id. */
static void
test_identity_blob_damaged(void **state)
{
	const struct vector *v = &vectors[2];	/* hmac */
	uint8_t good[TETHER_BLOB_SIZE], b[TETHER_BLOB_SIZE];
	struct tether_identity id;

	(void)state;
	blob_of(v, 1, good);
	for (size_t n = 0; n < sizeof(good); n++)
		assert_int_equal(load(good, n), TETHER_E_BAD_IDENTITY);
	assert_int_equal(load(NULL, sizeof(good)), TETHER_E_BAD_IDENTITY);
	assert_int_equal(tether_identity_load(NULL, good, sizeof(good)),
	    TETHER_E_BAD_ARG);
	for (size_t bit = 0; bit < 8 * sizeof(good); bit++) {
		memcpy(b, good, sizeof(b));
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		/* a flip in the version byte reads as another version */
		assert_int_equal(load(b, sizeof(b)), bit / 8 == 4 ?
		    TETHER_E_IDENTITY_VERSION : TETHER_E_BAD_IDENTITY);
	}
	/* a newer layout, sealed as its writer would: not guessed at */
	memcpy(b, good, sizeof(b));
	b[4] = 2;
	reseal(b);
	assert_int_equal(load(b, sizeof(b)), TETHER_E_IDENTITY_VERSION);
	assert_int_equal(load(b, 5), TETHER_E_IDENTITY_VERSION);

	/* fields the CRC does not vouch for, because a writer got them wrong */
	struct { size_t off; uint8_t val; } fields[] = {
		{ 5, 3 },		/* no such scheme */
		{ 5, TETHER_SCHEME_INTERLEAVE },	/* a ttk1_ secret */
		{ 6, 0x02 },		/* an unknown flag */
		{ 7, 1 }, { 78, 1 }, { 79, 1 },	/* reserved */
		{ 8, 0 },		/* no id */
		{ 20, 'x' },		/* text after the id's padding */
		{ 24 + 10, 'x' },	/* the secret's checksum fails */
		{ 24 + 38, 'x' },	/* text after the secret */
		{ 24 + 3, 0x01 },	/* a control byte in the secret */
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		memcpy(b, good, sizeof(b));
		b[fields[i].off] = fields[i].val;
		reseal(b);
		if (load(b, sizeof(b)) != TETHER_E_BAD_IDENTITY)
			fail_msg("byte %zu = 0x%02x accepted", fields[i].off,
			    fields[i].val);
	}
	/* no MAC flag, yet a MAC: not what provision writes */
	blob_of(v, 0, b);
	assert_int_equal(load(b, sizeof(b)), 0);
	b[TETHER_BLOB_OFF_MAC + 5] = 1;
	reseal(b);
	assert_int_equal(load(b, sizeof(b)), TETHER_E_BAD_IDENTITY);
	/* the secret is wiped out of a refused blob's struct too */
	memcpy(b, good, sizeof(b));
	b[79] = 1;
	reseal(b);
	assert_int_equal(tether_identity_load(&id, b, sizeof(b)),
	    TETHER_E_BAD_IDENTITY);
	assert_int_equal(id.secret[0], 0);
}

/* The MAC: needed by interleave and hmac, and the provisioned one only. */
static void
test_identity_mac(void **state)
{
	uint8_t b[TETHER_BLOB_SIZE], other[6];
	struct tether_identity id;
	char out[TETHER_CREDENTIAL_MAX];

	(void)state;
	blob_of(&vectors[1], 0, b);	/* interleave, no MAC in the blob */
	assert_int_equal(tether_identity_load(&id, b, sizeof(b)), 0);
	assert_int_equal(tether_identity_credential(&id, NULL, out),
	    -TETHER_E_NO_MAC);
	assert_string_equal(out, "");
	assert_true(tether_identity_credential(&id, vectors[1].mac, out) > 0);
	assert_string_equal(out, vectors[1].credential);

	blob_of(&vectors[5], 1, b);	/* hmac, MAC a4:cf:12:fe:dc:ba */
	assert_int_equal(tether_identity_load(&id, b, sizeof(b)), 0);
	memcpy(other, vectors[5].mac, 6);
	other[5] ^= 1;
	assert_int_equal(tether_identity_credential(&id, other, out),
	    -TETHER_E_WRONG_MAC);
	assert_string_equal(out, "");

	blob_of(&vectors[0], 0, b);	/* plain: no MAC needed */
	assert_int_equal(tether_identity_load(&id, b, sizeof(b)), 0);
	assert_true(tether_identity_credential(&id, NULL, out) > 0);
	assert_string_equal(out, vectors[0].credential);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_secret_text),
		cmocka_unit_test(test_upper_case_secret),
		cmocka_unit_test(test_wrong_scheme_refused),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_mac_binds),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_scheme_names_and_macs),
		cmocka_unit_test(test_id_distance),
		cmocka_unit_test(test_identity_blob_good),
		cmocka_unit_test(test_identity_blob_damaged),
		cmocka_unit_test(test_identity_mac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
