/* SPDX-License-Identifier: MIT */
/*
 * server_cert.c - libFuzzer target for the device's pin check (lib/pin.c),
 * which walks the server's leaf certificate as its bytes arrive: any DER,
 * fed whole, split where the input says and a byte at a time, gives the
 * same verdict and the same certificate details; the details stay in
 * bounds; pinned to the SPKI it captured, a key it accepts lies inside
 * the capture. Input: one byte for the split, then the certificate.
 */
#include "fuzz.h"
#include "../lib/inner.h"

/* Runs the check over cert as the engine would, appended in pieces of
 * step bytes after a first piece of first bytes. */
static unsigned
check(const struct tether_config *cfg, struct tether_pin_check *pc,
    struct tether_cert_info *info, const unsigned char *cert, size_t len,
    size_t first, size_t step)
{
	const br_x509_class **x = &pc->vtable;
	size_t at;

	tether_pin_check_init(pc, cfg, info);
	(*x)->start_chain(x, "gw.example");
	(*x)->start_cert(x, (uint32_t)len);
	(*x)->append(x, cert, first);
	for (at = first; at < len; at += step)
		(*x)->append(x, cert + at, len - at < step ? len - at : step);
	(*x)->end_cert(x);
	/* a second certificate is the chain's, never the leaf's */
	(*x)->start_cert(x, 3);
	(*x)->append(x, (const unsigned char *)"\x30\x01\x00", 3);
	(*x)->end_cert(x);
	return (*x)->end_chain(x);
}

static int
inside(const unsigned char *p, size_t n, const struct tether_pin_check *pc)
{
	return p >= pc->cap && n <= pc->cap_len &&
	    (size_t)(p - pc->cap) <= pc->cap_len - n;
}

static void
sane(unsigned r, const struct tether_pin_check *pc,
    const struct tether_cert_info *info)
{
	size_t i;

	require(memchr(info->cn, '\0', sizeof(info->cn)) != NULL);
	for (i = 0; info->cn[i] != '\0'; i++)
		require(info->cn[i] >= 0x20 && info->cn[i] < 0x7f);
	require(strlen(info->not_before) == 0 || strlen(info->not_before) == 10);
	require(strlen(info->not_after) == 0 || strlen(info->not_after) == 10);
	if (r != 0)
		return;
	require(info->valid);
	require(pc->cap_len <= sizeof(pc->cap));
	if (pc->pkey.key_type == BR_KEYTYPE_RSA) {
		require(inside(pc->pkey.key.rsa.n, pc->pkey.key.rsa.nlen, pc));
		require(inside(pc->pkey.key.rsa.e, pc->pkey.key.rsa.elen, pc));
		require(info->key_bits >= 1 &&
		    info->key_bits <= pc->pkey.key.rsa.nlen * 8);
	} else {
		require(pc->pkey.key_type == BR_KEYTYPE_EC);
		require(inside(pc->pkey.key.ec.q, pc->pkey.key.ec.qlen, pc));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tether_pin_check pc, pc2;
	static struct tether_cert_info info, info2;
	static const uint8_t other[32] = { 1 };
	static uint8_t spki[32];
	struct tether_config cfg;
	unsigned char *cert;
	size_t first;
	unsigned r;

	if (size == 0)
		return 0;
	first = data[0] % size;
	cert = (unsigned char *)fuzz_copy(data + 1, size - 1, 0);
	size--;

	/* Pinned to another key: refused, whatever the bytes. */
	tether_config_init(&cfg);
	tether_config_set_host(&cfg, "gw.example", 443);
	tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256, other);
	r = check(&cfg, &pc, &info, cert, size, size, 1);
	require(r != 0);
	sane(r, &pc, &info);
	require(check(&cfg, &pc2, &info2, cert, size, first, size + 1) == r);
	require(memcmp(&info, &info2, sizeof(info)) == 0);
	require(check(&cfg, &pc2, &info2, cert, size, 0, 1) == r);
	require(memcmp(&info, &info2, sizeof(info)) == 0);
	if (!info.valid)
		goto out;

	/* Pinned to the key it read: the verdict on the key itself. */
	memcpy(spki, info.spki_sha256, sizeof(spki));
	tether_config_init(&cfg);
	tether_config_set_host(&cfg, "gw.example", 443);
	tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256, spki);
	r = check(&cfg, &pc, &info, cert, size, first, 7);
	require(r == 0 || r == BR_ERR_X509_UNSUPPORTED ||
	    r == BR_ERR_X509_INVALID_VALUE);
	sane(r, &pc, &info);
	require(memcmp(info.spki_sha256, spki, sizeof(spki)) == 0);
out:
	free(cert);
	return 0;
}
