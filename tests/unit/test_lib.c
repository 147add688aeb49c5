/* SPDX-License-Identifier: MIT */
/*
 * test_lib.c - libtether without a network: every error code's sentence,
 * pins as text, the configuration checks, the response parser at every
 * split (commands too), the session blob, and TLS failures played by a scripted server
 * over an in-memory transport (alerts, oversized records, hang-ups).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/inner.h"

/* BearSSL's own (src/inner.h): marks an engine failed with a code. */
void br_ssl_engine_fail(br_ssl_engine_context *cc, int err);

static const int all_codes[] = {
	TETHER_OK, TETHER_E_BAD_ARG, TETHER_E_NO_HOST, TETHER_E_NO_PIN,
	TETHER_E_BAD_PIN, TETHER_E_TOO_MANY_PINS, TETHER_E_NO_CREDENTIAL,
	TETHER_E_BAD_CREDENTIAL, TETHER_E_BUFFER_SMALL, TETHER_E_NO_TRANSPORT,
	TETHER_E_NO_REOPEN, TETHER_E_NO_SESSION, TETHER_E_BAD_SESSION,
	TETHER_E_OTHER_SESSION, TETHER_E_BAD_PROFILE, TETHER_E_NO_ANCHORS,
	TETHER_E_DNS,
	TETHER_E_REFUSED, TETHER_E_CONNECT_TIMEOUT, TETHER_E_UNREACHABLE,
	TETHER_E_IO_TIMEOUT, TETHER_E_RESET, TETHER_E_CLOSED,
	TETHER_E_TRANSPORT, TETHER_E_CONNECT, TETHER_E_ALERT, TETHER_E_NO_COMMON_SUITE,
	TETHER_E_PROTOCOL_VERSION, TETHER_E_RECORD_TOO_LARGE,
	TETHER_E_BAD_MAC, TETHER_E_TLS, TETHER_E_NO_RANDOM,
	TETHER_E_SERVER_BAD_CHOICE, TETHER_E_PIN_MISMATCH,
	TETHER_E_CERT_MALFORMED, TETHER_E_KEY_UNSUPPORTED,
	TETHER_E_KEY_TOO_LARGE, TETHER_E_NO_CERT, TETHER_E_CLOCK_NOT_SET,
	TETHER_E_CERT_EXPIRED, TETHER_E_CERT_NOT_YET_VALID,
	TETHER_E_UNKNOWN_ISSUER, TETHER_E_NAME_MISMATCH,
	TETHER_E_CHAIN_REJECTED, TETHER_E_UNAUTHORIZED,
	TETHER_E_REDIRECT, TETHER_E_REFUSED_REQUEST, TETHER_E_RETRY_LATER,
	TETHER_E_HTTP_STATUS, TETHER_E_BAD_RESPONSE, TETHER_E_NO_RESPONSE,
	TETHER_E_NOT_GATEWAY, TETHER_E_BAD_IDENTITY, TETHER_E_IDENTITY_VERSION,
	TETHER_E_NO_MAC, TETHER_E_WRONG_MAC,
};
#define NCODES	(sizeof(all_codes) / sizeof(all_codes[0]))

static void
test_every_code_has_its_own_sentence(void **state)
{
	const char *unknown = tether_strerror(-12345);
	size_t i, j;

	(void)state;
	for (i = 0; i < NCODES; i++) {
		const char *s = tether_strerror(all_codes[i]);

		assert_non_null(s);
		assert_true(strlen(s) > (all_codes[i] == TETHER_OK ? 0 : 40));
		assert_string_not_equal(s, unknown);
		for (j = 0; j < i; j++)
			assert_string_not_equal(s,
			    tether_strerror(all_codes[j]));
	}
	/* the layers keep their ranges */
	assert_true(TETHER_E_DNS >= 100 && TETHER_E_TRANSPORT < 200);
	assert_true(TETHER_E_ALERT >= 200 && TETHER_E_SERVER_BAD_CHOICE < 300);
	assert_true(TETHER_E_PIN_MISMATCH >= 300 && TETHER_E_NO_CERT < 400);
	assert_true(TETHER_E_UNAUTHORIZED >= 400);
}

struct pin_case {
	enum tether_pin_kind	 kind;
	const char		*text;
	int			 ok;
	uint8_t			 first, last;
};

static const struct pin_case pin_cases[] = {
	{ .kind = TETHER_PIN_SPKI_SHA256, .ok = 1, .first = 0xac, .last = 0xb3,
	  .text = "rM6C3QogEqq5vpqNij3oX4Q0UskpC5/h8xKzLc6psrM=" },
	{ .kind = TETHER_PIN_SPKI_SHA256, .ok = 1, .first = 0xac, .last = 0xb3,
	  .text = "sha256//rM6C3QogEqq5vpqNij3oX4Q0UskpC5/h8xKzLc6psrM=\n" },
	{ .kind = TETHER_PIN_SPKI_SHA256, .ok = 1, .first = 0xac, .last = 0xb3,
	  .text = "acce82dd0a2012aab9be9a8d8a3de85f843452c9290b9fe1f312b32dcea9b2b3" },
	{ .kind = TETHER_PIN_CERT_SHA256, .ok = 1, .first = 0xc2, .last = 0xdb,
	  .text = "SHA256:c27186da2e0ad8098fa120d1dc752abaccbeaaa8124cbaca4db695bb9e8f61db" },
	{ .kind = TETHER_PIN_CERT_SHA1, .ok = 1, .first = 0xcf, .last = 0xb0,
	  .text = "CF:58:5C:CF:9E:2C:49:3F:DC:64:36:58:37:EA:06:8F:AF:66:3E:B0" },
	{ .kind = TETHER_PIN_CERT_SHA1, .ok = 1, .first = 0xcf, .last = 0xb0,
	  .text = "sha1:cf585ccf9e2c493fdc64365837ea068faf663eb0" },
	/* bare base64 that begins like the prefix (found by fuzz/pin_text) */
	{ .kind = TETHER_PIN_SPKI_SHA256, .ok = 1, .first = 0xb2, .last = 0x55,
	  .text = "sha256//47DEQpj8HBSa+/TImQ+5JCeuQeRkm3hSuFU=" },
	{ .kind = TETHER_PIN_SPKI_SHA256, .ok = 1, .first = 0xb2, .last = 0x55,
	  .text = "sha256//sha256//47DEQpj8HBSa+/TImQ+5JCeuQeRkm3hSuFU=" },
	/* a SHA-1 is not a SHA-256, and the other way round */
	{ .kind = TETHER_PIN_CERT_SHA256, .ok = 0,
	  .text = "cf585ccf9e2c493fdc64365837ea068faf663eb0" },
	{ .kind = TETHER_PIN_CERT_SHA1, .ok = 0,
	  .text = "rM6C3QogEqq5vpqNij3oX4Q0UskpC5/h8xKzLc6psrM=" },
	/* base64 with non-zero leftover bits is a typo, not a pin */
	{ .kind = TETHER_PIN_SPKI_SHA256, .ok = 0,
	  .text = "rM6C3QogEqq5vpqNij3oX4Q0UskpC5/h8xKzLc6psrN=" },
	{ .kind = TETHER_PIN_SPKI_SHA256, .ok = 0, .text = "" },
	{ .kind = TETHER_PIN_SPKI_SHA256, .ok = 0,
	  .text = "acce82dd0a2012aab9be9a8d8a3de85f843452c9290b9fe1f312b32dcea9b2bz" },
	{ .kind = (enum tether_pin_kind)7, .ok = 0, .text = "00" },
};

static void
test_pin_text(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pin_cases) / sizeof(pin_cases[0]); i++) {
		const struct pin_case *pc = &pin_cases[i];
		uint8_t out[32];
		int r = tether_pin_parse(pc->kind, pc->text,
		    strlen(pc->text), out);

		if (!pc->ok) {
			assert_int_equal(r, TETHER_E_BAD_PIN);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(out[0], pc->first);
		assert_int_equal(out[tether_pin_len(pc->kind) - 1], pc->last);
	}
}

static const uint8_t pin_a[32] = { 1 };

static int
null_io(void *ctx, unsigned char *b, size_t n)
{
	(void)ctx; (void)b; (void)n;
	return -1;
}

static int
null_write(void *ctx, const unsigned char *b, size_t n)
{
	(void)ctx; (void)b; (void)n;
	return -1;
}

static void
test_config_checks(void **state)
{
	static unsigned char buf[TETHER_BUFSIZE_MIN];
	struct tether_config cfg;
	struct tether_client c;
	struct tether_transport io = { .read = null_io, .write = null_write };
	char d[TETHER_DETAIL_LEN];
	int i;

	(void)state;
	tether_config_init(&cfg);
	assert_int_equal(tether_config_set_host(&cfg, "", 1), TETHER_E_NO_HOST);
	/* the first error sticks and comes back at tether_client_init */
	assert_int_equal(tether_client_init(&c, &cfg, &io, buf, sizeof(buf)),
	    -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_NO_HOST);
	assert_int_equal(tether_connect(&c), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_NO_HOST);

	tether_config_init(&cfg);
	for (i = 0; i < TETHER_MAX_PINS; i++)
		assert_int_equal(tether_config_add_pin(&cfg,
		    TETHER_PIN_SPKI_SHA256, pin_a), 0);
	assert_int_equal(tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256,
	    pin_a), TETHER_E_TOO_MANY_PINS);
	assert_int_equal(tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256,
	    NULL), TETHER_E_BAD_PIN);

	tether_config_init(&cfg);
	assert_int_equal(tether_config_set_credential(&cfg, "a b", 3),
	    TETHER_E_BAD_CREDENTIAL);
	assert_int_equal(tether_config_set_credential(&cfg, "ab\r\nX: y", 8),
	    TETHER_E_BAD_CREDENTIAL);
	assert_int_equal(tether_config_set_credential(&cfg, "", 0),
	    TETHER_E_NO_CREDENTIAL);
	assert_int_equal(tether_config_set_profile(&cfg,
	    (enum tether_profile)9), TETHER_E_BAD_PROFILE);
	assert_int_equal(tether_config_set_entropy(&cfg, "short", 5),
	    TETHER_E_BAD_ARG);

	tether_config_init(&cfg);
	assert_int_equal(tether_client_init(&c, &cfg, &io, buf, 836), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_BUFFER_SMALL);
	assert_non_null(strstr(tether_error_detail(&c, d, sizeof(d)),
	    "836 bytes"));
	assert_int_equal(tether_client_init(&c, &cfg, NULL, buf, sizeof(buf)),
	    -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_NO_TRANSPORT);

	/* no host, then no pin, then no credential: each said in turn */
	assert_int_equal(tether_client_init(&c, &cfg, &io, buf, sizeof(buf)),
	    0);
	assert_int_equal(tether_connect(&c), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_NO_HOST);
	tether_config_set_host(&cfg, "localhost", 1);
	assert_int_equal(tether_connect(&c), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_NO_PIN);
	assert_int_equal(tether_send(&c, "x", 1, NULL), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_NO_CREDENTIAL);
}

/* The response parser */

struct http_case {
	const char	*input;
	int		 result;	/* of feeding it all */
	unsigned	 status;
	unsigned	 reason;
	int		 closes;
	int		 eof_ends;	/* complete only at end of data */
	const char	*keep;
};

static const struct http_case http_cases[] = {
	{ .input = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
	  "Content-Length: 15\r\n\r\n{\"stored\":true}",
	  .result = 1, .status = 201, .keep = "{\"stored\":true}" },
	{ .input = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Device\r\n"
	  "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
	  .result = 1, .status = 401, .closes = 1, .keep = "{}" },
	{ .input = "HTTP/1.1 301 Moved Permanently\r\nLocation: https://b/x"
	  "\r\nContent-Length: 5\r\n\r\nmoved",
	  .result = 1, .status = 301, .keep = "https://b/x" },
	{ .input = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: 1\r\n\r\n",
	  .result = 1, .status = 200, .keep = "abcde" },
	{ .input = "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
	  .result = 1, .status = 200, .closes = 1, .keep = "x" },
	{ .input = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
	  "Content-Length: 0\r\n\r\n", .result = 1, .status = 200, .keep = "" },
	{ .input = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n"
	  "\r\nlater", .result = 0, .status = 503, .closes = 1,
	  .eof_ends = 1, .keep = "later" },
	{ .input = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
	  "Content-Length: 0\r\n\r\n", .result = 1, .status = 201, .keep = "" },
	{ .input = "HTTP/1.1 204 No Content\r\n\r\n", .result = 1,
	  .status = 204, .keep = "" },
	{ .input = "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", .result = 1,
	  .status = 200, .keep = "" },
	{ .input = "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
	  .result = -1, .reason = TETHER_HTTP_R_BARE_LF },
	{ .input = "HTTP/1.1 20x OK\r\n\r\n", .result = -1,
	  .reason = TETHER_HTTP_R_STATUS_LINE },
	{ .input = "HTTP/2.0 200 OK\r\n\r\n", .result = -1,
	  .reason = TETHER_HTTP_R_VERSION },
	{ .input = "SSH-2.0-OpenSSH_9.2\r\n", .result = -1,
	  .reason = TETHER_HTTP_R_STATUS_LINE },
	{ .input = "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", .result = -1,
	  .reason = TETHER_HTTP_R_HEADER },
	{ .input = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	  "Content-Length: 2\r\n\r\n", .result = -1,
	  .reason = TETHER_HTTP_R_CONTENT_LENGTH },
	{ .input = "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	  .result = -1, .reason = TETHER_HTTP_R_CONTENT_LENGTH },
	{ .input = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
	  .result = -1, .reason = TETHER_HTTP_R_TRANSFER_CODING },
	{ .input = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "zz\r\n", .result = -1, .reason = TETHER_HTTP_R_CHUNK },
	{ .input = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "1\r\nab\r\n", .result = -1, .reason = TETHER_HTTP_R_CHUNK },
	/* lengths are 32-bit: 9 decimal digits, 8 hex digits at most */
	{ .input = "HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n",
	  .result = 0, .status = 200, .keep = "" },
	{ .input = "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n",
	  .result = -1, .reason = TETHER_HTTP_R_CONTENT_LENGTH },
	{ .input = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "ffffffff\r\nab", .result = 0, .status = 200, .keep = "ab" },
	{ .input = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "100000000\r\n", .result = -1, .reason = TETHER_HTTP_R_CHUNK },
};

static int
feed_split(const char *in, size_t len, size_t split, struct tether_http *h)
{
	size_t used;
	int r;

	tether_http_init(h);
	r = tether_http_feed(h, (const unsigned char *)in, split, &used);
	if (r != 0)
		return r;
	assert_int_equal(used, split);
	return tether_http_feed(h, (const unsigned char *)in + split,
	    len - split, &used);
}

static void
test_response_parser(void **state)
{
	size_t i, split;

	(void)state;
	for (i = 0; i < sizeof(http_cases) / sizeof(http_cases[0]); i++) {
		const struct http_case *hc = &http_cases[i];
		size_t len = strlen(hc->input);

		/* every split gives the same answer as the whole */
		for (split = 0; split <= len; split++) {
			struct tether_http h;
			int r = feed_split(hc->input, len, split, &h);

			assert_int_equal(r, hc->result);
			if (r < 0) {
				assert_int_equal(h.reason, hc->reason);
				assert_string_not_equal(
				    tether_http_reason_text(h.reason), "");
				continue;
			}
			assert_int_equal(h.status, hc->status);
			assert_int_equal(!!(h.flags & TETHER_HTTP_F_CLOSE),
			    hc->closes);
			if (hc->eof_ends)
				assert_int_equal(tether_http_eof(&h), 1);
			assert_string_equal(h.keep, hc->keep);
		}
	}
}

static void
test_response_head_limit(void **state)
{
	static char big[TETHER_HTTP_HEAD_MAX + 64];
	struct tether_http h;
	size_t used;

	(void)state;
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	tether_http_init(&h);
	assert_int_equal(tether_http_feed(&h, (unsigned char *)big,
	    sizeof(big), &used), -1);
	assert_int_equal(h.reason, TETHER_HTTP_R_HEAD_TOO_LARGE);
	assert_int_equal(used, TETHER_HTTP_HEAD_MAX);
}

/* Commands in answers: X-Tether-Command and X-Tether-Device */

struct cmd_case {
	const char	*input;
	uint16_t	 cap;		/* 0: no command buffer */
	int		 result;
	unsigned	 reason;
	uint64_t	 id;		/* the command found, 0 none */
	const char	*payload;	/* in the command buffer */
	const char	*want;		/* the device id wanted, NULL any */
	unsigned	 named;		/* 0 no X-Tether-Device, 1 it, 2 other */
	const char	*keep;
};

static const struct cmd_case cmd_cases[] = {
	/* the spec's answer, and its header names in any case */
	{ .input = "HTTP/1.1 201 Created\r\nContent-Type: application/"
	  "octet-stream\r\nX-Tether-Device: d7k3-m9q2-x\r\nX-Tether-Command: "
	  "17\r\nContent-Length: 6\r\n\r\nreboot", .cap = 64, .result = 1,
	  .id = 17, .payload = "reboot", .want = "d7k3-m9q2-x", .named = 1,
	  .keep = "" },
	{ .input = "HTTP/1.1 200 OK\r\nx-tether-command:   42 \r\n"
	  "X-TETHER-DEVICE: d1\r\ncontent-length: 0\r\n\r\n", .cap = 1,
	  .result = 1, .id = 42, .payload = "", .named = 1, .keep = "" },
	/* chunked, filling the buffer exactly */
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 999999999999999999"
	  "\r\nX-Tether-Device: d1\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "4\r\nset \r\n3\r\nt=5\r\n0\r\n\r\n", .cap = 7, .result = 1,
	  .id = 999999999999999999ull, .payload = "set t=5", .want = "d1",
	  .named = 1, .keep = "" },
	/* one byte too many: by Content-Length, chunked, to the close */
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 3\r\n"
	  "Content-Length: 8\r\n\r\nset t=55", .cap = 7, .result = -1,
	  .reason = TETHER_HTTP_R_COMMAND_TOO_LARGE },
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 3\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n4\r\nset \r\n4\r\nt=55\r\n"
	  "0\r\n\r\n", .cap = 7, .result = -1,
	  .reason = TETHER_HTTP_R_COMMAND_TOO_LARGE },
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 3\r\n\r\n"
	  "set t=55", .cap = 7, .result = -1,
	  .reason = TETHER_HTTP_R_COMMAND_TOO_LARGE },
	/* ids that are not: 0, 19 digits, hex, signed, empty, two */
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 0\r\n\r\n",
	  .cap = 8, .result = -1, .reason = TETHER_HTTP_R_COMMAND_ID },
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: "
	  "1000000000000000000\r\n\r\n", .cap = 8, .result = -1,
	  .reason = TETHER_HTTP_R_COMMAND_ID },
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 0x11\r\n\r\n",
	  .cap = 8, .result = -1, .reason = TETHER_HTTP_R_COMMAND_ID },
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: -5\r\n\r\n",
	  .cap = 8, .result = -1, .reason = TETHER_HTTP_R_COMMAND_ID },
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command:\r\n\r\n",
	  .cap = 8, .result = -1, .reason = TETHER_HTTP_R_COMMAND_ID },
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 1\r\n"
	  "X-Tether-Command: 2\r\n\r\n", .cap = 8, .result = -1,
	  .reason = TETHER_HTTP_R_COMMAND_ID },
	/* the same id twice is one command */
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 5\r\n"
	  "X-Tether-Command: 5\r\nContent-Length: 1\r\n\r\nx", .cap = 8,
	  .result = 1, .id = 5, .payload = "x", .keep = "" },
	/* names that are not the device's: one of two, a longer one, one
	 * with a space, an empty one */
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 5\r\n"
	  "X-Tether-Device: a\r\nX-Tether-Device: b\r\nContent-Length: 1"
	  "\r\n\r\nx", .cap = 8, .result = 1, .id = 5, .payload = "x",
	  .want = "a", .named = 2, .keep = "" },
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 5\r\n"
	  "X-Tether-Device: d12\r\nContent-Length: 1\r\n\r\n"
	  "x", .cap = 8, .result = 1, .id = 5, .payload = "x", .want = "d1",
	  .named = 2, .keep = "" },
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 5\r\n"
	  "X-Tether-Device: d 1\r\nContent-Length: 1\r\n\r\nx", .cap = 8,
	  .result = 1, .id = 5, .payload = "x", .want = "d1", .named = 2,
	  .keep = "" },
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 5\r\n"
	  "X-Tether-Device:\r\nContent-Length: 1\r\n\r\nx", .cap = 8,
	  .result = 1, .id = 5, .payload = "x", .named = 2, .keep = "" },
	/* without a command buffer, or not a 200/201: today's keep */
	{ .input = "HTTP/1.1 201 Created\r\nX-Tether-Command: 17\r\n"
	  "Content-Length: 6\r\n\r\nreboot", .cap = 0, .result = 1,
	  .keep = "reboot" },
	{ .input = "HTTP/1.1 503 Busy\r\nX-Tether-Command: 17\r\n"
	  "Content-Length: 4\r\n\r\nbusy", .cap = 64, .result = 1,
	  .keep = "busy" },
	/* an interim answer's headers do not count */
	{ .input = "HTTP/1.1 100 Continue\r\nX-Tether-Command: 9\r\n\r\n"
	  "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}", .cap = 64,
	  .result = 1, .keep = "{}" },
};

static void
test_command_parser(void **state)
{
	static unsigned char cmd[64];
	size_t i, split, used;

	(void)state;
	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *cc = &cmd_cases[i];
		size_t len = strlen(cc->input);

		/* every split gives the same answer as the whole */
		for (split = 0; split <= len; split++) {
			struct tether_http h;
			int r;

			tether_http_init(&h);
			h.device = cc->want;
			if (cc->cap != 0) {
				h.header = tether_command_header;
				h.cmd_buf = cmd;
				h.cmd_cap = cc->cap;
			}
			r = tether_http_feed(&h, (const unsigned char *)
			    cc->input, split, &used);
			if (r == 0)
				r = tether_http_feed(&h, (const unsigned char *)
				    cc->input + split, len - split, &used);
			if (r == 0 && tether_http_eof(&h))
				r = 1;
			if (r != cc->result)
				fail_msg("case %zu split %zu: %d", i, split, r);
			if (r < 0) {
				assert_int_equal(h.reason, cc->reason);
				continue;
			}
			assert_true(h.cmd_len <= cc->cap);
			if (cc->id != 0) {
				assert_true(h.flags & TETHER_HTTP_F_COMMAND);
				assert_true(h.cmd_id == cc->id);
				assert_int_equal(h.cmd_len,
				    strlen(cc->payload));
				assert_memory_equal(cmd, cc->payload,
				    h.cmd_len);
			} else {
				assert_false(h.flags & TETHER_HTTP_F_COMMAND);
			}
			assert_int_equal(h.named, cc->named);
			assert_string_equal(h.keep, cc->keep);
		}
	}
	assert_string_not_equal(tether_http_reason_text(
	    TETHER_HTTP_R_COMMAND_ID), "unknown");
	assert_string_not_equal(tether_http_reason_text(
	    TETHER_HTTP_R_COMMAND_TOO_LARGE), "unknown");
}

/* The session blob */

static void
test_session_blob(void **state)
{
	static unsigned char buf[TETHER_BUFSIZE_MIN];
	struct tether_transport io = { .read = null_io, .write = null_write };
	struct tether_config cfg, other;
	struct tether_client a, b;
	br_ssl_session_parameters sp, got;
	uint8_t blob[TETHER_SESSION_SIZE];

	(void)state;
	tether_config_init(&cfg);
	tether_config_set_host(&cfg, "gw.example", 8443);
	tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256, pin_a);
	assert_int_equal(tether_client_init(&a, &cfg, &io, buf, sizeof(buf)),
	    0);
	assert_int_equal(tether_session_save(&a, blob), -1);
	assert_int_equal(tether_last_error(&a), TETHER_E_NO_SESSION);

	memset(&sp, 0, sizeof(sp));
	sp.session_id_len = 32;
	memset(sp.session_id, 0x5a, 32);
	memset(sp.master_secret, 0xa5, 48);
	sp.version = BR_TLS12;
	sp.cipher_suite = BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
	br_ssl_engine_set_session_parameters(&a.ssl.eng, &sp);
	a.have_session = 1;
	tether_set_seq(&a, 41);
	assert_int_equal(tether_session_save(&a, blob), 0);

	assert_int_equal(tether_client_init(&b, &cfg, &io, buf, sizeof(buf)),
	    0);
	assert_int_equal(tether_session_restore(&b, blob), 0);
	br_ssl_engine_get_session_parameters(&b.ssl.eng, &got);
	assert_memory_equal(&got, &sp, sizeof(sp));
	assert_int_equal(tether_seq(&b), 41);

	/* one flipped bit: damaged, not used */
	blob[50] ^= 1;
	assert_int_equal(tether_session_restore(&b, blob), -1);
	assert_int_equal(tether_last_error(&b), TETHER_E_BAD_SESSION);
	blob[50] ^= 1;

	/* the same blob for another server: refused */
	tether_config_init(&other);
	tether_config_set_host(&other, "gw.example", 443);
	tether_config_add_pin(&other, TETHER_PIN_SPKI_SHA256, pin_a);
	assert_int_equal(tether_client_init(&b, &other, &io, buf,
	    sizeof(buf)), 0);
	assert_int_equal(tether_session_restore(&b, blob), -1);
	assert_int_equal(tether_last_error(&b), TETHER_E_OTHER_SESSION);

	/* the command being acknowledged is kept too */
	assert_int_equal(tether_client_init(&b, &cfg, &io, buf, sizeof(buf)),
	    0);
	a.ack = 999999999999999999ull;
	assert_int_equal(tether_session_save(&a, blob), 0);
	assert_int_equal(tether_session_restore(&b, blob), 0);
	assert_true(tether_command_ack(&b) == 999999999999999999ull);
	assert_int_equal(tether_seq(&b), 41);

	/* a blob of layout 1 (before commands, 112 bytes: "tts1", the tag
	 * at 100, the check at 104) still restores, without an ack */
	{
		br_sha256_context h;
		uint8_t d[32];

		memcpy(blob, "tts1", 4);
		memcpy(blob + 100, blob + 108, 4);
		br_sha256_init(&h);
		br_sha256_update(&h, blob, 104);
		br_sha256_out(&h, d);
		memcpy(blob + 104, d, 8);
		memset(blob + 112, 0xee, 8);	/* not looked at */
	}
	assert_int_equal(tether_session_restore(&b, blob), 0);
	br_ssl_engine_get_session_parameters(&b.ssl.eng, &got);
	assert_memory_equal(&got, &sp, sizeof(sp));
	assert_int_equal(tether_seq(&b), 41);
	assert_true(tether_command_ack(&b) == 0);
	blob[60] ^= 1;
	assert_int_equal(tether_session_restore(&b, blob), -1);
	assert_int_equal(tether_last_error(&b), TETHER_E_BAD_SESSION);

	tether_session_forget(&a);
	assert_int_equal(tether_session_save(&a, blob), -1);
}

/* One answer through the parser as tether_send() reads it, with the
 * command steps around it; returns what TETHER_CMD_STORED said. */
static int
command_answer(struct tether_client *c, const char *answer)
{
	size_t used;
	int lost = 0, stored;

	tether_http_init(&c->u.http);
	assert_int_equal(c->cmd(c, TETHER_CMD_ANSWER, &lost), 0);
	assert_int_equal(tether_http_feed(&c->u.http,
	    (const unsigned char *)answer, strlen(answer), &used), 1);
	c->cmd_ready = 0;
	stored = c->cmd(c, TETHER_CMD_STORED, &lost);
	if (stored)
		(void)c->cmd(c, TETHER_CMD_DONE, &lost);
	return stored;
}

/* The client's side of the flow without TLS: stored or not by the
 * headers, handed over once, acked until a stored answer, a repeat of the
 * id being acked dropped. (tests/integration/t_send_commands.sh runs the
 * same over TLS, with the request headers.) */
static void
test_command_flow(void **state)
{
	static unsigned char buf[TETHER_BUFSIZE_MIN], cmdbuf[8];
	struct tether_transport io = { .read = null_io, .write = null_write };
	struct tether_config cfg;
	struct tether_client c;
	struct tether_command cmd;

	(void)state;
	tether_config_init(&cfg);
	tether_config_set_device(&cfg, "d1");
	assert_int_equal(tether_client_init(&c, &cfg, &io, buf, sizeof(buf)),
	    0);
	assert_null(c.cmd);	/* nothing linked without a buffer */
	assert_int_equal(tether_client_set_command_buffer(&c, cmdbuf,
	    sizeof(cmdbuf)), 0);
	assert_non_null(c.cmd);

	assert_int_equal(command_answer(&c, "HTTP/1.1 201 Created\r\n"
	    "X-Tether-Command: 17\r\nX-Tether-Device: d1\r\n"
	    "Content-Length: 6\r\n\r\nreboot"), 1);
	assert_int_equal(tether_command(&c, &cmd), 1);
	assert_true(cmd.id == 17 && cmd.len == 6);
	assert_memory_equal(cmd.payload, "reboot", 6);
	assert_true(tether_command_ack(&c) == 17);

	/* the same id again (its answer was lost): stored, not handed over,
	 * and the ack it carried is done */
	assert_int_equal(command_answer(&c, "HTTP/1.1 200 OK\r\n"
	    "X-Tether-Command: 17\r\nX-Tether-Device: d1\r\n"
	    "Content-Length: 6\r\n\r\nreboot"), 1);
	assert_int_equal(tether_command(&c, &cmd), 0);
	assert_true(tether_command_ack(&c) == 0);

	/* another device's command, or none named: not the gateway's */
	assert_int_equal(command_answer(&c, "HTTP/1.1 201 Created\r\n"
	    "X-Tether-Command: 18\r\nX-Tether-Device: d2\r\n"
	    "Content-Length: 1\r\n\r\nx"), 0);
	assert_int_equal(command_answer(&c, "HTTP/1.1 201 Created\r\n"
	    "X-Tether-Command: 18\r\nContent-Length: 1\r\n\r\nx"), 0);
	/* today's body: the client's own check, not the step's */
	assert_int_equal(command_answer(&c, "HTTP/1.1 201 Created\r\n"
	    "Content-Length: 2\r\n\r\n{}"), 0);
	assert_string_equal(c.u.http.keep, "{}");

	/* a new command not taken before the next answer: not acked, and
	 * the next command replaces it */
	assert_int_equal(command_answer(&c, "HTTP/1.1 201 Created\r\n"
	    "X-Tether-Command: 19\r\nX-Tether-Device: d1\r\n"
	    "Content-Length: 0\r\n\r\n"), 1);
	assert_int_equal(command_answer(&c, "HTTP/1.1 201 Created\r\n"
	    "X-Tether-Command: 20\r\nX-Tether-Device: d1\r\n"
	    "Content-Length: 2\r\n\r\non"), 1);
	assert_true(tether_command_ack(&c) == 0);
	assert_int_equal(tether_command(&c, &cmd), 1);
	assert_true(cmd.id == 20 && cmd.len == 2);
}

/* The command calls on their own: the buffer, handing over once. */
static void
test_command_calls(void **state)
{
	static unsigned char buf[TETHER_BUFSIZE_MIN], cmdbuf[70000];
	struct tether_transport io = { .read = null_io, .write = null_write };
	struct tether_config cfg;
	struct tether_client c;
	struct tether_command cmd;

	(void)state;
	tether_config_init(&cfg);
	assert_int_equal(tether_client_init(&c, &cfg, &io, buf, sizeof(buf)),
	    0);
	assert_int_equal(tether_command(&c, &cmd), 0);
	assert_true(tether_command_ack(&c) == 0);
	assert_int_equal(tether_client_set_command_buffer(&c, NULL, 5), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_BAD_ARG);
	assert_int_equal(tether_client_set_command_buffer(&c, cmdbuf,
	    sizeof(cmdbuf)), 0);
	assert_int_equal(c.cmd_cap, 65535);	/* what the header can say */
	assert_int_equal(tether_client_set_command_buffer(&c, NULL, 0), 0);
	assert_int_equal(c.cmd_cap, 0);

	/* what tether_send() leaves after a stored answer with command 7 */
	assert_int_equal(tether_client_set_command_buffer(&c, cmdbuf, 16), 0);
	memcpy(cmdbuf, "open", 4);
	c.cmd_id = 7;
	c.cmd_len = 4;
	c.cmd_ready = 1;
	assert_int_equal(tether_command(&c, &cmd), 1);
	assert_true(cmd.id == 7);
	assert_int_equal(cmd.len, 4);
	assert_ptr_equal(cmd.payload, cmdbuf);
	assert_true(tether_command_ack(&c) == 7);
	/* handed over once */
	assert_int_equal(tether_command(&c, &cmd), 0);
	assert_true(tether_command_ack(&c) == 7);
}

/* A scripted server over an in-memory transport. */

struct script {
	const unsigned char	*reply;
	size_t			 reply_len;
	size_t			 at;
	int			 after;		/* read result at the end */
	unsigned char		 hello[1024];
	size_t			 hello_len;
};

static int
script_read(void *ctx, unsigned char *buf, size_t len)
{
	struct script *s = ctx;
	size_t n = s->reply_len - s->at;

	if (n == 0)
		return s->after;
	if (n > len)
		n = len;
	memcpy(buf, s->reply + s->at, n);
	s->at += n;
	return (int)n;
}

static int
script_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct script *s = ctx;
	size_t n = len;

	if (n > sizeof(s->hello) - s->hello_len)
		n = sizeof(s->hello) - s->hello_len;
	memcpy(s->hello + s->hello_len, buf, n);
	s->hello_len += n;
	return (int)len;
}

static int
script_open(void *ctx, const char *host, uint16_t port)
{
	(void)ctx; (void)host; (void)port;
	return 0;
}

/* Connects to the scripted server; returns the error code. */
static int
scripted(struct script *s, struct tether_client *c, unsigned profile,
    char *detail)
{
	static unsigned char buf[TETHER_BUFSIZE_MIN];
	static struct tether_config cfg;
	struct tether_transport io = { .open = script_open,
	    .read = script_read, .write = script_write, .ctx = s };

	tether_config_init(&cfg);
	tether_config_set_host(&cfg, "127.0.0.1", 8443);
	tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256, pin_a);
	tether_config_set_profile(&cfg, profile);
	tether_config_set_credential(&cfg, "tth1_x", 6);
	assert_int_equal(tether_client_init(c, &cfg, &io, buf, sizeof(buf)),
	    0);
	assert_int_equal(tether_connect(c), -1);
	tether_error_detail(c, detail, TETHER_DETAIL_LEN);
	return tether_last_error(c);
}

static void
test_server_alerts(void **state)
{
	static const unsigned char hs_failure[] = {
		0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40 };
	static const unsigned char version[] = {
		0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 70 };
	static const unsigned char unrecognized[] = {
		0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112 };
	struct script s;
	struct tether_client c;
	char d[TETHER_DETAIL_LEN];

	(void)state;
	memset(&s, 0, sizeof(s));
	s.reply = hs_failure;
	s.reply_len = sizeof(hs_failure);
	assert_int_equal(scripted(&s, &c, TETHER_PROFILE_LEGACY_AXTLS, d),
	    TETHER_E_NO_COMMON_SUITE);
	assert_non_null(strstr(d, "the server sent alert handshake_failure "
	    "(40): no cipher suite in common"));
	assert_non_null(strstr(d, "legacy-axtls"));

	memset(&s, 0, sizeof(s));
	s.reply = version;
	s.reply_len = sizeof(version);
	assert_int_equal(scripted(&s, &c, 0, d), TETHER_E_PROTOCOL_VERSION);
	assert_non_null(strstr(d, "protocol_version (70)"));

	memset(&s, 0, sizeof(s));
	s.reply = unrecognized;
	s.reply_len = sizeof(unrecognized);
	assert_int_equal(scripted(&s, &c, 0, d), TETHER_E_ALERT);
	assert_non_null(strstr(d, "unrecognized_name (112)"));
}

/*
 * The ClientHello asks for 512-byte records (max_fragment_length = 1).
 * BearSSL reads unencrypted handshake records of any size in pieces, so a
 * server that ignores the request fails only at its first encrypted
 * record larger than the buffer: BR_ERR_TOO_LARGE, reported as the buffer
 * error with the size the server needs, never as a certificate failure.
 */
static void
test_record_too_large(void **state)
{
	static const unsigned char mfln[] = { 0x00, 0x01, 0x00, 0x01, 0x01 };
	struct script s;
	struct tether_client c;
	char d[TETHER_DETAIL_LEN];
	size_t i;
	int found = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	(void)scripted(&s, &c, 0, d);
	for (i = 0; i + sizeof(mfln) <= s.hello_len; i++)
		found |= memcmp(s.hello + i, mfln, sizeof(mfln)) == 0;
	assert_true(found);

	/* an engine that met such a record, on a kept-alive connection */
	br_ssl_engine_fail(&c.ssl.eng, BR_ERR_TOO_LARGE);
	c.connected = 1;
	assert_int_equal(tether_send(&c, "x", 1, NULL), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_RECORD_TOO_LARGE);
	tether_error_detail(&c, d, sizeof(d));
	assert_non_null(strstr(d, "the buffer is 837 bytes, for records of "
	    "up to 512 bytes"));
	assert_non_null(strstr(d, "16709"));
	assert_string_not_equal(tether_strerror(TETHER_E_RECORD_TOO_LARGE),
	    tether_strerror(TETHER_E_CERT_MALFORMED));
}

static void
test_hangups(void **state)
{
	struct script s;
	struct tether_client c;
	char d[TETHER_DETAIL_LEN];

	(void)state;
	memset(&s, 0, sizeof(s));
	s.after = 0;
	assert_int_equal(scripted(&s, &c, 0, d), TETHER_E_CLOSED);
	memset(&s, 0, sizeof(s));
	s.after = -TETHER_E_IO_TIMEOUT;
	assert_int_equal(scripted(&s, &c, 0, d), TETHER_E_IO_TIMEOUT);
	assert_non_null(strstr(d, "127.0.0.1 port 8443"));
	memset(&s, 0, sizeof(s));
	s.after = -1;
	assert_int_equal(scripted(&s, &c, 0, d), TETHER_E_TRANSPORT);
}

/* The pin check on what is not a certificate. */
static void
test_pin_check_refuses_garbage(void **state)
{
	static const unsigned char junk[] = { 0x30, 0x80, 0x01, 0x02 };
	static const unsigned char trunc[] = { 0x30, 0x82, 0x01, 0x00, 0x30 };
	struct tether_config cfg;
	struct tether_pin_check pc;
	struct tether_cert_info info;
	const br_x509_class **x = &pc.vtable;

	(void)state;
	tether_config_init(&cfg);
	tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256, pin_a);
	tether_pin_check_init(&pc, &cfg, &info);
	(*x)->start_chain(x, "a");
	assert_int_equal((*x)->end_chain(x), BR_ERR_X509_EMPTY_CHAIN);

	(*x)->start_chain(x, "a");
	(*x)->start_cert(x, sizeof(junk));
	(*x)->append(x, junk, sizeof(junk));
	(*x)->end_cert(x);
	assert_int_equal((*x)->end_chain(x), BR_ERR_X509_INVALID_VALUE);

	(*x)->start_chain(x, "a");
	(*x)->start_cert(x, sizeof(trunc));
	(*x)->append(x, trunc, sizeof(trunc));
	(*x)->end_cert(x);
	assert_int_equal((*x)->end_chain(x), BR_ERR_X509_INVALID_VALUE);
	assert_int_equal(info.valid, 0);
}

static int opened;

static int
count_open(void *ctx, const char *host, uint16_t port)
{
	(void)ctx; (void)host; (void)port;
	opened++;
	return -1;
}

/* Trust anchors: the calls' checks, and a clock not set refused before
 * the transport is touched. */
static void
test_anchor_checks(void **state)
{
	static unsigned char buf[TETHER_BUFSIZE_MIN];
	static struct tether_anchor_ctx ac;
	static const br_x509_trust_anchor ta;
	struct tether_config cfg;
	struct tether_client c;
	struct tether_transport io = { .open = count_open, .read = null_io,
	    .write = null_write };
	char d[TETHER_DETAIL_LEN];

	(void)state;
	tether_config_init(&cfg);
	tether_config_set_host(&cfg, "localhost", 1);
	assert_int_equal(tether_client_init(&c, &cfg, &io, buf, sizeof(buf)),
	    0);
	assert_int_equal(tether_client_set_time(&c, 739310, 0), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_NO_ANCHORS);
	assert_int_equal(tether_client_set_trust_anchors(&c, NULL, &ta, 1),
	    -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_BAD_ARG);
	assert_int_equal(tether_client_set_trust_anchors(&c, &ac, &ta, 0),
	    -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_BAD_ARG);
	assert_int_equal(tether_client_set_trust_anchors(&c, &ac, NULL, 1),
	    -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_BAD_ARG);

	/* anchors and no pin: allowed, but not without a clock */
	assert_int_equal(tether_client_set_trust_anchors(&c, &ac, &ta, 1), 0);
	opened = 0;
	assert_int_equal(tether_connect(&c), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_CLOCK_NOT_SET);
	assert_int_equal(opened, 0);
	assert_string_equal(tether_error_detail(&c, d, sizeof(d)),
	    "device time not set; 1 trust anchor; name checked localhost");

	/* day 0 is BearSSL's "no time"; a day has 86400 seconds */
	assert_int_equal(tether_client_set_time(&c, 0, 5), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_BAD_ARG);
	assert_int_equal(tether_client_set_time(&c, 739310,
	    TETHER_SECONDS_PER_DAY), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_BAD_ARG);
	assert_int_equal(tether_connect(&c), -1);
	assert_int_equal(tether_last_error(&c), TETHER_E_CLOCK_NOT_SET);

	/* 2024-02-29 23:59:59 UTC: past the clock check, to the transport */
	assert_int_equal(tether_client_set_time(&c, 19782 +
	    TETHER_DAYS_TO_UNIX_EPOCH, TETHER_SECONDS_PER_DAY - 1), 0);
	assert_int_equal(tether_connect(&c), -1);
	/* open said -1: a connect that failed, not a read or write */
	assert_int_equal(tether_last_error(&c), TETHER_E_CONNECT);
	assert_int_equal(opened, 1);
}

/* The small profiles' ECDSA verifier (lib/ecdsa.c): BearSSL's own
 * signatures verify, a changed hash or signature, a signature too long
 * for P-256 and a key of another curve do not. */
static void
test_ecdsa_p256(void **state)
{
	const br_ec_impl *ec = &br_ec_p256_m31;
	br_hmac_drbg_context rng;
	br_ec_private_key sk;
	br_ec_public_key pk;
	unsigned char skbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	unsigned char pkbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	unsigned char hash[32], sig[80], longsig[80];
	size_t n;
	int i;

	(void)state;
	br_hmac_drbg_init(&rng, &br_sha256_vtable, "tether ecdsa", 12);
	assert_true(br_ec_keygen(&rng.vtable, ec, &sk, skbuf,
	    BR_EC_secp256r1) > 0);
	assert_true(br_ec_compute_pub(ec, &pk, pkbuf, &sk) > 0);
	for (i = 0; i < 8; i++) {
		br_hmac_drbg_generate(&rng, hash, sizeof(hash));
		n = br_ecdsa_i31_sign_asn1(ec, &br_sha256_vtable, hash, &sk,
		    sig);
		assert_true(n > 0 && n <= 72);
		assert_int_equal(tether_ecdsa_p256_vrfy_asn1(ec, hash, 32, &pk,
		    sig, n), 1);
		hash[i] ^= 0x01;
		assert_int_equal(tether_ecdsa_p256_vrfy_asn1(ec, hash, 32, &pk,
		    sig, n), 0);
		hash[i] ^= 0x01;
		sig[n - 1 - i] ^= 0x40;
		assert_int_equal(tether_ecdsa_p256_vrfy_asn1(ec, hash, 32, &pk,
		    sig, n), 0);
		sig[n - 1 - i] ^= 0x40;
		assert_int_equal(tether_ecdsa_p256_vrfy_asn1(ec, hash, 32, &pk,
		    sig, n - 1), 0);
	}
	/* 73 bytes: longer than any P-256 DER signature, even one BearSSL's
	 * lenient DER reading would take (a leading zero too many) */
	memset(longsig, 0, sizeof(longsig));
	longsig[0] = 0x30;
	longsig[1] = 71;
	longsig[2] = 0x02;
	longsig[3] = 34;
	longsig[37] = 0x02;
	longsig[38] = 34;
	assert_int_equal(tether_ecdsa_p256_vrfy_asn1(ec, hash, 32, &pk,
	    longsig, 73), 0);
	assert_int_equal(tether_ecdsa_p256_vrfy_asn1(ec, hash, 32, &pk,
	    sig, 0), 0);
	pk.curve = BR_EC_secp384r1;
	assert_int_equal(tether_ecdsa_p256_vrfy_asn1(&br_ec_all_m31, hash, 32,
	    &pk, sig, n), 0);
}

/* One signature in 65,536 has r and s both under 2^248: its raw form is
 * 62 bytes, not 64, and it is as valid as any (a fixed vector, signed by
 * OpenSSL: r and s 31 bytes each). BearSSL's own verifier takes it;
 * lib/ecdsa.c refused it once, failing such a handshake. */
static void
test_ecdsa_p256_short(void **state)
{
	static const unsigned char q[65] = {
		0x04, 0xd4, 0xf6, 0xd9, 0xe1, 0x95, 0xeb, 0xc5, 0x64, 0x4d,
		0x26, 0x13, 0xc0, 0x76, 0xeb, 0xa4, 0xaf, 0x50, 0x11, 0xea,
		0x6d, 0x1d, 0x41, 0x86, 0x06, 0xfd, 0xca, 0x7b, 0x06, 0xf1,
		0xbb, 0xc5, 0x56, 0xaa, 0xc2, 0x11, 0x25, 0x29, 0x8e, 0xde,
		0x4d, 0x12, 0xa8, 0x46, 0xf6, 0xf9, 0xd1, 0x92, 0x11, 0xe0,
		0x2c, 0x93, 0xa5, 0xd3, 0xb9, 0xcb, 0xa6, 0xb6, 0x49, 0x58,
		0x86, 0x0c, 0xa9, 0x04, 0x4a,
	};
	static const unsigned char hash[32] = {
		0x90, 0x88, 0x7b, 0xd6, 0x3e, 0x84, 0xae, 0x24, 0x80, 0x6b,
		0xa5, 0x34, 0xfa, 0xe1, 0x3b, 0x86, 0x36, 0x35, 0x9b, 0x5d,
		0xc0, 0x4c, 0x39, 0xbc, 0x93, 0x28, 0xa9, 0x8d, 0xc9, 0xa4,
		0x25, 0xf4,
	};
	static const unsigned char sig[68] = {
		0x30, 0x42, 0x02, 0x1f, 0x31, 0x49, 0x71, 0x90, 0xb3, 0x38,
		0x39, 0x8e, 0xd2, 0xff, 0x0c, 0x78, 0xfb, 0xe4, 0x40, 0xdd,
		0x39, 0xfd, 0xff, 0x3d, 0x6e, 0x45, 0x49, 0x8c, 0x46, 0x25,
		0x7e, 0xcf, 0x2c, 0x06, 0xe7, 0x02, 0x1f, 0x28, 0x48, 0x1f,
		0x5f, 0x94, 0x7a, 0x29, 0x7c, 0xba, 0xa1, 0x37, 0x85, 0x9b,
		0x45, 0x94, 0xdd, 0x0b, 0x45, 0x78, 0x17, 0x66, 0xa8, 0x58,
		0x22, 0x79, 0x7e, 0xa1, 0x4f, 0xa9, 0x81, 0x8c,
	};
	br_ec_public_key pk = { BR_EC_secp256r1, (unsigned char *)q,
	    sizeof(q) };
	unsigned char bad[sizeof(hash)];

	(void)state;
	assert_int_equal(br_ecdsa_i31_vrfy_asn1(&br_ec_p256_m31, hash, 32, &pk,
	    sig, sizeof(sig)), 1);
	assert_int_equal(tether_ecdsa_p256_vrfy_asn1(&br_ec_p256_m31, hash, 32,
	    &pk, sig, sizeof(sig)), 1);
	assert_int_equal(tether_ecdsa_vrfy_asn1(&br_ec_all_m31, hash, 32,
	    &pk, sig, sizeof(sig)), 1);
	memcpy(bad, hash, sizeof(bad));
	bad[31] ^= 0x01;
	assert_int_equal(tether_ecdsa_p256_vrfy_asn1(&br_ec_p256_m31, bad, 32,
	    &pk, sig, sizeof(sig)), 0);
}

static void
test_budget(void **state)
{
	(void)state;
	assert_true(sizeof(struct tether_client) + sizeof(struct tether_config)
	    + TETHER_BUFSIZE_MIN <= 6144);
	printf("# RAM: client %zu + config %zu + buffer %d = %zu bytes\n",
	    sizeof(struct tether_client), sizeof(struct tether_config),
	    TETHER_BUFSIZE_MIN, sizeof(struct tether_client) +
	    sizeof(struct tether_config) + TETHER_BUFSIZE_MIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_has_its_own_sentence),
		cmocka_unit_test(test_pin_text),
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test(test_response_parser),
		cmocka_unit_test(test_response_head_limit),
		cmocka_unit_test(test_command_parser),
		cmocka_unit_test(test_session_blob),
		cmocka_unit_test(test_command_calls),
		cmocka_unit_test(test_command_flow),
		cmocka_unit_test(test_server_alerts),
		cmocka_unit_test(test_record_too_large),
		cmocka_unit_test(test_hangups),
		cmocka_unit_test(test_pin_check_refuses_garbage),
		cmocka_unit_test(test_anchor_checks),
		cmocka_unit_test(test_ecdsa_p256),
		cmocka_unit_test(test_ecdsa_p256_short),
		cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
