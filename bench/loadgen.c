/* SPDX-License-Identifier: MIT */
/*
 * loadgen.c - tether's load generator: many simulated devices over TLS on
 * non-blocking sockets and epoll (full or resumed handshakes, keep-alive
 * messages with latency percentiles, idle connections held for memory).
 * Messages go at full rate, or paced (--rate) with each answer's time
 * written out (--stamps) for a delivery lag measured downstream.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define LG_MAX_THREADS	16
#define LG_MAX_PIDS	16
#define LG_MAX_ERRKINDS	16	/* distinct error messages kept per thread */
#define LG_ERRLEN	160
#define LG_RESP_BUF	4096	/* a response head + body must fit */
#define LG_REQ_BUF	1024
#define LG_RETRY_MS	50	/* pause before a failed slot tries again */
#define LG_SCAN_MS	50	/* timer scan period */
#define LG_HIST_SUB	32	/* histogram: 32 sub-buckets a power of two */
#define LG_HIST_N	(60 * LG_HIST_SUB)

enum mode { M_FULL, M_RESUME, M_MESSAGES, M_IDLE };

enum cstate {
	C_UNSTARTED,	/* not yet opened (idle/messages ramp) */
	C_WAIT,		/* failed, retries at retry_at */
	C_CONNECTING,	/* TCP connect in progress */
	C_HANDSHAKE,	/* SSL_connect in progress */
	C_TICKET,	/* TLS 1.3 resume: waiting for a NewSessionTicket */
	C_SEND,		/* request being written */
	C_RECV,		/* response being read */
	C_PACE,		/* messages --rate: waiting for its next send time */
	C_HOLD		/* idle: established, held open */
};

struct conn {
	int		 fd;
	enum cstate	 state;
	uint32_t	 events;	/* current epoll interest */
	SSL		*ssl;
	SSL_SESSION	*sess;		/* resume: the session to offer */
	int		 got_ticket;
	int		 opening;	/* counted in worker.opening */
	size_t		 idx;		/* global connection number */
	uint64_t	 nreq;		/* requests sent on this slot */
	uint64_t	 seq;		/* of the request in flight */
	uint64_t	 next_at;	/* --rate: next send, ns; 0 = unset */
	uint64_t	 t_start;	/* request or handshake start, ns */
	uint64_t	 deadline;	/* ns; 0 = none */
	uint64_t	 retry_at;
	size_t		 reqlen, reqoff;
	size_t		 resplen;
	char		*req;
	char		*resp;
};

struct errkind {
	char		 msg[LG_ERRLEN];
	uint64_t	 count;
};

struct worker {
	pthread_t	 tid;
	int		 id;
	int		 ep;
	struct conn	*conns;
	size_t		 nconns;
	size_t		 next_open;	/* first C_UNSTARTED slot */
	size_t		 opening;	/* slots connecting or handshaking */
	uint64_t	 last_scan;
	/* results: counted only inside the measurement window */
	uint64_t	 ok;		/* handshakes or 2xx responses */
	uint64_t	 resumed;	/* resume: handshakes that resumed */
	uint64_t	 non2xx;
	uint64_t	 errors;
	uint64_t	 reconnects;
	uint64_t	 errors_total;	/* whole run, warm-up included */
	uint64_t	 hist[LG_HIST_N];
	struct errkind	 errs[LG_MAX_ERRKINDS];
	size_t		 nerrs;
	uint64_t	 errs_other;
	int		 said_status;	/* first non-2xx already described */
	uint64_t	*stamps;	/* --stamps: seq, sent, answered (ns) */
	size_t		 nstamps, capstamps;
};

static struct {
	enum mode	 mode;
	const char	*host;
	const char	*port;
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	size_t		 conns;
	double		 duration;
	double		 warmup;
	double		 hold;
	int		 threads;
	size_t		 parallel;	/* max connections opening at once */
	int		 tls;		/* 12 or 13, 0 = either */
	const char	*cipher;
	const char	*ciphersuites;
	const char	*groups;
	const char	*sigalgs;
	const char	*sni;
	int		 no_ticket;
	int		 once;		/* messages: one a connection (sleepy) */
	int		 idle_request;
	const char	*manifest;
	const char	*path;
	const char	*label;
	double		 timeout;
	pid_t		 pids[LG_MAX_PIDS];
	int		 npids;
	char		**creds;
	size_t		 ncreds;
	uint64_t	 seq_base;
	unsigned	 commands;	/* X-Tether-Commands; 0: not sent */
	double		 rate;		/* messages/s in all, 0 = full rate */
	const char	*stamps;
	SSL_CTX		*ctx;
} opt = {
	.mode = M_FULL, .conns = 100, .duration = 10, .warmup = -1,
	.hold = 10, .threads = 1, .parallel = 128, .tls = 0,
	.path = "/v1/messages", .timeout = 10,
};

static uint64_t	 t_begin, t_end;	/* measurement window, ns */
static atomic_int stop;
static atomic_size_t established;	/* idle: connections held */
static int	 ex_data_idx;

static const char dummy_cred[] = "tdc_benchdummycredential0000000000";

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("loadgen: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Histogram: log-linear, 32 sub-buckets per power of two (~3% steps). */
static size_t
hist_bucket(uint64_t v)
{
	int e;

	if (v < LG_HIST_SUB)
		return (size_t)v;
	e = 63 - __builtin_clzll(v);
	return (size_t)(e - 4) * LG_HIST_SUB +
	    (size_t)((v >> (e - 5)) & (LG_HIST_SUB - 1));
}

static uint64_t
hist_value(size_t b)
{
	int e;

	if (b < LG_HIST_SUB)
		return b;
	e = (int)(b / LG_HIST_SUB) + 4;
	/* middle of the bucket */
	return ((uint64_t)(LG_HIST_SUB + b % LG_HIST_SUB) << (e - 5)) +
	    ((uint64_t)1 << (e - 5)) / 2;
}

static uint64_t
hist_pct(const uint64_t *h, double p)
{
	uint64_t total = 0, want, acc = 0;
	size_t i;

	for (i = 0; i < LG_HIST_N; i++)
		total += h[i];
	if (total == 0)
		return 0;
	want = (uint64_t)(p * (double)total);
	if (want >= total)
		want = total - 1;
	for (i = 0; i < LG_HIST_N; i++) {
		acc += h[i];
		if (acc > want)
			return hist_value(i);
	}
	return hist_value(LG_HIST_N - 1);
}

static int
in_window(uint64_t t)
{
	return t >= t_begin && t < t_end;
}

static void
stamp(struct worker *w, uint64_t seq, uint64_t sent, uint64_t done)
{
	if (w->nstamps + 3 > w->capstamps) {
		size_t cap = w->capstamps ? w->capstamps * 2 : 3 * 65536;
		uint64_t *p = realloc(w->stamps, cap * sizeof(*p));

		if (p == NULL)
			die("out of memory for --stamps");
		w->stamps = p;
		w->capstamps = cap;
	}
	w->stamps[w->nstamps++] = seq;
	w->stamps[w->nstamps++] = sent;
	w->stamps[w->nstamps++] = done;
}

/* --rate: the connection's next send, each interval after its last. */
static int
paced(struct conn *c, uint64_t now)
{
	uint64_t every;

	if (opt.rate <= 0)
		return 0;
	every = (uint64_t)((double)opt.conns * 1e9 / opt.rate);
	c->next_at = c->next_at == 0 ? now + (uint64_t)((double)c->idx *
	    1e9 / opt.rate) : c->next_at + every;
	return c->next_at > now;
}

/* Keeps one count per distinct message, so a run shows why it failed. */
static void
note_va(struct worker *w, int counted, const char *fmt, va_list ap)
{
	char msg[LG_ERRLEN];
	size_t i;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (counted) {
		w->errors_total++;
		if (in_window(now_ns()))
			w->errors++;
	}
	for (i = 0; i < w->nerrs; i++)
		if (strcmp(w->errs[i].msg, msg) == 0) {
			w->errs[i].count++;
			return;
		}
	if (w->nerrs < LG_MAX_ERRKINDS) {
		memcpy(w->errs[w->nerrs].msg, msg, sizeof(msg));
		w->errs[w->nerrs++].count = 1;
	} else
		w->errs_other++;
}

static void
note_error(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note_va(w, 1, fmt, ap);
	va_end(ap);
}

/* A remark for stderr that is not an error (e.g. why a 401 came). */
static void
note_remark(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note_va(w, 0, fmt, ap);
	va_end(ap);
}

/* The slot no longer counts against -P (established, or closed). */
static void
opened(struct worker *w, struct conn *c)
{
	if (c->opening) {
		c->opening = 0;
		w->opening--;
	}
}

/* OpenSSL's reason for the last failure, or the errno text. */
static void
ssl_reason(SSL *ssl, int r, char *buf, size_t len)
{
	unsigned long e;
	const char *reason;
	int se = SSL_get_error(ssl, r);

	e = ERR_peek_last_error();
	if (e != 0) {
		reason = ERR_reason_error_string(e);
		if (reason == NULL)
			ERR_error_string_n(e, buf, len);
		else
			snprintf(buf, len, "%s%s", reason,
			    strstr(reason, "alert") ? " (an alert the server sent)"
			    : "");
		ERR_clear_error();
		return;
	}
	if (se == SSL_ERROR_SYSCALL)
		snprintf(buf, len, "%s", errno ? strerror(errno) :
		    "connection closed by the server");
	else if (se == SSL_ERROR_ZERO_RETURN)
		snprintf(buf, len, "server sent close_notify");
	else
		snprintf(buf, len, "SSL_get_error %d", se);
}

static void
set_events(struct worker *w, struct conn *c, uint32_t ev)
{
	struct epoll_event ee;

	if (c->events == ev)
		return;
	ee.events = ev;
	ee.data.ptr = c;
	if (epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ee) == -1)
		die("epoll_ctl: %s", strerror(errno));
	c->events = ev;
}

static void
conn_close(struct worker *w, struct conn *c, int graceful)
{
	opened(w, c);
	if (c->ssl != NULL) {
		if (graceful) {
			ERR_clear_error();
			if (SSL_shutdown(c->ssl) < 0)
				ERR_clear_error();
		}
		/* keeps the session resumable even if close_notify failed */
		SSL_set_shutdown(c->ssl,
		    SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	c->events = 0;
}

static void conn_start(struct worker *, struct conn *);

static void
conn_fail(struct worker *w, struct conn *c)
{
	int was_held = c->state == C_HOLD;

	conn_close(w, c, 0);
	if (was_held)
		atomic_fetch_sub(&established, 1);
	c->state = C_WAIT;
	c->retry_at = now_ns() + (uint64_t)LG_RETRY_MS * 1000000u;
}

static void
conn_start(struct worker *w, struct conn *c)
{
	struct epoll_event ee;
	int one = 1;

	c->fd = socket(opt.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		note_error(w, "socket: %s", strerror(errno));
		c->state = C_WAIT;
		c->retry_at = now_ns() + (uint64_t)LG_RETRY_MS * 1000000u;
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = C_CONNECTING;
	c->opening = 1;
	w->opening++;
	c->t_start = now_ns();
	c->deadline = c->t_start + (uint64_t)(opt.timeout * 1e9);
	if (connect(c->fd, (struct sockaddr *)&opt.addr, opt.addrlen) == -1 &&
	    errno != EINPROGRESS) {
		note_error(w, "connect to %s:%s: %s", opt.host, opt.port,
		    strerror(errno));
		conn_fail(w, c);
		return;
	}
	ee.events = EPOLLOUT;
	ee.data.ptr = c;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ee) == -1)
		die("epoll_ctl add: %s", strerror(errno));
	c->events = EPOLLOUT;
}

static void
build_request(struct conn *c)
{
	const char *cred;
	uint64_t seq;
	char body[160], cmd[48] = "";
	int blen;

	cred = opt.ncreds ? opt.creds[c->idx % opt.ncreds] : dummy_cred;
	/* unique per (device, seq) across connections and later runs */
	seq = opt.seq_base + c->nreq * opt.conns + c->idx;
	blen = snprintf(body, sizeof(body), "{\"seq\":%llu,\"temp\":21.5,"
	    "\"hum\":48.2,\"press\":1013.25,\"volt\":3.31,\"rssi\":-67,"
	    "\"up\":86400}", (unsigned long long)seq);
	if (opt.commands > 0)
		snprintf(cmd, sizeof(cmd), "X-Tether-Commands: %u\r\n",
		    opt.commands);
	c->reqlen = (size_t)snprintf(c->req, LG_REQ_BUF,
	    "POST %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "Authorization: Device %s\r\n"
	    "X-Tether-Seq: %llu\r\n"
	    "%s"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %d\r\n"
	    "\r\n%s", opt.path, opt.host, cred, (unsigned long long)seq,
	    cmd, blen, body);
	c->reqoff = 0;
	c->seq = seq;
	c->nreq++;
}

static void do_send(struct worker *, struct conn *);

static void
handshake_done(struct worker *w, struct conn *c)
{
	uint64_t t = now_ns();
	int resumed = SSL_session_reused(c->ssl);

	if (opt.mode != M_IDLE || !opt.idle_request)
		opened(w, c);
	switch (opt.mode) {
	case M_FULL:
		if (in_window(t))
			w->ok++;
		conn_close(w, c, 1);
		conn_start(w, c);
		break;
	case M_RESUME:
		if (in_window(t)) {
			w->ok++;
			w->resumed += resumed != 0;
		}
		if (SSL_version(c->ssl) >= TLS1_3_VERSION && !c->got_ticket) {
			/* a TLS 1.3 session arrives after the handshake */
			c->state = C_TICKET;
			set_events(w, c, EPOLLIN);
			break;
		}
		conn_close(w, c, 1);
		conn_start(w, c);
		break;
	case M_MESSAGES:
		if (paced(c, t)) {
			c->state = C_PACE;
			set_events(w, c, EPOLLIN);
			break;
		}
		build_request(c);
		c->state = C_SEND;
		do_send(w, c);
		break;
	case M_IDLE:
		if (opt.idle_request) {
			build_request(c);	/* opening until answered */
			c->state = C_SEND;
			do_send(w, c);
			break;
		}
		c->state = C_HOLD;
		c->deadline = 0;
		atomic_fetch_add(&established, 1);
		set_events(w, c, EPOLLIN);
		break;
	}
}

static void
do_handshake(struct worker *w, struct conn *c)
{
	char why[LG_ERRLEN];
	int r;

	ERR_clear_error();
	r = SSL_connect(c->ssl);
	if (r == 1) {
		handshake_done(w, c);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		set_events(w, c, EPOLLIN);
		return;
	case SSL_ERROR_WANT_WRITE:
		set_events(w, c, EPOLLIN | EPOLLOUT);
		return;
	default:
		ssl_reason(c->ssl, r, why, sizeof(why));
		note_error(w, "TLS handshake with %s:%s failed: %s",
		    opt.host, opt.port, why);
		conn_fail(w, c);
	}
}

static void
do_connected(struct worker *w, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		note_error(w, "connect to %s:%s: %s", opt.host, opt.port,
		    strerror(err));
		conn_fail(w, c);
		return;
	}
	c->ssl = SSL_new(opt.ctx);
	if (c->ssl == NULL)
		die("SSL_new failed");
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_ex_data(c->ssl, ex_data_idx, c);
	if (opt.sni != NULL)
		SSL_set_tlsext_host_name(c->ssl, opt.sni);
	c->got_ticket = 0;
	if ((opt.mode == M_RESUME || opt.once) && c->sess != NULL)
		SSL_set_session(c->ssl, c->sess);
	c->state = C_HANDSHAKE;
	do_handshake(w, c);
}

static void
do_send(struct worker *w, struct conn *c)
{
	char why[LG_ERRLEN];
	int r;

	if (c->reqoff == 0) {
		c->t_start = now_ns();
		c->deadline = c->t_start + (uint64_t)(opt.timeout * 1e9);
	}
	while (c->reqoff < c->reqlen) {
		ERR_clear_error();
		r = SSL_write(c->ssl, c->req + c->reqoff,
		    (int)(c->reqlen - c->reqoff));
		if (r > 0) {
			c->reqoff += (size_t)r;
			continue;
		}
		switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_WRITE:
			set_events(w, c, EPOLLIN | EPOLLOUT);
			return;
		case SSL_ERROR_WANT_READ:
			set_events(w, c, EPOLLIN);
			return;
		default:
			ssl_reason(c->ssl, r, why, sizeof(why));
			note_error(w, "writing the request: %s", why);
			conn_fail(w, c);
			return;
		}
	}
	c->state = C_RECV;
	c->resplen = 0;
	set_events(w, c, EPOLLIN);
}

/* Length of the header block including CRLFCRLF, 0 if incomplete. */
static size_t
head_length(const char *b, size_t n)
{
	const char *p = memmem(b, n, "\r\n\r\n", 4);

	return p ? (size_t)(p - b) + 4 : 0;
}

/* Finds a header's value in a head; NULL if absent. */
static const char *
find_header(const char *head, size_t hlen, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);
	const char *p = memchr(head, '\n', hlen), *end = head + hlen, *e;

	while (p != NULL && p + 1 < end) {
		p++;
		e = memchr(p, '\n', (size_t)(end - p));
		if (e == NULL)
			break;
		if ((size_t)(e - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			p += nlen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			*vlen = (size_t)(e - p);
			while (*vlen > 0 && (p[*vlen - 1] == '\r' ||
			    p[*vlen - 1] == ' '))
				(*vlen)--;
			return p;
		}
		p = e;
	}
	return NULL;
}

/* Returns 1 when a whole response was consumed, 0 if more is needed, -1. */
static int
parse_response(struct worker *w, struct conn *c, int *close_after)
{
	size_t hlen, vlen, total;
	const char *v;
	unsigned long cl;
	int status;
	uint64_t t;

	hlen = head_length(c->resp, c->resplen);
	if (hlen == 0) {
		if (c->resplen >= LG_RESP_BUF - 1) {
			note_error(w, "response head larger than %d bytes",
			    LG_RESP_BUF);
			return -1;
		}
		return 0;
	}
	if (c->resplen < 12 || strncmp(c->resp, "HTTP/1.", 7) != 0) {
		note_error(w, "response is not HTTP/1.x");
		return -1;
	}
	status = atoi(c->resp + 9);
	v = find_header(c->resp, hlen, "Content-Length", &vlen);
	if (v == NULL) {
		if (find_header(c->resp, hlen, "Transfer-Encoding", &vlen))
			note_error(w, "chunked responses are not supported");
		else
			note_error(w, "response %d without Content-Length",
			    status);
		return -1;
	}
	cl = strtoul(v, NULL, 10);
	total = hlen + cl;
	if (total > LG_RESP_BUF) {
		note_error(w, "response larger than %d bytes", LG_RESP_BUF);
		return -1;
	}
	if (c->resplen < total)
		return 0;
	if (c->resplen > total) {
		note_error(w, "data after the response (one request in "
		    "flight)");
		return -1;
	}
	v = find_header(c->resp, hlen, "Connection", &vlen);
	*close_after = v != NULL && vlen == 5 && strncasecmp(v, "close", 5) == 0;
	t = now_ns();
	if (in_window(t)) {
		if (status >= 200 && status < 300) {
			w->ok++;
			w->hist[hist_bucket(t - c->t_start)]++;
			if (opt.stamps != NULL)
				stamp(w, c->seq, c->t_start, t);
		} else
			w->non2xx++;
	}
	if ((status < 200 || status >= 300) && !w->said_status) {
		/* say once why the server refuses, e.g. a 401 */
		w->said_status = 1;
		note_remark(w, "first non-2xx response: HTTP %d, body: %.*s",
		    status, (int)(cl > 60 ? 60 : cl), c->resp + hlen);
	}
	return 1;
}

static void
do_recv(struct worker *w, struct conn *c)
{
	char why[LG_ERRLEN];
	int r, pr, close_after = 0;

	for (;;) {
		ERR_clear_error();
		r = SSL_read(c->ssl, c->resp + c->resplen,
		    (int)(LG_RESP_BUF - c->resplen));
		if (r > 0) {
			c->resplen += (size_t)r;
			pr = parse_response(w, c, &close_after);
			if (pr < 0) {
				conn_fail(w, c);
				return;
			}
			if (pr == 0)
				continue;
			break;
		}
		switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			return;
		case SSL_ERROR_WANT_WRITE:
			set_events(w, c, EPOLLIN | EPOLLOUT);
			return;
		default:
			ssl_reason(c->ssl, r, why, sizeof(why));
			note_error(w, "reading the response: %s", why);
			conn_fail(w, c);
			return;
		}
	}
	if (opt.mode == M_IDLE) {
		opened(w, c);
		c->state = C_HOLD;
		c->deadline = 0;
		atomic_fetch_add(&established, 1);
		set_events(w, c, EPOLLIN);
		return;
	}
	if (close_after || opt.once) {
		w->reconnects++;
		conn_close(w, c, 1);
		conn_start(w, c);
		return;
	}
	if (atomic_load_explicit(&stop, memory_order_relaxed))
		return;
	if (paced(c, now_ns())) {
		c->state = C_PACE;
		return;
	}
	build_request(c);
	c->state = C_SEND;
	do_send(w, c);
}

/* Idle and ticket states: read and drop whatever the server sends. */
static void
do_drain(struct worker *w, struct conn *c)
{
	char buf[512], why[LG_ERRLEN];
	int r;

	for (;;) {
		ERR_clear_error();
		r = SSL_read(c->ssl, buf, sizeof(buf));
		if (r > 0)
			continue;
		if (SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_READ)
			break;
		ssl_reason(c->ssl, r, why, sizeof(why));
		note_error(w, "%s: %s", c->state != C_TICKET ?
		    "idle connection lost" : "waiting for a session ticket",
		    why);
		conn_fail(w, c);
		return;
	}
	if (c->state == C_TICKET && c->got_ticket) {
		conn_close(w, c, 1);
		conn_start(w, c);
	}
}

static void
handle(struct worker *w, struct conn *c, uint32_t ev)
{
	switch (c->state) {
	case C_CONNECTING:
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			do_connected(w, c);
		break;
	case C_HANDSHAKE:
		do_handshake(w, c);
		break;
	case C_SEND:
		do_send(w, c);
		break;
	case C_RECV:
		if (c->events & EPOLLOUT)
			set_events(w, c, EPOLLIN);
		do_recv(w, c);
		break;
	case C_TICKET:
	case C_HOLD:
	case C_PACE:
		do_drain(w, c);
		break;
	default:
		break;
	}
}

/* Retries failed slots, times out stuck ones, opens the next ramp slots. */
static void
scan(struct worker *w, uint64_t t)
{
	struct conn *c;
	size_t i;

	for (i = 0; i < w->next_open; i++) {
		c = &w->conns[i];
		if (c->state == C_WAIT && t >= c->retry_at &&
		    w->opening < opt.parallel)
			conn_start(w, c);
		else if (c->deadline != 0 && t > c->deadline &&
		    c->state != C_WAIT && c->state != C_HOLD) {
			note_error(w, "timed out after %.0f s (%s)",
			    opt.timeout, c->state == C_CONNECTING ?
			    "connecting" : c->state == C_HANDSHAKE ?
			    "in the TLS handshake" : "waiting for the server");
			conn_fail(w, c);
		}
	}
}

static void
ramp(struct worker *w)
{
	while (w->next_open < w->nconns && w->opening < opt.parallel)
		conn_start(w, &w->conns[w->next_open++]);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[512];
	uint64_t t;
	int n, i;

	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep == -1)
		die("epoll_create1: %s", strerror(errno));
	ramp(w);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		n = epoll_wait(w->ep, evs, 512, opt.rate > 0 ? 1 : 10);
		if (n == -1 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++)
			handle(w, evs[i].data.ptr, evs[i].events);
		if (opt.rate > 0) {	/* the paced whose time came */
			t = now_ns();
			for (size_t j = 0; j < w->next_open; j++) {
				struct conn *c = &w->conns[j];

				if (c->state == C_PACE && c->next_at <= t) {
					build_request(c);
					c->state = C_SEND;
					do_send(w, c);
				}
			}
		}
		ramp(w);
		t = now_ns();
		if (t - w->last_scan > (uint64_t)LG_SCAN_MS * 1000000u) {
			w->last_scan = t;
			scan(w, t);
		}
	}
	for (size_t j = 0; j < w->nconns; j++) {
		conn_close(w, &w->conns[j], 0);
		if (w->conns[j].sess != NULL)
			SSL_SESSION_free(w->conns[j].sess);
	}
	close(w->ep);
	return NULL;
}

/* Client session cache: every new session goes to the slot that made it. */
static int
new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct conn *c = SSL_get_ex_data(ssl, ex_data_idx);

	if (c == NULL)
		return 0;
	if (c->sess != NULL)
		SSL_SESSION_free(c->sess);
	c->sess = sess;
	c->got_ticket = 1;
	return 1;		/* we keep the reference */
}

static void
setup_tls(void)
{
	SSL_CTX *ctx;
	long opts = 0;

	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		die("SSL_CTX_new failed");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (opt.tls == 12) {
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	} else if (opt.tls == 13) {
		SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
		SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	}
	if (opt.cipher && SSL_CTX_set_cipher_list(ctx, opt.cipher) != 1)
		die("unknown cipher list '%s'", opt.cipher);
	if (opt.ciphersuites &&
	    SSL_CTX_set_ciphersuites(ctx, opt.ciphersuites) != 1)
		die("unknown TLS 1.3 cipher suites '%s'", opt.ciphersuites);
	if (opt.groups && SSL_CTX_set1_groups_list(ctx, opt.groups) != 1)
		die("unknown groups '%s'", opt.groups);
	if (opt.sigalgs && SSL_CTX_set1_sigalgs_list(ctx, opt.sigalgs) != 1)
		die("unknown signature algorithms '%s'", opt.sigalgs);
	if (opt.no_ticket)
		opts |= SSL_OP_NO_TICKET;
	SSL_CTX_set_options(ctx, opts);
	if (opt.mode == M_RESUME || opt.once) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, new_session);
	} else
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	ex_data_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	opt.ctx = ctx;
}

static void
resolve(const char *hostport)
{
	struct addrinfo hints, *res;
	static char host[256];
	const char *colon;
	int r;

	colon = strrchr(hostport, ':');
	if (colon == NULL || colon == hostport ||
	    (size_t)(colon - hostport) >= sizeof(host))
		die("'%s': expected HOST:PORT", hostport);
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	opt.host = host;
	opt.port = colon + 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(host, opt.port, &hints, &res);
	if (r != 0)
		die("cannot resolve %s: %s", hostport, gai_strerror(r));
	memcpy(&opt.addr, res->ai_addr, res->ai_addrlen);
	opt.addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

/* Reads the "credential" strings of a tether manifest.json. */
static void
load_manifest(const char *path)
{
	FILE *f;
	char *buf, *p, *q;
	long len;
	size_t cap = 0;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		die("%s: cannot read", path);
	fclose(f);
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, "\"credential\"")) != NULL; ) {
		p += strlen("\"credential\"");
		p += strspn(p, " \t\r\n");
		if (*p++ != ':')
			continue;
		p += strspn(p, " \t\r\n");
		if (*p++ != '"')
			continue;
		if ((q = strchr(p, '"')) == NULL)
			break;
		if (opt.ncreds == cap) {
			cap = cap ? cap * 2 : 1024;
			opt.creds = realloc(opt.creds, cap * sizeof(char *));
			if (opt.creds == NULL)
				die("out of memory");
		}
		*q = '\0';
		opt.creds[opt.ncreds++] = p;
		p = q + 1;
	}
	if (opt.ncreds == 0)
		die("%s: no \"credential\" entries found", path);
}

/* utime + stime of the given server processes, seconds. */
static double
server_cpu(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	double sum = 0;
	FILE *f;
	int i;

	for (i = 0; i < opt.npids; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)opt.pids[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
		    "%*u %lu %lu", &ut, &st) == 2)
			sum += (double)(ut + st);
		fclose(f);
	}
	return sum / (double)sysconf(_SC_CLK_TCK);
}

static double
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
sleep_until(uint64_t t)
{
	uint64_t n;
	struct timespec ts;

	while ((n = now_ns()) < t) {
		ts.tv_sec = (time_t)((t - n) / 1000000000u);
		ts.tv_nsec = (long)((t - n) % 1000000000u);
		nanosleep(&ts, NULL);
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

/* The stamps in CLOCK_REALTIME, comparable with another process's. */
static void
write_stamps(const struct worker *ws)
{
	struct timespec rt;
	FILE *f = fopen(opt.stamps, "w");
	int64_t off;

	if (f == NULL)
		die("%s: %s", opt.stamps, strerror(errno));
	clock_gettime(CLOCK_REALTIME, &rt);
	off = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec - (int64_t)now_ns();
	for (int t = 0; t < opt.threads; t++)
		for (size_t i = 0; i < ws[t].nstamps; i += 3)
			fprintf(f, "%llu %lld %lld\n",
			    (unsigned long long)ws[t].stamps[i],
			    (long long)ws[t].stamps[i + 1] + (long long)off,
			    (long long)ws[t].stamps[i + 2] + (long long)off);
	if (fclose(f) != 0)
		die("%s: %s", opt.stamps, strerror(errno));
}

static void
usage(FILE *out)
{
	fprintf(out,
"usage: loadgen MODE [options] HOST:PORT\n"
"modes:\n"
"  full      -c N connections doing full handshakes back to back\n"
"  resume    the same, each connection resuming its saved session\n"
"  messages  -c N keep-alive connections, POST /v1/messages, one in flight\n"
"  idle      open -c N connections, print 'ready', hold them --hold s\n"
"options:\n"
"  -c N             connections (default 100)\n"
"  -d SEC           measured duration (default 10)\n"
"  -w SEC           warm-up before measuring (default 1; messages 2)\n"
"  -t N             threads (default 1)\n"
"  -P N             at most N connections opening at once (default 128)\n"
"  --tls 1.2|1.3    protocol version (default: either)\n"
"  --cipher LIST    TLS 1.2 cipher list (e.g. ECDHE-ECDSA-AES128-GCM-SHA256)\n"
"  --ciphersuites L TLS 1.3 suites\n"
"  --groups LIST    key exchange groups (e.g. P-256, X25519)\n"
"  --sigalgs LIST   signature algorithms, picks the server certificate\n"
"                   (ECDSA+SHA256, or rsa_pss_rsae_sha256:RSA+SHA256)\n"
"  --cert ecdsa|rsa shorthand for those --sigalgs\n"
"  --sni NAME       server name to send (default none)\n"
"  --no-ticket      resume by session id instead of ticket\n"
"  --once           messages: one message a connection, then it closes and\n"
"                   reconnects resuming its session (a sleepy device)\n"
"  --manifest FILE  tether manifest.json with device credentials\n"
"  --path PATH      request target (default /v1/messages)\n"
"  --commands N     send X-Tether-Commands: N (the device takes commands)\n"
"  --request        idle: send one request on each connection first\n"
"  --hold SEC       idle: how long to hold the connections (default 10)\n"
"  --timeout SEC    per connect/handshake/request (default 10)\n"
"  --server-pid PID measure this process's CPU (repeatable)\n"
"  --label TEXT     added to the output line\n"
"  --rate N         messages: N/s in all, paced (default: full rate)\n"
"  --stamps FILE    messages: write 'seq sent_ns answered_ns' (CLOCK_REALTIME)\n"
"                   for each 2xx in the measured window\n"
"output: one line of key=value on stdout, then a line for people;\n"
"the reasons for failures go to stderr.\n");
}

static void
parse_args(int argc, char **argv)
{
	enum { OPT_TLS = 256, OPT_CIPHER, OPT_SUITES, OPT_GROUPS, OPT_SIGALGS,
	    OPT_CERT, OPT_SNI, OPT_NOTICKET, OPT_MANIFEST, OPT_PATH,
	    OPT_REQUEST, OPT_HOLD, OPT_TIMEOUT, OPT_PID, OPT_LABEL, OPT_COMMANDS,
	    OPT_ONCE, OPT_HELP, OPT_RATE, OPT_STAMPS };
	static const struct option lo[] = {
		{ "tls", required_argument, NULL, OPT_TLS },
		{ "cipher", required_argument, NULL, OPT_CIPHER },
		{ "ciphersuites", required_argument, NULL, OPT_SUITES },
		{ "groups", required_argument, NULL, OPT_GROUPS },
		{ "sigalgs", required_argument, NULL, OPT_SIGALGS },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "sni", required_argument, NULL, OPT_SNI },
		{ "no-ticket", no_argument, NULL, OPT_NOTICKET },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "manifest", required_argument, NULL, OPT_MANIFEST },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "request", no_argument, NULL, OPT_REQUEST },
		{ "hold", required_argument, NULL, OPT_HOLD },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "server-pid", required_argument, NULL, OPT_PID },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "commands", required_argument, NULL, OPT_COMMANDS },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "stamps", required_argument, NULL, OPT_STAMPS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	const char *m;
	int ch;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		exit(argc < 2 ? 2 : 0);
	}
	m = argv[1];
	if (strcmp(m, "full") == 0)
		opt.mode = M_FULL;
	else if (strcmp(m, "resume") == 0)
		opt.mode = M_RESUME;
	else if (strcmp(m, "messages") == 0)
		opt.mode = M_MESSAGES;
	else if (strcmp(m, "idle") == 0)
		opt.mode = M_IDLE;
	else
		die("unknown mode '%s' (full, resume, messages, idle)", m);
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "c:d:w:t:P:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': opt.conns = strtoul(optarg, NULL, 10); break;
		case 'd': opt.duration = atof(optarg); break;
		case 'w': opt.warmup = atof(optarg); break;
		case 't': opt.threads = atoi(optarg); break;
		case 'P': opt.parallel = strtoul(optarg, NULL, 10); break;
		case OPT_TLS:
			if (strcmp(optarg, "1.2") == 0)
				opt.tls = 12;
			else if (strcmp(optarg, "1.3") == 0)
				opt.tls = 13;
			else
				die("--tls: 1.2 or 1.3");
			break;
		case OPT_CIPHER: opt.cipher = optarg; break;
		case OPT_SUITES: opt.ciphersuites = optarg; break;
		case OPT_GROUPS: opt.groups = optarg; break;
		case OPT_SIGALGS: opt.sigalgs = optarg; break;
		case OPT_CERT:
			if (strcmp(optarg, "ecdsa") == 0)
				opt.sigalgs = "ECDSA+SHA256";
			else if (strcmp(optarg, "rsa") == 0)
				opt.sigalgs = "rsa_pss_rsae_sha256:RSA+SHA256";
			else
				die("--cert: ecdsa or rsa");
			break;
		case OPT_SNI: opt.sni = optarg; break;
		case OPT_NOTICKET: opt.no_ticket = 1; break;
		case OPT_ONCE: opt.once = 1; break;
		case OPT_MANIFEST: opt.manifest = optarg; break;
		case OPT_PATH: opt.path = optarg; break;
		case OPT_REQUEST: opt.idle_request = 1; break;
		case OPT_HOLD: opt.hold = atof(optarg); break;
		case OPT_TIMEOUT: opt.timeout = atof(optarg); break;
		case OPT_PID:
			if (opt.npids == LG_MAX_PIDS)
				die("too many --server-pid");
			opt.pids[opt.npids++] = (pid_t)atoi(optarg);
			break;
		case OPT_LABEL: opt.label = optarg; break;
		case OPT_COMMANDS:
			opt.commands = (unsigned)strtoul(optarg, NULL, 10);
			if (opt.commands == 0 || opt.commands > 65535)
				die("--commands takes 1 to 65535 bytes");
			break;
		case OPT_RATE: opt.rate = atof(optarg); break;
		case OPT_STAMPS: opt.stamps = optarg; break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc - 1)
		die("expected one HOST:PORT after the options (--help)");
	if (opt.conns == 0 || opt.threads < 1 ||
	    opt.threads > LG_MAX_THREADS || opt.parallel == 0)
		die("bad -c, -t or -P");
	if ((size_t)opt.threads > opt.conns)
		opt.threads = (int)opt.conns;
	if (opt.warmup < 0)
		opt.warmup = opt.mode == M_MESSAGES ? 2 : 1;
	resolve(argv[optind]);
}

/* The soft limit up to the hard one: each connection is a descriptor. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && opt.conns + 32 > rl.rlim_cur)
		die("%zu connections need more descriptors than the limit "
		    "(%llu); lower -c", opt.conns,
		    (unsigned long long)rl.rlim_cur);
}

static const char *
mode_name(void)
{
	static const char *names[] = { "full", "resume", "messages", "idle" };

	return names[opt.mode];
}

static void
report_errors(struct worker *ws)
{
	struct errkind all[LG_MAX_ERRKINDS * LG_MAX_THREADS];
	size_t n = 0, i, j, k;
	uint64_t other = 0;

	for (i = 0; i < (size_t)opt.threads; i++) {
		other += ws[i].errs_other;
		for (j = 0; j < ws[i].nerrs; j++) {
			for (k = 0; k < n; k++)
				if (strcmp(all[k].msg, ws[i].errs[j].msg) == 0)
					break;
			if (k == n)
				all[n++] = ws[i].errs[j];
			else
				all[k].count += ws[i].errs[j].count;
		}
	}
	for (k = 0; k < n; k++)
		fprintf(stderr, "loadgen: %llu x %s\n",
		    (unsigned long long)all[k].count, all[k].msg);
	if (other)
		fprintf(stderr, "loadgen: %llu x other errors\n",
		    (unsigned long long)other);
}

int
main(int argc, char **argv)
{
	static struct worker ws[LG_MAX_THREADS];
	static uint64_t hist[LG_HIST_N];
	struct conn *conns;
	struct timespec rt;
	struct sigaction sa;
	double scpu0 = 0, scpu1 = 0, ccpu0, ccpu1, secs;
	uint64_t ok = 0, resumed = 0, non2xx = 0, errors = 0, errtot = 0;
	uint64_t reconn = 0, start;
	size_t i, per, held = 0;
	int t;

	parse_args(argc, argv);
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (opt.manifest)
		load_manifest(opt.manifest);
	setup_tls();
	clock_gettime(CLOCK_REALTIME, &rt);
	opt.seq_base = (uint64_t)rt.tv_sec * 1000000u +
	    (uint64_t)rt.tv_nsec / 1000u;

	conns = calloc(opt.conns, sizeof(*conns));
	if (conns == NULL)
		die("out of memory");
	for (i = 0; i < opt.conns; i++) {
		conns[i].fd = -1;
		conns[i].idx = i;
		if (opt.mode == M_MESSAGES || (opt.mode == M_IDLE &&
		    opt.idle_request)) {
			conns[i].req = malloc(LG_REQ_BUF);
			conns[i].resp = malloc(LG_RESP_BUF);
			if (!conns[i].req || !conns[i].resp)
				die("out of memory");
		}
	}
	start = now_ns();
	if (opt.mode == M_IDLE) {
		/* counts nothing: the window is empty */
		t_begin = t_end = UINT64_MAX;
	} else {
		t_begin = start + (uint64_t)(opt.warmup * 1e9);
		t_end = t_begin + (uint64_t)(opt.duration * 1e9);
	}
	/* connection i belongs to thread i % threads: contiguous blocks */
	per = opt.conns / (size_t)opt.threads;
	for (t = 0, i = 0; t < opt.threads; t++) {
		ws[t].id = t;
		ws[t].conns = conns + i;
		ws[t].nconns = per + ((size_t)t < opt.conns % (size_t)opt.threads);
		i += ws[t].nconns;
		if (pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]) != 0)
			die("pthread_create failed");
	}

	if (opt.mode == M_IDLE) {
		uint64_t give_up = start + (uint64_t)(opt.timeout * 6e9);

		while (!atomic_load(&stop) && now_ns() < give_up &&
		    atomic_load(&established) < opt.conns)
			sleep_until(now_ns() + 20000000u);
		held = atomic_load(&established);
		secs = (double)(now_ns() - start) / 1e9;
		printf("ready established=%zu seconds=%.2f\n", held, secs);
		fflush(stdout);
		sleep_until(now_ns() + (uint64_t)(opt.hold * 1e9));
		held = atomic_load(&established);
		atomic_store(&stop, 1);
		for (t = 0; t < opt.threads; t++)
			pthread_join(ws[t].tid, NULL);
		for (t = 0; t < opt.threads; t++)
			errtot += ws[t].errors_total;
		printf("mode=idle%s%s conns=%zu established=%zu errors=%llu "
		    "open_s=%.2f\n", opt.label ? " label=" : "",
		    opt.label ? opt.label : "", opt.conns, held,
		    (unsigned long long)errtot, secs);
		printf("# idle: %zu of %zu connections held %.1f s "
		    "(opened in %.2f s), %llu errors\n", held, opt.conns,
		    opt.hold, secs, (unsigned long long)errtot);
		report_errors(ws);
		return held == opt.conns ? 0 : 1;
	}

	sleep_until(t_begin);
	scpu0 = server_cpu();
	ccpu0 = self_cpu();
	sleep_until(t_end);
	scpu1 = server_cpu();
	ccpu1 = self_cpu();
	atomic_store(&stop, 1);
	for (t = 0; t < opt.threads; t++)
		pthread_join(ws[t].tid, NULL);

	for (t = 0; t < opt.threads; t++) {
		ok += ws[t].ok;
		resumed += ws[t].resumed;
		non2xx += ws[t].non2xx;
		errors += ws[t].errors;
		errtot += ws[t].errors_total;
		reconn += ws[t].reconnects;
		for (i = 0; i < LG_HIST_N; i++)
			hist[i] += ws[t].hist[i];
	}
	secs = opt.duration;
	{
		double rate = (double)ok / secs;
		double scpu = scpu1 - scpu0, ccpu = ccpu1 - ccpu0;
		double us_op = ok ? scpu * 1e6 / (double)ok : 0;
		double p50 = hist_pct(hist, 0.50) / 1e3;
		double p99 = hist_pct(hist, 0.99) / 1e3;
		double p999 = hist_pct(hist, 0.999) / 1e3;

		printf("mode=%s%s%s conns=%zu threads=%d duration=%.1f ok=%llu "
		    "rate=%.1f", mode_name(), opt.label ? " label=" : "",
		    opt.label ? opt.label : "", opt.conns, opt.threads, secs,
		    (unsigned long long)ok, rate);
		if (opt.mode == M_RESUME)
			printf(" resumed=%llu", (unsigned long long)resumed);
		if (opt.mode == M_MESSAGES)
			printf(" non2xx=%llu reconnects=%llu p50_us=%.1f "
			    "p99_us=%.1f p999_us=%.1f",
			    (unsigned long long)non2xx,
			    (unsigned long long)reconn, p50, p99, p999);
		printf(" errors=%llu errors_total=%llu client_cpu=%.3f",
		    (unsigned long long)errors, (unsigned long long)errtot,
		    ccpu / secs);
		if (opt.npids > 0)
			printf(" server_cpu=%.3f server_us_per_op=%.1f "
			    "per_core=%.0f", scpu / secs, us_op,
			    us_op > 0 ? 1e6 / us_op : 0);
		printf("\n# %s: %.0f/s", mode_name(), rate);
		if (opt.mode == M_RESUME)
			printf(" (%llu of %llu resumed)",
			    (unsigned long long)resumed,
			    (unsigned long long)ok);
		if (opt.mode == M_MESSAGES)
			printf(", %llu non-2xx, p50 %.0f us, p99 %.0f us, "
			    "p99.9 %.0f us", (unsigned long long)non2xx, p50,
			    p99, p999);
		printf(", %llu errors; client CPU %.0f%%", (unsigned long long)
		    errors, 100 * ccpu / secs);
		if (opt.npids > 0)
			printf(", server CPU %.0f%% = %.1f us/op (%.0f/s/core)",
			    100 * scpu / secs, us_op,
			    us_op > 0 ? 1e6 / us_op : 0);
		printf("\n");
	}
	if (opt.stamps != NULL)
		write_stamps(ws);
	report_errors(ws);
	if (ok == 0) {
		fprintf(stderr, "loadgen: error: nothing succeeded against "
		    "%s:%s in %.0f s\n", opt.host, opt.port, secs);
		return 1;
	}
	return 0;
}
