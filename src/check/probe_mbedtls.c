/* SPDX-License-Identifier: MIT */
/*
 * probe_mbedtls.c - an ESP32's connection made by mbedTLS 2.28 as esp-tls
 * sets it up (TLS 1.2, ESP-IDF's default suites, no max_fragment_length,
 * SNI): over a non-blocking socket under one deadline, the chain recorded
 * rather than trusted, failures in words.
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/version.h>

#include "check/probe_mbedtls.h"
#include "check/fetch.h"

#define MB_CLOSE_MS	300	/* wait for the server's close_notify */
#define MB_STRERROR_LEN	128
#define MB_VERSION_LEN	16	/* mbedtls_version_get_string writes
				   at most 9 bytes: "2.28.3" */
#define MB_PERS		"tether check esp32-mbedtls"

/* What one connection owns; freed by mb_free. */
struct mb_probe {
	mbedtls_ssl_context	 ssl;
	mbedtls_ssl_config	 conf;
	mbedtls_entropy_context	 entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt	 ca;		/* o->ca_file, when given */
	int			 suites[CHK_MBEDTLS_SUITES_MAX + 1];
	struct chk_probe	*out;
	long long		 deadline;
	int			 fd;
	int			 saved;		/* errno of a failed send/recv */
};

const char *
chk_mbedtls_version(char *buf, size_t len)
{
	char v[MB_VERSION_LEN];

	mbedtls_version_get_string(v);
	snprintf(buf, len, "mbedTLS %s", v);
	return buf;
}

/*
 * ESP-IDF's components/mbedtls/Kconfig defaults: key exchanges RSA,
 * ECDHE-RSA, ECDHE-ECDSA, ECDH-RSA, ECDH-ECDSA (no DHE: MBEDTLS_DHM_C is
 * off; no PSK); ciphers AES in GCM, CCM and CBC (Camellia, ARIA, DES and
 * ChaCha20-Poly1305 off). mbedTLS's own order is kept.
 */
static int
suite_in_esp_idf(const mbedtls_ssl_ciphersuite_t *cs)
{
	switch (cs->key_exchange) {
	case MBEDTLS_KEY_EXCHANGE_RSA:
	case MBEDTLS_KEY_EXCHANGE_ECDHE_RSA:
	case MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA:
	case MBEDTLS_KEY_EXCHANGE_ECDH_RSA:
	case MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA:
		break;
	default:
		return 0;
	}
	switch (cs->cipher) {
	case MBEDTLS_CIPHER_AES_128_GCM:
	case MBEDTLS_CIPHER_AES_256_GCM:
	case MBEDTLS_CIPHER_AES_128_CCM:
	case MBEDTLS_CIPHER_AES_256_CCM:
	case MBEDTLS_CIPHER_AES_128_CBC:
	case MBEDTLS_CIPHER_AES_256_CBC:
		return cs->max_minor_ver >= MBEDTLS_SSL_MINOR_VERSION_3;
	default:
		return 0;
	}
}

size_t
chk_mbedtls_suites(uint16_t *list, size_t max)
{
	const int *all = mbedtls_ssl_list_ciphersuites();
	const mbedtls_ssl_ciphersuite_t *cs;
	size_t n = 0;

	for (; *all != 0 && n < max; all++)
		if ((cs = mbedtls_ssl_ciphersuite_from_id(*all)) != NULL &&
		    suite_in_esp_idf(cs))
			list[n++] = (uint16_t)*all;
	return n;
}

/* The transport: blocking calls over the non-blocking socket, each
 * waiting at most until the probe's deadline. */
static int
mb_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct mb_probe *c = ctx;
	struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
	ssize_t n;
	int r;

	for (;;) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->saved = errno;
			return errno == ECONNRESET || errno == EPIPE ?
			    MBEDTLS_ERR_NET_CONN_RESET :
			    MBEDTLS_ERR_NET_SEND_FAILED;
		}
		do {
			r = poll(&pfd, 1, chk_left_ms(c->deadline));
		} while (r < 0 && errno == EINTR);
		if (r == 0)
			return MBEDTLS_ERR_SSL_TIMEOUT;
		if (r < 0) {
			c->saved = errno;
			return MBEDTLS_ERR_NET_SEND_FAILED;
		}
	}
}

static int
mb_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct mb_probe *c = ctx;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int r;

	for (;;) {
		n = recv(c->fd, buf, len, 0);
		if (n > 0) {
			/* The wire reader sees what mbedTLS sees: the
			 * ServerHello's extensions, alerts, record sizes. */
			chk_wire_feed(&c->out->wire, buf, (size_t)n);
			return (int)n;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->saved = errno;
			return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET :
			    MBEDTLS_ERR_NET_RECV_FAILED;
		}
		do {
			r = poll(&pfd, 1, chk_left_ms(c->deadline));
		} while (r < 0 && errno == EINTR);
		if (r == 0)
			return MBEDTLS_ERR_SSL_TIMEOUT;
		if (r < 0) {
			c->saved = errno;
			return MBEDTLS_ERR_NET_RECV_FAILED;
		}
	}
}

/* max_fragment_length's code for a size, as mbedTLS numbers them. */
static unsigned char
mfln_code(unsigned size)
{
	switch (size) {
	case 512:
		return MBEDTLS_SSL_MAX_FRAG_LEN_512;
	case 1024:
		return MBEDTLS_SSL_MAX_FRAG_LEN_1024;
	case 2048:
		return MBEDTLS_SSL_MAX_FRAG_LEN_2048;
	case 4096:
		return MBEDTLS_SSL_MAX_FRAG_LEN_4096;
	default:
		return MBEDTLS_SSL_MAX_FRAG_LEN_NONE;
	}
}

/*
 * esp-tls's client set-up (esp_tls_mbedtls.c, set_client_config) with
 * ESP-IDF's defaults: mbedtls_ssl_config_defaults for a TLS client, the
 * versions of the profile (TLS 1.2), the suites as Kconfig leaves them,
 * the curves, session tickets, encrypt-then-MAC and extended master
 * secret as mbedTLS defaults them, and the host name as SNI. Nothing is
 * verified, as esp-tls does when given no CA: a device with a CA would
 * fail on a chain this probe only records, and check_cert.c judges it.
 * Returns 0, or an mbedTLS error code.
 */
static int
mb_setup(struct mb_probe *c, const struct chk_probe_opts *o)
{
	const struct chk_profile *p = o->profile;
	uint16_t ids[CHK_MBEDTLS_SUITES_MAX];
	unsigned mfln = o->mfln != 0 ? o->mfln : p->mfln;
	size_t n, i;
	int ret;

	if ((ret = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func,
	    &c->entropy, (const unsigned char *)MB_PERS,
	    sizeof(MB_PERS) - 1)) != 0)
		return ret;
	if ((ret = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
		return ret;
	mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
	mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
	/* With the device's CAs, mbedTLS verifies as esp-tls has it verify
	 * (the config's default X.509 profile: SHA-2 only, RSA 2048 and up;
	 * the host name against DNS SANs and CN); OPTIONAL so that the
	 * handshake goes on and the other findings still come. */
	if (o->ca_file != NULL) {
		if ((ret = mbedtls_x509_crt_parse_file(&c->ca, o->ca_file)) <
		    0)
			return ret;
		if (c->ca.raw.len == 0)
			return MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT;
		mbedtls_ssl_conf_authmode(&c->conf,
		    MBEDTLS_SSL_VERIFY_OPTIONAL);
		mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
	}
	/* BR_TLS12 is 0x0303: major 3, minor 3. */
	mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    (int)(p->vmin & 0xff));
	mbedtls_ssl_conf_max_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    (int)(p->vmax & 0xff));
	n = chk_mbedtls_suites(ids, CHK_MBEDTLS_SUITES_MAX);
	for (i = 0; i < n; i++)
		c->suites[i] = ids[i];
	c->suites[n] = 0;
	mbedtls_ssl_conf_ciphersuites(&c->conf, c->suites);
	if (mfln_code(mfln) != MBEDTLS_SSL_MAX_FRAG_LEN_NONE &&
	    (ret = mbedtls_ssl_conf_max_frag_len(&c->conf,
	    mfln_code(mfln))) != 0)
		return ret;
	if ((ret = mbedtls_ssl_setup(&c->ssl, &c->conf)) != 0)
		return ret;
	if (o->sni != NULL &&
	    (ret = mbedtls_ssl_set_hostname(&c->ssl, o->sni)) != 0)
		return ret;
	mbedtls_ssl_set_bio(&c->ssl, c, mb_send, mb_recv, NULL);
	return 0;
}

static struct mb_probe *
mb_new(struct chk_probe *out)
{
	struct mb_probe *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	mbedtls_ssl_init(&c->ssl);
	mbedtls_ssl_config_init(&c->conf);
	mbedtls_entropy_init(&c->entropy);
	mbedtls_ctr_drbg_init(&c->drbg);
	mbedtls_x509_crt_init(&c->ca);
	c->out = out;
	c->fd = -1;
	return c;
}

static void
mb_free(struct mb_probe *c)
{
	if (c == NULL)
		return;
	mbedtls_ssl_free(&c->ssl);
	mbedtls_ssl_config_free(&c->conf);
	mbedtls_ctr_drbg_free(&c->drbg);
	mbedtls_entropy_free(&c->entropy);
	mbedtls_x509_crt_free(&c->ca);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* The chain as the server sent it (mbedTLS keeps it parsed, leaf first),
 * given to the recorder as BearSSL's engine would give it. */
static void
record_chain(struct mb_probe *c, const struct chk_probe_opts *o)
{
	const mbedtls_x509_crt *crt;
	const br_x509_class **vt;

	if (o->rec == NULL)
		return;
	if (c->ssl.state == MBEDTLS_SSL_HANDSHAKE_OVER)
		crt = mbedtls_ssl_get_peer_cert(&c->ssl);
	else if (c->ssl.session_negotiate != NULL)
		crt = c->ssl.session_negotiate->peer_cert;
	else
		crt = NULL;
	if (crt == NULL || crt->raw.len == 0)
		return;
	vt = &o->rec->vtable;
	(*vt)->start_chain(vt, o->sni);
	for (; crt != NULL && crt->raw.len > 0; crt = crt->next) {
		(*vt)->start_cert(vt, (uint32_t)crt->raw.len);
		(*vt)->append(vt, crt->raw.p, crt->raw.len);
		(*vt)->end_cert(vt);
	}
	/* The recorder's verdict is BearSSL's view of the leaf; mbedTLS
	 * has given its own by now. */
	(void)(*vt)->end_chain(vt);
}

/*
 * What mbedTLS's verification said, in out->ca_*. Dates are left out:
 * esp-tls builds without MBEDTLS_HAVE_TIME_DATE by default, so a device
 * does not check them (the dates finding speaks of them).
 */
static void
ca_verdict(struct mb_probe *c, struct chk_probe *out)
{
	uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
	char *p;

	flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED |
	    MBEDTLS_X509_BADCERT_FUTURE);
	out->ca_checked = 1;
	out->ca_flags = flags;
	out->ca_why[0] = '\0';
	if (flags == 0)
		return;
	(void)mbedtls_x509_crt_verify_info(out->ca_why, sizeof(out->ca_why),
	    "", flags);
	/* One line per reason, as "a; b". */
	for (p = out->ca_why; *p != '\0'; p++)
		if (*p == '\n')
			*p = p[1] != '\0' ? ';' : '\0';
}

/* Why mbedTLS stopped, as a sentence; ret is its error code. */
static void
mb_error(const struct chk_target *t, struct mb_probe *c, int ret,
    struct chk_probe *out)
{
	char words[MB_STRERROR_LEN];
	const struct chk_wire *w = &out->wire;

	out->mbed_err = ret;
	mbedtls_strerror(ret, words, sizeof(words));
	if (w->fatal_alert >= 0 || ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
		out->alert = w->fatal_alert >= 0 ? w->fatal_alert :
		    c->ssl.in_msg[1];
		chk_seterr(out->err, "the server sent alert %d (%s)", out->alert,
		    chk_alert_name(out->alert));
		return;
	}
	switch (ret) {
	case MBEDTLS_ERR_SSL_TIMEOUT:
		out->fail = CHK_FAIL_TIMEOUT;
		chk_seterr(out->err, "%s port %s did not answer within %.1f s",
		    t->host, t->port, t->timeout_ms / 1000.0);
		return;
	case MBEDTLS_ERR_SSL_CONN_EOF:
		out->closed = 1;
		chk_seterr(out->err, "the server closed the connection without "
		    "an alert");
		return;
	case MBEDTLS_ERR_NET_CONN_RESET:
		out->closed = 1;
		chk_seterr(out->err, "the server reset the connection");
		return;
	case MBEDTLS_ERR_NET_SEND_FAILED:
	case MBEDTLS_ERR_NET_RECV_FAILED:
		out->fail = CHK_FAIL_CONNECT;
		chk_seterr(out->err, "the connection to %s port %s failed: %s",
		    t->host, t->port, strerror(c->saved));
		return;
	default:
		break;
	}
	if (ret == MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE && w->cert_seen &&
	    w->cert_msg_len > MBEDTLS_SSL_IN_CONTENT_LEN) {
		out->chain_too_big = 1;
		chk_seterr(out->err, "the server's Certificate message is %zu "
		    "bytes, more than the %d-byte input buffer: mbedTLS must "
		    "hold a handshake message whole (mbedTLS: %s)",
		    w->cert_msg_len, MBEDTLS_SSL_IN_CONTENT_LEN, words);
	} else if (ret == MBEDTLS_ERR_SSL_INVALID_RECORD && !w->hello_done)
		chk_seterr(out->err, "the server's answer is not TLS (mbedTLS: "
		    "%s): is port %s a plain-text port?", words, t->port);
	else if (ret == MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION)
		chk_seterr(out->err, "the server chose a protocol version this "
		    "stack does not offer (mbedTLS: %s)", words);
	else if (ret == MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO)
		chk_seterr(out->err, "mbedTLS refused the server's ServerHello "
		    "(%s): a version, suite or extension it did not offer",
		    words);
	else
		chk_seterr(out->err, "mbedTLS refused the server's answer: %s "
		    "(-0x%04X)", words, (unsigned)-ret);
}

/* A sentence for an mbedTLS error after the handshake. */
static void
mb_http_error(int ret, size_t got, struct chk_probe *out)
{
	char words[MB_STRERROR_LEN];

	if (ret == MBEDTLS_ERR_SSL_TIMEOUT) {
		out->http_timeout = 1;
		chk_seterr(out->http_err, "no answer to the request within the "
		    "time-out (--timeout; %zu bytes of head so far)", got);
		return;
	}
	if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
	    ret == MBEDTLS_ERR_SSL_CONN_EOF ||
	    ret == MBEDTLS_ERR_NET_CONN_RESET) {
		chk_seterr(out->http_err, "the server closed the connection after "
		    "%zu bytes of the answer's head", got);
		return;
	}
	out->mbed_err = ret;
	if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE &&
	    out->wire.fatal_alert >= 0) {
		chk_seterr(out->http_err, "the server sent alert %d (%s) instead "
		    "of an answer", out->wire.fatal_alert,
		    chk_alert_name(out->wire.fatal_alert));
		return;
	}
	mbedtls_strerror(ret, words, sizeof(words));
	chk_seterr(out->http_err, "mbedTLS failed during the request: %s "
	    "(-0x%04X)", words, (unsigned)-ret);
}

/* Sends the request and reads the response head. */
static void
http_exchange(struct mb_probe *c, const struct chk_probe_opts *o,
    struct chk_probe *out)
{
	const unsigned char *req = (const unsigned char *)o->request;
	size_t sent = 0, total = strlen(o->request), got = 0;
	char *head, *end;
	int ret = 0;

	if ((head = malloc(CHK_HEAD_KEEP + 1)) == NULL) {
		chk_seterr(out->http_err, "out of memory");
		return;
	}
	while (sent < total) {
		if ((ret = mbedtls_ssl_write(&c->ssl, req + sent,
		    total - sent)) <= 0) {
			mb_http_error(ret, 0, out);
			free(head);
			return;
		}
		sent += (size_t)ret;
	}
	head[0] = '\0';
	end = NULL;
	while (got < CHK_HEAD_KEEP && end == NULL) {
		ret = mbedtls_ssl_read(&c->ssl, (unsigned char *)head + got,
		    CHK_HEAD_KEEP - got);
		if (ret <= 0)
			break;
		got += (size_t)ret;
		head[got] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	if (end != NULL) {
		out->head_len = (size_t)(end - head) + 4;
		out->http_done = 1;
		chk_http_head_parse(out, head, out->head_len);
	} else if (got == CHK_HEAD_KEEP) {
		out->head_too_big = 1;
		out->head_len = got;
		out->http_done = 1;
		chk_http_head_parse(out, head, got);
	} else
		mb_http_error(ret, got, out);
	free(head);
}

int
chk_probe_mbedtls_run(const struct chk_target *t, const struct addrinfo *ai,
    const struct chk_probe_opts *o, struct chk_probe *out)
{
	long long start = chk_now_ms();
	struct chk_fetch conn;
	struct mb_probe *c;
	char words[MB_STRERROR_LEN];
	int ret, rc = -1;

	memset(out, 0, sizeof(*out));
	out->alert = -1;
	chk_wire_init(&out->wire);
	if (o->suites != NULL || o->resume != NULL || o->hello_only) {
		out->fail = CHK_FAIL_LOCAL;
		chk_seterr(out->err, "the mbedTLS probe makes the device's own "
		    "connection only: its suites, no resumption, a whole "
		    "handshake");
		return -1;
	}
	if (o->rec != NULL)
		chk_x509_recorder_init(o->rec);
	if ((c = mb_new(out)) == NULL) {
		out->fail = CHK_FAIL_LOCAL;
		chk_seterr(out->err, "out of memory");
		return -1;
	}
	if ((ret = mb_setup(c, o)) != 0) {
		out->fail = CHK_FAIL_LOCAL;
		out->mbed_err = ret;
		mbedtls_strerror(ret, words, sizeof(words));
		chk_seterr(out->err, "mbedTLS cannot start a handshake: %s "
		    "(-0x%04X)", words, (unsigned)-ret);
		goto done;
	}

	memset(&conn, 0, sizeof(conn));
	if ((c->fd = chk_connect(t, ai, &conn)) < 0) {
		out->fail = conn.fail;
		memcpy(out->err, conn.err, sizeof(out->err));
		goto done;
	}
	c->deadline = chk_now_ms() + t->timeout_ms;

	ret = mbedtls_ssl_handshake(&c->ssl);
	record_chain(c, o);
	if (out->wire.hello_done && !out->wire.hello_bad) {
		out->version = out->wire.version;
		out->suite = out->wire.suite;
	}
	if (ret != 0) {
		mb_error(t, c, ret, out);
		goto done;
	}
	out->done = 1;
	out->version = 0x0300 | (unsigned)c->ssl.minor_ver;
	out->suite = (uint16_t)mbedtls_ssl_get_ciphersuite_id(
	    mbedtls_ssl_get_ciphersuite(&c->ssl));
	if (o->ca_file != NULL)
		ca_verdict(c, out);
	if (o->http_deadline != 0 && o->http_deadline < c->deadline)
		c->deadline = o->http_deadline;
	if (o->request != NULL)
		http_exchange(c, o, out);
	/* A polite close_notify, as esp_tls_conn_destroy sends it. */
	if (c->deadline > chk_now_ms() + MB_CLOSE_MS)
		c->deadline = chk_now_ms() + MB_CLOSE_MS;
	(void)mbedtls_ssl_close_notify(&c->ssl);
	rc = 0;
done:
	out->ms = (long)(chk_now_ms() - start);
	mb_free(c);
	return rc;
}
