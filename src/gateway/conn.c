/* SPDX-License-Identifier: MIT */
/*
 * conn.c - one device connection: TLS handshake, reading requests into a
 * buffer that exists only while a request is in it, answering them in
 * order (pipelined requests wait for the one before), timeouts. What the
 * requests are is the protocol's (proto.h); the answers' HTTP/1.1 head is
 * written here (conn_respond).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "common/json.h"
#include "gateway/proxy.h"
#include "gateway/tickets.h"
#include "gateway/worker.h"

static const char *timer_names[] = {
	[TIMER_HANDSHAKE] = "TLS handshake not finished in time",
	[TIMER_IDLE] = "idle keep-alive connection",
	[TIMER_HEAD] = "request head not received in time",
	[TIMER_BODY] = "request body not received in time",
	[TIMER_WRITE] = "client does not read its responses",
	[TIMER_REGISTRY] = "the registry did not answer a lookup in time",
	[TIMER_STORE] = "the store did not commit the message in time",
	[TIMER_READER] = "the store did not answer a read in time",
	[TIMER_NONE] = "",
};

/*
 * Connections of all workers whose TLS handshake has not finished, each
 * counted from accept to its handshake's end or its close: they are
 * bounded apart from --max-connections (--max-handshakes), as a
 * handshake in progress holds OpenSSL's buffers (about 42 KiB).
 */
static atomic_int pre_tls;

static void
pre_tls_done(struct gw_conn *c)
{
	if (c->state == CONN_HANDSHAKE)
		atomic_fetch_sub(&pre_tls, 1);
}

/*
 * A connection's TLS state, made when its first byte has come: a
 * connection that never sends costs its struct, not an SSL and its
 * buffers. 1 made, 0 nothing yet (the next EPOLLIN edge), -1 the peer
 * closed or the socket failed (why set) or out of memory.
 */
/*
 * On a --proxy-listen address: takes the PROXY protocol header off the
 * stream and makes its client the connection's peer. 1 done, 0 more
 * bytes needed (the next EPOLLIN edge), -1 no such header (why set).
 */
static int
proxy_take(struct gw_worker *w, struct gw_conn *c, const char **why)
{
	unsigned char buf[PROXY_V2_MAX];
	struct proxy_header h;
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_PEEK);
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0) {
		*why = "peer closed the connection before its PROXY header";
		return -1;
	}
	if ((r = proxy_parse(buf, (size_t)n, &h)) <= 0) {
		if (r == 0 && (size_t)n < sizeof(buf))
			return 0;
		gw_count_refused(&w->ctr, GW_REFUSED_PROXY_HEADER);
		gw_log(GW_LOG_INFO, "proxy_refused", "peer", c->peer, "reason",
		    "no PROXY protocol header: this --proxy-listen address "
		    "takes connections from the balancer only", NULL);
		*why = "no PROXY protocol header";
		return -1;
	}
	/* Exactly the header: the TLS bytes after it stay in the socket. */
	if (recv(c->fd, buf, h.len, 0) != (ssize_t)h.len) {
		*why = "the PROXY header could not be read";
		return -1;
	}
	if (!h.local)
		gw_format_peer(&h.src, c->peer, sizeof(c->peer));
	c->proxied = 0;
	return 1;
}

static int
tls_start(struct gw_worker *w, struct gw_conn *c, const char **why)
{
	char b;
	ssize_t n;

	if (c->proxied) {
		int r = proxy_take(w, c, why);

		if (r <= 0)
			return r;
	}
	n = recv(c->fd, &b, 1, MSG_PEEK);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)) {
		*why = "peer closed the connection before TLS";
		return -1;
	}
	if (n < 0)
		return 0;
	/* The current certificates: SIGHUP may renew them (server.c). */
	if ((c->ssl = SSL_new(gw_tls_default_ctx(__atomic_load_n(&w->sh->tls,
	    __ATOMIC_ACQUIRE)))) == NULL) {
		*why = "out of memory for TLS";
		return -1;
	}
	/* Devices often drop TCP without close_notify: that is an end, not
	 * an error worth a log line. */
	SSL_set_options(c->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* One read(2) for a record, not one for its header and one for its
	 * body: syscalls are most of a small message's cost. */
	SSL_set_read_ahead(c->ssl, 1);
	SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_accept_state(c->ssl);
	return 1;
}

/* see worker.h; NULL with errno EAGAIN: over --max-handshakes (logged
 * here), else out of memory. */
struct gw_conn *
conn_new(struct gw_worker *w, int fd, const char *peer)
{
	struct gw_conn *c;

	if (atomic_fetch_add(&pre_tls, 1) >= w->sh->config->max_handshakes) {
		atomic_fetch_sub(&pre_tls, 1);
		gw_count_refused(&w->ctr, GW_REFUSED_MAX_HANDSHAKES);
		gw_log(GW_LOG_WARN, "connection_refused", "peer", peer,
		    "reason", "too many connections have not finished their "
		    "TLS handshake (--max-handshakes)", NULL);
		errno = EAGAIN;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		atomic_fetch_sub(&pre_tls, 1);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = fd;
	c->proto = &gw_proto_http;	/* the only one, for now */
	c->gen = ++w->gen;
	c->state = CONN_HANDSHAKE;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	return c;
}

void
conn_close(struct gw_worker *w, struct gw_conn *c, const char *why)
{
	if (why != NULL)
		gw_log(GW_LOG_DEBUG, "close", "peer", c->peer,
		    "device", c->ident.authed ? c->ident.device : NULL,
		    "reason", why, NULL);
	/* A clean end sends close_notify (one try, never waiting for the
	 * peer's): without it OpenSSL drops the session from its cache and a
	 * device waking from deep sleep could not resume. */
	if (c->proto->on_close != NULL)
		c->proto->on_close(w, c);
	if (c->ident.authed)
		gw_presence_down(w->sh->presence, c->ident.device,
		    c->end != NULL ? c->end : "closed");
	if (c->state == CONN_OPEN && !c->failed)
		(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
	pre_tls_done(c);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	w->conns[c->fd] = NULL;
	w->nconn--;
	atomic_fetch_sub(&w->sh->nconn, 1);
	SSL_free(c->ssl);
	if (c->in != NULL)	/* a refused request's bytes, say */
		OPENSSL_cleanse(c->in, c->in_cap);
	free(c->in);
	free(c->out);
	OPENSSL_cleanse(&c->ident, sizeof(c->ident));
	free(c);
}

void
conn_set_timer(struct gw_worker *w, struct gw_conn *c, enum conn_timer t)
{
	const struct gw_config *cf = w->sh->config;
	int ms;

	switch (t) {
	case TIMER_HANDSHAKE: ms = cf->handshake_ms; break;
	case TIMER_IDLE: ms = cf->idle_ms; break;
	case TIMER_HEAD: ms = cf->head_ms; break;
	case TIMER_BODY: ms = cf->body_ms; break;
	case TIMER_WRITE: ms = cf->body_ms; break;
	case TIMER_REGISTRY:
	case TIMER_STORE: ms = cf->registry_ms; break;
	default: ms = -1; break;
	}
	c->timer = t;
	c->deadline = ms < 0 ? INT64_MAX : w->now + ms;
}

/* Appends n bytes to the output, growing it; 0 or -1 (out of memory). */
int
conn_out(struct gw_conn *c, const char *s, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : CONN_OUT_FIRST;
		char *p;

		while (cap < c->out_len + n)
			cap *= 2;
		if ((p = realloc(c->out, cap)) == NULL)
			return -1;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
	return 0;
}

/* Appends a string; 0 or -1 as out_put. */
static int
out_str(struct gw_conn *c, const char *s)
{
	return conn_out(c, s, strlen(s));
}

/* Appends v in decimal; 0 or -1 as out_put. */
static int
out_dec(struct gw_conn *c, unsigned long long v)
{
	char digits[20];
	size_t i = sizeof(digits);

	do
		digits[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return conn_out(c, digits + i, sizeof(digits) - i);
}

/*
 * The head is put together piece by piece rather than with snprintf: it
 * is written for every message, and answering one took 4,590 instructions
 * with snprintf, 1,024 without (callgrind). tail follows the body (the
 * newline after a JSON text), counted in Content-Length.
 */
static void
respond(struct gw_conn *c, int status, const char *headers,
    const char *ctype, const char *body, size_t blen, const char *tail)
{
	size_t tlen = tail ? strlen(tail) : 0, mark = c->out_len;

	if (!c->keep_alive)
		c->close_after = 1;
	if (out_str(c, "HTTP/1.1 ") < 0 || out_dec(c, (unsigned)status) < 0 ||
	    conn_out(c, " ", 1) < 0 ||
	    out_str(c, http_status_text(status)) < 0 ||
	    out_str(c, "\r\n") < 0 ||
	    (ctype && (out_str(c, "Content-Type: ") < 0 ||
	    out_str(c, ctype) < 0 || out_str(c, "\r\n") < 0)) ||
	    out_str(c, "Content-Length: ") < 0 ||
	    out_dec(c, blen + tlen) < 0 ||
	    out_str(c, "\r\n") < 0 ||
	    (headers && out_str(c, headers) < 0) ||
	    (c->close_after && out_str(c, "Connection: close\r\n") < 0) ||
	    out_str(c, "\r\n") < 0 ||
	    (blen && conn_out(c, body, blen) < 0) ||
	    (tlen && conn_out(c, tail, tlen) < 0)) {
		c->out_len = mark;	/* no half an answer */
		c->close_after = 1;	/* cannot answer: at least do not hang */
	}
}

void
conn_respond(struct gw_conn *c, int status, const char *headers,
    const char *ctype, const void *body, size_t len)
{
	respond(c, status, headers, len ? ctype : NULL, body, len, NULL);
}

void
conn_respond_json(struct gw_conn *c, int status, const char *headers,
    const char *json)
{
	if (json == NULL)
		respond(c, status, headers, NULL, NULL, 0, NULL);
	else
		respond(c, status, headers, "application/json", json,
		    strlen(json), "\n");
}

/* Answers a refused request with its reason, and closes after. */
void
conn_refuse(struct gw_worker *w, struct gw_conn *c, int status,
    const char *reason, size_t offset)
{
	char body[256], off[24], st[8];
	struct json j;

	gw_count_request_refused(&w->ctr, status);
	snprintf(off, sizeof(off), "%zu", offset);
	snprintf(st, sizeof(st), "%d", status);
	gw_log(GW_LOG_INFO, "request_refused", "peer", c->peer,
	    "device", c->ident.authed ? c->ident.device : NULL, "status", st,
	    "reason", reason, "offset", off, NULL);
	/* The reason may hold quotes: the writer escapes it. */
	json_init(&j, body, sizeof(body));
	json_object(&j, NULL, JSON_COMPACT);
	json_str(&j, "error", reason);
	json_int(&j, "offset", (long long)offset);
	json_finish(&j);
	c->keep_alive = 0;
	c->end = "protocol error";
	conn_respond_json(c, status, NULL, body);
	c->in_len = 0;		/* the rest of the stream cannot be trusted */
}

enum progress { P_DONE, P_MORE, P_NEED_BYTES };

#define READ_FULL	(1 << 30)	/* read_some: buffer full, nothing read */

/*
 * Looks at the buffered bytes: answers the request at their start if it is
 * complete (P_MORE: look again), or says more bytes are needed. What a
 * request is, and its answer, is the protocol's (proto.h).
 */
static enum progress
process(struct gw_worker *w, struct gw_conn *c)
{
	union gw_request req;
	ssize_t r;
	size_t total;

	if (c->in_len == 0)
		return P_NEED_BYTES;
	if ((r = c->proto->parse(w, c, &req)) < 0)
		return P_DONE;
	if (r == 0)
		return P_NEED_BYTES;
	total = (size_t)r;
	c->proto->route(w, c, &req);
	if (c->wait == WAIT_REGISTRY) {
		/* Parked with its bytes: routed again with the answer. */
		conn_set_timer(w, c, TIMER_REGISTRY);
		return P_DONE;
	}
	/* The request is answered or handed over: drop its bytes, and wipe
	 * them (a credential is among them), only those the buffer held. A
	 * refusal (conn_refuse) dropped them all already. */
	if (total > c->in_len)
		total = c->in_len;
	memmove(c->in, c->in + total, c->in_len - total);
	/* explicit_bzero, not OPENSSL_cleanse, on the message path: both
	 * survive the optimiser; glibc's is its vector memset (a 200-byte
	 * request: ~20 instructions, against ~130 for OpenSSL's loop). */
	explicit_bzero(c->in + c->in_len - total, total);
	c->in_len -= total;
	c->head_len = 0;
	c->body_len = 0;
	c->continue_sent = 0;
	if (c->in_len == 0) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
	return P_MORE;
}

/* Reads what TLS has: >0 bytes read (READ_FULL: the buffer is full, answer
 * what is in it first), 0 would block, -1 closed or failed. */
static int
read_some(struct gw_worker *w, struct gw_conn *c)
{
	size_t max = GW_MAX_HEAD + w->sh->config->max_body;
	int n, e;

	/* An idle connection owns no buffer: read into the worker's scratch
	 * and keep a buffer only when bytes arrived (most reads at rest find
	 * nothing: they cost no allocation and no memory per connection). */
	if (c->in == NULL) {
		size_t want = max < sizeof(w->scratch) ? max : sizeof(w->scratch);

		ERR_clear_error();
		n = SSL_read(c->ssl, w->scratch, (int)want);
		if (n > 0) {
			size_t cap = (size_t)n > CONN_IN_FIRST ? (size_t)n :
			    CONN_IN_FIRST;

			if (cap > max)
				cap = max;
			if ((c->in = malloc(cap)) != NULL)
				memcpy(c->in, w->scratch, (size_t)n);
			explicit_bzero(w->scratch, (size_t)n);
			if (c->in == NULL)
				return -1;
			c->in_cap = cap;
			c->in_len = (size_t)n;
			return n;
		}
		goto failed;
	}
	if (c->in_len == c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap * 2 : CONN_IN_FIRST;
		char *p;

		if (cap > max)
			cap = max;
		if (cap == c->in_cap)
			return READ_FULL;
		/* Not realloc: it may leave a copy of a credential behind. */
		if ((p = malloc(cap)) == NULL)
			return -1;
		memcpy(p, c->in, c->in_len);
		OPENSSL_cleanse(c->in, c->in_cap);
		free(c->in);
		c->in = p;
		c->in_cap = cap;
	}
	ERR_clear_error();
	n = SSL_read(c->ssl, c->in + c->in_len, (int)(c->in_cap - c->in_len));
	if (n > 0) {
		c->in_len += (size_t)n;
		return n;
	}
failed:
	e = SSL_get_error(c->ssl, n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	if (e != SSL_ERROR_ZERO_RETURN)
		c->failed = 1;
	if (e == SSL_ERROR_SSL) {
		char why[GW_ERR_LEN];

		ERR_error_string_n(ERR_peek_error(), why, sizeof(why));
		gw_log(GW_LOG_INFO, "tls_error", "peer", c->peer,
		    "device", c->ident.authed ? c->ident.device : NULL,
		    "reason", why, NULL);
	}
	ERR_clear_error();
	return -1;
}

/* Writes pending output: 1 all written, 0 would block, -1 failed. */
static int
flush(struct gw_conn *c)
{
	while (c->out_off < c->out_len) {
		int n, e;

		ERR_clear_error();
		n = SSL_write(c->ssl, c->out + c->out_off,
		    (int)(c->out_len - c->out_off));
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		e = SSL_get_error(c->ssl, n);
		ERR_clear_error();
		if (e == SSL_ERROR_WANT_WRITE)
			return 0;
		if (e == SSL_ERROR_WANT_READ)
			return 0;
		c->failed = 1;
		return -1;
	}
	c->out_off = c->out_len = 0;
	if (c->out != NULL) {	/* idle connections own no buffer */
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return 1;
}

static int
handshake(struct gw_worker *w, struct gw_conn *c)
{
	int r, e;
	char why[GW_ERR_LEN];

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		pre_tls_done(c);
		c->state = CONN_OPEN;
		conn_set_timer(w, c, TIMER_IDLE);
		gw_count(&w->ctr, SSL_session_reused(c->ssl) ?
		    GW_C_HANDSHAKE_RESUMED : GW_C_HANDSHAKE_FULL);
		if (SSL_session_reused(c->ssl))
			gw_count(&w->ctr, gw_tickets_opened(c->ssl) ?
			    GW_C_RESUMED_TICKET : GW_C_RESUMED_SESSION_ID);
		gw_log(GW_LOG_DEBUG, "handshake", "peer", c->peer,
		    "version", SSL_get_version(c->ssl),
		    "cipher", SSL_get_cipher_name(c->ssl),
		    "resumed", SSL_session_reused(c->ssl) ? "yes" : "no", NULL);
		return 1;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;	/* the next edge brings us back */
	gw_count_hs_failed(&w->ctr, gw_tls_handshake_error(c->ssl, r, why,
	    sizeof(why)));
	gw_log(GW_LOG_INFO, "handshake_failed", "peer", c->peer,
	    "reason", why, NULL);
	return -1;
}

/*
 * The loop is edge-triggered (EPOLLET, both directions registered once):
 * each pass must either reach "would block" or stop in a state something
 * else resumes (the store's answer). Hence: answer what is buffered, write,
 * then read until TLS has nothing more.
 */
void
conn_run(struct gw_worker *w, struct gw_conn *c)
{
	for (;;) {
		enum progress p = P_NEED_BYTES;
		int r;

		if (c->state == CONN_HANDSHAKE && c->ssl == NULL) {
			const char *why = NULL;

			r = tls_start(w, c, &why);
			if (r < 0)
				conn_close(w, c, why);
			if (r <= 0)
				return;
		}
		if (c->state == CONN_HANDSHAKE) {
			r = handshake(w, c);
			if (r < 0)
				conn_close(w, c, NULL);
			if (r <= 0)
				return;
		}
		while (c->wait == WAIT_NONE && !c->close_after &&
		    (p = process(w, c)) == P_MORE)
			;
		if (c->out_len > c->out_off) {
			r = flush(c);
			if (r < 0) {
				conn_close(w, c, "write failed");
				return;
			}
			if (r == 0) {
				if (c->timer != TIMER_WRITE)
					conn_set_timer(w, c, TIMER_WRITE);
				return;		/* EPOLLOUT edge resumes */
			}
		}
		if (c->wait == WAIT_NONE && c->out_len == 0 &&
		    c->proto->on_written != NULL && !c->close_after)
			c->proto->on_written(w, c);	/* may park it */
		if (c->close_after) {
			conn_close(w, c, "answered with Connection: close");
			return;
		}
		if (c->wait != WAIT_NONE) {
			if (c->wait == WAIT_STORE)
				conn_set_timer(w, c, TIMER_STORE);
			return;			/* the answer resumes */
		}
		if (c->in_len == 0) {
			if (w->draining) {
				c->end = "shutdown";
				conn_close(w, c, "gateway stopping");
				return;
			}
			if (c->timer != TIMER_IDLE)
				conn_set_timer(w, c, TIMER_IDLE);
		}
		r = read_some(w, c);
		if (r < 0) {
			conn_close(w, c, "peer closed the connection");
			return;
		}
		if (r == 0)
			return;			/* EPOLLIN edge resumes */
		if (r == READ_FULL && p == P_NEED_BYTES && c->in_len == c->in_cap) {
			/* Cannot happen: a full buffer always holds a whole
			 * request or a refusal. Never spin on it. */
			conn_close(w, c, "request buffer full");
			return;
		}
	}
}

void
conn_timeout(struct gw_worker *w, struct gw_conn *c)
{
	enum conn_timer t = c->timer;

	if (t != TIMER_IDLE)
		gw_count(&w->ctr, GW_C_TIMEOUTS);
	/* A handshake begun (its first byte came) and not finished; one
	 * that never sent a byte is no handshake, as one that closes
	 * before TLS is not. */
	if (t == TIMER_HANDSHAKE && c->state == CONN_HANDSHAKE &&
	    c->ssl != NULL)
		gw_count_hs_failed(&w->ctr, GW_HS_TIMEOUT);

	if (t == TIMER_REGISTRY && c->wait == WAIT_REGISTRY &&
	    !(w->draining && w->now >= w->drain_deadline)) {
		/* The lookup may answer later: gw_auth_resolved drops it. */
		gw_log(GW_LOG_WARN, "registry_timeout", "peer", c->peer,
		    "reason", timer_names[t], NULL);
		c->wait = WAIT_NONE;
		c->lookup = GW_AUTH_UNAVAILABLE;
		conn_run(w, c);		/* routed again: 503 */
		return;
	}
	if (t == TIMER_READER && c->wait == WAIT_READER &&
	    !(w->draining && w->now >= w->drain_deadline)) {
		app_read_timeout(w, c);	/* a late answer is dropped */
		return;
	}
	if (t == TIMER_STORE && c->wait == WAIT_STORE) {
		/* 503, never 201: the commit may still succeed later, which
		 * is no false acknowledgement (the device's retry, with its
		 * X-Tether-Seq, is a duplicate). The connection closes, so
		 * the late outcome finds no one to answer (another gen). */
		struct gw_intake_item it = { .outcome = GW_UNAVAILABLE,
		    .seq = -1 };

		gw_log(GW_LOG_WARN, "store_timeout", "peer", c->peer,
		    "device", c->ident.device, "reason", timer_names[t],
		    NULL);
		c->wait = WAIT_NONE;
		c->keep_alive = 0;
		c->end = "timeout";
		c->proto->answer(w, c, &it);
		conn_run(w, c);		/* writes the 503 and closes */
		return;
	}
	if (t != TIMER_IDLE)
		gw_log(GW_LOG_INFO, "timeout", "peer", c->peer,
		    "device", c->ident.authed ? c->ident.device : NULL,
		    "reason", timer_names[t], NULL);
	c->end = t == TIMER_IDLE ? "idle timeout" : "timeout";
	if ((t == TIMER_HEAD || t == TIMER_BODY) && c->out_len == 0 &&
	    c->proto->on_timeout != NULL) {
		/* Say why before closing; one try, it must not block. */
		c->keep_alive = 0;
		c->proto->on_timeout(w, c);
		(void)flush(c);
	}
	conn_close(w, c, timer_names[t]);
}
