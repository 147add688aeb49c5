/* SPDX-License-Identifier: MIT */
/*
 * test_registry.c - the registry on SQLite and, when TETHER_PG_URL names
 * a PostgreSQL database to use (and wipe), the same store tests on
 * PostgreSQL (tests/integration/t_postgres.sh starts a server and sets
 * it): schema and key file,
 * migrations, provisioning in every scheme (all or nothing, no secret or
 * credential on disk), lookup, revocation, rotation, renaming, forgetting
 * and the change feed, listing, the audit trail, "did you mean", message
 * intake with duplicates, commands to devices, device ids.
 * Each test works in a fresh temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "tether.h"
#include "registry/backend.h"
#include "common/json.h"
#include "registry/registry.h"
#include "registry/schema.h"

struct fixture {
	char	 dir[64];
	char	 db[128];
	char	 key[128];
	struct reg_store *st;
	char	 err[REG_ERR_LEN];
	int	 pg;		/* db is PostgreSQL's TETHER_PG_URL */
};

/* The PostgreSQL database of the second group, or NULL. */
static const char *pg_url;

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/tether-reg-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/t.db.key", f->dir);
	*state = f;
	return 0;
}

/* Runs sql on PostgreSQL through a connection of its own; the result of
 * its last statement. */
static PGresult *
pg_exec(const char *db, const char *sql)
{
	PGconn *c = PQconnectdb(db);
	PGresult *r;
	ExecStatusType s;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", db, PQerrorMessage(c));
	r = PQexec(c, sql);
	s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQfinish(c);
	return r;
}

/* A fresh temporary directory (for the key file) and an empty database:
 * the tables of the test before are dropped. */
static int
setup_pg(void **state)
{
	struct fixture *f;

	if (setup(state) != 0)
		return -1;
	f = *state;
	f->pg = 1;
	if (strlen(pg_url) >= sizeof(f->db)) {
		fprintf(stderr, "TETHER_PG_URL is longer than %zu bytes\n",
		    sizeof(f->db) - 1);
		return -1;
	}
	snprintf(f->db, sizeof(f->db), "%s", pg_url);
	PQclear(pg_exec(f->db, "SET client_min_messages = warning; "
	    "DROP SCHEMA public CASCADE; "
	    "CREATE SCHEMA public"));
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	reg_close(f->st);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Plain devices, all or none, as reg_provision_batch makes them; with
 * before_commit, the step before the commit. */
static int
provision_with(struct reg_store *st, size_t count, const char *label_prefix,
    const char *actor, struct reg_new_device *out,
    int (*before_commit)(void *, const struct reg_new_device *, size_t),
    void *arg)
{
	struct reg_batch b = {
		.scheme = TETHER_SCHEME_PLAIN,
		.count = count,
		.label_prefix = label_prefix,
		.actor = actor,
		.before_commit = before_commit,
		.arg = arg,
	};

	return reg_provision_batch(st, &b, out);
}

static int
provision(struct reg_store *st, size_t count, const char *label_prefix,
    const char *actor, struct reg_new_device *out)
{
	return provision_with(st, count, label_prefix, actor, out, NULL, NULL);
}

/* 1 if db names a PostgreSQL database: not a file. */
static int
is_pg(const char *db)
{
	return reg_db_file(db) == NULL;
}

/* The key file reg_open is given: SQLite's default beside the database,
 * or (PostgreSQL has no file to put it beside) the fixture's. */
static const char *
key_of(const struct fixture *f)
{
	return f->pg ? f->key : NULL;
}

static void
open_ok(struct fixture *f)
{
	int rc = reg_open(&f->st, f->db, key_of(f), f->err);

	if (rc != 0)
		fail_msg("reg_open: %s", f->err);
}

static void
reopen(struct fixture *f)
{
	reg_close(f->st);
	f->st = NULL;
	open_ok(f);
}

/* Runs a one-integer query on the database through a connection of its
 * own, as another process would. */
static long long
sql_int(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	long long v = -1;

	if (is_pg(db)) {
		PGresult *r = pg_exec(db, sql);

		if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
			v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		return v;
	}
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static void
sql_exec(const char *db, const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;

	if (is_pg(db)) {
		PQclear(pg_exec(db, sql));
		return;
	}
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(h);
}

/* SQLite's plan for the credential lookup: the index of active devices
 * alone (covering), so a revoked credential finds no entry and reads no
 * row, as an unknown one. */
static void
lookup_plan_is_covering(const char *db)
{
	char sql[512];
	sqlite3 *h;
	sqlite3_stmt *s;
	int found = 0;

	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
	    reg_sqlite_backend.lookup_sql);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 3);

		if (d != NULL && strstr(d, "COVERING INDEX devices_active_cred"))
			found = 1;
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	assert_true(found);
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
open_fails_with(struct fixture *f, const char *key_file, const char *words)
{
	struct reg_store *st = NULL;

	assert_int_equal(reg_open(&st, f->db, key_file, f->err), -1);
	assert_null(st);
	if (strstr(f->err, words) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", f->err, words);
}

/* ---- schema and key file ---- */

static void
test_open_twice_is_idempotent(void **state)
{
	struct fixture *f = *state;

	open_ok(f);
	reopen(f);
	reopen(f);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM "
	    "schema_migrations"), (long long)reg_sqlite_schema.count);
	assert_int_equal(sql_int(f->db, "SELECT max(version) FROM "
	    "schema_migrations"),
	    reg_schema_latest());
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM meta"), 1);
}

static void
test_wal_mode(void **state)
{
	struct fixture *f = *state;
	sqlite3 *h;
	sqlite3_stmt *s;

	open_ok(f);
	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(h);
}

struct race {
	const char	*db;
	int		 rc;
	char		 err[REG_ERR_LEN];
};

static void *
race_open(void *arg)
{
	struct race *r = arg;
	struct reg_store *st;

	r->rc = reg_open(&st, r->db, NULL, r->err);
	if (r->rc == 0)
		reg_close(st);
	return NULL;
}

static void
test_concurrent_first_open(void **state)
{
	struct fixture *f = *state;
	struct race r[6];
	pthread_t t[6];
	struct stat sb;

	for (int i = 0; i < 6; i++) {
		r[i].db = f->db;
		assert_int_equal(pthread_create(&t[i], NULL, race_open, &r[i]),
		    0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		if (r[i].rc != 0)
			fail_msg("opener %d: %s", i, r[i].err);
	}
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM "
	    "schema_migrations"), (long long)reg_sqlite_schema.count);
	assert_int_equal(stat(f->key, &sb), 0);
	assert_int_equal(sb.st_size, 32);
}

static void
test_key_file_created_private(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	open_ok(f);
	assert_int_equal(stat(f->key, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 32);
}

static void
test_named_key_file(void **state)
{
	struct fixture *f = *state;
	char kf[160];
	struct stat sb;

	snprintf(kf, sizeof(kf), "%s/other.key", f->dir);
	assert_int_equal(reg_open(&f->st, f->db, kf, f->err), 0);
	assert_int_equal(stat(kf, &sb), 0);
	assert_int_equal(stat(f->key, &sb), -1);
	reg_close(f->st);
	f->st = NULL;
	/* the database now belongs to that key: the default is refused */
	open_fails_with(f, NULL, "missing");
	assert_int_equal(stat(f->key, &sb), -1);
}

static void
test_wrong_size_key_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t k[33] = { 1 };

	write_file(f->key, k, 31, 0600);
	open_fails_with(f, NULL, "has 31 bytes, but a registry key is "
	    "exactly 32 bytes");
	write_file(f->key, k, 33, 0600);
	open_fails_with(f, NULL, "has 33 bytes");
	write_file(f->key, k, 0, 0600);
	open_fails_with(f, NULL, "has 0 bytes");
}

static void
test_readable_key_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t k[32] = { 1 };

	write_file(f->key, k, sizeof(k), 0644);
	open_fails_with(f, NULL, "chmod 600");
}

static void
test_key_directory_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mkdir(f->key, 0700), 0);
	open_fails_with(f, NULL, "not a regular file");
}

static void
test_wrong_key_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t k[32];

	open_ok(f);
	reg_close(f->st);
	f->st = NULL;
	memset(k, 7, sizeof(k));
	unlink(f->key);
	write_file(f->key, k, sizeof(k), 0600);
	open_fails_with(f, NULL, "is not the key");
}

static void
test_foreign_database_refused(void **state)
{
	struct fixture *f = *state;

	sql_exec(f->db, "CREATE TABLE recipes (name TEXT)");
	open_fails_with(f, NULL, "database of something else");
}

static void
test_not_a_database_refused(void **state)
{
	struct fixture *f = *state;
	char junk[4096];

	memset(junk, 'x', sizeof(junk));
	write_file(f->db, junk, sizeof(junk), 0600);
	open_fails_with(f, NULL, "not an SQLite database");
}

static void
test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;

	open_ok(f);
	reg_close(f->st);
	f->st = NULL;
	sql_exec(f->db, "INSERT INTO schema_migrations VALUES (99, 'x', 0)");
	open_fails_with(f, NULL, "newer than this tether knows");
}

static void
test_missing_directory(void **state)
{
	struct fixture *f = *state;

	snprintf(f->db, sizeof(f->db), "%s/no/such/dir.db", f->dir);
	open_fails_with(f, NULL, "cannot open the database");
}

/* ---- provisioning and lookup ---- */

static void
test_provision_and_lookup(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[50];
	uint8_t hash[REG_HASH_LEN];
	char id[REG_ID_MAX], label[32];
	struct reg_device dev;

	open_ok(f);
	assert_int_equal(provision(f->st, 50, "kitchen", "test", devs), 0);
	for (int i = 0; i < 50; i++) {
		assert_true(reg_id_valid(devs[i].id));
		assert_true(tether_credential_parse(devs[i].credential,
		    strlen(devs[i].credential), NULL));
		snprintf(label, sizeof(label), "kitchen-%d", i + 1);
		assert_string_equal(devs[i].label, label);
		for (int j = 0; j < i; j++) {
			assert_string_not_equal(devs[i].id, devs[j].id);
			assert_string_not_equal(devs[i].credential,
			    devs[j].credential);
		}
	}
	reopen(f);
	for (int i = 0; i < 50; i++) {
		reg_credential_hash(f->st, devs[i].credential,
		    strlen(devs[i].credential), hash);
		assert_int_equal(reg_lookup(f->st, hash, id), 0);
		assert_string_equal(id, devs[i].id);
		assert_int_equal(reg_device_get(f->st, devs[i].id, &dev), 0);
		assert_string_equal(dev.label, devs[i].label);
		assert_int_equal(dev.status, REG_ACTIVE);
		assert_true(dev.created_at > 1600000000000LL);
		assert_int_equal(dev.last_seen_at, 0);
	}
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit WHERE "
	    "action = 'provision' AND actor = 'test'"), 1);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices WHERE "
	    "scheme = 'plain' AND status = 'active'"), 50);
}

static void
test_provision_without_labels(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[3];

	open_ok(f);
	assert_int_equal(provision(f->st, 3, NULL, "test", devs), 0);
	for (int i = 0; i < 3; i++)
		assert_string_equal(devs[i].label, "");
	assert_int_equal(provision(f->st, 0, NULL, "test", devs), 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices"), 3);
}

static void
test_unknown_hash(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[2];
	uint8_t hash[REG_HASH_LEN];
	char id[REG_ID_MAX];
	char cred[TETHER_CREDENTIAL_LEN + 1];

	open_ok(f);
	assert_int_equal(provision(f->st, 2, NULL, "test", devs), 0);
	/* a well-formed credential that was never issued */
	tether_credential_format((const uint8_t *)"0123456789abcdef", cred);
	reg_credential_hash(f->st, cred, strlen(cred), hash);
	assert_int_equal(reg_lookup(f->st, hash, id), REG_NOT_FOUND);
	memset(hash, 0, sizeof(hash));
	assert_int_equal(reg_lookup(f->st, hash, id), REG_NOT_FOUND);
}

static void
test_hash_is_keyed(void **state)
{
	struct fixture *f = *state;
	uint8_t a[REG_HASH_LEN], b[REG_HASH_LEN];
	char other[160];
	struct reg_store *st2;
	const char *cred = "tth1_example";

	open_ok(f);
	reg_credential_hash(f->st, cred, strlen(cred), a);
	snprintf(other, sizeof(other), "%s/u.db", f->dir);
	assert_int_equal(reg_open(&st2, other, NULL, f->err), 0);
	reg_credential_hash(st2, cred, strlen(cred), b);
	reg_close(st2);
	assert_memory_not_equal(a, b, REG_HASH_LEN);
}

static int
fail_hook(void *arg, const struct reg_new_device *devs, size_t count)
{
	size_t *seen = arg;

	*seen = count;
	return -1;
}

static void
test_provision_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[10];
	size_t seen = 0;

	open_ok(f);
	/* the 6th insert fails, as a full disk or a crash would */
	sql_exec(f->db, "CREATE TRIGGER fail_6th BEFORE INSERT ON devices "
	    "WHEN (SELECT count(*) FROM devices) >= 5 "
	    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	reopen(f);
	assert_int_equal(provision(f->st, 10, "p", "test", devs), -1);
	assert_non_null(strstr(reg_error(f->st), "cannot register"));
	assert_non_null(strstr(reg_error(f->st), "injected failure"));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices"), 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit"), 0);
	/* the credentials of a failed batch are wiped */
	for (int i = 0; i < 10; i++)
		assert_int_equal(devs[i].credential[0], '\0');

	/* a step between insert and commit that fails */
	sql_exec(f->db, "DROP TRIGGER fail_6th");
	assert_int_equal(provision_with(f->st, 10, "p", "test", devs,
	    fail_hook, &seen), -1);
	assert_int_equal(seen, 10);
	assert_non_null(strstr(reg_error(f->st), "cancelled"));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices"), 0);

	/* and the handle is usable afterwards */
	assert_int_equal(provision(f->st, 10, "p", "test", devs), 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices"), 10);
}

static void
test_bad_label_prefix(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[1];
	char prefix[200];

	open_ok(f);
	memset(prefix, 'a', sizeof(prefix) - 1);
	prefix[sizeof(prefix) - 1] = '\0';
	assert_int_equal(provision(f->st, 1, prefix, "t", devs), -1);
	assert_non_null(strstr(reg_error(f->st), "at most"));
	assert_int_equal(provision(f->st, 1, "a\nb", "t", devs), -1);
	assert_non_null(strstr(reg_error(f->st), "control character"));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices"), 0);
}

static int
contains(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;
	int found;

	if (fp == NULL)
		return 0;	/* e.g. no -wal file after a checkpoint */
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	found = memmem(buf, (size_t)n, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

static void
test_credential_never_stored(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[20];
	char wal[160], shm[160];
	const char *files[] = { f->db, wal, shm, f->key };

	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	snprintf(shm, sizeof(shm), "%s-shm", f->db);
	open_ok(f);
	assert_int_equal(provision(f->st, 20, "x", "test", devs), 0);
	/* while open (the log holds the pages) and after a checkpoint */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 20; i++)
			for (size_t j = 0; j < 4; j++) {
				assert_false(contains(files[j],
				    devs[i].credential));
				/* nor its random part alone */
				assert_false(contains(files[j],
				    devs[i].credential + 5));
			}
		reg_close(f->st);
		f->st = NULL;
	}
	/* the check itself works: the ids are there */
	assert_true(contains(f->db, devs[0].id));
}

static void
test_provision_100k(void **state)
{
	struct fixture *f = *state;
	const size_t n = 100000;
	struct reg_new_device *devs = calloc(n, sizeof(*devs));
	struct timespec a, b;
	double secs;

	assert_non_null(devs);
	open_ok(f);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(provision(f->st, n, "bulk", "test", devs), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("provisioned %zu devices in %.2f s\n", n, secs);
	assert_true(secs < 30.0);	/* the goal is 10 s; slack for ASan */
	assert_int_equal(sql_int(f->db, "SELECT count(DISTINCT id) FROM "
	    "devices"), (long long)n);
	free(devs);
}

/* ---- status and the change feed ---- */

struct seen {
	int	n;
	char	ids[8][REG_ID_MAX];
};

static void
on_change(void *arg, const char *id)
{
	struct seen *s = arg;

	if (s->n < 8)
		snprintf(s->ids[s->n], REG_ID_MAX, "%s", id);
	s->n++;
}

static void
test_revoke_and_changes(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[3];
	uint8_t hash[REG_HASH_LEN];
	char id[REG_ID_MAX];
	struct seen seen = { 0 };
	int64_t cursor = 0;

	open_ok(f);
	/* a reader that starts before any change must not skip the first */
	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 0);
	assert_true(cursor > 0);
	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 0);

	assert_int_equal(provision(f->st, 3, "d", "test", devs), 0);
	assert_int_equal(reg_set_status(f->st, devs[1].id, REG_REVOKED,
	    "cli:alice"), 0);
	reg_credential_hash(f->st, devs[1].credential,
	    strlen(devs[1].credential), hash);
	/* a revoked credential misses as an unknown one does (#12): the
	 * lookup's index holds active devices only, and is what it reads */
	assert_int_equal(reg_lookup(f->st, hash, id), REG_NOT_FOUND);
	if (!is_pg(f->db)) {
		assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices "
		    "INDEXED BY devices_active_cred WHERE status = 'active' "
		    "AND cred_hash IS NOT NULL"), 2);
		lookup_plan_is_covering(f->db);
	} else {
		assert_int_equal(sql_int(f->db, "SELECT count(*) FROM "
		    "pg_indexes WHERE indexname = 'devices_active_cred' AND "
		    "indexdef LIKE '%WHERE%active%'"), 1);
	}

	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 1);
	assert_string_equal(seen.ids[0], devs[1].id);
	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 0);

	/* revoking twice records nothing new */
	assert_int_equal(reg_set_status(f->st, devs[1].id, REG_REVOKED,
	    "cli:alice"), 0);
	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 0);

	assert_int_equal(reg_set_status(f->st, devs[1].id, REG_ACTIVE,
	    "cli:bob"), 0);
	assert_int_equal(reg_lookup(f->st, hash, id), 0);
	assert_string_equal(id, devs[1].id);
	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 1);
	assert_int_equal(seen.n, 2);

	/* a second handle starting now sees only later changes */
	{
		struct reg_store *st2;
		int64_t c2 = 0;

		assert_int_equal(reg_open(&st2, f->db, key_of(f), f->err), 0);
		assert_int_equal(reg_changes(st2, &c2, on_change, &seen), 0);
		assert_int_equal(c2, cursor);
		assert_int_equal(reg_set_status(st2, devs[0].id, REG_REVOKED,
		    "cli:carol"), 0);
		reg_close(st2);
	}
	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 1);
	assert_string_equal(seen.ids[2], devs[0].id);

	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit WHERE "
	    "action = 'revoke'"), 2);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit WHERE "
	    "action = 'restore' AND actor = 'cli:bob'"), 1);
}

static void
test_unknown_id(void **state)
{
	struct fixture *f = *state;
	struct reg_device dev;

	open_ok(f);
	assert_int_equal(reg_set_status(f->st, "0000-0000-0", REG_REVOKED,
	    "t"), REG_NOT_FOUND);
	assert_non_null(strstr(reg_error(f->st), "no device"));
	assert_int_equal(reg_device_get(f->st, "0000-0000-0", &dev),
	    REG_NOT_FOUND);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit"), 0);
}

/* ---- schemes, rotation, renaming, forgetting, listing ---- */

/* A database made by a tether that knew only migration 1 reaches the
 * current schema at open, and its devices keep working. */
static void
test_migration_from_v1(void **state)
{
	struct fixture *f = *state;
	struct reg_device dev;

	sql_exec(f->db, reg_sqlite_schema.migrations[0].sql);
	sql_exec(f->db, "CREATE TABLE schema_migrations (version INTEGER "
	    "PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);"
	    "INSERT INTO schema_migrations VALUES (1, 'v1', 0);"
	    "INSERT INTO devices (id, label, cred_hash, created_at) VALUES "
	    "('0000-0000-0', 'old', zeroblob(32), 1700000000000)");
	/* a message stored before duplicates were checked in memory */
	sql_exec(f->db, "INSERT INTO messages (device_id, seq, received_at, "
	    "body) VALUES ('0000-0000-0', 7, 1700000000000, x'00')");
	open_ok(f);
	assert_int_equal(sql_int(f->db, "SELECT max(version) FROM "
	    "schema_migrations"), reg_schema_latest());
	{
		struct reg_message m[] = {
			{ .device_id = "0000-0000-0", .seq = 7, .body = "7",
			  .len = 1 },
			{ .device_id = "0000-0000-0", .seq = 8, .body = "8",
			  .len = 1 },
		};

		assert_int_equal(reg_store_messages(f->st, m, 2), 0);
		assert_int_equal(m[0].duplicate, 1);
		assert_int_equal(m[1].duplicate, 0);
	}
	assert_int_equal(reg_device_get(f->st, "0000-0000-0", &dev), 0);
	assert_string_equal(dev.label, "old");
	assert_string_equal(dev.mac, "");
	assert_int_equal(dev.scheme, TETHER_SCHEME_PLAIN);
	/* a device from before rotation existed: issued when created */
	assert_int_equal(dev.credential_at, 1700000000000LL);
}

static const uint8_t test_macs[3][TETHER_MAC_LEN] = {
	{ 0x24, 0x0a, 0xc4, 0x00, 0x00, 0x01 },
	{ 0x24, 0x0a, 0xc4, 0x00, 0x00, 0x02 },
	{ 0x24, 0x0a, 0xc4, 0x00, 0x00, 0x03 },
};

static int
provision_scheme(struct fixture *f, enum tether_scheme scheme,
    const uint8_t (*macs)[TETHER_MAC_LEN], size_t n,
    struct reg_new_device *out)
{
	struct reg_batch b = {
		.scheme = scheme, .count = n, .macs = macs,
		.label_prefix = "s", .actor = "test",
	};

	return reg_provision_batch(f->st, &b, out);
}

static int
lookup_text(struct fixture *f, const char *text, char id[REG_ID_MAX])
{
	uint8_t hash[REG_HASH_LEN];

	reg_credential_hash(f->st, text, strlen(text), hash);
	return reg_lookup(f->st, hash, id);
}

static void
test_provision_schemes(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[3];
	/* every scheme: the device's derivation from secret and MAC must
	 * give the credential the registry computed at provisioning */
	enum tether_scheme schemes[] = { TETHER_SCHEME_INTERLEAVE,
	    TETHER_SCHEME_HMAC, TETHER_SCHEME_PLAIN };
	static const char *const prefixes[] = { "tti1_", "ttk1_", "tth1_" };
	char id[REG_ID_MAX], cred[TETHER_CREDENTIAL_MAX];
	struct reg_device dev;

	open_ok(f);
	for (size_t k = 0; k < 3; k++) {
		const char *prefix = prefixes[k];

		assert_int_equal(provision_scheme(f, schemes[k], test_macs, 3,
		    devs), 0);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(devs[i].scheme, schemes[k]);
			assert_true(devs[i].has_mac);
			assert_memory_equal(devs[i].mac, test_macs[i], 6);
			assert_memory_equal(devs[i].secret, prefix, 5);
			/* the device's own derivation gives the same text */
			assert_true(tether_credential_derive(schemes[k],
			    devs[i].secret, strlen(devs[i].secret),
			    test_macs[i], cred) > 0);
			assert_string_equal(cred, devs[i].credential);
			assert_int_equal(lookup_text(f, devs[i].credential,
			    id), 0);
			assert_string_equal(id, devs[i].id);
			/* the flashed secret alone is no credential, but
			 * in the plain scheme, where it is the credential */
			assert_int_equal(lookup_text(f, devs[i].secret, id),
			    schemes[k] == TETHER_SCHEME_PLAIN ? 0 : REG_NOT_FOUND);
			assert_int_equal(reg_device_get(f->st, devs[i].id,
			    &dev), 0);
			assert_int_equal(dev.scheme, schemes[k]);
		}
		assert_int_equal(reg_device_get(f->st, devs[2].id, &dev), 0);
		assert_string_equal(dev.mac, "24:0a:c4:00:00:03");
		/* the MACs are taken now: free them for the next scheme */
		for (int i = 0; i < 3; i++)
			assert_int_equal(reg_forget(f->st, devs[i].id, 0,
			    "test", NULL), 0);
	}
	/* interleave and hmac without MACs: refused, nothing registered */
	assert_int_equal(provision_scheme(f, TETHER_SCHEME_HMAC, NULL, 2,
	    devs), -1);
	assert_non_null(strstr(reg_error(f->st), "MAC address"));
	/* plain with MACs keeps them, for the record */
	assert_int_equal(provision_scheme(f, TETHER_SCHEME_PLAIN, test_macs,
	    1, devs), 0);
	assert_string_equal(devs[0].secret, devs[0].credential);
	assert_int_equal(reg_device_get(f->st, devs[0].id, &dev), 0);
	assert_string_equal(dev.mac, "24:0a:c4:00:00:01");
}

static void
test_mac_taken(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[3], first[1];
	uint8_t twice[2][TETHER_MAC_LEN];

	open_ok(f);
	assert_int_equal(provision_scheme(f, TETHER_SCHEME_HMAC, test_macs + 1,
	    1, first), 0);
	/* a batch with a MAC that is registered: all refused */
	assert_int_equal(provision_scheme(f, TETHER_SCHEME_HMAC, test_macs, 3,
	    devs), -1);
	assert_non_null(strstr(reg_error(f->st), "24:0a:c4:00:00:02 already "
	    "belongs to device"));
	assert_non_null(strstr(reg_error(f->st), first[0].id));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices"), 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(devs[i].secret[0], '\0');
	/* the same MAC twice in one batch */
	memcpy(twice[0], test_macs[0], 6);
	memcpy(twice[1], test_macs[0], 6);
	assert_int_equal(provision_scheme(f, TETHER_SCHEME_HMAC,
	    (const uint8_t (*)[TETHER_MAC_LEN])twice, 2, devs), -1);
	assert_non_null(strstr(reg_error(f->st), "already belongs"));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices"), 1);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit"), 1);
}

static int
cancel(void *arg, const struct reg_new_device *devs, size_t count)
{
	return -1;
}

static void
test_rotate(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[2], nd;
	struct reg_device dev;
	char id[REG_ID_MAX], cred[TETHER_CREDENTIAL_MAX];
	int64_t cursor = 0;
	struct seen seen = { 0 };

	open_ok(f);
	assert_int_equal(provision_scheme(f, TETHER_SCHEME_HMAC, test_macs, 2,
	    devs), 0);
	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 0);

	/* cancelled before the commit: the old credential still works */
	assert_int_equal(reg_rotate(f->st, devs[0].id, "cli:alice", &nd,
	    cancel, NULL), -1);
	assert_non_null(strstr(reg_error(f->st), "cancelled"));
	assert_int_equal(nd.secret[0], '\0');
	assert_int_equal(lookup_text(f, devs[0].credential, id), 0);

	assert_int_equal(reg_rotate(f->st, devs[0].id, "cli:alice", &nd,
	    NULL, NULL), 0);
	assert_string_equal(nd.id, devs[0].id);
	assert_string_equal(nd.label, devs[0].label);
	assert_int_equal(nd.scheme, TETHER_SCHEME_HMAC);
	assert_memory_equal(nd.mac, test_macs[0], 6);
	assert_string_not_equal(nd.secret, devs[0].secret);
	assert_true(tether_credential_derive(nd.scheme, nd.secret,
	    strlen(nd.secret), nd.mac, cred) > 0);
	assert_string_equal(cred, nd.credential);
	/* old refused, new accepted, the other device untouched */
	assert_int_equal(lookup_text(f, devs[0].credential, id), REG_NOT_FOUND);
	assert_int_equal(lookup_text(f, nd.credential, id), 0);
	assert_string_equal(id, devs[0].id);
	assert_int_equal(lookup_text(f, devs[1].credential, id), 0);
	/* gateways hear of it through the change feed */
	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 1);
	assert_string_equal(seen.ids[0], devs[0].id);
	assert_int_equal(reg_device_get(f->st, devs[0].id, &dev), 0);
	assert_true(dev.credential_at >= dev.created_at);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit WHERE "
	    "action = 'rotate' AND actor = 'cli:alice'"), 1);
	assert_int_equal(reg_rotate(f->st, "0000-0000-0", "t", &nd, NULL,
	    NULL), REG_NOT_FOUND);
	assert_non_null(strstr(reg_error(f->st), "no device"));
}

static void
test_rename(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[1];
	struct reg_device dev;
	char long_label[REG_LABEL_MAX + 1];

	open_ok(f);
	assert_int_equal(provision(f->st, 1, "kitchen", "t", devs), 0);
	assert_int_equal(reg_rename(f->st, devs[0].id, "hall \"2\"", "cli:bo"),
	    0);
	assert_int_equal(reg_device_get(f->st, devs[0].id, &dev), 0);
	assert_string_equal(dev.label, "hall \"2\"");
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit WHERE "
	    "action = 'rename' AND actor = 'cli:bo' AND detail = "
	    "'label ''kitchen-1'' -> ''hall \"2\"'''"), 1);
	/* the same label again records nothing */
	assert_int_equal(reg_rename(f->st, devs[0].id, "hall \"2\"", "x"), 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit WHERE "
	    "action = 'rename'"), 1);
	assert_int_equal(reg_rename(f->st, devs[0].id, "", "x"), 0);
	assert_int_equal(reg_device_get(f->st, devs[0].id, &dev), 0);
	assert_string_equal(dev.label, "");
	assert_int_equal(reg_rename(f->st, devs[0].id, "a\tb", "x"), -1);
	assert_non_null(strstr(reg_error(f->st), "control character"));
	memset(long_label, 'a', REG_LABEL_MAX);
	long_label[REG_LABEL_MAX] = '\0';
	assert_int_equal(reg_rename(f->st, devs[0].id, long_label, "x"), -1);
	assert_non_null(strstr(reg_error(f->st), "at most 127"));
	assert_int_equal(reg_rename(f->st, "0000-0000-0", "x", "x"),
	    REG_NOT_FOUND);
}

static void
test_forget(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[2], again[1];
	struct reg_device dev;
	char id[REG_ID_MAX];
	long long deleted = -1;
	int64_t cursor = 0;
	struct seen seen = { 0 };
	struct reg_message m[2] = {
		{ .seq = 1, .body = "a", .len = 1 },
		{ .seq = 2, .body = "b", .len = 1 },
	};

	open_ok(f);
	assert_int_equal(provision_scheme(f, TETHER_SCHEME_INTERLEAVE,
	    test_macs, 2, devs), 0);
	m[0].device_id = devs[0].id;
	m[1].device_id = devs[1].id;
	assert_int_equal(reg_store_messages(f->st, m, 2), 0);
	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 0);

	/* kept by default */
	assert_int_equal(reg_forget(f->st, devs[0].id, 0, "cli:al", &deleted),
	    0);
	assert_int_equal(deleted, 0);
	assert_int_equal(reg_device_get(f->st, devs[0].id, &dev),
	    REG_NOT_FOUND);
	assert_int_equal(lookup_text(f, devs[0].credential, id), REG_NOT_FOUND);
	assert_int_equal(reg_count_messages(f->st, devs[0].id), 1);
	assert_int_equal(reg_changes(f->st, &cursor, on_change, &seen), 1);
	assert_string_equal(seen.ids[0], devs[0].id);
	/* deleted when asked */
	assert_int_equal(reg_forget(f->st, devs[1].id, 1, "cli:al", &deleted),
	    0);
	assert_int_equal(deleted, 1);
	assert_int_equal(reg_count_messages(f->st, devs[1].id), 0);
	/* the trail stays, with a row that says what went */
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit WHERE "
	    "action = 'forget' AND detail LIKE '%24:0a:c4:00:00:01%kept'"), 1);
	assert_int_equal(reg_forget(f->st, devs[0].id, 0, "x", NULL),
	    REG_NOT_FOUND);
	/* the MAC is free again */
	assert_int_equal(provision_scheme(f, TETHER_SCHEME_HMAC, test_macs, 1,
	    again), 0);
}

struct collected {
	int	n;
	char	ids[16][REG_ID_MAX];
};

static int
collect(void *arg, const struct reg_device *dev)
{
	struct collected *c = arg;

	if (c->n < 16)
		snprintf(c->ids[c->n], REG_ID_MAX, "%s", dev->id);
	c->n++;
	return 0;
}

static int
stop_after_one(void *arg, const struct reg_device *dev)
{
	return 1;
}

static void
test_list_filters(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device a[3], b[2];
	struct collected c = { 0 };
	struct reg_filter flt = { 0 };
	struct reg_message m = { .seq = -1, .body = "x", .len = 1 };
	int64_t now = time(NULL) * 1000LL;

	open_ok(f);
	assert_int_equal(provision(f->st, 3, "kitchen", "t", a), 0);
	assert_int_equal(provision(f->st, 2, "hall", "t", b), 0);
	assert_int_equal(reg_list(f->st, NULL, collect, &c), 5);
	/* in the order provisioned */
	assert_string_equal(c.ids[0], a[0].id);
	assert_string_equal(c.ids[4], b[1].id);

	flt.label_glob = "kitchen-*";
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_list(f->st, &flt, collect, &c), 3);
	flt.label_glob = "Kitchen-*";	/* GLOB is case-sensitive */
	assert_int_equal(reg_list(f->st, &flt, collect, &c), 0);
	flt.label_glob = "*-[12]";
	assert_int_equal(reg_list(f->st, &flt, collect, &c), 4);

	assert_int_equal(reg_set_status(f->st, a[1].id, REG_REVOKED, "t"), 0);
	memset(&flt, 0, sizeof(flt));
	flt.status = REG_REVOKED;
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_list(f->st, &flt, collect, &c), 1);
	assert_string_equal(c.ids[0], a[1].id);
	flt.status = REG_ACTIVE;
	assert_int_equal(reg_list(f->st, &flt, collect, &c), 4);

	m.device_id = b[0].id;
	assert_int_equal(reg_store_messages(f->st, &m, 1), 0);
	memset(&flt, 0, sizeof(flt));
	flt.seen_since = now - 60000;
	memset(&c, 0, sizeof(c));
	assert_int_equal(reg_list(f->st, &flt, collect, &c), 1);
	assert_string_equal(c.ids[0], b[0].id);
	memset(&flt, 0, sizeof(flt));
	flt.not_seen_since = now - 60000;	/* never seen counts */
	assert_int_equal(reg_list(f->st, &flt, collect, &c), 4);
	flt.not_seen_since = now + 60000;
	assert_int_equal(reg_list(f->st, &flt, collect, &c), 5);
	assert_int_equal(reg_list(f->st, NULL, stop_after_one, NULL), 1);
}

struct rows {
	int	n;
	char	action[8][REG_ACTION_MAX];
};

static void
add_row(void *arg, const struct reg_audit *a)
{
	struct rows *r = arg;

	if (r->n < 8)
		snprintf(r->action[r->n], REG_ACTION_MAX, "%s", a->action);
	r->n++;
}

static void
test_audit_list(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[2];
	struct rows r = { 0 };

	open_ok(f);
	assert_int_equal(provision(f->st, 2, "k", "cli:al", devs), 0);
	assert_int_equal(reg_set_status(f->st, devs[0].id, REG_REVOKED, "a"),
	    0);
	assert_int_equal(reg_rename(f->st, devs[0].id, "x", "a"), 0);
	assert_int_equal(reg_set_status(f->st, devs[1].id, REG_REVOKED, "a"),
	    0);
	/* its own rows and its batch's, newest first */
	assert_int_equal(reg_audit_list(f->st, devs[0].id, 10, add_row, &r),
	    3);
	assert_string_equal(r.action[0], "rename");
	assert_string_equal(r.action[1], "revoke");
	assert_string_equal(r.action[2], "provision");
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_list(f->st, devs[0].id, 1, add_row, &r), 1);
	/* a forgotten device keeps its trail */
	assert_int_equal(reg_forget(f->st, devs[0].id, 0, "a", NULL), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_list(f->st, devs[0].id, 10, add_row, &r),
	    3);
	assert_string_equal(r.action[0], "forget");
}

static void
test_suggest(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[20];
	char out[3][REG_ID_MAX], typed[REG_ID_MAX];

	open_ok(f);
	assert_int_equal(provision(f->st, 20, "kitchen", "t", devs), 0);
	/* a mistyped character */
	snprintf(typed, sizeof(typed), "%s", devs[7].id);
	typed[2] = typed[2] == 'z' ? 'y' : 'z';
	assert_true(reg_suggest(f->st, typed, out, 3) >= 1);
	assert_string_equal(out[0], devs[7].id);
	/* a dropped character, upper case, no dashes */
	snprintf(typed, sizeof(typed), "%.4s%.4s", devs[3].id,
	    devs[3].id + 5);
	for (char *p = typed; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	assert_true(reg_suggest(f->st, typed, out, 3) >= 1);
	assert_string_equal(out[0], devs[3].id);
	/* a label where the id belongs */
	assert_int_equal(reg_suggest(f->st, "kitchen-12", out, 3), 1);
	assert_string_equal(out[0], devs[11].id);
	/* nothing near */
	assert_int_equal(reg_suggest(f->st, "nothing like it!", out, 3), 0);
}

static void
test_no_secret_stored_any_scheme(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[3], nd;
	char wal[160];
	const char *files[] = { f->db, wal, f->key };

	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	open_ok(f);
	assert_int_equal(provision_scheme(f, TETHER_SCHEME_HMAC, test_macs, 3,
	    devs), 0);
	assert_int_equal(reg_rotate(f->st, devs[0].id, "t", &nd, NULL, NULL),
	    0);
	for (int i = 0; i < 3; i++)
		for (size_t j = 0; j < 3; j++) {
			assert_false(contains(files[j], devs[i].secret + 5));
			assert_false(contains(files[j],
			    devs[i].credential + 5));
			assert_false(contains(files[j], nd.secret + 5));
			assert_false(contains(files[j], nd.credential + 5));
		}
	assert_true(contains(f->db, devs[0].id) || contains(wal, devs[0].id));
}

/* ---- messages ---- */

static void
test_store_messages(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[2];
	struct reg_device dev;
	const char *a, *b;

	open_ok(f);
	assert_int_equal(provision(f->st, 2, NULL, "t", devs), 0);
	a = devs[0].id;
	b = devs[1].id;
	{
		struct reg_message m[] = {
			{ .device_id = a, .seq = 1, .body = "one", .len = 3,
			  .peer = "127.0.0.1:5000" },
			{ .device_id = a, .seq = 2, .body = "two", .len = 3,
			  .peer = "127.0.0.1:5000" },
			{ .device_id = a, .seq = 1, .body = "one", .len = 3,
			  .peer = "127.0.0.1:5000" },
			{ .device_id = b, .seq = 1, .body = "b1", .len = 2,
			  .peer = "[::1]:6000" },
			{ .device_id = a, .seq = -1, .body = "x", .len = 1,
			  .peer = "127.0.0.1:5000" },
			{ .device_id = a, .seq = -1, .body = "x", .len = 1,
			  .peer = "127.0.0.1:5000" },
			{ .device_id = b, .seq = -1, .body = NULL, .len = 0,
			  .peer = "[::1]:6000" },
		};
		const int dup[] = { 0, 0, 1, 0, 0, 0, 0 };

		assert_int_equal(reg_store_messages(f->st, m, 7), 0);
		for (int i = 0; i < 7; i++)
			assert_int_equal(m[i].duplicate, dup[i]);
	}
	assert_int_equal(reg_count_messages(f->st, a), 4);
	assert_int_equal(reg_count_messages(f->st, b), 2);
	assert_int_equal(reg_count_messages(f->st, NULL), 6);
	{
		struct reg_message m[] = {
			{ .device_id = a, .seq = 2, .body = "two", .len = 3,
			  .peer = "127.0.0.1:5001" },
			{ .device_id = a, .seq = 3, .body = "three", .len = 5,
			  .peer = "127.0.0.1:5001" },
		};

		assert_int_equal(reg_store_messages(f->st, m, 2), 0);
		assert_int_equal(m[0].duplicate, 1);
		assert_int_equal(m[1].duplicate, 0);
	}
	assert_int_equal(reg_count_messages(f->st, a), 5);
	assert_int_equal(reg_count_messages(f->st, "zzzz-zzzz-z"), 0);
	assert_int_equal(reg_device_get(f->st, a, &dev), 0);
	assert_true(dev.last_seen_at > 0);
	assert_string_equal(dev.last_seen_addr, "127.0.0.1:5001");
	assert_int_equal(reg_device_get(f->st, b, &dev), 0);
	assert_string_equal(dev.last_seen_addr, "[::1]:6000");
	assert_int_equal(sql_int(f->db, "SELECT length(body) FROM messages "
	    "WHERE device_id = (SELECT id FROM devices WHERE "
	    "last_seen_addr = '[::1]:6000') AND seq IS NULL"), 0);
	assert_int_equal(reg_store_messages(f->st, NULL, 0), 0);
}

/* Stores one message; returns 1 when it was a duplicate. */
static int
store_one(struct reg_store *st, const char *dev, int64_t seq)
{
	struct reg_message m = { .device_id = dev, .seq = seq, .body = "m",
	    .len = 1, .peer = "127.0.0.1:1" };

	assert_int_equal(reg_store_messages(st, &m, 1), 0);
	return m.duplicate;
}

/*
 * The duplicate check lives in memory beside the table (sqlite.c,
 * "Duplicates"): it must hold across a restart (snapshot or not), across
 * two handles writing the same database, and forget a device's seqs when
 * its messages are deleted.
 */
static void
test_store_duplicates_across_handles(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[1];
	struct reg_store *other;
	long long deleted;

	open_ok(f);
	assert_int_equal(provision(f->st, 1, NULL, "t", devs), 0);
	for (int64_t i = 1; i <= 5; i++)
		assert_false(store_one(f->st, "aaaa-aaaa-a", i));
	/* a second handle, as a second process, before any snapshot:
	 * it reads the seqs back from the messages */
	assert_int_equal(reg_open(&other, f->db, key_of(f), f->err), 0);
	assert_true(store_one(other, "aaaa-aaaa-a", 3));
	assert_false(store_one(other, "aaaa-aaaa-a", 9));
	/* and the first handle sees what the second stored */
	assert_true(store_one(f->st, "aaaa-aaaa-a", 9));
	assert_false(store_one(f->st, "aaaa-aaaa-a", 6));
	reg_close(other);
	/* closing saved a snapshot; a reopened handle uses it */
	reopen(f);
	assert_true(sql_int(f->db, "SELECT count(*) FROM message_seqs") >= 1);
	for (int64_t i = 1; i <= 6; i++)
		assert_true(store_one(f->st, "aaaa-aaaa-a", i));
	assert_true(store_one(f->st, "aaaa-aaaa-a", 9));
	assert_false(store_one(f->st, "aaaa-aaaa-a", 7));
	/* a snapshot that lags (messages written after it) is caught up */
	sql_exec(f->db, "INSERT INTO messages (device_id, seq, received_at, "
	    "body) VALUES ('aaaa-aaaa-a', 100, 0, x'00')");
	assert_true(store_one(f->st, "aaaa-aaaa-a", 100));

	/* forgetting a device with its messages forgets its seqs too */
	assert_false(store_one(f->st, devs[0].id, 1));
	assert_true(store_one(f->st, devs[0].id, 1));
	assert_int_equal(reg_forget(f->st, devs[0].id, 1, "test", &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_false(store_one(f->st, devs[0].id, 1));
	assert_int_equal(reg_count_messages(f->st, devs[0].id), 1);
	assert_int_equal(reg_count_messages(f->st, "aaaa-aaaa-a"), 9);
}

/*
 * A handle that closes with a stale view must not save it over a newer
 * snapshot: it reads back first (sqlite.c, sq_close). Here B's view lacks
 * d/7, which A stored and saved; A then saves again with a later upto
 * but without d (unchanged for A), so B's stale row would hide d/7.
 */
static void
test_store_duplicates_stale_close(void **state)
{
	struct fixture *f = *state;
	struct reg_store *b;

	open_ok(f);
	assert_false(store_one(f->st, "dddd-dddd-d", 5));
	assert_int_equal(reg_open(&b, f->db, key_of(f), f->err), 0);
	assert_false(store_one(b, "xxxx-xxxx-x", 1));
	assert_false(store_one(f->st, "dddd-dddd-d", 7));
	assert_int_equal(reg_store_prepare(f->st), 0);	/* saves */
	reg_close(b);
	assert_false(store_one(f->st, "yyyy-yyyy-y", 1));
	assert_int_equal(reg_store_prepare(f->st), 0);	/* saves, later upto */
	reopen(f);
	assert_true(store_one(f->st, "dddd-dddd-d", 7));
	assert_true(store_one(f->st, "dddd-dddd-d", 5));
	assert_true(store_one(f->st, "xxxx-xxxx-x", 1));
	/* the newest messages deleted behind the handle's back (not by
	 * forget, so no epoch): it notices max(id) fell and reloads */
	sql_exec(f->db, "DELETE FROM messages WHERE device_id = 'yyyy-yyyy-y'");
	assert_false(store_one(f->st, "zzzz-zzzz-z", 1));
	assert_true(store_one(f->st, "zzzz-zzzz-z", 1));
	assert_int_equal(reg_count_messages(f->st, NULL), 4);
}

static void
test_store_failure_stores_nothing(void **state)
{
	struct fixture *f = *state;
	struct reg_message m[] = {
		{ .device_id = "aaaa-aaaa-a", .seq = 1, .body = "1", .len = 1 },
		{ .device_id = "aaaa-aaaa-a", .seq = 2, .body = "2", .len = 1 },
		{ .device_id = "aaaa-aaaa-a", .seq = 1, .body = "1", .len = 1 },
	};

	open_ok(f);
	sql_exec(f->db, "CREATE TRIGGER full AFTER INSERT ON messages "
	    "WHEN new.seq = 2 BEGIN SELECT RAISE(ABORT, 'injected'); END");
	reopen(f);
	assert_int_equal(reg_store_messages(f->st, m, 3), -1);
	assert_non_null(strstr(reg_error(f->st),
	    "cannot store the messages"));
	assert_int_equal(reg_count_messages(f->st, NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(m[i].duplicate, 0);
	/* the failed batch's seqs were not remembered: a retry stores */
	sql_exec(f->db, "DROP TRIGGER full");
	assert_int_equal(reg_store_messages(f->st, m, 3), 0);
	assert_int_equal(m[0].duplicate, 0);
	assert_int_equal(m[1].duplicate, 0);
	assert_int_equal(m[2].duplicate, 1);
	assert_int_equal(reg_count_messages(f->st, NULL), 2);
}

static void
test_store_locked(void **state)
{
	struct fixture *f = *state;
	struct reg_message m = { .device_id = "aaaa-aaaa-a", .seq = 1,
	    .body = "1", .len = 1 };
	sqlite3 *h;

	open_ok(f);
	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(reg_store_messages(f->st, &m, 1), -1);
	assert_non_null(strstr(reg_error(f->st), "database is locked"));
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(h);
	assert_int_equal(reg_store_messages(f->st, &m, 1), 0);
	assert_int_equal(reg_count_messages(f->st, NULL), 1);
}

/* ---- device ids ---- */

static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

static void
count_app(void *arg, const struct reg_app *app)
{
	struct reg_app *last = arg;

	*last = *app;
}

/*
 * Applications: the token is shown once, in the credential text form
 * with its own prefix; only a keyed hash in the application domain is
 * stored, so a device credential is no token and a token no credential.
 */
static void
test_apps(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device dev;
	struct reg_app app, last;
	uint8_t hash[REG_HASH_LEN], dhash[REG_HASH_LEN];
	char token[REG_APP_TOKEN_LEN + 1], other[REG_APP_TOKEN_LEN + 1];
	char copy[REG_APP_TOKEN_LEN + 1], id[REG_ID_MAX];
	unsigned scopes;
	char why[REG_ERR_LEN];

	open_ok(f);
	assert_int_equal(provision(f->st, 1, NULL, "test", &dev), 0);
	assert_int_equal(reg_app_add(f->st, "dash", REG_SCOPE_READ, "test",
	    token), 0);
	assert_int_equal(strlen(token), REG_APP_TOKEN_LEN);
	assert_memory_equal(token, "tta1_", 5);
	/* the same text form: with the device prefix it parses */
	memcpy(copy, token, sizeof(copy));
	memcpy(copy, TETHER_CREDENTIAL_PREFIX, 5);
	assert_true(tether_credential_parse(copy, strlen(copy), NULL));

	reg_app_token_hash(f->st, token, strlen(token), hash);
	assert_int_equal(reg_app_lookup(f->st, hash, &app), 0);
	assert_string_equal(app.name, "dash");
	assert_int_equal(app.scopes, REG_SCOPE_READ);
	assert_int_equal(app.revoked_at, 0);
	/* the domains never meet */
	reg_credential_hash(f->st, token, strlen(token), dhash);
	assert_memory_not_equal(hash, dhash, REG_HASH_LEN);
	assert_int_equal(reg_lookup(f->st, hash, id), REG_NOT_FOUND);
	assert_int_equal(reg_app_lookup(f->st, dhash, &app), REG_NOT_FOUND);
	reg_credential_hash(f->st, dev.credential, strlen(dev.credential),
	    dhash);
	assert_int_equal(reg_app_lookup(f->st, dhash, &app), REG_NOT_FOUND);
	reg_app_token_hash(f->st, dev.credential, strlen(dev.credential),
	    dhash);
	assert_int_equal(reg_lookup(f->st, dhash, id), REG_NOT_FOUND);

	/* a taken name, a bad name */
	assert_int_equal(reg_app_add(f->st, "dash", REG_SCOPE_READ, "test",
	    other), -1);
	assert_non_null(strstr(reg_error(f->st), "exists"));
	assert_int_equal(other[0], '\0');
	assert_int_equal(reg_app_add(f->st, "Dash Board", REG_SCOPE_READ,
	    "test", other), -1);
	assert_int_equal(reg_app_add(f->st, "ops", REG_SCOPE_READ |
	    REG_SCOPE_COMMAND, "test", other), 0);
	assert_string_not_equal(token, other);
	assert_int_equal(reg_app_list(f->st, count_app, &last), 2);
	assert_string_equal(last.name, "ops");
	assert_int_equal(last.scopes, REG_SCOPE_READ | REG_SCOPE_COMMAND);

	/* revoked: still found (the caller refuses it), once only */
	assert_int_equal(reg_app_revoke(f->st, "dash", "test"), 0);
	assert_int_equal(reg_app_lookup(f->st, hash, &app), 0);
	assert_true(app.revoked_at > 0);
	assert_int_equal(reg_app_revoke(f->st, "dash", "test"), REG_NOT_FOUND);
	assert_int_equal(reg_app_revoke(f->st, "nobody", "test"),
	    REG_NOT_FOUND);

	assert_int_equal(reg_scopes_parse("read,command", &scopes, why), 0);
	assert_int_equal(scopes, REG_SCOPE_READ | REG_SCOPE_COMMAND);
	assert_int_equal(reg_scopes_parse("write", &scopes, why), -1);
	assert_int_equal(reg_scopes_parse("", &scopes, why), -1);
}

struct got {
	int64_t		 ids[16];
	char		 devs[16][REG_ID_MAX];
	size_t		 n;
};

static void
got_row(void *arg, const struct reg_read_row *row)
{
	struct got *g = arg;

	if (g->n < 16) {
		g->ids[g->n] = row->id;
		snprintf(g->devs[g->n], REG_ID_MAX, "%s", row->device_id);
		g->n++;
	}
}

/* Reading: oldest first, a limit, a device, and a cursor that resumes
 * through its text exactly after the last message given. */
static void
test_read_messages(void **state)
{
	struct fixture *f = *state;
	struct reg_cursor c = { 0, 0 }, back;
	struct reg_read q = { .limit = 3 };
	struct reg_message m[5];
	struct got g = { .n = 0 };
	char text[REG_CURSOR_TEXT];

	open_ok(f);
	for (int i = 0; i < 5; i++)
		m[i] = (struct reg_message){ .device_id = i % 2 ? "bbbb-bbbb-b" :
		    "aaaa-aaaa-a", .seq = i, .body = "{}", .len = 2,
		    .peer = "127.0.0.1:1" };
	assert_int_equal(reg_store_messages(f->st, m, 5), 0);
	assert_int_equal(reg_read_messages(f->st, &q, &c, got_row, &g), 3);
	assert_true(g.ids[0] < g.ids[1] && g.ids[1] < g.ids[2]);
	reg_cursor_format(&c, text);
	assert_int_equal(strlen(text), 24);
	assert_int_equal(reg_cursor_parse(text, &back), 0);
	assert_int_equal(back.id, c.id);
	assert_true(back.pos == c.pos);
	q.limit = 10;
	assert_int_equal(reg_read_messages(f->st, &q, &back, got_row, &g), 2);
	assert_true(g.ids[2] < g.ids[3] && g.ids[3] < g.ids[4]);
	assert_int_equal(reg_read_messages(f->st, &q, &back, got_row, &g), 0);
	/* one device, from the start */
	g.n = 0;
	memset(&c, 0, sizeof(c));
	q.device_id = "bbbb-bbbb-b";
	assert_int_equal(reg_read_messages(f->st, &q, &c, got_row, &g), 2);
	assert_string_equal(g.devs[0], "bbbb-bbbb-b");
	assert_string_equal(g.devs[1], "bbbb-bbbb-b");
	/* texts that are no cursor; "" is the start */
	assert_int_equal(reg_cursor_parse("", &c), 0);
	assert_int_equal(c.id, 0);
	assert_int_equal(reg_cursor_parse("bogus", &c), -1);
	text[1] = 'g';	/* version 2 */
	assert_int_equal(reg_cursor_parse(text, &c), -1);
	assert_int_equal(reg_cursor_parse("AQAAAAAAAAAAAAAAAAAAAAE=", &c), -1);
	q.limit = 0;
	assert_int_equal(reg_read_messages(f->st, &q, &c, got_row, &g), -1);
}

/* ---- reading one device's messages through its blocks (SQLite) ---- */

#define BLK	REG_BLOCK_IDS

/* Every id reg_read_messages gives q's reader from the start, read
 * limit at a time through the cursor; the count. */
static size_t
read_ids(struct reg_store *st, const char *device, size_t limit, int events,
    int64_t *ids, size_t max)
{
	struct reg_read q = { .device_id = device, .limit = limit,
	    .events = events };
	struct reg_cursor c = { 0, 0 };
	struct got g;
	size_t n = 0;
	long long r;

	do {
		g.n = 0;
		r = reg_read_messages(st, &q, &c, got_row, &g);
		assert_true(r >= 0 && (size_t)r <= limit);
		for (size_t i = 0; i < g.n; i++) {
			assert_string_equal(g.devs[i], device);
			assert_true(n < max);
			ids[n++] = g.ids[i];
		}
	} while (r > 0);
	return n;
}

/* What a scan of the whole table gives: the ids read_ids must give. */
static size_t
scan_ids(const char *db, const char *device, int events, int64_t *ids,
    size_t max)
{
	char sql[256];
	sqlite3 *h;
	sqlite3_stmt *s;
	size_t n = 0;

	snprintf(sql, sizeof(sql), "SELECT id FROM messages WHERE "
	    "device_id = '%s'%s ORDER BY id", device,
	    events ? "" : " AND kind = 0");
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && n < max)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

/* Each device's reads, at every limit from 1 to 4, give exactly what a
 * scan gives: none skipped, none twice, in order. */
static void
reads_match_scan(struct fixture *f, const char *const *devs, size_t ndevs)
{
	int64_t want[64], got[64];

	for (size_t d = 0; d < ndevs; d++)
		for (int events = 0; events < 2; events++) {
			size_t n = scan_ids(f->db, devs[d], events, want, 64);

			for (size_t limit = 1; limit <= 4; limit++) {
				assert_int_equal(read_ids(f->st, devs[d],
				    limit, events, got, 64), n);
				assert_memory_equal(got, want,
				    n * sizeof(*got));
			}
		}
}

/* Stores one message of each device named in the string, a letter each
 * ('a': "aaaa-aaaa-a"), in one batch. */
static void
store_letters(struct fixture *f, const char *letters)
{
	static char ids[8][REG_ID_MAX];
	struct reg_message m[8];
	size_t n = strlen(letters);

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		snprintf(ids[i], REG_ID_MAX, "%c%c%c%c-%c%c%c%c-%c",
		    letters[i], letters[i], letters[i], letters[i], letters[i],
		    letters[i], letters[i], letters[i], letters[i]);
		m[i] = (struct reg_message){ .device_id = ids[i], .seq = -1,
		    .body = "{}", .len = 2, .peer = "127.0.0.1:1" };
	}
	assert_int_equal(reg_store_messages(f->st, m, n), 0);
}

/* Moves the next id to the start of block b: a message of a device no
 * test reads, stored behind the store's back, as another process would
 * (the store reads it back at its next batch). */
static void
skip_to_block(struct fixture *f, int64_t b)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "INSERT INTO messages (id, device_id, "
	    "received_at, body) VALUES (%lld, 'zzzz-zzzz-z', 1, x'00')",
	    (long long)(b * BLK - 1));
	sql_exec(f->db, sql);
}

static long long
blocks_of(struct fixture *f, const char *device)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM message_blocks "
	    "WHERE device_id = '%s'", device);
	return sql_int(f->db, sql);
}

/* SQLite's plan for a device's read: its blocks by the key's prefix,
 * each a rowid range, in order with no sort (a sort would read every
 * block before the limit). */
static void
read_device_plan_is_blocks(const char *db)
{
	char sql[1024];
	sqlite3 *h;
	sqlite3_stmt *s;
	int blocks = 0, range = 0, sort = 0;

	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
	    reg_sqlite_backend.read_device_sql);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 3);

		blocks |= strstr(d, "SEARCH b USING PRIMARY KEY "
		    "(device_id=? AND block>?)") != NULL;
		range |= strstr(d, "SEARCH m USING INTEGER PRIMARY KEY "
		    "(rowid>? AND rowid<?)") != NULL;
		sort |= strstr(d, "TEMP B-TREE") != NULL;
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	assert_true(blocks);
	assert_true(range);
	assert_false(sort);
}

/* A device's messages spread over blocks 0, 2 and 7 with others between;
 * reads with small limits cross the blocks, also after a restart (the
 * blocks recorded in memory lost), after a forget behind the storing
 * handle's back, after pruning and with a block left empty. */
static void
test_read_device_blocks(void **state)
{
	static const char *const devs[] = { "aaaa-aaaa-a", "bbbb-bbbb-b",
	    "cccc-cccc-c" };
	struct fixture *f = *state;
	struct reg_store *other;
	struct reg_new_device p[1];
	struct reg_message ev;
	const char *pid;
	long long deleted;
	int64_t ids[64];

	open_ok(f);
	read_device_plan_is_blocks(f->db);
	assert_int_equal(reg_node_beat(f->st, "n1", 1, NULL), 0);
	store_letters(f, "abac");
	ev = (struct reg_message){ .device_id = "aaaa-aaaa-a", .seq = -1,
	    .kind = REG_KIND_CONNECTED, .node = "n1" };
	assert_int_equal(reg_store_messages(f->st, &ev, 1), 0);
	skip_to_block(f, 2);
	store_letters(f, "babab");
	skip_to_block(f, 5);
	store_letters(f, "ccb");
	skip_to_block(f, 7);
	store_letters(f, "abca");
	assert_int_equal(blocks_of(f, "aaaa-aaaa-a"), 3);	/* 0, 2, 7 */
	assert_int_equal(blocks_of(f, "cccc-cccc-c"), 3);	/* 0, 5, 7 */
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM message_blocks "
	    "WHERE block = 2 AND device_id = 'aaaa-aaaa-a'"), 1);
	reads_match_scan(f, devs, 3);
	assert_int_equal(read_ids(f->st, "aaaa-aaaa-a", 2, 0, ids, 64), 6);
	assert_int_equal(read_ids(f->st, "aaaa-aaaa-a", 2, 1, ids, 64), 7);
	assert_int_equal(read_ids(f->st, "dddd-dddd-d", 1, 1, ids, 64), 0);

	/* a restart: the next message of each device in block 7 writes its
	 * row again, which stays one */
	reopen(f);
	store_letters(f, "ab");
	assert_int_equal(blocks_of(f, "aaaa-aaaa-a"), 3);
	reads_match_scan(f, devs, 3);

	/* a forget through another handle deletes the device's blocks: the
	 * storing handle must not take its record of them for the row */
	assert_int_equal(provision(f->st, 1, "p", "t", p), 0);
	pid = p[0].id;
	ev = (struct reg_message){ .device_id = pid, .seq = 1, .body = "1",
	    .len = 1 };
	assert_int_equal(reg_store_messages(f->st, &ev, 1), 0);
	assert_int_equal(reg_open(&other, f->db, NULL, f->err), 0);
	assert_int_equal(reg_forget(other, pid, 1, "t", &deleted), 0);
	assert_int_equal(deleted, 1);
	reg_close(other);
	assert_int_equal(blocks_of(f, pid), 0);
	ev.seq = 2;
	assert_int_equal(reg_store_messages(f->st, &ev, 1), 0);
	assert_int_equal(read_ids(f->st, pid, 1, 0, ids, 64), 1);

	/* a block row whose messages another tool deleted is read through */
	sql_exec(f->db, "DELETE FROM messages WHERE id >= 2 * 65536 AND "
	    "id < 3 * 65536 AND device_id = 'aaaa-aaaa-a'");
	assert_int_equal(blocks_of(f, "aaaa-aaaa-a"), 3);
	reads_match_scan(f, devs, 3);

	/* pruning blocks 0 to 4 deletes their rows, not block 5's */
	sql_exec(f->db, "UPDATE messages SET received_at = 1 "
	    "WHERE id < 5 * 65536");
	assert_true(reg_prune(f->st, 2, 1000, NULL) > 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM message_blocks "
	    "WHERE block < 5"), 0);
	assert_int_equal(blocks_of(f, "cccc-cccc-c"), 2);
	assert_int_equal(blocks_of(f, "aaaa-aaaa-a"), 1);
	assert_int_equal(sql_int(f->db, "SELECT value FROM meta "
	    "WHERE name = 'message_blocks_floor'"), 5);
	reads_match_scan(f, devs, 3);
	store_letters(f, "a");
	reads_match_scan(f, devs, 3);

	/* the rows' delete is a scan: a prune that leaves the oldest block
	 * as it was skips it (a row planted below the floor stays), one
	 * that moves it runs it, also after a restart */
	sql_exec(f->db, "INSERT INTO message_blocks VALUES ('dddd-dddd-d', 1)");
	sql_exec(f->db, "UPDATE messages SET received_at = 1 "
	    "WHERE id = 5 * 65536");
	assert_int_equal(reg_prune(f->st, 2, 1000, NULL), 1);
	assert_int_equal(blocks_of(f, "dddd-dddd-d"), 1);
	reopen(f);
	sql_exec(f->db, "UPDATE messages SET received_at = 1 "
	    "WHERE id < 6 * 65536");
	assert_int_equal(reg_prune(f->st, 2, 1000, NULL), 2);
	assert_int_equal(blocks_of(f, "dddd-dddd-d"), 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM message_blocks "
	    "WHERE block < 7"), 0);
	assert_int_equal(sql_int(f->db, "SELECT value FROM meta "
	    "WHERE name = 'message_blocks_floor'"), 7);
	reads_match_scan(f, devs, 3);
}

/* A batch that fails after writing a device's row for a new block rolls
 * the row back: the storing handle must not keep it as recorded, or the
 * next message of the device in that block would spare its row and a
 * read would not find it. Twice: with the failed ids given again, and
 * with another process storing in between (max(id) then says nothing
 * was lost, so only dropping the state on the failure saves the row). */
static void
test_read_device_block_rollback(void **state)
{
	static const char *const devs[] = { "aaaa-aaaa-a" };
	struct fixture *f = *state;
	struct reg_message m[2];
	int64_t ids[8];
	char sql[160];

	open_ok(f);
	store_letters(f, "a");
	sql_exec(f->db, "CREATE TRIGGER refuse BEFORE INSERT ON messages "
	    "WHEN NEW.body = x'21' BEGIN SELECT RAISE(ABORT, 'refused'); END");
	for (int round = 0; round < 2; round++) {
		skip_to_block(f, 2 + round);
		m[0] = (struct reg_message){ .device_id = "aaaa-aaaa-a",
		    .seq = -1, .body = "{}", .len = 2, .peer = "127.0.0.1:1" };
		m[1] = (struct reg_message){ .device_id = "bbbb-bbbb-b",
		    .seq = -1, .body = "!", .len = 1, .peer = "127.0.0.1:1" };
		assert_int_equal(reg_store_messages(f->st, m, 2), -1);
		assert_int_equal(blocks_of(f, "aaaa-aaaa-a"), 1 + round);
		if (round == 1) {
			snprintf(sql, sizeof(sql), "INSERT INTO messages (id, "
			    "device_id, received_at, body) VALUES (%lld, "
			    "'zzzz-zzzz-z', 1, x'00')",
			    (long long)((2 + round) * BLK + 10));
			sql_exec(f->db, sql);
		}
		store_letters(f, "a");
		assert_int_equal(blocks_of(f, "aaaa-aaaa-a"), 2 + round);
		assert_int_equal(read_ids(f->st, "aaaa-aaaa-a", 1, 0, ids, 8),
		    (size_t)(2 + round));
		reads_match_scan(f, devs, 1);
	}
}

/* A database at schema 9 with messages in several blocks: migration 11
 * records their blocks, and reads by device find them all. */
static void
test_read_device_migrated(void **state)
{
	static const char *const devs[] = { "aaaa-aaaa-a", "bbbb-bbbb-b" };
	struct fixture *f = *state;
	char sql[256];

	sql_exec(f->db, "CREATE TABLE schema_migrations (version INTEGER "
	    "PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
	for (size_t i = 0; i < reg_sqlite_schema.count; i++) {
		if (reg_sqlite_schema.migrations[i].version > 9)
			break;
		sql_exec(f->db, reg_sqlite_schema.migrations[i].sql);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations "
		    "VALUES (%d, 'old', 0)",
		    reg_sqlite_schema.migrations[i].version);
		sql_exec(f->db, sql);
	}
	for (int i = 0; i < 12; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO messages (id, "
		    "device_id, received_at, body, kind) VALUES (%lld, '%s', "
		    "1, x'7b7d', %d)", (long long)(i / 3) * 3 * BLK + i + 1,
		    devs[i % 2 == 0 || i % 3 == 0 ? 0 : 1], i == 6);
		sql_exec(f->db, sql);
	}
	open_ok(f);
	assert_int_equal(sql_int(f->db, "SELECT max(version) FROM "
	    "schema_migrations"), reg_schema_latest());
	assert_int_equal(blocks_of(f, devs[0]), 4);	/* 0, 3, 6, 9 */
	reads_match_scan(f, devs, 2);
	store_letters(f, "ba");
	reads_match_scan(f, devs, 2);
}

struct pres {
	int	 n;
	char	 ids[8][REG_ID_MAX];
	char	 nodes[8][64];
	int	 online[8];
};

static int
got_presence(void *arg, const struct reg_presence *p)
{
	struct pres *r = arg;

	if (r->n < 8) {
		snprintf(r->ids[r->n], REG_ID_MAX, "%s", p->id);
		snprintf(r->nodes[r->n], 64, "%s", p->nodes);
		r->online[r->n] = p->online;
	}
	r->n++;
	return 0;
}

struct evs {
	int		 n;
	enum reg_kind	 kind[16];
	char		 json[16][256];
};

static void
got_event(void *arg, const struct reg_read_row *row)
{
	struct evs *e = arg;
	struct json j;

	if (e->n < 16) {
		e->kind[e->n] = row->kind;
		json_init(&j, e->json[e->n], sizeof(e->json[e->n]));
		assert_int_equal(reg_row_json(&j, row), 0);
		assert_non_null(json_finish(&j));
	}
	e->n++;
}

static struct reg_message
event(const char *id, enum reg_kind kind, const char *node,
    const char *reason)
{
	return (struct reg_message){ .device_id = id, .seq = -1, .kind = kind,
	    .node = node, .reason = reason };
}

/* Presence: event rows ride a batch with messages, in order; readers get
 * them only when asked; online is the union of fresh nodes' rows; a
 * stale node's rows go with "node lost", a restart's with "gateway
 * restarted", a stop's with its reason. */
static void
test_presence(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device d[2];
	struct reg_message m[3];
	struct reg_read q = { .limit = 100 };
	struct reg_cursor c = { 0, 0 };
	struct evs e = { 0 };
	struct pres p = { 0 };
	int lost = -1;

	open_ok(f);
	assert_int_equal(provision(f->st, 2, "p", "t", d), 0);
	assert_int_equal(reg_node_beat(f->st, "n1", 1, NULL), 0);
	assert_int_equal(reg_node_beat(f->st, "n2", 1, NULL), 0);
	m[0] = event(d[0].id, REG_KIND_CONNECTED, "n1", NULL);
	m[1] = (struct reg_message){ .device_id = d[0].id, .seq = 1,
	    .body = "{\"t\":1}", .len = 7, .peer = "127.0.0.1:9" };
	m[2] = event(d[1].id, REG_KIND_CONNECTED, "n2", NULL);
	assert_int_equal(reg_store_messages(f->st, m, 3), 0);
	assert_int_equal(reg_count_messages(f->st, NULL), 1);

	/* by default a reader sees the message alone */
	assert_int_equal(reg_read_messages(f->st, &q, &c, got_event, &e), 1);
	assert_int_equal(e.kind[0], REG_KIND_MESSAGE);
	memset(&c, 0, sizeof(c));
	e.n = 0;
	q.events = 1;
	assert_int_equal(reg_read_messages(f->st, &q, &c, got_event, &e), 3);
	assert_int_equal(e.kind[0], REG_KIND_CONNECTED);
	assert_int_equal(e.kind[1], REG_KIND_MESSAGE);
	assert_int_equal(e.kind[2], REG_KIND_CONNECTED);
	assert_non_null(strstr(e.json[0], "\"event\":\"connected\","
	    "\"presence\":{\"node\":\"n1\",\"online\":true}"));
	assert_null(strstr(e.json[0], "\"body\""));

	assert_int_equal(reg_presence_list(f->st, 1, got_presence, &p), 2);
	assert_string_equal(p.ids[0], d[0].id);
	assert_string_equal(p.nodes[0], "n1");

	/* on two nodes: closing one leaves it online through the other */
	m[0] = event(d[0].id, REG_KIND_CONNECTED, "n2", NULL);
	m[1] = event(d[0].id, REG_KIND_DISCONNECTED, "n1", "closed");
	assert_int_equal(reg_store_messages(f->st, m, 1), 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(reg_presence_list(f->st, 1, got_presence, &p), 2);
	assert_string_equal(p.nodes[0], "n1,n2");
	assert_int_equal(reg_store_messages(f->st, m + 1, 1), 0);
	e.n = 0;
	assert_int_equal(reg_read_messages(f->st, &q, &c, got_event, &e), 2);
	assert_non_null(strstr(e.json[1], "{\"reason\":\"closed\","
	    "\"node\":\"n1\",\"online\":true}"));

	/* n2 stops beating: its devices are offline at once for readers of
	 * the list, and n1's next beat tells it */
	sql_exec(f->db, "UPDATE nodes SET seen_at = seen_at - 60000 "
	    "WHERE name = 'n2'");
	memset(&p, 0, sizeof(p));
	assert_int_equal(reg_presence_list(f->st, 1, got_presence, &p), 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(reg_presence_list(f->st, 0, got_presence, &p), 2);
	assert_false(p.online[0]);
	assert_string_equal(p.nodes[0], "");
	assert_int_equal(reg_node_beat(f->st, "n1", 0, &lost), 2);
	assert_int_equal(lost, 0);
	e.n = 0;
	assert_int_equal(reg_read_messages(f->st, &q, &c, got_event, &e), 2);
	assert_non_null(strstr(e.json[0], "\"reason\":\"node lost\","
	    "\"node\":\"n2\",\"online\":false"));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM nodes"), 1);
	/* n2 comes back: its beat says it was taken for lost */
	assert_int_equal(reg_node_beat(f->st, "n2", 0, &lost), 0);
	assert_int_equal(lost, 1);

	/* a restart tells what the last run left; a stop what is left */
	m[0] = event(d[1].id, REG_KIND_CONNECTED, "n1", NULL);
	assert_int_equal(reg_store_messages(f->st, m, 1), 0);
	assert_int_equal(reg_node_beat(f->st, "n1", 1, NULL), 1);
	assert_int_equal(reg_store_messages(f->st, m, 1), 0);
	assert_int_equal(reg_node_stop(f->st, "n1", "shutdown"), 1);
	e.n = 0;
	assert_int_equal(reg_read_messages(f->st, &q, &c, got_event, &e), 4);
	assert_non_null(strstr(e.json[1], "\"reason\":\"gateway restarted\""));
	assert_non_null(strstr(e.json[3], "\"reason\":\"shutdown\""));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM presence"), 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM nodes "
	    "WHERE name = 'n1'"), 0);
	assert_int_equal(reg_count_messages(f->st, d[0].id), 1);
	assert_string_equal(reg_kind_name(REG_KIND_DISCONNECTED),
	    "disconnected");
	assert_null(reg_kind_name(REG_KIND_MESSAGE));
}

static void
test_id_catches_every_substitution(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[20];
	char id[REG_ID_MAX];

	open_ok(f);
	assert_int_equal(provision(f->st, 20, NULL, "t", devs), 0);
	for (int d = 0; d < 20; d++) {
		size_t len = strlen(devs[d].id);

		assert_int_equal(len, 11);
		assert_int_equal(devs[d].id[4], '-');
		assert_int_equal(devs[d].id[9], '-');
		for (size_t pos = 0; pos < len; pos++)
			for (int ch = 1; ch < 256; ch++) {
				if (ch == (unsigned char)devs[d].id[pos])
					continue;
				memcpy(id, devs[d].id, len + 1);
				id[pos] = (char)ch;
				if (reg_id_valid(id))
					fail_msg("%s accepted for %s", id,
					    devs[d].id);
			}
		/* swaps of two different characters are caught too */
		for (size_t i = 0; i < len; i++)
			for (size_t j = i + 1; j < len; j++) {
				if (devs[d].id[i] == devs[d].id[j])
					continue;
				memcpy(id, devs[d].id, len + 1);
				id[i] = devs[d].id[j];
				id[j] = devs[d].id[i];
				assert_false(reg_id_valid(id));
			}
	}
}

static void
test_id_forms(void **state)
{
	char out[REG_ID_MAX], typed[REG_ID_MAX], good[REG_ID_MAX];
	int made = 0;

	/* find a valid id with a 0 and a 1 in it, by its check character */
	for (int a = 0; a < 32 && !made; a++)
		for (int c = 0; c < 32 && !made; c++) {
			snprintf(good, sizeof(good), "01%c2-3%c45-%c", b32[a],
			    b32[a], b32[c]);
			made = reg_id_valid(good);
		}
	assert_true(made);
	assert_int_equal(reg_id_normalize(good, out), REG_ID_OK);
	assert_string_equal(out, good);
	/* as a person might type it: upper case, O for 0, L for 1, no dash */
	for (size_t i = 0, o = 0; i <= strlen(good); i++) {
		char ch = good[i];

		if (ch == '-')
			continue;
		typed[o++] = ch == '0' ? 'O' : ch == '1' ? 'l' :
		    (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
	}
	assert_int_equal(reg_id_normalize(typed, out), REG_ID_OK);
	assert_string_equal(out, good);
	assert_false(reg_id_valid(typed));

	memcpy(typed, good, sizeof(good));
	typed[2] = typed[2] == 'z' ? 'y' : 'z';
	assert_int_equal(reg_id_normalize(typed, out), REG_ID_MISTYPED);
	assert_int_equal(reg_id_normalize("kitchen-1", out), REG_ID_MALFORMED);
	assert_int_equal(reg_id_normalize("", out), REG_ID_MALFORMED);
	assert_int_equal(reg_id_normalize("0000-0000-00", out),
	    REG_ID_MALFORMED);
	assert_int_equal(reg_id_normalize("uuuu-uuuu-u", out),
	    REG_ID_MALFORMED);
	assert_false(reg_id_valid(""));
	assert_false(reg_id_valid(NULL));
	assert_true(reg_id_valid("0000-0000-0"));
}

/* ---- PostgreSQL only ---- */

static void
test_pg_schema_and_reopen(void **state)
{
	struct fixture *f = *state;

	open_ok(f);
	assert_int_equal(sql_int(f->db, "SELECT max(version) FROM "
	    "schema_migrations"),
	    reg_schema_latest());
	reopen(f);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM "
	    "schema_migrations"), (long long)reg_sqlite_schema.count);
	assert_int_equal(sql_int(f->db, "SELECT length(value) FROM meta "
	    "WHERE name = 'key_check'"), REG_HASH_LEN);
}

static void
test_pg_key_file_required(void **state)
{
	struct fixture *f = *state;

	open_fails_with(f, NULL, "needs its key file named (--key-file FILE)");
}

static void
test_pg_wrong_or_missing_key_refused(void **state)
{
	struct fixture *f = *state;
	char other[160];

	open_ok(f);
	reg_close(f->st);
	f->st = NULL;
	snprintf(other, sizeof(other), "%s/other.key", f->dir);
	/* a new key for a database that has one is not made */
	open_fails_with(f, other, "is missing, but the PostgreSQL database");
	write_file(other, "0123456789abcdef0123456789abcdef", 32, 0600);
	open_fails_with(f, other, "is not the key the PostgreSQL database");
}

static void
test_pg_foreign_database_refused(void **state)
{
	struct fixture *f = *state;

	sql_exec(f->db, "CREATE TABLE invoices (n integer)");
	open_fails_with(f, f->key, "holds tables of something else");
}

static void
test_pg_newer_schema_refused(void **state)
{
	struct fixture *f = *state;

	open_ok(f);
	reg_close(f->st);
	f->st = NULL;
	sql_exec(f->db, "INSERT INTO schema_migrations VALUES "
	    "(999, 'from the future', 0)");
	open_fails_with(f, f->key, "newer than this tether knows");
}

static void
test_pg_connection_refused(void **state)
{
	struct fixture *f = *state;

	/* port 1 on the loopback: nobody listens there */
	snprintf(f->db, sizeof(f->db), "postgres://nobody@127.0.0.1:1/x");
	open_fails_with(f, f->key, "cannot connect to PostgreSQL at "
	    "127.0.0.1:1: connection refused");
}

static void
test_pg_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[10];

	open_ok(f);
	/* the 6th insert fails, as a lost connection or a full disk would */
	sql_exec(f->db, "CREATE FUNCTION fail_6th() RETURNS trigger "
	    "LANGUAGE plpgsql AS $$ BEGIN IF (SELECT count(*) FROM devices) "
	    ">= 5 THEN RAISE EXCEPTION 'injected failure'; END IF; "
	    "RETURN NEW; END $$; CREATE TRIGGER fail_6th BEFORE INSERT ON "
	    "devices FOR EACH ROW EXECUTE FUNCTION fail_6th()");
	assert_int_equal(provision(f->st, 10, "p", "test", devs), -1);
	assert_non_null(strstr(reg_error(f->st), "cannot register"));
	assert_non_null(strstr(reg_error(f->st), "injected failure"));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices"), 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM audit"), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(devs[i].credential[0], '\0');
	sql_exec(f->db, "DROP TRIGGER fail_6th ON devices");
	assert_int_equal(provision(f->st, 10, "p", "test", devs), 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM devices"), 10);
}

/*
 * A connection the server dropped (a restart, a failover): the call that
 * finds it broken fails, with nothing stored, and the next reconnects.
 */
static void
test_pg_reconnects(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[1];
	struct reg_message m = { .seq = 1, .body = "x", .len = 1,
	    .peer = "127.0.0.1:1" };
	int rc;

	open_ok(f);
	assert_int_equal(provision(f->st, 1, NULL, "t", devs), 0);
	m.device_id = devs[0].id;
	sql_exec(f->db, "SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE application_name = 'tether'");
	rc = reg_store_messages(f->st, &m, 1);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_non_null(strstr(reg_error(f->st),
		    "the database is unavailable"));
		assert_int_equal(sql_int(f->db, "SELECT count(*) FROM "
		    "messages"), 0);
		assert_int_equal(reg_store_messages(f->st, &m, 1), 0);
	}
	assert_int_equal(m.duplicate, 0);
	assert_int_equal(reg_count_messages(f->st, NULL), 1);
}

/* A batch of n messages, each of device dev[i] (0 or 1 of devs) and
 * seq[i], body "boom" where boom[i]; the device of i == ask asks for a
 * command. Returns reg_store_messages's result. */
static int
store_batch(struct fixture *f, const struct reg_new_device *devs, size_t n,
    const int *dev, const int64_t *seq, const int *boom, int ask,
    struct reg_message *m, char *buf)
{
	for (size_t i = 0; i < n; i++) {
		m[i] = (struct reg_message){ .device_id = devs[dev[i]].id,
		    .seq = seq[i], .body = boom[i] ? "boom" : "fine",
		    .len = 4, .peer = dev[i] ? "[::1]:6000" : "127.0.0.1:1" };
		if ((int)i == ask) {
			m[i].cmd_max = REG_COMMAND_LIMIT;
			m[i].cmd_buf = buf;
		}
	}
	return reg_store_messages(f->st, m, n);
}

/*
 * A batch goes to PostgreSQL in one pipeline, its answers read at the
 * commit or when a command probe needs one: a duplicate in the middle (of
 * the table or of the batch) is flagged, the rest stored; a statement
 * that fails in the middle leaves nothing of the batch, no flag set and
 * the command undelivered, and the handle stores the same batch once the
 * cause is gone, also on a new connection (its statements prepared
 * again).
 */
static void
test_pg_batch_pipeline(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[2];
	struct reg_message m[6];
	struct reg_command c;
	char buf[REG_COMMAND_LIMIT];
	int64_t id;
	int rc;

	open_ok(f);
	assert_int_equal(provision(f->st, 2, NULL, "t", devs), 0);
	assert_int_equal(reg_command_queue(f->st, devs[0].id, "reboot", 6, 0,
	    0, "cli", &id, NULL), 0);
	{
		const int dev[] = { 0 }, boom[] = { 0 };
		const int64_t seq[] = { 1 };

		assert_int_equal(store_batch(f, devs, 1, dev, seq, boom, -1, m,
		    buf), 0);
		assert_int_equal(m[0].duplicate, 0);
	}
	{
		/* a1 stored before, a2 twice in the batch, b1, a-: new */
		const int dev[] = { 0, 0, 1, 0, 0 }, boom[5] = { 0 };
		const int64_t seq[] = { 2, 1, 1, 2, -1 };
		const int dup[] = { 0, 1, 0, 1, 0 };

		assert_int_equal(store_batch(f, devs, 5, dev, seq, boom, -1, m,
		    buf), 0);
		for (int i = 0; i < 5; i++)
			assert_int_equal(m[i].duplicate, dup[i]);
	}
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM messages"), 4);
	sql_exec(f->db, "CREATE FUNCTION fail_boom() RETURNS trigger "
	    "LANGUAGE plpgsql AS $$ BEGIN IF NEW.body = 'boom' THEN RAISE "
	    "EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$; "
	    "CREATE TRIGGER fail_boom BEFORE INSERT ON messages "
	    "FOR EACH ROW EXECUTE FUNCTION fail_boom()");
	{
		/* the 3rd fails, before the 4th asks for a command and after
		 * a duplicate; then, without the trigger, all goes in */
		const int dev[] = { 0, 0, 1, 0, 1, 1 };
		const int boom[] = { 0, 0, 1, 0, 0, 0 };
		const int64_t seq[] = { 3, 1, 2, 4, 3, 3 };
		const int dup[] = { 0, 1, 0, 0, 0, 1 };

		assert_int_equal(store_batch(f, devs, 6, dev, seq, boom, 3, m,
		    buf), -1);
		assert_non_null(strstr(reg_error(f->st), "cannot store the "
		    "messages: injected failure"));
		for (int i = 0; i < 6; i++) {
			assert_int_equal(m[i].duplicate, 0);
			assert_int_equal(m[i].cmd_id, 0);
		}
		assert_int_equal(sql_int(f->db, "SELECT count(*) FROM "
		    "messages"), 4);
		assert_int_equal(reg_command_get(f->st, id, &c), 0);
		assert_int_equal(c.state, REG_CMD_QUEUED);
		assert_int_equal(c.attempts, 0);
		/* the answer the command probe waits for is the failure */
		assert_int_equal(store_batch(f, devs, 6, dev, seq, boom, 2, m,
		    buf), -1);
		assert_int_equal(sql_int(f->db, "SELECT count(*) FROM "
		    "messages"), 4);
		sql_exec(f->db, "DROP TRIGGER fail_boom ON messages");
		assert_int_equal(store_batch(f, devs, 6, dev, seq, boom, 3, m,
		    buf), 0);
		for (int i = 0; i < 6; i++)
			assert_int_equal(m[i].duplicate, dup[i]);
		assert_int_equal(m[3].cmd_id, id);
		assert_int_equal(m[3].cmd_len, 6);
		assert_memory_equal(buf, "reboot", 6);
	}
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM messages"), 8);
	/* a new connection: its statements are prepared again */
	sql_exec(f->db, "SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE application_name = 'tether'");
	{
		const int dev[] = { 1, 0, 1 }, boom[3] = { 0 };
		const int64_t seq[] = { 4, 1, 5 };

		rc = store_batch(f, devs, 3, dev, seq, boom, 1, m, buf);
		if (rc != 0) {
			assert_non_null(strstr(reg_error(f->st),
			    "the database is unavailable"));
			rc = store_batch(f, devs, 3, dev, seq, boom, 1, m, buf);
		}
		assert_int_equal(rc, 0);
		assert_int_equal(m[0].duplicate, 0);
		assert_int_equal(m[1].duplicate, 1);
		assert_int_equal(m[2].duplicate, 0);
		assert_int_equal(m[1].cmd_id, id);	/* delivered again */
	}
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM messages"), 10);
	assert_int_equal(reg_command_get(f->st, id, &c), 0);
	assert_int_equal(c.attempts, 2);
}

/* Webhook secrets: derived, stable across opens, one per application and
 * per issue, none for an application without one or revoked. */
static void
test_webhook_secret(void **state)
{
	struct fixture *f = *state;
	char tok[REG_APP_TOKEN_LEN + 1], s1[REG_WEBHOOK_SECRET_LEN + 1];
	char s2[REG_WEBHOOK_SECRET_LEN + 1], s3[REG_WEBHOOK_SECRET_LEN + 1];

	open_ok(f);
	assert_int_equal(reg_app_add(f->st, "a", REG_SCOPE_READ, "t", tok), 0);
	assert_int_equal(reg_app_add(f->st, "b", REG_SCOPE_READ, "t", tok), 0);
	assert_int_equal(reg_app_webhook_secret(f->st, "a", s1), REG_NOT_FOUND);
	assert_non_null(strstr(reg_error(f->st), "has no webhook secret"));
	assert_int_equal(reg_app_webhook_new(f->st, "nobody", "t", s1),
	    REG_NOT_FOUND);
	assert_int_equal(reg_app_webhook_new(f->st, "a", "t", s1), 0);
	assert_int_equal(strlen(s1), REG_WEBHOOK_SECRET_LEN);
	assert_memory_equal(s1, REG_WEBHOOK_PREFIX, 5);
	reopen(f);
	assert_int_equal(reg_app_webhook_secret(f->st, "a", s2), 0);
	assert_string_equal(s1, s2);
	assert_int_equal(reg_app_webhook_new(f->st, "b", "t", s3), 0);
	assert_string_not_equal(s1, s3);
	assert_int_equal(reg_app_webhook_new(f->st, "a", "t", s2), 0);
	assert_string_not_equal(s1, s2);		/* a new one */
	assert_int_equal(reg_app_revoke(f->st, "a", "t"), 0);
	assert_int_equal(reg_app_webhook_secret(f->st, "a", s2), REG_NOT_FOUND);
}

struct fwd_seen {
	long long	 n, delivered, backlog;
	char		 error[64];
};

static void
fwd_row(void *arg, const struct reg_forwarder *fw)
{
	struct fwd_seen *w = arg;

	w->n++;
	w->delivered = fw->delivered;
	w->backlog = fw->backlog;
	snprintf(w->error, sizeof(w->error), "%s", fw->last_error);
}

static void
read_row(void *arg, const struct reg_read_row *row)
{
	(void)arg;
	(void)row;
}

/* A forwarder's cursor survives a reopen; pruning never deletes what it
 * has not delivered nor the newest message, and names what holds it. */
static void
test_forwarder_cursor_and_prune(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[1];
	struct reg_message m[3];
	struct reg_cursor c, at = { 0 };
	struct reg_read q = { .limit = 2 };
	struct fwd_seen w = { 0 };
	char held[REG_FORWARDER_MAX];
	const char *name = "http://127.0.0.1:9/x#app=a";

	open_ok(f);
	assert_int_equal(provision(f->st, 1, NULL, "t", devs), 0);
	for (int i = 0; i < 3; i++)
		m[i] = (struct reg_message){ .device_id = devs[0].id,
		    .seq = i + 1, .body = "x", .len = 1, .peer = "p" };
	assert_int_equal(reg_store_messages(f->st, m, 3), 0);
	assert_int_equal(reg_forwarder_start(f->st, name, &c), 0);
	assert_true(c.pos == 0 && c.id == 0);
	assert_int_equal(reg_read_messages(f->st, &q, &at, read_row, NULL), 2);
	assert_int_equal(reg_forwarder_advance(f->st, name, &at, 2), 0);
	assert_int_equal(reg_forwarder_error(f->st, name, "down"), 0);
	reopen(f);
	assert_int_equal(reg_forwarder_start(f->st, name, &c), 0);
	assert_true(c.pos == at.pos && c.id == at.id);
	assert_int_equal(reg_count_after(f->st, &c), 1);
	assert_int_equal(reg_forwarder_list(f->st, fwd_row, &w), 1);
	assert_int_equal(w.delivered, 2);
	assert_int_equal(w.backlog, 1);
	assert_string_equal(w.error, "down");
	/* all three are old: the two delivered go, the third (also the
	 * newest) is held */
	assert_int_equal(reg_prune(f->st, reg_now_ms() + 60000, 1000, held), 2);
	assert_int_equal(reg_count_messages(f->st, NULL), 1);
	assert_int_equal(reg_prune(f->st, reg_now_ms() + 60000, 1000, held), 0);
	assert_string_equal(held, name);
	/* delivered now: still the newest, never deleted, held by nobody */
	q.limit = 10;
	assert_int_equal(reg_read_messages(f->st, &q, &at, read_row, NULL), 1);
	assert_int_equal(reg_forwarder_advance(f->st, name, &at, 1), 0);
	assert_int_equal(reg_prune(f->st, reg_now_ms() + 60000, 1000, held), 0);
	assert_string_equal(held, "");
	assert_int_equal(reg_count_messages(f->st, NULL), 1);
	memset(&w, 0, sizeof(w));
	assert_int_equal(reg_forwarder_list(f->st, fwd_row, &w), 1);
	assert_int_equal(w.delivered, 3);
	assert_string_equal(w.error, "");
}

/* Stores one message of dev asking for commands of at most max bytes and
 * acknowledging ack; returns the command id the answer would carry. */
static int64_t
exchange(struct fixture *f, const char *dev, int64_t seq, size_t max,
    int64_t ack, char *buf, size_t *len, int *dup)
{
	struct reg_message m = { .device_id = dev, .seq = seq, .body = "x",
	    .len = 1, .peer = "127.0.0.1:1", .cmd_ack = ack, .cmd_max = max,
	    .cmd_buf = buf };

	assert_int_equal(reg_store_messages(f->st, &m, 1), 0);
	if (len != NULL)
		*len = m.cmd_len;
	if (dup != NULL)
		*dup = m.duplicate;
	return m.cmd_id;
}

struct cmd_seen {
	int		 n;
	int64_t		 ids[8];
	enum reg_command_state states[8];
};

static void
cmd_row(void *arg, const struct reg_command *c)
{
	struct cmd_seen *w = arg;

	if (w->n < 8) {
		w->ids[w->n] = c->id;
		w->states[w->n] = c->state;
	}
	w->n++;
}

struct deliver_race {
	struct fixture	*f;
	const char	*dev;
	char		 buf[REG_COMMAND_LIMIT];
	int		 rc;
	int64_t		 cmd_id;
};

static void *
deliver_race(void *arg)
{
	struct deliver_race *d = arg;
	struct reg_message m = { .device_id = d->dev, .seq = -1, .body = "x",
	    .len = 1, .peer = "127.0.0.1:1", .cmd_max = 256,
	    .cmd_buf = d->buf };

	d->rc = reg_store_messages(d->f->st, &m, 1);
	d->cmd_id = m.cmd_id;
	return NULL;
}

/* A cancel that commits while the intake's transaction is between its
 * probe and its delivery (PostgreSQL, read committed): the command stays
 * cancelled and is not sent. The cancel holds the row until the intake
 * waits on it, then commits. */
static void
test_pg_cancel_while_delivering(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[1];
	struct deliver_race d = { .f = f, .rc = -2 };
	struct reg_command c;
	char sql[160];
	int64_t id, deadline;
	PGconn *lk;
	PGresult *r;
	pthread_t t;
	int waiting = 0;

	open_ok(f);
	assert_int_equal(provision(f->st, 1, NULL, "t", devs), 0);
	d.dev = devs[0].id;
	assert_int_equal(reg_command_queue(f->st, d.dev, "reboot", 6, 0, 0,
	    "cli", &id, NULL), 0);
	lk = PQconnectdb(f->db);
	assert_int_equal(PQstatus(lk), CONNECTION_OK);
	snprintf(sql, sizeof(sql), "BEGIN; UPDATE commands SET state = "
	    "'cancelled', reason = 'cancelled by t' WHERE id = %lld",
	    (long long)id);
	r = PQexec(lk, sql);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	assert_int_equal(pthread_create(&t, NULL, deliver_race, &d), 0);
	/* the intake's UPDATE waits on the row lock: poll for it */
	for (deadline = reg_now_ms() + 10000; !waiting &&
	    reg_now_ms() < deadline; ) {
		r = pg_exec(f->db, "SELECT count(*) FROM pg_stat_activity "
		    "WHERE wait_event_type = 'Lock'");
		waiting = atoi(PQgetvalue(r, 0, 0)) > 0;
		PQclear(r);
		if (!waiting)
			usleep(10000);
	}
	r = PQexec(lk, "COMMIT");
	PQclear(r);
	PQfinish(lk);
	pthread_join(t, NULL);
	assert_true(waiting);
	assert_int_equal(d.rc, 0);
	assert_int_equal(d.cmd_id, 0);
	assert_int_equal(reg_command_get(f->st, id, &c), 0);
	assert_int_equal(c.state, REG_CMD_CANCELLED);
	assert_int_equal(c.attempts, 0);
}

/* Commands: queued, delivered (attempts counted) until acknowledged, the
 * oldest first, too large ones rejected, expired ones never delivered,
 * cancelled; a device that does not ask gets none. */
static void
test_commands(void **state)
{
	struct fixture *f = *state;
	struct reg_new_device devs[2];
	struct reg_command c;
	struct cmd_seen w;
	char buf[REG_COMMAND_LIMIT], big[300];
	int64_t a, b, x, id, exp;
	size_t len;
	int dup;

	open_ok(f);
	assert_int_equal(provision(f->st, 2, NULL, "t", devs), 0);
	const char *d = devs[0].id, *other = devs[1].id;

	assert_int_equal(reg_command_queue(f->st, "zzzz-zzzz-z", "x", 1, 0, 0,
	    "cli", &id, NULL), REG_NOT_FOUND);
	memset(big, 'b', sizeof(big));
	assert_int_equal(reg_command_queue(f->st, d, big, 257, 0, 0, "cli",
	    &id, NULL), -1);
	assert_non_null(strstr(reg_error(f->st), "at most 256"));
	assert_int_equal(reg_command_queue(f->st, d, big, 300, 4096, 0, "cli",
	    &x, NULL), 0);
	assert_int_equal(reg_command_queue(f->st, d, "x", 1, 0,
	    REG_COMMAND_TTL_MAX + 1, "cli", &id, NULL), -1);
	assert_int_equal(reg_command_queue(f->st, d, "reboot", 6, 0, 0, "app1",
	    &a, &exp), 0);
	assert_true(exp > reg_now_ms() + REG_COMMAND_TTL_DEFAULT - 60000);
	assert_int_equal(reg_command_queue(f->st, d, "", 0, 0, 3600000, "cli",
	    &b, NULL), 0);
	assert_true(x < a && a < b);

	/* no X-Tether-Commands: nothing taken */
	assert_int_equal(exchange(f, d, 1, 0, 0, NULL, NULL, NULL), 0);
	assert_int_equal(reg_command_get(f->st, a, &c), 0);
	assert_int_equal(c.state, REG_CMD_QUEUED);
	/* the 300-byte one does not fit 256: rejected, the next given */
	assert_int_equal(exchange(f, d, 2, 256, 0, buf, &len, NULL), a);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "reboot", 6);
	assert_int_equal(reg_command_get(f->st, x, &c), 0);
	assert_int_equal(c.state, REG_CMD_REJECTED);
	assert_non_null(strstr(c.reason, "300 > 256 bytes"));
	/* another device's messages never see it */
	assert_int_equal(exchange(f, other, 1, 256, a, buf, &len, NULL), 0);
	/* not acknowledged: given again, attempts counted */
	assert_int_equal(exchange(f, d, 3, 256, 0, buf, &len, NULL), a);
	assert_int_equal(reg_command_get(f->st, a, &c), 0);
	assert_int_equal(c.state, REG_CMD_DELIVERED);
	assert_int_equal(c.attempts, 2);
	assert_string_equal(c.app, "app1");
	assert_true(c.delivered_at > 0);
	/* a duplicate carries it too, and an ack there counts */
	assert_int_equal(exchange(f, d, 3, 256, a, buf, &len, &dup), b);
	assert_int_equal(dup, 1);
	assert_int_equal(len, 0);
	assert_int_equal(reg_command_get(f->st, a, &c), 0);
	assert_int_equal(c.state, REG_CMD_ACKNOWLEDGED);
	assert_true(c.acked_at > 0);
	/* a repeated ack is ignored; cancel b, nothing left */
	assert_int_equal(reg_command_cancel(f->st, b, "cli"), 0);
	assert_int_equal(reg_command_cancel(f->st, b, "cli"), REG_CONFLICT);
	assert_int_equal(reg_command_cancel(f->st, a, "cli"), REG_CONFLICT);
	assert_non_null(strstr(reg_error(f->st), "acknowledged"));
	assert_int_equal(reg_command_cancel(f->st, 999999, "cli"),
	    REG_NOT_FOUND);
	assert_int_equal(exchange(f, d, 4, 256, a, buf, &len, NULL), 0);

	/* listing, all and by state */
	memset(&w, 0, sizeof(w));
	assert_int_equal(reg_command_list(f->st, d, 0, cmd_row, &w), 3);
	assert_int_equal(w.ids[0], x);
	assert_int_equal(w.states[0], REG_CMD_REJECTED);
	assert_int_equal(w.states[1], REG_CMD_ACKNOWLEDGED);
	assert_int_equal(w.states[2], REG_CMD_CANCELLED);
	memset(&w, 0, sizeof(w));
	assert_int_equal(reg_command_list(f->st, d, REG_CMD_CANCELLED, cmd_row,
	    &w), 1);
	assert_int_equal(w.ids[0], b);

	/* expiry: never delivered once past, listed as expired before the
	 * sweep, marked by it */
	assert_int_equal(reg_command_queue(f->st, d, "late", 4, 0, 1000,
	    "cli", &id, NULL), 0);
	assert_int_equal(reg_command_expire(f->st, reg_now_ms(), 10, NULL,
	    NULL), 0);
	usleep(1100 * 1000);
	assert_int_equal(exchange(f, d, 5, 256, 0, buf, &len, NULL), 0);
	assert_int_equal(reg_command_get(f->st, id, &c), 0);
	assert_int_equal(c.state, REG_CMD_EXPIRED);
	assert_int_equal(c.attempts, 0);
	assert_int_equal(reg_command_cancel(f->st, id, "cli"), REG_CONFLICT);
	assert_int_equal(reg_command_expire(f->st, reg_now_ms(), 10, NULL,
	    NULL), 1);
	assert_int_equal(reg_command_expire(f->st, reg_now_ms(), 10, NULL,
	    NULL), 0);
	assert_int_equal(reg_command_get(f->st, id, &c), 0);
	assert_string_equal(c.reason, "expired before it was delivered");

	/* queued in one handle, delivered from another after a reopen */
	assert_int_equal(reg_command_queue(f->st, d, "kept", 4, 0, 0, "cli",
	    &id, NULL), 0);
	reopen(f);
	assert_int_equal(exchange(f, d, 6, 4, 0, buf, &len, NULL), id);
	assert_int_equal(reg_command_get(f->st, id, &c), 0);
	assert_int_equal(c.state, REG_CMD_DELIVERED);
	assert_int_equal(c.len, 4);
	assert_memory_equal(c.payload, "kept", 4);
}

/* TLS sessions shared by the nodes (sessions.c) */

struct got_sessions {
	struct reg_session	s[8];
	size_t			n;
};

static void
got_session(void *arg, const struct reg_session *s)
{
	struct got_sessions *g = arg;

	if (g->n < 8)
		g->s[g->n++] = *s;
}

static void
test_sessions(void **state)
{
	struct fixture *f = *state;
	struct reg_session in[4];
	struct got_sessions g = { .n = 0 };
	int64_t now = (int64_t)time(NULL), last;
	uint8_t buf[4] = { 0 };
	size_t foreign;
	long long top;
	char sql[256];

	open_ok(f);
	memset(in, 0, sizeof(in));
	for (int i = 0; i < 4; i++) {
		in[i].idlen = 32;
		memset(in[i].id, 'a' + i, 32);
		in[i].derlen = 100 + (size_t)i;
		memset(in[i].der, i, in[i].derlen);
		/* the last one is past its time */
		in[i].expires = i < 3 ? now + 3600 : now - 1;
	}
	assert_int_equal(reg_sessions_put(f->st, "a", in, 4), 0);
	assert_int_equal(reg_sessions_put(f->st, "a", in, 0), 0);
	top = reg_sessions_last(f->st);
	assert_true(top >= 4);

	/* node b reads a's live ones, in order, as written */
	assert_int_equal(reg_sessions_get(f->st, 0, INT64_MAX, "b", 0, now, 8,
	    got_session, &g, &last, &foreign), 3);
	assert_int_equal(foreign, 0);
	assert_int_equal(g.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g.s[i].idlen, 32);
		assert_memory_equal(g.s[i].id, in[i].id, 32);
		assert_int_equal(g.s[i].derlen, in[i].derlen);
		assert_memory_equal(g.s[i].der, in[i].der, in[i].derlen);
		assert_int_equal(g.s[i].expires, in[i].expires);
		assert_int_equal(g.s[i].own, 0);	/* a's, not b's */
	}
	/* after the last, nothing; a's own rows only up to mine */
	g.n = 0;
	assert_int_equal(reg_sessions_get(f->st, last, INT64_MAX, "b", 0, now,
	    8, got_session, &g, &last, &foreign), 0);
	assert_int_equal(reg_sessions_get(f->st, 0, INT64_MAX, "a", 0, now, 8,
	    got_session, &g, &last, &foreign), 0);
	assert_int_equal(reg_sessions_get(f->st, 0, INT64_MAX, "a", top, now,
	    8, got_session, &g, &last, &foreign), 3);
	assert_int_equal(g.s[0].own, 1);	/* a's own, of a run before */
	g.n = 0;
	/* at most max, and up to upto */
	assert_int_equal(reg_sessions_get(f->st, 0, INT64_MAX, "b", 0, now, 2,
	    got_session, &g, &last, &foreign), 2);
	g.n = 0;
	assert_int_equal(reg_sessions_get(f->st, last, last, "b", 0, now, 8,
	    got_session, &g, &last, &foreign), 0);

	/* Damaged rows: an expiry changed (authenticated), a ciphertext
	 * bit flipped, a row cut short: refused and counted, the good one
	 * read. */
	snprintf(sql, sizeof(sql), "UPDATE tls_sessions SET expires_at = "
	    "expires_at + 1 WHERE n = %lld", top - 3);
	sql_exec(f->db, sql);
	snprintf(sql, sizeof(sql), "UPDATE tls_sessions SET sealed = %s "
	    "WHERE n = %lld", f->pg ? "'\\x0001'::bytea" : "x'0001'",
	    top - 2);
	sql_exec(f->db, sql);
	g.n = 0;
	assert_int_equal(reg_sessions_get(f->st, 0, INT64_MAX, "b", 0, now, 8,
	    got_session, &g, &last, &foreign), 1);
	assert_int_equal(foreign, 2);
	assert_memory_equal(g.s[0].id, in[2].id, 32);
	assert_int_equal(last, top - 1);

	/* The expired go, any node's; past the bound only the node's own:
	 * each node keeps its newest rows (a, here, one of three). */
	assert_int_equal(reg_sessions_prune(f->st, now, "b", 0, 10), 1);
	assert_int_equal(reg_sessions_put(f->st, "b", in, 2), 0);
	assert_int_equal(reg_sessions_bound(f->st, "a", 1), top - 2);
	assert_int_equal(reg_sessions_bound(f->st, "a", 3), 0);
	assert_int_equal(reg_sessions_bound(f->st, "b", 2), 0);
	assert_int_equal(reg_sessions_prune(f->st, now, "b", top - 2, 10), 0);
	assert_int_equal(reg_sessions_prune(f->st, now, "a", top - 2, 1), 1);
	assert_int_equal(reg_sessions_prune(f->st, now, "a", top - 2, 1), 1);
	assert_int_equal(reg_sessions_prune(f->st, now, "a", top - 2, 1), 0);
	assert_int_equal(reg_sessions_bound(f->st, "a", 1), 0);
	g.n = 0;
	assert_int_equal(reg_sessions_get(f->st, 0, INT64_MAX, "c", 0, now, 8,
	    got_session, &g, &last, &foreign), 3);
	assert_int_equal(foreign, 0);
	assert_memory_equal(g.s[0].id, in[2].id, 32);

	/* An out-of-bounds session is refused, not stored. */
	in[0].idlen = 0;
	assert_int_equal(reg_sessions_put(f->st, "a", in, 1), -1);
	in[0].idlen = 32;
	in[0].derlen = REG_SESSION_DER_MAX + 1;
	assert_int_equal(reg_sessions_put(f->st, "a", in, 1), -1);

	/* the opened bytes' parser */
	assert_int_equal(reg_session_parse(buf, 0, &g.s[0]), -1);
	assert_int_equal(reg_session_parse(buf, 4, &g.s[0]), -1);	/* id 0 */
	buf[0] = 33;
	assert_int_equal(reg_session_parse(buf, 4, &g.s[0]), -1);
	buf[0] = 3;
	assert_int_equal(reg_session_parse(buf, 4, &g.s[0]), -1);	/* no DER */
	buf[0] = 2;
	assert_int_equal(reg_session_parse(buf, 4, &g.s[0]), 0);
	assert_int_equal(g.s[0].idlen, 2);
	assert_int_equal(g.s[0].derlen, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define P(fn) cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_twice_is_idempotent),
		T(test_webhook_secret),
		T(test_forwarder_cursor_and_prune),
		T(test_wal_mode),
		T(test_concurrent_first_open),
		T(test_key_file_created_private),
		T(test_named_key_file),
		T(test_wrong_size_key_refused),
		T(test_readable_key_refused),
		T(test_key_directory_refused),
		T(test_wrong_key_refused),
		T(test_foreign_database_refused),
		T(test_not_a_database_refused),
		T(test_newer_schema_refused),
		T(test_missing_directory),
		T(test_provision_and_lookup),
		T(test_provision_without_labels),
		T(test_unknown_hash),
		T(test_hash_is_keyed),
		T(test_provision_all_or_nothing),
		T(test_bad_label_prefix),
		T(test_credential_never_stored),
		T(test_provision_100k),
		T(test_revoke_and_changes),
		T(test_unknown_id),
		T(test_migration_from_v1),
		T(test_provision_schemes),
		T(test_mac_taken),
		T(test_rotate),
		T(test_rename),
		T(test_forget),
		T(test_list_filters),
		T(test_audit_list),
		T(test_suggest),
		T(test_no_secret_stored_any_scheme),
		T(test_store_messages),
		T(test_store_duplicates_across_handles),
		T(test_store_duplicates_stale_close),
		T(test_store_failure_stores_nothing),
		T(test_store_locked),
		T(test_apps),
		T(test_commands),
		T(test_read_messages),
		T(test_read_device_blocks),
		T(test_read_device_block_rollback),
		T(test_read_device_migrated),
		T(test_presence),
		T(test_id_catches_every_substitution),
		T(test_id_forms),
		T(test_sessions),
	};

	/* the store tests that do not look at SQLite's files, on PostgreSQL */
	const struct CMUnitTest pg_tests[] = {
		P(test_pg_schema_and_reopen),
		P(test_pg_key_file_required),
		P(test_pg_wrong_or_missing_key_refused),
		P(test_pg_foreign_database_refused),
		P(test_pg_newer_schema_refused),
		P(test_pg_connection_refused),
		P(test_pg_all_or_nothing),
		P(test_pg_reconnects),
		P(test_pg_batch_pipeline),
		P(test_provision_and_lookup),
		P(test_provision_without_labels),
		P(test_unknown_hash),
		P(test_bad_label_prefix),
		P(test_revoke_and_changes),
		P(test_unknown_id),
		P(test_provision_schemes),
		P(test_mac_taken),
		P(test_rotate),
		P(test_rename),
		P(test_forget),
		P(test_list_filters),
		P(test_audit_list),
		P(test_suggest),
		P(test_store_messages),
		P(test_apps),
		P(test_commands),
		P(test_pg_cancel_while_delivering),
		P(test_read_messages),
		P(test_presence),
		P(test_webhook_secret),
		P(test_forwarder_cursor_and_prune),
		P(test_sessions),
	};
	int failed;

	pg_url = getenv("TETHER_PG_URL");
	if (pg_url != NULL && pg_url[0] != '\0')
		return cmocka_run_group_tests_name("registry on PostgreSQL",
		    pg_tests, NULL, NULL);
	failed = cmocka_run_group_tests_name("registry on SQLite", tests,
	    NULL, NULL);
	printf("registry on PostgreSQL: skipped (TETHER_PG_URL is not set; "
	    "tests/integration/t_postgres.sh runs it)\n");
	return failed;
}
