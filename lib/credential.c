/* SPDX-License-Identifier: MIT */
/*
 * credential.c - the credential text form (see tether.h): Crockford base32
 * with a CRC-32 check, shared by the device and by `tether provision`.
 */
#include "tether.h"
#include "identity_blob.h"

static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* see identity_blob.h */
uint32_t
tether_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* Value of a Crockford base32 character, or -1. */
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

/* 128 bits are 26 characters: 25 full groups of 5 bits and 3 bits left. */
static void
encode128(const uint8_t raw[16], char *out)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	out[o] = b32[(acc << (5 - bits)) & 31];
}

/* see tether.h */
void
tether_credential_format(const uint8_t raw[TETHER_CREDENTIAL_RAW],
    char out[TETHER_CREDENTIAL_LEN + 1])
{
	const char *p = TETHER_CREDENTIAL_PREFIX;
	uint32_t crc = tether_crc32(raw, TETHER_CREDENTIAL_RAW);
	size_t o = 0;

	while (*p)
		out[o++] = *p++;
	encode128(raw, out + o);
	o += 26;
	for (int i = 6; i >= 0; i--)
		out[o++] = b32[(crc >> (5 * i)) & 31];
	out[o] = '\0';
}

/* see tether.h */
int
tether_credential_parse(const char *text, size_t len,
    uint8_t raw[TETHER_CREDENTIAL_RAW])
{
	const size_t plen = sizeof(TETHER_CREDENTIAL_PREFIX) - 1;
	uint8_t buf[TETHER_CREDENTIAL_RAW];
	unsigned acc = 0, bits = 0;
	size_t o = 0;
	uint64_t crc = 0;

	if (len != TETHER_CREDENTIAL_LEN)
		return 0;
	for (size_t i = 0; i < plen; i++)
		if (text[i] != TETHER_CREDENTIAL_PREFIX[i])
			return 0;
	for (size_t i = plen; i < plen + 26; i++) {
		int v = b32_value(text[i]);
		if (v < 0)
			return 0;
		if (i == plen + 25) {
			/* last character: 3 data bits, 2 zero bits */
			if (v & 3)
				return 0;
			acc = (acc << 3) | ((unsigned)v >> 2);
			bits += 3;
		} else {
			acc = (acc << 5) | (unsigned)v;
			bits += 5;
		}
		if (bits >= 8) {
			buf[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	for (size_t i = plen + 26; i < len; i++) {
		int v = b32_value(text[i]);
		if (v < 0)
			return 0;
		crc = (crc << 5) | (uint64_t)v;
	}
	if (o != 16 || crc != tether_crc32(buf, sizeof(buf)))
		return 0;
	if (raw != NULL)
		for (size_t i = 0; i < sizeof(buf); i++)
			raw[i] = buf[i];
	return 1;
}
