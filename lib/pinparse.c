/* SPDX-License-Identifier: MIT */
/*
 * pinparse.c - pins written as text, in the forms people copy them from:
 * `tether serve` and curl (base64, "sha256//..."), openssl and browsers
 * (hex, with or without colons).
 */
#include "inner.h"

static int
prefix(const char **s, size_t *len, const char *pre)
{
	size_t n = strlen(pre), i;

	if (*len < n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = (*s)[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != pre[i])
			return 0;
	}
	*s += n;
	*len -= n;
	return 1;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly n bytes of padded base64 in s (len characters). */
static int
from_base64(const char *s, size_t len, uint8_t *out, size_t n)
{
	uint32_t acc = 0;
	size_t i, o = 0, pad = (n % 3) ? 3 - n % 3 : 0;
	unsigned bits = 0;

	if (len != (n + 2) / 3 * 4)
		return -1;
	for (i = 0; i < len - pad; i++) {
		int v = b64_value(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == n)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	for (; i < len; i++)
		if (s[i] != '=')
			return -1;
	/* the bits left over must be zero: one text per pin */
	if (o != n || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return 0;
}

/* Exactly n bytes of hex in s, with ':' or ' ' allowed between bytes. */
static int
from_hex(const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t i = 0, o = 0;

	while (i < len) {
		int hi, lo;

		if (o > 0 && (s[i] == ':' || s[i] == ' '))
			i++;
		if (len - i < 2 || o == n)
			return -1;
		hi = hex_value(s[i]);
		lo = hex_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[o++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return o == n ? 0 : -1;
}

/* n bytes written as base64 or as hex. */
static int
decode(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len == (n + 2) / 3 * 4 && from_base64(s, len, out, n) == 0)
		return 0;
	return from_hex(s, len, out, n);
}

/* see tether.h */
int
tether_pin_parse(enum tether_pin_kind kind, const char *text, size_t len,
    uint8_t out[32])
{
	const char *whole;
	size_t n, whole_len;

	if (text == NULL || out == NULL || (kind != TETHER_PIN_SPKI_SHA256 &&
	    kind != TETHER_PIN_CERT_SHA256 && kind != TETHER_PIN_CERT_SHA1))
		return TETHER_E_BAD_PIN;
	n = tether_pin_len(kind);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\n' ||
	    text[len - 1] == '\r'))
		len--;
	whole = text;
	whole_len = len;
	if (!prefix(&text, &len, "sha256//") &&
	    !prefix(&text, &len, "sha256:"))
		(void)prefix(&text, &len, "sha1:");
	if (decode(text, len, out, n) == 0)
		return 0;
	/* "sha256//" is also eight base64 characters: a bare base64 pin
	 * may begin with them (the lengths never let both readings work) */
	if (text != whole && decode(whole, whole_len, out, n) == 0)
		return 0;
	return TETHER_E_BAD_PIN;
}
