/* SPDX-License-Identifier: MIT */
/*
 * client.c - the client: connect (resuming when it can), send one message
 * and read its answer over a kept-alive connection, reconnect when the
 * server dropped it, close. The BearSSL engine is driven here directly, as
 * br_sslio does, so that every failure keeps its cause.
 */
#include "inner.h"

/* What a transport or engine failure interrupted. */
enum { PH_HANDSHAKE, PH_REQUEST, PH_ANSWER };

#define LOG_LINE	160	/* one log line, cut to fit */
#define STATUS_MIN_OK	200
#define STATUS_MAX_OK	201

static int
logging(const struct tether_client *c, unsigned level)
{
	return c->cfg->log != NULL && c->cfg->log_level >= level;
}

static void
emit(const struct tether_client *c, unsigned level, const char *line)
{
	c->cfg->log(c->cfg->log_ctx, (enum tether_log_level)level, line);
}

/* Closes the transport; the TLS session stays for resumption. */
static void
drop(struct tether_client *c)
{
	if (c->io.close != NULL)
		c->io.close(c->io.ctx);
	c->connected = 0;
}

/* A transport callback's negative value, as a tether code. */
static int
io_code(int r, int fallback)
{
	if (r < 0 && -r >= TETHER_E_DNS && -r < TETHER_E_ALERT)
		return -r;
	return fallback;
}

/* BearSSL's code, after the engine closed, as a tether code. */
static int
engine_code(struct tether_client *c, int br, int phase)
{
	/* the chain check (lib/anchor.c) named the cause itself */
	if (br >= TETHER_BR_ERR_BASE)
		return br - TETHER_BR_ERR_BASE;
	if (br == BR_ERR_OK)
		return phase == PH_HANDSHAKE ? TETHER_E_CLOSED :
		    TETHER_E_NO_RESPONSE;
	if (br >= BR_ERR_RECV_FATAL_ALERT && br < BR_ERR_SEND_FATAL_ALERT) {
		int alert = br - BR_ERR_RECV_FATAL_ALERT;

		c->sys = alert;
		if (phase == PH_HANDSHAKE && (alert == 40 || alert == 71))
			return TETHER_E_NO_COMMON_SUITE;
		if (alert == 70)
			return TETHER_E_PROTOCOL_VERSION;
		return TETHER_E_ALERT;
	}
	switch (br) {
	case BR_ERR_TOO_LARGE:
		return TETHER_E_RECORD_TOO_LARGE;
	case BR_ERR_BAD_MAC:
		return TETHER_E_BAD_MAC;
	case BR_ERR_NO_RANDOM:
		return TETHER_E_NO_RANDOM;
	case BR_ERR_UNSUPPORTED_VERSION:
		return TETHER_E_PROTOCOL_VERSION;
	case BR_ERR_BAD_CIPHER_SUITE:
	case BR_ERR_BAD_COMPRESSION:
	case BR_ERR_BAD_FRAGLEN:
	case BR_ERR_EXTRA_EXTENSION:
	case BR_ERR_INVALID_ALGORITHM:
	case BR_ERR_RESUME_MISMATCH:
	case BR_ERR_X509_WRONG_KEY_TYPE:
		return TETHER_E_SERVER_BAD_CHOICE;
	case BR_ERR_X509_NOT_TRUSTED:
		return TETHER_E_PIN_MISMATCH;
	case BR_ERR_X509_LIMIT_EXCEEDED:
		return TETHER_E_KEY_TOO_LARGE;
	case BR_ERR_X509_UNSUPPORTED:
		return TETHER_E_KEY_UNSUPPORTED;
	case BR_ERR_X509_EMPTY_CHAIN:
		return TETHER_E_NO_CERT;
	}
	if (br >= BR_ERR_X509_OK && br < 64)
		return TETHER_E_CERT_MALFORMED;
	return TETHER_E_TLS;
}

/*
 * Runs the engine until its state has one of the bits of want, doing the
 * reads and writes it asks for. Returns 0, or -1 with the error set and
 * *lost = 1 when the connection went away (the case a reconnect cures).
 */
static int
pump(struct tether_client *c, unsigned want, int phase, int *lost)
{
	br_ssl_engine_context *eng = &c->ssl.eng;
	unsigned char *buf;
	size_t len;
	unsigned st;
	int r;

	*lost = 0;
	for (;;) {
		st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED) {
			c->br_err = br_ssl_engine_last_error(eng);
			*lost = c->br_err == BR_ERR_OK;
			drop(c);
			return tether_fail(c, engine_code(c, c->br_err,
			    phase));
		}
		if (st & BR_SSL_SENDREC) {
			buf = br_ssl_engine_sendrec_buf(eng, &len);
			r = c->io.write(c->io.ctx, buf, len);
			if (r <= 0 || (size_t)r > len) {
				*lost = 1;
				drop(c);
				return tether_fail(c, io_code(r,
				    TETHER_E_TRANSPORT));
			}
			c->stats.bytes_out += (uint32_t)r;
			br_ssl_engine_sendrec_ack(eng, (size_t)r);
			continue;
		}
		if (st & want)
			return 0;
		if (st & BR_SSL_RECVAPP) {
			/* the server spoke out of turn */
			drop(c);
			c->http_reason = TETHER_HTTP_R_NONE;
			return tether_fail(c, TETHER_E_BAD_RESPONSE);
		}
		if (st & BR_SSL_RECVREC) {
			buf = br_ssl_engine_recvrec_buf(eng, &len);
			r = c->io.read(c->io.ctx, buf, len);
			if (r <= 0 || (size_t)r > len) {
				*lost = 1;
				drop(c);
				if (r == 0)
					return tether_fail(c,
					    phase == PH_HANDSHAKE ?
					    TETHER_E_CLOSED :
					    TETHER_E_NO_RESPONSE);
				return tether_fail(c, io_code(r,
				    TETHER_E_TRANSPORT));
			}
			c->stats.bytes_in += (uint32_t)r;
			br_ssl_engine_recvrec_ack(eng, (size_t)r);
			continue;
		}
		/* half-duplex buffer: push out what is buffered */
		br_ssl_engine_flush(eng, 0);
	}
}

/* see tether.h */
int
tether_client_init(struct tether_client *client,
    const struct tether_config *cfg, const struct tether_transport *io,
    unsigned char *buf, size_t len)
{
	if (client == NULL)
		return -1;
	memset(client, 0, sizeof(*client));
	client->cfg = cfg;
	if (cfg == NULL)
		return tether_fail(client, TETHER_E_BAD_ARG);
	if (cfg->err != 0)
		return tether_fail(client, cfg->err);
	if (io == NULL || io->read == NULL || io->write == NULL)
		return tether_fail(client, TETHER_E_NO_TRANSPORT);
	client->io = *io;
	if (buf == NULL || len < TETHER_BUFSIZE_MIN) {
		client->sys = (int)(buf == NULL ? 0 : len);
		return tether_fail(client, TETHER_E_BUFFER_SMALL);
	}
	if (len > TETHER_BUFSIZE_MAX)
		len = TETHER_BUFSIZE_MAX;
	client->buf = buf;
	client->buf_len = len;
	tether_profile_apply(&client->ssl, cfg->profile);
	/* Renegotiation would run the pin check again after its memory has
	 * become the response parser's; no device needs it. */
	br_ssl_engine_add_flags(&client->ssl.eng, BR_OPT_NO_RENEGOTIATION);
	/* Half-duplex: one buffer for records both ways. Under 16 KiB,
	 * BearSSL asks for max_fragment_length by itself. */
	br_ssl_engine_set_buffer(&client->ssl.eng, buf, len, 0);
	if (logging(client, TETHER_LOG_SSL_MEM)) {
		char line[LOG_LINE];
		struct tether_text t;

		tether_text_init(&t, line, sizeof(line));
		tether_text_put(&t, "memory: client ");
		tether_text_uint(&t, sizeof(*client));
		tether_text_put(&t, " bytes, config ");
		tether_text_uint(&t, sizeof(*cfg));
		tether_text_put(&t, " bytes, record buffer ");
		tether_text_uint(&t, len);
		tether_text_put(&t, " bytes, no heap");
		emit(client, TETHER_LOG_SSL_MEM, line);
	}
	return 0;
}

/*
 * The log lines are written in functions of their own, never inlined:
 * a line's buffer then sits on the stack only while it is written, not
 * in tether_connect()'s or tether_send()'s frame under the handshake's
 * deepest call (BearSSL's ECDSA verification), where every byte counts
 * against the device's RAM.
 */
static void __attribute__((noinline))
log_connecting(const struct tether_client *c)
{
	const struct tether_config *cfg = c->cfg;
	char line[LOG_LINE];
	struct tether_text t;

	tether_text_init(&t, line, sizeof(line));
	tether_text_put(&t, "connecting to ");
	tether_text_put(&t, cfg->host);
	tether_text_put(&t, ":");
	tether_text_uint(&t, cfg->port);
	tether_text_put(&t, c->have_session ? " (resuming)" : "");
	emit(c, TETHER_LOG_CORE, line);
}

static void __attribute__((noinline))
log_handshake(struct tether_client *c)
{
	const struct tether_cert_info *ci = &c->cert;
	char line[LOG_LINE];
	struct tether_text t;

	if (logging(c, TETHER_LOG_CORE)) {
		tether_text_init(&t, line, sizeof(line));
		tether_text_put(&t, c->resumed ? "handshake resumed" :
		    "handshake full");
		tether_text_put(&t, ", suite 0x");
		tether_text_hex(&t, (const uint8_t[]){
		    (uint8_t)(c->stats.suite >> 8), (uint8_t)c->stats.suite },
		    2, 0);
		tether_text_put(&t, ", records of up to ");
		tether_text_uint(&t, c->stats.record_max);
		tether_text_put(&t, " bytes");
		emit(c, TETHER_LOG_CORE, line);
	}
	if (!c->resumed && ci->valid && logging(c, TETHER_LOG_SSL)) {
		tether_text_init(&t, line, sizeof(line));
		tether_text_put(&t, "certificate CN=");
		tether_text_put(&t, ci->cn);
		tether_text_put(&t, ci->key_type == BR_KEYTYPE_EC ? ", EC " :
		    ", RSA ");
		tether_text_uint(&t, ci->key_bits);
		tether_text_put(&t, ", SPKI SHA-256 ");
		tether_text_base64(&t, ci->spki_sha256, 32);
		emit(c, TETHER_LOG_SSL, line);
	}
}

/* see tether.h */
int
tether_connect(struct tether_client *c)
{
	const struct tether_config *cfg = c->cfg;
	br_ssl_engine_context *eng = &c->ssl.eng;
	const br_x509_class **x509;
	const char *sni;
	int r, lost;

	if (c->buf == NULL)	/* tether_client_init() failed: say why again */
		return tether_fail(c, c->err ? c->err : TETHER_E_BAD_ARG);
	c->err = 0;
	if (c->connected)
		return 0;
	if (cfg->host == NULL)
		return tether_fail(c, TETHER_E_NO_HOST);
	/* Never unverified: a pin or an anchor. Anchors without a clock
	 * cannot check dates: say so before any byte goes out, whatever
	 * certificate would come. */
	if (c->anchor != NULL ? !c->anchor->time_set : cfg->npins == 0)
		return tether_fail(c, c->anchor != NULL ?
		    TETHER_E_CLOCK_NOT_SET : TETHER_E_NO_PIN);
	/* pin AND chain when anchors are set: lib/anchor.c's class runs
	 * both; the pin check alone otherwise */
	x509 = c->anchor != NULL ? &c->anchor->vtable : &c->u.pin.vtable;
	if (c->io.open == NULL && c->stats.handshakes_full +
	    c->stats.handshakes_resumed > 0)
		return tether_fail(c, TETHER_E_NO_REOPEN);
	if (logging(c, TETHER_LOG_CORE))
		log_connecting(c);
	if (c->io.open != NULL) {
		r = c->io.open(c->io.ctx, cfg->host, cfg->port);
		if (r < 0) {
			if (c->io.close != NULL)
				c->io.close(c->io.ctx);
			/* -1 from open is a connect that failed, not I/O */
			return tether_fail(c, io_code(r, TETHER_E_CONNECT));
		}
	}
	tether_profile_suites(&c->ssl, cfg->profile);
	tether_pin_check_init(&c->u.pin, cfg, &c->cert);
	br_ssl_engine_set_x509(eng, x509);
	if (cfg->entropy != NULL)
		br_ssl_engine_inject_entropy(eng, cfg->entropy,
		    cfg->entropy_len);
	sni = cfg->sni_set ? cfg->sni : cfg->host;
	c->connected = 1;
	if (!br_ssl_client_reset(&c->ssl, sni, c->have_session)) {
		c->br_err = br_ssl_engine_last_error(eng);
		drop(c);
		return tether_fail(c, engine_code(c, c->br_err,
		    PH_HANDSHAKE));
	}
	if (pump(c, BR_SSL_SENDAPP | BR_SSL_RECVAPP, PH_HANDSHAKE,
	    &lost) < 0) {
		/* a session the server refused or a half-made one: forget */
		tether_session_forget(c);
		return -1;
	}
	/* Resumed when the server took the offered session: then it sent
	 * no certificate, and the pin check saw none (a full handshake
	 * cannot end without one; lib/anchor.c hands every certificate to
	 * the pin check too). The engine's session is read in place: a
	 * copy would sit in this frame under the handshake's deepest
	 * call. */
	c->resumed = c->have_session && c->u.pin.ncert == 0;
	c->have_session = eng->session.session_id_len > 0;
	c->stats.suite = eng->session.cipher_suite;
	/* what the client asked for; a server that ignores the request and
	 * sends more fails with TETHER_E_RECORD_TOO_LARGE */
	c->stats.record_max = (uint16_t)(1u << eng->log_max_frag_len);
	if (c->resumed)
		c->stats.handshakes_resumed++;
	else
		c->stats.handshakes_full++;
	log_handshake(c);
	return 0;
}

/* Writes n bytes of application data into the engine. */
static int
app_write(struct tether_client *c, const void *data, size_t n, int *lost)
{
	br_ssl_engine_context *eng = &c->ssl.eng;
	const unsigned char *p = data;
	unsigned char *buf;
	size_t avail, k;

	while (n > 0) {
		if (pump(c, BR_SSL_SENDAPP, PH_REQUEST, lost) < 0)
			return -1;
		buf = br_ssl_engine_sendapp_buf(eng, &avail);
		k = n < avail ? n : avail;
		memcpy(buf, p, k);
		br_ssl_engine_sendapp_ack(eng, k);
		p += k;
		n -= k;
	}
	return 0;
}

/* see inner.h */
int
tether_app_puts(struct tether_client *c, const char *s, int *lost)
{
	return app_write(c, s, strlen(s), lost);
}

/* see inner.h */
int
tether_app_uint(struct tether_client *c, unsigned long long v, int *lost)
{
	char d[24];
	struct tether_text t;

	tether_text_init(&t, d, sizeof(d));
	tether_text_uint(&t, v);
	return tether_app_puts(c, d, lost);
}

/* The request head and body. The credential goes from the config
 * straight into the engine's buffer, where BearSSL encrypts it. */
static int
write_request(struct tether_client *c, const void *body, size_t len,
    int *lost)
{
	const struct tether_config *cfg = c->cfg;
	int v6 = strchr(cfg->host, ':') != NULL;

	if (tether_app_puts(c, "POST /v1/messages HTTP/1.1\r\nHost: ", lost) < 0 ||
	    (v6 && tether_app_puts(c, "[", lost) < 0) ||
	    tether_app_puts(c, cfg->host, lost) < 0 ||
	    (v6 && tether_app_puts(c, "]", lost) < 0))
		return -1;
	if (cfg->port != 443 && (tether_app_puts(c, ":", lost) < 0 ||
	    tether_app_uint(c, cfg->port, lost) < 0))
		return -1;
	if (tether_app_puts(c, "\r\nAuthorization: Device ", lost) < 0 ||
	    app_write(c, cfg->credential, cfg->credential_len, lost) < 0)
		return -1;
	if (c->seq_set && (tether_app_puts(c, "\r\nX-Tether-Seq: ", lost) < 0 ||
	    tether_app_uint(c, c->seq, lost) < 0))
		return -1;
	/* commands (lib/command.c), linked only when they are taken */
	if (c->cmd != NULL && c->cmd(c, TETHER_CMD_REQUEST, lost) < 0)
		return -1;
	if (tether_app_puts(c, "\r\nContent-Length: ", lost) < 0 ||
	    tether_app_uint(c, len, lost) < 0 ||
	    tether_app_puts(c, "\r\n\r\n", lost) < 0 ||
	    app_write(c, body, len, lost) < 0)
		return -1;
	br_ssl_engine_flush(&c->ssl.eng, 0);
	return 0;
}

/* Reads one answer. -1 with *lost = 1 when nothing of it arrived before
 * the connection went away. */
static int
read_answer(struct tether_client *c, int *lost)
{
	br_ssl_engine_context *eng = &c->ssl.eng;
	struct tether_http *h = &c->u.http;
	int got = 0, r;

	tether_http_init(h);
	if (c->cmd != NULL)
		(void)c->cmd(c, TETHER_CMD_ANSWER, lost);
	for (;;) {
		unsigned char *buf;
		size_t avail, used;

		if (pump(c, BR_SSL_RECVAPP, PH_ANSWER, lost) < 0) {
			if (*lost && got && tether_http_eof(h)) {
				c->err = 0;
				break;
			}
			if (got)
				*lost = 0;
			return -1;
		}
		buf = br_ssl_engine_recvapp_buf(eng, &avail);
		r = tether_http_feed(h, buf, avail, &used);
		br_ssl_engine_recvapp_ack(eng, used);
		got = 1;
		if (r < 0) {
			c->http_reason = h->reason;
			drop(c);
			return tether_fail(c, TETHER_E_BAD_RESPONSE);
		}
		if (r == 1) {
			/* bytes past the answer: the connection is not in
			 * step any more */
			if (used < avail)
				h->flags |= TETHER_HTTP_F_CLOSE;
			break;
		}
	}
	c->status = h->status;
	c->retry_after = h->retry_after;
	/* the kept body stays in the parser, read by gateway_stored() and
	 * the error's detail until the next connection's pin check takes
	 * the memory (tether_connect() clears the error then; c->status,
	 * which the detail asks first, is set only here) */
	while (h->keep_len > 0 && (h->keep[h->keep_len - 1] == '\n' ||
	    h->keep[h->keep_len - 1] == '\r'))
		h->keep[--h->keep_len] = '\0';
	if (h->flags & TETHER_HTTP_F_CLOSE)
		drop(c);
	return 0;
}

static int
exchange(struct tether_client *c, const void *body, size_t len, int *lost)
{
	if (write_request(c, body, len, lost) < 0)
		return -1;
	return read_answer(c, lost);
}

/* Takes the text lit at *p (not past end) and moves past it: 1, or 0. */
static int
take(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/*
 * Is the kept body the gateway's answer to a stored message
 * (docs/protocol.md)? {"stored":true,["duplicate":true,]"device":"<id>",
 * and <id> the configured one when there is one. A fixed prefix, not a
 * JSON parser: the gateway writes exactly these bytes. An answer that
 * carries a command keeps no body: lib/command.c judges it by its
 * headers.
 */
static int
gateway_stored(const struct tether_client *c)
{
	const char *p = c->u.http.keep, *end = p + c->u.http.keep_len;
	const char *id = c->cfg->device;

	if (!take(&p, end, "{\"stored\":true,"))
		return 0;
	(void)take(&p, end, "\"duplicate\":true,");
	if (!take(&p, end, "\"device\":\""))
		return 0;
	return id == NULL || (take(&p, end, id) && take(&p, end, "\""));
}

static int
status_code(unsigned status)
{
	if (status >= STATUS_MIN_OK && status <= STATUS_MAX_OK)
		return TETHER_OK;
	if (status == 401)
		return TETHER_E_UNAUTHORIZED;
	if (status >= 300 && status < 400)
		return TETHER_E_REDIRECT;
	if (status == 429 || status == 503)
		return TETHER_E_RETRY_LATER;
	if (status >= 400 && status < 500)
		return TETHER_E_REFUSED_REQUEST;
	return TETHER_E_HTTP_STATUS;
}

/* A log line of its own, as log_connecting()'s. */
static void __attribute__((noinline))
log_message(const struct tether_client *c, size_t len)
{
	char line[LOG_LINE];
	struct tether_text t;

	tether_text_init(&t, line, sizeof(line));
	tether_text_put(&t, "message of ");
	tether_text_uint(&t, len);
	tether_text_put(&t, " bytes: status ");
	tether_text_uint(&t, c->status);
	emit(c, TETHER_LOG_CORE, line);
}

/* see tether.h */
int
tether_send(struct tether_client *c, const void *body, size_t len,
    int *status)
{
	int reused, lost = 0, r, code;

	if (status != NULL)
		*status = 0;
	c->status = 0;	/* no answer's kept body in the detail */
	c->cmd_ready = 0;	/* the buffer is the next answer's now */
	if (body == NULL && len > 0)
		return tether_fail(c, TETHER_E_BAD_ARG);
	if (c->cfg == NULL || c->cfg->credential == NULL)
		return tether_fail(c, c->cfg == NULL ? TETHER_E_BAD_ARG :
		    TETHER_E_NO_CREDENTIAL);
	reused = c->connected;
	if (tether_connect(c) < 0)
		return -1;
	/* a drop of the kept-alive connection is not the caller's business
	 * unless the new connection fails too: log only the outcome */
	c->quiet = (uint8_t)reused;
	r = exchange(c, body, len, &lost);
	c->quiet = 0;
	if (r < 0 && reused && !lost)
		tether_log_error(c);	/* held back, and no retry follows */
	if (r < 0 && lost && reused) {
		/* The server dropped the kept-alive connection (idle time-out,
		 * restart) before answering: once more on a new one. A repeat
		 * is safe: X-Tether-Seq makes the gateway store it once. */
		if (logging(c, TETHER_LOG_CORE))
			emit(c, TETHER_LOG_CORE, "the server closed the kept-"
			    "alive connection; reconnecting");
		drop(c);
		if (tether_connect(c) < 0)
			return -1;
		r = exchange(c, body, len, &lost);
	}
	if (r < 0)
		return -1;
	if (status != NULL)
		*status = c->status;
	if (logging(c, TETHER_LOG_CORE))
		log_message(c, len);
	code = status_code(c->status);
	if (code == TETHER_OK && !gateway_stored(c) && (c->cmd == NULL ||
	    !c->cmd(c, TETHER_CMD_STORED, &lost)))
		code = TETHER_E_NOT_GATEWAY;
	if (code != TETHER_OK)
		return tether_fail(c, code);
	c->stats.messages++;
	if (c->seq_set)
		c->seq++;
	if (c->cmd != NULL)
		(void)c->cmd(c, TETHER_CMD_DONE, &lost);
	return 0;
}

/* see tether.h */
void
tether_set_seq(struct tether_client *c, uint64_t seq)
{
	c->seq = seq;
	c->seq_set = 1;
}

/* see tether.h */
uint64_t
tether_seq(const struct tether_client *c)
{
	return c->seq;
}

/* see tether.h */
void
tether_close(struct tether_client *c)
{
	br_ssl_engine_context *eng = &c->ssl.eng;
	unsigned char *buf;
	size_t len;
	int r;

	if (!c->connected)
		return;
	/* close_notify, sent as far as the transport takes it; waiting for
	 * the server's would only cost the device time */
	br_ssl_engine_close(eng);
	while (br_ssl_engine_current_state(eng) & BR_SSL_SENDREC) {
		buf = br_ssl_engine_sendrec_buf(eng, &len);
		r = c->io.write(c->io.ctx, buf, len);
		if (r <= 0 || (size_t)r > len)
			break;
		c->stats.bytes_out += (uint32_t)r;
		br_ssl_engine_sendrec_ack(eng, (size_t)r);
	}
	drop(c);
}

/* see tether.h */
void
tether_stats(const struct tether_client *c, struct tether_stats *out)
{
	*out = c->stats;
}

/* see tether.h */
int
tether_resumed(const struct tether_client *c)
{
	return c->resumed;
}

/* see tether.h */
const struct tether_cert_info *
tether_cert(const struct tether_client *c)
{
	return &c->cert;
}
