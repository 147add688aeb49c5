/*
 * sqlite.c - the registry on SQLite: one database file in WAL mode,
 * every write a transaction that is on disk (synchronous=FULL) before the
 * call returns (except on the gateway's storing handle, whose caller syncs
 * the log itself: reg_store_defer_sync), every statement prepared once
 * per handle. This file opens,
 * migrates and authenticates and stores messages; sqlite_devices.c
 * administers devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "registry/keyfile.h"
#include "registry/registry.h"
#include "registry/registry_int.h"
#include "registry/schema.h"
#include "registry/seqset.h"
#include "registry/sqlite_int.h"

#define BUSY_TIMEOUT_MS	5000

static int sq_store_prepare(struct reg_store *st);

const char *const reg_stmt_sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_LOOKUP] = "SELECT id, status FROM devices WHERE cred_hash = ?1",
	[S_DEVICE_GET] = DEVICE_COLUMNS "FROM devices WHERE id = ?1",
	[S_INSERT_DEVICE] = "INSERT INTO devices "
	    "(id, label, status, scheme, cred_hash, created_at, mac, "
	    "credential_at, batch) "
	    "VALUES (?1, ?2, 'active', ?3, ?4, ?5, ?6, ?5, ?7)",
	[S_SET_STATUS] = "UPDATE devices SET status = ?2 "
	    "WHERE id = ?1 AND status <> ?2",
	[S_INSERT_EVENT] = "INSERT INTO device_events (device_id, at) "
	    "VALUES (?1, ?2)",
	[S_INSERT_AUDIT] = "INSERT INTO audit "
	    "(at, actor, device_id, action, detail) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_MAX_EVENT] = "SELECT coalesce(max(id), 0) FROM device_events",
	[S_EVENTS_SINCE] = "SELECT id, device_id FROM device_events "
	    "WHERE id > ?1 ORDER BY id",
	[S_INSERT_MSG] = "INSERT INTO messages "
	    "(device_id, seq, received_at, peer, body) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_TOUCH] = "UPDATE devices SET last_seen_at = ?2, "
	    "last_seen_addr = ?3 WHERE id = ?1",
	[S_COUNT_ALL] = "SELECT count(*) FROM messages",
	[S_COUNT_DEV] = "SELECT count(*) FROM messages WHERE device_id = ?1",
	[S_DEVICE_BY_MAC] = "SELECT id FROM devices WHERE mac = ?1",
	[S_SET_CREDENTIAL] = "UPDATE devices SET cred_hash = ?2, "
	    "credential_at = ?3 WHERE id = ?1",
	[S_SET_LABEL] = "UPDATE devices SET label = ?2 WHERE id = ?1",
	[S_DELETE_DEVICE] = "DELETE FROM devices WHERE id = ?1",
	[S_DELETE_MESSAGES] = "DELETE FROM messages WHERE device_id = ?1",
	/* a NULL parameter does not filter */
	[S_LIST] = DEVICE_COLUMNS "FROM devices "
	    "WHERE (?1 IS NULL OR status = ?1) "
	    "AND (?2 IS NULL OR label GLOB ?2) "
	    "AND (?3 IS NULL OR last_seen_at >= ?3) "
	    "AND (?4 IS NULL OR last_seen_at IS NULL OR last_seen_at < ?4) "
	    "ORDER BY rowid",
	[S_AUDIT_OF] = "SELECT id, at, actor, coalesce(device_id, ''), "
	    "action, detail FROM audit WHERE device_id = ?1 "
	    "OR id = (SELECT batch FROM devices WHERE id = ?1) "
	    "ORDER BY id DESC LIMIT ?2",
	[S_ALL_IDS] = "SELECT id FROM devices",
	[S_IDS_BY_LABEL] = "SELECT id FROM devices WHERE label = ?1 "
	    "ORDER BY rowid LIMIT ?2",
	/* the duplicate check's state (see "Duplicates" below) */
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

/* Sets the handle's error to "<what>: <cause>" and returns -1. */
int
reg_db_fail(struct reg_store *st, const char *what, int rc)
{
	int e = st->sq->db != NULL ? sqlite3_system_errno(st->sq->db) : 0;

	/* An I/O error means little without the system's reason: "File too
	 * large" (a size limit), "No space left on device", ... */
	if (e != 0 && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL ||
	    (rc & 0xff) == SQLITE_CANTOPEN))
		snprintf(st->err, sizeof(st->err), "%s: %s (%s)", what,
		    explain(st->sq->db, rc), strerror(e));
	else
		snprintf(st->err, sizeof(st->err), "%s: %s", what,
		    explain(st->sq->db, rc));
	return -1;
}

void
reg_db_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Steps a statement that returns no rows; returns its result code. */
int
reg_db_run(struct reg_store *st, enum stmt which)
{
	sqlite3_stmt *s = st->sq->stmt[which];
	int rc;

	rc = sqlite3_step(s);
	reg_db_done(s);
	return rc;
}

int
reg_db_begin(struct reg_store *st, const char *what)
{
	int rc;

	if ((rc = reg_db_run(st, S_BEGIN)) != SQLITE_DONE)
		return reg_db_fail(st, what, rc);
	return 0;
}

/* Rolls back the open transaction, if SQLite has not already (it does
 * by itself on some errors, such as a full disk). */
void
reg_db_rollback(struct reg_store *st)
{
	if (!sqlite3_get_autocommit(st->sq->db))
		reg_db_run(st, S_ROLLBACK);
}

int
reg_db_commit(struct reg_store *st, const char *what)
{
	int rc;

	if ((rc = reg_db_run(st, S_COMMIT)) != SQLITE_DONE) {
		reg_db_fail(st, what, rc);
		reg_db_rollback(st);
		return -1;
	}
	return 0;
}

static int
exec_sql(struct reg_store *st, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(st->sq->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return reg_db_fail(st, what, rc);
	return 0;
}

/*
 * Runs a one-row, one-integer query. Returns 1 with *out set, 0 when it
 * gives no row, -1 on error.
 */
static int
query_int(struct reg_store *st, const char *sql, const char *what,
    int64_t *out)
{
	sqlite3_stmt *s;
	int rc, found = 0;

	if ((rc = sqlite3_prepare_v2(st->sq->db, sql, -1, &s, NULL)) !=
	    SQLITE_OK)
		return reg_db_fail(st, what, rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		found = 1;
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, what, rc);
	return found;
}

/*
 * The schema version: the newest migration applied, 0 for an empty
 * database, -1 on error (also when the file holds tables of something
 * else, which tether must not write into).
 */
static int
schema_version(struct reg_store *st, const char *db, int64_t *version)
{
	int64_t n;

	if (query_int(st, "SELECT count(*) FROM sqlite_schema WHERE "
	    "type = 'table' AND name = 'schema_migrations'",
	    "cannot read the database schema", &n) < 0)
		return -1;
	if (n == 0) {
		if (query_int(st, "SELECT count(*) FROM sqlite_schema",
		    "cannot read the database schema", &n) < 0)
			return -1;
		if (n != 0) {
			snprintf(st->err, sizeof(st->err), "%s is an SQLite "
			    "database of something else (it has tables, but "
			    "not tether's); name another file", db);
			return -1;
		}
		*version = 0;
		return 0;
	}
	if (query_int(st, "SELECT coalesce(max(version), 0) "
	    "FROM schema_migrations", "cannot read the schema version",
	    version) < 0)
		return -1;
	return 0;
}

/*
 * Brings the schema up to date. The common case, an up-to-date database,
 * takes no write lock. Otherwise the missing migrations run in one
 * BEGIN IMMEDIATE transaction, and the version is read again inside it:
 * of several processes opening a new database at once, the first migrates
 * and the others find nothing left to do.
 */
static int
migrate(struct reg_store *st, const char *db)
{
	const int latest = reg_migrations[reg_migration_count - 1].version;
	const char *what = "cannot update the database schema";
	sqlite3_stmt *s = NULL;
	int64_t version;
	int rc;

	if (schema_version(st, db, &version) < 0)
		return -1;
	if (version == latest)
		return 0;
	if ((rc = sqlite3_exec(st->sq->db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL)) != SQLITE_OK)
		return reg_db_fail(st, what, rc);
	if (schema_version(st, db, &version) < 0)
		goto fail;
	if (version > latest) {
		snprintf(st->err, sizeof(st->err), "the schema of %s is "
		    "version %lld, newer than this tether knows (%d): "
		    "upgrade tether", db, (long long)version, latest);
		goto fail;
	}
	if (exec_sql(st, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	    "applied_at INTEGER NOT NULL)", what) < 0)
		goto fail;
	if ((rc = sqlite3_prepare_v2(st->sq->db,
	    "INSERT INTO schema_migrations "
	    "(version, name, applied_at) VALUES (?1, ?2, ?3)", -1, &s,
	    NULL)) != SQLITE_OK) {
		reg_db_fail(st, what, rc);
		goto fail;
	}
	for (size_t i = 0; i < reg_migration_count; i++) {
		const struct reg_migration *m = &reg_migrations[i];

		if (m->version <= version)
			continue;
		if (exec_sql(st, m->sql, what) < 0)
			goto fail;
		sqlite3_bind_int(s, 1, m->version);
		sqlite3_bind_text(s, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, reg_now_ms());
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			reg_db_fail(st, what, rc);
			goto fail;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = sqlite3_exec(st->sq->db, "COMMIT", NULL, NULL, NULL)) !=
	    SQLITE_OK) {
		reg_db_fail(st, what, rc);
		goto fail;
	}
	return 0;
fail:
	sqlite3_finalize(s);
	if (!sqlite3_get_autocommit(st->sq->db))
		sqlite3_exec(st->sq->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
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
	sqlite3_stmt *s;
	int rc, wal;

	sqlite3_extended_result_codes(st->sq->db, 1);
	if ((rc = sqlite3_busy_timeout(st->sq->db, BUSY_TIMEOUT_MS)) !=
	    SQLITE_OK)
		return reg_db_fail(st, what, rc);
	if (exec_sql(st, "PRAGMA foreign_keys = ON", what) < 0)
		return -1;
	if ((rc = sqlite3_prepare_v2(st->sq->db, "PRAGMA journal_mode = WAL",
	    -1, &s, NULL)) != SQLITE_OK)
		return reg_db_fail(st, what, rc);
	rc = sqlite3_step(s);
	wal = rc == SQLITE_ROW &&
	    sqlite3_stricmp((const char *)sqlite3_column_text(s, 0),
	    "wal") == 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return reg_db_fail(st, what, rc);
	if (!wal) {
		snprintf(st->err, sizeof(st->err), "%s: the database cannot "
		    "use write-ahead logging (is it on a network file "
		    "system?)", what);
		return -1;
	}
	return exec_sql(st, "PRAGMA synchronous = FULL", what);
}

/* Reads meta.key_check into out; returns 1, 0 when absent, -1. */
static int
key_check_read(struct reg_store *st, uint8_t out[REG_HASH_LEN])
{
	const char *what = "cannot read the database's key check";
	sqlite3_stmt *s;
	int rc, found = 0;

	if ((rc = sqlite3_prepare_v2(st->sq->db, "SELECT value FROM meta "
	    "WHERE name = 'key_check'", -1, &s, NULL)) != SQLITE_OK)
		return reg_db_fail(st, what, rc);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) == REG_HASH_LEN) {
			memcpy(out, sqlite3_column_blob(s, 0), REG_HASH_LEN);
			found = 1;
		} else {
			/* a damaged value: compare against zeros, which
			 * never match, rather than trust it */
			memset(out, 0, REG_HASH_LEN);
			found = 1;
		}
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, what, rc);
	return found;
}

/*
 * Loads the registry key and checks that it is the database's: a
 * database remembers a keyed hash of a fixed text, written when its first
 * key was used. A missing key file is made only for a database that has
 * no key yet; otherwise a fresh key would silently refuse every device.
 */
static int
load_key(struct reg_store *st, const char *db, const char *key_file)
{
	uint8_t want[REG_HASH_LEN] = { 0 }, have[REG_HASH_LEN];
	char *path = NULL;
	const char *kf = key_file;
	int found, rc = -1;
	sqlite3_stmt *s = NULL;

	if (kf == NULL) {
		size_t len = strlen(db) + sizeof(".key");

		if ((path = malloc(len)) == NULL) {
			snprintf(st->err, sizeof(st->err), "out of memory");
			return -1;
		}
		snprintf(path, len, "%s.key", db);
		kf = path;
	}
	if ((found = key_check_read(st, want)) < 0)
		goto out;
	switch (reg_key_load(kf, !found, st->key, st->err)) {
	case REG_KEY_LOADED:
	case REG_KEY_CREATED:
		break;
	case REG_KEY_MISSING:
		snprintf(st->err, sizeof(st->err), "the registry key file %s "
		    "is missing, but %s already has a key: restore the key "
		    "file, or name the one it was made with", kf, db);
		goto out;
	default:
		goto out;
	}
	reg_key_check_value(st->key, have);
	if (!found) {
		/* Several processes may get here at once with the same key
		 * file; the first insert wins and the rest compare. */
		int r;

		if ((r = sqlite3_prepare_v2(st->sq->db, "INSERT OR IGNORE INTO "
		    "meta (name, value) VALUES ('key_check', ?1)", -1, &s,
		    NULL)) == SQLITE_OK) {
			sqlite3_bind_blob(s, 1, have, REG_HASH_LEN,
			    SQLITE_STATIC);
			r = sqlite3_step(s);
		}
		if (r != SQLITE_DONE && r != SQLITE_OK) {
			reg_db_fail(st, "cannot record the registry key check", r);
			goto out;
		}
		if ((found = key_check_read(st, want)) < 0)
			goto out;
	}
	if (CRYPTO_memcmp(want, have, REG_HASH_LEN) != 0) {
		snprintf(st->err, sizeof(st->err), "the registry key file %s "
		    "is not the key %s was made with: every device would be "
		    "refused; name the right key file", kf, db);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	free(path);
	return rc;
}

static int
prepare_all(struct reg_store *st)
{
	int rc;

	for (int i = 0; i < S__COUNT; i++)
		if ((rc = sqlite3_prepare_v3(st->sq->db, reg_stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->sq->stmt[i], NULL)) !=
		    SQLITE_OK)
			return reg_db_fail(st, "cannot prepare the registry's "
			    "queries", rc);
	return 0;
}

/* Frees the SQLite part of a handle. */
static void
sq_close(struct reg_store *st)
{
	if (st->sq == NULL)
		return;
	/* Saves the duplicate check's state, so the next start reads back
	 * nothing; if this fails, the next start reads back more. Preparing
	 * does exactly that: it brings the state in step first (another
	 * process may have stored or deleted since, and a stale view must
	 * not be saved), then saves it in a transaction of its own. */
	if (st->sq->seqs_loaded && seqset_changed(st->sq->seqs) > 0)
		(void)sq_store_prepare(st);
	seqset_free(st->sq->seqs);
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->sq->stmt[i]);
	sqlite3_close(st->sq->db);
	free(st->sq);
	st->sq = NULL;
}

static const struct reg_ops sq_ops;

/* see registry_int.h */
int
reg_sq_open(struct reg_store *st, const char *db, const char *key_file)
{
	char what[REG_ERR_LEN];
	int rc;

	st->ops = &sq_ops;
	if ((st->sq = calloc(1, sizeof(*st->sq))) == NULL) {
		snprintf(st->err, sizeof(st->err), "out of memory");
		return -1;
	}
	/* One thread uses a handle at a time (registry.h), so SQLite's
	 * per-connection mutex would only cost. */
	rc = sqlite3_open_v2(db, &st->sq->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(what, sizeof(what), "cannot open the database %s",
		    db);
		return reg_db_fail(st, what, rc);
	}
	if (configure(st) < 0 || migrate(st, db) < 0 ||
	    load_key(st, db, key_file) < 0 || prepare_all(st) < 0)
		return -1;
	return 0;
}

void
reg_db_copy(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src != NULL ? (const char *)src : "");
}

static int
sq_lookup(struct reg_store *st, const uint8_t hash[REG_HASH_LEN],
    char *id, enum reg_status *status)
{
	sqlite3_stmt *s = st->sq->stmt[S_LOOKUP];
	int rc, found = 0;

	sqlite3_bind_blob(s, 1, hash, REG_HASH_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		reg_db_copy(id, REG_ID_MAX, sqlite3_column_text(s, 0));
		*status = reg_status_parse(
		    (const char *)sqlite3_column_text(s, 1));
		found = 1;
		rc = SQLITE_DONE;
	}
	reg_db_done(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, "cannot look the credential up", rc);
	return found;
}

static int
sq_changes(struct reg_store *st, int64_t *cursor,
    void (*fn)(void *arg, const char *id), void *arg)
{
	const char *what = "cannot read the change feed";
	sqlite3_stmt *s;
	int rc, n = 0;

	if (*cursor == 0) {
		s = st->sq->stmt[S_MAX_EVENT];
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			*cursor = sqlite3_column_int64(s, 0);
			rc = SQLITE_DONE;
		}
		reg_db_done(s);
		return rc == SQLITE_DONE ? 0 : reg_db_fail(st, what, rc);
	}
	s = st->sq->stmt[S_EVENTS_SINCE];
	sqlite3_bind_int64(s, 1, *cursor);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(s, 1);

		*cursor = sqlite3_column_int64(s, 0);
		if (id == NULL)		/* the feed's start marker */
			continue;
		fn(arg, (const char *)id);
		n++;
	}
	reg_db_done(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, what, rc);
	return n;
}

/*
 * Duplicates. A message with an X-Tether-Seq is stored once per (device,
 * seq). The check runs in memory (seqset.h) on the handle that stores,
 * brought in step with the table under each batch's write lock:
 * - at first use, or when meta.message_seqs_epoch changed (some device's
 *   messages were deleted), the snapshot in message_seqs is loaded and the
 *   messages after meta.message_seqs_upto are read back;
 * - messages another handle stored since (max(id) is past what this
 *   handle has seen) are read back;
 * - every SEQS_SAVE_MS, or when SEQS_SAVE_DEVICES devices changed, the
 *   changed devices are written to message_seqs in the batch's own
 *   transaction, so a restart reads back at most that much.
 * A batch that fails drops the state; the next one loads it again.
 */
#define SEQS_SAVE_MS		10000
/* Saves are by time: each changed device is one row write into a table
 * ordered by id (a random page), so saving often would bring back the
 * cost the index had. This bounds only the memory of a flood of new
 * devices between two saves. */
#define SEQS_SAVE_DEVICES	65536
/* A read-back this long (an upgraded database, a crash long after the
 * last save) is saved at once, so the next start does not repeat it. */
#define SEQS_SAVE_READ_BACK	10000

static const char seqs_read_what[] =
    "cannot read the stored messages' sequence numbers";

static int
seqs_read_back(struct reg_store *st, int64_t after)
{
	sqlite3_stmt *s = st->sq->stmt[S_SEQ_SCAN];
	long long rows = 0;
	int rc;

	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(s, 0);

		if (id != NULL && seqset_add(st->sq->seqs, (const char *)id,
		    sqlite3_column_int64(s, 1)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		rows++;
	}
	reg_db_done(s);
	if (rows >= SEQS_SAVE_READ_BACK)
		st->sq->seqs_save_now = 1;
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, seqs_read_what, rc);
	return 0;
}

static int
seqs_load(struct reg_store *st)
{
	sqlite3_stmt *s = st->sq->stmt[S_SEQ_ROWS];
	int rc;

	seqset_clear(st->sq->seqs);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(s, 0);
		const void *blob = sqlite3_column_blob(s, 1);

		if (id != NULL && seqset_load(st->sq->seqs, (const char *)id,
		    blob, (size_t)sqlite3_column_bytes(s, 1)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	reg_db_done(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, seqs_read_what, rc);
	return 0;
}

/* Brings the duplicate check in step with the table (in a transaction). */
static int
seqs_sync(struct reg_store *st)
{
	struct reg_sqlite *sq = st->sq;
	sqlite3_stmt *s = sq->stmt[S_SEQ_STATE];
	int64_t max_id, epoch, upto;
	int rc;

	if (sq->seqs == NULL && (sq->seqs = seqset_new()) == NULL) {
		snprintf(st->err, sizeof(st->err), "out of memory");
		return -1;
	}
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		reg_db_done(s);
		return reg_db_fail(st, "cannot read the message store's state",
		    rc);
	}
	max_id = sqlite3_column_int64(s, 0);
	epoch = sqlite3_column_int64(s, 1);
	upto = sqlite3_column_int64(s, 2);
	reg_db_done(s);
	/* max(id) below what this handle has seen: the newest messages
	 * were deleted behind its back (forget bumps the epoch; anything
	 * else deleting from messages may not) and their ids come again. */
	if (!sq->seqs_loaded || epoch != sq->seqs_epoch ||
	    max_id < sq->seqs_upto) {
		if (seqs_load(st) < 0)
			return -1;
		sq->seqs_loaded = 1;
		sq->seqs_epoch = epoch;
		sq->seqs_upto = upto;
		sq->seqs_saved_ms = reg_mono_us() / 1000;
		if (upto > max_id) {
			/* The newest messages were deleted, so their ids
			 * will be used again: the snapshot must not claim
			 * them. */
			sq->seqs_upto = max_id;
			sq->seqs_save_now = 1;
		}
	}
	if (max_id > sq->seqs_upto) {
		if (seqs_read_back(st, sq->seqs_upto) < 0)
			return -1;
		sq->seqs_upto = max_id;
	}
	return 0;
}

static int
seqs_put(void *arg, const char *device, const void *blob, size_t len)
{
	struct reg_store *st = arg;
	sqlite3_stmt *s = st->sq->stmt[S_SEQ_PUT];
	int rc;

	sqlite3_bind_text(s, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, blob, (int)len, SQLITE_STATIC);
	rc = reg_db_run(st, S_SEQ_PUT);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* Writes the snapshot when it is due (or always, with force). */
static int
seqs_save(struct reg_store *st, int force)
{
	struct reg_sqlite *sq = st->sq;
	int64_t now = reg_mono_us() / 1000;
	const char *what = "cannot save the stored messages' sequence numbers";
	size_t changed = seqset_changed(sq->seqs);
	int rc;

	if (!force && !sq->seqs_save_now && changed < SEQS_SAVE_DEVICES &&
	    now - sq->seqs_saved_ms < SEQS_SAVE_MS)
		return 0;
	if (changed > 0 || sq->seqs_save_now) {
		if ((rc = seqset_flush(sq->seqs, seqs_put, st)) != 0)
			return reg_db_fail(st, what, rc);
		sqlite3_bind_int64(sq->stmt[S_SEQ_SET_UPTO], 1, sq->seqs_upto);
		if ((rc = reg_db_run(st, S_SEQ_SET_UPTO)) != SQLITE_DONE)
			return reg_db_fail(st, what, rc);
	}
	sq->seqs_saved_ms = now;
	sq->seqs_save_now = 0;
	return 0;
}

static int
sq_store_prepare(struct reg_store *st)
{
	const char *what = "cannot prepare the message store";

	if (reg_db_begin(st, what) < 0)
		return -1;
	if (seqs_sync(st) < 0 || seqs_save(st, 1) < 0 ||
	    reg_db_commit(st, what) < 0) {
		reg_db_rollback(st);
		st->sq->seqs_loaded = 0;
		return -1;
	}
	return 0;
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
	sqlite3_filename db = sqlite3_db_filename(st->sq->db, "main");
	const char *wal;

	*fd = -1;
	if (db == NULL || db[0] == '\0' ||
	    (wal = sqlite3_filename_wal(db)) == NULL || wal[0] == '\0')
		return 0;	/* a temporary database: keep FULL */
	if ((*fd = open(wal, O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(st->err, sizeof(st->err), "%s %s: %s", what, wal,
		    strerror(errno));
		return -1;
	}
	if (exec_sql(st, "PRAGMA synchronous = NORMAL", what) < 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 1;
}

static int
sq_store_messages(struct reg_store *st, struct reg_message *msgs, size_t n)
{
	static const uint8_t empty[1];
	const char *what = "cannot store the messages";
	struct reg_sqlite *sq = st->sq;
	struct reg_touch done[REG_TOUCH_BATCH];
	size_t ndone = 0;
	int64_t now = reg_now_ms();
	sqlite3_stmt *s;
	int rc;

	for (size_t i = 0; i < n; i++) {
		msgs[i].duplicate = 0;
		if (msgs[i].len > INT_MAX) {
			snprintf(st->err, sizeof(st->err), "%s: a message of "
			    "%zu bytes is too large", what, msgs[i].len);
			return -1;
		}
	}
	if (n == 0)
		return 0;
	if (reg_db_begin(st, what) < 0)
		return -1;
	if (seqs_sync(st) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct reg_message *m = &msgs[i];
		const char *peer = m->peer != NULL ? m->peer : "";

		if (m->seq >= 0 && seqset_has(sq->seqs, m->device_id, m->seq)) {
			m->duplicate = 1;
		} else {
			s = sq->stmt[S_INSERT_MSG];
			sqlite3_bind_text(s, 1, m->device_id, -1, SQLITE_STATIC);
			if (m->seq >= 0)
				sqlite3_bind_int64(s, 2, m->seq);
			sqlite3_bind_int64(s, 3, now);
			sqlite3_bind_text(s, 4, peer, -1, SQLITE_STATIC);
			/* a NULL pointer would bind SQL NULL, not an empty
			 * body */
			sqlite3_bind_blob(s, 5, m->len > 0 ? m->body : empty,
			    (int)m->len, SQLITE_STATIC);
			if ((rc = reg_db_run(st, S_INSERT_MSG)) != SQLITE_DONE) {
				reg_db_fail(st, what, rc);
				goto fail;
			}
			sq->seqs_upto = sqlite3_last_insert_rowid(sq->db);
			if (m->seq >= 0 &&
			    seqset_add(sq->seqs, m->device_id, m->seq) < 0) {
				snprintf(st->err, sizeof(st->err), "%s: out of "
				    "memory", what);
				goto fail;
			}
		}

		/* Last seen: at most once per REG_TOUCH_MS per device (see
		 * registry_int.h); remembered only once the commit is done. */
		if (!reg_touch_due(st, done, &ndone, m->device_id, peer, now))
			continue;
		s = sq->stmt[S_TOUCH];
		sqlite3_bind_text(s, 1, m->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_text(s, 3, peer, -1, SQLITE_STATIC);
		if ((rc = reg_db_run(st, S_TOUCH)) != SQLITE_DONE) {
			reg_db_fail(st, what, rc);
			goto fail;
		}
	}
	if (seqs_save(st, 0) < 0 || reg_db_commit(st, what) < 0)
		goto fail;
	reg_touch_commit(st, done, ndone);
	return 0;
fail:
	reg_db_rollback(st);
	sq->seqs_loaded = 0;
	for (size_t i = 0; i < n; i++)
		msgs[i].duplicate = 0;
	return -1;
}

static int
sq_migrations(struct reg_store *st,
    void (*fn)(void *, const struct reg_migration_row *), void *arg)
{
	sqlite3_stmt *s;
	int rc, n = 0;

	rc = sqlite3_prepare_v2(st->sq->db, "SELECT version, name, applied_at "
	    "FROM schema_migrations ORDER BY version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return reg_db_fail(st, "cannot read the schema version", rc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct reg_migration_row m = {
			.version = sqlite3_column_int(s, 0),
			.applied_at = sqlite3_column_int64(s, 2),
		};

		reg_db_copy(m.name, sizeof(m.name), sqlite3_column_text(s, 1));
		fn(arg, &m);
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, "cannot read the schema version", rc);
	return n;
}

/* SQLite has no notifications: the caller polls the feed on its clock. */
static int
sq_wait_changes(struct reg_store *st, int timeout_ms)
{
	(void)st;
	(void)timeout_ms;
	return 0;
}

static long long
sq_count_messages(struct reg_store *st, const char *device_id)
{
	sqlite3_stmt *s;
	long long count = -1;
	int rc;

	if (device_id == NULL) {
		s = st->sq->stmt[S_COUNT_ALL];
	} else {
		s = st->sq->stmt[S_COUNT_DEV];
		sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		count = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	reg_db_done(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, "cannot count the messages", rc);
	return count;
}

static const struct reg_ops sq_ops = {
	.close = sq_close,
	.lookup = sq_lookup,
	.provision_batch = reg_sq_provision_batch,
	.set_status = reg_sq_set_status,
	.changes = sq_changes,
	.wait_changes = sq_wait_changes,
	.store_messages = sq_store_messages,
	.store_prepare = sq_store_prepare,
	.defer_sync = sq_defer_sync,
	.count_messages = sq_count_messages,
	.migrations = sq_migrations,
	.device_get = reg_sq_device_get,
	.rotate = reg_sq_rotate,
	.rename = reg_sq_rename,
	.forget = reg_sq_forget,
	.list = reg_sq_list,
	.audit_list = reg_sq_audit_list,
	.suggest = reg_sq_suggest,
};
