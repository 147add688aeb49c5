/* SPDX-License-Identifier: MIT */
/*
 * seqset.c - per-device ranges of stored sequence numbers (seqset.h): an
 * open-addressing hash table keyed by device id, each entry with its
 * ranges sorted, disjoint and never adjacent (adjacent ones are merged).
 */
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "registry/seqset.h"

#define SEQSET_MIN_SLOTS	64	/* a power of two */

struct range {
	int64_t		 lo, hi;
};

struct entry {
	char		 id[REG_ID_MAX];	/* "" marks a free slot */
	uint32_t	 hash;
	uint8_t		 n;		/* ranges in r */
	uint8_t		 changed;
	struct range	*r;
	int64_t		 block;		/* last block recorded, -1: none */
};

struct seqset {
	struct entry	*slot;
	size_t		 nslots;	/* a power of two */
	size_t		 used;
	size_t		 changed;
};

static uint32_t
hash_of(const char *id)
{
	return (uint32_t)reg_hash_id(id);
}

static struct entry *
find(const struct seqset *s, const char *id, uint32_t h)
{
	size_t mask = s->nslots - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct entry *e = &s->slot[i];

		if (e->id[0] == '\0')
			return e;
		if (e->hash == h && strcmp(e->id, id) == 0)
			return e;
	}
}

static int
grow(struct seqset *s)
{
	size_t n = s->nslots * 2;
	struct entry *old = s->slot, *slot;

	if ((slot = calloc(n, sizeof(*slot))) == NULL)
		return -1;
	s->slot = slot;
	s->nslots = n;
	for (size_t i = 0; i < n / 2; i++)
		if (old[i].id[0] != '\0')
			*find(s, old[i].id, old[i].hash) = old[i];
	free(old);
	return 0;
}

/* The device's entry, made (empty) when absent; NULL when out of memory
 * or the id does not fit. */
static struct entry *
entry_of(struct seqset *s, const char *id)
{
	uint32_t h = hash_of(id);
	struct entry *e;
	size_t len = strlen(id);

	if (len == 0 || len >= REG_ID_MAX)
		return NULL;
	e = find(s, id, h);
	if (e->id[0] != '\0')
		return e;
	/* keep the table at most 3/4 full, so probes stay short */
	if ((s->used + 1) * 4 > s->nslots * 3) {
		if (grow(s) < 0)
			return NULL;
		e = find(s, id, h);
	}
	memcpy(e->id, id, len + 1);
	e->hash = h;
	e->n = 0;
	e->changed = 0;
	e->r = NULL;
	e->block = -1;
	s->used++;
	return e;
}

struct seqset *
seqset_new(void)
{
	struct seqset *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->slot = calloc(SEQSET_MIN_SLOTS, sizeof(*s->slot))) == NULL) {
		free(s);
		return NULL;
	}
	s->nslots = SEQSET_MIN_SLOTS;
	return s;
}

void
seqset_clear(struct seqset *s)
{
	for (size_t i = 0; i < s->nslots; i++)
		free(s->slot[i].r);
	memset(s->slot, 0, s->nslots * sizeof(*s->slot));
	s->used = 0;
	s->changed = 0;
}

void
seqset_free(struct seqset *s)
{
	if (s == NULL)
		return;
	seqset_clear(s);
	free(s->slot);
	free(s);
}

/* Index of the first range whose hi >= seq (n when none). */
static size_t
first_not_below(const struct entry *e, int64_t seq)
{
	size_t i = 0;

	while (i < e->n && e->r[i].hi < seq)
		i++;
	return i;
}

int
seqset_has(const struct seqset *s, const char *device, int64_t seq)
{
	const struct entry *e;
	size_t i;

	if (strlen(device) >= REG_ID_MAX)
		return 0;
	e = find(s, device, hash_of(device));
	if (e->id[0] == '\0')
		return 0;
	i = first_not_below(e, seq);
	return i < e->n && e->r[i].lo <= seq;
}

int
seqset_block_known(const struct seqset *s, const char *device,
    int64_t block)
{
	const struct entry *e;

	if (strlen(device) >= REG_ID_MAX)
		return 0;
	e = find(s, device, hash_of(device));
	return e->id[0] != '\0' && e->block == block;
}

int
seqset_block_set(struct seqset *s, const char *device, int64_t block)
{
	struct entry *e;

	if (device[0] == '\0' || strlen(device) >= REG_ID_MAX)
		return 0;	/* not recorded: its rows are written each time */
	if ((e = entry_of(s, device)) == NULL)
		return -1;
	e->block = block;
	return 0;
}

static void
mark(struct seqset *s, struct entry *e)
{
	if (!e->changed) {
		e->changed = 1;
		s->changed++;
	}
}

int
seqset_add(struct seqset *s, const char *device, int64_t seq)
{
	struct entry *e;
	struct range *r;
	size_t i;

	if (device[0] == '\0' || strlen(device) >= REG_ID_MAX)
		return 0;	/* no registry id looks so: not recorded */
	if ((e = entry_of(s, device)) == NULL)
		return -1;
	i = first_not_below(e, seq);
	if (i < e->n && e->r[i].lo <= seq)
		return 0;			/* already there */
	/* Joins the range below (its hi + 1 == seq), the range above
	 * (its lo - 1 == seq), or both into one. */
	if (i > 0 && e->r[i - 1].hi == seq - 1) {
		e->r[i - 1].hi = seq;
		if (i < e->n && e->r[i].lo == seq + 1) {
			e->r[i - 1].hi = e->r[i].hi;
			memmove(&e->r[i], &e->r[i + 1],
			    (e->n - i - 1) * sizeof(*e->r));
			e->n--;
		}
		mark(s, e);
		return 0;
	}
	if (i < e->n && e->r[i].lo == seq + 1) {
		e->r[i].lo = seq;
		mark(s, e);
		return 0;
	}
	if (e->n == SEQSET_MAX_RANGES) {
		/* full: forget the lowest range (seqset.h) */
		if (i == 0)
			return 0;	/* seq is below all of them: the
					 * oldest, forgotten at once */
		memmove(&e->r[0], &e->r[1], (e->n - 1) * sizeof(*e->r));
		e->n--;
		i--;
	} else {
		if ((r = realloc(e->r, (e->n + 1u) * sizeof(*r))) == NULL)
			return -1;
		e->r = r;
	}
	memmove(&e->r[i + 1], &e->r[i], (e->n - i) * sizeof(*e->r));
	e->r[i].lo = e->r[i].hi = seq;
	e->n++;
	mark(s, e);
	return 0;
}

static void
put64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(u >> (8 * i));
}

static int64_t
get64(const unsigned char *p)
{
	uint64_t u = 0;

	for (int i = 0; i < 8; i++)
		u |= (uint64_t)p[i] << (8 * i);
	return (int64_t)u;
}

int
seqset_load(struct seqset *s, const char *device, const void *blob,
    size_t len)
{
	const unsigned char *p = blob;
	struct entry *e;
	struct range *r;
	size_t n = len / 16;

	if (len % 16 != 0 || n == 0 || n > SEQSET_MAX_RANGES ||
	    device[0] == '\0' || strlen(device) >= REG_ID_MAX)
		return 0;	/* ignored: errs towards storing */
	for (size_t i = 0; i < n; i++) {
		int64_t lo = get64(p + 16 * i), hi = get64(p + 16 * i + 8);

		int64_t prev = i > 0 ? get64(p + 16 * i - 8) : 0;

		/* sorted, disjoint, not adjacent: anything else is ignored */
		if (lo > hi || (i > 0 && (prev == INT64_MAX || lo <= prev + 1)))
			return 0;
	}
	if ((e = entry_of(s, device)) == NULL ||
	    (r = realloc(e->r, n * sizeof(*r))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		r[i].lo = get64(p + 16 * i);
		r[i].hi = get64(p + 16 * i + 8);
	}
	e->r = r;
	e->n = (uint8_t)n;
	return 0;
}

size_t
seqset_changed(const struct seqset *s)
{
	return s->changed;
}

int
seqset_flush(struct seqset *s,
    int (*fn)(void *arg, const char *device, const void *blob, size_t len),
    void *arg)
{
	unsigned char blob[SEQSET_BLOB_MAX];
	int rc;

	for (size_t i = 0; i < s->nslots && s->changed > 0; i++) {
		struct entry *e = &s->slot[i];

		if (e->id[0] == '\0' || !e->changed)
			continue;
		for (size_t j = 0; j < e->n; j++) {
			put64(blob + 16 * j, e->r[j].lo);
			put64(blob + 16 * j + 8, e->r[j].hi);
		}
		if ((rc = fn(arg, e->id, blob, 16u * e->n)) != 0)
			return rc;
		e->changed = 0;
		s->changed--;
	}
	return 0;
}
