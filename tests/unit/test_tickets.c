/* SPDX-License-Identifier: MIT */
/*
 * test_tickets.c - what a restart keeps: the ticket key ring (rotation,
 * the keys other nodes made, expiry), its file (round trip, damage,
 * mode), and the session cache's file (round trip, expiry, the bound).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/sha.h>

#include "gateway/sesscache.h"
#include "gateway/statefile.h"
#include "gateway/tickets.h"

#define NOW	((int64_t)1800000000)

static char dir[64];

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_tickets.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_rotation(void **state)
{
	struct gw_tickets *tk = gw_tickets_new();
	struct gw_ticket_key k[GW_TICKET_RING], first;

	assert_non_null(tk);
	assert_int_equal(gw_tickets_export(tk, k), 1);
	first = k[0];
	/* A key made now is not due for a day. */
	assert_false(gw_tickets_due(tk, first.created + GW_TICKET_ROTATE - 1));
	assert_true(gw_tickets_due(tk, first.created + GW_TICKET_ROTATE));
	assert_int_equal(gw_tickets_rotate(tk, first.created +
	    GW_TICKET_ROTATE), 0);
	/* The new key seals, the old one still opens ... */
	assert_int_equal(gw_tickets_export(tk, k), 2);
	assert_memory_not_equal(k[0].name, first.name, GW_TICKET_NAME_LEN);
	assert_memory_equal(k[1].name, first.name, GW_TICKET_NAME_LEN);
	/* ... until GW_TICKET_KEEP after it was made. */
	assert_int_equal(gw_tickets_rotate(tk, first.created +
	    GW_TICKET_KEEP), 0);
	assert_int_equal(gw_tickets_export(tk, k), 2);
	for (int i = 0; i < 2; i++)
		assert_memory_not_equal(k[i].name, first.name,
		    GW_TICKET_NAME_LEN);
	gw_tickets_free(tk);
}

static void
test_merge(void **state)
{
	struct gw_tickets *tk = gw_tickets_new();
	struct gw_ticket_key k[GW_TICKET_RING], other[3];

	memset(other, 0, sizeof(other));
	memset(other[0].name, 0xa1, GW_TICKET_NAME_LEN);
	other[0].created = (int64_t)time(NULL) + 5;	/* newer: seals */
	memset(other[1].name, 0xa2, GW_TICKET_NAME_LEN);
	other[1].created = (int64_t)time(NULL) - GW_TICKET_KEEP - 1; /* past */
	other[2] = other[0];				/* a repeat */
	assert_int_equal(gw_tickets_merge(tk, other, 3, time(NULL)), 1);
	assert_int_equal(gw_tickets_export(tk, k), 2);
	assert_memory_equal(k[0].name, other[0].name, GW_TICKET_NAME_LEN);
	/* Replacing by nothing but expired keys still leaves one to seal. */
	assert_int_equal(gw_tickets_set(tk, &other[1], 1, time(NULL)), 0);
	assert_int_equal(gw_tickets_export(tk, k), 1);
	assert_memory_not_equal(k[0].name, other[1].name, GW_TICKET_NAME_LEN);
	gw_tickets_free(tk);
}

static void
test_key_file(void **state)
{
	struct gw_tickets *tk = gw_tickets_new(), *back = gw_tickets_new();
	struct gw_ticket_key a[GW_TICKET_RING], b[GW_TICKET_RING];
	unsigned char buf[GW_TICKET_FILE_MAX];
	char path[128], err[GW_TICKET_ERR_LEN];
	size_t n, len;
	struct stat st;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/ticket-keys", dir);
	assert_int_equal(gw_tickets_load(back, path, time(NULL), err), 0);
	assert_int_equal(gw_tickets_rotate(tk, time(NULL)), 0);
	assert_int_equal(gw_tickets_save(tk, path, err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(gw_tickets_load(back, path, time(NULL), err), 1);
	assert_int_equal(gw_tickets_export(tk, a), 2);
	assert_int_equal(gw_tickets_export(back, b), 2);
	assert_memory_equal(a, b, 2 * sizeof(a[0]));

	/* One flipped bit: refused, with the reason. */
	len = gw_tickets_format(a, 2, buf);
	buf[40] ^= 1;
	assert_int_equal(gw_tickets_parse(buf, len, a, &n, err), -1);
	assert_non_null(strstr(err, "checksum"));
	assert_int_equal(gw_tickets_parse(buf, 80, a, &n, err), -1);
	assert_non_null(strstr(err, "truncated"));
	buf[0] = 'T';	/* an nginx key file is 80 random bytes */
	assert_int_equal(gw_tickets_parse(buf, len, a, &n, err), -1);
	assert_non_null(strstr(err, "not a tether ticket key file"));

	/* Readable by others: not used. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(gw_tickets_load(back, path, time(NULL), err), -1);
	assert_non_null(strstr(err, "mode 644"));
	/* Damaged on disk: refused. */
	assert_non_null(fp = fopen(path, "w"));
	fputs("tether tickets1\n\001", fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(gw_tickets_load(back, path, time(NULL), err), -1);
	gw_tickets_free(tk);
	gw_tickets_free(back);
}

/* A session file with n records expiring at exp[i], sealed. */
static size_t
session_file(unsigned char *buf, const int64_t *exp, size_t n)
{
	static const unsigned char magic[16] = "tether sessions\n";
	unsigned char *p = buf;

	memcpy(p, magic, 16);
	p += 16;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = (uint64_t)exp[i];

		for (int j = 7; j >= 0; j--, x >>= 8)
			p[j] = (unsigned char)(x & 0xff);
		p[8] = 32;
		p[9] = 0;
		p[10] = 4;
		memset(p + 11, (int)i + 1, 32);
		memcpy(p + 43, "\x30\x02\x05\x00", 4);
		p += 47;
	}
	SHA256(buf, (size_t)(p - buf), p);
	return (size_t)(p - buf) + 32;
}

static void
test_session_file(void **state)
{
	unsigned char buf[1024];
	int64_t exp[6] = { NOW - 1, NOW + 10, NOW + 20, NOW + 30, NOW + 40,
	    NOW + 50 };
	struct gw_sesscache *c = gw_sesscache_new(4), *d;
	struct gw_sesscache_stats st;
	char path[128], err[GW_STATE_ERR_LEN];
	struct stat sb;
	size_t len, saved;

	assert_non_null(c);
	len = session_file(buf, exp, 6);
	/* The expired one is dropped, and of five the oldest goes. */
	assert_int_equal(gw_sesscache_load_buf(c, buf, len, NOW, err), 5);
	gw_sesscache_stats(c, &st);
	assert_int_equal(st.count, 4);
	assert_int_equal(st.evicted, 1);

	snprintf(path, sizeof(path), "%s/sessions", dir);
	assert_int_equal(gw_sesscache_save(c, path, &saved, err), 0);
	assert_int_equal(saved, 4);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_non_null(d = gw_sesscache_new(16));
	/* +20 is past at +25; +30, +40, +50 are not. */
	assert_int_equal(gw_sesscache_load(d, path, (time_t)NOW + 25, err), 3);

	/* Damage: refused, with the reason. */
	buf[30] ^= 1;
	assert_int_equal(gw_sesscache_load_buf(d, buf, len, NOW, err), -1);
	assert_non_null(strstr(err, "checksum"));
	assert_int_equal(gw_sesscache_load_buf(d, buf, 10, NOW, err), -1);
	gw_sesscache_free(c);
	gw_sesscache_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_merge),
		cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_file, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
