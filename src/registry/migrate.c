/* SPDX-License-Identifier: MIT */
/*
 * migrate.c - bringing a database's schema up to date, once for every
 * backend: each backend lists its migrations (schema.h); this applies the
 * missing ones in order, in one transaction, and records each.
 */
#include <stdio.h>

#include "registry/registry_int.h"

/* Runs a query given as text that gives one row of integers: *a and,
 * if b is not NULL, *b (the statements of enum reg_query are prepared
 * only once the schema is current). 0 or -1. */
static int
query_ints(struct reg_store *st, const char *sql, const char *what,
    long long *a, long long *b)
{
	struct reg_stmt *s;
	int r;

	if ((s = st->be->prepare(st, sql, what)) == NULL)
		return -1;
	if ((r = reg_step(st, s, what)) == REG_ROW) {
		*a = reg_col_int(st, s, 0);
		if (b != NULL)
			*b = reg_col_int(st, s, 1);
	} else if (r == REG_DONE) {
		r = reg_fail(st, "%s: no row", what);
	}
	st->be->finalize(s);
	return r < 0 ? -1 : 0;
}

/*
 * The schema version: the newest migration applied, 0 for an empty
 * database, -1 on error (also when the database holds tables of
 * something else, which tether must not write into).
 */
static int
schema_version(struct reg_store *st, long long *version)
{
	const char *what = "cannot read the database schema";
	long long ours = 0, tables = 0;

	if (query_ints(st, st->be->schema->tables, what, &ours, &tables) < 0)
		return -1;
	if (ours == 0) {
		if (tables != 0)
			return reg_fail(st, "%s%s", st->name,
			    st->be->schema->foreign);
		*version = 0;
		return 0;
	}
	return query_ints(st, reg_sql_version,
	    "cannot read the schema version", version, NULL);
}

/* Applies the migrations after version, with the open transaction. */
static int
apply(struct reg_store *st, long long version, const char *what)
{
	const struct reg_backend *be = st->be;
	struct reg_stmt *s;
	int rc = 0;

	if (be->exec(st, be->schema->table, what) < 0 ||
	    (s = be->prepare(st, reg_sql_migration_put, what)) == NULL)
		return -1;
	for (size_t i = 0; i < be->schema->count && rc == 0; i++) {
		const struct reg_migration *m = &be->schema->migrations[i];

		if (m->version <= version)
			continue;
		if (be->exec(st, m->sql, what) < 0) {
			rc = -1;
			break;
		}
		reg_bind_int(st, s, 1, m->version);
		reg_bind_text(st, s, 2, m->name);
		reg_bind_int(st, s, 3, reg_now_ms());
		rc = reg_run(st, s, what);
	}
	be->finalize(s);
	return rc;
}

/*
 * The common case, an up-to-date database, takes no write lock.
 * Otherwise the version is read again inside the transaction (under the
 * backend's lock): of several processes opening a new database at once,
 * the first migrates and the others find nothing left to do.
 */
int
reg_migrate(struct reg_store *st)
{
	const struct reg_backend *be = st->be;
	const int latest =
	    be->schema->migrations[be->schema->count - 1].version;
	const char *what = "cannot update the database schema";
	long long version;
	int saved, rc;

	if (schema_version(st, &version) < 0)
		return -1;
	if (version == latest)
		return 0;
	if (reg_begin(st, what) < 0)
		return -1;
	/* A migration may rewrite a large table, and another process's may
	 * hold the lock as long: wait as long as that takes (a dead server
	 * is still found by TCP keepalives). */
	saved = st->timeout_ms;
	st->timeout_ms = 0;
	if ((be->schema->lock != NULL &&
	    be->exec(st, be->schema->lock, what) < 0) ||
	    schema_version(st, &version) < 0)
		rc = -1;
	else if (version > latest)
		rc = reg_fail(st, "the schema of %s is version %lld, newer than "
		    "this tether knows (%d): upgrade tether", st->name,
		    version, latest);
	else
		rc = apply(st, version, what) == 0 ? reg_commit(st, what) : -1;
	if (rc < 0)
		reg_rollback(st);
	st->timeout_ms = saved;
	return rc;
}

/* see registry.h */
int
reg_migrations_applied(struct reg_store *st,
    void (*fn)(void *, const struct reg_migration_row *), void *arg)
{
	const char *what = "cannot read the schema version";
	struct reg_stmt *s = reg_stmt(st, Q_MIGRATIONS);
	int r, n = 0;

	if (reg_ready(st, what) < 0)
		return -1;
	while ((r = reg_step(st, s, what)) == REG_ROW) {
		struct reg_migration_row m = {
			.version = (int)reg_col_int(st, s, 0),
			.applied_at = reg_col_int(st, s, 2),
		};

		reg_copy(m.name, sizeof(m.name), reg_col_text(st, s, 1));
		fn(arg, &m);
		n++;
	}
	reg_reset(st, s);
	return r < 0 ? -1 : n;
}

/* see registry.h; every backend's list ends at the same version */
int
reg_schema_latest(void)
{
	const struct reg_schema *s = &reg_sqlite_schema;

	return s->migrations[s->count - 1].version;
}
