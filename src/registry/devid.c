/* SPDX-License-Identifier: MIT */
/*
 * devid.c - device ids: 40 random bits as 8 Crockford base32 characters and
 * a check character, written "xxxx-xxxx-c" in lowercase ("d7k3-m9q2-x").
 *
 * The check character c makes  c + sum(v[i] * a^(i+1)) = 0  in GF(32)
 * (a = x, the field made by x^5 + x^2 + 1), v[0..7] being the values of the
 * eight id characters. Every position thus has its own non-zero weight
 * a^0 .. a^8, which catches every single mistyped character and every swap
 * of two different characters, and the check stays inside the base32
 * alphabet (Crockford's mod-37 check would need the symbols * ~ $ = u,
 * awkward on a printed label).
 */
#include <string.h>

#include "registry/devid.h"

static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

#define ID_SYMBOLS	9	/* 8 of id, 1 check */
#define ID_TEXT_LEN	11	/* with the two dashes */

/* Multiplication in GF(32) modulo x^5 + x^2 + 1. */
static unsigned
gf32_mul(unsigned a, unsigned b)
{
	unsigned r = 0;

	while (b != 0) {
		if (b & 1)
			r ^= a;
		b >>= 1;
		a <<= 1;
		if (a & 0x20)
			a ^= 0x25;
	}
	return r;
}

static unsigned
check_symbol(const unsigned v[8])
{
	unsigned sum = 0, w = 1;

	for (int i = 0; i < 8; i++) {
		w = gf32_mul(w, 2);
		sum ^= gf32_mul(v[i], w);
	}
	return sum;
}

/* Value of a canonical (lowercase) base32 character, or -1. */
static int
b32_value(char ch)
{
	const char *p;

	if (ch == '\0' || (p = strchr(b32, ch)) == NULL)
		return -1;
	return (int)(p - b32);
}

/* Writes 9 symbol values as "xxxx-xxxx-c". */
static void
id_write(const unsigned v[ID_SYMBOLS], char *out)
{
	size_t o = 0;

	for (int i = 0; i < ID_SYMBOLS; i++) {
		if (i == 4 || i == 8)
			out[o++] = '-';
		out[o++] = b32[v[i]];
	}
	out[o] = '\0';
}

void
reg_id_make(const uint8_t raw[REG_ID_RAW], char out[REG_ID_MAX])
{
	uint64_t bits = 0;
	unsigned v[ID_SYMBOLS];

	for (int i = 0; i < REG_ID_RAW; i++)
		bits = (bits << 8) | raw[i];
	for (int i = 0; i < 8; i++)
		v[i] = (unsigned)(bits >> (35 - 5 * i)) & 31;
	v[8] = check_symbol(v);
	id_write(v, out);
}

/* see registry.h */
int
reg_id_valid(const char *id)
{
	unsigned v[ID_SYMBOLS];
	size_t n = 0;

	if (id == NULL || strlen(id) != ID_TEXT_LEN)
		return 0;
	for (size_t i = 0; i < ID_TEXT_LEN; i++) {
		int x;

		if (i == 4 || i == 9) {
			if (id[i] != '-')
				return 0;
			continue;
		}
		if ((x = b32_value(id[i])) < 0)
			return 0;
		v[n++] = (unsigned)x;
	}
	return check_symbol(v) == v[8];
}

/* see registry.h */
enum reg_id_check
reg_id_normalize(const char *in, char out[REG_ID_MAX])
{
	unsigned v[ID_SYMBOLS];
	size_t n = 0;

	for (const char *p = in; *p != '\0'; p++) {
		char ch = *p;
		int x;

		if (ch == '-')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		/* Crockford's reading of the look-alikes the alphabet omits */
		if (ch == 'o')
			ch = '0';
		else if (ch == 'i' || ch == 'l')
			ch = '1';
		if (n == ID_SYMBOLS || (x = b32_value(ch)) < 0)
			return REG_ID_MALFORMED;
		v[n++] = (unsigned)x;
	}
	if (n != ID_SYMBOLS)
		return REG_ID_MALFORMED;
	if (check_symbol(v) != v[8])
		return REG_ID_MISTYPED;
	id_write(v, out);
	return REG_ID_OK;
}

#define DIST_MAX_SYMBOLS	16

/* The base32 symbols of an id as typed, read as reg_id_normalize reads
 * them; returns how many, or -1. */
static int
symbols_of(const char *in, char out[DIST_MAX_SYMBOLS])
{
	int n = 0;

	for (const char *p = in; *p != '\0'; p++) {
		char ch = *p;

		if (ch == '-')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch == 'o')
			ch = '0';
		else if (ch == 'i' || ch == 'l')
			ch = '1';
		if (n == DIST_MAX_SYMBOLS || b32_value(ch) < 0)
			return -1;
		out[n++] = ch;
	}
	return n;
}

/* see registry.h: optimal string alignment distance (Levenshtein with
 * adjacent transpositions), the typing errors a label invites. */
int
reg_id_distance(const char *a, const char *b)
{
	char x[DIST_MAX_SYMBOLS], y[DIST_MAX_SYMBOLS];
	int d[DIST_MAX_SYMBOLS + 1][DIST_MAX_SYMBOLS + 1];
	int n, m;

	if ((n = symbols_of(a, x)) < 0 || (m = symbols_of(b, y)) < 0)
		return -1;
	for (int i = 0; i <= n; i++)
		d[i][0] = i;
	for (int j = 0; j <= m; j++)
		d[0][j] = j;
	for (int i = 1; i <= n; i++)
		for (int j = 1; j <= m; j++) {
			int cost = x[i - 1] != y[j - 1], v;

			v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && x[i - 1] == y[j - 2] &&
			    x[i - 2] == y[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m];
}
