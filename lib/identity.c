/* SPDX-License-Identifier: MIT */
/*
 * identity.c - the credential schemes (tether.h, docs/credentials.md): the
 * credential a device sends, made from the secret flashed into it and its
 * MAC address. The device and `tether provision` both call this code, so
 * both sides compute the same bytes. C99, BearSSL, no heap.
 */
#include <string.h>

#include <bearssl.h>

#include "tether.h"
#include "identity_blob.h"

/*
 * Every secret and credential text is a five-character prefix, the data in
 * Crockford base32 (big-endian, lowercase, the last character padded with
 * zero bits) and the CRC-32 of the data in seven base32 characters. The
 * prefix names what the text is, so a secret scanner, a support engineer
 * and a device at boot can all tell a flashed secret of one scheme from
 * another's, and from a credential that travels to the gateway.
 */
#define PREFIX_LEN		5
#define SECRET_RAW		16	/* 128 bits from the CSPRNG */
#define SECRET_TEXT_LEN		38	/* 5 + 26 + 7 */
#define CRC_CHARS		7	/* 32 bits in 35, top 3 zero */
#define INTERLEAVED_RAW		(SECRET_RAW + TETHER_MAC_LEN)
#define HMAC_KEEP		16	/* HMAC-SHA256 output kept: 128 bits */

/* What is flashed, per scheme (indexed by enum tether_scheme). */
static const char *const secret_prefix[] = {
	TETHER_CREDENTIAL_PREFIX,	/* plain: the credential itself */
	"tti1_",			/* interleave */
	"ttk1_",			/* hmac: a key, never sent */
};

/* What the device sends, per scheme. */
static const char *const credential_prefix[] = {
	TETHER_CREDENTIAL_PREFIX,
	"tthi_",
	"tthh_",
};

static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* Secrets must not linger on the stack: a volatile store is not elided. */
static void
wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

/* Value of a base32 character in either case, or -1. */
static int
b32_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		ch = (char)(ch - 'A' + 'a');
	for (int i = 0; i < 32; i++)
		if (b32[i] == ch)
			return i;
	return -1;
}

/* Writes prefix, raw[0..n) and its CRC as text into out, with a NUL;
 * returns the length. out must hold PREFIX_LEN + (8n+4)/5 + 8 bytes. */
static size_t
encode(const char *prefix, const uint8_t *raw, size_t n, char *out)
{
	uint32_t crc = tether_crc32(raw, n);
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	while (*prefix != '\0')
		out[o++] = *prefix++;
	for (size_t i = 0; i < n; i++) {
		acc = ((acc << 8) | raw[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	for (int i = CRC_CHARS - 1; i >= 0; i--)
		out[o++] = b32[(crc >> (5 * i)) & 31];
	out[o] = '\0';
	return o;
}

/*
 * Reads a secret text of the given prefix into raw. Returns 0, or -1 when
 * the length, prefix, alphabet, padding bits or checksum is wrong.
 */
static int
decode_secret(const char *prefix, const char *text, size_t len,
    uint8_t raw[SECRET_RAW])
{
	unsigned acc = 0, bits = 0;
	uint32_t crc = 0;
	size_t o = 0, i;
	int v;

	if (text == NULL || len != SECRET_TEXT_LEN ||
	    memcmp(text, prefix, PREFIX_LEN) != 0)
		return -1;
	for (i = PREFIX_LEN; i < SECRET_TEXT_LEN - CRC_CHARS; i++) {
		if ((v = b32_value(text[i])) < 0)
			goto bad;
		acc = ((acc << 5) | (unsigned)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			raw[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* 26 characters carry 130 bits: the last 2 must be zero, or two
	 * texts would stand for one secret */
	if (o != SECRET_RAW || bits != 2 || (acc & 3) != 0)
		goto bad;
	for (; i < SECRET_TEXT_LEN; i++) {
		if ((v = b32_value(text[i])) < 0)
			goto bad;
		if (i == SECRET_TEXT_LEN - CRC_CHARS && v > 3)
			goto bad;	/* more than 32 bits */
		crc = (crc << 5) | (uint32_t)v;
	}
	if (crc != tether_crc32(raw, SECRET_RAW))
		goto bad;
	return 0;
bad:
	wipe(raw, SECRET_RAW);
	return -1;
}

/*
 * interleave: six pairs of secret bytes, each followed by one MAC byte,
 * then the last four secret bytes:
 *   s0 s1 m0 s2 s3 m1 s4 s5 m2 s6 s7 m3 s8 s9 m4 s10 s11 m5 s12 .. s15
 */
static void
interleave(const uint8_t s[SECRET_RAW], const uint8_t *mac,
    uint8_t out[INTERLEAVED_RAW])
{
	size_t o = 0, k = 0;

	for (int i = 0; i < TETHER_MAC_LEN; i++) {
		out[o++] = s[k++];
		out[o++] = s[k++];
		out[o++] = mac[i];
	}
	while (k < SECRET_RAW)
		out[o++] = s[k++];
}

/* HMAC-SHA256(key = the 16 secret bytes, message = the 6 MAC bytes),
 * its first HMAC_KEEP bytes into out. */
static void
hmac_mac(const uint8_t s[SECRET_RAW], const uint8_t *mac,
    uint8_t out[HMAC_KEEP])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, s, SECRET_RAW);
	br_hmac_init(&hc, &kc, HMAC_KEEP);
	br_hmac_update(&hc, mac, TETHER_MAC_LEN);
	br_hmac_out(&hc, out);
	/* both contexts hold the key's inner and outer pads */
	wipe(&kc, sizeof(kc));
	wipe(&hc, sizeof(hc));
}

/* see tether.h */
int
tether_credential_derive(enum tether_scheme scheme, const char *secret,
    size_t secret_len, const uint8_t *mac, char out[TETHER_CREDENTIAL_MAX])
{
	uint8_t s[SECRET_RAW], buf[INTERLEAVED_RAW];
	size_t len;

	out[0] = '\0';
	if ((unsigned)scheme > TETHER_SCHEME_HMAC)
		return -1;
	if (scheme != TETHER_SCHEME_PLAIN && mac == NULL)
		return -1;
	if (decode_secret(secret_prefix[scheme], secret, secret_len, s) < 0)
		return -1;
	switch (scheme) {
	case TETHER_SCHEME_INTERLEAVE:
		interleave(s, mac, buf);
		len = encode(credential_prefix[scheme], buf, INTERLEAVED_RAW,
		    out);
		break;
	case TETHER_SCHEME_HMAC:
		hmac_mac(s, mac, buf);
		len = encode(credential_prefix[scheme], buf, HMAC_KEEP, out);
		break;
	default:
		/* re-encoded, so a secret flashed in upper case still sends
		 * the one text whose hash the registry holds */
		len = encode(credential_prefix[scheme], s, SECRET_RAW, out);
		break;
	}
	wipe(s, sizeof(s));
	wipe(buf, sizeof(buf));
	return (int)len;
}
