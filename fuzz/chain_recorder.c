/* SPDX-License-Identifier: MIT */
/*
 * chain_recorder.c - libFuzzer target for the chain `tether check` keeps
 * as a server sends it (src/check/x509_recorder.c): any certificates, of
 * any number and size, leave the kept ones byte for byte as sent, the
 * books (bytes used, lengths, counts) agreeing, and the same record
 * whether a certificate arrives whole or in pieces. Input: records of
 * [repeat][n][n bytes], a certificate being its n bytes repeat+1 times,
 * so that one input can pass the 64 KiB the recorder keeps.
 */
#include "fuzz.h"
#include "check/x509_recorder.h"

struct cert {
	const uint8_t	*chunk;
	size_t		 n, times;
};

#define MAX_CERTS	40

/* Plays the chain into rec, each append at most step bytes. */
static unsigned
play(struct chk_x509_recorder *rec, const struct cert *c, size_t ncerts,
    size_t step, size_t *sent)
{
	const br_x509_class **x = &rec->vtable;
	size_t i, t, at, k;

	chk_x509_recorder_init(rec);
	(*x)->start_chain(x, "gw.example");
	*sent = 0;
	for (i = 0; i < ncerts; i++) {
		(*x)->start_cert(x, (uint32_t)(c[i].n * c[i].times));
		for (t = 0; t < c[i].times; t++)
			for (at = 0; at < c[i].n; at += k) {
				k = c[i].n - at < step ? c[i].n - at : step;
				(*x)->append(x, c[i].chunk + at, k);
				*sent += k;
			}
		(*x)->end_cert(x);
	}
	return (*x)->end_chain(x);
}

/* The books agree, and every kept certificate is the one sent. */
static void
check(const struct chk_x509_recorder *rec, const struct cert *c,
    size_t ncerts, size_t sent)
{
	const unsigned char *der;
	size_t i, t, len, sum = 0;

	require(rec->sent_certs == ncerts && rec->sent_bytes == sent);
	require(rec->used <= CHK_CHAIN_BYTES);
	require(rec->ncerts <= CHK_CHAIN_CERTS && rec->ncerts <= ncerts);
	for (i = 0; i < ncerts && i < CHK_CHAIN_CERTS; i++)
		sum += rec->cert_len[i];
	require(sum == rec->used);
	require(rec->truncated || rec->ncerts == ncerts);
	for (i = 0; i < rec->ncerts; i++) {
		der = chk_x509_recorder_cert(rec, i, &len);
		if (c[i].n == 0) {
			require(der == NULL);
			continue;
		}
		require(der != NULL && len == c[i].n * c[i].times);
		for (t = 0; t < c[i].times; t++)
			require(memcmp(der + t * c[i].n, c[i].chunk, c[i].n) == 0);
	}
	require(chk_x509_recorder_cert(rec, rec->ncerts, &len) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct chk_x509_recorder whole, parts;
	struct cert c[MAX_CERTS];
	uint8_t *copy = (uint8_t *)fuzz_copy(data, size, 0);
	size_t at = 0, n = 0, sent, sent2;
	unsigned r;

	while (n < MAX_CERTS && size - at >= 2) {
		c[n].times = (size_t)copy[at] + 1;
		c[n].n = copy[at + 1];
		at += 2;
		if (c[n].n > size - at)
			c[n].n = size - at;
		c[n].chunk = copy + at;
		at += c[n].n;
		n++;
	}
	r = play(&whole, c, n, SIZE_MAX, &sent);
	check(&whole, c, n, sent);
	/* BearSSL 0.6's decoder may name another error for the same bytes
	 * in other pieces (UNEXPECTED whole, INNER_TRUNC in two-byte ones):
	 * only the verdict must agree. */
	require((play(&parts, c, n, 1 + (size > 0 ? copy[0] % 61 : 0),
	    &sent2) == 0) == (r == 0));
	check(&parts, c, n, sent2);
	require(sent == sent2 && whole.used == parts.used &&
	    whole.ncerts == parts.ncerts && whole.truncated == parts.truncated);
	require(memcmp(whole.der, parts.der, whole.used) == 0);
	free(copy);
	return 0;
}
