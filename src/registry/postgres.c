/* SPDX-License-Identifier: MIT */
/*
 * postgres.c - the registry on PostgreSQL (libpq), for gateways on more
 * than one machine: backend.h's primitives over libpq, the schema in
 * PostgreSQL's types, a handle that reconnects by itself after the server
 * restarted, LISTEN/NOTIFY for the change feed, provisioning pipelined
 * into few round trips, and a store batch pipelined into one.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "registry/backend.h"
#include "registry/registry.h"
#include "registry/registry_int.h"
#include "registry/schema.h"

/* Parameters of one statement, at most. */
#define PG_PARAMS_MAX		8
/* Decimal int64 with sign and NUL. */
#define PG_INT_TEXT		24
/* Milliseconds a connection may take when the handle has no deadline
 * (reg_set_timeout 0); a gateway answers 503 meanwhile. */
#define PG_CONNECT_TIMEOUT_MS	5000
/* TCP keepalives: an idle connection to a host that vanished (power cut,
 * a partition) is found dead within idle + interval * count seconds,
 * instead of when the kernel gives up hours later. */
#define PG_KEEPALIVE_IDLE	"10"
#define PG_KEEPALIVE_INTERVAL	"3"
#define PG_KEEPALIVE_COUNT	"3"
/* Cancel requests in flight at once, each on a thread of its own (libpq
 * 15's PQcancel blocks until the postmaster answers, which a stopped
 * one never does): more time-outs meanwhile cancel nothing, their
 * connections are closed anyway. */
#define PG_CANCELS_MAX		8
/* How long a time-out waits for its cancel request to go out. */
#define PG_CANCEL_WAIT_MS	200
/* The advisory lock that serialises migrations of one database: of
 * several processes opening a new database at once, the first migrates
 * and the others find nothing left to do. ("tether" in ASCII.) */
#define PG_MIGRATE_LOCK		"7465746865720001"
/* Statements a store batch sends before it reads their answers: a
 * larger batch reads the answers so far (one more round trip) and goes
 * on. Room for GW_MAX_BATCH messages and their last-seen updates. */
#define PG_PIPE_MAX		2048
/* A glob of REG_LABEL_MAX characters as a regular expression: each
 * character becomes at most two, plus the anchors. */
#define PG_REGEX_MAX		(2 * REG_LABEL_MAX + 4)

/* The channel every change-feed row is announced on (pg_notify in the
 * same transaction, so it is delivered at commit). */
#define PG_CHANNEL	"tether_devices"

/* A statement: its text with $n placeholders, its parameters (text, or
 * binary for bytea), and the result being read. A named one is prepared
 * once per connection (parsed and planned once, not at every run). */
struct reg_stmt {
	char		*sql;
	char		 name[24];	/* "": sent unnamed, parsed every run */
	unsigned	 prepared;	/* the connection it was prepared on */
	int		 nparams;
	const char	*v[PG_PARAMS_MAX];
	int		 len[PG_PARAMS_MAX];
	int		 fmt[PG_PARAMS_MAX];
	char		 num[PG_PARAMS_MAX][PG_INT_TEXT];
	PGresult	*res;
	int		 row;		/* the row read; -1 before the run */
	unsigned char	*blob;		/* col_blob's bytes */
};

/* What a statement sent in a store batch's pipeline wants of its answer,
 * read later (drain). */
enum pg_wants {
	PG_WANT_NOTHING,	/* that it did not fail */
	PG_WANT_PREPARED,	/* s is prepared on this connection */
	PG_WANT_DUPLICATE,	/* *dup: the INSERT changed no row */
	PG_WANT_ROWS		/* s->res: its rows, for the caller's step */
};

struct pg_pending {
	enum pg_wants	 wants;
	struct reg_stmt	*s;
	int		*dup;
};

/* The PostgreSQL backend's part of a handle (st->db). */
struct reg_pg {
	PGconn		*conn;
	char		*db;		/* the URI, copied: for reconnecting */
	/* A call gave up waiting on conn (its answer may still come, to a
	 * query cancelled meanwhile): the next call connects afresh. */
	int		 stale;
	char		 where[128];	/* "host:port", for messages */
	int		 listening;	/* LISTEN issued on this connection */
	unsigned	 conn_n;	/* connections made: statements prepared
					 * on an earlier one are prepared again */
	/* BEGIN asked for and not yet sent: it goes with the transaction's
	 * first statement (in a store batch, in the same round trip). */
	int		 begin_due;
	/* A store batch's pipeline (pg_store_begin to the commit or
	 * rollback): npend statements sent whose answers are not read;
	 * pipe_failed once one failed (err says why: the batch is lost). */
	int		 pipe;
	int		 pipe_failed;
	size_t		 npend;
	struct pg_pending pend[PG_PIPE_MAX];
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

/* Sets err from a failed result (or a lost connection) and returns -1. */
static int
fail_result(struct reg_store *st, const char *what, const PGresult *res)
{
	const char *msg = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *sev = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED) : NULL;
	int fatal = sev != NULL && (strcmp(sev, "FATAL") == 0 ||
	    strcmp(sev, "PANIC") == 0);

	/* FATAL: the server ends the session (a restart, an administrator),
	 * which libpq may not have read yet (in a pipeline it reads no
	 * further than the answers asked for): the next call reconnects */
	if (fatal)
		pg_of(st)->stale = 1;
	if (PQstatus(pg_of(st)->conn) != CONNECTION_OK || fatal) {
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
 * Deadlines. libpq's blocking calls (PQexec, PQconnectdb, PQgetResult)
 * wait for ever on a server that keeps its socket open and answers
 * nothing (stopped, swapping, a lock it never gets), and TCP cannot tell:
 * the kernel still acknowledges every byte. So the connection is
 * non-blocking, every wait is a poll() bounded by st->timeout_ms, and a
 * call past it cancels its query, gives up the connection and fails.
 */

/* The deadline of a wait that starts now, on the monotonic clock in ms;
 * -1: none. */
static int64_t
deadline_of(const struct reg_store *st, int none_ms)
{
	int ms = st->timeout_ms > 0 ? st->timeout_ms : none_ms;

	return ms > 0 ? reg_mono_us() / 1000 + ms : -1;
}

/* The handle's deadline in words: "3 s", "1.5 s", "500 ms". */
static void
deadline_text(int ms, char *out, size_t size)
{
	if (ms < 1000)
		snprintf(out, size, "%d ms", ms);
	else if (ms % 1000 == 0)
		snprintf(out, size, "%d s", ms / 1000);
	else
		snprintf(out, size, "%d.%d s", ms / 1000, ms % 1000 / 100);
}

/*
 * A cancel request in flight: the thread that sends it and the caller
 * that waits PG_CANCEL_WAIT_MS for it share it, the last one frees it.
 * (A tool that exits right after the failure would otherwise end the
 * thread before its request went out.)
 */
struct pg_cancel_job {
	PGcancel	*c;
	pthread_mutex_t	 lock;
	pthread_cond_t	 done_cond;
	int		 done;
	int		 refs;
};

static atomic_int cancels;	/* jobs in flight, all handles */

static void
cancel_put(struct pg_cancel_job *j)
{
	int last;

	pthread_mutex_lock(&j->lock);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (!last)
		return;
	PQfreeCancel(j->c);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->done_cond);
	free(j);
	atomic_fetch_sub(&cancels, 1);
}

static void *
cancel_main(void *arg)
{
	struct pg_cancel_job *j = arg;
	char errbuf[REG_ERR_LEN];

	(void)PQcancel(j->c, errbuf, sizeof(errbuf));	/* best effort */
	pthread_mutex_lock(&j->lock);
	j->done = 1;
	pthread_cond_signal(&j->done_cond);
	pthread_mutex_unlock(&j->lock);
	cancel_put(j);
	return NULL;
}

/* Asks the server to cancel what conn runs, waiting a little for the
 * request to go out; a server that does not take it costs a thread
 * until it does. */
static void
cancel_query(PGconn *conn)
{
	struct pg_cancel_job *j;
	pthread_attr_t attr;
	struct timespec ts;
	pthread_t t;
	int started = 0;

	if (atomic_fetch_add(&cancels, 1) >= PG_CANCELS_MAX ||
	    (j = calloc(1, sizeof(*j))) == NULL) {
		atomic_fetch_sub(&cancels, 1);
		return;
	}
	j->refs = 2;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->done_cond, NULL);
	if ((j->c = PQgetCancel(conn)) != NULL &&
	    pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&t, &attr, cancel_main, j) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!started) {
		j->refs = 1;
		cancel_put(j);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += PG_CANCEL_WAIT_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->lock);
	while (!j->done && pthread_cond_timedwait(&j->done_cond, &j->lock,
	    &ts) == 0)
		;
	pthread_mutex_unlock(&j->lock);
	cancel_put(j);
}

/*
 * A wait passed its deadline: asks the server to cancel what it runs for
 * this connection (it gets the request when it runs again, and rolls the
 * transaction back), marks the connection stale and fails with the
 * reason. Returns -1.
 */
static int
timed_out(struct reg_store *st, const char *what, int connecting)
{
	struct reg_pg *pg = pg_of(st);
	char limit[32];

	if (!connecting)
		cancel_query(pg->conn);
	pg->stale = 1;
	pg->listening = 0;
	deadline_text(st->timeout_ms > 0 ? st->timeout_ms :
	    PG_CONNECT_TIMEOUT_MS, limit, sizeof(limit));
	if (what == NULL)	/* reg_open */
		return reg_fail(st, "cannot connect to PostgreSQL at %s: it "
		    "did not answer within %s", pg->where, limit);
	return reg_fail(st, "%s: the database is unavailable (PostgreSQL at "
	    "%s did not answer within %s)", what, pg->where, limit);
}

/* Waits for events on the connection's socket until deadline: 1 ready,
 * 0 at the deadline, -1 when the socket failed. */
static int
wait_socket(PGconn *conn, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = PQsocket(conn), .events = events };

	if (pfd.fd < 0)
		return -1;
	for (;;) {
		int ms = -1, r;

		if (deadline >= 0) {
			int64_t left = deadline - reg_mono_us() / 1000;

			if (left <= 0)
				return 0;
			ms = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		if ((r = poll(&pfd, 1, ms)) > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Sends what libpq holds for the server, reading what comes meanwhile
 * (a server blocked on writing to us would not read). 0, or -1 with err
 * set. */
static int
send_all(struct reg_store *st, int64_t deadline, const char *what)
{
	PGconn *c = pg_of(st)->conn;
	int r;

	while ((r = PQflush(c)) == 1) {
		int w = wait_socket(c, POLLIN | POLLOUT, deadline);

		if (w == 0)
			return timed_out(st, what, 0);
		if (w < 0 || PQconsumeInput(c) == 0)
			return fail_result(st, what, NULL);
	}
	return r == 0 ? 0 : fail_result(st, what, NULL);
}

/*
 * The next result of what was sent: *res, NULL when the command's
 * results are all taken. A fresh deadline for each: a pipeline of many
 * rows has each row's answer bounded, not the whole. 0, or -1 with err
 * set.
 */
static int
next_result(struct reg_store *st, PGresult **res, const char *what)
{
	PGconn *c = pg_of(st)->conn;
	int64_t deadline = deadline_of(st, 0);

	*res = NULL;
	if (send_all(st, deadline, what) < 0)
		return -1;
	while (PQisBusy(c)) {
		int w = wait_socket(c, POLLIN, deadline);

		if (w == 0)
			return timed_out(st, what, 0);
		if (w < 0 || PQconsumeInput(c) == 0)
			return fail_result(st, what, NULL);
	}
	*res = PQgetResult(c);
	return 0;
}

/* The result of a command sent, as PQexec gives it (the first error, else
 * the last result): NULL with err set when no answer came. */
static PGresult *
command_result(struct reg_store *st, const char *what)
{
	PGresult *res, *kept = NULL;

	for (;;) {
		if (next_result(st, &res, what) < 0) {
			PQclear(kept);
			return NULL;
		}
		if (res == NULL)
			break;
		if (kept != NULL && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
			PQclear(res);	/* the first error stays */
			continue;
		}
		PQclear(kept);
		kept = res;
	}
	if (kept == NULL)
		fail_result(st, what, NULL);
	return kept;
}

/*
 * Connects (again), non-blocking, within the deadline; keepalives and
 * tcp_user_timeout on. Later keywords win, so the URI (dbname, expanded)
 * can override these defaults. what is NULL for reg_open's first
 * connection. 0, or -1 with err set.
 */
static int
pg_connect(struct reg_store *st, const char *what)
{
	struct reg_pg *pg = pg_of(st);
	char user_timeout[PG_INT_TEXT], why[REG_ERR_LEN];
	const char *keys[] = { "application_name", "keepalives",
	    "keepalives_idle", "keepalives_interval", "keepalives_count",
	    "tcp_user_timeout", "dbname", NULL };
	const char *values[] = { "tether", "1", PG_KEEPALIVE_IDLE,
	    PG_KEEPALIVE_INTERVAL, PG_KEEPALIVE_COUNT, user_timeout, pg->db,
	    NULL };
	int64_t deadline = deadline_of(st, PG_CONNECT_TIMEOUT_MS);
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;

	/* Unacknowledged bytes for this long end the connection (a host
	 * gone mid-query); 0 is the system's default. */
	snprintf(user_timeout, sizeof(user_timeout), "%d", st->timeout_ms);
	PQfinish(pg->conn);
	pg->stale = 0;
	pg->listening = 0;	/* a new session listens to nothing */
	pg->conn_n++;		/* ... and has no prepared statements */
	pg->begin_due = 0;
	pg->pipe = 0;
	pg->pipe_failed = 0;
	pg->npend = 0;
	if ((pg->conn = PQconnectStartParams(keys, values, 1)) == NULL)
		return reg_fail(st, "out of memory");
	PQsetNoticeProcessor(pg->conn, no_notices, NULL);
	if (pg->where[0] == '\0') {
		const char *host = PQhost(pg->conn), *port = PQport(pg->conn);

		snprintf(pg->where, sizeof(pg->where), "%s:%s",
		    host != NULL && host[0] != '\0' ? host : "localhost",
		    port != NULL && port[0] != '\0' ? port : "5432");
		snprintf(st->name, sizeof(st->name),
		    "the PostgreSQL database at %s", pg->where);
	}
	while (PQstatus(pg->conn) != CONNECTION_BAD && ps != PGRES_POLLING_OK &&
	    ps != PGRES_POLLING_FAILED) {
		int w = wait_socket(pg->conn, ps == PGRES_POLLING_READING ?
		    POLLIN : POLLOUT, deadline);

		if (w == 0)
			return timed_out(st, what, 1);
		ps = PQconnectPoll(pg->conn);
	}
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		cause(pg->conn, why, sizeof(why));
		if (what == NULL)
			return reg_fail(st, "cannot connect to PostgreSQL at "
			    "%s: %s", pg->where, why);
		return reg_fail(st, "%s: the database is unavailable "
		    "(cannot connect to PostgreSQL at %s: %s)", what,
		    pg->where, why);
	}
	if (PQsetnonblocking(pg->conn, 1) != 0)
		return fail_result(st, what != NULL ? what :
		    "cannot connect to PostgreSQL", NULL);
	return 0;
}

/*
 * Makes sure the handle has a connection: after the server restarted (or
 * the network failed, or a call gave up waiting) the connection is bad,
 * and the next call reconnects here instead of failing for ever.
 */
static int
pg_ready(struct reg_store *st, const char *what)
{
	if (!pg_of(st)->stale && PQstatus(pg_of(st)->conn) == CONNECTION_OK)
		return 0;
	return pg_connect(st, what);
}

/* A call on a connection an earlier call of this transaction gave up
 * on: the transaction is lost, the next transaction reconnects. */
static int
unanswered(struct reg_store *st, const char *what)
{
	return reg_fail(st, "%s: the database is unavailable (PostgreSQL at "
	    "%s stopped answering; the next call reconnects)", what,
	    pg_of(st)->where);
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

/* The rows an INSERT, UPDATE or DELETE changed. */
static long long
changed(PGresult *res)
{
	return strtoll(PQcmdTuples(res), NULL, 10);
}

/*
 * The store batch's pipeline. Without it a batch of n messages costs
 * n + 2 round trips (BEGIN, each INSERT, COMMIT), each waited for in
 * turn; in libpq's pipeline mode the batch's statements go out together
 * and their answers are read once: at the commit, or earlier when a
 * statement's answer is needed to go on (a command probe, a presence
 * count). The server runs them in order as before, so the transaction is
 * the same; an error skips the rest until the sync, and the batch rolls
 * back whole.
 */

static void
pipe_forget(struct reg_pg *pg)
{
	pg->begin_due = 0;
	pg->pipe = 0;
	pg->pipe_failed = 0;
	pg->npend = 0;
}

/* Runs sql, which may hold several statements, outside a pipeline. */
static int
exec_now(struct reg_store *st, const char *sql, const char *what)
{
	PGresult *res;
	ExecStatusType s;

	if (!PQsendQuery(pg_of(st)->conn, sql))
		return fail_result(st, what, NULL);
	if ((res = command_result(st, what)) == NULL)
		return -1;
	s = PQresultStatus(res);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_result(st, what, res);
	PQclear(res);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
}

/*
 * Reads the answers of what the pipeline holds, in order: each gives its
 * sender what it wanted (a duplicate flag, a statement's rows); the first
 * error is kept in err and fails the rest of the batch. synced: a
 * PQpipelineSync follows them (its answer is the caller's), else a flush
 * request asks the server for the answers so far. 0, or -1 with err set
 * (pg->stale or a bad connection when no answer came).
 */
static int
drain(struct reg_store *st, int synced, const char *what)
{
	struct reg_pg *pg = pg_of(st);
	PGresult *res;
	size_t n = pg->npend;

	pg->npend = 0;
	if (n > 0 && !synced && !PQsendFlushRequest(pg->conn))
		return fail_result(st, what, NULL);
	for (size_t k = 0; k < n; k++) {
		const struct pg_pending *p = &pg->pend[k];
		PGresult *failed = NULL;
		ExecStatusType s;

		if (next_result(st, &res, what) < 0)
			return -1;		/* no answer in time */
		if (res == NULL)
			return fail_result(st, what, NULL);	/* it broke */
		s = PQresultStatus(res);
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			if (p->wants == PG_WANT_PREPARED)
				p->s->prepared = 0;
			if (!pg->pipe_failed)
				failed = res;	/* told once the end is read */
			else
				PQclear(res);
			pg->pipe_failed = 1;
		} else if (p->wants == PG_WANT_DUPLICATE) {
			*p->dup = changed(res) == 0;
			PQclear(res);
		} else if (p->wants == PG_WANT_ROWS) {
			PQclear(p->s->res);
			p->s->res = res;
		} else
			PQclear(res);
		do {				/* end of this statement */
			if (next_result(st, &res, what) < 0) {
				PQclear(failed);
				return -1;
			}
			PQclear(res);
		} while (res != NULL);
		/* after the end: a server that hung up (a restart, an
		 * administrator) says so by then, and the database is
		 * unavailable rather than the statement wrong */
		if (failed != NULL) {
			fail_result(st, what, failed);
			PQclear(failed);
		}
	}
	return pg->pipe_failed ? -1 : 0;
}

/* Makes room for k more statements in the pipeline: reads the answers so
 * far when it is full. */
static int
pipe_room(struct reg_store *st, size_t k, const char *what)
{
	return pg_of(st)->npend + k > PG_PIPE_MAX ? drain(st, 0, what) : 0;
}

/*
 * Sends s (prepared on this connection first, when it is a named one)
 * without reading its answer. Outside a pipeline the prepare is waited
 * for (once per statement and connection); in one it is queued before s.
 * 0, or -1 with err set.
 */
static int
send_stmt(struct reg_store *st, struct reg_stmt *s, const char *what)
{
	struct reg_pg *pg = pg_of(st);
	PGconn *c = pg->conn;

	if (s->name[0] == '\0')
		return PQsendQueryParams(c, s->sql, s->nparams, NULL, s->v,
		    s->len, s->fmt, 0) ? 0 : fail_result(st, what, NULL);
	if (s->prepared != pg->conn_n) {
		PGresult *res;
		int ok;

		if (!PQsendPrepare(c, s->name, s->sql, s->nparams, NULL))
			return fail_result(st, what, NULL);
		if (pg->pipe) {
			pg->pend[pg->npend++] = (struct pg_pending){
			    .wants = PG_WANT_PREPARED, .s = s };
		} else {
			if ((res = command_result(st, what)) == NULL)
				return -1;
			if (!(ok = PQresultStatus(res) == PGRES_COMMAND_OK))
				fail_result(st, what, res);
			PQclear(res);
			if (!ok)
				return -1;
		}
		s->prepared = pg->conn_n;
	}
	return PQsendQueryPrepared(c, s->name, s->nparams, s->v, s->len,
	    s->fmt, 0) ? 0 : fail_result(st, what, NULL);
}

/* BEGIN, put off by pg_begin until the transaction's first statement: in
 * a pipeline it goes out with that one. */
static int
begin_now(struct reg_store *st, const char *what)
{
	struct reg_pg *pg = pg_of(st);

	if (!pg->begin_due)
		return 0;
	pg->begin_due = 0;
	if (!pg->pipe)
		return exec_now(st, "BEGIN", what);
	if (!PQsendQueryParams(pg->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
		return fail_result(st, what, NULL);
	pg->pend[pg->npend++] = (struct pg_pending){ .wants = PG_WANT_NOTHING };
	return 0;
}

/*
 * Sends s (or, s NULL, the one statement sql) into the pipeline after
 * what it holds, wanting w of its answer (dup for PG_WANT_DUPLICATE).
 * After a failure in the batch, nothing more goes: err says why.
 */
static int
pipe_send(struct reg_store *st, struct reg_stmt *s, const char *sql,
    enum pg_wants w, int *dup, const char *what)
{
	struct reg_pg *pg = pg_of(st);

	if (pg->stale)
		return unanswered(st, what);
	if (pg->pipe_failed)
		return -1;
	/* BEGIN, a prepare, the statement and a COMMIT after it */
	if (pipe_room(st, 4, what) < 0 || begin_now(st, what) < 0)
		return -1;
	if (s != NULL) {
		if (send_stmt(st, s, what) < 0)
			return -1;
	} else if (!PQsendQueryParams(pg->conn, sql, 0, NULL, NULL, NULL,
	    NULL, 0))
		return fail_result(st, what, NULL);
	pg->pend[pg->npend++] = (struct pg_pending){ .wants = w, .s = s,
	    .dup = dup };
	/* what the socket does not take now waits (reading the answers
	 * meanwhile), bounded like any answer */
	if (PQflush(pg->conn) != 0 && send_all(st, deadline_of(st, 0),
	    what) < 0)
		return -1;
	return 0;
}

/*
 * Ends the pipeline: sends last (COMMIT; NULL: nothing, a rollback
 * follows) unless the batch failed, then a sync, reads every answer and
 * leaves pipeline mode. 0, or -1 with err set.
 */
static int
pipe_end(struct reg_store *st, const char *last, const char *what)
{
	struct reg_pg *pg = pg_of(st);
	PGresult *res;
	int rc = pg->pipe_failed ? -1 : 0;

	if (rc == 0 && last != NULL &&
	    pipe_send(st, NULL, last, PG_WANT_NOTHING, NULL, what) < 0)
		rc = -1;
	if (pg->stale || PQstatus(pg->conn) != CONNECTION_OK ||
	    !PQpipelineSync(pg->conn)) {
		if (rc == 0)
			fail_result(st, what, NULL);
		pipe_forget(pg);
		return -1;
	}
	if (drain(st, 1, what) < 0)
		rc = -1;
	if (pg->stale || PQstatus(pg->conn) != CONNECTION_OK ||
	    next_result(st, &res, what) < 0) {	/* PGRES_PIPELINE_SYNC */
		pipe_forget(pg);
		return -1;
	}
	PQclear(res);
	if (!PQexitPipelineMode(pg->conn) && rc == 0)
		rc = fail_result(st, what, NULL);
	pipe_forget(pg);
	return rc;
}

static int
pg_step(struct reg_store *st, struct reg_stmt *s, const char *what)
{
	struct reg_pg *pg = pg_of(st);
	ExecStatusType status;

	if (s->row >= 0)
		return ++s->row < PQntuples(s->res) ? REG_ROW : REG_DONE;
	if (pg->stale)
		return unanswered(st, what);
	if (pg->pipe) {
		/* the answer is needed now: the batch's so far with it */
		if (pipe_send(st, s, NULL, PG_WANT_ROWS, NULL, what) < 0 ||
		    drain(st, 0, what) < 0)
			return -1;
	} else {
		if (begin_now(st, what) < 0 || send_stmt(st, s, what) < 0)
			return -1;
		if ((s->res = command_result(st, what)) == NULL)
			return -1;
	}
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

/* backend.h's run_later: in a store batch, sent on without waiting. */
static int
pg_run_later(struct reg_store *st, struct reg_stmt *s, const char *what)
{
	int r;

	if (pg_of(st)->pipe)
		r = pipe_send(st, s, NULL, PG_WANT_NOTHING, NULL, what);
	else
		r = pg_step(st, s, what) < 0 ? -1 : 0;
	pg_reset(s);
	return r;
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

static long long
pg_changed(struct reg_store *st, struct reg_stmt *s)
{
	(void)st;
	return s->res != NULL ? changed(s->res) : 0;
}

/* Runs sql, which may hold several statements (a migration does; in a
 * store batch's pipeline, one statement). */
static int
pg_exec(struct reg_store *st, const char *sql, const char *what)
{
	if (pg_of(st)->stale)
		return unanswered(st, what);
	if (pg_of(st)->pipe)
		return pipe_send(st, NULL, sql, PG_WANT_NOTHING, NULL, what) < 0 ?
		    -1 : drain(st, 0, what);
	if (begin_now(st, what) < 0)
		return -1;
	return exec_now(st, sql, what);
}

/* Connects if need be; BEGIN waits for the first statement. */
static int
pg_begin(struct reg_store *st, const char *what)
{
	if (pg_ready(st, what) < 0)
		return -1;
	pg_of(st)->begin_due = 1;
	return 0;
}

/* Rolls back the open transaction, if there is one and a connection. */
static void
pg_rollback(struct reg_store *st)
{
	struct reg_pg *pg = pg_of(st);
	PGconn *c = pg->conn;
	char err[REG_ERR_LEN];

	if (pg->begin_due) {		/* nothing was sent */
		if (pg->pipe)
			(void)PQexitPipelineMode(c);
		pipe_forget(pg);
		return;
	}
	if (pg->stale || PQstatus(c) != CONNECTION_OK) {
		pipe_forget(pg);
		return;
	}
	/* the error that made the caller roll back is the one to keep */
	memcpy(err, st->err, sizeof(err));
	if (pg->pipe)
		(void)pipe_end(st, NULL, "cannot roll back");
	if (!pg->stale && PQstatus(c) == CONNECTION_OK &&
	    PQtransactionStatus(c) != PQTRANS_IDLE)
		(void)exec_now(st, "ROLLBACK", "cannot roll back");
	memcpy(st->err, err, sizeof(err));
}

static int
pg_commit(struct reg_store *st, const char *what)
{
	struct reg_pg *pg = pg_of(st);
	int r;

	if (pg->begin_due) {		/* nothing was sent: nothing to do */
		pg_rollback(st);
		return 0;
	}
	if (pg->stale)
		r = unanswered(st, what);
	else if (pg->pipe)
		r = pipe_end(st, "COMMIT", what);
	else
		r = exec_now(st, "COMMIT", what);
	if (r < 0) {
		pg_rollback(st);
		return -1;
	}
	return 0;
}

/*
 * A store batch: its statements go in one pipeline (above), BEGIN with
 * them; pg_commit or pg_rollback ends it.
 */
static int
pg_store_begin(struct reg_store *st)
{
	struct reg_pg *pg = pg_of(st);
	const char *what = "cannot store the messages";

	if (pg->stale)
		return unanswered(st, what);
	if (pg->pipe)
		return 0;
	if (!PQenterPipelineMode(pg->conn))
		return fail_result(st, what, NULL);
	pg->pipe = 1;
	pg->pipe_failed = 0;
	pg->npend = 0;
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

	if (pg_of(st)->stale)
		return unanswered(st, what);
	if (pg_of(st)->pipe) {		/* in a store batch: row by row */
		for (size_t i = 0; i < n; i++) {
			if (bind(arg, i, s) < 0 || pg_step(st, s, what) < 0) {
				pg_reset(s);
				return -1;
			}
			rows[i] = changed(s->res);
			pg_reset(s);
		}
		return 0;
	}
	if (begin_now(st, what) < 0)
		return -1;
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
		/* what the socket does not take now waits (reading the
		 * answers meanwhile), bounded like any answer */
		if (PQflush(c) != 0 && send_all(st, deadline_of(st, 0),
		    what) < 0)
			return -1;
	}
	pg_reset(s);
	if (!PQpipelineSync(c)) {
		if (rc == 0)
			fail_result(st, what, NULL);
		return -1;
	}
	/* every result, even after a failure, to leave pipeline mode */
	for (size_t k = 0; k < sent; k++) {
		if (next_result(st, &res, what) < 0)
			return -1;	/* no answer in time */
		if (res == NULL) {
			if (rc == 0)
				fail_result(st, what, NULL);
			return -1;	/* the connection broke */
		}
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			rows[k] = changed(res);
		else if (rc == 0)
			rc = fail_result(st, what, res);
		PQclear(res);
		do {				/* end of this query */
			if (next_result(st, &res, what) < 0)
				return -1;
			PQclear(res);
		} while (res != NULL);
	}
	if (next_result(st, &res, what) < 0)	/* PGRES_PIPELINE_SYNC */
		return -1;
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
 * seq) is the duplicate check: a retry inserts nothing. In a batch's
 * pipeline the flag is set when the answer is read (at the commit, at the
 * latest); a message without a seq is never a duplicate. */
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
	pg_bind_int(s, 6, m->kind);
	if (pg_of(st)->pipe) {
		m->duplicate = 0;
		r = pipe_send(st, s, NULL, m->seq >= 0 ? PG_WANT_DUPLICATE :
		    PG_WANT_NOTHING, &m->duplicate, what);
		pg_reset(s);
		return r;
	}
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

/* Version 6: the lookup index of active credentials only (schema.h). */
static const char pg_schema_v6[] =
	"CREATE UNIQUE INDEX devices_active_cred ON devices (cred_hash) "
	"	INCLUDE (id) WHERE status = 'active';";

/* Version 8: commands to devices, as in SQLite (schema.h). */
static const char pg_schema_v8[] = REG_DDL_COMMANDS("BYTEA", "BIGINT",
    "BIGSERIAL PRIMARY KEY");

/* Version 9: presence, as in SQLite (schema.h). */
static const char pg_schema_v9[] = REG_DDL_PRESENCE("BIGINT", "");

/* Version 11: one device's messages in the read's own order (schema.h).
 * messages_device_seq cannot serve a read: it orders a device's rows by
 * seq, not by (xid, id), so the read scanned messages_xid from the cursor
 * and filtered by device. A plain index: the rows are already unique. */
static const char pg_schema_v11[] =
	"CREATE INDEX messages_device_xid ON messages (device_id, xid, id);";

static const struct reg_migration pg_migrations[] = {
	{ 1, "devices, audit, change feed, messages", pg_schema_v1 },
	{ 2, "device MAC, credential time, provisioning batch", pg_schema_v2 },
	{ 3, "message duplicates: the unique index stays",
	  pg_schema_v3 },
	{ 4, REG_MIGRATION_4_NAME ", messages in commit order",
	  pg_schema_v4 },
	{ 5, REG_MIGRATION_5_NAME, pg_schema_v5 },
	{ 6, REG_MIGRATION_6_NAME, pg_schema_v6 },
	{ 7, REG_MIGRATION_7_NAME, REG_DDL_TICKET_KEYS("BYTEA", "BIGINT") },
	{ 8, REG_MIGRATION_8_NAME, pg_schema_v8 },
	{ 9, REG_MIGRATION_9_NAME, pg_schema_v9 },
	{ 10, REG_MIGRATION_10_NAME, REG_DDL_SESSIONS("BYTEA", "BIGINT",
	  "BIGSERIAL PRIMARY KEY") },
	{ 11, REG_MIGRATION_11_NAME, pg_schema_v11 },
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

/*
 * The statements of the intake's transaction (messages.c, commands.c,
 * presence.c), prepared on the server once per connection: run for every
 * message, they are not parsed and planned each time. The others stay
 * unnamed, planned for their parameters at each run (the readers' OR ...
 * IS NULL filters want that), and never hold a plan a migration by
 * another process could leave stale.
 */
static const enum reg_query pg_named[] = {
	Q_TOUCH, Q_CMD_ACK, Q_CMD_NEXT, Q_CMD_DELIVER, Q_CMD_REJECT,
	Q_PRESENCE_UP, Q_PRESENCE_DOWN, Q_PRESENCE_ELSEWHERE,
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
	for (size_t i = 0; i < sizeof(pg_named) / sizeof(pg_named[0]); i++)
		snprintf(pg->q[pg_named[i]]->name, sizeof(pg->q[0]->name),
		    "tether_q%d", (int)pg_named[i]);
	snprintf(msg, sizeof(msg), "%s ON CONFLICT (device_id, seq) DO NOTHING",
	    reg_query_text(&reg_pg_backend, Q_INSERT_MSG, buf));
	if ((pg->insert_msg = pg_prepare(st, msg, what)) == NULL)
		return -1;
	snprintf(pg->insert_msg->name, sizeof(pg->insert_msg->name),
	    "tether_insert_msg");
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
	free(pg->db);
	free(pg);
}

static int
pg_open(struct reg_store *st, const char *db)
{
	struct reg_pg *pg;

	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		return reg_fail(st, "out of memory");
	st->db = pg;
	if ((pg->db = strdup(db)) == NULL)
		return reg_fail(st, "out of memory");
	return pg_connect(st, NULL);
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
	/* the planner takes the smaller, partial index by itself */
	.lookup_sql = "SELECT id FROM devices WHERE cred_hash = ?1 "
	    "AND status = 'active'",
	/* ids commit out of order: read in (writing transaction, id) order
	 * and only below the oldest transaction still running */
	.read_sql = "SELECT m.xid::text, m.id, m.device_id, m.seq, "
	    "m.received_at, m.body, coalesce(d.label, ''), m.kind "
	    "FROM messages m LEFT JOIN devices d ON d.id = m.device_id "
	    "WHERE (m.xid, m.id) > (CAST(?1 AS xid8), CAST(?2 AS BIGINT)) "
	    "AND m.xid < pg_snapshot_xmin(pg_current_snapshot()) "
	    "AND (CAST(?3 AS TEXT) IS NULL OR m.device_id = ?3) "
	    "AND (CAST(?5 AS BIGINT) IS NULL OR m.received_at >= ?5) "
	    "AND (CAST(?6 AS BIGINT) IS NOT NULL OR m.kind = 0) "
	    "ORDER BY m.xid, m.id LIMIT ?4",
	/* read_sql's, of one device: a range of messages_device_xid */
	.read_device_sql = "SELECT m.xid::text, m.id, m.device_id, m.seq, "
	    "m.received_at, m.body, coalesce(d.label, ''), m.kind "
	    "FROM messages m LEFT JOIN devices d ON d.id = m.device_id "
	    "WHERE m.device_id = ?3 "
	    "AND (m.xid, m.id) > (CAST(?1 AS xid8), CAST(?2 AS BIGINT)) "
	    "AND m.xid < pg_snapshot_xmin(pg_current_snapshot()) "
	    "AND (CAST(?5 AS BIGINT) IS NULL OR m.received_at >= ?5) "
	    "AND (CAST(?6 AS BIGINT) IS NOT NULL OR m.kind = 0) "
	    "ORDER BY m.xid, m.id LIMIT ?4",
	/* what a forwarder has not delivered: also rows not yet readable */
	.backlog_sql = "SELECT count(*) FROM messages "
	    "WHERE (xid, id) > (CAST(?1 AS xid8), CAST(?2 AS BIGINT))",
	.prune_sql = "DELETE FROM messages WHERE id IN (SELECT id FROM "
	    "messages ORDER BY id LIMIT ?3) AND received_at < ?1 AND "
	    "(xid, id) <= (CAST(?4 AS xid8), CAST(?2 AS BIGINT)) AND "
	    "id < (SELECT max(id) FROM messages)",
	.ready = pg_ready,
	.run_later = pg_run_later,
	.run_rows = pg_run_rows,
	.announce = pg_announce,
	.wait_changes = pg_wait_changes,
	.label_pattern = pg_label_pattern,
	.store_one = pg_store_one,
	.store_begin = pg_store_begin,
};
