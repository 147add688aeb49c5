/* SPDX-License-Identifier: MIT */
/*
 * tickets.c - the gateways' TLS session ticket keys in the store, once for
 * every backend (registry.h). A row holds a key's name, its time, and its
 * secret sealed with AES-256-GCM under HMAC(registry key, a domain of its
 * own): nonce, ciphertext, tag.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "registry/random.h"
#include "registry/registry_int.h"

#define NONCE_LEN	12
#define TAG_LEN		16
#define SEALED_LEN	(NONCE_LEN + REG_TICKET_SECRET_LEN + TAG_LEN)

/* What the sealing key is keyed over: no credential starts with it (it
 * holds a NUL). */
static const char seal_domain[] = "tether ticket key seal v1";

/* The associated data: the key's name and time, so a row's secret does
 * not open under another name or time. */
static void
aad_of(const struct reg_ticket_key *k, uint8_t aad[REG_TICKET_NAME_LEN + 8])
{
	uint64_t t = (uint64_t)k->created;

	memcpy(aad, k->name, REG_TICKET_NAME_LEN);
	for (int i = 7; i >= 0; i--, t >>= 8)
		aad[REG_TICKET_NAME_LEN + i] = (uint8_t)(t & 0xff);
}

/* Seals (enc) k->secret into sealed under key (reg_seal_key), or opens
 * sealed into k->secret. 0, or -1 (for an open: not sealed under this
 * registry key). */
static int
seal(const uint8_t key[REG_HASH_LEN], struct reg_ticket_key *k,
    uint8_t sealed[SEALED_LEN], int enc)
{
	uint8_t aad[REG_TICKET_NAME_LEN + 8];
	EVP_CIPHER_CTX *c;
	int len, ok = 0;

	aad_of(k, aad);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (enc) {
		ok = reg_random(sealed, NONCE_LEN) == 0 &&
		    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key,
		    sealed) == 1 &&
		    EVP_EncryptUpdate(c, NULL, &len, aad, sizeof(aad)) == 1 &&
		    EVP_EncryptUpdate(c, sealed + NONCE_LEN, &len, k->secret,
		    REG_TICKET_SECRET_LEN) == 1 &&
		    EVP_EncryptFinal_ex(c, sealed + NONCE_LEN + len, &len) == 1 &&
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
		    sealed + NONCE_LEN + REG_TICKET_SECRET_LEN) == 1;
	} else {
		ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key,
		    sealed) == 1 &&
		    EVP_DecryptUpdate(c, NULL, &len, aad, sizeof(aad)) == 1 &&
		    EVP_DecryptUpdate(c, k->secret, &len, sealed + NONCE_LEN,
		    REG_TICKET_SECRET_LEN) == 1 &&
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
		    sealed + NONCE_LEN + REG_TICKET_SECRET_LEN) == 1 &&
		    EVP_DecryptFinal_ex(c, k->secret + len, &len) == 1;
		if (!ok)
			OPENSSL_cleanse(k->secret, sizeof(k->secret));
	}
	EVP_CIPHER_CTX_free(c);
out:
	return ok ? 0 : -1;
}

/* see registry.h */
int
reg_ticket_key_put(struct reg_store *st, const struct reg_ticket_key *k)
{
	const char *what = "cannot store a TLS ticket key";
	struct reg_ticket_key copy = *k;
	uint8_t sealed[SEALED_LEN], key[REG_HASH_LEN];
	struct reg_stmt *s;
	int rc;

	if (reg_ready(st, what) < 0 ||
	    reg_seal_key(st, seal_domain, sizeof(seal_domain), key) != 0)
		return -1;
	rc = seal(key, &copy, sealed, 1);
	OPENSSL_cleanse(&copy, sizeof(copy));
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != 0)
		return reg_fail(st, "%s: sealing it failed (no random bytes?)",
		    what);
	s = reg_stmt(st, Q_TKEY_PUT);
	reg_bind_blob(st, s, 1, k->name, REG_TICKET_NAME_LEN);
	reg_bind_blob(st, s, 2, sealed, sizeof(sealed));
	reg_bind_int(st, s, 3, k->created);
	return reg_run(st, s, what);
}

/* see registry.h */
long long
reg_ticket_keys_get(struct reg_store *st, int64_t since,
    struct reg_ticket_key *out, size_t max, size_t *foreign)
{
	const char *what = "cannot read the TLS ticket keys";
	struct reg_stmt *s;
	const void *name, *sealed;
	size_t nlen, slen, n = 0;
	uint8_t buf[SEALED_LEN], key[REG_HASH_LEN];
	int r = 0;

	*foreign = 0;
	if (reg_ready(st, what) < 0 ||
	    reg_seal_key(st, seal_domain, sizeof(seal_domain), key) != 0)
		return -1;
	s = reg_stmt(st, Q_TKEY_GET);
	reg_bind_int(st, s, 1, since);
	/* foreign rows (another registry key's) do not count: room for
	 * some of them besides max good ones */
	reg_bind_int(st, s, 2, (int64_t)max + 64);
	while (n < max && (r = reg_step(st, s, what)) == REG_ROW) {
		struct reg_ticket_key *k = &out[n];

		/* One column at a time: a backend may decode each blob into
		 * the same buffer. */
		if ((name = st->be->col_blob(s, 0, &nlen)) == NULL ||
		    nlen != REG_TICKET_NAME_LEN) {
			(*foreign)++;
			continue;
		}
		memcpy(k->name, name, REG_TICKET_NAME_LEN);
		if ((sealed = st->be->col_blob(s, 1, &slen)) == NULL ||
		    slen != SEALED_LEN) {
			(*foreign)++;
			continue;
		}
		memcpy(buf, sealed, SEALED_LEN);
		k->created = reg_col_int(st, s, 2);
		if (seal(key, k, buf, 0) != 0)
			(*foreign)++;
		else
			n++;
	}
	reg_reset(st, s);
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(key, sizeof(key));
	if (n < max && r < 0)
		return -1;
	return (long long)n;
}

/* see registry.h */
int
reg_ticket_keys_prune(struct reg_store *st, int64_t before)
{
	const char *what = "cannot delete old TLS ticket keys";
	struct reg_stmt *s;

	if (reg_ready(st, what) < 0)
		return -1;
	s = reg_stmt(st, Q_TKEY_PRUNE);
	reg_bind_int(st, s, 1, before);
	return reg_run(st, s, what);
}
