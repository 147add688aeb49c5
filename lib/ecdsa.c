/* SPDX-License-Identifier: MIT */
/*
 * ecdsa.c - the ServerKeyExchange's ECDSA signature check with less stack
 * than BearSSL's br_ecdsa_i31_vrfy_asn1: the verifier of the small
 * algorithm profiles (TETHER_ALGS_ECDSA_P256, TETHER_ALGS_RSA_KX;
 * profile.c) and the full profile's for P-256 keys.
 *
 * Why: the signature check is the handshake's deepest call, so its frames
 * are the device's peak stack. BearSSL's "asn1" verifier converts the DER
 * signature to raw form in a 144-byte buffer sized for P-521
 * (BR_MAX_EC_SIZE, fixed when BearSSL is compiled) in its own frame, then
 * calls the raw verifier from that frame: the buffer stays on the stack
 * under the whole point multiplication. Here the conversion runs in a
 * frame that returns first, and only the P-256 signature's 64 raw bytes
 * stay. The check itself is BearSSL's public br_ecdsa_i31_vrfy_raw (i15
 * with BR_LOMUL, the code BearSSL's P-256 then uses too), untouched.
 */
#include <string.h>

#include "inner.h"

#define P256_SIG_RAW	64	/* r and s, 32 bytes each */
/* DER: a SEQUENCE of two INTEGERs of up to 33 bytes each */
#define P256_SIG_DER_MAX	72

#if BR_LOMUL
#define VRFY_RAW	br_ecdsa_i15_vrfy_raw
#else
#define VRFY_RAW	br_ecdsa_i31_vrfy_raw
#endif

/*
 * The DER signature as raw r || s into raw (P256_SIG_RAW bytes): its
 * length, 0 when it is not a P-256 one. BearSSL's conversion works in
 * place and wants room for twice the input, which lives only in this
 * frame. Not inlined, so that room is gone before the point
 * multiplication. The halves are as long as the longer of r and s
 * without its leading zeros: shorter than 32 bytes each when both are
 * (one signature in 65,536), which the raw verifier takes as it is.
 */
static size_t __attribute__((noinline))
sig_to_raw(unsigned char *raw, const void *sig, size_t sig_len)
{
	unsigned char buf[2 * P256_SIG_DER_MAX];
	size_t len;

	if (sig_len > P256_SIG_DER_MAX)
		return 0;
	memcpy(buf, sig, sig_len);
	len = br_ecdsa_asn1_to_raw(buf, sig_len);
	if (len == 0 || len > P256_SIG_RAW || (len & 1) != 0)
		return 0;
	memcpy(raw, buf, len);
	return len;
}

/* see inner.h */
uint32_t
tether_ecdsa_p256_vrfy_asn1(const br_ec_impl *impl, const void *hash,
    size_t hash_len, const br_ec_public_key *pk, const void *sig,
    size_t sig_len)
{
	unsigned char raw[P256_SIG_RAW];
	size_t len;

	if (pk->curve != BR_EC_secp256r1 ||
	    (len = sig_to_raw(raw, sig, sig_len)) == 0)
		return 0;
	return VRFY_RAW(impl, hash, hash_len, pk, raw, len);
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
