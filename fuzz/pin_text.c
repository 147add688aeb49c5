/* SPDX-License-Identifier: MIT */
/*
 * pin_text.c - libFuzzer target for pins written as text (lib/pinparse.c):
 * any bytes give a pin or TETHER_E_BAD_PIN, and a pin parsed is the pin
 * every form of it (hex with and without colons, base64, each prefix,
 * upper case) parses to again. The first byte picks the kind.
 */
#include <ctype.h>
#include <stdio.h>

#include "fuzz.h"
#include "../lib/inner.h"

/* Parses text (len bytes, copied to a block of exactly len) as kind. */
static int
parse(unsigned kind, const char *text, size_t len, uint8_t out[32])
{
	char	*copy = fuzz_copy(text, len, 0);
	int	 r;

	r = tether_pin_parse((enum tether_pin_kind)kind, copy, len, out);
	free(copy);
	return r;
}

/* text must parse to exactly the n bytes of want. */
static void
same(unsigned kind, const char *text, const uint8_t *want, size_t n)
{
	uint8_t got[32];

	require(parse(kind, text, strlen(text), got) == 0);
	require(memcmp(got, want, n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		 pin[32];
	char		 buf[256], form[300];
	struct tether_text t;
	unsigned	 kind;
	size_t		 n, i;
	int		 r;

	if (size == 0)
		return 0;
	kind = data[0] % 4;	/* 3: no such kind, always refused */
	memset(pin, 0xa5, sizeof(pin));
	r = parse(kind, (const char *)data + 1, size - 1, pin);
	require(r == 0 || r == TETHER_E_BAD_PIN);
	if (r != 0)
		return 0;
	require(kind < 3);
	n = tether_pin_len(kind);
	if (n < sizeof(pin))	/* a SHA-1 pin writes its 20 bytes only */
		for (i = n; i < sizeof(pin); i++)
			require(pin[i] == 0xa5);

	tether_text_init(&t, buf, sizeof(buf));
	tether_text_hex(&t, pin, n, 1);
	same(kind, buf, pin, n);
	for (i = 0; buf[i] != '\0'; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
	snprintf(form, sizeof(form), "%s:%s\r\n",
	    kind == TETHER_PIN_CERT_SHA1 ? "SHA1" : "SHA256", buf);
	same(kind, form, pin, n);

	tether_text_init(&t, buf, sizeof(buf));
	tether_text_hex(&t, pin, n, 0);
	same(kind, buf, pin, n);

	tether_text_init(&t, buf, sizeof(buf));
	tether_text_base64(&t, pin, n);
	same(kind, buf, pin, n);
	snprintf(form, sizeof(form), "sha256//%s\n", buf);
	same(kind, form, pin, n);
	return 0;
}
