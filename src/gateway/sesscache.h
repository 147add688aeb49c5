/* SPDX-License-Identifier: MIT */
/*
 * sesscache.h - the gateway's TLS session cache for resumption by session
 * id: each session kept as its DER bytes (a few hundred bytes) instead of
 * OpenSSL's in-memory SSL_SESSION, shared by every worker thread.
 */
#ifndef GW_SESSCACHE_H
#define GW_SESSCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

struct gw_sesscache;

struct gw_sesscache_stats {
	size_t		count;		/* sessions held */
	size_t		foreign;	/* of them other nodes' (sharing) */
	size_t		bytes;		/* their entries: links, id and DER */
	size_t		table_bytes;	/* the hash table's bucket array */
	uint64_t	hits;		/* lookups that found a live session */
	uint64_t	misses;		/* lookups that found nothing */
	uint64_t	expired;	/* dropped because their time was up */
	uint64_t	evicted;	/* dropped, oldest first, to stay in max */
	uint64_t	removed;	/* dropped because OpenSSL asked */
	uint64_t	refused;	/* not kept: DER over the size limit */
};

/*
 * A cache of at most max sessions (at least 1); when full, the oldest
 * session goes, another node's first (gw_sesscache_add). A session is dropped once its time is up (the time of its
 * full handshake plus its timeout, as OpenSSL sets them). NULL when out of
 * memory or max is 0.
 */
struct gw_sesscache *gw_sesscache_new(size_t max);

/* Wipes every session and frees the cache. Detach it from every SSL_CTX
 * first. NULL is allowed. */
void gw_sesscache_free(struct gw_sesscache *c);

/*
 * Makes ctx keep its server sessions in c, and nowhere else: OpenSSL's
 * own cache is switched off (SSL_SESS_CACHE_NO_INTERNAL). c is linked in
 * and must stay valid until gw_sesscache_detach(ctx). Attach the same
 * cache to every SSL_CTX a connection can move to (SNI), so every group
 * stores and finds sessions in one place. The session id context and the
 * timeout stay ctx's own settings. 0, or -1 when OpenSSL cannot hold the
 * link (out of memory).
 */
int gw_sesscache_attach(struct gw_sesscache *c, SSL_CTX *ctx);

/* Unlinks ctx from its cache: later callbacks find no cache and do
 * nothing, so an SSL that outlives the cache is harmless. */
void gw_sesscache_detach(SSL_CTX *ctx);

/* The cache attached to ctx, or NULL. */
struct gw_sesscache *gw_sesscache_of(SSL_CTX *ctx);

/* A consistent snapshot of the counters. */
void gw_sesscache_stats(struct gw_sesscache *c, struct gw_sesscache_stats *st);

/*
 * Between the nodes of one store (resume.c). gw_sesscache_take calls fn
 * for the sessions this cache stored from its own handshakes after
 * position *since (0 at first), oldest first, at most max, and moves
 * *since past them; of those more than queue sessions behind the newest
 * none is given, and *skipped grows by their count (a store that does
 * not answer holds no more than queue). fn runs under the cache's lock:
 * it copies (id, der: linked in for the call only) and returns. The
 * count given to fn. A caller that fails to store what fn was given sets
 * *since back to its value before the call plus what *skipped grew by:
 * those are given again, the skipped are neither given nor counted again.
 */
typedef void (*gw_sesscache_take_fn)(void *arg, const unsigned char *id,
    size_t idlen, const unsigned char *der, size_t derlen, time_t expires);
size_t gw_sesscache_take(struct gw_sesscache *c, uint64_t *since, size_t max,
    size_t queue, gw_sesscache_take_fn fn, void *arg, uint64_t *skipped);

/*
 * Adds a session read from the store (copied) as the newest: with
 * foreign, another node's, else one of this node's of a run before. 1,
 * or 0 when one of that id is here already, it expired at now, it is out
 * of bounds, memory is short, or (foreign) this node's own sessions fill
 * the room. It is not given by gw_sesscache_take. Other nodes' sessions
 * hold max / 2 of the cache at most, only what this node's leave, and
 * are evicted first: this node's may fill all of it, as they did before
 * sessions were shared.
 */
int gw_sesscache_add(struct gw_sesscache *c, const unsigned char *id,
    size_t idlen, const unsigned char *der, size_t derlen, time_t expires,
    int foreign, time_t now);

/* A number that changes whenever a session is stored or dropped: the
 * file is worth writing again when it differs from the last write's. */
uint64_t gw_sesscache_version(struct gw_sesscache *c);

/*
 * Across a restart: gw_sesscache_save writes every session, oldest first,
 * to path (atomically, mode 0600; statefile.h), *saved their count; 0,
 * or -1 with a sentence in err (GW_STATE_ERR_LEN). gw_sesscache_load
 * adds the sessions of path whose time is not up at now, as the newest
 * (the cache's bound still holds): their count, 0 when there is no file,
 * -1 with a sentence in err when it is not private, not ours or damaged
 * (sessions read before the damage are kept). gw_sesscache_load_buf is
 * the parser of the file's bytes (fuzz/state_file.c).
 */
int gw_sesscache_save(struct gw_sesscache *c, const char *path,
    size_t *saved, char *err);
long gw_sesscache_load(struct gw_sesscache *c, const char *path, time_t now,
    char *err);
long gw_sesscache_load_buf(struct gw_sesscache *c, const unsigned char *buf,
    size_t len, time_t now, char *err);

#endif
