/* SPDX-License-Identifier: MIT */
/*
 * x509_recorder.c - chk_x509_recorder: records the chain as sent and
 * accepts the leaf's key without judging it (the shape of BearSSL's
 * x509_knownkey.c, with the trust decision left to the report).
 */
#include <string.h>

#include "check/x509_recorder.h"

static void
rec_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct chk_x509_recorder *rec = (struct chk_x509_recorder *)ctx;

	(void)server_name;
	rec->used = 0;
	rec->ncerts = 0;
	rec->sent_certs = 0;
	rec->sent_bytes = 0;
	rec->truncated = 0;
	rec->leaf_trailing = 0;
	br_x509_decoder_init(&rec->leaf, NULL, NULL);
}

static void
rec_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct chk_x509_recorder *rec = (struct chk_x509_recorder *)ctx;

	(void)length;
	if (rec->sent_certs < CHK_CHAIN_CERTS)
		rec->cert_len[rec->sent_certs] = 0;
	else
		rec->truncated = 1;	/* even an empty one is not kept */
	rec->sent_certs++;
}

static void
rec_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct chk_x509_recorder *rec = (struct chk_x509_recorder *)ctx;
	size_t idx = rec->sent_certs - 1, room;

	rec->sent_bytes += len;
	/* Only the leaf's key is needed for the handshake. BearSSL 0.6's
	 * decoder must not be pushed once it has stopped (at an error or at
	 * the certificate's end): it runs off its code and crashes, so a
	 * server could crash us with bytes past its leaf's DER. */
	if (idx == 0) {
		if (rec->leaf.err == 0 && !rec->leaf.decoded)
			br_x509_decoder_push(&rec->leaf, buf, len);
		else if (rec->leaf.err == 0)
			rec->leaf_trailing = 1;
	}
	if (idx >= CHK_CHAIN_CERTS || rec->truncated) {
		rec->truncated = 1;
		return;
	}
	room = sizeof(rec->der) - rec->used;
	if (len > room) {
		/* A cut certificate is worse than none: drop this one. */
		rec->used -= rec->cert_len[idx];
		rec->cert_len[idx] = 0;
		rec->truncated = 1;
		return;
	}
	memcpy(rec->der + rec->used, buf, len);
	rec->used += len;
	rec->cert_len[idx] += len;
}

static void
rec_end_cert(const br_x509_class **ctx)
{
	struct chk_x509_recorder *rec = (struct chk_x509_recorder *)ctx;

	if (!rec->truncated && rec->sent_certs <= CHK_CHAIN_CERTS)
		rec->ncerts = rec->sent_certs;
}

static unsigned
rec_end_chain(const br_x509_class **ctx)
{
	struct chk_x509_recorder *rec = (struct chk_x509_recorder *)ctx;
	int err;

	if (rec->sent_certs == 0)
		return BR_ERR_X509_EMPTY_CHAIN;
	if ((err = br_x509_decoder_last_error(&rec->leaf)) != 0)
		return (unsigned)err;
	return rec->leaf_trailing ? BR_ERR_X509_EXTRA_ELEMENT : 0;
}

static const br_x509_pkey *
rec_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct chk_x509_recorder *rec = (struct chk_x509_recorder *)ctx;

	if (usages != NULL)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&rec->leaf);
}

static const br_x509_class rec_vtable = {
	sizeof(struct chk_x509_recorder),
	rec_start_chain,
	rec_start_cert,
	rec_append,
	rec_end_cert,
	rec_end_chain,
	rec_get_pkey
};

void
chk_x509_recorder_init(struct chk_x509_recorder *rec)
{
	memset(rec, 0, offsetof(struct chk_x509_recorder, der));
	rec->vtable = &rec_vtable;
	rec->used = 0;
	rec->ncerts = 0;
	rec->sent_certs = 0;
	rec->sent_bytes = 0;
	rec->truncated = 0;
	rec->leaf_trailing = 0;
	br_x509_decoder_init(&rec->leaf, NULL, NULL);
}

const unsigned char *
chk_x509_recorder_cert(const struct chk_x509_recorder *rec, size_t i,
    size_t *len)
{
	size_t off = 0, k;

	if (i >= rec->ncerts || rec->cert_len[i] == 0)
		return NULL;
	for (k = 0; k < i; k++)
		off += rec->cert_len[k];
	*len = rec->cert_len[i];
	return rec->der + off;
}
