/*
 * postgres.c - the registry on PostgreSQL (libpq), for gateways on more
 * than one machine: the same tables and semantics as the SQLite backend,
 * every write one transaction, and a handle that reconnects by itself
 * after the server restarted.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "registry/keyfile.h"
#include "registry/registry.h"
#include "registry/registry_int.h"

/* Parameters of one statement, at most. */
#define PG_PARAMS_MAX		8
/* Decimal int64 with sign and NUL. */
#define PG_INT_TEXT		24
/* Seconds libpq waits for a connection before it gives up; a gateway
 * answers 503 meanwhile, so this bounds how long a request waits. */
#define PG_CONNECT_TIMEOUT	"5"
/* The advisory lock that serialises migrations of one database: of
 * several processes opening a new database at once, the first migrates
 * and the others find nothing left to do. ("tether" in ASCII.) */
#define PG_MIGRATE_LOCK		"7465746865720001"
/* Devices inserted per round trip when provisioning: few enough that
 * their results (tens of bytes each) fit the socket buffers, since libpq
 * sends the whole batch before it reads a result. */
#define PG_PIPELINE_ROWS	256
/* A glob of REG_LABEL_MAX characters as a regular expression: each
 * character becomes at most two, plus the anchors. */
#define PG_REGEX_MAX		(2 * REG_LABEL_MAX + 4)

struct reg_pg {
	PGconn		*conn;
	char		 where[128];	/* "host:port", for messages */
	int		 listening;	/* LISTEN issued on this connection */
};

/* The channel every change-feed row is announced on (pg_notify in the
 * same transaction, so it is delivered at commit). */
#define PG_CHANNEL	"tether_devices"

/* A statement's parameters: text, or binary for bytea. */
struct pg_params {
	int		 n;
	const char	*v[PG_PARAMS_MAX];
	int		 len[PG_PARAMS_MAX];
	int		 fmt[PG_PARAMS_MAX];
	char		 num[PG_PARAMS_MAX][PG_INT_TEXT];
};

static void
p_text(struct pg_params *p, const char *text)
{
	p->v[p->n] = text;	/* NULL: SQL NULL */
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static void
p_int(struct pg_params *p, int64_t v)
{
	snprintf(p->num[p->n], PG_INT_TEXT, "%" PRId64, v);
	p_text(p, p->num[p->n]);
}

static void
p_bytes(struct pg_params *p, const void *data, size_t len)
{
	static const char empty[1];

	/* a NULL pointer would bind SQL NULL, not empty bytes */
	p->v[p->n] = len > 0 ? data : empty;
	p->len[p->n] = (int)len;
	p->fmt[p->n] = 1;
	p->n++;
}

/* Sets the handle's error (a sentence; a long one is cut short). */
static void set_err(struct reg_store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_err(struct reg_store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

/* libpq prints notices ("relation already exists, skipping") to stderr;
 * a library prints nothing. */
static void
no_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/*
 * The cause in libpq's message, as a sentence: "connection to server at
 * "127.0.0.1", port 5432 failed: Connection refused\n\tIs the server..."
 * becomes "connection refused".
 */
static void
cause(PGconn *conn, char *out, size_t size)
{
	const char *m = conn != NULL ? PQerrorMessage(conn) : "out of memory";
	const char *p = strstr(m, "failed: ");
	size_t n;

	if (p != NULL)
		m = p + strlen("failed: ");
	n = strcspn(m, "\n");
	if (n == 0) {
		snprintf(out, size, "no reason given");
		return;
	}
	snprintf(out, size, "%.*s", (int)n, m);
	if (out[0] >= 'A' && out[0] <= 'Z' && (out[1] < 'A' || out[1] > 'Z'))
		out[0] = (char)(out[0] - 'A' + 'a');
}

/* Sets err to "<what>: the database is unavailable (...)" and returns -1. */
static int
unavailable(struct reg_store *st, const char *what)
{
	char why[REG_ERR_LEN];

	cause(st->pg->conn, why, sizeof(why));
	set_err(st, "%s: the database is unavailable "
	    "(cannot connect to PostgreSQL at %s: %s)", what, st->pg->where,
	    why);
	return -1;
}

/*
 * Makes sure the handle has a connection: after the server restarted (or
 * the network failed) the connection is bad, and the next call reconnects
 * here instead of failing for ever.
 */
static int
ready(struct reg_store *st, const char *what)
{
	if (PQstatus(st->pg->conn) == CONNECTION_OK)
		return 0;
	PQreset(st->pg->conn);
	st->pg->listening = 0;		/* a new session listens to nothing */
	if (PQstatus(st->pg->conn) != CONNECTION_OK)
		return unavailable(st, what);
	return 0;
}

/* Sets err from a failed result (or a lost connection) and returns -1. */
static int
fail_result(struct reg_store *st, const char *what, const PGresult *res)
{
	const char *msg = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (PQstatus(st->pg->conn) != CONNECTION_OK) {
		set_err(st, "%s: the database is "
		    "unavailable (the connection to PostgreSQL at %s was "
		    "lost)", what, st->pg->where);
		return -1;
	}
	if (msg == NULL) {
		char why[REG_ERR_LEN];

		cause(st->pg->conn, why, sizeof(why));
		set_err(st, "%s: %s", what, why);
	} else
		set_err(st, "%s: %s", what, msg);
	return -1;
}

/*
 * Runs sql with p, or without parameters (then sql may hold several
 * statements, as a migration does) when p is NULL. Returns the result
 * when its status is PGRES_COMMAND_OK or PGRES_TUPLES_OK (the caller
 * clears it), else NULL with err set.
 */
static PGresult *
run(struct reg_store *st, const char *what, const char *sql,
    const struct pg_params *p)
{
	PGresult *res;
	ExecStatusType s;

	if (p == NULL)
		res = PQexec(st->pg->conn, sql);
	else
		res = PQexecParams(st->pg->conn, sql, p->n, NULL, p->v,
		    p->len, p->fmt, 0);
	s = PQresultStatus(res);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return res;
	fail_result(st, what, res);
	PQclear(res);
	return NULL;
}

/* Runs a statement whose result is not needed; 0 or -1. */
static int
exec(struct reg_store *st, const char *what, const char *sql,
    const struct pg_params *p)
{
	PGresult *res = run(st, what, sql, p);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The rows an INSERT, UPDATE or DELETE changed. */
static long long
changed(const PGresult *res)
{
	return strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

static int
begin(struct reg_store *st, const char *what)
{
	if (ready(st, what) < 0)
		return -1;
	return exec(st, what, "BEGIN", NULL);
}

/* Rolls back the open transaction, if there is one and a connection. */
static void
rollback(struct reg_store *st)
{
	PGresult *res;

	if (PQstatus(st->pg->conn) != CONNECTION_OK ||
	    PQtransactionStatus(st->pg->conn) == PQTRANS_IDLE)
		return;
	res = PQexec(st->pg->conn, "ROLLBACK");
	PQclear(res);
}

static int
commit(struct reg_store *st, const char *what)
{
	if (exec(st, what, "COMMIT", NULL) < 0) {
		rollback(st);
		return -1;
	}
	return 0;
}

/* Text of a column, never NULL. */
static const char *
col(const PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? "" : PQgetvalue(res, row, c);
}

static int64_t
col_int(const PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? 0 :
	    strtoll(PQgetvalue(res, row, c), NULL, 10);
}

/*
 * The schema, as on SQLite (schema.c says why each table and column is
 * there), in PostgreSQL's types: BIGINT milliseconds, BYTEA, BIGSERIAL
 * for ids that only grow. devices.n keeps the order devices were
 * provisioned in (SQLite's rowid). A released migration is never edited.
 */
static const char pg_schema_v1[] =
	"CREATE TABLE meta ("
	"	name		TEXT NOT NULL PRIMARY KEY,"
	"	value		BYTEA NOT NULL"
	");"
	"CREATE TABLE devices ("
	"	n		BIGSERIAL NOT NULL UNIQUE,"
	"	id		TEXT NOT NULL PRIMARY KEY,"
	"	label		TEXT NOT NULL DEFAULT '',"
	"	status		TEXT NOT NULL DEFAULT 'active'"
	"			CHECK (status IN ('active', 'revoked')),"
	"	scheme		TEXT NOT NULL DEFAULT 'plain'"
	"			CHECK (scheme IN ('plain', 'interleave', 'hmac')),"
	"	cred_hash	BYTEA NOT NULL UNIQUE"
	"			CHECK (length(cred_hash) = 32),"
	"	created_at	BIGINT NOT NULL,"
	"	last_seen_at	BIGINT,"
	"	last_seen_addr	TEXT"
	");"
	"CREATE TABLE audit ("
	"	id		BIGSERIAL PRIMARY KEY,"
	"	at		BIGINT NOT NULL,"
	"	actor		TEXT NOT NULL,"
	"	device_id	TEXT,"
	"	action		TEXT NOT NULL,"
	"	detail		TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX audit_device ON audit (device_id);"
	"CREATE TABLE device_events ("
	"	id		BIGSERIAL PRIMARY KEY,"
	"	device_id	TEXT,"
	"	at		BIGINT NOT NULL"
	");"
	"INSERT INTO device_events (device_id, at) VALUES (NULL, "
	"	(extract(epoch FROM now()) * 1000)::bigint);"
	"CREATE TABLE messages ("
	"	id		BIGSERIAL PRIMARY KEY,"
	"	device_id	TEXT NOT NULL,"
	"	seq		BIGINT,"
	"	received_at	BIGINT NOT NULL,"
	"	peer		TEXT NOT NULL DEFAULT '',"
	"	body		BYTEA NOT NULL"
	");"
	"CREATE UNIQUE INDEX messages_device_seq ON messages (device_id, seq);";

static const char pg_schema_v2[] =
	"ALTER TABLE devices ADD COLUMN mac TEXT"
	"	CHECK (mac IS NULL OR length(mac) = 17);"
	"CREATE UNIQUE INDEX devices_mac ON devices (mac) "
	"	WHERE mac IS NOT NULL;"
	"ALTER TABLE devices ADD COLUMN credential_at BIGINT;"
	"ALTER TABLE devices ADD COLUMN batch BIGINT;"
	"CREATE INDEX devices_last_seen ON devices (last_seen_at);";

/* SQLite's version 3 drops its (device_id, seq) index and checks
 * duplicates in memory. Here several gateways write one database, so the
 * index stays the check; the version keeps both backends' numbers in step
 * (`tether db migrate` lists the same steps) and says so in the schema. */
static const char pg_schema_v3[] =
	"COMMENT ON INDEX messages_device_seq IS 'stores a (device, seq) "
	"once: several gateways may write this database, so the index is the "
	"duplicate check (SQLite checks in the gateway''s memory)';";

static const struct {
	int		 version;
	const char	*name;
	const char	*sql;
} pg_migrations[] = {
	{ 1, "devices, audit, change feed, messages", pg_schema_v1 },
	{ 2, "device MAC, credential time, provisioning batch", pg_schema_v2 },
	{ 3, "message duplicates: the unique index stays",
	  pg_schema_v3 },
};

#define PG_MIGRATIONS	(sizeof(pg_migrations) / sizeof(pg_migrations[0]))

/* The columns of a struct reg_device, in the order read_device reads. */
#define PG_DEVICE_COLUMNS "SELECT id, label, status, scheme, " \
	"coalesce(mac, ''), created_at, coalesce(credential_at, created_at), " \
	"coalesce(last_seen_at, 0), coalesce(last_seen_addr, '') "

/*
 * The schema version: the newest migration applied, 0 for an empty
 * database, -1 on error (also when the database holds tables of
 * something else, which tether must not write into).
 */
static int
schema_version(struct reg_store *st, const char *what, int64_t *version)
{
	PGresult *res;
	int64_t tables;

	if ((res = run(st, what, "SELECT to_regclass('schema_migrations') "
	    "IS NOT NULL, (SELECT count(*) FROM pg_tables "
	    "WHERE schemaname = current_schema())", NULL)) == NULL)
		return -1;
	tables = col_int(res, 0, 1);
	if (strcmp(col(res, 0, 0), "t") != 0) {
		PQclear(res);
		if (tables != 0) {
			set_err(st, "the PostgreSQL "
			    "database at %s holds tables of something else "
			    "(it has tables, but not tether's); name another "
			    "database", st->pg->where);
			return -1;
		}
		*version = 0;
		return 0;
	}
	PQclear(res);
	if ((res = run(st, what, "SELECT coalesce(max(version), 0) "
	    "FROM schema_migrations", NULL)) == NULL)
		return -1;
	*version = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/* Brings the schema up to date, in one transaction under an advisory
 * lock; an up-to-date database takes no lock. */
static int
migrate(struct reg_store *st)
{
	const int latest = pg_migrations[PG_MIGRATIONS - 1].version;
	const char *what = "cannot update the database schema";
	int64_t version;

	if (schema_version(st, "cannot read the database schema",
	    &version) < 0)
		return -1;
	if (version == latest)
		return 0;
	if (begin(st, what) < 0)
		return -1;
	if (exec(st, what, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK
	    ")", NULL) < 0 ||
	    schema_version(st, "cannot read the database schema",
	    &version) < 0)
		goto fail;
	if (version > latest) {
		set_err(st, "the schema of the "
		    "PostgreSQL database at %s is version %lld, newer than "
		    "this tether knows (%d): upgrade tether", st->pg->where,
		    (long long)version, latest);
		goto fail;
	}
	if (exec(st, what, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	    "applied_at BIGINT NOT NULL)", NULL) < 0)
		goto fail;
	for (size_t i = 0; i < PG_MIGRATIONS; i++) {
		struct pg_params p = { 0 };

		if (pg_migrations[i].version <= version)
			continue;
		if (exec(st, what, pg_migrations[i].sql, NULL) < 0)
			goto fail;
		p_int(&p, pg_migrations[i].version);
		p_text(&p, pg_migrations[i].name);
		p_int(&p, reg_now_ms());
		if (exec(st, what, "INSERT INTO schema_migrations "
		    "(version, name, applied_at) VALUES ($1, $2, $3)", &p) < 0)
			goto fail;
	}
	return commit(st, what);
fail:
	rollback(st);
	return -1;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads meta.key_check into out; returns 1, 0 when absent, -1. */
static int
key_check_read(struct reg_store *st, uint8_t out[REG_HASH_LEN])
{
	PGresult *res;
	const char *hex;

	if ((res = run(st, "cannot read the database's key check",
	    "SELECT encode(value, 'hex') FROM meta WHERE name = 'key_check'",
	    NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	/* a damaged value: compare against zeros, which never match */
	memset(out, 0, REG_HASH_LEN);
	hex = col(res, 0, 0);
	if (strlen(hex) == 2 * REG_HASH_LEN)
		for (size_t i = 0; i < REG_HASH_LEN; i++) {
			int hi = hex_digit(hex[2 * i]);
			int lo = hex_digit(hex[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				memset(out, 0, REG_HASH_LEN);
				break;
			}
			out[i] = (uint8_t)(hi << 4 | lo);
		}
	PQclear(res);
	return 1;
}

/*
 * Loads the registry key and checks that it is the database's, as the
 * SQLite backend does (sqlite.c, load_key). A PostgreSQL database has no
 * file to put the key beside, so the key file must be named.
 */
static int
load_key(struct reg_store *st, const char *key_file)
{
	uint8_t want[REG_HASH_LEN] = { 0 }, have[REG_HASH_LEN];
	int found;

	if (key_file == NULL) {
		set_err(st, "a PostgreSQL registry "
		    "needs its key file named (--key-file FILE): the same "
		    "file on every machine that serves or provisions its "
		    "devices");
		return -1;
	}
	if ((found = key_check_read(st, want)) < 0)
		return -1;
	switch (reg_key_load(key_file, !found, st->key, st->err)) {
	case REG_KEY_LOADED:
	case REG_KEY_CREATED:
		break;
	case REG_KEY_MISSING:
		set_err(st, "the registry key file %s "
		    "is missing, but the PostgreSQL database at %s already "
		    "has a key: restore the key file, or name the one it was "
		    "made with", key_file, st->pg->where);
		return -1;
	default:
		return -1;
	}
	reg_key_check_value(st->key, have);
	if (!found) {
		/* several processes may get here at once: the first insert
		 * wins and the rest compare */
		struct pg_params p = { 0 };

		p_bytes(&p, have, REG_HASH_LEN);
		if (exec(st, "cannot record the registry key check",
		    "INSERT INTO meta (name, value) VALUES ('key_check', $1) "
		    "ON CONFLICT (name) DO NOTHING", &p) < 0 ||
		    key_check_read(st, want) < 0)
			return -1;
	}
	if (CRYPTO_memcmp(want, have, REG_HASH_LEN) != 0) {
		set_err(st, "the registry key file %s "
		    "is not the key the PostgreSQL database at %s was made "
		    "with: every device would be refused; name the right key "
		    "file", key_file, st->pg->where);
		return -1;
	}
	return 0;
}

static void
pg_close(struct reg_store *st)
{
	if (st->pg == NULL)
		return;
	PQfinish(st->pg->conn);
	free(st->pg);
	st->pg = NULL;
}

static const struct reg_ops pg_ops;

/* see registry_int.h */
int
reg_pg_open(struct reg_store *st, const char *db, const char *key_file)
{
	/* Later keywords win, so the URI (dbname, expanded) can override
	 * these defaults. */
	const char *keys[] = { "connect_timeout", "application_name",
	    "dbname", NULL };
	const char *values[] = { PG_CONNECT_TIMEOUT, "tether", db, NULL };
	char why[REG_ERR_LEN];
	const char *host, *port;

	st->ops = &pg_ops;
	if ((st->pg = calloc(1, sizeof(*st->pg))) == NULL) {
		set_err(st, "out of memory");
		return -1;
	}
	st->pg->conn = PQconnectdbParams(keys, values, 1);
	if (st->pg->conn == NULL) {
		set_err(st, "out of memory");
		return -1;
	}
	PQsetNoticeProcessor(st->pg->conn, no_notices, NULL);
	host = PQhost(st->pg->conn);
	port = PQport(st->pg->conn);
	snprintf(st->pg->where, sizeof(st->pg->where), "%s:%s",
	    host != NULL && host[0] != '\0' ? host : "localhost",
	    port != NULL && port[0] != '\0' ? port : "5432");
	if (PQstatus(st->pg->conn) != CONNECTION_OK) {
		cause(st->pg->conn, why, sizeof(why));
		set_err(st, "cannot connect to "
		    "PostgreSQL at %s: %s", st->pg->where, why);
		return -1;
	}
	if (migrate(st) < 0 || load_key(st, key_file) < 0)
		return -1;
	return 0;
}

static int
pg_lookup(struct reg_store *st, const uint8_t *hash, char *id,
    enum reg_status *status)
{
	const char *what = "cannot look the credential up";
	struct pg_params p = { 0 };
	PGresult *res;
	int found = 0;

	if (ready(st, what) < 0)
		return -1;
	p_bytes(&p, hash, REG_HASH_LEN);
	if ((res = run(st, what, "SELECT id, status FROM devices "
	    "WHERE cred_hash = $1", &p)) == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		snprintf(id, REG_ID_MAX, "%s", col(res, 0, 0));
		*status = reg_status_parse(col(res, 0, 1));
		found = 1;
	}
	PQclear(res);
	return found;
}

static void
read_device(const PGresult *res, int row, struct reg_device *dev)
{
	enum tether_scheme scheme = TETHER_SCHEME_PLAIN;

	memset(dev, 0, sizeof(*dev));
	snprintf(dev->id, sizeof(dev->id), "%s", col(res, row, 0));
	snprintf(dev->label, sizeof(dev->label), "%s", col(res, row, 1));
	dev->status = reg_status_parse(col(res, row, 2));
	(void)reg_scheme_parse(col(res, row, 3), &scheme);
	dev->scheme = scheme;
	snprintf(dev->mac, sizeof(dev->mac), "%s", col(res, row, 4));
	dev->created_at = col_int(res, row, 5);
	dev->credential_at = col_int(res, row, 6);
	dev->last_seen_at = col_int(res, row, 7);
	snprintf(dev->last_seen_addr, sizeof(dev->last_seen_addr), "%s",
	    col(res, row, 8));
}

/* The device, without checking the connection (inside a transaction). */
static int
device_get(struct reg_store *st, const char *id, struct reg_device *dev)
{
	struct pg_params p = { 0 };
	PGresult *res;
	int found = 0;

	p_text(&p, id);
	if ((res = run(st, "cannot read the device", PG_DEVICE_COLUMNS
	    "FROM devices WHERE id = $1", &p)) == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		read_device(res, 0, dev);
		found = 1;
	}
	PQclear(res);
	return found;
}

static int
pg_device_get(struct reg_store *st, const char *id, struct reg_device *dev)
{
	if (ready(st, "cannot read the device") < 0)
		return -1;
	return device_get(st, id, dev);
}

/* Appends a row to the audit trail; *row_id (may be NULL) gets its id. */
static int
audit(struct reg_store *st, int64_t at, const char *actor,
    const char *device_id, const char *action, const char *detail,
    int64_t *row_id)
{
	struct pg_params p = { 0 };
	PGresult *res;

	p_int(&p, at);
	p_text(&p, actor != NULL ? actor : "");
	p_text(&p, device_id);
	p_text(&p, action);
	p_text(&p, detail);
	if ((res = run(st, "cannot write the audit trail", "INSERT INTO "
	    "audit (at, actor, device_id, action, detail) "
	    "VALUES ($1, $2, $3, $4, $5) RETURNING id", &p)) == NULL)
		return -1;
	if (row_id != NULL)
		*row_id = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/*
 * A row in the change feed. Sequence values are handed out at insert,
 * not at commit, so two concurrent writers could commit ids out of order
 * and a reader between the two commits would skip the smaller id for
 * ever. The table lock (readers are not blocked) makes the writers of the
 * feed take turns until their commits, so ids become visible in order.
 */
static int
feed(struct reg_store *st, const char *id, int64_t at, const char *what)
{
	struct pg_params p = { 0 };

	p_text(&p, id);
	p_int(&p, at);
	if (exec(st, what, "LOCK TABLE device_events IN EXCLUSIVE MODE",
	    NULL) < 0)
		return -1;
	if (exec(st, what, "INSERT INTO device_events (device_id, at) "
	    "VALUES ($1, $2)", &p) < 0)
		return -1;
	/* Wakes every gateway's watcher at commit (pg_wait_changes). */
	return exec(st, what, "SELECT pg_notify('" PG_CHANNEL "', '')", NULL);
}

/* Looks up who has mac; 1 with holder filled, 0 nobody, -1. */
static int
mac_holder(struct reg_store *st, const char *mac, char holder[REG_ID_MAX])
{
	struct pg_params p = { 0 };
	PGresult *res;
	int found = 0;

	p_text(&p, mac);
	if ((res = run(st, "cannot look the MAC address up",
	    "SELECT id FROM devices WHERE mac = $1", &p)) == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		snprintf(holder, REG_ID_MAX, "%s", col(res, 0, 0));
		found = 1;
	}
	PQclear(res);
	return found;
}

static const char insert_device_sql[] = "INSERT INTO devices "
    "(id, label, status, scheme, cred_hash, created_at, mac, credential_at, "
    "batch) VALUES ($1, $2, 'active', $3, $4, $5, $6, $5, $7) "
    "ON CONFLICT DO NOTHING";

/* The parameters of insert_device_sql for dev, with a fresh id and
 * secret drawn; hash is where p points for it. */
static int
new_device_params(struct reg_store *st, struct reg_new_device *dev,
    const char *mac, int64_t now, int64_t batch, struct pg_params *p,
    uint8_t hash[REG_HASH_LEN])
{
	if (reg_draw(st, dev, 1, hash) < 0)
		return -1;
	p_text(p, dev->id);
	p_text(p, dev->label);
	p_text(p, reg_scheme_name(dev->scheme));
	p_bytes(p, hash, REG_HASH_LEN);
	p_int(p, now);
	p_text(p, mac);
	p_int(p, batch);
	return 0;
}

/* Draws a fresh id and secret for dev and inserts it. Returns 0, 1 when
 * a unique index refused it (a taken id or MAC), -1. */
static int
insert_new_device(struct reg_store *st, struct reg_new_device *dev,
    const char *mac, int64_t now, int64_t batch)
{
	struct pg_params p = { 0 };
	uint8_t hash[REG_HASH_LEN];
	PGresult *res;
	long long n;

	if (new_device_params(st, dev, mac, now, batch, &p, hash) < 0)
		return -1;
	res = run(st, "cannot register the device", insert_device_sql, &p);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (res == NULL)
		return -1;
	n = changed(res);
	PQclear(res);
	return n == 1 ? 0 : 1;
}

/*
 * Inserts out[from..to) of batch b in one round trip (libpq's pipeline
 * mode): 100,000 devices would otherwise wait for 100,000 round trips.
 * taken[i - from] is set for each row a unique index refused (its MAC is
 * another device's, or its fresh id was taken). 0, or -1 with err set.
 */
static int
insert_pipelined(struct reg_store *st, const struct reg_batch *b,
    struct reg_new_device *out, size_t from, size_t to, int64_t now,
    int64_t batch, unsigned char *taken)
{
	const char *what = "cannot register the devices";
	PGconn *c = st->pg->conn;
	PGresult *res;
	size_t sent = 0;
	int rc = 0;

	if (!PQenterPipelineMode(c))
		return fail_result(st, what, NULL);
	for (size_t i = from; i < to; i++) {
		struct pg_params p = { 0 };
		uint8_t hash[REG_HASH_LEN];
		char mac[REG_MAC_TEXT];
		int ok;

		reg_batch_device(b, i, &out[i], mac);
		if (new_device_params(st, &out[i], out[i].has_mac ? mac : NULL,
		    now, batch, &p, hash) < 0) {
			rc = -1;
			break;
		}
		/* libpq copies the parameters into its buffer here */
		ok = PQsendQueryParams(c, insert_device_sql, p.n, NULL, p.v,
		    p.len, p.fmt, 0);
		OPENSSL_cleanse(hash, sizeof(hash));
		if (!ok) {
			fail_result(st, what, NULL);
			rc = -1;
			break;
		}
		sent++;
	}
	if (!PQpipelineSync(c)) {
		if (rc == 0)
			fail_result(st, what, NULL);
		return -1;
	}
	/* every result, even after a failure, to leave pipeline mode */
	for (size_t k = 0; k < sent; k++) {
		if ((res = PQgetResult(c)) == NULL) {
			if (rc == 0)
				fail_result(st, what, NULL);
			return -1;	/* the connection broke */
		}
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			taken[k] = changed(res) == 0;
		else if (rc == 0) {
			fail_result(st, what, res);
			rc = -1;
		}
		PQclear(res);
		while ((res = PQgetResult(c)) != NULL)	/* end of this query */
			PQclear(res);
	}
	if ((res = PQgetResult(c)) != NULL)	/* PGRES_PIPELINE_SYNC */
		PQclear(res);
	if (!PQexitPipelineMode(c) && rc == 0)
		rc = fail_result(st, what, NULL);
	return rc;
}

static int
pg_provision_batch(struct reg_store *st, const struct reg_batch *b,
    struct reg_new_device *out)
{
	const char *what = "cannot register the devices";
	int64_t now = reg_now_ms(), batch;
	char detail[REG_DETAIL_MAX];

	if (begin(st, what) < 0)
		return -1;
	reg_batch_detail(b, detail, sizeof(detail));
	if (audit(st, now, b->actor, NULL, "provision", detail, &batch) < 0)
		goto fail;
	for (size_t from = 0; from < b->count; from += PG_PIPELINE_ROWS) {
		size_t to = b->count - from < PG_PIPELINE_ROWS ? b->count :
		    from + PG_PIPELINE_ROWS;
		unsigned char taken[PG_PIPELINE_ROWS] = { 0 };

		if (insert_pipelined(st, b, out, from, to, now, batch,
		    taken) < 0)
			goto fail;
		for (size_t i = from; i < to; i++) {
			struct reg_new_device *dev = &out[i];
			char mac[REG_MAC_TEXT], holder[REG_ID_MAX];
			int r, draws = 1;

			if (!taken[i - from])
				continue;
			mac[0] = '\0';
			if (dev->has_mac) {
				reg_mac_format(dev->mac, mac);
				if ((r = mac_holder(st, mac, holder)) < 0)
					goto fail;
				if (r == 1) {
					set_err(st, "the MAC address %s "
					    "already belongs to device %s",
					    mac, holder);
					goto fail;
				}
			}
			while ((r = insert_new_device(st, dev,
			    dev->has_mac ? mac : NULL, now, batch)) == 1)
				if (++draws == REG_MAX_DRAWS) {
					set_err(st, "%s: %d fresh ids in a "
					    "row were already taken", what,
					    REG_MAX_DRAWS);
					goto fail;
				}
			if (r < 0)
				goto fail;
		}
	}
	if (b->before_commit != NULL &&
	    b->before_commit(b->arg, out, b->count) != 0) {
		set_err(st, "provisioning was cancelled before the commit");
		goto fail;
	}
	if (commit(st, what) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	/* nothing was registered: the secrets are of no use */
	OPENSSL_cleanse(out, b->count * sizeof(*out));
	return -1;
}

static int
pg_set_status(struct reg_store *st, const char *id, enum reg_status status,
    const char *actor)
{
	const char *what = status == REG_REVOKED ?
	    "cannot revoke the device" : "cannot restore the device";
	struct pg_params p = { 0 };
	struct reg_device dev;
	int64_t now = reg_now_ms();
	PGresult *res;
	long long n;
	int found;

	if (begin(st, what) < 0)
		return -1;
	p_text(&p, id);
	p_text(&p, reg_status_text(status));
	if ((res = run(st, what, "UPDATE devices SET status = $2 "
	    "WHERE id = $1 AND status <> $2", &p)) == NULL)
		goto fail;
	n = changed(res);
	PQclear(res);
	if (n == 0) {
		/* unknown, or already in that status: nothing to record */
		if ((found = device_get(st, id, &dev)) < 0)
			goto fail;
		rollback(st);
		if (found == 0) {
			set_err(st, "no device has the "
			    "id '%s'", id);
			return 1;
		}
		return 0;
	}
	if (feed(st, id, now, what) < 0 ||
	    audit(st, now, actor, id, status == REG_REVOKED ? "revoke" :
	    "restore", "", NULL) < 0)
		goto fail;
	return commit(st, what);
fail:
	rollback(st);
	return -1;
}

static int
pg_changes(struct reg_store *st, int64_t *cursor,
    void (*fn)(void *arg, const char *id), void *arg)
{
	const char *what = "cannot read the change feed";
	struct pg_params p = { 0 };
	PGresult *res;
	int n = 0;

	if (ready(st, what) < 0)
		return -1;
	if (*cursor == 0) {
		if ((res = run(st, what, "SELECT coalesce(max(id), 0) "
		    "FROM device_events", NULL)) == NULL)
			return -1;
		*cursor = col_int(res, 0, 0);
		PQclear(res);
		return 0;
	}
	p_int(&p, *cursor);
	if ((res = run(st, what, "SELECT id, device_id FROM device_events "
	    "WHERE id > $1 ORDER BY id", &p)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		*cursor = col_int(res, i, 0);
		if (PQgetisnull(res, i, 1))	/* the feed's start marker */
			continue;
		fn(arg, PQgetvalue(res, i, 1));
		n++;
	}
	PQclear(res);
	return n;
}

static int
pg_store_messages(struct reg_store *st, struct reg_message *msgs, size_t n)
{
	const char *what = "cannot store the messages";
	struct reg_touch done[REG_TOUCH_BATCH];
	size_t ndone = 0;
	int64_t now = reg_now_ms();
	PGresult *res;

	for (size_t i = 0; i < n; i++) {
		msgs[i].duplicate = 0;
		if (msgs[i].len > INT32_MAX) {
			set_err(st, "%s: a message of "
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
		struct pg_params p = { 0 };

		p_text(&p, m->device_id);
		if (m->seq >= 0)
			p_int(&p, m->seq);
		else
			p_text(&p, NULL);
		p_int(&p, now);
		p_text(&p, peer);
		p_bytes(&p, m->body, m->len);
		if ((res = run(st, what, "INSERT INTO messages "
		    "(device_id, seq, received_at, peer, body) "
		    "VALUES ($1, $2, $3, $4, $5) "
		    "ON CONFLICT (device_id, seq) DO NOTHING", &p)) == NULL)
			goto fail;
		m->duplicate = changed(res) == 0;
		PQclear(res);

		/* last seen: at most once per REG_TOUCH_MS per device */
		if (!reg_touch_due(st, done, &ndone, m->device_id, peer, now))
			continue;
		p = (struct pg_params){ 0 };
		p_text(&p, m->device_id);
		p_int(&p, now);
		p_text(&p, peer);
		if (exec(st, what, "UPDATE devices SET last_seen_at = $2, "
		    "last_seen_addr = $3 WHERE id = $1", &p) < 0)
			goto fail;
	}
	if (commit(st, what) < 0)
		goto fail;
	reg_touch_commit(st, done, ndone);
	return 0;
fail:
	rollback(st);
	for (size_t i = 0; i < n; i++)
		msgs[i].duplicate = 0;
	return -1;
}

/*
 * Waits up to timeout_ms for a change-feed notification: 1 when one came
 * (the caller reads the feed now), 0 at the time-out, -1 when the server
 * cannot be reached (the caller reads the feed anyway, which reports it).
 */
static int
pg_wait_changes(struct reg_store *st, int timeout_ms)
{
	const char *what = "cannot wait for registry changes";
	struct pollfd pfd;
	PGnotify *n;
	int got = 0, r;

	if (ready(st, what) < 0)
		return -1;
	if (!st->pg->listening) {
		if (exec(st, what, "LISTEN " PG_CHANNEL, NULL) < 0)
			return -1;
		st->pg->listening = 1;
	}
	pfd.fd = PQsocket(st->pg->conn);
	pfd.events = POLLIN;
	if (pfd.fd < 0)
		return -1;
	r = poll(&pfd, 1, timeout_ms);
	if (r < 0 && errno != EINTR)
		return -1;
	if (r > 0 && PQconsumeInput(st->pg->conn) == 0)
		return -1;
	while ((n = PQnotifies(st->pg->conn)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

static int
pg_migrations_applied(struct reg_store *st,
    void (*fn)(void *, const struct reg_migration_row *), void *arg)
{
	const char *what = "cannot read the schema version";
	PGresult *res;
	int n;

	if (ready(st, what) < 0)
		return -1;
	if ((res = run(st, what, "SELECT version, name, applied_at "
	    "FROM schema_migrations ORDER BY version", NULL)) == NULL)
		return -1;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		struct reg_migration_row m = {
			.version = (int)col_int(res, i, 0),
			.applied_at = col_int(res, i, 2),
		};

		snprintf(m.name, sizeof(m.name), "%s", PQgetvalue(res, i, 1));
		fn(arg, &m);
	}
	PQclear(res);
	return n;
}

/* Nothing to prepare: PostgreSQL's unique index checks duplicates. */
static int
pg_store_prepare(struct reg_store *st)
{
	(void)st;
	return 0;
}

/* A commit is durable on the server when PostgreSQL answers. */
static int
pg_defer_sync(struct reg_store *st, int *fd)
{
	(void)st;
	*fd = -1;
	return 0;
}

static long long
pg_count_messages(struct reg_store *st, const char *device_id)
{
	const char *what = "cannot count the messages";
	struct pg_params p = { 0 };
	PGresult *res;
	long long count;

	if (ready(st, what) < 0)
		return -1;
	if (device_id != NULL)
		p_text(&p, device_id);
	res = run(st, what, device_id != NULL ?
	    "SELECT count(*) FROM messages WHERE device_id = $1" :
	    "SELECT count(*) FROM messages", &p);
	if (res == NULL)
		return -1;
	count = col_int(res, 0, 0);
	PQclear(res);
	return count;
}

/* Reads the device inside a transaction; 1, or 0 (err set) or -1. */
static int
must_exist(struct reg_store *st, const char *id, struct reg_device *dev)
{
	int found;

	if ((found = device_get(st, id, dev)) == 0)
		set_err(st, "no device has the id '%s'",
		    id);
	return found;
}

static int
pg_rotate(struct reg_store *st, const char *id, const char *actor,
    struct reg_new_device *out,
    int (*before_commit)(void *, const struct reg_new_device *, size_t),
    void *arg)
{
	const char *what = "cannot rotate the credential";
	struct pg_params p = { 0 };
	struct reg_device dev;
	uint8_t hash[REG_HASH_LEN];
	int64_t now = reg_now_ms();
	char why[REG_ERR_LEN];
	int found;

	memset(out, 0, sizeof(*out));
	if (begin(st, what) < 0)
		return -1;
	if ((found = must_exist(st, id, &dev)) <= 0) {
		rollback(st);
		return found == 0 ? 1 : -1;
	}
	snprintf(out->id, sizeof(out->id), "%s", dev.id);
	snprintf(out->label, sizeof(out->label), "%s", dev.label);
	out->scheme = dev.scheme;
	if (dev.mac[0] != '\0') {
		if (reg_mac_parse(dev.mac, out->mac, why) < 0) {
			set_err(st, "%s: the stored "
			    "MAC address '%s' is damaged", what, dev.mac);
			goto fail;
		}
		out->has_mac = 1;
	}
	/* 128 random bits do not collide with a registered credential; a
	 * collision fails the rotation (the unique index) rather than
	 * being retried in an aborted transaction */
	if (reg_draw(st, out, 0, hash) < 0)
		goto fail;
	p_text(&p, id);
	p_bytes(&p, hash, REG_HASH_LEN);
	p_int(&p, now);
	if (exec(st, what, "UPDATE devices SET cred_hash = $2, "
	    "credential_at = $3 WHERE id = $1", &p) < 0)
		goto fail;
	if (feed(st, id, now, what) < 0 ||
	    audit(st, now, actor, id, "rotate", "new secret and credential; "
	    "the old credential is refused", NULL) < 0)
		goto fail;
	if (before_commit != NULL && before_commit(arg, out, 1) != 0) {
		set_err(st, "the rotation was cancelled before the commit");
		goto fail;
	}
	if (commit(st, what) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	OPENSSL_cleanse(out, sizeof(*out));
	return -1;
}

static int
pg_rename(struct reg_store *st, const char *id, const char *label,
    const char *actor)
{
	const char *what = "cannot rename the device";
	struct pg_params p = { 0 };
	struct reg_device dev;
	char detail[REG_DETAIL_MAX];
	int found;

	if (begin(st, what) < 0)
		return -1;
	if ((found = must_exist(st, id, &dev)) <= 0) {
		rollback(st);
		return found == 0 ? 1 : -1;
	}
	if (strcmp(dev.label, label) == 0) {
		rollback(st);
		return 0;
	}
	p_text(&p, id);
	p_text(&p, label);
	if (exec(st, what, "UPDATE devices SET label = $2 WHERE id = $1",
	    &p) < 0)
		goto fail;
	snprintf(detail, sizeof(detail), "label '%s' -> '%s'", dev.label,
	    label);
	if (audit(st, reg_now_ms(), actor, id, "rename", detail, NULL) < 0)
		goto fail;
	return commit(st, what);
fail:
	rollback(st);
	return -1;
}

static int
pg_forget(struct reg_store *st, const char *id, int delete_messages,
    const char *actor, long long *deleted)
{
	const char *what = "cannot forget the device";
	struct pg_params p = { 0 };
	struct reg_device dev;
	char detail[REG_DETAIL_MAX];
	long long n = 0;
	int64_t now = reg_now_ms();
	PGresult *res;
	int found;

	if (begin(st, what) < 0)
		return -1;
	if ((found = must_exist(st, id, &dev)) <= 0) {
		rollback(st);
		return found == 0 ? 1 : -1;
	}
	p_text(&p, id);
	if (exec(st, what, "DELETE FROM devices WHERE id = $1", &p) < 0)
		goto fail;
	if (delete_messages) {
		if ((res = run(st, what, "DELETE FROM messages "
		    "WHERE device_id = $1", &p)) == NULL)
			goto fail;
		n = changed(res);
		PQclear(res);
	}
	reg_forget_detail(&dev, delete_messages, detail, sizeof(detail));
	if (feed(st, id, now, what) < 0 ||
	    audit(st, now, actor, id, "forget", detail, NULL) < 0)
		goto fail;
	if (commit(st, what) < 0)
		goto fail;
	if (deleted != NULL)
		*deleted = n;
	return 0;
fail:
	rollback(st);
	return -1;
}

/*
 * An SQLite GLOB (* ? [...] with ^ to negate, case-sensitive) as an
 * anchored POSIX regular expression, so labels filter alike on both
 * backends. Returns 0, or -1 when the glob is too long.
 */
static int
glob_regex(const char *glob, char out[PG_REGEX_MAX])
{
	size_t o = 0;

	if (strlen(glob) >= REG_LABEL_MAX)
		return -1;
	out[o++] = '^';
	for (const char *g = glob; *g; g++) {
		const char *close;

		if (*g == '*') {
			out[o++] = '.';
			out[o++] = '*';
		} else if (*g == '?') {
			out[o++] = '.';
		} else if (*g == '[' && g[1] != '\0' &&
		    (close = strchr(g + 2, ']')) != NULL) {
			/* a class: copied, as both read [^a-z] and []x]
			 * alike; a backslash in it is literal in both */
			for (; g <= close; g++)
				out[o++] = *g;
			g--;
		} else {
			if (strchr(".^$+(){}|\\*?[]", *g) != NULL)
				out[o++] = '\\';
			out[o++] = *g;
		}
	}
	out[o++] = '$';
	out[o] = '\0';
	return 0;
}

static long long
pg_list(struct reg_store *st, const struct reg_filter *f,
    int (*fn)(void *arg, const struct reg_device *dev), void *arg)
{
	const char *what = "cannot list the devices";
	struct pg_params p = { 0 };
	char regex[PG_REGEX_MAX];
	struct reg_device dev;
	PGresult *res;
	long long n = 0;

	if (f != NULL && f->label_glob != NULL &&
	    glob_regex(f->label_glob, regex) < 0) {
		set_err(st, "%s: the label pattern is "
		    "longer than a label may be (%d bytes)", what,
		    REG_LABEL_MAX - 1);
		return -1;
	}
	if (ready(st, what) < 0)
		return -1;
	p_text(&p, f != NULL && f->status != 0 ?
	    reg_status_text(f->status) : NULL);
	p_text(&p, f != NULL && f->label_glob != NULL ? regex : NULL);
	if (f != NULL && f->seen_since != 0)
		p_int(&p, f->seen_since);
	else
		p_text(&p, NULL);
	if (f != NULL && f->not_seen_since != 0)
		p_int(&p, f->not_seen_since);
	else
		p_text(&p, NULL);
	/* a NULL parameter does not filter */
	if ((res = run(st, what, PG_DEVICE_COLUMNS "FROM devices "
	    "WHERE ($1::text IS NULL OR status = $1) "
	    "AND ($2::text IS NULL OR label ~ $2) "
	    "AND ($3::bigint IS NULL OR last_seen_at >= $3) "
	    "AND ($4::bigint IS NULL OR last_seen_at IS NULL "
	    "OR last_seen_at < $4) ORDER BY n", &p)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		read_device(res, i, &dev);
		n++;
		if (fn(arg, &dev) != 0)
			break;
	}
	PQclear(res);
	return n;
}

static int
pg_audit_list(struct reg_store *st, const char *id, size_t limit,
    void (*fn)(void *arg, const struct reg_audit *a), void *arg)
{
	const char *what = "cannot read the audit trail";
	struct pg_params p = { 0 };
	struct reg_audit a;
	PGresult *res;
	int n;

	if (ready(st, what) < 0)
		return -1;
	p_text(&p, id);
	p_int(&p, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	if ((res = run(st, what, "SELECT id, at, actor, "
	    "coalesce(device_id, ''), action, detail FROM audit "
	    "WHERE device_id = $1 "
	    "OR id = (SELECT batch FROM devices WHERE id = $1) "
	    "ORDER BY id DESC LIMIT $2", &p)) == NULL)
		return -1;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		a.id = col_int(res, i, 0);
		a.at = col_int(res, i, 1);
		snprintf(a.actor, sizeof(a.actor), "%s", col(res, i, 2));
		snprintf(a.device_id, sizeof(a.device_id), "%s",
		    col(res, i, 3));
		snprintf(a.action, sizeof(a.action), "%s", col(res, i, 4));
		snprintf(a.detail, sizeof(a.detail), "%s", col(res, i, 5));
		fn(arg, &a);
	}
	PQclear(res);
	return n;
}

static int
pg_suggest(struct reg_store *st, const char *typed, char (*out)[REG_ID_MAX],
    size_t max)
{
	const char *what = "cannot look for similar ids";
	struct pg_params p = { 0 };
	PGresult *res;
	size_t n = 0;
	int *dist;

	if (ready(st, what) < 0)
		return -1;
	if ((dist = calloc(max, sizeof(*dist))) == NULL) {
		set_err(st, "out of memory");
		return -1;
	}
	/* a label typed where the id belongs: the exact match is best */
	p_text(&p, typed);
	p_int(&p, (int64_t)max);
	if ((res = run(st, what, "SELECT id FROM devices WHERE label = $1 "
	    "ORDER BY n LIMIT $2", &p)) == NULL)
		goto fail;
	for (int i = 0; i < PQntuples(res); i++)
		reg_keep_nearest(out, dist, &n, max, col(res, i, 0), -1);
	PQclear(res);
	/* a scan of the ids, as on SQLite: only after a person typed an
	 * id we do not know */
	if (reg_id_distance(typed, "") >= 0) {
		if ((res = run(st, what, "SELECT id FROM devices",
		    NULL)) == NULL)
			goto fail;
		for (int i = 0; i < PQntuples(res); i++) {
			int d = reg_id_distance(typed, col(res, i, 0));

			if (d >= 0 && d <= REG_SUGGEST_DISTANCE)
				reg_keep_nearest(out, dist, &n, max,
				    col(res, i, 0), d);
		}
		PQclear(res);
	}
	free(dist);
	return (int)n;
fail:
	free(dist);
	return -1;
}

static const struct reg_ops pg_ops = {
	.close = pg_close,
	.lookup = pg_lookup,
	.provision_batch = pg_provision_batch,
	.set_status = pg_set_status,
	.changes = pg_changes,
	.wait_changes = pg_wait_changes,
	.store_messages = pg_store_messages,
	.store_prepare = pg_store_prepare,
	.defer_sync = pg_defer_sync,
	.count_messages = pg_count_messages,
	.migrations = pg_migrations_applied,
	.device_get = pg_device_get,
	.rotate = pg_rotate,
	.rename = pg_rename,
	.forget = pg_forget,
	.list = pg_list,
	.audit_list = pg_audit_list,
	.suggest = pg_suggest,
};
