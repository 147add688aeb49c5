/* SPDX-License-Identifier: MIT */
/*
 * test_lib_live.c - libtether against the real gateway on loopback: each
 * pin kind, a wrong pin beside a backup, 512-byte records, resumption
 * after an idle drop and after a session blob, the legacy-axtls profile,
 * a revoked device, the transport errors, trust anchors with a clock
 * (each way the chain check fails), an answer that names another device,
 * a drop cured by a reconnect that logs no error, and the peak stack of a handshake
 * (measured by painting a thread's stack). It starts `tether
 * serve` itself (binary from $TETHER; every test is skipped without it),
 * in a temporary directory, and kills what it started.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* RTLD_NEXT */
#endif
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <netdb.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tether.h"

#define START_WAIT_MS	15000
#define IDLE_TIMEOUT	"1s"

/*
 * Stack painting: a thread runs on a stack of STACK_SIZE bytes filled with
 * STACK_PAINT; the bytes it never touched are counted from the far end.
 * STACK_BUDGET bounds the peak of connect + handshake + one message, the
 * library and BearSSL together, with the library's logging on.
 */
#define STACK_SIZE	(256 * 1024)
#define STACK_PAINT	0xa5
#define STACK_BUDGET	(6 * 1024)	/* measured: 4.5 KiB, P-256 */
#if defined(__SANITIZE_ADDRESS__)
#define STACK_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STACK_SANITIZED	1
#endif
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND	0
#endif

struct gateway {
	pid_t		 pid;
	uint16_t	 port;
	char		 dir[64];
};

static const char *bin;
static char dir[64];
static struct gateway modern, legacy;
static char cred[2][TETHER_CREDENTIAL_MAX], dev_id[2][32];
static uint8_t spki_ec[32], spki_rsa[32], cert_sha256_ec[32], cert_sha1_ec[20];

/*
 * Trust anchors made at run time from the gateways' self-signed dev
 * certificates, as `brssl ta` would write them: the certificate's subject
 * DN and key (a CA:FALSE certificate, so an anchor of direct trust).
 */
#define ANCHOR_DER_MAX	4096
#define ANCHOR_DN_MAX	512
struct anchor {
	br_x509_trust_anchor	 ta;
	unsigned char		 dn[ANCHOR_DN_MAX];
	unsigned char		 key[BR_X509_BUFSIZE_KEY];
	size_t			 dn_len;
};
static struct anchor anchor_ec, anchor_rsa;

static uint16_t
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return 0;
	close(fd);
	return ntohs(a.sin_port);
}

/* Runs a shell command, returns its first output line in out. */
static int
run(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *p;
	int ok;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	ok = out == NULL || fgets(out, (int)len, p) != NULL;
	if (pclose(p) != 0 || !ok)
		return -1;
	if (out != NULL)
		out[strcspn(out, "\n")] = '\0';
	return 0;
}

static int
start(struct gateway *g, const char *profile)
{
	char log[128], line[16];
	int waited;

	g->port = free_port();
	snprintf(log, sizeof(log), "%s/gw-%s.log", dir, profile);
	g->pid = fork();
	if (g->pid == 0) {
		char listen[32], state[48];

		snprintf(listen, sizeof(listen), "127.0.0.1:%u", g->port);
		snprintf(state, sizeof(state), "st-%s", profile);
		if (freopen(log, "w", stderr) == NULL ||
		    freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		if (chdir(dir) != 0)
			_exit(127);
		execl(bin, "tether", "serve", "--listen", listen, "--db",
		    "gw.db", "--state-dir", state, "--workers", "1",
		    "--profile", profile, "--idle-timeout", IDLE_TIMEOUT,
		    "--head-timeout", IDLE_TIMEOUT, "--body-timeout",
		    IDLE_TIMEOUT, "--app-listen", "off", "--admin-listen", "off",
		    (char *)NULL);
		_exit(127);
	}
	for (waited = 0; waited < START_WAIT_MS; waited += 100) {
		if (run(line, sizeof(line), "grep -c event=listening %s",
		    log) == 0 && atoi(line) > 0)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

static void
stop(struct gateway *g)
{
	if (g->pid > 0) {
		kill(g->pid, SIGKILL);
		waitpid(g->pid, NULL, 0);
		g->pid = 0;
	}
}

static int
pin_from(uint8_t *out, enum tether_pin_kind kind, const char *cmd, ...)
{
	char text[160], full[512];
	va_list ap;

	va_start(ap, cmd);
	vsnprintf(full, sizeof(full), cmd, ap);
	va_end(ap);
	if (run(text, sizeof(text), "%s", full) != 0)
		return -1;
	return tether_pin_parse(kind, text, strlen(text), out);
}

static void
dn_append(void *ctx, const void *buf, size_t len)
{
	struct anchor *a = ctx;

	if (a->dn_len + len > sizeof(a->dn)) {
		a->dn_len = sizeof(a->dn) + 1;	/* too long: refused below */
		return;
	}
	memcpy(a->dn + a->dn_len, buf, len);
	a->dn_len += len;
}

/* The anchor of the PEM certificate at path, through its DER form and
 * BearSSL's decoder. */
static int
anchor_from(struct anchor *a, const char *path)
{
	unsigned char der[ANCHOR_DER_MAX];
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	char cmd[256];
	size_t len;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -outform der", path);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	len = fread(der, 1, sizeof(der), p);
	if (pclose(p) != 0 || len == 0 || len == sizeof(der))
		return -1;
	memset(a, 0, sizeof(*a));
	br_x509_decoder_init(&dc, dn_append, a);
	br_x509_decoder_push(&dc, der, len);
	if ((pk = br_x509_decoder_get_pkey(&dc)) == NULL ||
	    a->dn_len > sizeof(a->dn))
		return -1;
	a->ta.dn.data = a->dn;
	a->ta.dn.len = a->dn_len;
	a->ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	a->ta.pkey = *pk;
	if (pk->key_type == BR_KEYTYPE_EC) {
		if (pk->key.ec.qlen > sizeof(a->key))
			return -1;
		memcpy(a->key, pk->key.ec.q, pk->key.ec.qlen);
		a->ta.pkey.key.ec.q = a->key;
	} else {
		if (pk->key.rsa.nlen + pk->key.rsa.elen > sizeof(a->key))
			return -1;
		memcpy(a->key, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(a->key + pk->key.rsa.nlen, pk->key.rsa.e,
		    pk->key.rsa.elen);
		a->ta.pkey.key.rsa.n = a->key;
		a->ta.pkey.key.rsa.e = a->key + pk->key.rsa.nlen;
	}
	return 0;
}

static int
setup(void **state)
{
	int i;

	(void)state;
	if ((bin = getenv("TETHER")) == NULL)
		return 0;
	strcpy(dir, "/tmp/tether-lib-live.XXXXXX");
	if (mkdtemp(dir) == NULL || start(&modern, "modern") != 0 ||
	    start(&legacy, "legacy-esp8266") != 0)
		return -1;
	if (run(NULL, 0, "cd %s && %s provision --db gw.db --count 2 "
	    "--out dev >/dev/null 2>&1", dir, bin) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (run(cred[i], sizeof(cred[i]), "grep -o '\"credential\": "
		    "*\"[^\"]*\"' %s/dev/manifest.json | sed -n '%dp' | "
		    "sed 's/.*\"\\([^\"]*\\)\"$/\\1/'", dir, i + 1) != 0 ||
		    run(dev_id[i], sizeof(dev_id[i]), "grep -o '\"id\": "
		    "*\"[^\"]*\"' %s/dev/manifest.json | sed -n '%dp' | "
		    "sed 's/.*\"\\([^\"]*\\)\"$/\\1/'", dir, i + 1) != 0)
			return -1;
	}
	if (run(NULL, 0, "cd %s && %s device revoke %s --db gw.db "
	    ">/dev/null 2>&1", dir, bin, dev_id[1]) != 0)
		return -1;
	/* pins as openssl computes them: the library's must equal them */
	if (pin_from(spki_ec, TETHER_PIN_SPKI_SHA256, "openssl x509 -in "
	    "%s/st-modern/ecdsa.crt -pubkey -noout | openssl pkey "
	    "-pubin -outform der | openssl dgst -sha256 -binary | base64", dir) != 0 ||
	    pin_from(spki_rsa, TETHER_PIN_SPKI_SHA256, "openssl x509 -in "
	    "%s/st-legacy-esp8266/rsa.crt -pubkey -noout | openssl pkey "
	    "-pubin -outform der | openssl dgst -sha256 -binary | base64", dir) != 0 ||
	    pin_from(cert_sha256_ec, TETHER_PIN_CERT_SHA256, "openssl x509 "
	    "-in %s/st-modern/ecdsa.crt -noout -fingerprint -sha256 | cut -d= -f2",
	    dir) != 0 ||
	    pin_from(cert_sha1_ec, TETHER_PIN_CERT_SHA1, "openssl x509 "
	    "-in %s/st-modern/ecdsa.crt -noout -fingerprint -sha1 | cut -d= -f2",
	    dir) != 0)
		return -1;
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/st-modern/ecdsa.crt", dir);
		if (anchor_from(&anchor_ec, path) != 0)
			return -1;
		snprintf(path, sizeof(path), "%s/st-legacy-esp8266/rsa.crt",
		    dir);
		if (anchor_from(&anchor_rsa, path) != 0)
			return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	stop(&modern);
	stop(&legacy);
	/* KEEP_TMP=1 keeps the directory and the gateways' logs, as lib.sh */
	if (dir[0] != '\0' && getenv("KEEP_TMP") == NULL)
		(void)run(NULL, 0, "rm -rf %s", dir);
	return 0;
}

/* One device: config, POSIX transport, a 512-byte-record buffer. */
struct device {
	struct tether_config	cfg;
	struct tether_client	c;
	struct tether_posix	sock;
	unsigned char		buf[TETHER_BUFSIZE_MIN];
	char			detail[TETHER_DETAIL_LEN];
};

static void
device(struct device *d, const char *host, uint16_t port, int who)
{
	struct tether_transport io;

	if (bin == NULL)
		skip();
	tether_config_init(&d->cfg);
	tether_config_set_host(&d->cfg, host, port);
	tether_config_set_credential(&d->cfg, cred[who], strlen(cred[who]));
	tether_posix_init(&d->sock, &io, 3000, 5000);
	assert_int_equal(tether_client_init(&d->c, &d->cfg, &io, d->buf,
	    sizeof(d->buf)), 0);
}

static int
send_one(struct device *d, int *status)
{
	int r = tether_send(&d->c, "{\"t\":21.5}", 10, status);

	tether_error_detail(&d->c, d->detail, sizeof(d->detail));
	if (r != 0)
		print_message("# error %d: %s\n", tether_last_error(&d->c),
		    d->detail);
	return r;
}

static void
test_each_pin_kind(void **state)
{
	static struct device d;
	const struct { enum tether_pin_kind kind; const uint8_t *pin; } k[] = {
		{ TETHER_PIN_SPKI_SHA256, spki_ec },
		{ TETHER_PIN_CERT_SHA256, cert_sha256_ec },
		{ TETHER_PIN_CERT_SHA1, cert_sha1_ec },
	};
	int status;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		device(&d, "127.0.0.1", modern.port, 0);
		tether_config_add_pin(&d.cfg, k[i].kind, k[i].pin);
		assert_int_equal(send_one(&d, &status), 0);
		assert_true(status == 201 || status == 200);
		/* with 837 bytes of buffer the server had to honour 512 */
		assert_int_equal(d.c.stats.record_max, 512);
		tether_close(&d.c);
	}
}

static void
test_wrong_pin_then_backup(void **state)
{
	static struct device d;
	static const uint8_t wrong[32] = { 0xde, 0xad };
	int status;

	(void)state;
	device(&d, "127.0.0.1", modern.port, 0);
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, wrong);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_PIN_MISMATCH);
	assert_non_null(strstr(d.detail, "expected SPKI SHA-256 3q0AAAAA"));
	assert_non_null(strstr(d.detail, "received SPKI SHA-256 "));
	assert_non_null(strstr(d.detail, "CN=tether development certificate"));
	assert_non_null(strstr(d.detail, "key EC 256"));

	/* the backup pin beside the wrong one is enough */
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	assert_int_equal(send_one(&d, &status), 0);
	tether_close(&d.c);
}

/* Counts the library's "error N: ..." log lines. */
static int error_lines;

static void
count_errors(void *ctx, enum tether_log_level level, const char *line)
{
	(void)ctx;
	(void)level;
	if (strncmp(line, "error ", 6) == 0) {
		error_lines++;
		print_message("# logged: %s\n", line);
	}
}

static void
test_keep_alive_and_resumption(void **state)
{
	static struct device d, wake;
	uint8_t blob[TETHER_SESSION_SIZE];
	int status, i;

	(void)state;
	device(&d, "127.0.0.1", modern.port, 0);
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	/* the gateway's answers name this device */
	assert_int_equal(tether_config_set_device(&d.cfg, dev_id[0]), 0);
	tether_config_set_log(&d.cfg, TETHER_LOG_CORE, count_errors, NULL);
	error_lines = 0;
	tether_set_seq(&d.c, (uint64_t)time(NULL) * 1000);
	for (i = 0; i < 3; i++)
		assert_int_equal(send_one(&d, &status), 0);
	assert_int_equal(d.c.stats.handshakes_full, 1);
	assert_int_equal(d.c.stats.messages, 3);

	/* the gateway drops the idle connection; the next message resumes,
	 * and the drop the reconnect cured is no error of the caller's */
	sleep(2);
	assert_int_equal(send_one(&d, &status), 0);
	assert_int_equal(d.c.stats.handshakes_full, 1);
	assert_int_equal(d.c.stats.handshakes_resumed, 1);
	assert_int_equal(error_lines, 0);

	/* deep sleep: the blob goes to RTC memory, a new client resumes */
	assert_int_equal(tether_session_save(&d.c, blob), 0);
	tether_close(&d.c);
	device(&wake, "127.0.0.1", modern.port, 0);
	tether_config_add_pin(&wake.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	assert_int_equal(tether_session_restore(&wake.c, blob), 0);
	assert_int_equal(tether_seq(&wake.c), tether_seq(&d.c));
	assert_int_equal(send_one(&wake, &status), 0);
	assert_int_equal(status, 201);
	assert_int_equal(wake.c.stats.handshakes_resumed, 1);
	assert_int_equal(wake.c.stats.handshakes_full, 0);
	tether_close(&wake.c);
}

static void
test_legacy_axtls(void **state)
{
	static struct device d;
	int status;

	(void)state;
	device(&d, "127.0.0.1", legacy.port, 0);
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_rsa);
	tether_config_set_profile(&d.cfg, TETHER_PROFILE_LEGACY_AXTLS);
	assert_int_equal(send_one(&d, &status), 0);
	assert_true(d.c.stats.suite == BR_TLS_RSA_WITH_AES_128_CBC_SHA ||
	    d.c.stats.suite == BR_TLS_RSA_WITH_AES_256_CBC_SHA ||
	    d.c.stats.suite == BR_TLS_RSA_WITH_AES_128_CBC_SHA256 ||
	    d.c.stats.suite == BR_TLS_RSA_WITH_AES_256_CBC_SHA256);
	tether_close(&d.c);

	device(&d, "127.0.0.1", modern.port, 0);
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_rsa);
	tether_config_set_profile(&d.cfg, TETHER_PROFILE_LEGACY_AXTLS);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_NO_COMMON_SUITE);
	assert_non_null(strstr(d.detail, "the server sent alert "
	    "handshake_failure (40): no cipher suite in common"));
}

/* A transport that hangs up once the client's handshake is done: the
 * answer to a message on a fresh connection never comes. */
struct hangup {
	struct tether_transport		 inner;	/* the POSIX transport */
	const struct tether_client	*c;
};

static int
hangup_open(void *ctx, const char *host, uint16_t port)
{
	struct hangup *h = ctx;

	return h->inner.open(h->inner.ctx, host, port);
}

static int
hangup_read(void *ctx, unsigned char *buf, size_t len)
{
	struct hangup *h = ctx;

	if (h->c->stats.handshakes_full > 0)
		return 0;
	return h->inner.read(h->inner.ctx, buf, len);
}

static int
hangup_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct hangup *h = ctx;

	return h->inner.write(h->inner.ctx, buf, len);
}

static void
hangup_close(void *ctx)
{
	struct hangup *h = ctx;

	h->inner.close(h->inner.ctx);
}

/* A failure with no reconnect to cure it is logged once, and is the
 * error the caller gets. */
static void
test_unanswered_logged_once(void **state)
{
	static struct device d;
	static struct hangup h;
	struct tether_transport io = { hangup_open, hangup_read,
	    hangup_write, hangup_close, &h };
	int status;

	(void)state;
	if (bin == NULL)
		skip();
	tether_config_init(&d.cfg);
	tether_config_set_host(&d.cfg, "127.0.0.1", modern.port);
	tether_config_set_credential(&d.cfg, cred[0], strlen(cred[0]));
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	tether_config_set_log(&d.cfg, TETHER_LOG_CORE, count_errors, NULL);
	tether_posix_init(&d.sock, &h.inner, 3000, 5000);
	h.c = &d.c;
	assert_int_equal(tether_client_init(&d.c, &d.cfg, &io, d.buf,
	    sizeof(d.buf)), 0);
	error_lines = 0;
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_NO_RESPONSE);
	assert_int_equal(error_lines, 1);
	tether_close(&d.c);
}

/* The gateway stored it, but for another device than the one configured:
 * no "stored" for this one (the answer is checked, not just the 201). */
static void
test_answer_for_another_device(void **state)
{
	static struct device d;
	int status;

	(void)state;
	device(&d, "127.0.0.1", modern.port, 0);
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	assert_int_equal(tether_config_set_device(&d.cfg, "zzzz-zzzz-z"), 0);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(status, 201);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_NOT_GATEWAY);
	assert_non_null(strstr(d.detail, dev_id[0]));
	tether_close(&d.c);
}

static void
test_revoked_device(void **state)
{
	static struct device d;
	int status;

	(void)state;
	device(&d, "127.0.0.1", modern.port, 1);
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(status, 401);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_UNAUTHORIZED);
	assert_non_null(strstr(d.detail, "HTTP status 401"));
	tether_close(&d.c);
}

/*
 * A name with two addresses, as "localhost" has on many systems: first
 * 127.0.0.1 where nothing listens, then one whose socket cannot be made
 * (as ::1 on a host without IPv6). The refusal is what the device must
 * hear, not the second address's "I/O failed".
 */
#define TWO_ADDRESSES	"two-addresses.test"
static struct sockaddr_in refusing;
static struct addrinfo two[2];

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *,
	    struct addrinfo **) = (int (*)(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **))dlsym(RTLD_NEXT,
	    "getaddrinfo");

	if (node == NULL || strcmp(node, TWO_ADDRESSES) != 0)
		return real(node, service, hints, res);
	refusing.sin_family = AF_INET;
	refusing.sin_port = htons((uint16_t)atoi(service));
	refusing.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	two[0].ai_family = AF_INET;
	two[0].ai_socktype = SOCK_STREAM;
	two[0].ai_addr = (struct sockaddr *)&refusing;
	two[0].ai_addrlen = sizeof(refusing);
	two[0].ai_next = &two[1];
	two[1] = two[0];
	two[1].ai_family = AF_UNIX;	/* no TCP socket of this family */
	two[1].ai_protocol = IPPROTO_TCP;
	two[1].ai_next = NULL;
	*res = two;
	return 0;
}

void
freeaddrinfo(struct addrinfo *res)
{
	void (*real)(struct addrinfo *) = (void (*)(struct addrinfo *))
	    dlsym(RTLD_NEXT, "freeaddrinfo");

	if (res != two)
		real(res);
}

static void
test_transport_errors(void **state)
{
	static struct device d;
	int status;

	(void)state;
	device(&d, "127.0.0.1", free_port(), 0);
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_REFUSED);

	device(&d, TWO_ADDRESSES, free_port(), 0);
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_REFUSED);

	device(&d, "no-such-host.invalid", 443, 0);
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_DNS);
	assert_non_null(strstr(d.detail, "no-such-host.invalid"));
}

/* Days since 1 January 0 AD of a Unix time, as the library wants them. */
static uint32_t
days_of(time_t t)
{
	return (uint32_t)(t / TETHER_SECONDS_PER_DAY) +
	    TETHER_DAYS_TO_UNIX_EPOCH;
}

/* Days of a "YYYY-MM-DD" the library wrote in struct tether_cert_info. */
static uint32_t
days_of_date(const char *date)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(date, "%Y-%m-%d", &tm));
	return days_of(timegm(&tm));
}

/* Sets the device's time to now: the dev certificate was made an hour
 * ago, so midnight of today may be before it. */
static void
set_now(struct device *d)
{
	time_t now = time(NULL);

	assert_int_equal(tether_client_set_time(&d->c, days_of(now),
	    (uint32_t)(now % TETHER_SECONDS_PER_DAY)), 0);
}

/* A device with trust anchors: its SNI is the certificate's DNS name
 * (sni NULL keeps the default, the host "127.0.0.1"). */
static void
anchor_device(struct device *d, struct tether_anchor_ctx *ac,
    const br_x509_trust_anchor *ta, const char *sni)
{
	device(d, "127.0.0.1", modern.port, 0);
	if (sni != NULL)
		assert_int_equal(tether_config_set_sni(&d->cfg, sni), 0);
	assert_int_equal(tether_client_set_trust_anchors(&d->c, ac, ta, 1),
	    0);
}

static void
test_anchor_accepted(void **state)
{
	static struct device d;
	static struct tether_anchor_ctx ac;
	time_t now = time(NULL);
	int status;

	(void)state;
	/* an anchor and the time, no pin */
	anchor_device(&d, &ac, &anchor_ec.ta, "localhost");
	assert_int_equal(tether_client_set_time(&d.c, days_of(now),
	    (uint32_t)(now % TETHER_SECONDS_PER_DAY)), 0);
	assert_int_equal(send_one(&d, &status), 0);
	assert_true(status == 201 || status == 200);
	assert_string_equal(tether_cert(&d.c)->cn,
	    "tether development certificate");
	tether_close(&d.c);

	/* pin AND chain: both right passes */
	anchor_device(&d, &ac, &anchor_ec.ta, "localhost");
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	set_now(&d);
	assert_int_equal(send_one(&d, &status), 0);
	tether_close(&d.c);
}

static void
test_anchor_clock_not_set(void **state)
{
	static struct device d;
	static struct tether_anchor_ctx ac;
	int status;

	(void)state;
	anchor_device(&d, &ac, &anchor_ec.ta, "localhost");
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_CLOCK_NOT_SET);
	assert_non_null(strstr(tether_strerror(TETHER_E_CLOCK_NOT_SET),
	    "pins need no clock"));
	assert_non_null(strstr(d.detail, "device time not set"));
	/* refused before any byte went out */
	assert_int_equal(d.c.stats.bytes_out, 0);

	/* a time that is no time, and a time without anchors */
	assert_int_equal(tether_client_set_time(&d.c, 0, 0), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_BAD_ARG);
	assert_int_equal(tether_client_set_time(&d.c, days_of(time(NULL)),
	    TETHER_SECONDS_PER_DAY), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_BAD_ARG);
	device(&d, "127.0.0.1", modern.port, 0);
	assert_int_equal(tether_client_set_time(&d.c, days_of(time(NULL)),
	    0), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_NO_ANCHORS);
	assert_int_equal(tether_client_set_trust_anchors(&d.c, &ac, NULL, 1),
	    -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_BAD_ARG);
	assert_int_equal(tether_client_set_trust_anchors(&d.c, &ac,
	    &anchor_ec.ta, 0), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_BAD_ARG);
}

static void
test_anchor_dates(void **state)
{
	static struct device d;
	static struct tether_anchor_ctx ac;
	char not_before[11], not_after[11];
	int status;

	(void)state;
	/* the certificate's dates, as the library read them */
	anchor_device(&d, &ac, &anchor_ec.ta, "localhost");
	set_now(&d);
	assert_int_equal(send_one(&d, &status), 0);
	tether_close(&d.c);
	memcpy(not_before, tether_cert(&d.c)->not_before, sizeof(not_before));
	memcpy(not_after, tether_cert(&d.c)->not_after, sizeof(not_after));
	assert_int_equal(strlen(not_before), 10);
	assert_int_equal(strlen(not_after), 10);

	/* a day after notAfter: expired */
	anchor_device(&d, &ac, &anchor_ec.ta, "localhost");
	assert_int_equal(tether_client_set_time(&d.c,
	    days_of_date(not_after) + 1, 0), 0);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_CERT_EXPIRED);
	assert_non_null(strstr(d.detail, "device time "));
	assert_non_null(strstr(d.detail, not_after));

	/* a day before notBefore: not yet valid (a clock that runs late) */
	anchor_device(&d, &ac, &anchor_ec.ta, "localhost");
	assert_int_equal(tether_client_set_time(&d.c,
	    days_of_date(not_before) - 1, 43200), 0);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c),
	    TETHER_E_CERT_NOT_YET_VALID);
	assert_non_null(strstr(d.detail, not_before));
	assert_non_null(strstr(d.detail, " 12:00:00 UTC"));
}

static void
test_anchor_unknown_issuer_and_name(void **state)
{
	static struct device d;
	static struct tether_anchor_ctx ac;
	int status;

	(void)state;
	/* the other gateway's certificate is no anchor of this one's */
	anchor_device(&d, &ac, &anchor_rsa.ta, "localhost");
	set_now(&d);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_UNKNOWN_ISSUER);
	assert_non_null(strstr(d.detail, "1 trust anchor;"));

	/* the right pin does not make up for a chain that fails: AND */
	anchor_device(&d, &ac, &anchor_rsa.ta, "localhost");
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_ec);
	set_now(&d);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_UNKNOWN_ISSUER);

	/* nor the right chain for a wrong pin */
	anchor_device(&d, &ac, &anchor_ec.ta, "localhost");
	tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256, spki_rsa);
	set_now(&d);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_PIN_MISMATCH);

	/* the default SNI is the host, an IP literal: BearSSL matches DNS
	 * names only, so the certificate's IP entry does not count */
	anchor_device(&d, &ac, &anchor_ec.ta, NULL);
	set_now(&d);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_NAME_MISMATCH);
	assert_non_null(strstr(d.detail, "name checked 127.0.0.1"));

	/* a name the certificate does not list */
	anchor_device(&d, &ac, &anchor_ec.ta, "gw.example");
	set_now(&d);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_NAME_MISMATCH);

	/* no SNI at all: the host's name is checked, never none */
	anchor_device(&d, &ac, &anchor_ec.ta, NULL);
	tether_config_set_sni(&d.cfg, NULL);
	set_now(&d);
	assert_int_equal(send_one(&d, &status), -1);
	assert_int_equal(tether_last_error(&d.c), TETHER_E_NAME_MISMATCH);
}

/* One handshake and one message on a painted stack. */
struct stack_run {
	struct device	*d;	/* NULL: a thread that does nothing */
	int		 r;
	int		 status;
};

static void *
stack_thread(void *arg)
{
	struct stack_run *sr = arg;

	if (sr->d != NULL)
		sr->r = tether_send(&sr->d->c, "{\"t\":21.5}", 10,
		    &sr->status);
	return NULL;
}

/* Bytes of the painted stack the run touched. glibc keeps the thread's
 * own descriptor and TLS at the top of a stack it is given: a run that
 * does nothing measures that, to be subtracted. */
static size_t
stack_touched(struct stack_run *sr)
{
	static unsigned char stack[STACK_SIZE] __attribute__((aligned(4096)));
	pthread_attr_t attr;
	pthread_t t;
	size_t i;

	memset(stack, STACK_PAINT, sizeof(stack));
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstack(&attr, stack, sizeof(stack)),
	    0);
	assert_int_equal(pthread_create(&t, &attr, stack_thread, sr), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
	for (i = 0; i < sizeof(stack) && stack[i] == STACK_PAINT; i++)
		;
	return sizeof(stack) - i;
}

static void
discard_line(void *ctx, enum tether_log_level level, const char *line)
{
	(void)ctx;
	(void)level;
	(void)line;
}

/* A device whose TCP connection the test opens itself, so that the
 * thread runs the library and BearSSL only (no getaddrinfo). */
static void
stack_device(struct device *d, uint16_t port, int logging)
{
	struct sockaddr_in a;
	struct tether_transport io;
	int fd;

	tether_config_init(&d->cfg);
	tether_config_set_host(&d->cfg, "127.0.0.1", port);
	tether_config_set_credential(&d->cfg, cred[0], strlen(cred[0]));
	if (logging)
		tether_config_set_log(&d->cfg, TETHER_LOG_SSL_MEM,
		    discard_line, NULL);
	tether_posix_init(&d->sock, &io, 3000, 5000);
	io.open = NULL;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK),
	    0);
	d->sock.fd = fd;
	assert_int_equal(tether_client_init(&d->c, &d->cfg, &io, d->buf,
	    sizeof(d->buf)), 0);
}

static void
test_stack_peak(void **state)
{
	static struct device d;
	static struct tether_anchor_ctx ac;
	static const struct {
		const char	*what;
		struct gateway	*gw;
		const uint8_t	*pin;
		int		 profile, logging, anchors;
	} runs[] = {
		{ "ECDHE-ECDSA P-256, no log", &modern, spki_ec,
		  TETHER_PROFILE_DEFAULT, 0, 0 },
		{ "ECDHE-ECDSA P-256, every log level", &modern, spki_ec,
		  TETHER_PROFILE_DEFAULT, 1, 0 },
		{ "RSA-2048 key exchange (legacy-axtls)", &legacy, spki_rsa,
		  TETHER_PROFILE_LEGACY_AXTLS, 1, 0 },
		{ "ECDHE-ECDSA P-256, pin and trust anchor", &modern, spki_ec,
		  TETHER_PROFILE_DEFAULT, 1, 1 },
	};
	struct stack_run idle = { NULL, 0, 0 }, sr;
	size_t base, used, peak = 0, i;

	(void)state;
	if (bin == NULL)
		skip();
#ifdef STACK_SANITIZED
	/* ASan moves locals to fake stacks and pads them: no figure */
	print_message("# stack: not measured under AddressSanitizer\n");
	skip();
#endif
	if (RUNNING_ON_VALGRIND) {
		/* valgrind runs the thread on a stack of its own */
		print_message("# stack: not measured under valgrind\n");
		skip();
	}
	base = stack_touched(&idle);
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		stack_device(&d, runs[i].gw->port, runs[i].logging);
		tether_config_add_pin(&d.cfg, TETHER_PIN_SPKI_SHA256,
		    runs[i].pin);
		tether_config_set_profile(&d.cfg,
		    (enum tether_profile)runs[i].profile);
		if (runs[i].anchors) {
			tether_config_set_sni(&d.cfg, "localhost");
			assert_int_equal(tether_client_set_trust_anchors(&d.c,
			    &ac, &anchor_ec.ta, 1), 0);
			set_now(&d);
		}
		sr.d = &d;
		sr.r = -1;
		used = stack_touched(&sr) - base;
		assert_int_equal(sr.r, 0);
		assert_true(sr.status == 201 || sr.status == 200);
		print_message("# stack: %zu bytes peak for a full handshake "
		    "and a message, %s\n", used, runs[i].what);
		if (used > peak)
			peak = used;
		tether_close(&d.c);
	}
	assert_true(peak <= STACK_BUDGET);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_pin_kind),
		cmocka_unit_test(test_wrong_pin_then_backup),
		cmocka_unit_test(test_keep_alive_and_resumption),
		cmocka_unit_test(test_legacy_axtls),
		cmocka_unit_test(test_revoked_device),
		cmocka_unit_test(test_answer_for_another_device),
		cmocka_unit_test(test_unanswered_logged_once),
		cmocka_unit_test(test_transport_errors),
		cmocka_unit_test(test_anchor_accepted),
		cmocka_unit_test(test_anchor_clock_not_set),
		cmocka_unit_test(test_anchor_dates),
		cmocka_unit_test(test_anchor_unknown_issuer_and_name),
		cmocka_unit_test(test_stack_peak),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
