/* SPDX-License-Identifier: MIT */
/*
 * probe.c - a device's handshake on BearSSL over a non-blocking socket,
 * under one deadline: the engine loop, the bytes it receives shown to the
 * wire reader, an optional HTTP exchange, and failures in words that say
 * which side caused them.
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "tether.h"
#include "check/probe.h"
#include "check/fetch.h"

#define PROBE_CLOSE_MS	300	/* wait for the server's close_notify */

struct probe_ctx {
	br_ssl_client_context		 cc;
	struct chk_x509_recorder	*rec;
	unsigned char			*ibuf, *obuf;
	size_t				 ilen, olen;
	int				 fd;
};

const char *
chk_alert_name(int desc)
{
	switch (desc) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: return "an unknown alert";
	}
}

const char *
chk_br_error_text(int err)
{
	switch (err) {
	case BR_ERR_OK:
		return "no error";
	case BR_ERR_BAD_VERSION:
		return "the server chose a protocol version this stack does "
		    "not offer";
	case BR_ERR_TOO_LARGE:
		return "the server sent a record larger than the device's "
		    "buffer";
	case BR_ERR_BAD_CIPHER_SUITE:
		return "the server chose a cipher suite this stack did not "
		    "offer";
	case BR_ERR_UNEXPECTED:
		return "the server sent an unexpected message";
	case BR_ERR_BAD_SIGNATURE:
		return "the server's signature does not verify";
	case BR_ERR_WRONG_KEY_USAGE:
	case BR_ERR_X509_WRONG_KEY_TYPE:
		return "the server's key type does not fit the chosen suite";
	case BR_ERR_X509_UNSUPPORTED:
		return "the server's key is of a type or size this stack "
		    "cannot use";
	case BR_ERR_X509_EMPTY_CHAIN:
		return "the server sent no certificate";
	case BR_ERR_X509_INVALID_VALUE:
	case BR_ERR_X509_TRUNCATED:
	case BR_ERR_X509_INNER_TRUNC:
	case BR_ERR_X509_UNEXPECTED:
	case BR_ERR_X509_EXTRA_ELEMENT:
	case BR_ERR_X509_BAD_TAG_CLASS:
	case BR_ERR_X509_BAD_TAG_VALUE:
	case BR_ERR_X509_BAD_BOOLEAN:
	case BR_ERR_X509_INDEFINITE_LENGTH:
	case BR_ERR_X509_NOT_CONSTRUCTED:
	case BR_ERR_X509_NOT_PRIMITIVE:
	case BR_ERR_X509_PARTIAL_BYTE:
	case BR_ERR_X509_OVERFLOW:
	case BR_ERR_X509_BAD_DN:
	case BR_ERR_X509_BAD_TIME:
	case BR_ERR_X509_LIMIT_EXCEEDED:
		return "the server's certificate does not decode";
	case BR_ERR_INVALID_ALGORITHM:
		return "the server used a signature algorithm this stack did "
		    "not offer";
	case BR_ERR_BAD_HANDSHAKE:
	case BR_ERR_BAD_FINISHED:
		return "the handshake messages do not agree (a broken server "
		    "or a middlebox)";
	case BR_ERR_BAD_FRAGLEN:
		return "the server answered max_fragment_length with a size "
		    "that was not asked for";
	case BR_ERR_BAD_MAC:
		return "a record failed its integrity check";
	case BR_ERR_RESUME_MISMATCH:
		return "the server resumed a session with different "
		    "parameters";
	case BR_ERR_NO_RANDOM:
		return "this machine gave BearSSL no random seed";
	default:
		return "BearSSL reported a protocol error";
	}
}

/* The algorithms: everything BearSSL has, as libtether sets it, so the
 * suites alone decide what is offered. */
static void
engine_setup(struct probe_ctx *c, const struct chk_probe_opts *o)
{
	static const br_hash_class *const hashes[] = {
		&br_md5_vtable, &br_sha1_vtable, &br_sha224_vtable,
		&br_sha256_vtable, &br_sha384_vtable, &br_sha512_vtable
	};
	br_ssl_engine_context *eng = &c->cc.eng;
	const struct chk_profile *p = o->profile;
	int id;

	br_ssl_client_zero(&c->cc);
	br_ssl_engine_set_versions(eng, o->vmin ? o->vmin : p->vmin,
	    o->vmax ? o->vmax : p->vmax);
	if (o->suites != NULL)
		br_ssl_engine_set_suites(eng, o->suites, o->nsuites);
	else
		br_ssl_engine_set_suites(eng, p->suites, p->nsuites);
	br_ssl_client_set_default_rsapub(&c->cc);
	br_ssl_engine_set_default_rsavrfy(eng);
	br_ssl_engine_set_default_ecdsa(eng);
	br_ssl_engine_set_default_ec(eng);
	for (id = br_md5_ID; id <= br_sha512_ID; id++)
		br_ssl_engine_set_hash(eng, id, hashes[id - 1]);
	br_ssl_engine_set_prf10(eng, &br_tls10_prf);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_cbc(eng);
	br_ssl_engine_set_default_aes_ccm(eng);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_des_cbc(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_x509(eng, &c->rec->vtable);
	/* BearSSL asks for max_fragment_length from the smaller buffer:
	 * the buffers are the profile's, or sized to ask for o->mfln. */
	if (o->mfln != 0 || c->olen == 0)
		br_ssl_engine_set_buffer(eng, c->ibuf, c->ilen, 0);
	else
		br_ssl_engine_set_buffers_bidi(eng, c->ibuf, c->ilen, c->obuf,
		    c->olen);
}

static struct probe_ctx *
ctx_new(const struct chk_probe_opts *o)
{
	const struct chk_profile *p = o->profile;
	struct probe_ctx *c;
	size_t ilen, olen;

	if (o->mfln != 0) {
		ilen = TETHER_BUFSIZE(o->mfln);
		olen = 0;
	} else {
		ilen = p->ibuf;
		olen = p->obuf;
	}
	if ((c = calloc(1, sizeof(*c) + ilen + olen)) == NULL)
		return NULL;
	c->ibuf = (unsigned char *)(c + 1);
	c->ilen = ilen;
	c->obuf = olen ? c->ibuf + ilen : NULL;
	c->olen = olen;
	c->fd = -1;
	if (o->rec != NULL)
		c->rec = o->rec;
	else if ((c->rec = malloc(sizeof(*c->rec))) == NULL) {
		free(c);
		return NULL;
	}
	chk_x509_recorder_init(c->rec);
	return c;
}

static void
ctx_free(struct probe_ctx *c, const struct chk_probe_opts *o)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->rec != o->rec)
		free(c->rec);
	free(c);
}

/*
 * Moves bytes between the engine and the socket once, waiting at most
 * until deadline. Returns 1 when bytes moved, 0 when the server closed,
 * -1 on a socket error (errno) and -2 on the deadline.
 */
static int
pump(struct probe_ctx *c, struct chk_probe *out, long long deadline)
{
	br_ssl_engine_context *eng = &c->cc.eng;
	struct pollfd pfd;
	unsigned st = br_ssl_engine_current_state(eng);
	unsigned char *buf;
	size_t len;
	ssize_t n;
	int r;

	pfd.fd = c->fd;
	pfd.events = 0;
	if (st & BR_SSL_SENDREC)
		pfd.events |= POLLOUT;
	if (st & BR_SSL_RECVREC)
		pfd.events |= POLLIN;
	do {
		r = poll(&pfd, 1, chk_left_ms(deadline));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (r == 0)
		return -2;
	if ((st & BR_SSL_SENDREC) && (pfd.revents & (POLLOUT | POLLERR))) {
		buf = br_ssl_engine_sendrec_buf(eng, &len);
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 1 : -1;
		br_ssl_engine_sendrec_ack(eng, (size_t)n);
		return 1;
	}
	if ((st & BR_SSL_RECVREC) &&
	    (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
		buf = br_ssl_engine_recvrec_buf(eng, &len);
		n = recv(c->fd, buf, len, 0);
		if (n < 0)
			return errno == EAGAIN ? 1 : -1;
		if (n == 0)
			return 0;
		chk_wire_feed(&out->wire, buf, (size_t)n);
		br_ssl_engine_recvrec_ack(eng, (size_t)n);
		return 1;
	}
	return 1;
}

/* Why the engine stopped, as a sentence. */
static void
engine_error(const struct chk_target *t, struct chk_probe *out, int io,
    int saved, int timeout_ms)
{
	int err = out->br_err;

	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT) {
		out->alert = err - BR_ERR_RECV_FATAL_ALERT;
		chk_seterr(out->err, "the server sent alert %d (%s)", out->alert,
		    chk_alert_name(out->alert));
		return;
	}
	if (out->wire.fatal_alert >= 0) {
		out->alert = out->wire.fatal_alert;
		chk_seterr(out->err, "the server sent alert %d (%s)", out->alert,
		    chk_alert_name(out->alert));
		return;
	}
	if (err >= BR_ERR_SEND_FATAL_ALERT) {
		chk_seterr(out->err, "this stack refused the server's answer "
		    "(it would send alert %d, %s)",
		    err - BR_ERR_SEND_FATAL_ALERT,
		    chk_alert_name(err - BR_ERR_SEND_FATAL_ALERT));
		return;
	}
	if (err != 0 && err != BR_ERR_IO) {
		chk_seterr(out->err, "%s (BearSSL error %d)",
		    chk_br_error_text(err), err);
		return;
	}
	if (io == -2) {
		out->fail = CHK_FAIL_TIMEOUT;
		chk_seterr(out->err, "%s port %s did not answer within %.1f s",
		    t->host, t->port, timeout_ms / 1000.0);
	} else if (io == 0) {
		out->closed = 1;
		chk_seterr(out->err, "the server closed the connection without "
		    "an alert");
	} else if (saved == ECONNRESET) {
		out->closed = 1;
		chk_seterr(out->err, "the server reset the connection");
	} else {
		out->fail = CHK_FAIL_CONNECT;
		chk_seterr(out->err, "the connection to %s port %s failed: %s",
		    t->host, t->port, strerror(saved));
	}
}

/* Reads "Name: value" from a head line into buf if the name matches. */
static void
header_value(const char *line, size_t n, const char *name, char *buf,
    size_t len)
{
	size_t nl = strlen(name), v;

	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	for (v = nl + 1; v < n && (line[v] == ' ' || line[v] == '\t'); v++)
		;
	snprintf(buf, len, "%.*s", (int)(n - v), line + v);
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

void
chk_http_head_parse(struct chk_probe *out, const char *head, size_t len)
{
	const char *p = head, *end = head + len, *eol;
	char conn[64] = "";
	int first = 1;

	while (p < end && (eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t n = (size_t)(eol - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (first) {
			/* "HTTP/1.D DDD" (RFC 9112 4): one digit of minor
			 * version, three of status, 1xx to 5xx; anything
			 * else leaves status 0, "not an HTTP answer" */
			if (n >= 12 && memcmp(p, "HTTP/1.", 7) == 0 &&
			    is_digit(p[7]) && p[8] == ' ' &&
			    p[9] >= '1' && p[9] <= '5' && is_digit(p[10]) &&
			    is_digit(p[11]) && (n == 12 || p[12] == ' ')) {
				out->http_minor = p[7] - '0';
				out->status = (p[9] - '0') * 100 +
				    (p[10] - '0') * 10 + (p[11] - '0');
			}
			first = 0;
		} else {
			header_value(p, n, "Location", out->location,
			    sizeof(out->location));
			header_value(p, n, "Content-Location",
			    out->content_location,
			    sizeof(out->content_location));
			header_value(p, n, "WWW-Authenticate", out->www_auth,
			    sizeof(out->www_auth));
			header_value(p, n, "Connection", conn, sizeof(conn));
		}
		p = eol + 1;
	}
	out->conn_close = strcasecmp(conn, "close") == 0 ||
	    (out->http_minor == 0 && strcasecmp(conn, "keep-alive") != 0);
}

/* Sends the request and reads the response head through the engine. */
static void
http_exchange(struct probe_ctx *c, const struct chk_probe_opts *o,
    struct chk_probe *out, long long deadline)
{
	br_ssl_engine_context *eng = &c->cc.eng;
	size_t sent = 0, total = strlen(o->request), len, take;
	char *head;
	size_t got = 0;
	unsigned char *buf;
	unsigned st;
	int io = 1, end;

	if ((head = malloc(CHK_HEAD_KEEP + 1)) == NULL) {
		chk_seterr(out->http_err, "out of memory");
		return;
	}
	for (;;) {
		st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED)
			break;
		if (sent < total && (st & BR_SSL_SENDAPP)) {
			buf = br_ssl_engine_sendapp_buf(eng, &len);
			take = total - sent < len ? total - sent : len;
			memcpy(buf, o->request + sent, take);
			br_ssl_engine_sendapp_ack(eng, take);
			sent += take;
			if (sent == total)
				br_ssl_engine_flush(eng, 0);
			continue;
		}
		if (st & BR_SSL_RECVAPP) {
			buf = br_ssl_engine_recvapp_buf(eng, &len);
			take = CHK_HEAD_KEEP - got < len ? CHK_HEAD_KEEP - got :
			    len;
			memcpy(head + got, buf, take);
			br_ssl_engine_recvapp_ack(eng, len);
			got += take;
			head[got] = '\0';
			end = strstr(head, "\r\n\r\n") != NULL;
			if (end || got == CHK_HEAD_KEEP)
				break;
			continue;
		}
		if ((io = pump(c, out, deadline)) <= 0)
			break;
	}
	head[got] = '\0';
	if (strstr(head, "\r\n\r\n") != NULL) {
		out->head_len = (size_t)(strstr(head, "\r\n\r\n") - head) + 4;
		out->http_done = 1;
		chk_http_head_parse(out, head, out->head_len);
	} else if (got == CHK_HEAD_KEEP) {
		out->head_too_big = 1;
		out->head_len = got;
		out->http_done = 1;
		chk_http_head_parse(out, head, got);
	} else if ((out->br_err = br_ssl_engine_last_error(eng)) != 0 &&
	    out->br_err != BR_ERR_IO) {
		if (out->br_err == BR_ERR_TOO_LARGE)
			chk_seterr(out->http_err, "the server sent a record of more "
			    "than %zu bytes, larger than the device's buffer "
			    "takes", c->ilen - TETHER_RECORD_OVERHEAD);
		else if (out->br_err >= BR_ERR_RECV_FATAL_ALERT &&
		    out->br_err < BR_ERR_SEND_FATAL_ALERT)
			chk_seterr(out->http_err, "the server sent alert %d (%s) "
			    "instead of an answer",
			    out->br_err - BR_ERR_RECV_FATAL_ALERT,
			    chk_alert_name(out->br_err -
			    BR_ERR_RECV_FATAL_ALERT));
		else
			chk_seterr(out->http_err, "%s (BearSSL error %d)",
			    chk_br_error_text(out->br_err), out->br_err);
	} else if (io == -2) {
		out->http_timeout = 1;
		chk_seterr(out->http_err, "no answer to the request within the "
		    "time-out (--timeout; %zu bytes of head so far)", got);
	} else
		chk_seterr(out->http_err, "the server closed the connection "
		    "after %zu bytes of the answer's head", got);
	free(head);
}

/* A polite close_notify, so that the server keeps the session. */
static void
polite_close(struct probe_ctx *c, struct chk_probe *out, long long deadline)
{
	long long until = chk_now_ms() + PROBE_CLOSE_MS;

	if (until > deadline)
		until = deadline;
	br_ssl_engine_close(&c->cc.eng);
	while (!(br_ssl_engine_current_state(&c->cc.eng) & BR_SSL_CLOSED))
		if (pump(c, out, until) <= 0)
			break;
}

int
chk_probe_run(const struct chk_target *t, const struct addrinfo *ai,
    const struct chk_probe_opts *o, struct chk_probe *out)
{
	long long start = chk_now_ms(), deadline = start + t->timeout_ms;
	struct chk_fetch conn;
	struct probe_ctx *c;
	br_ssl_engine_context *eng;
	unsigned st;
	int io = 1, saved = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	out->alert = -1;
	chk_wire_init(&out->wire);
	if ((c = ctx_new(o)) == NULL) {
		out->fail = CHK_FAIL_LOCAL;
		chk_seterr(out->err, "out of memory");
		return -1;
	}
	eng = &c->cc.eng;
	engine_setup(c, o);
	if (o->resume != NULL)
		br_ssl_engine_set_session_parameters(eng, o->resume);
	if (!br_ssl_client_reset(&c->cc, o->sni, o->resume != NULL)) {
		out->fail = CHK_FAIL_LOCAL;
		out->br_err = br_ssl_engine_last_error(eng);
		chk_seterr(out->err, "BearSSL cannot start a handshake: %s",
		    chk_br_error_text(out->br_err));
		goto done;
	}

	memset(&conn, 0, sizeof(conn));
	if ((c->fd = chk_connect(t, ai, &conn)) < 0) {
		out->fail = conn.fail;
		memcpy(out->err, conn.err, sizeof(out->err));
		goto done;
	}

	for (;;) {
		st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED)
			break;
		if (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)) {
			out->done = 1;
			break;
		}
		if (o->hello_only && out->wire.hello_done)
			break;
		if ((io = pump(c, out, deadline)) <= 0) {
			saved = errno;
			break;
		}
	}
	out->br_err = br_ssl_engine_last_error(eng);
	if (out->wire.hello_done && !out->wire.hello_bad) {
		out->version = out->wire.version;
		out->suite = out->wire.suite;
	}
	if (o->hello_only && out->wire.hello_done && !out->wire.hello_bad &&
	    out->wire.fatal_alert < 0) {
		rc = 0;
		goto done;
	}
	if (!out->done) {
		engine_error(t, out, io, saved, t->timeout_ms);
		goto done;
	}
	out->version = br_ssl_engine_get_version(eng);
	br_ssl_engine_get_session_parameters(eng, &out->session);
	out->suite = out->session.cipher_suite;
	out->resumed = o->resume != NULL && !out->wire.cert_seen &&
	    out->wire.sid_len == o->resume->session_id_len &&
	    memcmp(out->wire.sid, o->resume->session_id,
	    out->wire.sid_len) == 0;
	if (o->request != NULL)
		http_exchange(c, o, out, o->http_deadline != 0 &&
		    o->http_deadline < deadline ? o->http_deadline : deadline);
	if (!(br_ssl_engine_current_state(eng) & BR_SSL_CLOSED))
		polite_close(c, out, deadline);
	rc = 0;
done:
	out->ms = (long)(chk_now_ms() - start);
	ctx_free(c, o);
	return rc;
}
