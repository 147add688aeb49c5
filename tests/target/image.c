/* SPDX-License-Identifier: MIT */
/*
 * image.c - the device program of `make target-test`, the same on every
 * target: libtether over a UART, against the real gateway. It reports each
 * step and what it cost (instructions, painted stack, bytes) as lines.
 */
#include <string.h>

#include "tether.h"
#include "board.h"
#include "frame.h"
#include "target_conf.h"	/* written by run.sh: credentials, pin, port */

/* ---- the UART transport: the frames of frame.h ---- */

struct uart_link {
	size_t		left;		/* bytes of the current data frame */
	uint32_t	wait;		/* instructions spent waiting for input */
	uint8_t		eof;
};

static void
frame_send(unsigned char type, const void *p, size_t n)
{
	unsigned char h[3] = { type, (unsigned char)(n >> 8), (unsigned char)n };

	board_uart_write(h, sizeof h);
	if (n > 0)
		board_uart_write(p, n);
}

/* A byte of input; the time spent waiting for it is not the library's. */
static unsigned char
link_getc(struct uart_link *l)
{
	uint32_t t0 = board_insns();
	unsigned char c = board_uart_getc();

	l->wait += board_insns() - t0;
	return c;
}

static void
link_header(struct uart_link *l, unsigned char *type, size_t *n)
{
	*type = link_getc(l);
	*n = (size_t)link_getc(l) << 8;
	*n |= link_getc(l);
}

/* Reads frames until one of type a or b, and returns its type: data and
 * end frames of a connection closed meanwhile may still be on the way. */
static unsigned char
link_await(struct uart_link *l, unsigned char a, unsigned char b)
{
	unsigned char type;
	size_t n;

	for (;;) {
		link_header(l, &type, &n);
		while (n-- > 0)
			(void)link_getc(l);
		if (type == a || type == b)
			return type;
	}
}

static int
link_open(void *ctx, const char *host, uint16_t port)
{
	struct uart_link *l = ctx;
	char a[64];
	size_t n = strlen(host), i;
	unsigned char type;

	if (n > sizeof a - 7)
		return -1;
	memcpy(a, host, n);
	a[n++] = ':';
	for (i = 10000; i > 0; i /= 10)
		if (port >= i || i == 1)
			a[n++] = (char)('0' + port / i % 10);
	frame_send(FRAME_OPEN, a, n);
	type = link_await(l, FRAME_OPENED, FRAME_REFUSED);
	l->left = 0;
	l->eof = 0;
	if (type != FRAME_OPENED)
		return -TETHER_E_REFUSED;
	return 0;
}

static int
link_read(void *ctx, unsigned char *buf, size_t len)
{
	struct uart_link *l = ctx;
	unsigned char type;
	size_t i;

	while (l->left == 0) {
		if (l->eof)
			return 0;
		link_header(l, &type, &l->left);
		if (type == FRAME_EOF)
			l->eof = 1;
	}
	if (len > l->left)
		len = l->left;
	for (i = 0; i < len; i++)
		buf[i] = link_getc(l);
	l->left -= len;
	return (int)len;
}

static int
link_write(void *ctx, const unsigned char *buf, size_t len)
{
	(void)ctx;
	if (len > FRAME_MAX)
		len = FRAME_MAX;
	frame_send(FRAME_WRITE, buf, len);
	return (int)len;
}

static void
link_close(void *ctx)
{
	struct uart_link *l = ctx;

	frame_send(FRAME_CLOSE, NULL, 0);
	/* the rest of a data frame the library stopped reading: it is on
	 * the way, and the next header comes after it */
	while (l->left > 0) {
		(void)link_getc(l);
		l->left--;
	}
	l->eof = 1;
}

/* ---- report lines ---- */

static char line[160];
static size_t line_len;

static void
put(const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof line - line_len)
		n = sizeof line - line_len;
	memcpy(line + line_len, s, n);
	line_len += n;
}

static void
put_u(uint32_t v)
{
	char d[11];
	int i = sizeof d;

	d[--i] = '\0';
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && i > 0);
	put(d + i);
}

static void
end_line(void)
{
	frame_send(FRAME_LOG, line, line_len);
	line_len = 0;
}

static int failures;

static void
check(int ok, const char *what, const struct tether_client *c)
{
	put(ok ? "ok - " : "FAIL: ");
	put(what);
	if (!ok && c != NULL) {
		put(" (error ");
		put_u((uint32_t)tether_last_error(c));
		put(", HTTP ");
		put_u(c->status);
		put(")");
	}
	end_line();
	failures += !ok;
}

/* ---- measuring a call: painted stack and instructions ---- */

#define PAINT 0x5a5aa5a5u

static struct uart_link link;
static uint32_t insn_start, wait_start;

/* Paints the free stack below this function's own frame. */
static void __attribute__((noinline))
measure_begin(void)
{
	uint32_t *p = (uint32_t *)(void *)__stack_bottom;
	uint32_t *end = (uint32_t *)__builtin_frame_address(0) - 16;

	while (p < end)
		*p++ = PAINT;
	wait_start = link.wait;
	insn_start = board_insns();
}

/* M NAME insns=... stack=...: instructions without the waits for input,
 * and the deepest the stack went below the measuring caller. */
static void __attribute__((noinline))
measure_end(const char *name, unsigned char *caller_sp)
{
	uint32_t insns = board_insns() - insn_start - (link.wait - wait_start);
	const uint32_t *p = (const uint32_t *)(void *)__stack_bottom;

	while (*p == PAINT)
		p++;
	put("M ");
	put(name);
	put(" insns=");
	put_u(insns);
	put(" stack=");
	put_u((uint32_t)(caller_sp - (const unsigned char *)p));
	end_line();
}

#define MEASURE(name, call) do {					\
	unsigned char *sp_ = __builtin_frame_address(0);		\
	measure_begin();						\
	call;								\
	measure_end(name, sp_);						\
} while (0)

/* ---- the story ---- */

static struct tether_config cfg;
static struct tether_client client;
static unsigned char buf[TETHER_BUFSIZE_MIN];
static uint8_t rtc_blob[TETHER_SESSION_SIZE];	/* survives "deep sleep" */

static void
setup_as(const char *cred, const uint8_t *pin, enum tether_profile profile)
{
	struct tether_transport t = {
		link_open, link_read, link_write, link_close, &link
	};

	memset(&cfg, 0, sizeof cfg);
	memset(&client, 0, sizeof client);
	tether_config_init(&cfg);
	tether_config_set_host(&cfg, CONF_HOST, CONF_PORT);
	tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256, pin);
	tether_config_set_credential(&cfg, cred, strlen(cred));
	tether_config_set_entropy(&cfg, conf_entropy, sizeof conf_entropy);
	if (tether_config_set_profile(&cfg, profile) != 0)
		check(0, "tether_config_set_profile", NULL);
	if (tether_client_init(&client, &cfg, &t, buf, sizeof buf) != 0)
		check(0, "tether_client_init", &client);
}

#define setup(cred, pin)	setup_as(cred, pin, TETHER_PROFILE_DEFAULT)

#if TARGET_STRERROR
/* The firmware prints the sentence of an error (run.sh builds the lx106
 * images so, as the ESP8266 sketches do): with TETHER_FLASH_STRINGS the
 * table is in flash and read in aligned words; the copy must be whole. */
static void __attribute__((noinline))
check_sentence(int code, const char *start)
{
	char s[TETHER_STRERROR_LEN];

	tether_strerror_copy(code, s, sizeof s);
	check(strncmp(s, start, strlen(start)) == 0 && strlen(s) > 60 &&
	    strlen(s) < sizeof s - 1 && s[strlen(s) - 1] != ' ',
	    "tether_strerror_copy: the error's sentence, whole", NULL);
}
#endif

static uint32_t
wire_bytes(void)
{
	struct tether_stats s;

	tether_stats(&client, &s);
	return s.bytes_in + s.bytes_out;
}

static void
report_bytes(const char *name, uint32_t n)
{
	put("M ");
	put(name);
	put(" bytes=");
	put_u(n);
	end_line();
}

int
main(void)
{
	static const uint8_t wrong_pin[32] = { 0 };
	struct tether_stats st;
	uint32_t full_bytes, resumed_bytes, b0;
	int status = 0, r = 0;

	board_init();

	/* A full pinned handshake, then two messages on that connection. */
	setup(CONF_CRED, conf_pin);
	tether_set_seq(&client, 1);
	MEASURE("full_handshake", r = tether_connect(&client));
	check(r == 0 && !tether_resumed(&client), "full pinned handshake", &client);
	full_bytes = wire_bytes();
	MEASURE("message", r = tether_send(&client, "{\"n\":1}", 7, &status));
	check(r == 0 && status == 201, "first message: 201", &client);
	b0 = wire_bytes();
	MEASURE("message_kept_alive",
	    r = tether_send(&client, "{\"n\":2}", 7, &status));
	tether_stats(&client, &st);
	check(r == 0 && status == 201 && st.handshakes_full == 1,
	    "second message on the kept-alive connection: 201", &client);
	report_bytes("message", wire_bytes() - b0);
	report_bytes("full_handshake", full_bytes);
	check(tether_session_save(&client, rtc_blob) == 0, "session saved", &client);
	tether_close(&client);

	/* Deep sleep: RAM is gone but for the blob; resume from it. */
	setup(CONF_CRED, conf_pin);
	check(tether_session_restore(&client, rtc_blob) == 0,
	    "session restored after the reboot", &client);
	MEASURE("resumed_handshake", r = tether_connect(&client));
	check(r == 0 && tether_resumed(&client), "resumed handshake", &client);
	resumed_bytes = wire_bytes();
	report_bytes("resumed_handshake", resumed_bytes);
	r = tether_send(&client, "{\"n\":3}", 7, &status);
	check(r == 0 && status == 201, "message after resuming: 201", &client);
	check(tether_seq(&client) == 4, "seq carried by the blob", &client);
	check(resumed_bytes < full_bytes, "resuming costs fewer bytes", &client);
	tether_close(&client);

	/* A revoked credential, then a pin the server's key does not match.
	 * The first is a full handshake inside tether_send(), as firmware
	 * makes it (tether_send's frame on top of tether_connect's): its
	 * stack counts in the peak too. */
	setup(CONF_CRED_REVOKED, conf_pin);
	MEASURE("send_full_handshake",
	    r = tether_send(&client, "{\"n\":9}", 7, &status));
	check(r != 0 && tether_last_error(&client) == TETHER_E_UNAUTHORIZED &&
	    status == 401, "revoked credential: TETHER_E_UNAUTHORIZED", NULL);
#if TARGET_STRERROR
	check_sentence(tether_last_error(&client), "the server answered 401: ");
#endif
	tether_close(&client);
	setup(CONF_CRED, wrong_pin);
	r = tether_send(&client, "{\"n\":9}", 7, &status);
	check(r != 0 && tether_last_error(&client) == TETHER_E_PIN_MISMATCH,
	    "wrong pin: TETHER_E_PIN_MISMATCH", NULL);
	tether_close(&client);

#if defined(TETHER_ALGS_RSA_KX)
	/* RSA key exchange (the axTLS suites, the gateway's legacy-esp8266
	 * profile), pinned to the gateway's RSA key. */
	setup_as(CONF_CRED, conf_pin_rsa, TETHER_PROFILE_LEGACY_AXTLS);
	tether_set_seq(&client, 5);
	MEASURE("rsa_handshake", r = tether_connect(&client));
	check(r == 0, "full handshake with RSA key exchange", &client);
	report_bytes("rsa_handshake", wire_bytes());
	r = tether_send(&client, "{\"n\":5}", 7, &status);
	check(r == 0 && status == 201, "message over RSA key exchange: 201",
	    &client);
	tether_close(&client);
#elif defined(TETHER_ALGS_ECDSA_P256)
	/* No RSA in this build: the axTLS profile is refused by name. */
	check(tether_config_set_profile(&cfg, TETHER_PROFILE_LEGACY_AXTLS) != 0 &&
	    cfg.err == TETHER_E_BAD_PROFILE,
	    "no RSA linked: TETHER_PROFILE_LEGACY_AXTLS refused", NULL);
#endif

	put("M ram");
	put(" client=");
	put_u(sizeof client);
	put(" config=");
	put_u(sizeof cfg);
	put(" buffer=");
	put_u(sizeof buf);
	end_line();
	/* Everything sent must be read before QEMU exits, or its socket
	 * closes with a reset and the last lines are lost. */
	frame_send(FRAME_END, NULL, 0);
	(void)link_await(&link, FRAME_ENDED, FRAME_ENDED);
	board_exit(failures == 0 ? 0 : 1);
}
