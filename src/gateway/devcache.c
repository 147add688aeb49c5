/* SPDX-License-Identifier: MIT */
/*
 * devcache.c - the registry lookup cache: credential hash -> device id, for
 * active devices only. Unknown and revoked credentials are never here
 * (auth.c's negative cache holds both alike), so both take the same path
 * and the same time (DESIGN.md: "same body, same timing"). Shared by the
 * workers and the lookup thread under a read-write lock.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gateway/gateway.h"

struct slot {
	uint8_t	hash[REG_HASH_LEN];
	char	id[REG_ID_MAX];
	int	used;		/* 0 empty, 1 used, 2 deleted */
};

struct gw_devcache {
	pthread_rwlock_t lock;
	struct slot	*slots;
	size_t		 cap;		/* power of two */
	size_t		 used;		/* used + deleted */
};

struct gw_devcache *
gw_devcache_new(void)
{
	struct gw_devcache *dc;

	if ((dc = calloc(1, sizeof(*dc))) == NULL)
		return NULL;
	if ((dc->slots = calloc(GW_DEVCACHE_MIN, sizeof(*dc->slots))) == NULL) {
		free(dc);
		return NULL;
	}
	dc->cap = GW_DEVCACHE_MIN;
	pthread_rwlock_init(&dc->lock, NULL);
	return dc;
}

void
gw_devcache_free(struct gw_devcache *dc)
{
	if (dc == NULL)
		return;
	OPENSSL_cleanse(dc->slots, dc->cap * sizeof(*dc->slots));
	free(dc->slots);
	pthread_rwlock_destroy(&dc->lock);
	free(dc);
}

/* The hash is an HMAC output: its first bytes are already uniform. */
static size_t
start(const uint8_t hash[REG_HASH_LEN], size_t cap)
{
	uint64_t h;

	memcpy(&h, hash, sizeof(h));
	return (size_t)h & (cap - 1);
}

int
gw_devcache_get(struct gw_devcache *dc, const uint8_t hash[REG_HASH_LEN],
    char id[REG_ID_MAX])
{
	int found = 0;

	pthread_rwlock_rdlock(&dc->lock);
	for (size_t i = start(hash, dc->cap), n = 0; n < dc->cap;
	    i = (i + 1) & (dc->cap - 1), n++) {
		struct slot *s = &dc->slots[i];

		if (s->used == 0)
			break;
		if (s->used == 1 &&
		    CRYPTO_memcmp(s->hash, hash, REG_HASH_LEN) == 0) {
			memcpy(id, s->id, REG_ID_MAX);
			found = 1;
			break;
		}
	}
	pthread_rwlock_unlock(&dc->lock);
	return found;
}

/* Returns 1 if a slot was taken, 0 if the entry was there already. */
static int
insert(struct slot *slots, size_t cap, const uint8_t *hash, const char *id)
{
	for (size_t i = start(hash, cap);; i = (i + 1) & (cap - 1)) {
		struct slot *s = &slots[i];
		int fresh = s->used == 0;

		if (s->used != 1 || memcmp(s->hash, hash, REG_HASH_LEN) == 0) {
			memcpy(s->hash, hash, REG_HASH_LEN);
			snprintf(s->id, sizeof(s->id), "%s", id);
			s->used = 1;
			return fresh;
		}
	}
}

/* Rehashes into a table twice as big (or as big, when mostly deleted). */
static void
grow(struct gw_devcache *dc)
{
	size_t cap = dc->cap * 2;
	struct slot *slots;

	if (cap > GW_DEVCACHE_MAX) {
		/* A cache, not the registry: forget and refill from the store. */
		OPENSSL_cleanse(dc->slots, dc->cap * sizeof(*dc->slots));
		dc->used = 0;
		return;
	}
	if ((slots = calloc(cap, sizeof(*slots))) == NULL)
		return;		/* keep the full-ish table; lookups still work */
	dc->used = 0;
	for (size_t i = 0; i < dc->cap; i++)
		if (dc->slots[i].used == 1) {
			dc->used += (size_t)insert(slots, cap,
			    dc->slots[i].hash, dc->slots[i].id);
		}
	OPENSSL_cleanse(dc->slots, dc->cap * sizeof(*dc->slots));
	free(dc->slots);
	dc->slots = slots;
	dc->cap = cap;
}

void
gw_devcache_put(struct gw_devcache *dc, const uint8_t hash[REG_HASH_LEN],
    const char *id)
{
	pthread_rwlock_wrlock(&dc->lock);
	if ((dc->used + 1) * 4 > dc->cap * 3)
		grow(dc);
	if ((dc->used + 1) * 4 <= dc->cap * 3)
		dc->used += (size_t)insert(dc->slots, dc->cap, hash, id);
	pthread_rwlock_unlock(&dc->lock);
}

void
gw_devcache_forget(struct gw_devcache *dc, const char *id)
{
	pthread_rwlock_wrlock(&dc->lock);
	for (size_t i = 0; i < dc->cap; i++)
		if (dc->slots[i].used == 1 && strcmp(dc->slots[i].id, id) == 0)
			dc->slots[i].used = 2;
	pthread_rwlock_unlock(&dc->lock);
}
