/*
 * send.c - `tether send`: a device on the command line. It is built on
 * libtether alone (BearSSL and the library's POSIX transport, no OpenSSL),
 * so it pins, buffers, resumes and fails exactly as a device does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tether.h"

#define SEND_RECORD_MIN		512	/* TETHER_BUFSIZE_MIN's records */
#define SEND_RECORD_MAX		16384	/* TLS's own limit */
#define SEND_RECORD_DEFAULT	SEND_RECORD_MAX	/* any server fits */
#define SEND_DEFAULT_PORT	443
#define SEND_DEFAULT_TIMEOUT	10	/* seconds, connect and each I/O */
#define SEND_MAX_TIMEOUT	600	/* seconds */
#define SEND_MAX_COUNT		1000000
#define SEND_MAX_INTERVAL	86400	/* seconds: a day */
#define SEND_BODY_MAX		(1 << 20)	/* bytes read from stdin */
#define SEND_HOST_MAX		256	/* a DNS name is at most 253 */
#define SEND_CRED_FILE_MAX	256	/* bytes read from --credential-file */
#define SEND_DETAIL_MAX		TETHER_DETAIL_LEN
#define SEND_PATH		"/v1/messages"	/* the library POSTs here */
#define SEND_SESSION_MODE	0600	/* the blob holds a master secret */

/* The cipher suites BearSSL offers, by IANA name, for --stats. */
static const struct {
	uint16_t	 id;
	const char	*name;
} suite_names[] = {
	{ BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM,
	    "TLS_ECDHE_ECDSA_WITH_AES_256_CCM" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8,
	    "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
	    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
	    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256,
	    "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256,
	    "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384,
	    "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384,
	    "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256,
	    "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256,
	    "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384,
	    "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384,
	    "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA,
	    "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA,
	    "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA,
	    "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA,
	    "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
	    "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
	    "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_RSA_WITH_AES_128_CCM, "TLS_RSA_WITH_AES_128_CCM" },
	{ BR_TLS_RSA_WITH_AES_256_CCM, "TLS_RSA_WITH_AES_256_CCM" },
	{ BR_TLS_RSA_WITH_AES_128_CCM_8, "TLS_RSA_WITH_AES_128_CCM_8" },
	{ BR_TLS_RSA_WITH_AES_256_CCM_8, "TLS_RSA_WITH_AES_256_CCM_8" },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
	    "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
	    "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_RSA_WITH_AES_256_CBC_SHA, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA,
	    "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA" },
	{ BR_TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ BR_TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA,
	    "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA" },
	{ BR_TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA,
	    "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
};

/* Everything one run holds. Static: the client is what a device keeps in
 * RAM, and the record buffer is up to 16 KiB. */
static struct send_state {
	struct tether_config	 cfg;
	struct tether_client	 client;
	struct tether_posix	 sock;
	unsigned char		 buf[TETHER_BUFSIZE_MAX];
	uint8_t			 pins[TETHER_MAX_PINS][32];
	char			 host[SEND_HOST_MAX];
	char			 cred[TETHER_CREDENTIAL_MAX];
	uint8_t			 blob[TETHER_SESSION_SIZE];
} st;

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether send URL --pin PIN [--pin PIN]...\n"
"                   (--credential CRED | --credential-file FILE)\n"
"                   [--buffer N] [--profile default|legacy-axtls]\n"
"                   [--count N] [--interval S] [--seq N]\n"
"                   [--save-session FILE] [--sni NAME | --no-sni]\n"
"                   [--timeout S] [-v...] [--stats] BODY\n"
"\n"
"A device on the command line: POSTs BODY to the gateway's /v1/messages\n"
"with libtether, the device library, exactly as a device would: pinned\n"
"TLS 1.2 on BearSSL, the device's record buffer and cipher profile, one\n"
"kept-alive connection for every message, session resumption. No system\n"
"CA is consulted: the pins are the trust.\n"
"\n"
"URL is https://HOST[:PORT][/v1/messages] (PORT defaults to %d; an IPv6\n"
"address goes in brackets). BODY is the message; - reads it from stdin.\n"
"\n"
"options:\n"
"  --pin PIN              a pin of the server, as `tether serve` and\n"
"                         `tether fingerprint` print them: base64 or\n"
"                         sha256//base64 (SPKI SHA-256), colon hex of 32\n"
"                         bytes (certificate SHA-256), hex of 20 bytes\n"
"                         (certificate SHA-1); or name the kind: spki:,\n"
"                         cert-sha256:, sha1:. Up to %d; any may match\n"
"  --credential CRED      the device credential (visible to other users in\n"
"                         the process list: prefer --credential-file)\n"
"  --credential-file FILE read the credential from the first line of FILE\n"
"  --buffer N             the device's TLS record size, %d to %d bytes\n"
"                         (default %d); under 16384 the device asks the\n"
"                         server for smaller records (max_fragment_length)\n"
"  --profile P            default (BearSSL's suites) or legacy-axtls (the\n"
"                         four TLS_RSA_WITH_AES_*_CBC_* suites of old\n"
"                         firmware)\n"
"  --count N              send BODY N times over one connection (default 1)\n"
"  --interval S           seconds between messages (decimals allowed)\n"
"  --seq N                X-Tether-Seq of the first message; it goes up by\n"
"                         one after each stored message\n"
"  --save-session FILE    resume the TLS session kept in FILE, if any, and\n"
"                         keep the session (and the sequence number) in\n"
"                         FILE afterwards: a device waking from deep sleep\n"
"  --sni NAME, --no-sni   the name sent as SNI (default HOST, even an IP\n"
"                         address, as the ESP8266 core does), or none\n"
"  --timeout S            seconds for the TCP connect and for each read or\n"
"                         write (default %d)\n"
"  -v, -vv, -vvv          the library's debug levels on stderr (also\n"
"                         --verbose, repeated): core (each connection and\n"
"                         message), ssl (suite, certificate), ssl + memory\n"
"  --stats                per message: handshake kind, suite, TLS bytes on\n"
"                         the wire and time; at the end the RAM the\n"
"                         library held (client, config, buffers)\n"
"  -h, --help             this text\n"
"\n"
"exit status: 0 when every message was stored (201, or 200 for a repeated\n"
"sequence number), 1 when one was not (the library's sentence and detail\n"
"follow \"error: \"), 2 for a usage error.\n"
"\n"
"examples:\n"
"  tether send https://gw.example:8443 --pin 2O8shB8OCH+uoT/fdTnucMZDbYIjDC1JFxevvtklQYI= \\\n"
"      --credential-file kitchen-1.cred '{\"t\":21.5}'\n"
"  tether send https://10.0.0.5:8443 --pin sha1:C4:29:D8:2A:1F:5D:01:7F:22:DD:4C:7B:69:DB:17:F6:4B:94:EC:0E \\\n"
"      --credential-file kitchen-1.cred --buffer 512 --profile legacy-axtls \\\n"
"      --count 10 --interval 5 --stats '{\"t\":21.5}'\n"
"\n"
"docs/cmd-send.md has more; docs/device-library.md describes the library.\n",
	    SEND_DEFAULT_PORT, TETHER_MAX_PINS, SEND_RECORD_MIN,
	    SEND_RECORD_MAX, SEND_RECORD_DEFAULT, SEND_DEFAULT_TIMEOUT);
}

static int
usage_error_pin(const char *arg, const char *why)
{
	return cli_usage_error("send", "--pin '%s': %s", arg, why);
}

/* Case-insensitive prefix match; advances *s past it. */
static int
take_prefix(const char **s, const char *pre)
{
	size_t n = strlen(pre);

	if (strncasecmp(*s, pre, n) != 0)
		return 0;
	*s += n;
	return 1;
}

/*
 * A pin as text, its kind named by a prefix or told by its shape. The
 * shapes are those the tools print: base64 is only ever an SPKI pin, colon
 * hex of 32 bytes is openssl's certificate fingerprint, 20 bytes are
 * SHA-1. Plain hex of 32 bytes is printed for both SHA-256 kinds, so it
 * needs its prefix. The bytes are parsed by the library's own parser.
 */
static int
parse_pin(const char *arg, enum tether_pin_kind *kind, uint8_t out[32])
{
	const char *s = arg;
	size_t hex = 0, colons = 0, other = 0, i, len;
	int named = 1;

	if (take_prefix(&s, "spki:") || take_prefix(&s, "sha256//"))
		*kind = TETHER_PIN_SPKI_SHA256;
	else if (take_prefix(&s, "cert-sha256:") || take_prefix(&s, "sha256:"))
		*kind = TETHER_PIN_CERT_SHA256;
	else if (take_prefix(&s, "cert-sha1:") || take_prefix(&s, "sha1:"))
		*kind = TETHER_PIN_CERT_SHA1;
	else
		named = 0;
	len = strlen(s);
	if (len == 0)
		return usage_error_pin(arg, "no hash after the prefix");
	for (i = 0; i < len; i++) {
		if (strchr("0123456789abcdefABCDEF", s[i]) != NULL)
			hex++;
		else if (s[i] == ':')
			colons++;
		else
			other++;
	}
	if (!named) {
		if (other > 0 || len == 44)
			*kind = TETHER_PIN_SPKI_SHA256;	/* base64 */
		else if (hex == 40)
			*kind = TETHER_PIN_CERT_SHA1;
		else if (hex == 64 && colons > 0)
			*kind = TETHER_PIN_CERT_SHA256;
		else if (hex == 64)
			return usage_error_pin(arg, "64 hex digits may be an "
			    "SPKI SHA-256 or a certificate SHA-256 pin; write "
			    "spki:HEX or cert-sha256:HEX");
		else
			return usage_error_pin(arg, "not a pin: want base64 of "
			    "32 bytes (SPKI SHA-256), or hex of 32 bytes "
			    "(certificate SHA-256) or 20 bytes (SHA-1)");
	}
	if (tether_pin_parse(*kind, s, len, out) != 0)
		return usage_error_pin(arg, *kind == TETHER_PIN_CERT_SHA1 ?
		    "not a SHA-1 hash (20 bytes as hex, colons allowed)" :
		    *kind == TETHER_PIN_SPKI_SHA256 ? "not an SPKI SHA-256 "
		    "hash (32 bytes as base64, or as hex with spki:)" :
		    "not a SHA-256 hash (32 bytes as hex, colons allowed)");
	return 0;
}

/*
 * https://HOST[:PORT][/v1/messages] into st.host and *port. The library
 * POSTs to /v1/messages only, so another path is refused rather than
 * silently ignored.
 */
static int
parse_url(const char *url, uint16_t *port)
{
	const char *s = url, *h, *he, *p;
	size_t hlen;
	long v;
	char *end;

	if (take_prefix(&s, "http://"))
		return cli_usage_error("send", "'%s': devices speak TLS only; "
		    "write https://", url);
	(void)take_prefix(&s, "https://");
	if (*s == '[') {
		h = s + 1;
		he = strchr(h, ']');
		if (he == NULL)
			return cli_usage_error("send", "'%s': an IPv6 address "
			    "needs its closing ']'", url);
		p = he + 1;
	} else {
		h = s;
		he = s + strcspn(s, ":/");
		p = he;
	}
	hlen = (size_t)(he - h);
	if (hlen == 0)
		return cli_usage_error("send", "'%s' names no host", url);
	if (hlen >= sizeof(st.host))
		return cli_usage_error("send", "'%s': the host name is longer "
		    "than %d characters", url, SEND_HOST_MAX - 1);
	memcpy(st.host, h, hlen);
	st.host[hlen] = '\0';
	*port = SEND_DEFAULT_PORT;
	if (*p == ':') {
		errno = 0;
		v = strtol(p + 1, &end, 10);
		if (errno != 0 || end == p + 1 || v < 1 || v > 65535 ||
		    (*end != '\0' && *end != '/'))
			return cli_usage_error("send", "'%s': the port is not a "
			    "number from 1 to 65535", url);
		*port = (uint16_t)v;
		p = end;
	}
	if (*p != '\0' && strcmp(p, "/") != 0 && strcmp(p, SEND_PATH) != 0)
		return cli_usage_error("send", "'%s': devices post to %s only; "
		    "give the URL without a path or with %s", url, SEND_PATH,
		    SEND_PATH);
	return 0;
}

/* A whole number in [min, max]. */
static int
parse_num(const char *opt, const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		goto bad;
	*out = strtoull(s, &end, 10);
	if (errno == 0 && *end == '\0' && *out >= min && *out <= max)
		return 0;
bad:
	return cli_usage_error("send", "%s: '%s' is not a whole number from "
	    "%llu to %llu", opt, s, min, max);
}

/* Seconds, decimals allowed, in [0, max] (0 only when zero_ok). */
static int
parse_seconds(const char *opt, const char *s, double max, int zero_ok,
    double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(*out >= 0) ||
	    *out > max || (!zero_ok && *out < 0.001))
		return cli_usage_error("send", "%s: '%s' is not a number of "
		    "seconds from %s to %.0f", opt, s, zero_ok ? "0" : "0.001",
		    max);
	return 0;
}

/* The first line of path, without its line end, into st.cred. */
static int
read_credential(const char *path)
{
	char raw[SEND_CRED_FILE_MAX];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return cli_error("--credential-file %s: %s", path,
		    strerror(errno));
	n = fread(raw, 1, sizeof(raw) - 1, f);
	if (ferror(f)) {
		fclose(f);
		explicit_bzero(raw, sizeof(raw));
		return cli_error("--credential-file %s: %s", path,
		    strerror(errno));
	}
	fclose(f);
	raw[n] = '\0';
	n = strcspn(raw, "\r\n");
	while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(st.cred)) {
		explicit_bzero(raw, sizeof(raw));
		return cli_error("--credential-file %s: the first line is %s",
		    path, n == 0 ? "empty" : "too long to be a credential");
	}
	memcpy(st.cred, raw, n);
	st.cred[n] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

/* BODY, or stdin for "-" (then *owned is the buffer to free). */
static int
read_body(const char *arg, const char **body, size_t *len, char **owned)
{
	size_t cap = 4096, n = 0, r;
	char *b, *nb;

	if (strcmp(arg, "-") != 0) {
		*body = arg;
		*len = strlen(arg);
		return 0;
	}
	if ((b = malloc(cap)) == NULL)
		return cli_error("out of memory reading the body");
	for (;;) {
		if (n == cap) {
			if (cap >= SEND_BODY_MAX) {
				free(b);
				return cli_error("the body on stdin is longer "
				    "than %d bytes", SEND_BODY_MAX);
			}
			cap *= 2;
			if ((nb = realloc(b, cap)) == NULL) {
				free(b);
				return cli_error("out of memory reading the "
				    "body");
			}
			b = nb;
		}
		r = fread(b + n, 1, cap - n, stdin);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(stdin)) {
		free(b);
		return cli_error("reading the body from stdin: %s",
		    strerror(errno));
	}
	*body = b;
	*owned = b;
	*len = n;
	return 0;
}

static void
debug_line(void *ctx, enum tether_log_level level, const char *line)
{
	(void)ctx;
	(void)level;
	fprintf(stderr, "debug: %s\n", line);
}

static const char *
suite_name(uint16_t id)
{
	size_t i;

	for (i = 0; i < sizeof(suite_names) / sizeof(suite_names[0]); i++)
		if (suite_names[i].id == id)
			return suite_names[i].name;
	return "an unnamed suite";
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
sleep_seconds(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The library's error as one line: its sentence, then its detail. */
static int
library_error(const char *what)
{
	char detail[SEND_DETAIL_MAX];
	int code = tether_last_error(&st.client);

	tether_error_detail(&st.client, detail, sizeof(detail));
	return cli_error("%s%s (%s)", what, tether_strerror(code), detail);
}

/*
 * Restores the session kept in path, if the file exists. A damaged or
 * foreign blob costs one full handshake and is said as a warning; only an
 * unreadable file is an error.
 */
static int
restore_session(const char *path)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		return cli_error("--save-session %s: %s", path,
		    strerror(errno));
	}
	n = read(fd, st.blob, sizeof(st.blob));
	if (n < 0) {
		int e = errno;

		close(fd);
		return cli_error("--save-session %s: %s", path, strerror(e));
	}
	close(fd);
	if ((size_t)n != sizeof(st.blob))
		cli_warning("--save-session %s: not a session file (%zd bytes, "
		    "want %d); a full handshake follows", path, n,
		    TETHER_SESSION_SIZE);
	else if (tether_session_restore(&st.client, st.blob) != 0)
		cli_warning("--save-session %s: %s", path,
		    tether_strerror(tether_last_error(&st.client)));
	explicit_bzero(st.blob, sizeof(st.blob));
	return 0;
}

/* Writes the session blob to path: a new file, then renamed over. */
static int
save_session(const char *path)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	ssize_t n;
	int fd, e;

	/* nothing to keep: the last handshake failed and its session was
	 * forgotten; the file keeps what it had (a stale blob costs one full
	 * handshake, nothing more) */
	if (tether_session_save(&st.client, st.blob) != 0)
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return cli_error("--save-session %s: the path is too long",
		    path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    SEND_SESSION_MODE);
	if (fd < 0) {
		e = errno;
		goto failed;
	}
	while (off < sizeof(st.blob)) {
		n = write(fd, st.blob + off, sizeof(st.blob) - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = errno;
			close(fd);
			unlink(tmp);
			goto failed;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		e = errno;
		unlink(tmp);
		goto failed;
	}
	if (rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		goto failed;
	}
	explicit_bzero(st.blob, sizeof(st.blob));
	return 0;
failed:
	explicit_bzero(st.blob, sizeof(st.blob));
	return cli_error("--save-session %s: %s", path, strerror(e));
}

/* One message's line on stdout: what happened, and with --stats how. */
static void
report(unsigned long long i, unsigned long long count, int status,
    const struct tether_stats *before, const struct tether_stats *after,
    double ms, int stats)
{
	printf("message %llu of %llu: stored (%d)", i, count, status);
	if (stats) {
		if (after->handshakes_full > before->handshakes_full)
			printf(", handshake full");
		else if (after->handshakes_resumed >
		    before->handshakes_resumed)
			printf(", handshake resumed");
		else
			printf(", kept alive");
		if (after->handshakes_full + after->handshakes_resumed >
		    before->handshakes_full + before->handshakes_resumed)
			printf(" (%s, records of up to %u bytes)",
			    suite_name(after->suite),
			    (unsigned)after->record_max);
		printf(", %lu bytes out, %lu bytes in, %.1f ms",
		    (unsigned long)(after->bytes_out - before->bytes_out),
		    (unsigned long)(after->bytes_in - before->bytes_in), ms);
	}
	putchar('\n');
}

static void
report_total(size_t buf_len)
{
	struct tether_stats s;

	tether_stats(&st.client, &s);
	printf("total: %lu message%s stored, %lu full handshake%s, %lu "
	    "resumed, %lu bytes out, %lu bytes in\n",
	    (unsigned long)s.messages, s.messages == 1 ? "" : "s",
	    (unsigned long)s.handshakes_full,
	    s.handshakes_full == 1 ? "" : "s",
	    (unsigned long)s.handshakes_resumed, (unsigned long)s.bytes_out,
	    (unsigned long)s.bytes_in);
	printf("RAM: client %zu + config %zu + record buffer %zu + "
	    "transport %zu = %zu bytes, no heap\n", sizeof(st.client),
	    sizeof(st.cfg), buf_len, sizeof(st.sock), sizeof(st.client) +
	    sizeof(st.cfg) + buf_len + sizeof(st.sock));
}

int
cmd_send(int argc, char **argv)
{
	enum { O_PIN = 256, O_CRED, O_CRED_FILE, O_BUFFER, O_PROFILE, O_COUNT,
	    O_INTERVAL, O_SEQ, O_SAVE, O_SNI, O_NO_SNI, O_TIMEOUT, O_STATS };
	static const struct option opts[] = {
		{ "pin",		required_argument, NULL, O_PIN },
		{ "credential",		required_argument, NULL, O_CRED },
		{ "credential-file",	required_argument, NULL, O_CRED_FILE },
		{ "buffer",		required_argument, NULL, O_BUFFER },
		{ "profile",		required_argument, NULL, O_PROFILE },
		{ "count",		required_argument, NULL, O_COUNT },
		{ "interval",		required_argument, NULL, O_INTERVAL },
		{ "seq",		required_argument, NULL, O_SEQ },
		{ "save-session",	required_argument, NULL, O_SAVE },
		{ "sni",		required_argument, NULL, O_SNI },
		{ "no-sni",		no_argument,	   NULL, O_NO_SNI },
		{ "timeout",		required_argument, NULL, O_TIMEOUT },
		{ "stats",		no_argument,	   NULL, O_STATS },
		{ "verbose",		no_argument,	   NULL, 'v' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tether_transport io;
	struct tether_stats before, after;
	enum tether_pin_kind kinds[TETHER_MAX_PINS];
	enum tether_profile profile = TETHER_PROFILE_DEFAULT;
	const char *cred_file = NULL, *session = NULL, *sni = NULL;
	const char *body = NULL;
	char *cred_arg = NULL, *owned = NULL;
	unsigned long long record = SEND_RECORD_DEFAULT, count = 1, seq = 0;
	unsigned long long i;
	double interval = 0, timeout = SEND_DEFAULT_TIMEOUT, t0;
	size_t npins = 0, body_len = 0, buf_len, j;
	uint16_t port = SEND_DEFAULT_PORT;
	int c, verbose = 0, stats = 0, seq_set = 0, no_sni = 0, interval_set = 0;
	int status, rc = 2;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", opts, NULL)) != -1) {
		switch (c) {
		case O_PIN:
			if (npins == TETHER_MAX_PINS)
				return cli_usage_error("send", "--pin given more "
				    "than %d times (TETHER_MAX_PINS)",
				    TETHER_MAX_PINS);
			if (parse_pin(optarg, &kinds[npins], st.pins[npins]))
				return 2;
			npins++;
			break;
		case O_CRED:
			cred_arg = optarg;
			break;
		case O_CRED_FILE:
			cred_file = optarg;
			break;
		case O_BUFFER:
			if (parse_num("--buffer", optarg, SEND_RECORD_MIN,
			    SEND_RECORD_MAX, &record))
				return 2;
			break;
		case O_PROFILE:
			if (strcmp(optarg, "default") == 0)
				profile = TETHER_PROFILE_DEFAULT;
			else if (strcmp(optarg, "legacy-axtls") == 0)
				profile = TETHER_PROFILE_LEGACY_AXTLS;
			else
				return cli_usage_error("send", "--profile: '%s' "
				    "is not a profile (default, legacy-axtls)",
				    optarg);
			break;
		case O_COUNT:
			if (parse_num("--count", optarg, 1, SEND_MAX_COUNT,
			    &count))
				return 2;
			break;
		case O_INTERVAL:
			if (parse_seconds("--interval", optarg,
			    SEND_MAX_INTERVAL, 1, &interval))
				return 2;
			interval_set = 1;
			break;
		case O_SEQ:
			if (parse_num("--seq", optarg, 0, UINT64_MAX - 1, &seq))
				return 2;
			seq_set = 1;
			break;
		case O_SAVE:
			if (*optarg == '\0')
				return cli_usage_error("send", "--save-session "
				    "needs a file name");
			session = optarg;
			break;
		case O_SNI:
			if (*optarg == '\0')
				return cli_usage_error("send", "--sni needs a "
				    "name (--no-sni sends none)");
			sni = optarg;
			break;
		case O_NO_SNI:
			no_sni = 1;
			break;
		case O_TIMEOUT:
			if (parse_seconds("--timeout", optarg,
			    SEND_MAX_TIMEOUT, 0, &timeout))
				return 2;
			break;
		case O_STATS:
			stats = 1;
			break;
		case 'v':
			if (verbose < TETHER_LOG_SSL_MEM)
				verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return cli_usage_error("send", "%s needs a value",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				return cli_usage_error("send", "unknown option "
				    "'-%c'", optopt);
			return cli_usage_error("send", "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage_error("send", "name the server "
		    "(https://HOST[:PORT]) and give a BODY");
	if (optind + 1 == argc)
		return cli_usage_error("send", "give the message BODY after the "
		    "URL (- reads it from stdin)");
	if (optind + 2 < argc)
		return cli_usage_error("send", "one URL and one BODY: '%s' is "
		    "one too many", argv[optind + 2]);
	if (parse_url(argv[optind], &port) != 0)
		return 2;
	if (npins == 0)
		return cli_usage_error("send", "give the server's pin with "
		    "--pin (`tether serve` and `tether fingerprint` print "
		    "it): a device never connects unverified");
	if ((cred_arg == NULL) == (cred_file == NULL))
		return cli_usage_error("send", cred_arg == NULL ? "give the "
		    "device credential with --credential-file FILE (or "
		    "--credential)" : "--credential and --credential-file "
		    "contradict each other");
	if (sni != NULL && no_sni)
		return cli_usage_error("send", "--sni and --no-sni contradict "
		    "each other");
	if (interval_set && count == 1)
		return cli_usage_error("send", "--interval applies to "
		    "--count N with N > 1");

	if (cred_arg != NULL) {
		size_t n = strlen(cred_arg);

		if (n == 0 || n >= sizeof(st.cred))
			return cli_usage_error("send", "--credential: %s",
			    tether_strerror(n == 0 ? TETHER_E_NO_CREDENTIAL :
			    TETHER_E_BAD_CREDENTIAL));
		memcpy(st.cred, cred_arg, n + 1);
		/* hide it from the process list from now on */
		memset(cred_arg, 'x', n);
	} else if (read_credential(cred_file) != 0) {
		return 1;
	}

	tether_config_init(&st.cfg);
	tether_config_set_host(&st.cfg, st.host, port);
	for (j = 0; j < npins; j++)
		tether_config_add_pin(&st.cfg, kinds[j], st.pins[j]);
	if (tether_config_set_credential(&st.cfg, st.cred,
	    strlen(st.cred)) != 0) {
		rc = cli_usage_error("send", "the credential: %s",
		    tether_strerror(TETHER_E_BAD_CREDENTIAL));
		goto out;
	}
	tether_config_set_profile(&st.cfg, profile);
	if (sni != NULL || no_sni)
		tether_config_set_sni(&st.cfg, no_sni ? NULL : sni);
	if (verbose > 0)
		tether_config_set_log(&st.cfg, (enum tether_log_level)verbose,
		    debug_line, NULL);
	tether_posix_init(&st.sock, &io, (int)(timeout * 1000),
	    (int)(timeout * 1000));
	buf_len = TETHER_BUFSIZE(record);
	if (tether_client_init(&st.client, &st.cfg, &io, st.buf,
	    buf_len) != 0) {
		rc = library_error("");
		goto out;
	}
	rc = 1;
	if (session != NULL && restore_session(session) != 0)
		goto out;
	if (seq_set)
		tether_set_seq(&st.client, seq);
	if (read_body(argv[optind + 1], &body, &body_len, &owned) != 0)
		goto out;

	rc = 0;
	for (i = 1; i <= count && rc == 0; i++) {
		if (i > 1 && interval > 0) {
			fflush(stdout);
			sleep_seconds(interval);
		}
		tether_stats(&st.client, &before);
		t0 = now_ms();
		if (tether_send(&st.client, body, body_len, &status) != 0) {
			rc = library_error("");
			break;
		}
		tether_stats(&st.client, &after);
		report(i, count, status, &before, &after, now_ms() - t0, stats);
	}
	tether_stats(&st.client, &after);
	/* save what a device would keep in RTC memory, even after a failed
	 * message: the session and the sequence number still hold */
	if (session != NULL && after.handshakes_full +
	    after.handshakes_resumed > 0 && save_session(session) != 0)
		rc = 1;
	tether_close(&st.client);
	if (stats)
		report_total(buf_len);
out:
	free(owned);
	explicit_bzero(st.cred, sizeof(st.cred));
	explicit_bzero(&st.client, sizeof(st.client));
	fflush(stdout);
	return rc;
}
