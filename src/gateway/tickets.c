/* SPDX-License-Identifier: MIT */
/*
 * tickets.c - the session ticket keys (tickets.h): a ring behind one
 * mutex, OpenSSL's ticket callback, and the key file of the state
 * directory. A ticket is sealed as OpenSSL seals its own (AES-256-CBC,
 * HMAC-SHA256, the key's name in clear), only the keys are ours, so they
 * can outlive the process and be shared by the nodes of one store.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "gateway/statefile.h"
#include "gateway/tickets.h"

#define AES_KEY_LEN	32
#define KEY_REC_LEN	(8 + GW_TICKET_NAME_LEN + GW_TICKET_SECRET_LEN)
static const unsigned char file_magic[16] = "tether tickets1\n";

struct gw_tickets {
	pthread_mutex_t		 lock;
	struct gw_ticket_key	 ring[GW_TICKET_RING];	/* newest first */
	size_t			 n;
	struct gw_tickets_stats	 st;
};

static pthread_once_t ex_once = PTHREAD_ONCE_INIT;
static int ex_index = -1;
static int ssl_index = -1;	/* an SSL's: a ticket of ours opened */

static void
ex_index_init(void)
{
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int
fresh_key(struct gw_ticket_key *k, int64_t now)
{
	if (RAND_bytes(k->name, sizeof(k->name)) != 1 ||
	    RAND_priv_bytes(k->secret, sizeof(k->secret)) != 1) {
		ERR_clear_error();
		OPENSSL_cleanse(k, sizeof(*k));
		return -1;
	}
	k->created = now;
	return 0;
}

/* Newest first; then by name, so that every node of a store agrees on
 * which of two keys made in the same second seals. */
static int
cmp_key(const void *a, const void *b)
{
	const struct gw_ticket_key *x = a, *y = b;

	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return memcmp(y->name, x->name, GW_TICKET_NAME_LEN);
}

/* Sorts the ring and drops the keys past GW_TICKET_KEEP (never the
 * newest) and those beyond the ring's size. Under the lock. */
static void
settle(struct gw_tickets *tk, int64_t now)
{
	size_t i;

	qsort(tk->ring, tk->n, sizeof(tk->ring[0]), cmp_key);
	for (i = 1; i < tk->n; i++)
		if (tk->ring[i].created + GW_TICKET_KEEP <= now)
			break;
	for (size_t j = i; j < tk->n; j++)
		OPENSSL_cleanse(&tk->ring[j], sizeof(tk->ring[j]));
	tk->n = i;
}

struct gw_tickets *
gw_tickets_new(void)
{
	struct gw_tickets *tk;

	if ((tk = calloc(1, sizeof(*tk))) == NULL)
		return NULL;
	if (fresh_key(&tk->ring[0], (int64_t)time(NULL)) != 0 ||
	    pthread_mutex_init(&tk->lock, NULL) != 0) {
		free(tk);
		return NULL;
	}
	tk->n = 1;
	return tk;
}

void
gw_tickets_free(struct gw_tickets *tk)
{
	if (tk == NULL)
		return;
	pthread_mutex_destroy(&tk->lock);
	OPENSSL_cleanse(tk, sizeof(*tk));
	free(tk);
}

size_t
gw_tickets_export(struct gw_tickets *tk, struct gw_ticket_key *keys)
{
	size_t n;

	pthread_mutex_lock(&tk->lock);
	n = tk->n;
	memcpy(keys, tk->ring, n * sizeof(keys[0]));
	pthread_mutex_unlock(&tk->lock);
	return n;
}

/* gw_tickets_merge under the lock. */
static size_t
merge(struct gw_tickets *tk, const struct gw_ticket_key *keys, size_t n,
    int64_t now)
{
	struct gw_ticket_key all[2 * GW_TICKET_RING];
	size_t added = 0, m, i, j;

	memcpy(all, tk->ring, tk->n * sizeof(all[0]));
	m = tk->n;
	for (i = 0; i < n && m < 2 * GW_TICKET_RING; i++) {
		if (keys[i].created + GW_TICKET_KEEP <= now)
			continue;
		for (j = 0; j < m; j++)
			if (memcmp(all[j].name, keys[i].name,
			    GW_TICKET_NAME_LEN) == 0)
				break;
		if (j < m)
			continue;
		all[m++] = keys[i];
		added++;
	}
	qsort(all, m, sizeof(all[0]), cmp_key);
	if (m > GW_TICKET_RING)
		m = GW_TICKET_RING;
	memcpy(tk->ring, all, m * sizeof(all[0]));
	tk->n = m;
	settle(tk, now);
	OPENSSL_cleanse(all, sizeof(all));
	return added;
}

size_t
gw_tickets_merge(struct gw_tickets *tk, const struct gw_ticket_key *keys,
    size_t n, int64_t now)
{
	size_t added;

	pthread_mutex_lock(&tk->lock);
	added = merge(tk, keys, n, now);
	pthread_mutex_unlock(&tk->lock);
	return added;
}

int
gw_tickets_set(struct gw_tickets *tk, const struct gw_ticket_key *keys,
    size_t n, int64_t now)
{
	struct gw_ticket_key k;
	int rc = 0;

	if (fresh_key(&k, now) != 0)
		return -1;
	/* In one hold of the lock: a handshake never sees an empty ring. */
	pthread_mutex_lock(&tk->lock);
	OPENSSL_cleanse(tk->ring, sizeof(tk->ring));
	tk->n = 0;
	merge(tk, keys, n, now);
	if (tk->n == 0) {	/* every key was past its time */
		tk->ring[0] = k;
		tk->n = 1;
	}
	pthread_mutex_unlock(&tk->lock);
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

int
gw_tickets_due(struct gw_tickets *tk, int64_t now)
{
	int due;

	pthread_mutex_lock(&tk->lock);
	due = tk->ring[0].created + GW_TICKET_ROTATE <= now;
	pthread_mutex_unlock(&tk->lock);
	return due;
}

int
gw_tickets_rotate(struct gw_tickets *tk, int64_t now)
{
	struct gw_ticket_key k;

	if (fresh_key(&k, now) != 0)
		return -1;
	pthread_mutex_lock(&tk->lock);
	if (tk->n == GW_TICKET_RING)
		OPENSSL_cleanse(&tk->ring[--tk->n], sizeof(k));
	memmove(&tk->ring[1], &tk->ring[0], tk->n * sizeof(k));
	tk->ring[0] = k;
	tk->n++;
	settle(tk, now);
	tk->st.rotations++;
	pthread_mutex_unlock(&tk->lock);
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

void
gw_tickets_stats(struct gw_tickets *tk, struct gw_tickets_stats *st)
{
	pthread_mutex_lock(&tk->lock);
	*st = tk->st;
	pthread_mutex_unlock(&tk->lock);
}

/* OpenSSL's callback */

static struct gw_tickets *
tickets_of(SSL_CTX *ctx)
{
	pthread_once(&ex_once, ex_index_init);
	if (ex_index < 0 || ctx == NULL)
		return NULL;
	return SSL_CTX_get_ex_data(ctx, ex_index);
}

/*
 * Seals (enc) with the newest key, or finds the key a ticket names.
 * Returns 1, 2 (opened with an older key: OpenSSL sends a new ticket),
 * 0 (no such key: a full handshake) or -1 (an error: the handshake
 * fails; only when OpenSSL or randomness fails).
 */
static int
ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct gw_tickets *tk;
	struct gw_ticket_key k;
	OSSL_PARAM params[2];
	size_t i;
	int rc = -1;

	/* Every context of a gw_tls has the same ring (tls.c), so whichever
	 * SNI chose, the keys are the same. */
	if ((tk = tickets_of(SSL_get_SSL_CTX(ssl))) == NULL)
		return enc ? -1 : 0;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();

	pthread_mutex_lock(&tk->lock);
	if (enc) {
		k = tk->ring[0];
		i = 0;
		tk->st.sealed++;
	} else {
		for (i = 0; i < tk->n; i++)
			if (CRYPTO_memcmp(tk->ring[i].name, name,
			    GW_TICKET_NAME_LEN) == 0)
				break;
		if (i == tk->n) {
			tk->st.unknown++;
			pthread_mutex_unlock(&tk->lock);
			return 0;
		}
		k = tk->ring[i];
		if (i == 0)
			tk->st.opened++;
		else
			tk->st.opened_old++;
	}
	pthread_mutex_unlock(&tk->lock);

	if (enc) {
		memcpy(name, k.name, GW_TICKET_NAME_LEN);
		if (RAND_bytes(iv, 16) != 1 ||
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.secret,
		    iv) != 1)
			goto out;
	} else if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL,
	    k.secret, iv) != 1) {
		goto out;
	}
	if (EVP_MAC_init(hctx, k.secret + AES_KEY_LEN,
	    GW_TICKET_SECRET_LEN - AES_KEY_LEN, params) != 1)
		goto out;
	rc = enc || i == 0 ? 1 : 2;
	/* OpenSSL may still refuse the session in it (expired, another
	 * cipher): gw_tickets_opened is read with SSL_session_reused. */
	if (!enc && ssl_index >= 0)
		(void)SSL_set_ex_data(ssl, ssl_index, (void *)1);
out:
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

int
gw_tickets_attach(struct gw_tickets *tk, SSL_CTX *ctx)
{
	pthread_once(&ex_once, ex_index_init);
	if (ex_index < 0 || SSL_CTX_set_ex_data(ctx, ex_index, tk) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

void
gw_tickets_detach(SSL_CTX *ctx)
{
	pthread_once(&ex_once, ex_index_init);
	if (ex_index < 0 || ctx == NULL)
		return;
	(void)SSL_CTX_set_ex_data(ctx, ex_index, NULL);
}

int
gw_tickets_opened(const SSL *ssl)
{
	pthread_once(&ex_once, ex_index_init);
	return ssl_index >= 0 && SSL_get_ex_data(ssl, ssl_index) != NULL;
}

/* The key file */

static void
put64(unsigned char *p, int64_t v)
{
	for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
		p[i] = (unsigned char)(v & 0xff);
}

static int64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

size_t
gw_tickets_format(const struct gw_ticket_key *keys, size_t n,
    unsigned char *buf)
{
	unsigned char *p = buf;

	if (n > GW_TICKET_RING)
		n = GW_TICKET_RING;
	memcpy(p, file_magic, sizeof(file_magic));
	p += sizeof(file_magic);
	*p++ = (unsigned char)n;
	for (size_t i = 0; i < n; i++) {
		put64(p, keys[i].created);
		memcpy(p + 8, keys[i].name, GW_TICKET_NAME_LEN);
		memcpy(p + 8 + GW_TICKET_NAME_LEN, keys[i].secret,
		    GW_TICKET_SECRET_LEN);
		p += KEY_REC_LEN;
	}
	SHA256(buf, (size_t)(p - buf), p);
	return (size_t)(p - buf) + SHA256_DIGEST_LENGTH;
}

int
gw_tickets_parse(const unsigned char *buf, size_t len,
    struct gw_ticket_key *keys, size_t *n, char *err)
{
	unsigned char sum[SHA256_DIGEST_LENGTH];
	const unsigned char *p;
	size_t count;

	*n = 0;
	if (len < sizeof(file_magic) + 1 + SHA256_DIGEST_LENGTH ||
	    memcmp(buf, file_magic, sizeof(file_magic)) != 0) {
		snprintf(err, GW_TICKET_ERR_LEN, "it is not a tether ticket "
		    "key file (an nginx ssl_session_ticket_key file is not "
		    "one)");
		return -1;
	}
	count = buf[sizeof(file_magic)];
	if (count == 0 || count > GW_TICKET_RING ||
	    len != sizeof(file_magic) + 1 + count * KEY_REC_LEN +
	    SHA256_DIGEST_LENGTH) {
		snprintf(err, GW_TICKET_ERR_LEN, "it is %zu bytes, which does "
		    "not fit its count of keys (%zu): truncated or damaged",
		    len, count);
		return -1;
	}
	SHA256(buf, len - SHA256_DIGEST_LENGTH, sum);
	if (CRYPTO_memcmp(sum, buf + len - SHA256_DIGEST_LENGTH,
	    sizeof(sum)) != 0) {
		snprintf(err, GW_TICKET_ERR_LEN, "its checksum does not "
		    "match: damaged");
		return -1;
	}
	p = buf + sizeof(file_magic) + 1;
	for (size_t i = 0; i < count; i++, p += KEY_REC_LEN) {
		keys[i].created = get64(p);
		memcpy(keys[i].name, p + 8, GW_TICKET_NAME_LEN);
		memcpy(keys[i].secret, p + 8 + GW_TICKET_NAME_LEN,
		    GW_TICKET_SECRET_LEN);
	}
	*n = count;
	return 0;
}

int
gw_tickets_load(struct gw_tickets *tk, const char *path, int64_t now,
    char *err)
{
	unsigned char buf[GW_TICKET_FILE_MAX + 1];
	struct gw_ticket_key keys[GW_TICKET_RING];
	char why[GW_TICKET_ERR_LEN];
	size_t len, n;
	FILE *fp;
	int missing, rc = -1;

	if ((fp = gw_state_open(path, &missing, err)) == NULL)
		return missing ? 0 : -1;
	len = fread(buf, 1, sizeof(buf), fp);
	if (ferror(fp)) {
		snprintf(err, GW_TICKET_ERR_LEN, "cannot read %s", path);
	} else if (gw_tickets_parse(buf, len, keys, &n, why) != 0) {
		snprintf(err, GW_TICKET_ERR_LEN, "%.150s: %.100s", path, why);
	} else {
		/* The file's keys replace the fresh one made at start. */
		if ((rc = gw_tickets_set(tk, keys, n, now)) == 0)
			rc = 1;
		else
			snprintf(err, GW_TICKET_ERR_LEN, "no randomness for a "
			    "ticket key");
	}
	fclose(fp);
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(keys, sizeof(keys));
	return rc;
}

int
gw_tickets_save(struct gw_tickets *tk, const char *path, char *err)
{
	unsigned char buf[GW_TICKET_FILE_MAX];
	struct gw_ticket_key keys[GW_TICKET_RING];
	struct gw_statefile sf;
	size_t len;
	int rc = -1;

	len = gw_tickets_format(keys, gw_tickets_export(tk, keys), buf);
	OPENSSL_cleanse(keys, sizeof(keys));
	if (gw_state_begin(&sf, path, err) == 0) {
		if (fwrite(buf, 1, len, sf.fp) != len) {
			snprintf(err, GW_TICKET_ERR_LEN, "cannot write %s "
			    "(is the disk full?)", path);
			gw_state_abort(&sf);
		} else {
			rc = gw_state_commit(&sf, err);
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}
