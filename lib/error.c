/* SPDX-License-Identifier: MIT */
/*
 * error.c - the sticky error of a client and its detail text: the pins
 * expected and received, the alert the server sent by name, the buffer
 * size a server needs, the device's time and the name a chain was checked
 * against, the HTTP status and what came with it. Written into
 * the caller's buffer; no heap, no printf.
 */
#include "inner.h"

struct alert_name {
	uint8_t		 code;
	const char	*name;
};

/* RFC 8446 section 6 and RFC 5246 section 7.2. */
static const struct alert_name alerts[] = {
	{ 0, "close_notify" }, { 10, "unexpected_message" },
	{ 20, "bad_record_mac" }, { 21, "decryption_failed" },
	{ 22, "record_overflow" }, { 30, "decompression_failure" },
	{ 40, "handshake_failure" }, { 41, "no_certificate" },
	{ 42, "bad_certificate" }, { 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" }, { 45, "certificate_expired" },
	{ 46, "certificate_unknown" }, { 47, "illegal_parameter" },
	{ 48, "unknown_ca" }, { 49, "access_denied" },
	{ 50, "decode_error" }, { 51, "decrypt_error" },
	{ 60, "export_restriction" }, { 70, "protocol_version" },
	{ 71, "insufficient_security" }, { 80, "internal_error" },
	{ 86, "inappropriate_fallback" }, { 90, "user_canceled" },
	{ 100, "no_renegotiation" }, { 109, "missing_extension" },
	{ 110, "unsupported_extension" }, { 112, "unrecognized_name" },
	{ 113, "bad_certificate_status_response" },
	{ 115, "unknown_psk_identity" }, { 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

/* see inner.h */
int
tether_fail(struct tether_client *c, int code)
{
	c->err = code;
	if (!c->quiet)
		tether_log_error(c);
	return -1;
}

/* see inner.h */
void
tether_log_error(const struct tether_client *c)
{
	int code = c->err;

	/* through the config, not by name: the detail writer is linked
	 * only into firmware that logs or asks for details */
	if (c->cfg != NULL && c->cfg->log != NULL &&
	    c->cfg->describe != NULL && c->cfg->log_level >= TETHER_LOG_CORE) {
		char line[TETHER_DETAIL_LEN];
		struct tether_text t;

		tether_text_init(&t, line, sizeof(line));
		tether_text_put(&t, "error ");
		tether_text_uint(&t, (unsigned)code);
		tether_text_put(&t, ": ");
		c->cfg->describe(c, line + t.at, sizeof(line) - t.at);
		c->cfg->log(c->cfg->log_ctx, TETHER_LOG_CORE, line);
	}
}

/* see tether.h */
int
tether_last_error(const struct tether_client *c)
{
	return c->err;
}

static const char *
alert_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (alerts[i].code == code)
			return alerts[i].name;
	return "unknown";
}

static void
put_pin(struct tether_text *t, unsigned kind, const uint8_t *hash)
{
	switch (kind) {
	case TETHER_PIN_SPKI_SHA256:
		tether_text_put(t, "SPKI SHA-256 ");
		tether_text_base64(t, hash, 32);
		break;
	case TETHER_PIN_CERT_SHA256:
		tether_text_put(t, "certificate SHA-256 ");
		tether_text_hex(t, hash, 32, 0);
		break;
	default:
		tether_text_put(t, "certificate SHA-1 ");
		tether_text_hex(t, hash, 20, 1);
		break;
	}
}

/* The certificate the handshake saw: CN, dates, key. */
static void
cert_detail(const struct tether_client *c, struct tether_text *t)
{
	const struct tether_cert_info *ci = &c->cert;

	tether_text_put(t, "certificate CN=");
	tether_text_put(t, ci->cn[0] ? ci->cn : "(none)");
	if (ci->not_before[0] && ci->not_after[0]) {
		tether_text_put(t, ", valid ");
		tether_text_put(t, ci->not_before);
		tether_text_put(t, " to ");
		tether_text_put(t, ci->not_after);
	}
	if (ci->key_type != 0) {
		tether_text_put(t, ci->key_type == BR_KEYTYPE_EC ?
		    ", key EC " : ", key RSA ");
		tether_text_uint(t, ci->key_bits);
	}
}

static void
pin_detail(const struct tether_client *c, struct tether_text *t)
{
	const struct tether_cert_info *ci = &c->cert;
	unsigned i;

	tether_text_put(t, "expected ");
	for (i = 0; i < c->cfg->npins; i++) {
		if (i > 0)
			tether_text_put(t, " or ");
		put_pin(t, c->cfg->pins[i].kind, c->cfg->pins[i].hash);
	}
	if (!ci->valid)
		return;
	/* the received pins in each kind that was expected, then the
	 * certificate itself */
	tether_text_put(t, "; received");
	for (i = 0; i < 3; i++) {
		static const uint8_t order[3] = { TETHER_PIN_SPKI_SHA256,
		    TETHER_PIN_CERT_SHA256, TETHER_PIN_CERT_SHA1 };
		const uint8_t *got = order[i] == TETHER_PIN_SPKI_SHA256 ?
		    ci->spki_sha256 : order[i] == TETHER_PIN_CERT_SHA256 ?
		    ci->cert_sha256 : ci->cert_sha1;
		unsigned j, want = 0;

		for (j = 0; j < c->cfg->npins; j++)
			want |= c->cfg->pins[j].kind == order[i];
		if (!want)
			continue;
		tether_text_put(t, " ");
		put_pin(t, order[i], got);
	}
	tether_text_put(t, "; ");
	cert_detail(c, t);
}

/* Two decimal digits of v. */
static void
put2(struct tether_text *t, uint32_t v)
{
	char d[3];

	d[0] = (char)('0' + v / 10 % 10);
	d[1] = (char)('0' + v % 10);
	d[2] = '\0';
	tether_text_put(t, d);
}

/* "YYYY-MM-DD HH:MM:SS" from days since 1 January 0 AD and seconds
 * (civil from days, H. Hinnant's algorithm, March-based years). */
static void
put_time(struct tether_text *t, uint32_t days, uint32_t secs)
{
	uint32_t z = days - 60, era = z / 146097, doe = z - era * 146097;
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint32_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	uint32_t m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);

	put2(t, y / 100);
	put2(t, y);
	tether_text_put(t, "-");
	put2(t, m);
	tether_text_put(t, "-");
	put2(t, d);
	tether_text_put(t, " ");
	put2(t, secs / 3600);
	tether_text_put(t, ":");
	put2(t, secs / 60 % 60);
	tether_text_put(t, ":");
	put2(t, secs % 60);
}

/* The chain check's particulars: the device's time, the name checked,
 * the certificate (when one arrived). */
static void
anchor_detail(const struct tether_client *c, struct tether_text *t)
{
	const struct tether_config *cfg = c->cfg;
	const struct tether_anchor_ctx *ac = c->anchor;

	tether_text_put(t, "device time ");
	if (ac != NULL && ac->time_set && ac->days >= 60) {
		put_time(t, ac->days, ac->seconds);
		tether_text_put(t, " UTC");
	} else {
		tether_text_put(t, "not set");
	}
	tether_text_put(t, "; ");
	tether_text_uint(t, ac != NULL ? ac->ntas : 0);
	tether_text_put(t, ac != NULL && ac->ntas == 1 ? " trust anchor" :
	    " trust anchors");
	tether_text_put(t, "; name checked ");
	tether_text_put(t, cfg->sni_set && cfg->sni != NULL ? cfg->sni :
	    cfg->host != NULL ? cfg->host : "(none)");
	if (c->err != TETHER_E_CLOCK_NOT_SET && c->cert.valid) {
		tether_text_put(t, "; ");
		cert_detail(c, t);
	}
}

/* see tether.h */
char *
tether_error_detail(const struct tether_client *c, char *buf, size_t len)
{
	struct tether_text t;
	const struct tether_config *cfg = c->cfg;
	int e = c->err;

	tether_text_init(&t, buf, len);
	if (e == TETHER_OK) {
		tether_text_put(&t, "no error");
		return buf;
	}
	if (e == TETHER_E_BUFFER_SMALL) {
		tether_text_put(&t, "the buffer is ");
		tether_text_uint(&t, (unsigned)c->sys);
		tether_text_put(&t, " bytes; the least is 837 "
		    "(TETHER_BUFSIZE_MIN)");
	} else if (e >= TETHER_E_DNS && e < TETHER_E_ALERT && cfg != NULL &&
	    cfg->host != NULL) {
		tether_text_put(&t, "server ");
		tether_text_put(&t, cfg->host);
		tether_text_put(&t, " port ");
		tether_text_uint(&t, cfg->port);
	} else if (e == TETHER_E_ALERT || e == TETHER_E_NO_COMMON_SUITE ||
	    e == TETHER_E_PROTOCOL_VERSION) {
		if (c->br_err >= BR_ERR_RECV_FATAL_ALERT &&
		    c->br_err < BR_ERR_SEND_FATAL_ALERT) {
			tether_text_put(&t, "the server sent alert ");
			tether_text_put(&t, alert_name(c->sys));
			tether_text_put(&t, " (");
			tether_text_uint(&t, (unsigned)c->sys);
			tether_text_put(&t, ")");
			if (e == TETHER_E_NO_COMMON_SUITE)
				tether_text_put(&t, ": no cipher suite in "
				    "common");
		} else {
			tether_text_put(&t, "the server's hello names a TLS "
			    "version other than 1.2");
		}
		if (e == TETHER_E_NO_COMMON_SUITE && cfg != NULL)
			tether_text_put(&t, cfg->profile ==
			    TETHER_PROFILE_LEGACY_AXTLS ? "; the device "
			    "offered only TLS_RSA_WITH_AES_{128,256}_CBC_"
			    "SHA{,256} (legacy-axtls)" : "; the device "
			    "offered BearSSL's full suite list");
	} else if (e == TETHER_E_RECORD_TOO_LARGE) {
		tether_text_put(&t, "the buffer is ");
		tether_text_uint(&t, c->buf_len);
		tether_text_put(&t, " bytes, for records of up to ");
		tether_text_uint(&t, c->buf_len - TETHER_RECORD_OVERHEAD);
		tether_text_put(&t, " bytes; the server may send records of "
		    "16384 bytes and needs a buffer of 16709 bytes "
		    "(TETHER_BUFSIZE(16384))");
	} else if (e >= TETHER_E_ALERT && e < TETHER_E_PIN_MISMATCH) {
		tether_text_put(&t, "BearSSL error ");
		tether_text_uint(&t, (unsigned)c->br_err);
	} else if (e >= TETHER_E_CLOCK_NOT_SET && e <= TETHER_E_CHAIN_REJECTED &&
	    cfg != NULL) {
		anchor_detail(c, &t);
	} else if (e >= TETHER_E_PIN_MISMATCH && e < TETHER_E_UNAUTHORIZED &&
	    cfg != NULL) {
		pin_detail(c, &t);
	} else if (e == TETHER_E_BAD_RESPONSE) {
		tether_text_put(&t, c->http_reason ?
		    tether_http_reason_text(c->http_reason) :
		    "the server sent data the device did not ask for");
		if (c->http_reason == TETHER_HTTP_R_COMMAND_TOO_LARGE) {
			tether_text_put(&t, " (more than ");
			tether_text_uint(&t, c->cmd_cap);
			tether_text_put(&t, " bytes)");
		}
	} else if (e >= TETHER_E_UNAUTHORIZED && c->status != 0) {
		tether_text_put(&t, "HTTP status ");
		tether_text_uint(&t, c->status);
		if (e == TETHER_E_REDIRECT)
			tether_text_put(&t, "; Location: ");
		else if (c->u.http.keep_len > 0)
			tether_text_put(&t, "; body: ");
		tether_text_putn(&t, c->u.http.keep, c->u.http.keep_len);
		if (e == TETHER_E_NOT_GATEWAY && c->cmd_id != 0) {
			tether_text_put(&t, "; X-Tether-Command ");
			tether_text_uint(&t, c->cmd_id);
			tether_text_put(&t, " without an X-Tether-Device that "
			    "names this device");
		} else if (e == TETHER_E_REDIRECT && c->u.http.keep_len == 0)
			tether_text_put(&t, "(none)");
		else if (e == TETHER_E_NOT_GATEWAY && c->u.http.keep_len == 0)
			tether_text_put(&t, "; no body");
		if (c->retry_after > 0) {
			tether_text_put(&t, "; Retry-After: ");
			tether_text_uint(&t, c->retry_after);
			tether_text_put(&t, " s");
		}
	} else {
		tether_text_put(&t, "no detail");
	}
	return buf;
}
