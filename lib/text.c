/* SPDX-License-Identifier: MIT */
/*
 * text.c - bounded text into a caller's buffer (no heap, no printf), the
 * reader of constants kept in the ESP8266's flash, and the two helpers
 * every secret needs: constant-time comparison and wiping.
 */
#include "inner.h"

/* see inner.h */
uint32_t
tether_flash_word(const void *p)
{
	/* volatile: one l32i, never split into byte loads. */
	return *(const volatile uint32_t *)p;
}

/* see inner.h */
char *
tether_flash_strcpy(char *dst, size_t len, const char *src, size_t max)
{
	unsigned char b[4];
	size_t at = 0, i, k;
	uint32_t w;

	if (len == 0)
		return dst;
	for (i = 0; i + 4 <= max && at + 1 < len; i += 4) {
		w = tether_flash_word(src + i);
		memcpy(b, &w, 4);	/* the word's bytes in memory order */
		for (k = 0; k < 4 && at + 1 < len; k++) {
			if (b[k] == 0)
				goto done;
			dst[at++] = (char)b[k];
		}
	}
done:
	dst[at] = '\0';
	return dst;
}

/* see inner.h */
void
tether_text_init(struct tether_text *t, char *buf, size_t len)
{
	t->buf = buf;
	t->len = len;
	t->at = 0;
	if (len > 0)
		buf[0] = '\0';
}

/* see inner.h */
void
tether_text_putn(struct tether_text *t, const char *s, size_t n)
{
	while (n-- > 0 && *s != '\0' && t->at + 1 < t->len)
		t->buf[t->at++] = *s++;
	if (t->len > 0)
		t->buf[t->at] = '\0';
}

/* see inner.h */
void
tether_text_put(struct tether_text *t, const char *s)
{
	tether_text_putn(t, s, (size_t)-1);
}

/* see inner.h */
void
tether_text_uint(struct tether_text *t, unsigned long long v)
{
	char d[21];
	size_t i = sizeof(d) - 1;

	d[i] = '\0';
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	tether_text_put(t, d + i);
}

/* see inner.h */
void
tether_text_hex(struct tether_text *t, const uint8_t *p, size_t n,
    int colons)
{
	static const char hex[] = "0123456789abcdef";
	char two[4];
	size_t i;

	for (i = 0; i < n; i++) {
		two[0] = hex[p[i] >> 4];
		two[1] = hex[p[i] & 15];
		two[2] = colons && i + 1 < n ? ':' : '\0';
		two[3] = '\0';
		tether_text_put(t, two);
	}
}

/* see inner.h */
void
tether_text_base64(struct tether_text *t, const uint8_t *p, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char four[5];
	size_t i;

	four[4] = '\0';
	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		four[0] = b64[(v >> 18) & 63];
		four[1] = b64[(v >> 12) & 63];
		four[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		four[3] = i + 2 < n ? b64[v & 63] : '=';
		tether_text_put(t, four);
	}
}

/* see inner.h */
int
tether_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* see inner.h */
void
tether_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}
