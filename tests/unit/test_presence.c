/* SPDX-License-Identifier: MIT */
/*
 * test_presence.c - the gateway's presence table (src/gateway/presence.c):
 * only a device's first connection and its last close are changes, in
 * the order they happened; what a failed commit took goes back in front;
 * a NULL table (--presence off) takes every call; the queue's first
 * change wakes the intake, the others do not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/gateway.h"

static int kicks;

static void
on_kick(void *arg)
{
	(void)arg;
	kicks++;
}

static void
test_counts_and_order(void **state)
{
	struct gw_presence *p = gw_presence_new("gw-a:8443");
	struct gw_presence_event ev[8];
	int64_t oldest = -1;

	(void)state;
	assert_non_null(p);
	assert_string_equal(gw_presence_node(p), "gw-a:8443");
	kicks = 0;
	gw_presence_on_change(p, on_kick, NULL);
	gw_presence_up(p, "aaaa-aaaa-a");
	gw_presence_up(p, "aaaa-aaaa-a");	/* a second connection: no change */
	gw_presence_up(p, "bbbb-bbbb-b");
	assert_int_equal(gw_presence_count(p), 2);
	gw_presence_down(p, "aaaa-aaaa-a", "closed");	/* one left */
	gw_presence_down(p, "aaaa-aaaa-a", "idle timeout");
	gw_presence_down(p, "cccc-cccc-c", "closed");	/* never up: nothing */
	assert_int_equal(gw_presence_count(p), 1);
	assert_int_equal(kicks, 1);	/* the first into an empty queue */
	assert_int_equal(gw_presence_take(p, NULL, 0, &oldest), 0);
	assert_true(oldest > 0);
	assert_int_equal(gw_presence_take(p, ev, 8, NULL), 3);
	assert_string_equal(ev[0].device, "aaaa-aaaa-a");
	assert_int_equal(ev[0].kind, REG_KIND_CONNECTED);
	assert_null(ev[0].reason);
	assert_string_equal(ev[1].device, "bbbb-bbbb-b");
	assert_int_equal(ev[2].kind, REG_KIND_DISCONNECTED);
	assert_string_equal(ev[2].reason, "idle timeout");
	assert_int_equal(gw_presence_take(p, NULL, 0, &oldest), 0);
	assert_int_equal(oldest, 0);

	/* a failed commit: back in front, in order, before what came since */
	gw_presence_down(p, "bbbb-bbbb-b", "revoked");
	gw_presence_untake(p, ev, 3);
	assert_int_equal(gw_presence_take(p, ev, 2, NULL), 2);
	assert_string_equal(ev[0].device, "aaaa-aaaa-a");
	assert_string_equal(ev[1].device, "bbbb-bbbb-b");
	assert_int_equal(gw_presence_take(p, ev, 8, NULL), 2);
	assert_string_equal(ev[0].reason, "idle timeout");
	assert_string_equal(ev[1].reason, "revoked");
	gw_presence_on_change(p, NULL, NULL);
	gw_presence_free(p);
}

/* Many devices: the table grows and the ring wraps, nothing lost. */
static void
test_many(void **state)
{
	struct gw_presence *p = gw_presence_new("n");
	static struct gw_presence_event ev[GW_PRESENCE_BATCH];
	char id[REG_ID_MAX];
	size_t got = 0, n;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "d%06d", i);
		gw_presence_up(p, id);
	}
	assert_int_equal(gw_presence_count(p), 5000);
	while ((n = gw_presence_take(p, ev, GW_PRESENCE_BATCH, NULL)) > 0) {
		for (size_t k = 0; k < n; k++) {
			snprintf(id, sizeof(id), "d%06zu", got + k);
			assert_string_equal(ev[k].device, id);
		}
		got += n;
	}
	assert_int_equal(got, 5000);
	gw_presence_reannounce(p);	/* the store lost this node */
	assert_int_equal(gw_presence_take(p, NULL, 0, NULL), 0);
	got = 0;
	while ((n = gw_presence_take(p, ev, GW_PRESENCE_BATCH, NULL)) > 0)
		got += n;
	assert_int_equal(got, 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "d%06d", i);
		gw_presence_down(p, id, "shutdown");
	}
	assert_int_equal(gw_presence_count(p), 0);
	gw_presence_free(p);
}

static void
test_off(void **state)
{
	(void)state;
	gw_presence_up(NULL, "aaaa-aaaa-a");
	gw_presence_down(NULL, "aaaa-aaaa-a", "closed");
	assert_int_equal(gw_presence_count(NULL), 0);
	gw_presence_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_order),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests_name("presence", tests, NULL, NULL);
}
