/* SPDX-License-Identifier: MIT */
/*
 * resume.c - the ticket keys and the session cache across a restart and
 * between nodes (resume.h). All of it runs here, in the watcher's thread,
 * never in a handshake: a worker only puts a session in the cache, and
 * the watcher writes it to the store (or the file) later.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "gateway/resume.h"
#include "gateway/sesscache.h"
#include "gateway/statefile.h"
#include "gateway/tickets.h"

struct gw_resume {
	struct gw_tickets	*tickets;
	struct gw_sesscache	*sessions;
	int			 shared;	/* keys in the store */
	int			 dir_ok;	/* the state directory is there */
	int			 failing;	/* the last sync failed */
	time_t			 synced;	/* the store's keys last read */
	uint64_t		 unknown;	/* tickets of unknown keys then */
	char			 keyfile[4096];
	char			 sessfile[4096];
	/* the session file, every --session-save when it changed */
	int64_t			 save_ms;
	int64_t			 saved_at;	/* monotonic ms */
	uint64_t		 saved_version;
	/* sessions shared through the store */
	char			 node[REG_NODE_MAX];
	int64_t			 shared_at;	/* monotonic ms, last sync */
	time_t			 pruned_at;
	int			 prune_more;	/* the last prune ran out of time */
	uint64_t		 since;		/* the cache's, written up to */
	int64_t			 cursor;	/* the store's, read up to */
	int64_t			 mine;		/* ours too, at or before it */
	/* the cursor before each of the last syncs' reads */
	int64_t			 seen[GW_SESSION_SETTLE_S + 1];
	unsigned		 ticks;
	int			 share_failing;
	struct reg_session	*batch;		/* GW_SESSION_BATCH */
	size_t			 nbatch;
};

struct gw_session_share gw_session_share;

_Static_assert(REG_TICKET_NAME_LEN == GW_TICKET_NAME_LEN &&
    REG_TICKET_SECRET_LEN == GW_TICKET_SECRET_LEN,
    "a key of the store is a key of the ring");

static void
to_reg(const struct gw_ticket_key *k, struct reg_ticket_key *r)
{
	memcpy(r->name, k->name, sizeof(r->name));
	memcpy(r->secret, k->secret, sizeof(r->secret));
	r->created = k->created;
}

static void
from_reg(const struct reg_ticket_key *r, struct gw_ticket_key *k)
{
	memcpy(k->name, r->name, sizeof(k->name));
	memcpy(k->secret, r->secret, sizeof(k->secret));
	k->created = r->created;
}

static void
save_keys(struct gw_resume *r)
{
	char err[GW_STATE_ERR_LEN];

	if (!r->dir_ok)
		return;
	if (gw_tickets_save(r->tickets, r->keyfile, err) != 0)
		gw_log(GW_LOG_WARN, "ticket_keys_not_saved", "reason", err,
		    "effect", "tickets issued now do not resume after a "
		    "restart", NULL);
}

/*
 * The store's keys into the ring; when the newest is due (or there is
 * none), a fresh one into the store first, read back with the others:
 * two nodes that rotate at once both keep both keys, and both seal with
 * the same one (the newest by time, then name). 0 or -1.
 */
static int
sync_store(struct gw_resume *r, struct reg_store *st, time_t now,
    int replace)
{
	struct reg_ticket_key rk[GW_TICKET_RING];
	struct gw_ticket_key gk[GW_TICKET_RING];
	size_t foreign = 0, n;
	long long got;
	int rc = -1, pass;
	char nf[24];

	/* Two passes at most: read (and adopt), else publish and read. */

	for (pass = 0; pass < 2; pass++) {
		if ((got = reg_ticket_keys_get(st, now - GW_TICKET_KEEP, rk,
		    GW_TICKET_RING, &foreign)) < 0)
			goto out;
		n = (size_t)got;
		if (foreign > 0 && pass == 0) {
			snprintf(nf, sizeof(nf), "%zu", foreign);
			gw_log(GW_LOG_WARN, "ticket_keys_foreign", "count", nf,
			    "reason", "the store holds ticket keys sealed under "
			    "another registry key (or damaged): every node of "
			    "one store needs the same --key-file", "effect",
			    "those keys are not used", NULL);
		}
		for (size_t i = 0; i < n; i++)
			from_reg(&rk[i], &gk[i]);
		if (n > 0 && (rk[0].created + GW_TICKET_ROTATE > now ||
		    pass == 1)) {
			if (replace)
				(void)gw_tickets_set(r->tickets, gk, n, now);
			else
				(void)gw_tickets_merge(r->tickets, gk, n, now);
			rc = 0;
			break;
		}
		if (pass == 1) {
			/* Our key went in, yet nothing came back: keep
			 * sealing with the ring's own key meanwhile. */
			rc = 0;
			break;
		}
		/* None, or the newest is due: make one, for every node. */
		if (gw_tickets_due(r->tickets, now) &&
		    gw_tickets_rotate(r->tickets, now) != 0)
			goto out;
		gw_tickets_export(r->tickets, gk);
		to_reg(&gk[0], &rk[0]);
		if (reg_ticket_key_put(st, &rk[0]) != 0)
			goto out;
		gw_log(GW_LOG_INFO, "ticket_key_made", "where", "the store",
		    "effect", "every node seals new tickets with it", NULL);
		(void)reg_ticket_keys_prune(st, now - GW_TICKET_KEEP);
	}
out:
	OPENSSL_cleanse(rk, sizeof(rk));
	OPENSSL_cleanse(gk, sizeof(gk));
	return rc;
}

/* Sessions through the store */

static void
to_batch(void *arg, const unsigned char *id, size_t idlen,
    const unsigned char *der, size_t derlen, time_t expires)
{
	struct gw_resume *r = arg;
	struct reg_session *s = &r->batch[r->nbatch++];

	/* the cache's bounds are the store's (_Static_assert below) */
	memcpy(s->id, id, idlen);
	s->idlen = idlen;
	memcpy(s->der, der, derlen);
	s->derlen = derlen;
	s->expires = expires;
}

_Static_assert(REG_SESSION_DER_MAX == GW_SESSCACHE_DER_MAX &&
    REG_SESSION_ID_MAX == SSL_MAX_SSL_SESSION_ID_LENGTH,
    "a session of the cache is a session of the store");

struct taken {
	struct gw_sesscache	*cache;
	time_t			 now;
	uint64_t		 added;
};

static void
from_store(void *arg, const struct reg_session *s)
{
	struct taken *t = arg;

	t->added += (uint64_t)gw_sesscache_add(t->cache, s->id, s->idlen,
	    s->der, s->derlen, (time_t)s->expires, !s->own, t->now);
}

/* The sessions of this node's handshakes since the last time into the
 * store, a transaction a batch; a batch the store refuses goes again at
 * the next sync. 0 or -1. */
static int
write_sessions(struct gw_resume *r, struct reg_store *st)
{
	uint64_t dropped = 0, before, skipped;
	size_t used = 0;
	int rc = 0;

	do {
		before = r->since;
		skipped = dropped;
		r->nbatch = 0;
		(void)gw_sesscache_take(r->sessions, &r->since,
		    GW_SESSION_BATCH, GW_SESSION_QUEUE, to_batch, r, &dropped);
		if (r->nbatch > used)
			used = r->nbatch;
		if (r->nbatch > 0 && reg_sessions_put(st, r->node, r->batch,
		    r->nbatch) != 0) {
			/* taken again next time, but for those gone by then;
			 * those skipped now stay skipped (counted once) */
			r->since = before + (dropped - skipped);
			rc = -1;
			break;
		}
		atomic_fetch_add(&gw_session_share.written, r->nbatch);
	} while (r->nbatch == GW_SESSION_BATCH);
	/* every entry any batch filled: each holds a master secret */
	OPENSSL_cleanse(r->batch, used * sizeof(r->batch[0]));
	atomic_fetch_add(&gw_session_share.dropped, dropped);
	return rc;
}

/* Other nodes' sessions written after from (up to upto) into the cache,
 * GW_SESSION_READ_MAX rows at most; the position read up to, or -1. */
static int64_t
read_sessions(struct gw_resume *r, struct reg_store *st, int64_t from,
    int64_t upto, time_t now)
{
	struct taken t = { r->sessions, now, 0 };
	size_t rows = 0, foreign;
	int64_t last;
	long long n;

	do {
		if ((n = reg_sessions_get(st, from, upto, r->node, r->mine,
		    (int64_t)now, GW_SESSION_BATCH, from_store, &t, &last,
		    &foreign)) < 0)
			return -1;
		atomic_fetch_add(&gw_session_share.refused, foreign);
		rows += (size_t)n + foreign;
		if ((size_t)n + foreign < GW_SESSION_BATCH)
			break;
		from = last;
	} while (rows < GW_SESSION_READ_MAX);
	atomic_fetch_add(&gw_session_share.read, t.added);
	return last > from ? last : from;
}

/*
 * One sync: write ours, read theirs after the cursor, read again the
 * last GW_SESSION_SETTLE_S seconds of rows (PostgreSQL gives a row its
 * position when it is written, and a transaction that took an earlier
 * one may commit after a read passed a later one), and now and then
 * delete the expired rows and those of ours past our bound.
 */
static void
share_sessions(struct gw_resume *r, struct reg_store *st, time_t now)
{
	int64_t at = reg_mono_us() / 1000, cursor, lagged, got;
	long long n, bound;
	int rc = 0;

	if (at - r->shared_at < GW_SESSION_SYNC_MS)
		return;
	r->shared_at = at;
	if (write_sessions(r, st) != 0)
		rc = -1;
	cursor = r->cursor;
	if (rc == 0 && (got = read_sessions(r, st, cursor, INT64_MAX,
	    now)) < 0)
		rc = -1;
	else if (rc == 0)
		r->cursor = got;
	/*
	 * The cursor before the read GW_SESSION_SETTLE_S syncs ago: the rows
	 * each read passed are read again at the GW_SESSION_SETTLE_S syncs
	 * after it (syncs are GW_SESSION_SYNC_MS apart at least), so a
	 * transaction may commit that long after a read went past its row.
	 * (Kept after the read, a cursor gave one sync, not two.)
	 */
	lagged = r->seen[(r->ticks + 1) % (GW_SESSION_SETTLE_S + 1)];
	if (rc == 0 && lagged < cursor &&
	    read_sessions(r, st, lagged, cursor, now) < 0)
		rc = -1;
	r->seen[r->ticks % (GW_SESSION_SETTLE_S + 1)] = cursor;
	r->ticks++;
	/* Until a short batch: a fixed count of batches fell behind a
	 * table that grows faster. Past the budget, again at the next sync
	 * (each statement is bounded by the store's own deadline). */
	if (rc == 0 && (r->prune_more || now - r->pruned_at >=
	    GW_SESSION_PRUNE_S)) {
		r->pruned_at = now;
		r->prune_more = 0;
		if ((bound = reg_sessions_bound(st, r->node,
		    GW_SESSION_CACHE_MAX)) < 0)
			rc = -1;
		while (rc == 0) {
			if ((n = reg_sessions_prune(st, (int64_t)now, r->node,
			    bound, GW_SESSION_BATCH)) < 0) {
				rc = -1;
				break;
			}
			atomic_fetch_add(&gw_session_share.pruned, (uint64_t)n);
			if (n < GW_SESSION_BATCH)
				break;
			if (reg_mono_us() / 1000 - at >= GW_SESSION_PRUNE_MS) {
				r->prune_more = 1;
				break;
			}
		}
	}
	if (rc != 0) {
		atomic_fetch_add(&gw_session_share.failures, 1);
		if (!r->share_failing)
			gw_log(GW_LOG_WARN, "sessions_unshared", "reason",
			    reg_error(st), "effect", "devices that move to "
			    "another node do a full handshake until the store "
			    "answers; this node's sessions wait in a queue of "
			    "4096", NULL);
		r->share_failing = 1;
	} else if (r->share_failing) {
		gw_log(GW_LOG_INFO, "sessions_shared", "effect", "the store "
		    "answers again: sessions move between nodes", NULL);
		r->share_failing = 0;
	}
}

/* Starts sharing: the rows after the older of the newest
 * GW_SESSION_CACHE_MAX and our own newest GW_SESSION_CACHE_MAX (of a
 * run before, SIGKILLed or not: the state directory may be new), other
 * nodes' with them, are read at the first syncs, GW_SESSION_READ_MAX a
 * sync. 0 or -1. */
static int
share_open(struct gw_resume *r, const struct gw_config *c,
    struct reg_store *st)
{
	long long last, bound = 0;

	gw_config_node(c, r->node);
	if ((r->batch = calloc(GW_SESSION_BATCH, sizeof(*r->batch))) == NULL)
		return -1;
	atomic_store(&gw_session_share.on, 1);
	if ((last = reg_sessions_last(st)) < 0) {
		gw_log(GW_LOG_WARN, "sessions_unshared", "reason",
		    reg_error(st), "effect", "sessions of other nodes are "
		    "read from the first sync the store answers", NULL);
		last = 0;
	} else if ((bound = reg_sessions_bound(st, r->node,
	    GW_SESSION_CACHE_MAX)) < 0) {
		bound = 0;
	}
	r->mine = last;
	r->cursor = last > GW_SESSION_CACHE_MAX ? last - GW_SESSION_CACHE_MAX :
	    0;
	if (bound < r->cursor)
		r->cursor = bound;
	for (size_t i = 0; i < sizeof(r->seen) / sizeof(r->seen[0]); i++)
		r->seen[i] = r->cursor;
	return 0;
}

/* The session file, when the cache changed since the last write. */
static void
save_sessions(struct gw_resume *r, const char *when)
{
	char err[GW_STATE_ERR_LEN], nbuf[24];
	uint64_t v = gw_sesscache_version(r->sessions);
	size_t n = 0;

	r->saved_at = reg_mono_us() / 1000;
	if (!r->dir_ok || v == r->saved_version)
		return;
	if (gw_sesscache_save(r->sessions, r->sessfile, &n, err) != 0) {
		gw_log(GW_LOG_WARN, "sessions_not_saved", "reason", err,
		    "effect", "devices do a full handshake after a restart",
		    NULL);
		return;
	}
	r->saved_version = v;
	snprintf(nbuf, sizeof(nbuf), "%zu", n);
	gw_log(GW_LOG_INFO, "sessions_saved", "path", r->sessfile,
	    "sessions", nbuf, "when", when, NULL);
}

struct gw_resume *
gw_resume_open(const struct gw_config *c, struct gw_tls *tls,
    struct reg_store *store)
{
	struct gw_resume *r;
	char err[GW_STATE_ERR_LEN], nbuf[24];
	time_t now = time(NULL);
	struct stat st;
	long n;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->tickets = gw_tls_tickets(tls);
	r->sessions = gw_tls_sessions(tls);
	r->shared = reg_db_file(c->db) == NULL;
	snprintf(r->keyfile, sizeof(r->keyfile), "%s/" GW_TICKET_FILE,
	    c->state_dir);
	snprintf(r->sessfile, sizeof(r->sessfile), "%s/" GW_SESSION_FILE,
	    c->state_dir);
	if (mkdir(c->state_dir, 0700) == 0 || (errno == EEXIST &&
	    stat(c->state_dir, &st) == 0 && S_ISDIR(st.st_mode)))
		r->dir_ok = 1;
	else
		gw_log(GW_LOG_WARN, "state_dir_unusable", "path", c->state_dir,
		    "reason", strerror(errno), "effect", "sessions and ticket "
		    "keys are not kept across a restart", NULL);

	r->save_ms = c->session_save_ms;
	r->saved_at = reg_mono_us() / 1000;
	if (r->shared && share_open(r, c, store) != 0) {
		free(r);
		return NULL;
	}
	if (r->shared) {
		if (sync_store(r, store, now, 1) != 0)
			gw_log(GW_LOG_WARN, "ticket_keys_unshared", "reason",
			    reg_error(store), "effect", "this node seals "
			    "tickets with a key of its own until the store "
			    "answers; other nodes do not open them", NULL);
		r->synced = now;
	} else if (r->dir_ok) {
		switch (gw_tickets_load(r->tickets, r->keyfile, now, err)) {
		case 1:
			gw_log(GW_LOG_INFO, "ticket_keys_loaded", "path",
			    r->keyfile, NULL);
			if (gw_tickets_due(r->tickets, now) &&
			    gw_tickets_rotate(r->tickets, now) == 0)
				save_keys(r);
			break;
		case 0:
			save_keys(r);
			break;
		default:
			gw_log(GW_LOG_WARN, "ticket_keys_refused", "reason", err,
			    "effect", "fresh ticket keys replace the file; "
			    "tickets issued before do not resume", NULL);
			save_keys(r);
			break;
		}
	}

	if (r->dir_ok) {
		if ((n = gw_sesscache_load(r->sessions, r->sessfile, now,
		    err)) < 0) {
			gw_log(GW_LOG_WARN, "sessions_refused", "reason", err,
			    "effect", "devices without a session in it do a "
			    "full handshake", NULL);
		} else if (n > 0) {
			snprintf(nbuf, sizeof(nbuf), "%ld", n);
			gw_log(GW_LOG_INFO, "sessions_loaded", "path",
			    r->sessfile, "sessions", nbuf, NULL);
		}
	}
	/* the file holds what was just read: no write until it changes */
	r->saved_version = gw_sesscache_version(r->sessions);
	return r;
}

void
gw_resume_tick(struct gw_resume *r, struct reg_store *store)
{
	struct gw_tickets_stats st;
	time_t now = time(NULL);

	if (r == NULL)
		return;
	if (reg_mono_us() / 1000 - r->saved_at >= r->save_ms)
		save_sessions(r, "periodic");
	if (!r->shared) {
		if (gw_tickets_due(r->tickets, now) &&
		    gw_tickets_rotate(r->tickets, now) == 0) {
			save_keys(r);
			gw_log(GW_LOG_INFO, "ticket_key_rotated", "path",
			    r->keyfile, NULL);
		}
		return;
	}
	share_sessions(r, store, now);
	/* A ticket of a key this node does not know may be a key another
	 * node just made: read the store at once, at most once a second. */
	gw_tickets_stats(r->tickets, &st);
	if (now - r->synced < GW_TICKET_SYNC && !gw_tickets_due(r->tickets,
	    now) && (st.unknown == r->unknown || now - r->synced < 1))
		return;
	r->synced = now;
	r->unknown = st.unknown;
	if (sync_store(r, store, now, 0) != 0) {
		if (!r->failing)
			gw_log(GW_LOG_WARN, "ticket_keys_unshared", "reason",
			    reg_error(store), "effect", "keys other nodes "
			    "make are not seen until the store answers", NULL);
		r->failing = 1;
	} else {
		r->failing = 0;
	}
}

void
gw_resume_close(struct gw_resume *r, int clean)
{
	if (r == NULL)
		return;
	if (clean && r->dir_ok) {
		/* at a stop, also when unchanged: the file says it was clean */
		r->saved_version = gw_sesscache_version(r->sessions) + 1;
		save_sessions(r, "stop");
		if (!r->shared)
			save_keys(r);
	}
	if (r->batch != NULL) {
		OPENSSL_cleanse(r->batch, GW_SESSION_BATCH * sizeof(*r->batch));
		free(r->batch);
	}
	free(r);
}
