/* SPDX-License-Identifier: MIT */
/*
 * test_seqset.c - the in-memory duplicate check of the message store:
 * ranges join, split and stay few; a full device forgets its lowest range
 * (never claims a seq it did not see); the snapshot form round-trips and
 * a damaged one is ignored; many devices survive the table's growth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "registry/seqset.h"

struct saved {
	char		 dev[64];
	unsigned char	 blob[SEQSET_BLOB_MAX];
	size_t		 len;
	int		 calls;
};

static int
save_one(void *arg, const char *device, const void *blob, size_t len)
{
	struct saved *sv = arg;

	snprintf(sv->dev, sizeof(sv->dev), "%s", device);
	memcpy(sv->blob, blob, len);
	sv->len = len;
	sv->calls++;
	return 0;
}

static void
test_counting_up_is_one_range(void **state)
{
	struct seqset *s = seqset_new();
	struct saved sv = { 0 };

	(void)state;
	assert_non_null(s);
	for (int64_t i = 1; i <= 1000; i++) {
		assert_false(seqset_has(s, "aaaa-aaaa-a", i));
		assert_int_equal(seqset_add(s, "aaaa-aaaa-a", i), 0);
		assert_true(seqset_has(s, "aaaa-aaaa-a", i));
	}
	assert_false(seqset_has(s, "aaaa-aaaa-a", 0));
	assert_false(seqset_has(s, "aaaa-aaaa-a", 1001));
	assert_false(seqset_has(s, "bbbb-bbbb-b", 5));
	assert_int_equal(seqset_changed(s), 1);
	assert_int_equal(seqset_flush(s, save_one, &sv), 0);
	assert_int_equal(sv.calls, 1);
	assert_string_equal(sv.dev, "aaaa-aaaa-a");
	assert_int_equal(sv.len, 16);		/* one range */
	assert_int_equal(seqset_changed(s), 0);
	seqset_free(s);
}

static void
test_gaps_join(void **state)
{
	struct seqset *s = seqset_new();
	struct saved sv = { 0 };

	(void)state;
	/* 1 3 5, then 4 joins 3..5, then 2 joins all: one range */
	assert_int_equal(seqset_add(s, "d", 1), 0);
	assert_int_equal(seqset_add(s, "d", 5), 0);
	assert_int_equal(seqset_add(s, "d", 3), 0);
	assert_false(seqset_has(s, "d", 2));
	assert_false(seqset_has(s, "d", 4));
	assert_int_equal(seqset_add(s, "d", 4), 0);
	assert_int_equal(seqset_add(s, "d", 3), 0);	/* again: no change */
	assert_int_equal(seqset_add(s, "d", 2), 0);
	for (int64_t i = 1; i <= 5; i++)
		assert_true(seqset_has(s, "d", i));
	assert_int_equal(seqset_flush(s, save_one, &sv), 0);
	assert_int_equal(sv.len, 16);
	/* negative and huge numbers are numbers like others */
	assert_int_equal(seqset_add(s, "d", INT64_MAX), 0);
	assert_true(seqset_has(s, "d", INT64_MAX));
	assert_false(seqset_has(s, "d", INT64_MAX - 1));
	seqset_free(s);
}

static void
test_full_device_forgets_lowest(void **state)
{
	struct seqset *s = seqset_new();

	(void)state;
	/* 10, 20, ..., 160: sixteen ranges */
	for (int64_t i = 1; i <= SEQSET_MAX_RANGES; i++)
		assert_int_equal(seqset_add(s, "d", i * 10), 0);
	for (int64_t i = 1; i <= SEQSET_MAX_RANGES; i++)
		assert_true(seqset_has(s, "d", i * 10));
	/* a seventeenth drops 10, the lowest */
	assert_int_equal(seqset_add(s, "d", 1000), 0);
	assert_false(seqset_has(s, "d", 10));
	assert_true(seqset_has(s, "d", 20));
	assert_true(seqset_has(s, "d", 1000));
	/* below every range while full: not recorded, never claimed */
	assert_int_equal(seqset_add(s, "d", 5), 0);
	assert_false(seqset_has(s, "d", 5));
	/* a seq that joins a range needs no new one: nothing is dropped */
	assert_int_equal(seqset_add(s, "d", 21), 0);
	assert_true(seqset_has(s, "d", 20));
	assert_true(seqset_has(s, "d", 21));
	seqset_free(s);
}

/* The last block a device was recorded in: a cache beside its ranges,
 * no change to save, gone with seqset_clear. */
static void
test_block_record(void **state)
{
	struct seqset *s = seqset_new();

	(void)state;
	assert_false(seqset_block_known(s, "d", 0));
	assert_false(seqset_block_known(s, "d", -1));
	assert_int_equal(seqset_block_set(s, "d", 0), 0);
	assert_true(seqset_block_known(s, "d", 0));
	assert_false(seqset_block_known(s, "d", 1));
	assert_false(seqset_block_known(s, "e", 0));
	assert_int_equal(seqset_changed(s), 0);
	/* ranges and block side by side */
	assert_int_equal(seqset_add(s, "d", 5), 0);
	assert_int_equal(seqset_block_set(s, "d", 3), 0);
	assert_true(seqset_block_known(s, "d", 3));
	assert_true(seqset_has(s, "d", 5));
	/* a device with a block and no ranges: nothing to flush */
	assert_int_equal(seqset_block_set(s, "e", 9), 0);
	assert_int_equal(seqset_changed(s), 1);
	seqset_clear(s);
	assert_false(seqset_block_known(s, "d", 3));
	assert_false(seqset_block_known(s, "e", 9));
	/* an id no registry gives is never recorded */
	assert_int_equal(seqset_block_set(s, "", 1), 0);
	assert_false(seqset_block_known(s, "", 1));
	seqset_free(s);
}

static void
test_snapshot_round_trip(void **state)
{
	struct seqset *s = seqset_new(), *t = seqset_new();
	struct saved sv = { 0 };
	unsigned char bad[32];

	(void)state;
	for (int64_t i = 1; i <= 7; i += 2)
		assert_int_equal(seqset_add(s, "dev-x", i), 0);
	assert_int_equal(seqset_flush(s, save_one, &sv), 0);
	assert_int_equal(sv.len, 4 * 16);
	assert_int_equal(seqset_load(t, sv.dev, sv.blob, sv.len), 0);
	assert_int_equal(seqset_changed(t), 0);	/* loading is no change */
	for (int64_t i = 0; i <= 8; i++)
		assert_int_equal(seqset_has(t, "dev-x", i), i % 2 == 1);

	/* damaged: wrong length, unsorted, overlapping: ignored */
	assert_int_equal(seqset_load(t, "dev-y", sv.blob, 17), 0);
	assert_false(seqset_has(t, "dev-y", 1));
	memcpy(bad, sv.blob + 16, 16);
	memcpy(bad + 16, sv.blob, 16);
	assert_int_equal(seqset_load(t, "dev-y", bad, 32), 0);
	assert_false(seqset_has(t, "dev-y", 1));
	assert_false(seqset_has(t, "dev-y", 3));
	seqset_free(s);
	seqset_free(t);
}

static void
test_many_devices(void **state)
{
	struct seqset *s = seqset_new();
	char id[32];
	size_t n = 0;

	(void)state;
	for (int d = 0; d < 20000; d++) {
		snprintf(id, sizeof(id), "dev-%05d", d);
		assert_int_equal(seqset_add(s, id, d), 0);
		assert_int_equal(seqset_add(s, id, d + 1), 0);
	}
	for (int d = 0; d < 20000; d++) {
		snprintf(id, sizeof(id), "dev-%05d", d);
		assert_true(seqset_has(s, id, d));
		assert_true(seqset_has(s, id, d + 1));
		assert_false(seqset_has(s, id, d + 2));
	}
	assert_int_equal(seqset_changed(s), 20000);
	while (seqset_changed(s) > 0) {
		struct saved sv = { 0 };

		assert_int_equal(seqset_flush(s, save_one, &sv), 0);
		n += (size_t)sv.calls;
	}
	assert_int_equal(n, 20000);
	seqset_clear(s);
	assert_false(seqset_has(s, "dev-00001", 1));
	/* an id no registry makes is not recorded, and not an error */
	assert_int_equal(seqset_add(s, "an-id-far-longer-than-any-the-registry-"
	    "makes", 1), 0);
	seqset_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counting_up_is_one_range),
		cmocka_unit_test(test_gaps_join),
		cmocka_unit_test(test_full_device_forgets_lowest),
		cmocka_unit_test(test_block_record),
		cmocka_unit_test(test_snapshot_round_trip),
		cmocka_unit_test(test_many_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
