/* SPDX-License-Identifier: MIT */
/*
 * presence.c - which devices hold a connection to this gateway: a count of
 * authenticated connections per device, shared by the workers under one
 * lock, and the queue of its changes (0 -> 1 connected, 1 -> 0
 * disconnected) that the intake writes with its next batch of messages
 * (intake.c). A worker never waits on the store for it: a transition is a
 * table update and a queue append, and at most one wake-up of the intake
 * per batch.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"

struct dev {
	struct dev	*next;
	uint64_t	 hash;
	uint32_t	 count;		/* authenticated connections here */
	char		 id[REG_ID_MAX];
};

struct gw_presence {
	pthread_mutex_t	 lock;		/* guards everything below */
	char		 node[REG_NODE_MAX];
	struct dev	**buckets;
	size_t		 nbuckets;	/* power of two */
	size_t		 ndev;		/* devices with count > 0 */
	struct gw_presence_event *q;	/* queued changes, oldest first */
	size_t		 qhead, qlen, qcap;	/* a ring */
	uint64_t	 dropped;	/* changes the full queue refused */
	void		(*kick)(void *);
	void		*kick_arg;
};

struct gw_presence *
gw_presence_new(const char *node)
{
	struct gw_presence *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->nbuckets = GW_PRESENCE_BUCKETS;
	if ((p->buckets = calloc(p->nbuckets, sizeof(*p->buckets))) == NULL) {
		free(p);
		return NULL;
	}
	snprintf(p->node, sizeof(p->node), "%s", node);
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void
gw_presence_free(struct gw_presence *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nbuckets; i++) {
		struct dev *d, *next;

		for (d = p->buckets[i]; d != NULL; d = next) {
			next = d->next;
			free(d);
		}
	}
	free(p->buckets);
	free(p->q);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

const char *
gw_presence_node(const struct gw_presence *p)
{
	return p->node;
}

void
gw_presence_on_change(struct gw_presence *p, void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&p->lock);
	p->kick = fn;
	p->kick_arg = arg;
	pthread_mutex_unlock(&p->lock);
}

/* Doubles the table when it holds more devices than buckets. */
static void
grow(struct gw_presence *p)
{
	size_t n = p->nbuckets * 2;
	struct dev **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return;		/* longer chains, still right */
	for (size_t i = 0; i < p->nbuckets; i++) {
		struct dev *d, *next;

		for (d = p->buckets[i]; d != NULL; d = next) {
			next = d->next;
			d->next = b[d->hash & (n - 1)];
			b[d->hash & (n - 1)] = d;
		}
	}
	free(p->buckets);
	p->buckets = b;
	p->nbuckets = n;
}

/* Queues a change; under the lock. 1 when the queue was empty. */
static int
enqueue(struct gw_presence *p, const char *id, enum reg_kind kind,
    const char *reason)
{
	struct gw_presence_event *e;

	if (p->qlen == p->qcap) {
		size_t cap = p->qcap ? 2 * p->qcap : 256;
		struct gw_presence_event *q;

		if (cap > GW_PRESENCE_QUEUE_MAX ||
		    (q = malloc(cap * sizeof(*q))) == NULL) {
			/* The store stopped taking writes for long: the
			 * table still says who is here; the events are
			 * lost, and a restart's "gateway restarted" tells
			 * readers what a stop left. */
			if (p->dropped++ % 10000 == 0)
				gw_log(GW_LOG_WARN, "presence_dropped",
				    "device", id, "reason", "too many "
				    "connection changes wait for the store; "
				    "this one is not recorded", NULL);
			return 0;
		}
		for (size_t i = 0; i < p->qlen; i++)
			q[i] = p->q[(p->qhead + i) % p->qcap];
		free(p->q);
		p->q = q;
		p->qcap = cap;
		p->qhead = 0;
	}
	e = &p->q[(p->qhead + p->qlen++) % p->qcap];
	snprintf(e->device, sizeof(e->device), "%s", id);
	e->kind = kind;
	e->reason = reason;
	e->at = reg_now_ms();
	return p->qlen == 1;
}

static void
kick(struct gw_presence *p, int first)
{
	void (*fn)(void *) = p->kick;
	void *arg = p->kick_arg;

	pthread_mutex_unlock(&p->lock);
	if (first && fn != NULL)
		fn(arg);
}

void
gw_presence_up(struct gw_presence *p, const char *id)
{
	uint64_t h = reg_hash_id(id);
	struct dev **b, *d;
	int first = 0;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	b = &p->buckets[h & (p->nbuckets - 1)];
	for (d = *b; d != NULL; d = d->next)
		if (d->hash == h && strcmp(d->id, id) == 0)
			break;
	if (d == NULL) {
		if ((d = calloc(1, sizeof(*d))) == NULL) {
			pthread_mutex_unlock(&p->lock);
			return;	/* not counted: its close is not either */
		}
		d->hash = h;
		snprintf(d->id, sizeof(d->id), "%s", id);
		d->next = *b;
		*b = d;
	}
	if (d->count++ == 0) {
		p->ndev++;
		first = enqueue(p, id, REG_KIND_CONNECTED, NULL);
		if (p->ndev > p->nbuckets)
			grow(p);
	}
	kick(p, first);
}

void
gw_presence_down(struct gw_presence *p, const char *id, const char *reason)
{
	uint64_t h = reg_hash_id(id);
	struct dev **pp, *d;
	int first = 0;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	for (pp = &p->buckets[h & (p->nbuckets - 1)]; (d = *pp) != NULL;
	    pp = &d->next)
		if (d->hash == h && strcmp(d->id, id) == 0)
			break;
	if (d != NULL && --d->count == 0) {
		*pp = d->next;
		free(d);
		p->ndev--;
		first = enqueue(p, id, REG_KIND_DISCONNECTED, reason);
	}
	kick(p, first);
}

size_t
gw_presence_take(struct gw_presence *p, struct gw_presence_event *out,
    size_t max, int64_t *oldest)
{
	size_t n = 0;

	pthread_mutex_lock(&p->lock);
	if (oldest != NULL)
		*oldest = p->qlen > 0 ? p->q[p->qhead].at : 0;
	if (out != NULL)
		for (; n < max && p->qlen > 0; n++) {
			out[n] = p->q[p->qhead];
			p->qhead = (p->qhead + 1) % p->qcap;
			p->qlen--;
		}
	pthread_mutex_unlock(&p->lock);
	return n;
}

void
gw_presence_untake(struct gw_presence *p, const struct gw_presence_event *ev,
    size_t n)
{
	pthread_mutex_lock(&p->lock);
	/* Back at the front, in their order: room was theirs a moment ago
	 * unless changes came meanwhile, then the ring grows. */
	while (n > 0) {
		if (p->qlen == p->qcap) {
			size_t cap = p->qcap ? 2 * p->qcap : 256;
			struct gw_presence_event *q = malloc(cap * sizeof(*q));

			if (q == NULL)
				break;
			for (size_t i = 0; i < p->qlen; i++)
				q[i] = p->q[(p->qhead + i) % p->qcap];
			free(p->q);
			p->q = q;
			p->qcap = cap;
			p->qhead = 0;
		}
		p->qhead = (p->qhead + p->qcap - 1) % p->qcap;
		p->q[p->qhead] = ev[--n];
		p->qlen++;
	}
	pthread_mutex_unlock(&p->lock);
}

void
gw_presence_reannounce(struct gw_presence *p)
{
	int first = 0;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nbuckets; i++)
		for (struct dev *d = p->buckets[i]; d != NULL; d = d->next)
			first |= enqueue(p, d->id, REG_KIND_CONNECTED, NULL);
	kick(p, first);
}

size_t
gw_presence_count(struct gw_presence *p)
{
	size_t n;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->lock);
	n = p->ndev;
	pthread_mutex_unlock(&p->lock);
	return n;
}
