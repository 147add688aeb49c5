/*
 * sqlite.c - the registry on SQLite: one database file in WAL mode,
 * every write a transaction that is on disk (synchronous=FULL) before the
 * call returns, every statement prepared once per handle.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "tether.h"
#include "registry/devid.h"
#include "registry/keyfile.h"
#include "registry/random.h"
#include "registry/registry.h"
#include "registry/schema.h"

#define BUSY_TIMEOUT_MS	5000
/* How often a fresh id or credential is drawn when it collides with one
 * already registered; 40-bit ids collide now and then in big fleets, so
 * a few draws always suffice, and a run of failures means a bug. */
#define MAX_DRAWS	16
#define KEY_CHECK_TEXT	"tether registry key check v1"

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_LOOKUP,
	S_DEVICE_GET,
	S_INSERT_DEVICE,
	S_SET_STATUS,
	S_INSERT_EVENT,
	S_INSERT_AUDIT,
	S_MAX_EVENT,
	S_EVENTS_SINCE,
	S_INSERT_MSG,
	S_TOUCH,
	S_COUNT_ALL,
	S_COUNT_DEV,
	S__COUNT
};

static const char *const stmt_sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_LOOKUP] = "SELECT id, status FROM devices WHERE cred_hash = ?1",
	[S_DEVICE_GET] = "SELECT id, label, status, created_at, "
	    "coalesce(last_seen_at, 0), coalesce(last_seen_addr, '') "
	    "FROM devices WHERE id = ?1",
	[S_INSERT_DEVICE] = "INSERT INTO devices "
	    "(id, label, status, scheme, cred_hash, created_at) "
	    "VALUES (?1, ?2, 'active', 'plain', ?3, ?4)",
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
	    "VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (device_id, seq) DO NOTHING",
	[S_TOUCH] = "UPDATE devices SET last_seen_at = ?2, "
	    "last_seen_addr = ?3 WHERE id = ?1",
	[S_COUNT_ALL] = "SELECT count(*) FROM messages",
	[S_COUNT_DEV] = "SELECT count(*) FROM messages WHERE device_id = ?1",
};

struct reg_store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[S__COUNT];
	uint8_t		 key[REG_KEY_LEN];
	char		 err[REG_ERR_LEN];
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
static int
db_fail(struct reg_store *st, const char *what, int rc)
{
	int e = st->db != NULL ? sqlite3_system_errno(st->db) : 0;

	/* An I/O error means little without the system's reason: "File too
	 * large" (a size limit), "No space left on device", ... */
	if (e != 0 && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL ||
	    (rc & 0xff) == SQLITE_CANTOPEN))
		snprintf(st->err, sizeof(st->err), "%s: %s (%s)", what,
		    explain(st->db, rc), strerror(e));
	else
		snprintf(st->err, sizeof(st->err), "%s: %s", what,
		    explain(st->db, rc));
	return -1;
}

static void
done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Steps a statement that returns no rows; returns its result code. */
static int
run(struct reg_store *st, enum stmt which)
{
	sqlite3_stmt *s = st->stmt[which];
	int rc;

	rc = sqlite3_step(s);
	done(s);
	return rc;
}

static int
begin(struct reg_store *st, const char *what)
{
	int rc;

	if ((rc = run(st, S_BEGIN)) != SQLITE_DONE)
		return db_fail(st, what, rc);
	return 0;
}

/* Rolls back the open transaction, if SQLite has not already (it does
 * by itself on some errors, such as a full disk). */
static void
rollback(struct reg_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		run(st, S_ROLLBACK);
}

static int
commit(struct reg_store *st, const char *what)
{
	int rc;

	if ((rc = run(st, S_COMMIT)) != SQLITE_DONE) {
		db_fail(st, what, rc);
		rollback(st);
		return -1;
	}
	return 0;
}

static int
exec_sql(struct reg_store *st, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return db_fail(st, what, rc);
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

	if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return db_fail(st, what, rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		found = 1;
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, what, rc);
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
	if ((rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL)) != SQLITE_OK)
		return db_fail(st, what, rc);
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
	if ((rc = sqlite3_prepare_v2(st->db, "INSERT INTO schema_migrations "
	    "(version, name, applied_at) VALUES (?1, ?2, ?3)", -1, &s,
	    NULL)) != SQLITE_OK) {
		db_fail(st, what, rc);
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
		sqlite3_bind_int64(s, 3, now_ms());
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			db_fail(st, what, rc);
			goto fail;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL)) !=
	    SQLITE_OK) {
		db_fail(st, what, rc);
		goto fail;
	}
	return 0;
fail:
	sqlite3_finalize(s);
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
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

	sqlite3_extended_result_codes(st->db, 1);
	if ((rc = sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS)) != SQLITE_OK)
		return db_fail(st, what, rc);
	if (exec_sql(st, "PRAGMA foreign_keys = ON", what) < 0)
		return -1;
	if ((rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1,
	    &s, NULL)) != SQLITE_OK)
		return db_fail(st, what, rc);
	rc = sqlite3_step(s);
	wal = rc == SQLITE_ROW &&
	    sqlite3_stricmp((const char *)sqlite3_column_text(s, 0),
	    "wal") == 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return db_fail(st, what, rc);
	if (!wal) {
		snprintf(st->err, sizeof(st->err), "%s: the database cannot "
		    "use write-ahead logging (is it on a network file "
		    "system?)", what);
		return -1;
	}
	return exec_sql(st, "PRAGMA synchronous = FULL", what);
}

static void
key_check_value(const uint8_t key[REG_KEY_LEN], uint8_t out[REG_HASH_LEN])
{
	unsigned int len = REG_HASH_LEN;

	if (HMAC(EVP_sha256(), key, REG_KEY_LEN,
	    (const unsigned char *)KEY_CHECK_TEXT, sizeof(KEY_CHECK_TEXT) - 1,
	    out, &len) == NULL)
		memset(out, 0, REG_HASH_LEN);
}

/* Reads meta.key_check into out; returns 1, 0 when absent, -1. */
static int
key_check_read(struct reg_store *st, uint8_t out[REG_HASH_LEN])
{
	const char *what = "cannot read the database's key check";
	sqlite3_stmt *s;
	int rc, found = 0;

	if ((rc = sqlite3_prepare_v2(st->db, "SELECT value FROM meta "
	    "WHERE name = 'key_check'", -1, &s, NULL)) != SQLITE_OK)
		return db_fail(st, what, rc);
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
		return db_fail(st, what, rc);
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
	key_check_value(st->key, have);
	if (!found) {
		/* Several processes may get here at once with the same key
		 * file; the first insert wins and the rest compare. */
		int r;

		if ((r = sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO "
		    "meta (name, value) VALUES ('key_check', ?1)", -1, &s,
		    NULL)) == SQLITE_OK) {
			sqlite3_bind_blob(s, 1, have, REG_HASH_LEN,
			    SQLITE_STATIC);
			r = sqlite3_step(s);
		}
		if (r != SQLITE_DONE && r != SQLITE_OK) {
			db_fail(st, "cannot record the registry key check", r);
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
		if ((rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL)) !=
		    SQLITE_OK)
			return db_fail(st, "cannot prepare the registry's "
			    "queries", rc);
	return 0;
}

/* see registry.h */
int
reg_open(struct reg_store **out, const char *db, const char *key_file,
    char *err)
{
	struct reg_store *st;
	char what[REG_ERR_LEN];
	int rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, REG_ERR_LEN, "out of memory");
		return -1;
	}
	/* One thread uses a handle at a time (registry.h), so SQLite's
	 * per-connection mutex would only cost. */
	rc = sqlite3_open_v2(db, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(what, sizeof(what), "cannot open the database %s",
		    db);
		db_fail(st, what, rc);
		goto fail;
	}
	if (configure(st) < 0 || migrate(st, db) < 0 ||
	    load_key(st, db, key_file) < 0 || prepare_all(st) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	snprintf(err, REG_ERR_LEN, "%s", st->err);
	reg_close(st);
	return -1;
}

/* see registry.h */
void
reg_close(struct reg_store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	OPENSSL_cleanse(st->key, sizeof(st->key));
	free(st);
}

/* see registry.h */
const char *
reg_error(const struct reg_store *st)
{
	if (st == NULL)
		return "no registry handle";
	return st->err[0] != '\0' ? st->err : "no error";
}

/* see registry.h */
void
reg_credential_hash(const struct reg_store *st, const char *cred,
    size_t len, uint8_t out[REG_HASH_LEN])
{
	unsigned int olen = REG_HASH_LEN;

	/* HMAC fails only when OpenSSL cannot allocate; zeros then match
	 * no device (no stored hash is all zeros). */
	if (HMAC(EVP_sha256(), st->key, REG_KEY_LEN,
	    (const unsigned char *)cred, len, out, &olen) == NULL)
		memset(out, 0, REG_HASH_LEN);
}

static enum reg_status
status_of(const unsigned char *text)
{
	/* Anything but 'active' (a status a newer tether adds) is refused:
	 * the safe reading for an authentication decision. */
	if (text != NULL && strcmp((const char *)text, "active") == 0)
		return REG_ACTIVE;
	return REG_REVOKED;
}

static const char *
status_text(enum reg_status status)
{
	return status == REG_ACTIVE ? "active" : "revoked";
}

static void
copy_text(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src != NULL ? (const char *)src : "");
}

/* see registry.h */
int
reg_lookup(struct reg_store *st, const uint8_t hash[REG_HASH_LEN],
    char *id, enum reg_status *status)
{
	sqlite3_stmt *s = st->stmt[S_LOOKUP];
	int rc, found = 0;

	sqlite3_bind_blob(s, 1, hash, REG_HASH_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		copy_text(id, REG_ID_MAX, sqlite3_column_text(s, 0));
		*status = status_of(sqlite3_column_text(s, 1));
		found = 1;
		rc = SQLITE_DONE;
	}
	done(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, "cannot look the credential up", rc);
	return found;
}

/* see registry.h */
int
reg_device_get(struct reg_store *st, const char *id, struct reg_device *dev)
{
	sqlite3_stmt *s = st->stmt[S_DEVICE_GET];
	int rc, found = 0;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(dev, 0, sizeof(*dev));
		copy_text(dev->id, sizeof(dev->id), sqlite3_column_text(s, 0));
		copy_text(dev->label, sizeof(dev->label),
		    sqlite3_column_text(s, 1));
		dev->status = status_of(sqlite3_column_text(s, 2));
		dev->created_at = sqlite3_column_int64(s, 3);
		dev->last_seen_at = sqlite3_column_int64(s, 4);
		copy_text(dev->last_seen_addr, sizeof(dev->last_seen_addr),
		    sqlite3_column_text(s, 5));
		found = 1;
		rc = SQLITE_DONE;
	}
	done(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, "cannot read the device", rc);
	return found;
}

static int
audit(struct reg_store *st, int64_t at, const char *actor,
    const char *device_id, const char *action, const char *detail)
{
	sqlite3_stmt *s = st->stmt[S_INSERT_AUDIT];
	int rc;

	sqlite3_bind_int64(s, 1, at);
	sqlite3_bind_text(s, 2, actor != NULL ? actor : "", -1, SQLITE_STATIC);
	if (device_id != NULL)
		sqlite3_bind_text(s, 3, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, detail, -1, SQLITE_STATIC);
	if ((rc = run(st, S_INSERT_AUDIT)) != SQLITE_DONE)
		return db_fail(st, "cannot write the audit trail", rc);
	return 0;
}

/* A label prefix must leave room for "-<n>" and hold no control
 * characters, which would garble every listing that shows it. */
#define PREFIX_MAX	(REG_LABEL_MAX - 22)

static int
check_prefix(struct reg_store *st, const char *prefix)
{
	if (prefix == NULL)
		return 0;
	if (strlen(prefix) > PREFIX_MAX) {
		snprintf(st->err, sizeof(st->err), "the label prefix is "
		    "%zu bytes long; at most %d are allowed", strlen(prefix),
		    PREFIX_MAX);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)prefix; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(st->err, sizeof(st->err), "the label prefix "
			    "has a control character (byte %u at offset "
			    "%zu)", *p, (size_t)(p -
			    (const unsigned char *)prefix));
			return -1;
		}
	return 0;
}

/*
 * Draws a fresh id and credential for dev and inserts it. Returns 0,
 * 1 when they collide with a registered device (draw again), -1.
 */
static int
insert_new_device(struct reg_store *st, struct reg_new_device *dev,
    int64_t now)
{
	sqlite3_stmt *s = st->stmt[S_INSERT_DEVICE];
	uint8_t raw[TETHER_CREDENTIAL_RAW + REG_ID_RAW];
	uint8_t hash[REG_HASH_LEN];
	int rc;

	if (reg_random(raw, sizeof(raw)) != 0) {
		snprintf(st->err, sizeof(st->err), "cannot get random bytes "
		    "from the kernel: %m");
		return -1;
	}
	tether_credential_format(raw, dev->credential);
	reg_id_make(raw + TETHER_CREDENTIAL_RAW, dev->id);
	OPENSSL_cleanse(raw, sizeof(raw));
	reg_credential_hash(st, dev->credential, TETHER_CREDENTIAL_LEN, hash);

	sqlite3_bind_text(s, 1, dev->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, dev->label, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, hash, REG_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	rc = run(st, S_INSERT_DEVICE);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return 1;
	return db_fail(st, "cannot register the device", rc);
}

/* see registry.h */
int
reg_provision_ex(struct reg_store *st, size_t count, const char *label_prefix,
    const char *actor, struct reg_new_device *out,
    int (*before_commit)(void *, const struct reg_new_device *, size_t),
    void *arg)
{
	const char *what = "cannot register the devices";
	int64_t now = now_ms();
	char detail[REG_LABEL_MAX + 64];

	if (check_prefix(st, label_prefix) < 0)
		return -1;
	if (count == 0)
		return 0;
	if (begin(st, what) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		struct reg_new_device *dev = &out[i];
		int r, draws = 0;

		if (label_prefix != NULL)
			snprintf(dev->label, sizeof(dev->label), "%s-%zu",
			    label_prefix, i + 1);
		else
			dev->label[0] = '\0';
		while ((r = insert_new_device(st, dev, now)) == 1)
			if (++draws == MAX_DRAWS) {
				snprintf(st->err, sizeof(st->err), "%s: %d "
				    "fresh ids in a row were already taken",
				    what, MAX_DRAWS);
				goto fail;
			}
		if (r < 0)
			goto fail;
	}
	if (label_prefix != NULL)
		snprintf(detail, sizeof(detail), "provisioned %zu devices, "
		    "labels %s-1 to %s-%zu", count, label_prefix, label_prefix,
		    count);
	else
		snprintf(detail, sizeof(detail), "provisioned %zu devices",
		    count);
	if (audit(st, now, actor, NULL, "provision", detail) < 0)
		goto fail;
	if (before_commit != NULL && before_commit(arg, out, count) != 0) {
		snprintf(st->err, sizeof(st->err),
		    "provisioning was cancelled before the commit");
		goto fail;
	}
	if (commit(st, what) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	/* Nothing was registered: the credentials are of no use, and a
	 * secret is wiped as soon as it is of no use. */
	OPENSSL_cleanse(out, count * sizeof(*out));
	return -1;
}

/* see registry.h */
int
reg_provision(struct reg_store *st, size_t count, const char *label_prefix,
    const char *actor, struct reg_new_device *out)
{
	return reg_provision_ex(st, count, label_prefix, actor, out, NULL,
	    NULL);
}

/* see registry.h */
int
reg_set_status(struct reg_store *st, const char *id, enum reg_status status,
    const char *actor)
{
	const char *what = status == REG_REVOKED ?
	    "cannot revoke the device" : "cannot restore the device";
	sqlite3_stmt *s;
	struct reg_device dev;
	int64_t now = now_ms();
	int rc, found;

	if (begin(st, what) < 0)
		return -1;
	s = st->stmt[S_SET_STATUS];
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, status_text(status), -1, SQLITE_STATIC);
	if ((rc = run(st, S_SET_STATUS)) != SQLITE_DONE) {
		db_fail(st, what, rc);
		goto fail;
	}
	if (sqlite3_changes(st->db) == 0) {
		/* unknown, or already in that status: nothing to record */
		if ((found = reg_device_get(st, id, &dev)) < 0)
			goto fail;
		rollback(st);
		if (found == 0) {
			snprintf(st->err, sizeof(st->err), "no device has the "
			    "id '%s'", id);
			return 1;
		}
		return 0;
	}
	s = st->stmt[S_INSERT_EVENT];
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	if ((rc = run(st, S_INSERT_EVENT)) != SQLITE_DONE) {
		db_fail(st, what, rc);
		goto fail;
	}
	if (audit(st, now, actor, id, status == REG_REVOKED ? "revoke" :
	    "restore", "") < 0)
		goto fail;
	return commit(st, what);
fail:
	rollback(st);
	return -1;
}

/* see registry.h */
int
reg_changes(struct reg_store *st, int64_t *cursor,
    void (*fn)(void *arg, const char *id), void *arg)
{
	const char *what = "cannot read the change feed";
	sqlite3_stmt *s;
	int rc, n = 0;

	if (*cursor == 0) {
		s = st->stmt[S_MAX_EVENT];
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			*cursor = sqlite3_column_int64(s, 0);
			rc = SQLITE_DONE;
		}
		done(s);
		return rc == SQLITE_DONE ? 0 : db_fail(st, what, rc);
	}
	s = st->stmt[S_EVENTS_SINCE];
	sqlite3_bind_int64(s, 1, *cursor);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(s, 1);

		*cursor = sqlite3_column_int64(s, 0);
		if (id == NULL)		/* the feed's start marker */
			continue;
		fn(arg, (const char *)id);
		n++;
	}
	done(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, what, rc);
	return n;
}

/* see registry.h */
int
reg_store_messages(struct reg_store *st, struct reg_message *msgs, size_t n)
{
	static const uint8_t empty[1];
	const char *what = "cannot store the messages";
	const char *last = NULL;
	int64_t now = now_ms();
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
	if (begin(st, what) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct reg_message *m = &msgs[i];
		const char *peer = m->peer != NULL ? m->peer : "";

		s = st->stmt[S_INSERT_MSG];
		sqlite3_bind_text(s, 1, m->device_id, -1, SQLITE_STATIC);
		if (m->seq >= 0)
			sqlite3_bind_int64(s, 2, m->seq);
		sqlite3_bind_int64(s, 3, now);
		sqlite3_bind_text(s, 4, peer, -1, SQLITE_STATIC);
		/* a NULL pointer would bind SQL NULL, not an empty body */
		sqlite3_bind_blob(s, 5, m->len > 0 ? m->body : empty,
		    (int)m->len, SQLITE_STATIC);
		if ((rc = run(st, S_INSERT_MSG)) != SQLITE_DONE) {
			db_fail(st, what, rc);
			goto fail;
		}
		m->duplicate = sqlite3_changes(st->db) == 0;

		/* Messages of one device tend to come together; its
		 * last-seen row is written once for a run of them. */
		if (last != NULL && strcmp(last, m->device_id) == 0)
			continue;
		last = m->device_id;
		s = st->stmt[S_TOUCH];
		sqlite3_bind_text(s, 1, m->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_text(s, 3, peer, -1, SQLITE_STATIC);
		if ((rc = run(st, S_TOUCH)) != SQLITE_DONE) {
			db_fail(st, what, rc);
			goto fail;
		}
	}
	if (commit(st, what) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	for (size_t i = 0; i < n; i++)
		msgs[i].duplicate = 0;
	return -1;
}

/* see registry.h */
long long
reg_count_messages(struct reg_store *st, const char *device_id)
{
	sqlite3_stmt *s;
	long long count = -1;
	int rc;

	if (device_id == NULL) {
		s = st->stmt[S_COUNT_ALL];
	} else {
		s = st->stmt[S_COUNT_DEV];
		sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		count = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	done(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, "cannot count the messages", rc);
	return count;
}
