/* SPDX-License-Identifier: MIT */
/*
 * ca_bearssl.c - libtether's chain check (trust anchors), run by `tether
 * check --profile tether --ca FILE` over the chain the device's handshake
 * recorded: the anchors come from the PEM file (OpenSSL reads it, BearSSL's
 * decoder makes each an anchor as `brssl ta` does), and br_x509_minimal is
 * set up exactly as lib/anchor.c sets it up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <bearssl.h>

#include "check/ca_bearssl.h"

#define CA_MAX		32		/* anchors read from the file */
#define DN_MAX		1024		/* bytes of one anchor's name */

struct anchor_buf {
	unsigned char	dn[DN_MAX];
	size_t		dn_len;
	int		dn_over;
	unsigned char	key[1100];	/* RSA-8192 n + e, or an EC point */
};

static void
dn_append(void *ctx, const void *buf, size_t len)
{
	struct anchor_buf *a = ctx;

	if (a->dn_len + len > sizeof(a->dn)) {
		a->dn_over = 1;
		return;
	}
	memcpy(a->dn + a->dn_len, buf, len);
	a->dn_len += len;
}

/* One anchor from one certificate's DER; 0, or -1 if BearSSL cannot. */
static int
make_anchor(const unsigned char *der, size_t len, struct anchor_buf *a,
    br_x509_trust_anchor *ta)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;

	memset(a, 0, sizeof(*a));
	br_x509_decoder_init(&dc, dn_append, a);
	br_x509_decoder_push(&dc, der, len);
	if ((pk = br_x509_decoder_get_pkey(&dc)) == NULL || a->dn_over)
		return -1;
	memset(ta, 0, sizeof(*ta));
	ta->dn.data = a->dn;
	ta->dn.len = a->dn_len;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		if (pk->key.rsa.nlen + pk->key.rsa.elen > sizeof(a->key))
			return -1;
		memcpy(a->key, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(a->key + pk->key.rsa.nlen, pk->key.rsa.e,
		    pk->key.rsa.elen);
		ta->pkey.key.rsa.n = a->key;
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = a->key + pk->key.rsa.nlen;
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
	} else {
		if (pk->key.ec.qlen > sizeof(a->key))
			return -1;
		memcpy(a->key, pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = a->key;
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
	}
	return 0;
}

/* see ca_bearssl.h */
int
chk_bearssl_verify(const char *ca_file, const struct chk_x509_recorder *rec,
    const char *name, uint32_t days, uint32_t seconds, char *why, size_t len)
{
	br_x509_trust_anchor tas[CA_MAX];
	struct anchor_buf *bufs;
	br_x509_minimal_context xc;
	const br_x509_class **vt;
	const unsigned char *der;
	unsigned char *tmp;
	size_t ntas = 0, i, n;
	FILE *f;
	X509 *x;
	int dlen, rc;

	if ((bufs = calloc(CA_MAX, sizeof(*bufs))) == NULL) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	if ((f = fopen(ca_file, "r")) == NULL) {
		free(bufs);
		snprintf(why, len, "--ca '%s' cannot be read", ca_file);
		return -1;
	}
	while (ntas < CA_MAX && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		tmp = NULL;
		if ((dlen = i2d_X509(x, &tmp)) > 0 &&
		    make_anchor(tmp, (size_t)dlen, &bufs[ntas], &tas[ntas]) == 0)
			ntas++;
		OPENSSL_free(tmp);
		X509_free(x);
	}
	fclose(f);
	ERR_clear_error();
	if (ntas == 0) {
		free(bufs);
		snprintf(why, len, "--ca '%s' holds no certificate BearSSL can "
		    "use as a trust anchor", ca_file);
		return -1;
	}

	/* As lib/anchor.c's ac_start_chain(). */
	br_x509_minimal_init(&xc, &br_sha256_vtable, tas, ntas);
	br_x509_minimal_set_hash(&xc, br_sha1_ID, &br_sha1_vtable);
	br_x509_minimal_set_hash(&xc, br_sha224_ID, &br_sha224_vtable);
	br_x509_minimal_set_hash(&xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(&xc, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(&xc, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(&xc, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(&xc, br_ec_get_default(),
	    br_ecdsa_vrfy_asn1_get_default());
	br_x509_minimal_set_time(&xc, days, seconds);
	vt = &xc.vtable;
	(*vt)->start_chain(vt, name);
	for (i = 0; (der = chk_x509_recorder_cert(rec, i, &n)) != NULL; i++) {
		(*vt)->start_cert(vt, (uint32_t)n);
		(*vt)->append(vt, der, n);
		(*vt)->end_cert(vt);
	}
	rc = (int)(*vt)->end_chain(vt);
	free(bufs);
	snprintf(why, len, "%s", rc == 0 ? "" : chk_bearssl_x509_name(rc) ?
	    chk_bearssl_x509_name(rc) : "an X.509 error");
	return rc;
}

/* see ca_bearssl.h */
const char *
chk_bearssl_x509_name(int err)
{
	static const struct {
		int		 code;
		const char	*name;
	} names[] = {
		{ BR_ERR_X509_INVALID_VALUE, "X509_INVALID_VALUE" },
		{ BR_ERR_X509_TRUNCATED, "X509_TRUNCATED" },
		{ BR_ERR_X509_EMPTY_CHAIN, "X509_EMPTY_CHAIN" },
		{ BR_ERR_X509_INNER_TRUNC, "X509_INNER_TRUNC" },
		{ BR_ERR_X509_BAD_TAG_CLASS, "X509_BAD_TAG_CLASS" },
		{ BR_ERR_X509_BAD_TAG_VALUE, "X509_BAD_TAG_VALUE" },
		{ BR_ERR_X509_INDEFINITE_LENGTH, "X509_INDEFINITE_LENGTH" },
		{ BR_ERR_X509_EXTRA_ELEMENT, "X509_EXTRA_ELEMENT" },
		{ BR_ERR_X509_UNEXPECTED, "X509_UNEXPECTED" },
		{ BR_ERR_X509_NOT_CONSTRUCTED, "X509_NOT_CONSTRUCTED" },
		{ BR_ERR_X509_NOT_PRIMITIVE, "X509_NOT_PRIMITIVE" },
		{ BR_ERR_X509_PARTIAL_BYTE, "X509_PARTIAL_BYTE" },
		{ BR_ERR_X509_BAD_BOOLEAN, "X509_BAD_BOOLEAN" },
		{ BR_ERR_X509_OVERFLOW, "X509_OVERFLOW" },
		{ BR_ERR_X509_BAD_DN, "X509_BAD_DN" },
		{ BR_ERR_X509_BAD_TIME, "X509_BAD_TIME" },
		{ BR_ERR_X509_UNSUPPORTED, "X509_UNSUPPORTED" },
		{ BR_ERR_X509_LIMIT_EXCEEDED, "X509_LIMIT_EXCEEDED" },
		{ BR_ERR_X509_WRONG_KEY_TYPE, "X509_WRONG_KEY_TYPE" },
		{ BR_ERR_X509_BAD_SIGNATURE, "X509_BAD_SIGNATURE" },
		{ BR_ERR_X509_TIME_UNKNOWN, "X509_TIME_UNKNOWN" },
		{ BR_ERR_X509_EXPIRED, "X509_EXPIRED" },
		{ BR_ERR_X509_DN_MISMATCH, "X509_DN_MISMATCH" },
		{ BR_ERR_X509_BAD_SERVER_NAME, "X509_BAD_SERVER_NAME" },
		{ BR_ERR_X509_CRITICAL_EXTENSION, "X509_CRITICAL_EXTENSION" },
		{ BR_ERR_X509_NOT_CA, "X509_NOT_CA" },
		{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, "X509_FORBIDDEN_KEY_USAGE" },
		{ BR_ERR_X509_WEAK_PUBLIC_KEY, "X509_WEAK_PUBLIC_KEY" },
		{ BR_ERR_X509_NOT_TRUSTED, "X509_NOT_TRUSTED" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == err)
			return names[i].name;
	return NULL;
}
