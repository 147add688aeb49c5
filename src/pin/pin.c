/* SPDX-License-Identifier: MIT */
/*
 * pin.c - a certificate's pins (SPKI SHA-256 as base64 and hex, the
 * certificate's SHA-256 and SHA-1), its key in words, its subject and
 * expiry; and the reading of a PEM certificate they start from.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "pin/pin.h"

#define PIN_GROUP_LEN	25	/* "ECDSA " + a group name fits key_type[32] */

const char *
pin_openssl_why(char *buf, size_t len)
{
	unsigned long e;
	const char *r;

	e = ERR_peek_error();
	ERR_clear_error();
	if (e == 0)
		snprintf(buf, len, "no reason recorded by OpenSSL");
	else if (ERR_GET_LIB(e) == ERR_LIB_SYS)
		snprintf(buf, len, "%s", strerror(ERR_GET_REASON(e)));
	else if ((r = ERR_reason_error_string(e)) != NULL)
		snprintf(buf, len, "%s", r);
	else
		snprintf(buf, len, "OpenSSL error %lx", e);
	return buf;
}

X509 *
pin_read_cert(const char *path, char *err)
{
	FILE *fp;
	X509 *x;
	char why[PIN_ERR_LEN];

	if ((fp = fopen(path, "r")) == NULL) {
		if (err != NULL)
			snprintf(err, PIN_ERR_LEN, "cannot open certificate "
			    "%s: %s", path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL && err != NULL)
		snprintf(err, PIN_ERR_LEN, "%s holds no PEM certificate (%s)",
		    path, pin_openssl_why(why, sizeof(why)));
	return x;
}

const char *
pin_key_kind(int id)
{
	switch (id) {
	case EVP_PKEY_RSA:
		return "RSA";
	case EVP_PKEY_RSA_PSS:
		return "RSA-PSS";
	case EVP_PKEY_EC:
		return "ECDSA";
	case EVP_PKEY_ED25519:
		return "Ed25519";
	case EVP_PKEY_ED448:
		return "Ed448";
	default:
		return OBJ_nid2sn(id);
	}
}

static void
hex(const unsigned char *in, size_t n, char *out, int upper_colon)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	const char *digits = upper_colon ? upper : lower;
	size_t i;

	for (i = 0; i < n; i++) {
		if (upper_colon && i > 0)
			*out++ = ':';
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 0xf];
	}
	*out = '\0';
}

static void
key_type(EVP_PKEY *k, char *out, size_t len)
{
	char group[PIN_GROUP_LEN];
	const char *nist;
	int id = EVP_PKEY_get_base_id(k);

	if (id == EVP_PKEY_EC) {
		if (EVP_PKEY_get_group_name(k, group, sizeof(group), NULL) !=
		    1) {
			snprintf(out, len, "ECDSA");
			return;
		}
		nist = EC_curve_nid2nist(OBJ_txt2nid(group));
		snprintf(out, len, "ECDSA %s", nist != NULL ? nist : group);
	} else if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
		snprintf(out, len, "%s %d", pin_key_kind(id),
		    EVP_PKEY_get_bits(k));
	} else {
		snprintf(out, len, "%s", pin_key_kind(id) != NULL ?
		    pin_key_kind(id) : "unknown key type");
	}
}

int
pin_from_x509(X509 *cert, struct pin_set *out)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int mdlen;
	EVP_PKEY *pub;
	BIO *bio;
	struct tm tm;
	int derlen;
	long n;
	char *text;

	memset(out, 0, sizeof(*out));
	if ((pub = X509_get0_pubkey(cert)) == NULL)
		goto fail;

	/* The SubjectPublicKeyInfo, DER: what curl and libtls pin. */
	if ((derlen = i2d_PUBKEY(pub, &der)) <= 0)
		goto fail;
	n = EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (n != 1)
		goto fail;
	EVP_EncodeBlock((unsigned char *)out->spki_sha256_b64, md,
	    (int)mdlen);
	hex(md, mdlen, out->spki_sha256_hex, 0);

	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1)
		goto fail;
	hex(md, mdlen, out->cert_sha256_hex, 0);
	if (X509_digest(cert, EVP_sha1(), md, &mdlen) != 1)
		goto fail;
	hex(md, mdlen, out->cert_sha1_hex, 0);
	hex(md, mdlen, out->cert_sha1_colon, 1);

	key_type(pub, out->key_type, sizeof(out->key_type));

	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1 ||
	    strftime(out->not_after, sizeof(out->not_after),
	    "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		goto fail;

	/* RFC 2253, but UTF-8 left readable rather than \-escaped. */
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		goto fail;
	if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
		BIO_free(bio);
		goto fail;
	}
	n = BIO_get_mem_data(bio, &text);
	if (n >= (long)sizeof(out->subject))
		n = sizeof(out->subject) - 1;
	memcpy(out->subject, text, (size_t)n);
	out->subject[n] = '\0';
	BIO_free(bio);
	return 0;
fail:
	ERR_clear_error();
	memset(out, 0, sizeof(*out));
	return -1;
}

int
pin_from_file(const char *cert_file, struct pin_set *out, char *err)
{
	X509 *x;
	int rc;

	if ((x = pin_read_cert(cert_file, err)) == NULL)
		return -1;
	if ((rc = pin_from_x509(x, out)) != 0 && err != NULL)
		snprintf(err, PIN_ERR_LEN, "cannot compute the pins of %s: it "
		    "is not a certificate OpenSSL can read fully", cert_file);
	X509_free(x);
	return rc;
}
