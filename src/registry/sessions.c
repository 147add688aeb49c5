/* SPDX-License-Identifier: MIT */
/*
 * sessions.c - the gateways' TLS sessions in the store, once for every
 * backend (registry.h). A row holds its writer's node, the session's
 * expiry, and the session (its id's length, its id, its DER) sealed with
 * AES-256-GCM under HMAC(registry key, a domain of its own), the expiry
 * authenticated with it: nonce, ciphertext, tag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "registry/random.h"
#include "registry/registry_int.h"

#define NONCE_LEN	12
#define TAG_LEN		16
#define PLAIN_MAX	(1 + REG_SESSION_ID_MAX + REG_SESSION_DER_MAX)
#define SEALED_MAX	(NONCE_LEN + PLAIN_MAX + TAG_LEN)
#define SEALED_MIN	(NONCE_LEN + 1 + 1 + 1 + TAG_LEN)

/* Not the ticket keys' domain: a ticket key's row never opens as a
 * session, nor the other way round. */
static const char seal_domain[] = "tether session seal v1";

static void
aad_of(int64_t expires, uint8_t aad[8])
{
	uint64_t t = (uint64_t)expires;

	for (int i = 7; i >= 0; i--, t >>= 8)
		aad[i] = (uint8_t)(t & 0xff);
}

/* Seals plain (len bytes) into sealed: its length, or 0 when OpenSSL or
 * randomness fails. */
static size_t
seal(const uint8_t key[REG_HASH_LEN], int64_t expires, const uint8_t *plain,
    size_t len, uint8_t *sealed)
{
	uint8_t aad[8];
	EVP_CIPHER_CTX *c;
	int n, ok;

	aad_of(expires, aad);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return 0;
	ok = reg_random(sealed, NONCE_LEN) == 0 &&
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, sealed) == 1 &&
	    EVP_EncryptUpdate(c, NULL, &n, aad, sizeof(aad)) == 1 &&
	    EVP_EncryptUpdate(c, sealed + NONCE_LEN, &n, plain, (int)len) == 1 &&
	    EVP_EncryptFinal_ex(c, sealed + NONCE_LEN + n, &n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    sealed + NONCE_LEN + len) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? NONCE_LEN + len + TAG_LEN : 0;
}

/* Opens sealed (len bytes) into plain (PLAIN_MAX): the plain length, or
 * 0 when it was not sealed under key with this expiry (or is damaged). */
static size_t
unseal(const uint8_t key[REG_HASH_LEN], int64_t expires, const uint8_t *sealed,
    size_t len, uint8_t *plain)
{
	size_t plen;
	uint8_t aad[8];
	EVP_CIPHER_CTX *c;
	int n, ok;

	if (len < SEALED_MIN || len > SEALED_MAX)
		return 0;
	plen = len - NONCE_LEN - TAG_LEN;
	aad_of(expires, aad);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return 0;
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, sealed) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &n, aad, sizeof(aad)) == 1 &&
	    EVP_DecryptUpdate(c, plain, &n, sealed + NONCE_LEN,
	    (int)plen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    (void *)(sealed + NONCE_LEN + plen)) == 1 &&
	    EVP_DecryptFinal_ex(c, plain + n, &n) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		OPENSSL_cleanse(plain, plen);
		return 0;
	}
	return plen;
}

/* see registry.h */
int
reg_session_parse(const uint8_t *buf, size_t len, struct reg_session *s)
{
	size_t idlen;

	if (len < 1)
		return -1;
	idlen = buf[0];
	if (idlen == 0 || idlen > REG_SESSION_ID_MAX || len - 1 <= idlen ||
	    len - 1 - idlen > REG_SESSION_DER_MAX)
		return -1;
	s->idlen = idlen;
	memcpy(s->id, buf + 1, idlen);
	s->derlen = len - 1 - idlen;
	memcpy(s->der, buf + 1 + idlen, s->derlen);
	return 0;
}

/* The rows of one reg_sessions_put, sealed before any is sent: a
 * backend may send them all in one round trip (run_rows). */
struct put {
	struct reg_store *st;
	const char	*node;
	const struct reg_session *s;
	uint8_t		(*sealed)[SEALED_MAX];
	size_t		*len;
};

static int
bind_session(void *arg, size_t i, struct reg_stmt *stmt)
{
	struct put *p = arg;

	reg_bind_text(p->st, stmt, 1, p->node);
	reg_bind_blob(p->st, stmt, 2, p->sealed[i], p->len[i]);
	reg_bind_int(p->st, stmt, 3, p->s[i].expires);
	return 0;
}

/* see registry.h */
int
reg_sessions_put(struct reg_store *st, const char *node,
    const struct reg_session *s, size_t n)
{
	const char *what = "cannot store TLS sessions";
	uint8_t key[REG_HASH_LEN], plain[PLAIN_MAX];
	uint8_t (*sealed)[SEALED_MAX] = NULL;
	size_t *len = NULL, i;
	long long *changed = NULL;
	struct put p;
	int rc = -1;

	if (n == 0)
		return 0;
	if (reg_ready(st, what) < 0)
		return -1;
	if ((sealed = calloc(n, sizeof(*sealed))) == NULL ||
	    (len = calloc(n, sizeof(*len))) == NULL ||
	    (changed = calloc(n, sizeof(*changed))) == NULL) {
		free(sealed);
		free(len);
		return reg_fail(st, "%s: out of memory", what);
	}
	if (reg_seal_key(st, seal_domain, sizeof(seal_domain), key) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (s[i].idlen == 0 || s[i].idlen > REG_SESSION_ID_MAX ||
		    s[i].derlen == 0 || s[i].derlen > REG_SESSION_DER_MAX) {
			reg_fail(st, "%s: a session of %zu id bytes and %zu DER "
			    "bytes is out of bounds", what, s[i].idlen,
			    s[i].derlen);
			goto out;
		}
		plain[0] = (uint8_t)s[i].idlen;
		memcpy(plain + 1, s[i].id, s[i].idlen);
		memcpy(plain + 1 + s[i].idlen, s[i].der, s[i].derlen);
		if ((len[i] = seal(key, s[i].expires, plain, 1 + s[i].idlen +
		    s[i].derlen, sealed[i])) == 0) {
			reg_fail(st, "%s: sealing one failed (no random "
			    "bytes?)", what);
			goto out;
		}
	}
	p.st = st;
	p.node = node;
	p.s = s;
	p.sealed = sealed;
	p.len = len;
	if (reg_begin(st, what) < 0)
		goto out;
	if (reg_run_rows(st, reg_stmt(st, Q_SESS_PUT), n, bind_session, &p,
	    changed, what) < 0) {
		reg_rollback(st);
		goto out;
	}
	rc = reg_commit(st, what);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(plain, sizeof(plain));
	free(sealed);
	free(len);
	free(changed);
	return rc;
}

/* see registry.h */
long long
reg_sessions_get(struct reg_store *st, int64_t after, int64_t upto,
    const char *node, int64_t mine, int64_t now, size_t max,
    void (*fn)(void *arg, const struct reg_session *s), void *arg,
    int64_t *last, size_t *foreign)
{
	const char *what = "cannot read the TLS sessions of other nodes";
	uint8_t key[REG_HASH_LEN], plain[PLAIN_MAX];
	struct reg_session *s;
	struct reg_stmt *stmt;
	const void *sealed;
	size_t slen, plen;
	long long n = 0;
	int r;

	*foreign = 0;
	*last = after;
	if (reg_ready(st, what) < 0)
		return -1;
	if ((s = malloc(sizeof(*s))) == NULL)
		return reg_fail(st, "%s: out of memory", what);
	if (reg_seal_key(st, seal_domain, sizeof(seal_domain), key) != 0) {
		free(s);
		return -1;
	}
	stmt = reg_stmt(st, Q_SESS_GET);
	reg_bind_int(st, stmt, 1, after);
	reg_bind_int(st, stmt, 2, upto);
	reg_bind_text(st, stmt, 3, node);
	reg_bind_int(st, stmt, 4, mine);
	reg_bind_int(st, stmt, 5, now);
	reg_bind_int(st, stmt, 6, (int64_t)max);
	while ((r = reg_step(st, stmt, what)) == REG_ROW) {
		*last = reg_col_int(st, stmt, 0);
		s->expires = reg_col_int(st, stmt, 2);
		s->own = reg_col_int(st, stmt, 3) != 0;
		if ((sealed = st->be->col_blob(stmt, 1, &slen)) == NULL ||
		    (plen = unseal(key, s->expires, sealed, slen, plain)) == 0 ||
		    reg_session_parse(plain, plen, s) != 0) {
			(*foreign)++;
			continue;
		}
		fn(arg, s);
		n++;
	}
	reg_reset(st, stmt);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
	return r < 0 ? -1 : n;
}

/* see registry.h */
long long
reg_sessions_last(struct reg_store *st)
{
	const char *what = "cannot read the TLS sessions' last position";

	if (reg_ready(st, what) < 0)
		return -1;
	return reg_query_int(st, reg_stmt(st, Q_SESS_LAST), what);
}

/* see registry.h */
long long
reg_sessions_bound(struct reg_store *st, const char *node, size_t keep)
{
	const char *what = "cannot read the TLS sessions' bound";
	struct reg_stmt *s;

	if (reg_ready(st, what) < 0)
		return -1;
	s = reg_stmt(st, Q_SESS_BOUND);
	reg_bind_text(st, s, 1, node);
	reg_bind_int(st, s, 2, (int64_t)keep);
	return reg_query_int(st, s, what);
}

/* see registry.h */
long long
reg_sessions_prune(struct reg_store *st, int64_t now, const char *node,
    int64_t upto, size_t limit)
{
	const char *what = "cannot delete expired TLS sessions";
	struct reg_stmt *s;
	long long n = 0;
	int r;

	if (reg_ready(st, what) < 0)
		return -1;
	s = reg_stmt(st, Q_SESS_PRUNE);
	reg_bind_int(st, s, 1, now);
	reg_bind_int(st, s, 2, upto);
	reg_bind_int(st, s, 3, (int64_t)limit);
	reg_bind_text(st, s, 4, node);
	if ((r = reg_step(st, s, what)) >= 0)
		n = st->be->changed(st, s);
	reg_reset(st, s);
	return r < 0 ? -1 : n;
}
