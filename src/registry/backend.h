/* SPDX-License-Identifier: MIT */
/*
 * backend.h - what a registry backend provides: a handful of primitives
 * (statements, transactions, announcements) over which every operation is
 * written once, in devices.c, provision.c, feed.c, keys.c, migrate.c,
 * messages.c and apps.c; and the few hooks where a backend's design really differs.
 */
#ifndef REG_BACKEND_H
#define REG_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "registry/queries.h"
#include "registry/registry.h"
#include "registry/schema.h"

struct reg_store;
/* A backend's statement: prepared once per handle for each enum
 * reg_query (reg_stmt), or for one SQL text (reg_prepare). */
struct reg_stmt;

/* What a step gives besides -1 (an error, with the handle's error set). */
#define REG_DONE	0
#define REG_ROW		1

/*
 * One backend. Statements take SQLite's placeholders (?1, ?2, ...); a
 * parameter left unbound is SQL NULL. A bound text or blob is linked in,
 * not copied: it must stay valid until the statement is stepped. Columns
 * are read between a step that gave REG_ROW and the next step or reset;
 * a text column is NULL when the value is SQL NULL.
 */
struct reg_backend {
	/* 1 if db names a database of this backend (reg_open asks each
	 * backend in turn; the last, SQLite, takes anything). */
	int		(*claims)(const char *db);
	/* Whether db is a file path (reg_db_file). */
	int		 in_file;
	/* NULL: with no key file named, the key is "<db>.key"; else the
	 * sentence reg_open fails with. */
	const char	*key_file_required;
	/* Its schema and migrations (schema.h). */
	const struct reg_schema *schema;
	/* The operator that matches a label against reg_filter.label_glob
	 * and the column that orders devices as provisioned. */
	const char	*glob_op;
	const char	*row_order;
	/* Q_LOOKUP (devices.c, reg_lookup): the id (one column) of the
	 * active device whose cred_hash is ?1, through the index of active
	 * credentials (schema.h, version 6), so that a revoked credential
	 * misses it as an unknown one does. */
	const char	*lookup_sql;
	/*
	 * Q_READ (read.c): messages after a cursor (?1 its position in the
	 * backend's commit order as text, ?2 its id), of one device (?3,
	 * NULL: all), received at or after ?5 ms (NULL: any), at most ?4,
	 * in the order the reader must take them, none that a transaction
	 * still open could precede. Columns: commit position (text), id,
	 * device_id, seq (NULL: none), received_at, body, the device's label.
	 * DESIGN.md, "Reading without skipping", proves each backend's.
	 */
	const char	*read_sql;
	/* Q_READ_DEVICE (read.c): read_sql's rows of the one device ?3 (not
	 * NULL), through the backend's index of messages by device
	 * (schema.h, version 11). */
	const char	*read_device_sql;
	/* Q_BACKLOG (forwarders.c): how many messages are after the cursor
	 * (?1, ?2 as in read_sql), one integer. */
	const char	*backlog_sql;
	/* Q_PRUNE (forwarders.c, reg_prune): deletes of the oldest ?3
	 * messages by id those received before ?1 ms, at or before the
	 * position (?4 as text, ?2 the id) of the lowest forwarder's cursor,
	 * and never the newest message. */
	const char	*prune_sql;

	/* Connects (st->db, st->name set), before the schema exists. */
	int		(*open)(struct reg_store *st, const char *db);
	/* Prepares every enum reg_query statement, once the schema is
	 * current. */
	int		(*prepare_all)(struct reg_store *st);
	/* Frees st->db (not NULL), also after a failed open. */
	void		(*close)(struct reg_store *st);
	/* Reconnects a handle whose connection broke; NULL if it cannot. */
	int		(*ready)(struct reg_store *st, const char *what);

	struct reg_stmt	*(*stmt)(struct reg_store *st, enum reg_query q);
	struct reg_stmt	*(*prepare)(struct reg_store *st, const char *sql,
			    const char *what);
	void		(*finalize)(struct reg_stmt *s);
	void		(*bind_text)(struct reg_stmt *s, int i, const char *v);
	void		(*bind_int)(struct reg_stmt *s, int i, int64_t v);
	void		(*bind_blob)(struct reg_stmt *s, int i, const void *v,
			    size_t len);
	int		(*step)(struct reg_store *st, struct reg_stmt *s,
			    const char *what);
	const char	*(*col_text)(struct reg_stmt *s, int c);
	int64_t		(*col_int)(struct reg_stmt *s, int c);
	const void	*(*col_blob)(struct reg_stmt *s, int c, size_t *len);
	/* Rows the last INSERT, UPDATE or DELETE of s changed. */
	long long	(*changed)(struct reg_store *st, struct reg_stmt *s);
	/* Ends a run and clears the bindings. */
	void		(*reset)(struct reg_stmt *s);
	/*
	 * Runs s as reg_run does (a statement whose rows and count nobody
	 * reads) and resets it, but may send it on without waiting for its
	 * answer: a failure then fails the transaction's next step or its
	 * commit. NULL: reg_run. (PostgreSQL, inside a store batch.)
	 */
	int		(*run_later)(struct reg_store *st, struct reg_stmt *s,
			    const char *what);
	/* Runs SQL of one or more statements, without parameters. */
	int		(*exec)(struct reg_store *st, const char *sql,
			    const char *what);
	/* BEGIN a write transaction; COMMIT (rolls back when it fails);
	 * ROLLBACK if one is open. */
	int		(*begin)(struct reg_store *st, const char *what);
	int		(*commit)(struct reg_store *st, const char *what);
	void		(*rollback)(struct reg_store *st);
	/*
	 * Runs s once per row i of n, bound by bind(arg, i, s); changed[i]
	 * gets the rows that run changed. NULL: reg_run_rows steps them
	 * one by one. (PostgreSQL sends them in one round trip.)
	 */
	int		(*run_rows)(struct reg_store *st, struct reg_stmt *s,
			    size_t n, int (*bind)(void *arg, size_t i,
			    struct reg_stmt *s), void *arg, long long *changed,
			    const char *what);

	/* The change feed (feed.c). announce, if not NULL, runs before a
	 * feed row is written, in its transaction; wait_changes, if not
	 * NULL, waits for an announcement (reg_wait_changes). */
	int		(*announce)(struct reg_store *st, const char *what);
	int		(*wait_changes)(struct reg_store *st, int timeout_ms);

	/* A label glob in the form glob_op reads; NULL: as it is. */
	int		(*label_pattern)(struct reg_store *st, const char *glob,
			    char *out, size_t size);

	/*
	 * The message store (messages.c), where the designs differ:
	 * store_one stores one message and sets its duplicate flag (the
	 * flag may be written as late as the commit, so m must stay put
	 * until then; a message without a seq is never a duplicate);
	 * store_begin and store_end run in the batch's transaction before
	 * and after, store_abort after a failed batch; store_prepare and
	 * defer_sync are reg_store_prepare and reg_store_defer_sync;
	 * messages_deleted runs when a device's messages were deleted, in
	 * that transaction, messages_pruned when the oldest were (reg_prune),
	 * in its. Only store_one is required.
	 */
	int		(*store_one)(struct reg_store *st,
			    struct reg_message *m, const char *peer,
			    int64_t now, const char *what);
	int		(*store_begin)(struct reg_store *st);
	int		(*store_end)(struct reg_store *st);
	void		(*store_abort)(struct reg_store *st);
	int		(*store_prepare)(struct reg_store *st);
	int		(*defer_sync)(struct reg_store *st, int *fd);
	int		(*messages_deleted)(struct reg_store *st,
			    const char *id, const char *what);
	int		(*messages_pruned)(struct reg_store *st,
			    const char *what);
};

/*
 * The primitives every backend has, each named <prefix>_<field>: a
 * backend's table starts with REG_PRIMITIVES(prefix), so one it lacks is
 * a compile error rather than a NULL call. The hooks a backend may lack
 * (ready, run_later, run_rows, announce, wait_changes, label_pattern,
 * store_*, ...)
 * follow by name.
 */
#define REG_PRIMITIVES(p) \
	.claims = p##_claims, .open = p##_open, \
	.prepare_all = p##_prepare_all, .close = p##_close, \
	.stmt = p##_stmt, .prepare = p##_prepare, .finalize = p##_finalize, \
	.bind_text = p##_bind_text, .bind_int = p##_bind_int, \
	.bind_blob = p##_bind_blob, .step = p##_step, \
	.col_text = p##_col_text, .col_int = p##_col_int, \
	.col_blob = p##_col_blob, .changed = p##_changed, \
	.reset = p##_reset, .exec = p##_exec, .begin = p##_begin, \
	.commit = p##_commit, .rollback = p##_rollback

extern const struct reg_backend reg_sqlite_backend;
extern const struct reg_backend reg_pg_backend;

#endif
