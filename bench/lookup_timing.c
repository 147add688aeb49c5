/* SPDX-License-Identifier: MIT */
/*
 * lookup_timing.c - the gateway's one registry lookup (reg_lookup, what
 * its lookup thread runs for a credential no cache knows) for unknown and
 * for revoked credentials, interleaved, so an attacker timing the 401s
 * cannot tell a credential that once existed (#12, item 12). Makes a
 * fresh SQLite registry (or uses a PostgreSQL one) with N active and N
 * revoked devices and prints the median nanoseconds of each kind over
 * N x ROUNDS lookups, and the median of the per-pair differences.
 *   build/lookup_timing DB [N [ROUNDS [KEY_FILE]]]
 * DB must hold no devices; KEY_FILE is needed for PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry/registry.h"

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long
median(long long *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[n / 2];
}

/* One lookup, timed; it must miss. */
static long long
timed_miss(struct reg_store *st, const uint8_t *hash)
{
	char id[REG_ID_MAX];
	long long t0 = now_ns();
	int r = reg_lookup(st, hash, id);
	long long t = now_ns() - t0;

	if (r != REG_NOT_FOUND) {
		fprintf(stderr, "lookup_timing: a lookup did not miss: %s\n",
		    r < 0 ? reg_error(st) : "it found a device");
		exit(1);
	}
	return t;
}

int
main(int argc, char **argv)
{
	struct reg_batch b = { .scheme = TETHER_SCHEME_PLAIN,
	    .actor = "bench" };
	struct reg_new_device *devs;
	struct reg_store *st;
	char err[REG_ERR_LEN];
	size_t n, rounds, k = 0;
	uint8_t (*unknown)[REG_HASH_LEN], (*revoked)[REG_HASH_LEN];
	long long *tu, *tr, *td;

	if (argc < 2) {
		fprintf(stderr, "usage: lookup_timing DB [N [ROUNDS [KEY_FILE]]]\n");
		return 2;
	}
	n = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	rounds = argc > 3 ? strtoul(argv[3], NULL, 10) : 21;
	if (n == 0 || rounds == 0)
		return 2;
	devs = calloc(2 * n, sizeof(*devs));
	unknown = calloc(n, sizeof(*unknown));
	revoked = calloc(n, sizeof(*revoked));
	tu = calloc(n * rounds, sizeof(*tu));
	tr = calloc(n * rounds, sizeof(*tr));
	td = calloc(n * rounds, sizeof(*td));
	if (devs == NULL || unknown == NULL || revoked == NULL ||
	    tu == NULL || tr == NULL || td == NULL)
		return 1;
	if (reg_open(&st, argv[1], argc > 4 ? argv[4] : NULL, err) < 0) {
		fprintf(stderr, "lookup_timing: %s\n", err);
		return 1;
	}
	b.count = 2 * n;
	if (reg_provision_batch(st, &b, devs) < 0) {
		fprintf(stderr, "lookup_timing: %s\n", reg_error(st));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char text[64];

		if (reg_set_status(st, devs[n + i].id, REG_REVOKED,
		    "bench") < 0) {
			fprintf(stderr, "lookup_timing: %s\n", reg_error(st));
			return 1;
		}
		reg_credential_hash(st, devs[n + i].credential,
		    strlen(devs[n + i].credential), revoked[i]);
		snprintf(text, sizeof(text), "tth1_never_issued_%zu", i);
		reg_credential_hash(st, text, strlen(text), unknown[i]);
	}
	for (size_t i = 0; i < n; i++) {		/* warm the caches */
		(void)timed_miss(st, unknown[i]);
		(void)timed_miss(st, revoked[i]);
	}
	for (size_t r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++, k++) {
			/* alternate which kind goes first */
			if ((i + r) & 1) {
				tu[k] = timed_miss(st, unknown[i]);
				tr[k] = timed_miss(st, revoked[i]);
			} else {
				tr[k] = timed_miss(st, revoked[i]);
				tu[k] = timed_miss(st, unknown[i]);
			}
			td[k] = tr[k] - tu[k];
		}
	printf("lookups of each kind: %zu (%zu credentials x %zu rounds)\n",
	    k, n, rounds);
	printf("unknown: median %lld ns\n", median(tu, k));
	printf("revoked: median %lld ns\n", median(tr, k));
	printf("revoked - unknown, median of pairs: %lld ns\n",
	    median(td, k));
	reg_close(st);
	return 0;
}
