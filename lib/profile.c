/* SPDX-License-Identifier: MIT */
/*
 * profile.c - the cipher suites and algorithms a client offers: BearSSL's
 * full client set, or the four suites of axTLS-era firmware. The X.509
 * side is not set here: the pin check (pin.c) replaces BearSSL's chain
 * validator, so no trust-anchor engine takes RAM.
 *
 * Which algorithms are linked at all is chosen when libtether is compiled
 * (TETHER_ALGS_*, see tether.h): the engine reaches an algorithm only
 * through the pointers set here, so what this file does not name the
 * linker drops (with -ffunction-sections and --gc-sections).
 */
#include "inner.h"
#include "suites.h"

/* see suites.h */
const uint16_t tether_suites_full[] = {
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_RSA_WITH_AES_128_CCM,
	BR_TLS_RSA_WITH_AES_256_CCM,
	BR_TLS_RSA_WITH_AES_128_CCM_8,
	BR_TLS_RSA_WITH_AES_256_CCM_8,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	BR_TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA,
	BR_TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA,
	BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA
};
_Static_assert(sizeof(tether_suites_full) / sizeof(tether_suites_full[0]) ==
    TETHER_SUITES_FULL_COUNT, "TETHER_SUITES_FULL_COUNT is the list's length");

#if defined(TETHER_ALGS_ECDSA_P256) && defined(TETHER_ALGS_RSA_KX)
#error "define one of TETHER_ALGS_ECDSA_P256 and TETHER_ALGS_RSA_KX, not both"
#endif

#if TETHER_ALGS_FULL || defined(TETHER_ALGS_RSA_KX)
/* The seed article's axTLS set: RSA key exchange, AES-CBC. */
static const uint16_t suites_axtls[] = {
	BR_TLS_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA256
};
#endif

#if TETHER_ALGS_FULL
#define SUITES		tether_suites_full
#define NSUITES		TETHER_SUITES_FULL_COUNT
#else
/* The small profiles: one ECDHE-ECDSA suite on P-256 (the gateway's first
 * TLS 1.2 choice, src/gateway/tls.c) and, with RSA_KX, the same with an
 * RSA certificate and the axTLS suites for servers without ECDHE. */
static const uint16_t suites_small[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
#if defined(TETHER_ALGS_RSA_KX)
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA,
#endif
};
#define SUITES		suites_small
#define NSUITES		(sizeof(suites_small) / sizeof(suites_small[0]))
#endif

/* see inner.h */
void
tether_profile_suites(br_ssl_client_context *cc, unsigned profile)
{
#if TETHER_ALGS_FULL || defined(TETHER_ALGS_RSA_KX)
	if (profile == TETHER_PROFILE_LEGACY_AXTLS) {
		br_ssl_engine_set_suites(&cc->eng, suites_axtls,
		    sizeof(suites_axtls) / sizeof(suites_axtls[0]));
		return;
	}
#endif
	(void)profile;
	br_ssl_engine_set_suites(&cc->eng, SUITES, NSUITES);
}

#if TETHER_ALGS_FULL
/* Every algorithm of BearSSL's client, as br_ssl_client_init_full() sets
 * them. */
static void
profile_algorithms(br_ssl_client_context *cc)
{
	br_ssl_engine_context *eng = &cc->eng;
	static const br_hash_class *const hashes[] = {
		&br_md5_vtable, &br_sha1_vtable, &br_sha224_vtable,
		&br_sha256_vtable, &br_sha384_vtable, &br_sha512_vtable
	};
	int id;

	br_ssl_client_set_default_rsapub(cc);
	br_ssl_engine_set_default_rsavrfy(eng);
	br_ssl_engine_set_default_ecdsa(eng);
	br_ssl_engine_set_default_ec(eng);
	/* a P-256 signature with less stack (ecdsa.c) */
	br_ssl_engine_set_ecdsa(eng, tether_ecdsa_vrfy_asn1);
	for (id = br_md5_ID; id <= br_sha512_ID; id++)
		br_ssl_engine_set_hash(eng, id, hashes[id - 1]);
	br_ssl_engine_set_prf10(eng, &br_tls10_prf);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_cbc(eng);
	br_ssl_engine_set_default_aes_ccm(eng);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_des_cbc(eng);
	br_ssl_engine_set_default_chapol(eng);
}
#else
/* P-256 only, SHA-256 only, AES-128-GCM with the constant-time AES; named
 * one by one, not through BearSSL's set_default_* (which link every
 * implementation they might pick). BR_LOMUL: the code for a chip without
 * a 32x32->64 multiply, as BearSSL's own defaults choose it. */
static void
profile_algorithms(br_ssl_client_context *cc)
{
	br_ssl_engine_context *eng = &cc->eng;

#if BR_LOMUL
	br_ssl_engine_set_ec(eng, &br_ec_p256_m15);
	br_ssl_engine_set_ghash(eng, &br_ghash_ctmul32);
#else
	br_ssl_engine_set_ec(eng, &br_ec_p256_m31);
	br_ssl_engine_set_ghash(eng, &br_ghash_ctmul);
#endif
	/* BearSSL's raw verifier, the DER converted first (ecdsa.c) */
	br_ssl_engine_set_ecdsa(eng, tether_ecdsa_p256_vrfy_asn1);
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_aes_ctr(eng, &br_aes_ct_ctr_vtable);
	br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable,
	    &br_sslrec_out_gcm_vtable);
#if defined(TETHER_ALGS_RSA_KX)
	/* RSA: the key exchange and ECDHE_RSA's signature; CBC with
	 * HMAC-SHA-1 and -256 for the axTLS suites. */
#if BR_LOMUL
	br_ssl_client_set_rsapub(cc, &br_rsa_i15_public);
	br_ssl_engine_set_rsavrfy(eng, &br_rsa_i15_pkcs1_vrfy);
#else
	br_ssl_client_set_rsapub(cc, &br_rsa_i31_public);
	br_ssl_engine_set_rsavrfy(eng, &br_rsa_i31_pkcs1_vrfy);
#endif
	br_ssl_engine_set_hash(eng, br_sha1_ID, &br_sha1_vtable);
	br_ssl_engine_set_aes_cbc(eng, &br_aes_ct_cbcenc_vtable,
	    &br_aes_ct_cbcdec_vtable);
	br_ssl_engine_set_cbc(eng, &br_sslrec_in_cbc_vtable,
	    &br_sslrec_out_cbc_vtable);
#endif
}
#endif

/* see inner.h */
void
tether_profile_apply(br_ssl_client_context *cc, unsigned profile)
{
	br_ssl_client_zero(cc);
	/* Every server a device talks to speaks TLS 1.2; older versions
	 * only add downgrade risk. */
	br_ssl_engine_set_versions(&cc->eng, BR_TLS12, BR_TLS12);
	tether_profile_suites(cc, profile);
	profile_algorithms(cc);
}
