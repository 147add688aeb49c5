/* SPDX-License-Identifier: MIT */
/*
 * sesscache.c - the server-side TLS session cache: session id -> the
 * session's DER bytes, one exact-size allocation a session, oldest out
 * first, behind one mutex. Other nodes' sessions (sharing) are held apart
 * and take only what this node's own leave, half the cache at most: a
 * node keeps its own devices' sessions as it did alone. OpenSSL calls it through the SSL_CTX callbacks.
 * It is written to the state directory now and then and at a clean stop,
 * and read back at the next start; on PostgreSQL the watcher takes the
 * sessions stored here to the store and adds other nodes' (resume.c).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "gateway/limits.h"
#include "gateway/sesscache.h"
#include "gateway/statefile.h"

#define GW_SESSCACHE_ID_MAX	SSL_MAX_SSL_SESSION_ID_LENGTH	/* 32 */

/*
 * One session. Its id and DER follow the header in the same allocation,
 * so a session costs its header, its id and its DER, and nothing else.
 */
struct sess {
	struct sess	*chain;		/* next in the bucket */
	struct sess	*older;		/* insertion order, for eviction */
	struct sess	*newer;
	time_t		 expires;	/* seconds since the epoch */
	uint64_t	 seq;		/* c->seq when stored (sharing) */
	uint16_t	 derlen;
	uint8_t		 idlen;
	uint8_t		 local;		/* of a handshake here, not added */
	uint8_t		 foreign;	/* of another node: c->foreign */
	unsigned char	 bytes[];	/* id, then DER */
};

/* Sessions in the order stored, the oldest out first. */
struct age {
	struct sess	*oldest, *newest;
	size_t		 count;
};

struct gw_sesscache {
	pthread_mutex_t	 lock;
	struct sess	**buckets;
	size_t		 nbuckets;	/* power of two */
	size_t		 maxbuckets;	/* power of two >= max / 2 */
	size_t		 max;		/* sessions */
	size_t		 foreign_max;	/* of them other nodes', max / 2 */
	struct age	 own;		/* this node's: handshakes, read back */
	struct age	 foreign;	/* other nodes' */
	uint64_t	 seed;		/* hash key */
	uint64_t	 seq;		/* sessions stored by handshakes */
	uint64_t	 version;	/* changes of any kind */
	struct gw_sesscache_stats st;
};

static pthread_once_t ex_once = PTHREAD_ONCE_INIT;
static int ex_index = -1;

static void
ex_index_init(void)
{
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static size_t
sess_size(const struct sess *e)
{
	return offsetof(struct sess, bytes) + e->idlen + e->derlen;
}

/*
 * FNV-1a under a random key. Ids are random bytes of the server's; a
 * client only chooses which id to look up, never where one is stored, so
 * this need not resist chosen keys. The key still keeps chains from
 * lining up the same way in every process.
 */
static size_t
bucket(const struct gw_sesscache *c, const unsigned char *id, size_t len,
    size_t nbuckets)
{
	uint64_t h = c->seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= id[i];
		h *= UINT64_C(0x100000001b3);
	}
	h ^= h >> 32;
	return (size_t)h & (nbuckets - 1);
}

/* The link that points at the session with this id, or at NULL. */
static struct sess **
find(struct gw_sesscache *c, const unsigned char *id, size_t len)
{
	struct sess **pp = &c->buckets[bucket(c, id, len, c->nbuckets)];

	for (; *pp != NULL; pp = &(*pp)->chain)
		if ((*pp)->idlen == len &&
		    CRYPTO_memcmp((*pp)->bytes, id, len) == 0)
			break;
	return pp;
}

static struct age *
age_of(struct gw_sesscache *c, const struct sess *e)
{
	return e->foreign ? &c->foreign : &c->own;
}

/* Takes e out of the table and its age list, wipes it (its DER holds the
 * master secret) and frees it. pp is the link that points at e. */
static void
drop(struct gw_sesscache *c, struct sess **pp)
{
	struct sess *e = *pp;
	struct age *a = age_of(c, e);

	*pp = e->chain;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		a->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		a->newest = e->older;
	a->count--;
	c->st.count--;
	c->st.bytes -= sess_size(e);
	c->version++;
	OPENSSL_cleanse(e, sess_size(e));
	free(e);
}

static void
drop_entry(struct gw_sesscache *c, struct sess *e)
{
	drop(c, find(c, e->bytes, e->idlen));
}

/* Twice the buckets, up to maxbuckets. On failure the table keeps its
 * size: chains grow longer, lookups stay right. */
static void
grow(struct gw_sesscache *c)
{
	size_t n = c->nbuckets * 2, i, b;
	struct sess **nb, *e, *next;

	if (n > c->maxbuckets || (nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < c->nbuckets; i++) {
		for (e = c->buckets[i]; e != NULL; e = next) {
			next = e->chain;
			b = bucket(c, e->bytes, e->idlen, n);
			e->chain = nb[b];
			nb[b] = e;
		}
	}
	free(c->buckets);
	c->buckets = nb;
	c->nbuckets = n;
	c->st.table_bytes = n * sizeof(*nb);
}

/*
 * Drops expired sessions from the old end, a few per call so that no
 * store holds the lock long. Sessions share one timeout in the gateway,
 * so the oldest expire first; one with a shorter timeout further in is
 * caught when it is looked up.
 */
static void
purge(struct gw_sesscache *c, struct age *a, time_t now)
{
	int n;

	for (n = 0; n < GW_SESSCACHE_PURGE && a->oldest != NULL &&
	    a->oldest->expires <= now; n++) {
		drop_entry(c, a->oldest);
		c->st.expired++;
	}
}

static void
evict(struct gw_sesscache *c, struct age *a)
{
	drop_entry(c, a->oldest);
	c->st.evicted++;
}

/*
 * Puts e, made whole but for its place in the order of sharing, in the
 * table as the newest session of its list; local: a handshake's here (to
 * share); foreign: another node's; neither: one of ours read back. 1, or
 * 0 when e is another node's and this node's own fill the room left to
 * them (e is the caller's then). Under the lock.
 *
 * The room: this node's sessions may fill the whole cache, as when it
 * was alone; other nodes' take what is left, foreign_max at most, and
 * are the first to go when a session of this node's needs the room.
 * Without that, on N nodes each would keep only the newest max of the
 * cluster's sessions, and a device that stays on its node (HAProxy's
 * `balance source`) would lose its session to other nodes' devices.
 */
static int
insert(struct gw_sesscache *c, struct sess *e, int local, int foreign,
    time_t now)
{
	struct sess **pp;
	struct age *a;

	purge(c, &c->own, now);
	purge(c, &c->foreign, now);
	/* Ids are random; only a session stored twice repeats one: the
	 * newest copy wins. */
	if (*(pp = find(c, e->bytes, e->idlen)) != NULL)
		drop(c, pp);
	if (foreign) {
		while (c->foreign.count > 0 && (c->foreign.count >=
		    c->foreign_max || c->st.count >= c->max))
			evict(c, &c->foreign);
		if (c->foreign.count >= c->foreign_max ||
		    c->st.count >= c->max)
			return 0;
	}
	while (c->st.count >= c->max)
		evict(c, c->foreign.count > 0 ? &c->foreign : &c->own);

	/* The own list stays in order of seq: a walk from its newest finds
	 * every session stored after a position. */
	e->local = (uint8_t)local;
	e->foreign = (uint8_t)(foreign != 0);
	e->seq = local ? ++c->seq : c->seq;
	c->version++;
	if (c->st.count >= c->nbuckets)
		grow(c);
	pp = &c->buckets[bucket(c, e->bytes, e->idlen, c->nbuckets)];
	e->chain = *pp;
	*pp = e;
	a = age_of(c, e);
	e->newer = NULL;
	e->older = a->newest;
	if (a->newest != NULL)
		a->newest->newer = e;
	else
		a->oldest = e;
	a->newest = e;
	a->count++;
	c->st.count++;
	c->st.bytes += sess_size(e);
	return 1;
}

struct gw_sesscache *
gw_sesscache_new(size_t max)
{
	struct gw_sesscache *c;

	if (max == 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->max = max;
	c->foreign_max = max / 2;
	/* At most a bucket for two sessions: short chains, a small table. */
	for (c->maxbuckets = 1; c->maxbuckets * 2 < max; c->maxbuckets *= 2)
		;
	c->nbuckets = c->maxbuckets < GW_SESSCACHE_BUCKETS ? c->maxbuckets :
	    GW_SESSCACHE_BUCKETS;
	if ((c->buckets = calloc(c->nbuckets, sizeof(*c->buckets))) == NULL) {
		free(c);
		return NULL;
	}
	c->st.table_bytes = c->nbuckets * sizeof(*c->buckets);
	if (RAND_bytes((unsigned char *)&c->seed, sizeof(c->seed)) != 1) {
		/* Only chain layout depends on it: a fixed key is safe. */
		ERR_clear_error();
		c->seed = UINT64_C(0xcbf29ce484222325);
	}
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->buckets);
		free(c);
		return NULL;
	}
	return c;
}

void
gw_sesscache_free(struct gw_sesscache *c)
{
	if (c == NULL)
		return;
	while (c->own.oldest != NULL)
		drop_entry(c, c->own.oldest);
	while (c->foreign.oldest != NULL)
		drop_entry(c, c->foreign.oldest);
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void
gw_sesscache_stats(struct gw_sesscache *c, struct gw_sesscache_stats *st)
{
	pthread_mutex_lock(&c->lock);
	*st = c->st;
	st->foreign = c->foreign.count;
	pthread_mutex_unlock(&c->lock);
}

struct gw_sesscache *
gw_sesscache_of(SSL_CTX *ctx)
{
	pthread_once(&ex_once, ex_index_init);
	if (ex_index < 0 || ctx == NULL)
		return NULL;
	return SSL_CTX_get_ex_data(ctx, ex_index);
}

/*
 * Will OpenSSL ever look this session up? A TLS 1.2 session with an id,
 * yes. A TLS 1.3 server session is sealed in a stateless ticket, and the
 * cache is asked only in the cases ssl_update_cache lists: the server
 * set SSL_OP_NO_TICKET (stateful tickets), or it takes early data with
 * replay protection. OpenSSL still reports every TLS 1.3 session; keeping
 * those would spend memory on entries nobody asks for.
 */
static int
looked_up_later(SSL *ssl)
{
	uint64_t opts;

	if (SSL_version(ssl) != TLS1_3_VERSION)
		return 1;
	opts = SSL_get_options(ssl);
	return (opts & SSL_OP_NO_TICKET) != 0 ||
	    (SSL_get_max_early_data(ssl) > 0 &&
	    (opts & SSL_OP_NO_ANTI_REPLAY) == 0);
}

static time_t
expiry(const SSL_SESSION *sess)
{
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
	return SSL_SESSION_get_time_ex(sess) + SSL_SESSION_get_timeout(sess);
#else
	return (time_t)SSL_SESSION_get_time(sess) +
	    SSL_SESSION_get_timeout(sess);
#endif
}

/*
 * A new session after a full handshake. Its DER is made before taking
 * the lock. Returns 0: OpenSSL keeps its reference, we keep a copy.
 */
static int
sess_new(SSL *ssl, SSL_SESSION *sess)
{
	struct gw_sesscache *c = gw_sesscache_of(SSL_get_SSL_CTX(ssl));
	const unsigned char *id;
	unsigned char *p;
	unsigned int idlen;
	struct sess *e;
	int derlen, n;

	if (c == NULL || !looked_up_later(ssl))
		return 0;
	id = SSL_SESSION_get_id(sess, &idlen);
	if (idlen == 0 || idlen > GW_SESSCACHE_ID_MAX)
		return 0;
	/* A failure to encode is a session not kept, not a handshake error:
	 * leave the thread's error queue as it was. */
	ERR_set_mark();
	derlen = i2d_SSL_SESSION(sess, NULL);
	ERR_pop_to_mark();
	if (derlen <= 0 || derlen > GW_SESSCACHE_DER_MAX) {
		pthread_mutex_lock(&c->lock);
		c->st.refused++;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	if ((e = malloc(offsetof(struct sess, bytes) + idlen +
	    (size_t)derlen)) == NULL)
		return 0;	/* a full handshake next time, nothing worse */
	e->idlen = (uint8_t)idlen;
	e->derlen = (uint16_t)derlen;
	e->expires = expiry(sess);
	memcpy(e->bytes, id, idlen);
	p = e->bytes + idlen;
	ERR_set_mark();
	n = i2d_SSL_SESSION(sess, &p);
	ERR_pop_to_mark();
	if (n != derlen) {
		OPENSSL_cleanse(e, sess_size(e));
		free(e);
		return 0;
	}

	pthread_mutex_lock(&c->lock);
	(void)insert(c, e, 1, 0, time(NULL));	/* ours: never refused */
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/*
 * A ClientHello offers a session id. The DER is copied out under the lock
 * and decoded after it, into a fresh SSL_SESSION whose one reference goes
 * to OpenSSL: hence *copy = 0 (OpenSSL must not add a reference of ours).
 */
static SSL_SESSION *
sess_get(SSL *ssl, const unsigned char *id, int len, int *copy)
{
	struct gw_sesscache *c = gw_sesscache_of(SSL_get_SSL_CTX(ssl));
	unsigned char der[GW_SESSCACHE_DER_MAX];
	const unsigned char *p = der;
	SSL_SESSION *sess = NULL;
	struct sess **pp;
	size_t derlen = 0;

	*copy = 0;
	if (c == NULL || len <= 0 || len > GW_SESSCACHE_ID_MAX)
		return NULL;
	pthread_mutex_lock(&c->lock);
	if (*(pp = find(c, id, (size_t)len)) == NULL) {
		c->st.misses++;
	} else if ((*pp)->expires <= time(NULL)) {
		drop(c, pp);
		c->st.expired++;
		c->st.misses++;
	} else {
		derlen = (*pp)->derlen;
		memcpy(der, (*pp)->bytes + (*pp)->idlen, derlen);
		c->st.hits++;
	}
	pthread_mutex_unlock(&c->lock);

	if (derlen > 0) {
		/* A failure here is a miss, not an error of the handshake. */
		ERR_set_mark();
		sess = d2i_SSL_SESSION(NULL, &p, (long)derlen);
		ERR_pop_to_mark();
		OPENSSL_cleanse(der, derlen);
	}
	return sess;
}

/* OpenSSL gives a session up: timed out, or its connection failed. */
static void
sess_remove(SSL_CTX *ctx, SSL_SESSION *sess)
{
	struct gw_sesscache *c = gw_sesscache_of(ctx);
	const unsigned char *id;
	unsigned int idlen;
	struct sess **pp;

	if (c == NULL)
		return;
	id = SSL_SESSION_get_id(sess, &idlen);
	if (idlen == 0 || idlen > GW_SESSCACHE_ID_MAX)
		return;
	pthread_mutex_lock(&c->lock);
	if (*(pp = find(c, id, idlen)) != NULL) {
		drop(c, pp);
		c->st.removed++;
	}
	pthread_mutex_unlock(&c->lock);
}

int
gw_sesscache_attach(struct gw_sesscache *c, SSL_CTX *ctx)
{
	pthread_once(&ex_once, ex_index_init);
	if (ex_index < 0 || SSL_CTX_set_ex_data(ctx, ex_index, c) != 1) {
		ERR_clear_error();
		return -1;
	}
	/*
	 * No internal store and no internal lookup: every session lives here
	 * once, as DER. No auto-clear either: OpenSSL's would sweep its own
	 * empty cache under its lock every 255 handshakes; ours drops
	 * expired sessions as it goes.
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER |
	    SSL_SESS_CACHE_NO_INTERNAL | SSL_SESS_CACHE_NO_AUTO_CLEAR);
	SSL_CTX_sess_set_new_cb(ctx, sess_new);
	SSL_CTX_sess_set_get_cb(ctx, sess_get);
	SSL_CTX_sess_set_remove_cb(ctx, sess_remove);
	return 0;
}

void
gw_sesscache_detach(SSL_CTX *ctx)
{
	pthread_once(&ex_once, ex_index_init);
	if (ex_index < 0 || ctx == NULL)
		return;
	SSL_CTX_sess_set_new_cb(ctx, NULL);
	SSL_CTX_sess_set_get_cb(ctx, NULL);
	SSL_CTX_sess_set_remove_cb(ctx, NULL);
	(void)SSL_CTX_set_ex_data(ctx, ex_index, NULL);
}

uint64_t
gw_sesscache_version(struct gw_sesscache *c)
{
	uint64_t v;

	pthread_mutex_lock(&c->lock);
	v = c->version;
	pthread_mutex_unlock(&c->lock);
	return v;
}

int
gw_sesscache_add(struct gw_sesscache *c, const unsigned char *id,
    size_t idlen, const unsigned char *der, size_t derlen, time_t expires,
    int foreign, time_t now)
{
	struct sess *e;
	int added = 0;

	if (idlen == 0 || idlen > GW_SESSCACHE_ID_MAX || derlen == 0 ||
	    derlen > GW_SESSCACHE_DER_MAX || expires <= now)
		return 0;
	if ((e = malloc(offsetof(struct sess, bytes) + idlen + derlen)) == NULL)
		return 0;
	e->expires = expires;
	e->idlen = (uint8_t)idlen;
	e->derlen = (uint16_t)derlen;
	memcpy(e->bytes, id, idlen);
	memcpy(e->bytes + idlen, der, derlen);
	pthread_mutex_lock(&c->lock);
	/* Read again (the store's reads overlap): the copy here stays, and
	 * keeps its place in the age order. */
	if (*find(c, id, idlen) == NULL)
		added = insert(c, e, 0, foreign, now);
	pthread_mutex_unlock(&c->lock);
	if (!added) {
		OPENSSL_cleanse(e, sess_size(e));
		free(e);
	}
	return added;
}

size_t
gw_sesscache_take(struct gw_sesscache *c, uint64_t *since, size_t max,
    size_t queue, gw_sesscache_take_fn fn, void *arg, uint64_t *skipped)
{
	struct sess *e, *from = NULL;
	size_t steps = 0, n = 0;

	pthread_mutex_lock(&c->lock);
	/* Back from the newest to the first one after *since, queue steps
	 * at most: so much a store that does not answer leaves queued. */
	for (e = c->own.newest; e != NULL && e->seq > *since && steps < queue;
	    e = e->older, steps++)
		from = e;
	if (from != NULL && e != NULL && e->seq > *since) {
		/* the rest fell out of the queue: never shared */
		uint64_t first = from->local ? from->seq : from->seq + 1;

		*skipped += first - *since - 1;
		*since = first - 1;
	}
	for (e = from; e != NULL && n < max; e = e->newer) {
		if (!e->local)
			continue;
		fn(arg, e->bytes, e->idlen, e->bytes + e->idlen, e->derlen,
		    e->expires);
		*since = e->seq;
		n++;
	}
	if (e == NULL)		/* all taken: also those evicted meanwhile */
		*since = c->seq;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/*
 * The session file: a magic line, then each session oldest first, this
 * node's, then other nodes' (its expiry, 8 bytes big-endian; its id's
 * length, 1 byte, REC_FOREIGN added for another node's; its DER's, 2
 * bytes; the id; the DER), then the SHA-256 of all before. Read back in
 * that order, the oldest still go first, each to its own list.
 */
static const unsigned char file_magic[16] = "tether sessions\n";
#define REC_HEAD	(8 + 1 + 2)
#define REC_FOREIGN	0x80	/* ids are 32 bytes at most: a free bit */

/* The session written after e: the next newer of its list, this node's
 * list then other nodes'. */
static const struct sess *
next_saved(const struct gw_sesscache *c, const struct sess *e)
{
	if (e->newer != NULL || e->foreign)
		return e->newer;
	return c->foreign.oldest;
}

int
gw_sesscache_save(struct gw_sesscache *c, const char *path, size_t *saved,
    char *err)
{
	unsigned char *buf, *p;
	struct gw_statefile sf;
	const struct sess *e;
	size_t cap, len, n = 0;

	/*
	 * The file's bytes are made under the lock, one copy a session, and
	 * written after it: a periodic save (resume.c) stalls handshakes for
	 * a memcpy, not for a file's writes.
	 */
	pthread_mutex_lock(&c->lock);
	cap = sizeof(file_magic) + c->st.count * REC_HEAD + c->st.bytes +
	    SHA256_DIGEST_LENGTH;
	if ((buf = malloc(cap)) == NULL) {
		pthread_mutex_unlock(&c->lock);
		snprintf(err, GW_STATE_ERR_LEN, "out of memory writing %s",
		    path);
		return -1;
	}
	memcpy(buf, file_magic, sizeof(file_magic));
	p = buf + sizeof(file_magic);
	for (e = c->own.oldest != NULL ? c->own.oldest : c->foreign.oldest;
	    e != NULL; e = next_saved(c, e)) {
		uint64_t x = (uint64_t)e->expires;

		for (int i = 7; i >= 0; i--, x >>= 8)
			p[i] = (unsigned char)(x & 0xff);
		p[8] = e->idlen | (e->foreign ? REC_FOREIGN : 0);
		p[9] = (unsigned char)(e->derlen >> 8);
		p[10] = (unsigned char)(e->derlen & 0xff);
		memcpy(p + REC_HEAD, e->bytes, (size_t)e->idlen + e->derlen);
		p += REC_HEAD + (size_t)e->idlen + e->derlen;
		n++;
	}
	pthread_mutex_unlock(&c->lock);
	len = (size_t)(p - buf);
	SHA256(buf, len, p);
	len += SHA256_DIGEST_LENGTH;

	if (gw_state_begin(&sf, path, err) != 0)
		goto fail;
	if (fwrite(buf, 1, len, sf.fp) != len) {
		snprintf(err, GW_STATE_ERR_LEN, "cannot write %s (is the disk "
		    "full?)", path);
		gw_state_abort(&sf);
		goto fail;
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (gw_state_commit(&sf, err) != 0)
		return -1;
	if (saved != NULL)
		*saved = n;
	return 0;
fail:
	OPENSSL_cleanse(buf, len);
	free(buf);
	return -1;
}

long
gw_sesscache_load_buf(struct gw_sesscache *c, const unsigned char *buf,
    size_t len, time_t now, char *err)
{
	unsigned char sum[SHA256_DIGEST_LENGTH];
	const unsigned char *p, *end;
	long n = 0;

	if (len < sizeof(file_magic) + sizeof(sum) ||
	    memcmp(buf, file_magic, sizeof(file_magic)) != 0) {
		snprintf(err, GW_STATE_ERR_LEN, "it is not a tether session "
		    "file");
		return -1;
	}
	end = buf + len - sizeof(sum);
	SHA256(buf, (size_t)(end - buf), sum);
	if (CRYPTO_memcmp(sum, end, sizeof(sum)) != 0) {
		snprintf(err, GW_STATE_ERR_LEN, "its checksum does not match: "
		    "truncated or damaged");
		return -1;
	}
	for (p = buf + sizeof(file_magic); p < end; ) {
		uint64_t x = 0;
		size_t idlen, derlen;
		struct sess *e;
		int foreign;

		if ((size_t)(end - p) < REC_HEAD)
			goto bad;
		for (int i = 0; i < 8; i++)
			x = x << 8 | p[i];
		idlen = p[8] & ~REC_FOREIGN;
		foreign = (p[8] & REC_FOREIGN) != 0;
		derlen = (size_t)p[9] << 8 | p[10];
		p += REC_HEAD;
		if (idlen == 0 || idlen > GW_SESSCACHE_ID_MAX || derlen == 0 ||
		    derlen > GW_SESSCACHE_DER_MAX ||
		    (size_t)(end - p) < idlen + derlen)
			goto bad;
		if ((time_t)x > now && (e = malloc(offsetof(struct sess,
		    bytes) + idlen + derlen)) != NULL) {
			e->expires = (time_t)x;
			e->idlen = (uint8_t)idlen;
			e->derlen = (uint16_t)derlen;
			memcpy(e->bytes, p, idlen + derlen);
			pthread_mutex_lock(&c->lock);
			if (insert(c, e, 0, foreign, now)) {
				n++;
			} else {
				OPENSSL_cleanse(e, sess_size(e));
				free(e);
			}
			pthread_mutex_unlock(&c->lock);
		}
		p += idlen + derlen;
	}
	return n;
bad:
	snprintf(err, GW_STATE_ERR_LEN, "a session record runs past its "
	    "bounds: damaged (the %ld before it are kept)", n);
	return -1;
}

long
gw_sesscache_load(struct gw_sesscache *c, const char *path, time_t now,
    char *err)
{
	/* Every session at its largest, and the file's frame. */
	size_t cap = c->max * (REC_HEAD + GW_SESSCACHE_ID_MAX +
	    GW_SESSCACHE_DER_MAX) + sizeof(file_magic) + SHA256_DIGEST_LENGTH;
	char why[GW_STATE_ERR_LEN];
	unsigned char *buf;
	size_t len = 0, r;
	int missing;
	long n = -1;
	FILE *fp;

	if ((fp = gw_state_open(path, &missing, err)) == NULL)
		return missing ? 0 : -1;
	if ((buf = malloc(cap + 1)) == NULL) {
		snprintf(err, GW_STATE_ERR_LEN, "out of memory reading %s",
		    path);
		fclose(fp);
		return -1;
	}
	while (len <= cap && (r = fread(buf + len, 1, cap + 1 - len, fp)) > 0)
		len += r;
	if (ferror(fp))
		snprintf(err, GW_STATE_ERR_LEN, "cannot read %s", path);
	else if (len > cap)
		snprintf(err, GW_STATE_ERR_LEN, "%s is larger than a cache of "
		    "%zu sessions can be: not ours", path, c->max);
	else if ((n = gw_sesscache_load_buf(c, buf, len, now, why)) < 0)
		snprintf(err, GW_STATE_ERR_LEN, "%.150s: %.100s", path, why);
	fclose(fp);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return n;
}
