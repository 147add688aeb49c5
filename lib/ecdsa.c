/* SPDX-License-Identifier: MIT */
/*
 * ecdsa.c - the ServerKeyExchange's ECDSA signature checked for P-256
 * alone, with P-256-sized buffers: the verifier of the small algorithm
 * profiles (TETHER_ALGS_ECDSA_P256, TETHER_ALGS_RSA_KX; profile.c), and
 * the full profile's for P-256 keys (BearSSL's for the other curves).
 *
 * Why not BearSSL's br_ecdsa_i31_vrfy_asn1: that check is the handshake's
 * deepest call, so its frames are the device's peak stack, and BearSSL
 * sizes them for P-521 (BR_MAX_EC_SIZE, fixed when BearSSL is compiled):
 * 288 bytes for the DER-to-raw conversion, 720 for the arithmetic. For
 * P-256 the same steps need 144 and about 340: 560 bytes less RAM on a
 * Cortex-M4 (docs/device-library.md, Footprint).
 *
 * The steps are BearSSL's own (ec/ecdsa_i31_vrfy_raw.c, MIT, Copyright (c)
 * 2016 Thomas Pornin), on BearSSL's big-integer code: its i31 functions,
 * or with BR_LOMUL the i15 ones its P-256 code then uses too. They are
 * declared in BearSSL's inner.h, not its public headers; every BearSSL
 * build (Debian's, the ESP8266 core's) exports them, and their prototypes
 * are repeated here. The point arithmetic is the br_ec_impl's, as
 * BearSSL's verifier does it.
 */
#include "inner.h"

#if BR_LOMUL
typedef uint16_t word;
#define LEN		((256 + 29) / 15)	/* BearSSL's I15_LEN for P-256 */
#define I(name)		br_i15_##name
#define NINV		br_i15_ninv15
#define BITS2INT	br_ecdsa_i15_bits2int
#else
typedef uint32_t word;
#define LEN		((256 + 61) / 31)	/* BearSSL's I31_LEN for P-256 */
#define I(name)		br_i31_##name
#define NINV		br_i31_ninv31
#define BITS2INT	br_ecdsa_i31_bits2int
#endif

#define P256_ORDER_LEN	32
#define P256_POINT_LEN	65	/* 0x04, X, Y */
/* DER: SEQUENCE of two INTEGERs of up to 33 bytes each */
#define P256_SIG_DER_MAX	72

/* BearSSL's inner.h */
void I(decode)(word *x, const void *src, size_t len);
uint32_t I(decode_mod)(word *x, const void *src, size_t len, const word *m);
void I(encode)(void *dst, size_t len, const word *x);
uint32_t I(iszero)(const word *x);
uint32_t I(sub)(word *a, const word *b, uint32_t ctl);
void I(from_monty)(word *x, const word *m, word m0i);
void I(montymul)(word *d, const word *x, const word *y, const word *m,
    word m0i);
void I(modpow)(word *x, const unsigned char *e, size_t elen, const word *m,
    word m0i, word *t1, word *t2);
word NINV(word x);
void BITS2INT(word *x, const void *src, size_t len, uint32_t ebitlen);

/*
 * r and s from the DER signature, each checked to be below n. Not inlined:
 * the raw signature's buffer lives only during this call, not under the
 * point multiplication. BearSSL's conversion needs twice the input's
 * length for any input (its own verifier's rule); a longer signature is
 * not a P-256 one and is refused, as BearSSL refuses one too long for its
 * buffer.
 */
static uint32_t __attribute__((noinline))
sig_decode(word *r, word *s, const word *n, const void *sig, size_t sig_len)
{
	unsigned char raw[2 * P256_SIG_DER_MAX];
	size_t half;

	if (sig_len > P256_SIG_DER_MAX)
		return 0;
	memcpy(raw, sig, sig_len);
	sig_len = br_ecdsa_asn1_to_raw(raw, sig_len);
	if (sig_len == 0 || (sig_len & 1) != 0)
		return 0;
	half = sig_len >> 1;
	return I(decode_mod)(r, raw, half, n) &&
	    I(decode_mod)(s, raw + half, half, n) && !I(iszero)(s);
}

/* see inner.h */
uint32_t
tether_ecdsa_p256_vrfy_asn1(const br_ec_impl *impl, const void *hash,
    size_t hash_len, const br_ec_public_key *pk, const void *sig,
    size_t sig_len)
{
	word n[LEN], r[LEN], s[LEN], t1[LEN], t2[LEN];
	unsigned char tx[P256_ORDER_LEN], ty[P256_ORDER_LEN];
	unsigned char eU[P256_POINT_LEN];
	const unsigned char *order;
	size_t nlen;
	word n0i;
	uint32_t res;

	if (pk->curve != BR_EC_secp256r1 ||
	    ((impl->supported_curves >> BR_EC_secp256r1) & 1) == 0 ||
	    pk->qlen != P256_POINT_LEN)
		return 0;
	order = impl->order(BR_EC_secp256r1, &nlen);
	if (nlen != P256_ORDER_LEN)
		return 0;
	I(decode)(n, order, nlen);
	n0i = NINV(n[1]);
	if (!sig_decode(r, s, n, sig, sig_len))
		return 0;

	/* 1/s, in Montgomery representation, as s^(n-2) mod n (the order's
	 * last byte is 0x51: no borrow) */
	I(from_monty)(s, n, n0i);
	memcpy(tx, order, nlen);
	tx[nlen - 1] -= 2;
	I(modpow)(s, tx, nlen, n, n0i, t1, t2);

	/* the hash truncated to n's length and reduced: y = h/s, x = r/s */
	BITS2INT(t1, hash, hash_len, n[0]);
	I(sub)(t1, n, I(sub)(t1, n, 0) ^ 1);
	I(montymul)(t2, t1, s, n, n0i);
	I(encode)(ty, nlen, t2);
	I(montymul)(t1, r, s, n, n0i);
	I(encode)(tx, nlen, t1);

	/* x*Q + y*G; its X coordinate mod n must be r */
	memcpy(eU, pk->q, P256_POINT_LEN);
	res = impl->muladd(eU, NULL, P256_POINT_LEN, tx, nlen, ty, nlen,
	    BR_EC_secp256r1);
	memset(t1, 0, sizeof(t1));
	I(decode)(t1, &eU[1], P256_ORDER_LEN);
	t1[0] = n[0];
	I(sub)(t1, n, I(sub)(t1, n, 0) ^ 1);
	res &= ~I(sub)(t1, r, 1);
	res &= I(iszero)(t1);
	return res;
}

/* see inner.h */
uint32_t
tether_ecdsa_vrfy_asn1(const br_ec_impl *impl, const void *hash,
    size_t hash_len, const br_ec_public_key *pk, const void *sig,
    size_t sig_len)
{
	if (pk->curve == BR_EC_secp256r1)
		return tether_ecdsa_p256_vrfy_asn1(impl, hash, hash_len, pk,
		    sig, sig_len);
	return br_ecdsa_vrfy_asn1_get_default()(impl, hash, hash_len, pk,
	    sig, sig_len);
}
