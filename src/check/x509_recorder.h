/* SPDX-License-Identifier: MIT */
/*
 * x509_recorder.h - a br_x509_class for probing: it records the chain a
 * server sends and accepts it, handing BearSSL the leaf's key. It is a
 * probe that reports, not a device that trusts: `tether check` judges the
 * recorded chain afterwards (names, dates, key, size, pins).
 */
#ifndef CHK_X509_RECORDER_H
#define CHK_X509_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#define CHK_CHAIN_BYTES		(64 * 1024)	/* DER kept, whole chain */
#define CHK_CHAIN_CERTS		16		/* certificates kept */

struct chk_x509_recorder {
	const br_x509_class	*vtable;	/* first: BearSSL's handle */
	unsigned char		 der[CHK_CHAIN_BYTES];	/* certs, back to back */
	size_t			 used;		/* bytes of der in use */
	size_t			 cert_len[CHK_CHAIN_CERTS];
	size_t			 ncerts;	/* kept (at most CHK_CHAIN_CERTS) */
	size_t			 sent_certs;	/* as sent, kept or not */
	size_t			 sent_bytes;	/* DER bytes as sent */
	int			 truncated;	/* some were not kept */
	int			 leaf_trailing;	/* bytes past the leaf's DER */
	br_x509_decoder_context	 leaf;		/* decodes the leaf's key */
};

/* Prepares rec for one handshake (also the next one: it resets itself at
 * each chain). Give &rec->vtable to br_ssl_engine_set_x509(). */
void chk_x509_recorder_init(struct chk_x509_recorder *rec);

/* The i-th recorded certificate's DER, or NULL. */
const unsigned char *chk_x509_recorder_cert(const struct chk_x509_recorder *rec,
    size_t i, size_t *len);

#endif
