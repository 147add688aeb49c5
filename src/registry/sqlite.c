/* SPDX-License-Identifier: MIT */
/*
 * sqlite.c - the registry on SQLite: one database file in WAL mode,
 * every write a transaction that is on disk (synchronous=FULL) before the
 * call returns (except on the gateway's storing handle, whose caller syncs
 * the log itself: reg_store_defer_sync), every statement prepared once
 * per handle. This file is backend.h's primitives over SQLite's calls and
 * the connection's settings; sqlite_seqs.c stores messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "registry/backend.h"
#include "registry/registry_int.h"
#include "registry/schema.h"
#include "registry/sqlite_int.h"

#define BUSY_TIMEOUT_MS	5000

/* A backend statement is an SQLite statement. */
#define SQ(s)		((sqlite3_stmt *)(void *)(s))
#define STMT(s)		((struct reg_stmt *)(void *)(s))

const char *const reg_sq_sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	/* the duplicate check's state (sqlite_seqs.c) */
	[S_SEQ_STATE] = "SELECT coalesce((SELECT max(id) FROM messages), 0), "
	    "coalesce((SELECT value FROM meta "
	    "WHERE name = 'message_seqs_epoch'), 0), "
	    "coalesce((SELECT value FROM meta "
	    "WHERE name = 'message_seqs_upto'), 0)",
	[S_SEQ_ROWS] = "SELECT device_id, ranges FROM message_seqs",
	[S_SEQ_SCAN] = "SELECT device_id, seq FROM messages "
	    "WHERE id > ?1 AND seq IS NOT NULL ORDER BY id",
	[S_SEQ_PUT] = "INSERT OR REPLACE INTO message_seqs "
	    "(device_id, ranges) VALUES (?1, ?2)",
	[S_SEQ_SET_UPTO] = "INSERT OR REPLACE INTO meta (name, value) "
	    "VALUES ('message_seqs_upto', ?1)",
	[S_SEQ_FORGET] = "INSERT OR REPLACE INTO meta (name, value) "
	    "VALUES ('message_seqs_epoch', coalesce((SELECT value FROM meta "
	    "WHERE name = 'message_seqs_epoch'), 0) + 1)",
	[S_SEQ_DELETE] = "DELETE FROM message_seqs WHERE device_id = ?1",
	/* the blocks of a device's messages (sqlite_seqs.c, "Blocks") */
	[S_BLOCK_PUT] = "INSERT OR IGNORE INTO message_blocks "
	    "(device_id, block) VALUES (?1, ?2)",
	[S_BLOCK_FORGET] = "DELETE FROM message_blocks WHERE device_id = ?1",
	/* the oldest message's block and the one pruned below last: below
	 * the oldest message's no message is left, and none comes again
	 * (ids only grow past the newest, never pruned) */
	[S_BLOCK_FLOOR] = "SELECT (SELECT min(id) FROM messages) / "
	    REG_BLOCK_IDS_SQL ", (SELECT value FROM meta "
	    "WHERE name = 'message_blocks_floor')",
	/* a scan: the key is (device_id, block), so only when the floor
	 * moved (sqlite_seqs.c, "Blocks") */
	[S_BLOCK_PRUNE] = "DELETE FROM message_blocks WHERE block < ?1",
	[S_BLOCK_SET_FLOOR] = "INSERT OR REPLACE INTO meta (name, value) "
	    "VALUES ('message_blocks_floor', ?1)",
};

/* What an SQLite result code means for someone running tether. */
static const char *
explain(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "the database is locked by another process "
		    "(gave up after 5 seconds)";
	case SQLITE_FULL:
		return "the disk is full";
	case SQLITE_READONLY:
		return "the database is read-only (check the permissions of "
		    "the file and of its directory)";
	case SQLITE_IOERR:
		return "input/output error on the database file or its "
		    "write-ahead log";
	case SQLITE_CORRUPT:
		return "the database file is damaged";
	case SQLITE_NOTADB:
		return "the file is not an SQLite database";
	case SQLITE_CANTOPEN:
		return "the database file cannot be opened (does its "
		    "directory exist, and may this user write there?)";
	case SQLITE_NOMEM:
		return "out of memory";
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return "permission denied";
	default:
		return db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	}
}

int
reg_sq_fail(struct reg_store *st, const char *what, int rc)
{
	sqlite3 *db = reg_sq(st) != NULL ? reg_sq(st)->db : NULL;
	int e = db != NULL ? sqlite3_system_errno(db) : 0;

	/* A full disk may come as an I/O error (a WAL index that cannot be
	 * mapped, sqlite_shm.c): say what it is. */
	if ((e == ENOSPC || e == EDQUOT) && (rc & 0xff) == SQLITE_IOERR)
		rc = SQLITE_FULL;
	/* An I/O error means little without the system's reason: "File too
	 * large" (a size limit), "No space left on device", ... */
	if (e != 0 && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL ||
	    (rc & 0xff) == SQLITE_CANTOPEN))
		return reg_fail(st, "%s: %s (%s)", what, explain(db, rc),
		    strerror(e));
	return reg_fail(st, "%s: %s", what, explain(db, rc));
}

int
reg_sq_run(struct reg_store *st, enum sq_stmt which, const char *what)
{
	sqlite3_stmt *s = reg_sq(st)->own[which];
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		reg_sq_fail(st, what, rc);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/*
 * The primitives of backend.h.
 */

static struct reg_stmt *
sq_stmt(struct reg_store *st, enum reg_query q)
{
	return STMT(reg_sq(st)->q[q]);
}

static struct reg_stmt *
sq_prepare(struct reg_store *st, const char *sql, const char *what)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(reg_sq(st)->db, sql, -1, &s, NULL)) !=
	    SQLITE_OK) {
		reg_sq_fail(st, what, rc);
		sqlite3_finalize(s);
		return NULL;
	}
	return STMT(s);
}

static void
sq_finalize(struct reg_stmt *s)
{
	sqlite3_finalize(SQ(s));
}

static void
sq_bind_text(struct reg_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(SQ(s), i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(SQ(s), i);
}

static void
sq_bind_int(struct reg_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(SQ(s), i, v);
}

static void
sq_bind_blob(struct reg_stmt *s, int i, const void *v, size_t len)
{
	static const uint8_t empty[1];

	/* a NULL pointer would bind SQL NULL, not empty bytes */
	sqlite3_bind_blob(SQ(s), i, len > 0 ? v : empty, (int)len,
	    SQLITE_STATIC);
}

static int
sq_step(struct reg_store *st, struct reg_stmt *s, const char *what)
{
	int rc = sqlite3_step(SQ(s));

	if (rc == SQLITE_ROW)
		return REG_ROW;
	if (rc == SQLITE_DONE)
		return REG_DONE;
	return reg_sq_fail(st, what, rc);
}

static const char *
sq_col_text(struct reg_stmt *s, int c)
{
	return (const char *)sqlite3_column_text(SQ(s), c);
}

static int64_t
sq_col_int(struct reg_stmt *s, int c)
{
	return sqlite3_column_int64(SQ(s), c);
}

static const void *
sq_col_blob(struct reg_stmt *s, int c, size_t *len)
{
	const void *v = sqlite3_column_blob(SQ(s), c);

	*len = (size_t)sqlite3_column_bytes(SQ(s), c);
	return v;
}

static long long
sq_changed(struct reg_store *st, struct reg_stmt *s)
{
	(void)s;
	return sqlite3_changes(reg_sq(st)->db);
}

static void
sq_reset(struct reg_stmt *s)
{
	sqlite3_reset(SQ(s));
	sqlite3_clear_bindings(SQ(s));
}

static int
sq_exec(struct reg_store *st, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(reg_sq(st)->db, sql, NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return reg_sq_fail(st, what, rc);
	return 0;
}

/* BEGIN IMMEDIATE: the write lock at once, so a transaction that read
 * never fails to upgrade it. */
static int
sq_begin(struct reg_store *st, const char *what)
{
	return reg_sq_run(st, S_BEGIN, what);
}

/* Rolls back the open transaction, if SQLite has not already (it does
 * by itself on some errors, such as a full disk). */
static void
sq_rollback(struct reg_store *st)
{
	if (!sqlite3_get_autocommit(reg_sq(st)->db))
		(void)reg_sq_run(st, S_ROLLBACK, "cannot roll back");
}

static int
sq_commit(struct reg_store *st, const char *what)
{
	if (reg_sq_run(st, S_COMMIT, what) < 0) {
		sq_rollback(st);
		return -1;
	}
	return 0;
}

/*
 * Sets per-connection settings. journal_mode=WAL lets readers (the
 * gateway's lookups) run beside a writer; synchronous=FULL makes each
 * commit fsync the log, so an acknowledged message survives power loss,
 * not only a crash of the process.
 */
static int
configure(struct reg_store *st)
{
	const char *what = "cannot configure the database";
	struct reg_sqlite *sq = reg_sq(st);
	sqlite3_stmt *s;
	int rc, wal;

	sqlite3_extended_result_codes(sq->db, 1);
	if ((rc = sqlite3_busy_timeout(sq->db, BUSY_TIMEOUT_MS)) !=
	    SQLITE_OK)
		return reg_sq_fail(st, what, rc);
	if (sq_exec(st, "PRAGMA foreign_keys = ON", what) < 0)
		return -1;
	if ((rc = sqlite3_prepare_v2(sq->db, "PRAGMA journal_mode = WAL",
	    -1, &s, NULL)) != SQLITE_OK)
		return reg_sq_fail(st, what, rc);
	rc = sqlite3_step(s);
	wal = rc == SQLITE_ROW &&
	    sqlite3_stricmp((const char *)sqlite3_column_text(s, 0),
	    "wal") == 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return reg_sq_fail(st, what, rc);
	if (!wal) {
		return reg_fail(st, "%s: the database cannot use write-ahead "
		    "logging (is it on a network file system?)", what);
	}
	return sq_exec(st, "PRAGMA synchronous = FULL", what);
}

/* Prepares own[from..to) with SQLITE_PREPARE_PERSISTENT. */
static int
prepare_own(struct reg_store *st, int from, int to)
{
	struct reg_sqlite *sq = reg_sq(st);
	int rc;

	for (int i = from; i < to; i++)
		if ((rc = sqlite3_prepare_v3(sq->db, reg_sq_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &sq->own[i], NULL)) != SQLITE_OK)
			return reg_sq_fail(st, "cannot prepare the registry's "
			    "queries", rc);
	return 0;
}

static int
sq_prepare_all(struct reg_store *st)
{
	struct reg_sqlite *sq = reg_sq(st);
	char buf[REG_QUERY_MAX];
	const char *sql;
	int rc;

	for (int i = 0; i < Q__COUNT; i++) {
		if ((sql = reg_query_text(&reg_sqlite_backend, i, buf)) ==
		    NULL)
			return reg_fail(st, "cannot prepare the registry's "
			    "queries: a statement is too long");
		if ((rc = sqlite3_prepare_v3(sq->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &sq->q[i], NULL)) != SQLITE_OK)
			return reg_sq_fail(st, "cannot prepare the registry's "
			    "queries", rc);
	}
	return prepare_own(st, S_FIRST_SCHEMA, S__COUNT);
}

/*
 * Makes a missing database file private (0600, whatever the umask) before
 * SQLite would make it with the umask's mode, often 0644: every user could
 * read the message bodies. SQLite gives the -wal and -shm files it makes
 * the database file's mode, so they follow it; an existing file keeps the
 * mode its operator gave it (0640 for a group, say). An error is left to
 * sqlite3_open_v2, which says it in its words.
 */
static void
create_private(const char *path)
{
	int fd;

	if (path[0] == '\0' || strcmp(path, ":memory:") == 0)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return;
	(void)fchmod(fd, 0600);	/* a umask may have taken some of it */
	close(fd);
}

static int
sq_open(struct reg_store *st, const char *db)
{
	struct reg_sqlite *sq;
	char what[REG_ERR_LEN];
	int rc;

	if ((sq = calloc(1, sizeof(*sq))) == NULL)
		return reg_fail(st, "out of memory");
	st->db = sq;
	snprintf(st->name, sizeof(st->name), "%s", db);
	/* One thread uses a handle at a time (registry.h), so SQLite's
	 * per-connection mutex would only cost. */
	create_private(db);
	reg_sq_shm_guard();
	rc = sqlite3_open_v2(db, &sq->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(what, sizeof(what), "cannot open the database %s",
		    db);
		return reg_sq_fail(st, what, rc);
	}
	if (configure(st) < 0 || prepare_own(st, 0, S_FIRST_SCHEMA) < 0)
		return -1;
	return 0;
}

/* Frees the SQLite part of a handle. */
static void
sq_close(struct reg_store *st)
{
	struct reg_sqlite *sq = reg_sq(st);

	reg_sq_seqs_close(st);
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(sq->q[i]);
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(sq->own[i]);
	sqlite3_close(sq->db);
	free(sq);
}

/*
 * Commits on this handle stop syncing; the caller fdatasyncs the log. Safe
 * because a commit is a set of frames appended to the log and made valid
 * by its last frame's checksum: once an fdatasync that began after the
 * commit returns, the commit survives power loss as with synchronous=FULL.
 * Checkpoints still sync the log before copying it into the database and
 * the database after (synchronous=NORMAL does that), so a log that starts
 * over never loses a checkpointed commit. The log file stays the same
 * while this handle is open: SQLite deletes it only when the last
 * connection closes.
 */
static int
sq_defer_sync(struct reg_store *st, int *fd)
{
	const char *what = "cannot open the write-ahead log";
	sqlite3_filename db = sqlite3_db_filename(reg_sq(st)->db, "main");
	const char *wal;

	*fd = -1;
	if (db == NULL || db[0] == '\0' ||
	    (wal = sqlite3_filename_wal(db)) == NULL || wal[0] == '\0')
		return 0;	/* a temporary database: keep FULL */
	if ((*fd = open(wal, O_RDWR | O_CLOEXEC)) < 0) {
		int e = errno;

		/* say what it is: a database this user may not write */
		if ((e == EACCES || e == EPERM || e == EROFS) &&
		    access(db, W_OK) != 0)
			return reg_fail(st, "the database %s is read-only for "
			    "this user (the gateway writes it: check its owner "
			    "and mode, and that its file system is mounted "
			    "read-write)", db);
		if (e == EACCES || e == EPERM)
			return reg_fail(st, "%s %s: %s (this user may not "
			    "write it: check the owner and mode of it and of "
			    "%s)", what, wal, strerror(e), db);
		return reg_fail(st, "%s %s: %s", what, wal, strerror(e));
	}
	if (sq_exec(st, "PRAGMA synchronous = NORMAL", what) < 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

/* Any database string that no other backend claims is a file path. */
static int
sq_claims(const char *db)
{
	(void)db;
	return 1;
}

const struct reg_backend reg_sqlite_backend = {
	REG_PRIMITIVES(sq),
	.in_file = 1,
	.schema = &reg_sqlite_schema,
	.glob_op = "GLOB",
	.row_order = "rowid",
	/* named: the planner would take the UNIQUE index on cred_hash, and
	 * a revoked device's row would be read where an unknown one has none */
	.lookup_sql = "SELECT id FROM devices INDEXED BY devices_active_cred "
	    "WHERE cred_hash = ?1 AND status = 'active'",
	/* one writer at a time: ids are assigned in commit order */
	.read_sql = "SELECT '0', m.id, m.device_id, m.seq, m.received_at, "
	    "m.body, coalesce(d.label, ''), m.kind FROM messages m "
	    "LEFT JOIN devices d ON d.id = m.device_id WHERE m.id > ?2 "
	    "AND (?3 IS NULL OR m.device_id = ?3) "
	    "AND (?5 IS NULL OR m.received_at >= ?5) "
	    "AND (?6 IS NOT NULL OR m.kind = 0) "
	    "ORDER BY m.id LIMIT ?4",
	/* the device's blocks from the cursor's on, each a range of ids
	 * (sqlite_seqs.c, "Blocks"); in (block, id) order, which is id
	 * order, with no sort: the plan test_registry checks */
	.read_device_sql = "SELECT '0', m.id, m.device_id, m.seq, "
	    "m.received_at, m.body, coalesce(d.label, ''), m.kind "
	    "FROM message_blocks b CROSS JOIN messages m "
	    "LEFT JOIN devices d ON d.id = m.device_id "
	    "WHERE b.device_id = ?3 AND b.block >= ?2 / " REG_BLOCK_IDS_SQL
	    " AND m.id > max(?2, b.block * " REG_BLOCK_IDS_SQL " - 1) "
	    "AND m.id < (b.block + 1) * " REG_BLOCK_IDS_SQL " "
	    "AND m.device_id = ?3 AND (?5 IS NULL OR m.received_at >= ?5) "
	    "AND (?6 IS NOT NULL OR m.kind = 0) "
	    "ORDER BY b.block, m.id LIMIT ?4",
	/* ?1, the commit position, is the id here (read_sql) */
	.backlog_sql = "SELECT count(*) FROM messages WHERE id > ?2",
	.prune_sql = "DELETE FROM messages WHERE id IN (SELECT id FROM "
	    "messages ORDER BY id LIMIT ?3) AND received_at < ?1 AND id <= ?2 "
	    "AND id < (SELECT max(id) FROM messages) AND ?4 IS NOT NULL",
	.store_one = reg_sq_store_one,
	.store_begin = reg_sq_store_begin,
	.store_end = reg_sq_store_end,
	.store_abort = reg_sq_store_abort,
	.store_prepare = reg_sq_store_prepare,
	.defer_sync = sq_defer_sync,
	.messages_deleted = reg_sq_messages_deleted,
	.messages_pruned = reg_sq_messages_pruned,
};
