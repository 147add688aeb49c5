/* SPDX-License-Identifier: MIT */
/*
 * auth.c - who sent a request: the credential's hash against the
 * connection's identity and the device cache on the worker's thread, and a
 * lookup thread for the rest, so a slow registry parks one connection, not
 * a loop. Unknown credentials are remembered a while (a bounded negative
 * cache), so a flood of them costs no round trips.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gateway/worker.h"

/* One unknown (or revoked) credential, remembered until `until`. */
struct neg_slot {
	uint8_t		 hash[REG_HASH_LEN];
	int64_t		 until;		/* ms, monotonic; 0: empty */
};

struct gw_auth {
	struct gw_thread t;		/* t.lock guards everything below */
	struct gw_lookup *head, **tail;
	size_t		 queued;
	struct gw_devcache *devcache;	/* found devices go there */
	struct reg_store *store;	/* the lookup thread's own handle */
	struct neg_slot	 neg[GW_NEGCACHE_SLOTS];
};

/* A lookup thread that did not come back in time at a stop is left to
 * run (it may be in a read that never returns); what it uses stays here,
 * never freed, until the process exits. */
static struct gw_auth *abandoned;

static int64_t
now_ms(void)
{
	return reg_mono_us() / 1000;
}

static struct neg_slot *
neg_slot(struct gw_auth *a, const uint8_t hash[REG_HASH_LEN])
{
	/* An HMAC under the registry key: its bytes are uniform and nobody
	 * without the key can aim two credentials at one slot. */
	uint32_t h = (uint32_t)hash[0] | (uint32_t)hash[1] << 8 |
	    (uint32_t)hash[2] << 16 | (uint32_t)hash[3] << 24;

	return &a->neg[h % GW_NEGCACHE_SLOTS];
}

static void
free_lookup(struct gw_lookup *l)
{
	OPENSSL_cleanse(l->hash, sizeof(l->hash));
	free(l);
}

static void *
lookup_main(void *arg)
{
	struct gw_auth *a = arg;

	pthread_setname_np(pthread_self(), "tether-lookup");
	pthread_mutex_lock(&a->t.lock);
	for (;;) {
		struct gw_lookup *l;
		char id[REG_ID_MAX];
		int r;

		while (!a->t.stop && a->head == NULL)
			pthread_cond_wait(&a->t.cond, &a->t.lock);
		if (a->t.stop)
			break;
		l = a->head;
		if ((a->head = l->next) == NULL)
			a->tail = &a->head;
		a->queued--;
		pthread_mutex_unlock(&a->t.lock);
		if (l->deadline <= now_ms()) {
			/* Its connection was answered 503 meanwhile. */
			free_lookup(l);
			pthread_mutex_lock(&a->t.lock);
			continue;
		}
		/*
		 * The gateway's one registry lookup. reg_lookup: 0 an active
		 * device has it (id filled), REG_NOT_FOUND none (unknown or
		 * revoked: one miss on one index), -1 the registry failed
		 * (reg_error says why).
		 */
		int64_t t0 = reg_mono_us();

		r = reg_lookup(a->store, l->hash, id);
		gw_histogram_observe(&gw_hist_lookup, reg_mono_us() - t0);
		if (r < 0)
			gw_log(GW_LOG_ERROR, "registry_failed", "reason",
			    reg_error(a->store), NULL);
		pthread_mutex_lock(&a->t.lock);
		if (a->t.stop) {		/* the workers may be gone */
			free_lookup(l);
			break;
		}
		if (r < 0) {
			l->result = GW_AUTH_UNAVAILABLE;
		} else if (r == 0) {
			l->result = GW_AUTH_OK;
			memcpy(l->id, id, sizeof(l->id));
			gw_devcache_put(a->devcache, l->hash, id);
		} else {
			/* Unknown and revoked alike: the same answer, and the
			 * same (cached) path next time. */
			struct neg_slot *s = neg_slot(a, l->hash);

			l->result = GW_AUTH_UNKNOWN;
			memcpy(s->hash, l->hash, sizeof(s->hash));
			s->until = now_ms() + GW_NEGCACHE_MS;
		}
		/* Under the lock: gw_auth_stop cannot return, and the workers
		 * be freed, while this hands an answer to one. */
		gw_worker_looked_up(l->worker, l);
	}
	gw_thread_exit(&a->t);
	pthread_mutex_unlock(&a->t.lock);
	return NULL;
}

struct gw_auth *
gw_auth_start(const struct gw_config *c, struct gw_devcache *dc, char *err)
{
	struct gw_auth *a;
	char rerr[REG_ERR_LEN];

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, GW_ERR_LEN, "lookup thread: out of memory");
		return NULL;
	}
	if (reg_open(&a->store, c->db, c->key_file, rerr) < 0) {
		snprintf(err, GW_ERR_LEN, "%s", rerr);
		free(a);
		return NULL;
	}
	reg_set_timeout(a->store, c->registry_ms);
	a->devcache = dc;
	a->tail = &a->head;
	if (gw_thread_start(&a->t, lookup_main, a) < 0) {
		snprintf(err, GW_ERR_LEN, "cannot start the lookup thread");
		reg_close(a->store);
		free(a);
		return NULL;
	}
	return a;
}

void
gw_auth_stop(struct gw_auth *a, int64_t deadline)
{
	struct gw_lookup *l, *next;
	int joined;

	if (a == NULL)
		return;
	joined = gw_thread_stop(&a->t, deadline);
	pthread_mutex_lock(&a->t.lock);
	for (l = a->head; l != NULL; l = next) {	/* nobody to answer */
		next = l->next;
		free_lookup(l);
	}
	a->head = NULL;
	a->tail = &a->head;
	pthread_mutex_unlock(&a->t.lock);
	if (!joined) {
		gw_log(GW_LOG_WARN, "lookup_abandoned", "reason",
		    "the registry has not answered a lookup; exiting without "
		    "waiting for it", NULL);
		abandoned = a;
		return;
	}
	reg_close(a->store);
	gw_thread_destroy(&a->t);
	OPENSSL_cleanse(a->neg, sizeof(a->neg));
	free(a);
}

void
gw_auth_forget_unknown(struct gw_auth *a)
{
	pthread_mutex_lock(&a->t.lock);
	memset(a->neg, 0, sizeof(a->neg));
	pthread_mutex_unlock(&a->t.lock);
}

/*
 * A credential neither this connection nor the device cache knows: the
 * negative cache, else a lookup queued to the thread. UNKNOWN, PENDING
 * (the connection parked; the answer comes through gw_worker_looked_up)
 * or BUSY (the queue is full).
 */
static enum gw_auth_result
ask_registry(struct gw_worker *w, struct gw_conn *c,
    const uint8_t hash[REG_HASH_LEN])
{
	struct gw_auth *a = w->sh->auth;
	struct gw_lookup *l;
	struct neg_slot *s;
	int64_t now = w->now;

	pthread_mutex_lock(&a->t.lock);
	s = neg_slot(a, hash);
	if (s->until > now &&
	    CRYPTO_memcmp(s->hash, hash, REG_HASH_LEN) == 0) {
		pthread_mutex_unlock(&a->t.lock);
		return GW_AUTH_UNKNOWN;
	}
	if (a->queued >= GW_LOOKUP_QUEUE ||
	    (l = calloc(1, sizeof(*l))) == NULL) {
		pthread_mutex_unlock(&a->t.lock);
		return GW_AUTH_BUSY;
	}
	l->worker = w;
	l->fd = c->fd;
	l->gen = c->gen;
	l->seq = ++c->lookup_seq;
	l->deadline = now + w->sh->config->registry_ms;
	memcpy(l->hash, hash, REG_HASH_LEN);
	*a->tail = l;
	a->tail = &l->next;
	a->queued++;
	pthread_cond_signal(&a->t.cond);
	pthread_mutex_unlock(&a->t.lock);
	gw_log(GW_LOG_DEBUG, "lookup_queued", "peer", c->peer, NULL);
	c->wait = WAIT_REGISTRY;
	return GW_AUTH_PENDING;
}

enum gw_auth_result
gw_authenticate(struct gw_worker *w, struct gw_conn *c, const char *cred,
    size_t len)
{
	struct gw_identity *id = &c->ident;
	uint8_t hash[REG_HASH_LEN];
	char dev[REG_ID_MAX];
	enum gw_auth_result r;

	/* A request resumed after its lookup: the answer is waiting (a
	 * device found is the connection's identity already). */
	if (c->lookup != GW_AUTH_NONE) {
		r = c->lookup;
		c->lookup = GW_AUTH_NONE;
		return r;
	}
	reg_credential_hash(w->store, cred, len, hash);
	if (id->authed) {
		/* A connection is one device for its whole life: another
		 * credential is refused, never looked up (protocol.md). */
		r = CRYPTO_memcmp(hash, id->cred_hash, sizeof(hash)) == 0 ?
		    GW_AUTH_OK : GW_AUTH_OTHER;
	} else if (gw_devcache_get(w->sh->devcache, hash, dev)) {
		memcpy(id->cred_hash, hash, sizeof(hash));
		memcpy(id->device, dev, sizeof(dev));
		id->authed = 1;
		gw_presence_up(w->sh->presence, id->device);
		r = GW_AUTH_OK;
	} else {
		r = ask_registry(w, c, hash);
	}
	OPENSSL_cleanse(hash, sizeof(hash));
	return r;
}

void
gw_auth_resolved(struct gw_worker *w, struct gw_lookup *l)
{
	struct gw_conn *c = l->fd < w->maxfd ? w->conns[l->fd] : NULL;

	if (c != NULL && c->gen == l->gen && c->wait == WAIT_REGISTRY &&
	    c->lookup_seq == l->seq) {
		if (l->result == GW_AUTH_OK) {
			memcpy(c->ident.cred_hash, l->hash, REG_HASH_LEN);
			memcpy(c->ident.device, l->id, REG_ID_MAX);
			c->ident.authed = 1;
			gw_presence_up(w->sh->presence, c->ident.device);
		}
		c->lookup = l->result;
		c->wait = WAIT_NONE;
		conn_run(w, c);
	} else {
		/* Too late: the connection closed, or was answered 503 at
		 * its deadline and may be on another request by now. */
		gw_log(GW_LOG_DEBUG, "lookup_dropped", "reason",
		    "answered after its connection moved on", NULL);
	}
	free_lookup(l);
}
