/* SPDX-License-Identifier: MIT */
/*
 * postgres.c - the registry on PostgreSQL (libpq), for gateways on more
 * than one machine: backend.h's primitives over libpq, the schema in
 * PostgreSQL's types, a handle that reconnects by itself after the server
 * restarted, LISTEN/NOTIFY for the change feed, and provisioning
 * pipelined into few round trips.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "registry/backend.h"
#include "registry/registry.h"
#include "registry/registry_int.h"
#include "registry/schema.h"

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
/* A glob of REG_LABEL_MAX characters as a regular expression: each
 * character becomes at most two, plus the anchors. */
#define PG_REGEX_MAX		(2 * REG_LABEL_MAX + 4)

/* The channel every change-feed row is announced on (pg_notify in the
 * same transaction, so it is delivered at commit). */
#define PG_CHANNEL	"tether_devices"

/* A statement: its text with $n placeholders, its parameters (text, or
 * binary for bytea), and the result being read. */
struct reg_stmt {
	char		*sql;
	int		 nparams;
	const char	*v[PG_PARAMS_MAX];
	int		 len[PG_PARAMS_MAX];
	int		 fmt[PG_PARAMS_MAX];
	char		 num[PG_PARAMS_MAX][PG_INT_TEXT];
	PGresult	*res;
	int		 row;		/* the row read; -1 before the run */
	unsigned char	*blob;		/* col_blob's bytes */
};

/* The PostgreSQL backend's part of a handle (st->db). */
struct reg_pg {
	PGconn		*conn;
	char		 where[128];	/* "host:port", for messages */
	int		 listening;	/* LISTEN issued on this connection */
	struct reg_stmt	*q[Q__COUNT];
	struct reg_stmt	*insert_msg;
};

static inline struct reg_pg *
pg_of(const struct reg_store *st)
{
	return st->db;
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

	cause(pg_of(st)->conn, why, sizeof(why));
	reg_fail(st, "%s: the database is unavailable "
	    "(cannot connect to PostgreSQL at %s: %s)", what, pg_of(st)->where,
	    why);
	return -1;
}

/*
 * Makes sure the handle has a connection: after the server restarted (or
 * the network failed) the connection is bad, and the next call reconnects
 * here instead of failing for ever.
 */
static int
pg_ready(struct reg_store *st, const char *what)
{
	if (PQstatus(pg_of(st)->conn) == CONNECTION_OK)
		return 0;
	PQreset(pg_of(st)->conn);
	pg_of(st)->listening = 0;	/* a new session listens to nothing */
	if (PQstatus(pg_of(st)->conn) != CONNECTION_OK)
		return unavailable(st, what);
	return 0;
}

/* Sets err from a failed result (or a lost connection) and returns -1. */
static int
fail_result(struct reg_store *st, const char *what, const PGresult *res)
{
	const char *msg = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (PQstatus(pg_of(st)->conn) != CONNECTION_OK) {
		reg_fail(st, "%s: the database is "
		    "unavailable (the connection to PostgreSQL at %s was "
		    "lost)", what, pg_of(st)->where);
		return -1;
	}
	if (msg == NULL) {
		char why[REG_ERR_LEN];

		cause(pg_of(st)->conn, why, sizeof(why));
		reg_fail(st, "%s: %s", what, why);
	} else
		reg_fail(st, "%s: %s", what, msg);
	return -1;
}

/*
 * The primitives of backend.h.
 */

/* A statement for sql, its ?n placeholders written $n; NULL, err set. */
static struct reg_stmt *
pg_prepare(struct reg_store *st, const char *sql, const char *what)
{
	struct reg_stmt *s;
	size_t n = strlen(sql);
	int quoted = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->sql = malloc(n + 1)) == NULL) {
		free(s);
		reg_fail(st, "%s: out of memory", what);
		return NULL;
	}
	s->row = -1;
	for (size_t i = 0; i <= n; i++) {
		s->sql[i] = sql[i];
		if (sql[i] == '\'')
			quoted = !quoted;
		if (quoted || sql[i] != '?' ||
		    !isdigit((unsigned char)sql[i + 1]))
			continue;
		s->sql[i] = '$';
		if (atoi(sql + i + 1) > s->nparams)
			s->nparams = atoi(sql + i + 1);
	}
	if (s->nparams > PG_PARAMS_MAX) {
		free(s->sql);
		free(s);
		reg_fail(st, "%s: a statement has too many parameters", what);
		return NULL;
	}
	return s;
}

static void
pg_reset(struct reg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	PQfreemem(s->blob);
	s->blob = NULL;
	for (int i = 0; i < PG_PARAMS_MAX; i++) {
		s->v[i] = NULL;		/* SQL NULL */
		s->len[i] = 0;
		s->fmt[i] = 0;
	}
}

static void
pg_finalize(struct reg_stmt *s)
{
	if (s == NULL)
		return;
	pg_reset(s);
	free(s->sql);
	free(s);
}

static struct reg_stmt *
pg_stmt(struct reg_store *st, enum reg_query q)
{
	return pg_of(st)->q[q];
}

static void
pg_bind_text(struct reg_stmt *s, int i, const char *v)
{
	s->v[i - 1] = v;	/* NULL: SQL NULL */
	s->len[i - 1] = 0;
	s->fmt[i - 1] = 0;
}

static void
pg_bind_int(struct reg_stmt *s, int i, int64_t v)
{
	snprintf(s->num[i - 1], PG_INT_TEXT, "%" PRId64, v);
	pg_bind_text(s, i, s->num[i - 1]);
}

static void
pg_bind_blob(struct reg_stmt *s, int i, const void *v, size_t len)
{
	static const char empty[1];

	/* a NULL pointer would bind SQL NULL, not empty bytes */
	s->v[i - 1] = len > 0 ? v : empty;
	s->len[i - 1] = (int)len;
	s->fmt[i - 1] = 1;
}

static int
pg_step(struct reg_store *st, struct reg_stmt *s, const char *what)
{
	ExecStatusType status;

	if (s->row >= 0)
		return ++s->row < PQntuples(s->res) ? REG_ROW : REG_DONE;
	s->res = PQexecParams(pg_of(st)->conn, s->sql, s->nparams, NULL, s->v,
	    s->len, s->fmt, 0);
	status = PQresultStatus(s->res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		fail_result(st, what, s->res);
		PQclear(s->res);
		s->res = NULL;
		return -1;
	}
	s->row = 0;
	return PQntuples(s->res) > 0 ? REG_ROW : REG_DONE;
}

static const char *
pg_col_text(struct reg_stmt *s, int c)
{
	return PQgetisnull(s->res, s->row, c) ? NULL :
	    PQgetvalue(s->res, s->row, c);
}

static int64_t
pg_col_int(struct reg_stmt *s, int c)
{
	return PQgetisnull(s->res, s->row, c) ? 0 :
	    strtoll(PQgetvalue(s->res, s->row, c), NULL, 10);
}

/* A bytea column arrives as text ("\x..."); its bytes live until the
 * reset. */
static const void *
pg_col_blob(struct reg_stmt *s, int c, size_t *len)
{
	*len = 0;
	if (PQgetisnull(s->res, s->row, c))
		return NULL;
	PQfreemem(s->blob);
	s->blob = PQunescapeBytea((const unsigned char *)PQgetvalue(s->res,
	    s->row, c), len);
	return s->blob;
}

/* The rows an INSERT, UPDATE or DELETE changed. */
static long long
changed(PGresult *res)
{
	return strtoll(PQcmdTuples(res), NULL, 10);
}

static long long
pg_changed(struct reg_store *st, struct reg_stmt *s)
{
	(void)st;
	return s->res != NULL ? changed(s->res) : 0;
}

/* Runs sql, which may hold several statements (a migration does). */
static int
pg_exec(struct reg_store *st, const char *sql, const char *what)
{
	PGresult *res = PQexec(pg_of(st)->conn, sql);
	ExecStatusType s = PQresultStatus(res);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_result(st, what, res);
	PQclear(res);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
}

static int
pg_begin(struct reg_store *st, const char *what)
{
	if (pg_ready(st, what) < 0)
		return -1;
	return pg_exec(st, "BEGIN", what);
}

/* Rolls back the open transaction, if there is one and a connection. */
static void
pg_rollback(struct reg_store *st)
{
	PGconn *c = pg_of(st)->conn;

	if (PQstatus(c) != CONNECTION_OK ||
	    PQtransactionStatus(c) == PQTRANS_IDLE)
		return;
	PQclear(PQexec(c, "ROLLBACK"));
}

static int
pg_commit(struct reg_store *st, const char *what)
{
	if (pg_exec(st, "COMMIT", what) < 0) {
		pg_rollback(st);
		return -1;
	}
	return 0;
}

/*
 * backend.h's run_rows in one round trip (libpq's pipeline mode):
 * 100,000 devices would otherwise wait for 100,000 round trips. libpq
 * copies each row's parameters as it is sent, so the next bind may reuse
 * the caller's buffers.
 */
static int
pg_run_rows(struct reg_store *st, struct reg_stmt *s, size_t n,
    int (*bind)(void *arg, size_t i, struct reg_stmt *s), void *arg,
    long long *rows, const char *what)
{
	PGconn *c = pg_of(st)->conn;
	PGresult *res;
	size_t sent = 0;
	int rc = 0;

	if (!PQenterPipelineMode(c))
		return fail_result(st, what, NULL);
	for (size_t i = 0; i < n; i++) {
		int ok;

		if (bind(arg, i, s) < 0) {
			rc = -1;
			break;
		}
		ok = PQsendQueryParams(c, s->sql, s->nparams, NULL, s->v,
		    s->len, s->fmt, 0);
		pg_reset(s);
		if (!ok) {
			fail_result(st, what, NULL);
			rc = -1;
			break;
		}
		sent++;
	}
	pg_reset(s);
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
			rows[k] = changed(res);
		else if (rc == 0)
			rc = fail_result(st, what, res);
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

/*
 * Before a change-feed row. Sequence values are handed out at insert,
 * not at commit, so two concurrent writers could commit ids out of order
 * and a reader between the two commits would skip the smaller id for
 * ever. The table lock (readers are not blocked) makes the writers of the
 * feed take turns until their commits, so ids become visible in order.
 * The notification wakes every gateway's watcher at commit.
 */
static int
pg_announce(struct reg_store *st, const char *what)
{
	if (pg_exec(st, "LOCK TABLE device_events IN EXCLUSIVE MODE",
	    what) < 0)
		return -1;
	return pg_exec(st, "SELECT pg_notify('" PG_CHANNEL "', '')", what);
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

	if (pg_ready(st, what) < 0)
		return -1;
	if (!pg_of(st)->listening) {
		if (pg_exec(st, "LISTEN " PG_CHANNEL, what) < 0)
			return -1;
		pg_of(st)->listening = 1;
	}
	pfd.fd = PQsocket(pg_of(st)->conn);
	pfd.events = POLLIN;
	if (pfd.fd < 0)
		return -1;
	r = poll(&pfd, 1, timeout_ms);
	if (r < 0 && errno != EINTR)
		return -1;
	if (r > 0 && PQconsumeInput(pg_of(st)->conn) == 0)
		return -1;
	while ((n = PQnotifies(pg_of(st)->conn)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

/*
 * An SQLite GLOB (* ? [...] with ^ to negate, case-sensitive) as an
 * anchored POSIX regular expression, so labels filter alike on both
 * backends. Returns 0, or -1 when the glob is too long.
 */
static int
pg_label_pattern(struct reg_store *st, const char *glob, char *out,
    size_t size)
{
	size_t o = 0;

	(void)st;
	if (strlen(glob) >= REG_LABEL_MAX || size < PG_REGEX_MAX)
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

/* Several gateways write one database, so the unique index on (device,
 * seq) is the duplicate check: a retry inserts nothing. */
static int
pg_store_one(struct reg_store *st, struct reg_message *m, const char *peer,
    int64_t now, const char *what)
{
	struct reg_stmt *s = pg_of(st)->insert_msg;
	int r;

	pg_bind_text(s, 1, m->device_id);
	if (m->seq >= 0)
		pg_bind_int(s, 2, m->seq);
	pg_bind_int(s, 3, now);
	pg_bind_text(s, 4, peer);
	pg_bind_blob(s, 5, m->body, m->len);
	if ((r = pg_step(st, s, what)) >= 0)
		m->duplicate = changed(s->res) == 0;
	pg_reset(s);
	return r < 0 ? -1 : 0;
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
	REG_DDL_DEVICE_NAMES
	"	cred_hash	BYTEA NOT NULL UNIQUE"
	"			CHECK (length(cred_hash) = 32),"
	"	created_at	BIGINT NOT NULL,"
	"	last_seen_at	BIGINT,"
	"	last_seen_addr	TEXT"
	");"
	"CREATE TABLE audit ("
	"	id		BIGSERIAL PRIMARY KEY,"
	"	at		BIGINT NOT NULL,"
	REG_DDL_AUDIT_TAIL
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
	REG_DDL_DEVICE_MAC
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

/* Version 4 also records each message's writing transaction, the
 * position readers take messages in (DESIGN.md, "Reading without
 * skipping"): a sequence's ids commit out of order across gateways, a
 * transaction's id below every running one does not. The index is
 * appended to at its right edge, as the primary key's is. Rows already
 * stored get the migration's own transaction. */
static const char pg_schema_v4[] = REG_DDL_APPS("BYTEA", "BIGINT")
	"ALTER TABLE messages ADD COLUMN xid xid8 NOT NULL "
	"	DEFAULT pg_current_xact_id();"
	"CREATE INDEX messages_xid ON messages (xid, id);";

/* Version 5: webhook secrets' salts and the forwarders' cursors, as in
 * SQLite (schema.h). */
static const char pg_schema_v5[] = REG_DDL_FORWARDERS("BYTEA", "BIGINT");

static const struct reg_migration pg_migrations[] = {
	{ 1, "devices, audit, change feed, messages", pg_schema_v1 },
	{ 2, "device MAC, credential time, provisioning batch", pg_schema_v2 },
	{ 3, "message duplicates: the unique index stays",
	  pg_schema_v3 },
	{ 4, REG_MIGRATION_4_NAME ", messages in commit order",
	  pg_schema_v4 },
	{ 5, REG_MIGRATION_5_NAME, pg_schema_v5 },
};

static const struct reg_schema pg_schema = {
	.migrations = pg_migrations,
	.count = sizeof(pg_migrations) / sizeof(pg_migrations[0]),
	.table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	    "applied_at BIGINT NOT NULL)",
	.tables = "SELECT CAST(to_regclass('schema_migrations') IS NOT NULL "
	    "AS INTEGER), (SELECT count(*) FROM pg_tables "
	    "WHERE schemaname = current_schema())",
	.foreign = " holds tables of something else (it has tables, but not "
	    "tether's); name another database",
	.lock = "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")",
};

static int
pg_prepare_all(struct reg_store *st)
{
	const char *what = "cannot prepare the registry's queries";
	struct reg_pg *pg = pg_of(st);
	char buf[REG_QUERY_MAX], msg[REG_QUERY_MAX];
	const char *sql;

	for (int i = 0; i < Q__COUNT; i++) {
		if ((sql = reg_query_text(&reg_pg_backend, i, buf)) == NULL)
			return reg_fail(st, "%s: a statement is too long",
			    what);
		if ((pg->q[i] = pg_prepare(st, sql, what)) == NULL)
			return -1;
	}
	snprintf(msg, sizeof(msg), "%s ON CONFLICT (device_id, seq) DO NOTHING",
	    reg_query_text(&reg_pg_backend, Q_INSERT_MSG, buf));
	if ((pg->insert_msg = pg_prepare(st, msg, what)) == NULL)
		return -1;
	return 0;
}

static void
pg_close(struct reg_store *st)
{
	struct reg_pg *pg = pg_of(st);

	for (int i = 0; i < Q__COUNT; i++)
		pg_finalize(pg->q[i]);
	pg_finalize(pg->insert_msg);
	PQfinish(pg->conn);
	free(pg);
}

static int
pg_open(struct reg_store *st, const char *db)
{
	/* Later keywords win, so the URI (dbname, expanded) can override
	 * these defaults. */
	const char *keys[] = { "connect_timeout", "application_name",
	    "dbname", NULL };
	const char *values[] = { PG_CONNECT_TIMEOUT, "tether", db, NULL };
	char why[REG_ERR_LEN];
	const char *host, *port;
	struct reg_pg *pg;

	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		return reg_fail(st, "out of memory");
	st->db = pg;
	if ((pg->conn = PQconnectdbParams(keys, values, 1)) == NULL)
		return reg_fail(st, "out of memory");
	PQsetNoticeProcessor(pg->conn, no_notices, NULL);
	host = PQhost(pg->conn);
	port = PQport(pg->conn);
	snprintf(pg->where, sizeof(pg->where), "%s:%s",
	    host != NULL && host[0] != '\0' ? host : "localhost",
	    port != NULL && port[0] != '\0' ? port : "5432");
	snprintf(st->name, sizeof(st->name), "the PostgreSQL database at %s",
	    pg->where);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		cause(pg->conn, why, sizeof(why));
		return reg_fail(st, "cannot connect to PostgreSQL at %s: %s",
		    pg->where, why);
	}
	return 0;
}

static int
pg_claims(const char *db)
{
	return strncmp(db, "postgres://", 11) == 0 ||
	    strncmp(db, "postgresql://", 13) == 0;
}

const struct reg_backend reg_pg_backend = {
	REG_PRIMITIVES(pg),
	.in_file = 0,
	/* A PostgreSQL database has no file to put the key beside. */
	.key_file_required = "a PostgreSQL registry needs its key file "
	    "named (--key-file FILE): the same file on every machine that "
	    "serves or provisions its devices",
	.schema = &pg_schema,
	.glob_op = "~",
	.row_order = "n",
	/* ids commit out of order: read in (writing transaction, id) order
	 * and only below the oldest transaction still running */
	.read_sql = "SELECT m.xid::text, m.id, m.device_id, m.seq, "
	    "m.received_at, m.body, coalesce(d.label, '') FROM messages m "
	    "LEFT JOIN devices d ON d.id = m.device_id "
	    "WHERE (m.xid, m.id) > (CAST(?1 AS xid8), CAST(?2 AS BIGINT)) "
	    "AND m.xid < pg_snapshot_xmin(pg_current_snapshot()) "
	    "AND (CAST(?3 AS TEXT) IS NULL OR m.device_id = ?3) "
	    "AND (CAST(?5 AS BIGINT) IS NULL OR m.received_at >= ?5) "
	    "ORDER BY m.xid, m.id LIMIT ?4",
	/* what a forwarder has not delivered: also rows not yet readable */
	.backlog_sql = "SELECT count(*) FROM messages "
	    "WHERE (xid, id) > (CAST(?1 AS xid8), CAST(?2 AS BIGINT))",
	.prune_sql = "DELETE FROM messages WHERE id IN (SELECT id FROM "
	    "messages ORDER BY id LIMIT ?3) AND received_at < ?1 AND "
	    "(xid, id) <= (CAST(?4 AS xid8), CAST(?2 AS BIGINT)) AND "
	    "id < (SELECT max(id) FROM messages)",
	.ready = pg_ready,
	.run_rows = pg_run_rows,
	.announce = pg_announce,
	.wait_changes = pg_wait_changes,
	.label_pattern = pg_label_pattern,
	.store_one = pg_store_one,
};
