/* SPDX-License-Identifier: MIT */
/*
 * worker.h - what the files of a worker's thread share (worker.c, conn.c,
 * auth.c, the protocols): the worker (one event loop on one thread) and
 * the connection it owns.
 */
#ifndef GW_WORKER_H
#define GW_WORKER_H

#include <openssl/ssl.h>

#include "gateway/app.h"
#include "gateway/gateway.h"
#include "gateway/metrics.h"
#include "gateway/proto.h"

enum conn_state {
	CONN_HANDSHAKE,		/* TLS handshake in progress */
	CONN_OPEN,		/* reading requests, answering them */
};

/* What the current deadline guards, for the log line when it passes. */
enum conn_timer {
	TIMER_HANDSHAKE,
	TIMER_IDLE,
	TIMER_HEAD,
	TIMER_BODY,
	TIMER_WRITE,
	TIMER_REGISTRY,		/* a lookup: past it, 503 and the next request */
	TIMER_STORE,		/* a message at the store: past it, 503, close */
	TIMER_READER,		/* an application's read: past it, 503 */
	TIMER_NONE,
};

/* What a parked connection waits for; nothing of it is read meanwhile. */
enum conn_wait {
	WAIT_NONE,
	WAIT_STORE,		/* its message is at the intake */
	WAIT_REGISTRY,		/* its credential is at the lookup thread; the
				 * request stays in `in` and is routed again */
	WAIT_READER,		/* an application's read is at the reader */
};

/* auth.c: who is at the other end of a connection, once proven. */
struct gw_identity {
	int		 authed;	/* cred_hash/device hold the device */
	uint8_t		 cred_hash[REG_HASH_LEN];
	char		 device[REG_ID_MAX];
};

enum gw_auth_result {
	GW_AUTH_NONE,		/* (no lookup answer waiting) */
	GW_AUTH_OK,		/* the device: c->ident */
	GW_AUTH_UNKNOWN,	/* unknown or revoked: the same answer */
	GW_AUTH_PENDING,	/* parked: the request comes again */
	GW_AUTH_UNAVAILABLE,	/* the registry failed or did not answer */
	GW_AUTH_BUSY,		/* the lookup queue is full */
	GW_AUTH_OTHER,		/* not the credential the connection proved */
};

/* A lookup on its way to the registry and back to its connection. */
struct gw_lookup {
	struct gw_lookup *next;
	struct gw_worker *worker;
	int		 fd;		/* connection, with gen to tell reuse */
	uint32_t	 gen;
	uint32_t	 seq;		/* tells this lookup from a later one */
	int64_t		 deadline;	/* ms: past it, the worker answered 503 */
	uint8_t		 hash[REG_HASH_LEN];
	enum gw_auth_result result;	/* out: OK (id), UNKNOWN, UNAVAILABLE */
	char		 id[REG_ID_MAX];
};

struct gw_conn {
	int		 fd;
	uint32_t	 gen;		/* tells a reused fd from this one */
	SSL		*ssl;
	const struct gw_proto *proto;	/* what is spoken on it */
	enum conn_state	 state;
	char		 peer[GW_PEER_MAX];	/* "ip:port", "[ip6]:port" */
	struct gw_identity ident;
	/* Why it closes, for its device's disconnected event (presence.c):
	 * set where the gateway ends it; NULL: "closed" (the peer's end). */
	const char	*end;
	struct app_conn	*app;		/* an application's: app.c; else NULL */
	enum gw_auth_result lookup;	/* of the parked request, once come */
	uint32_t	 lookup_seq;	/* of the last lookup sent */
	uint8_t		 auth_failures;	/* 401s: GW_MAX_AUTH_FAILURES closes */
	enum conn_wait	 wait;

	char		*in;		/* request bytes; NULL while idle */
	size_t		 in_len, in_cap;
	/* The current request's framing, kept by the protocol's parse. */
	size_t		 head_len;	/* 0 until the current head is complete */
	struct http_resume *resume;	/* a head that came in pieces, so far */
	long long	 body_len;
	char		*out;		/* response bytes not yet written */
	size_t		 out_len, out_off, out_cap;

	int64_t		 deadline;	/* ms, CLOCK_MONOTONIC */
	enum conn_timer	 timer;

	unsigned	 keep_alive:1;	/* of the request being answered */
	unsigned	 proxied:1;	/* a PROXY header comes before TLS */
	unsigned	 close_after:1;	/* close once out is written */
	unsigned	 continue_sent:1;
	unsigned	 failed:1;	/* TLS error: no close_notify, session dropped */
	/* WAIT_READER for a command route: a half-close does not end it
	 * (the client may shut its side after a POST and read the answer) */
	unsigned	 answer_half_closed:1;
};

struct gw_worker {
	struct gw_shared *sh;
	int		 index;
	pthread_t	 thread;
	int		 epfd;
	int		 evfd;		/* wakes the loop from other threads */
	int		 lfd[3 * GW_MAX_LISTEN];	/* devices', proxied, apps' */
	size_t		 nlisten;
	size_t		 nproxy;	/* after the first nlisten-nproxy-napp */
	size_t		 napp;		/* the last napp of lfd are apps' */
	struct gw_conn	**conns;	/* by fd */
	int		 maxfd;		/* size of conns */
	int		 hifd;		/* highest fd in use + 1 */
	int		 nconn;
	uint32_t	 gen;
	int64_t		 now;
	int		 draining;
	int64_t		 drain_deadline;
	struct reg_store *store;	/* the registry key, to hash; no queries */
	struct gw_counters ctr;		/* written by this loop only (metrics.h) */
	char		 scratch[16384];	/* reads of connections with no buffer */
	/* Messages of this loop iteration, handed to the intake together at
	 * its end: one lock and one wake-up per iteration, not per message. */
	struct gw_intake_item *pending, **pending_tail;
	size_t		 npending;

	pthread_mutex_t	 lock;		/* guards the six below */
	struct gw_intake_item *done, **done_tail;	/* oldest first */
	struct gw_lookup *looked, **looked_tail;	/* oldest first */
	struct gw_read	*reads, **reads_tail;		/* oldest first */
	char		(*changed)[REG_ID_MAX];
	size_t		 nchanged, changed_cap;
	int		 stop;
};

/*
 * auth.c: who sent cred (len bytes)? On this thread when the connection
 * or the device cache knows the credential; else PENDING: the connection
 * is parked (WAIT_REGISTRY) with its request kept, and that request is
 * routed again when the answer comes or at the deadline, this call then
 * returning the answer (UNAVAILABLE at the deadline).
 */
enum gw_auth_result gw_authenticate(struct gw_worker *w, struct gw_conn *c,
    const char *cred, size_t len);
/* An answer from the lookup thread: resumes its connection if it still
 * waits for it, drops it otherwise; frees l. */
void gw_auth_resolved(struct gw_worker *w, struct gw_lookup *l);

/* worker.c: "1.2.3.4:5678", "[::1]:5678" (out: GW_PEER_MAX bytes). */
struct sockaddr_storage;
void gw_format_peer(const struct sockaddr_storage *ss, char *out, size_t len);

/* conn.c */
struct gw_conn *conn_new(struct gw_worker *w, int fd, const char *peer);
void conn_close(struct gw_worker *w, struct gw_conn *c, const char *why);
/* Runs a connection as far as it can go without blocking. */
void conn_run(struct gw_worker *w, struct gw_conn *c);
/* The deadline passed: answer 408 where a request is half read, close. */
void conn_timeout(struct gw_worker *w, struct gw_conn *c);
/* Queues an HTTP/1.1 response: len bytes of body (copied; not a C string,
 * may be 0) of type ctype; headers, if not NULL, are whole "Name: value\r\n"
 * lines. Out of memory, it answers nothing and closes after. */
void conn_respond(struct gw_conn *c, int status, const char *headers,
    const char *ctype, const void *body, size_t len);
/* The same with a JSON text (a C string, or NULL: no body), sent with a
 * newline after it. */
void conn_respond_json(struct gw_conn *c, int status, const char *headers,
    const char *json);
void conn_set_timer(struct gw_worker *w, struct gw_conn *c,
    enum conn_timer t);
/* Appends n bytes to the output as they are (an interim answer); 0 or -1
 * (out of memory). */
int conn_out(struct gw_conn *c, const char *s, size_t n);
/* Answers a request refused by the parser with status and the reason (a
 * sentence) and the byte offset where it went wrong; closes after and
 * drops what else was read. */
void conn_refuse(struct gw_worker *w, struct gw_conn *c, int status,
    const char *reason, size_t offset);

/* app.c: the application listener's routes and answers (app.h). */
void app_route(struct gw_worker *w, struct gw_conn *c,
    const struct http_request *req, const char *body, size_t body_len);
/* A read is back from the reader: answers its connection if it still
 * waits for it; frees r. */
void gw_app_read_done(struct gw_worker *w, struct gw_read *r);
/* The output is written: a stream sends its next read. */
void app_written(struct gw_worker *w, struct gw_conn *c);
/* TIMER_READER passed: 503 (a stream closes). */
void app_read_timeout(struct gw_worker *w, struct gw_conn *c);
void app_close(struct gw_worker *w, struct gw_conn *c);
/* 1 once a stream's head is written: the request stream is over. */
int app_streaming(const struct gw_conn *c);

/* routes.c: HTTP's routes, one complete request (head and body in c->in).
 * To add one: a branch in route_request and its function here. */
void route_request(struct gw_worker *w, struct gw_conn *c,
    const struct http_request *req, const char *body, size_t body_len);
/* 1 if the request's path (without its query) is path. */
int route_path_is(const struct http_request *req, const char *path);
/* GET|HEAD /v1/health, on both listeners. */
void route_health(struct gw_worker *w, struct gw_conn *c,
    const struct http_request *req);
/* The answer to a message once the store has spoken. */
void route_message_done(struct gw_worker *w, struct gw_conn *c,
    const struct gw_intake_item *item);


#endif
