/* SPDX-License-Identifier: MIT */
/*
 * forward_http.c - the webhook transport: each batch is one POST of
 * {"messages":[...],"cursor":"..."} signed X-Tether-Signature:
 * sha256=<hex HMAC-SHA256(webhook secret, body)>, over one kept-alive
 * connection (plain to loopback, or TLS that verifies the receiver's
 * certificate). A 2xx answer acknowledges the whole batch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/x509v3.h>

#include "common/json.h"
#include "gateway/forward_int.h"

#define HEAD_MAX	(GW_FORWARD_URL_MAX + 512)
#define DRAIN_MAX	(1 << 20)	/* an answer body read to keep the connection */

/* see forward_int.h */
int
fwd_http_init(struct fwd *f, char *err)
{
	if ((f->reply = malloc(GW_FORWARD_REPLY_MAX)) == NULL) {
		snprintf(err, GW_ERR_LEN, "forwarder: out of memory");
		return -1;
	}
	if (f->url.scheme != GW_FWD_HTTPS)
		return 0;
	if ((f->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(f->ctx, TLS1_2_VERSION) != 1) {
		snprintf(err, GW_ERR_LEN, "forwarder: cannot make a TLS context");
		return -1;
	}
	SSL_CTX_set_verify(f->ctx, SSL_VERIFY_PEER, NULL);
	if (f->c->forward_ca != NULL) {
		if (SSL_CTX_load_verify_locations(f->ctx, f->c->forward_ca,
		    NULL) != 1) {
			snprintf(err, GW_ERR_LEN, "--forward-ca: cannot read "
			    "certificates (PEM) from %.160s", f->c->forward_ca);
			return -1;
		}
	} else if (SSL_CTX_set_default_verify_paths(f->ctx) != 1) {
		snprintf(err, GW_ERR_LEN, "forwarder: the system's trust store "
		    "cannot be read: give the receiver's CA with --forward-ca");
		return -1;
	}
	return 0;
}

/* see forward_int.h */
void
fwd_http_close(struct fwd *f)
{
	if (f->ssl != NULL) {
		SSL_free(f->ssl);
		f->ssl = NULL;
	}
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
}

/* see forward_int.h */
void
fwd_http_free(struct fwd *f)
{
	fwd_http_close(f);
	SSL_CTX_free(f->ctx);
	free(f->reply);
}

static int
addr_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr)
		    >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
		    &((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

static int
tls_failed(struct fwd *f, char *err)
{
	long v = SSL_get_verify_result(f->ssl);
	unsigned long e = ERR_get_error();

	if (v != X509_V_OK)
		snprintf(err, GW_ERR_LEN, "the receiver's certificate was "
		    "refused: %s (if a private CA signed it, give it with "
		    "--forward-ca FILE)", X509_verify_cert_error_string(v));
	else
		snprintf(err, GW_ERR_LEN, "the TLS handshake with %.100s:%d "
		    "failed: %s", f->url.host, f->url.port, e != 0 ?
		    ERR_reason_error_string(e) : "the receiver closed the "
		    "connection");
	ERR_clear_error();
	return -1;
}

static int
http_connect(struct fwd *f, char *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *res, *ai;
	struct timeval tv = { .tv_sec = GW_FORWARD_IO_MS / 1000,
	    .tv_usec = (GW_FORWARD_IO_MS % 1000) * 1000 };
	char port[8];
	int r, one = 1, saved = 0, remote = 0;

	snprintf(port, sizeof(port), "%d", f->url.port);
	if ((r = getaddrinfo(f->url.host, port, &hints, &res)) != 0) {
		snprintf(err, GW_ERR_LEN, "cannot resolve the receiver's host "
		    "%.100s: %s", f->url.host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (f->url.scheme == GW_FWD_HTTP && !addr_loopback(ai->ai_addr)) {
			remote = 1;	/* "localhost" that is not */
			continue;
		}
		if ((f->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) < 0) {
			saved = errno;
			continue;
		}
		/* bounds connect(2) too, on Linux */
		setsockopt(f->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(f->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(f->fd);
		f->fd = -1;
	}
	freeaddrinfo(res);
	if (f->fd < 0) {
		if (saved == 0 && remote)
			snprintf(err, GW_ERR_LEN, "%.100s is not a loopback "
			    "address: http:// is refused off this machine",
			    f->url.host);
		else
			snprintf(err, GW_ERR_LEN, "cannot connect to the "
			    "receiver at %.100s:%d: %s", f->url.host,
			    f->url.port, strerror(saved == EAGAIN ||
			    saved == EINPROGRESS ? ETIMEDOUT : saved));
		return -1;
	}
	setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (f->url.scheme != GW_FWD_HTTPS)
		return 0;
	if ((f->ssl = SSL_new(f->ctx)) == NULL ||
	    SSL_set_fd(f->ssl, f->fd) != 1) {
		snprintf(err, GW_ERR_LEN, "forwarder: out of memory for TLS");
		fwd_http_close(f);
		return -1;
	}
	if (f->url.host_is_ip)
		r = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(f->ssl),
		    f->url.host);
	else
		r = SSL_set_tlsext_host_name(f->ssl, f->url.host) == 1 &&
		    SSL_set1_host(f->ssl, f->url.host) == 1;
	if (r != 1 || SSL_connect(f->ssl) != 1) {
		tls_failed(f, err);
		fwd_http_close(f);
		return -1;
	}
	return 0;
}

static int
send_all(struct fwd *f, const char *p, size_t n, char *err)
{
	while (n > 0) {
		ssize_t k;

		if (f->ssl != NULL) {
			size_t w = 0;

			k = SSL_write_ex(f->ssl, p, n, &w) == 1 ? (ssize_t)w : -1;
		} else {
			k = send(f->fd, p, n, MSG_NOSIGNAL);
		}
		if (k <= 0) {
			snprintf(err, GW_ERR_LEN, "cannot send to the receiver: %s",
			    k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ?
			    "timed out" : k < 0 && f->ssl == NULL ?
			    strerror(errno) : "the connection broke");
			ERR_clear_error();
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Some bytes of the answer: their count, 0 at its end, -1 on an error. */
static ssize_t
recv_some(struct fwd *f, char *p, size_t n)
{
	int one = 1;

	/* A receiver that writes its head and body apart (Python's
	 * http.server) has Nagle hold the body until our ACK, which the
	 * kernel delays up to 40 ms: ACK at once. */
	setsockopt(f->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	if (f->ssl != NULL) {
		size_t r = 0;

		if (SSL_read_ex(f->ssl, p, n, &r) == 1)
			return (ssize_t)r;
		ERR_clear_error();
		return SSL_get_error(f->ssl, 0) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
	}
	return recv(f->fd, p, n, 0);
}

/* Reads the answer's head (and its body, to reuse the connection). 0,
 * or -1 with err; *any says whether a byte came. */
static int
read_reply(struct fwd *f, struct gw_fwd_reply *r, int *any, char *err)
{
	size_t got = 0;
	long head = 0;
	ssize_t k;
	long long rest;

	*any = 0;
	while (head == 0) {
		if ((k = recv_some(f, f->reply + got,
		    GW_FORWARD_REPLY_MAX - got)) <= 0) {
			snprintf(err, GW_ERR_LEN, "the receiver %s before it "
			    "answered", k == 0 ? "closed the connection" :
			    errno == EAGAIN || errno == EWOULDBLOCK ?
			    "took longer than " GW_STR(GW_FORWARD_IO_MS) "ms" :
			    "broke the connection");
			return -1;
		}
		*any = 1;
		got += (size_t)k;
		if ((head = gw_fwd_reply_parse(f->reply, got, r, err)) < 0)
			return -1;
	}
	if (!r->keep || r->content_length > DRAIN_MAX) {
		r->keep = 0;
		return 0;
	}
	for (rest = r->content_length - (long long)(got - (size_t)head);
	    rest > 0; rest -= k) {
		size_t want = rest < GW_FORWARD_REPLY_MAX ? (size_t)rest :
		    GW_FORWARD_REPLY_MAX;

		if ((k = recv_some(f, f->reply, want)) <= 0) {
			r->keep = 0;	/* the answer is in: only the reuse fails */
			break;
		}
	}
	return 0;
}

/* The batch as one JSON document (each line is one JSON value). */
static const char *
batch_body(struct json *j, const struct fwd_batch *b)
{
	json_init_heap(j);
	json_object(j, NULL, JSON_COMPACT);
	json_array(j, "messages", JSON_COMPACT);
	for (size_t i = 0; i < b->n; i++)
		json_raw(j, NULL, b->rows[i].line, b->rows[i].len);
	json_end(j);
	json_str(j, "cursor", b->cursor);
	json_end(j);
	return json_finish(j) != NULL && !j->failed ? j->buf : NULL;
}

/* see forward_int.h */
int
fwd_http_deliver(struct fwd *f, const struct fwd_batch *b, char *err)
{
	static const char hex[] = "0123456789abcdef";
	char secret[REG_WEBHOOK_SECRET_LEN + 1], sig[2 * EVP_MAX_MD_SIZE + 1];
	char head[HEAD_MAX], hostport[300];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	struct gw_fwd_reply r;
	struct json j;
	const char *body;
	int n, rc = -1, any;

	if (reg_app_webhook_secret(f->store, f->url.app, secret) != 0) {
		snprintf(err, GW_ERR_LEN, "%s", reg_error(f->store));
		return -1;
	}
	if ((body = batch_body(&j, b)) == NULL) {
		snprintf(err, GW_ERR_LEN, "out of memory for a batch's body");
		goto out;
	}
	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)body, j.len, mac, &maclen);
	for (unsigned i = 0; i < maclen; i++) {
		sig[2 * i] = hex[mac[i] >> 4];
		sig[2 * i + 1] = hex[mac[i] & 15];
	}
	sig[2 * maclen] = '\0';
	if (strchr(f->url.host, ':') != NULL)
		snprintf(hostport, sizeof(hostport), "[%s]:%d", f->url.host,
		    f->url.port);
	else
		snprintf(hostport, sizeof(hostport), "%s:%d", f->url.host,
		    f->url.port);
	n = snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: tether-forward/1\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "X-Tether-Signature: sha256=%s\r\n"
	    "X-Tether-Cursor: %s\r\n"
	    "X-Tether-Count: %zu\r\n"
	    "\r\n", f->url.path, hostport, j.len, sig, b->cursor, b->n);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		snprintf(err, GW_ERR_LEN, "the request head is too long");
		goto out;
	}
	/* A kept connection the receiver closed while idle fails before any
	 * answer: once, on a new connection, at once. */
	for (int attempt = 0; attempt < 2; attempt++) {
		int reused = f->fd >= 0;

		if (!reused && http_connect(f, err) < 0)
			goto out;
		if (send_all(f, head, (size_t)n, err) == 0 &&
		    send_all(f, body, j.len, err) == 0 &&
		    read_reply(f, &r, &any, err) == 0)
			break;
		fwd_http_close(f);
		if (!reused || any)
			goto out;
	}
	if (f->fd < 0)
		goto out;
	if (!r.keep)
		fwd_http_close(f);
	if (r.status < 200 || r.status > 299) {
		snprintf(err, GW_ERR_LEN, "the receiver answered %d, not 2xx: "
		    "the batch is sent again", r.status);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	json_free(&j);
	return rc;
}
