/* SPDX-License-Identifier: MIT */
/*
 * test_tls.c - the gateway's TLS: development certificate, pins checked
 * against the openssl tool, certificate errors, and real handshakes in
 * process (profiles, SNI, max fragment length, resumption, failures).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "gateway/tls.h"
#include "pin/pin.h"

#define ERR_LEN		256
#define CMD_LEN		8192
#define OUT_LEN		65536
#define HS_ROUNDS	64	/* flights; a handshake needs fewer than 10 */
#define ACCEPT_MS	10000

/* Everything the tests share: made once by setup_all. */
static struct {
	char			dir[64];	/* mkdtemp */
	char			state[128];	/* dir/state: devcert_ensure */
	char			storage[2 * 4096];
	struct gw_tls_pair	dev[2];		/* [0] ECDSA, [1] RSA */
	struct pin_set		ecdsa, rsa;
	char			other_crt[160], other_key[160];
	struct pin_set		other;
	char			other2_crt[160], other2_key[160];
} fx;

/* Runs a shell command; its stdout, trimmed, into out. Exit status. */
static int
run(char *out, size_t len, const char *fmt, ...)
{
	char cmd[CMD_LEN];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return pclose(p);
}

static int
setup_all(void **state)
{
	char out[OUT_LEN], err[ERR_LEN];

	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_tls.XXXXXX");
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	snprintf(fx.state, sizeof(fx.state), "%s/state", fx.dir);
	if (gw_tls_devcert_ensure(fx.state, fx.dev, fx.storage,
	    sizeof(fx.storage), err) != 0) {
		fprintf(stderr, "devcert_ensure: %s\n", err);
		return -1;
	}
	if (pin_from_file(fx.dev[0].cert, &fx.ecdsa, err) != 0 ||
	    pin_from_file(fx.dev[1].cert, &fx.rsa, err) != 0) {
		fprintf(stderr, "pins: %s\n", err);
		return -1;
	}

	/* A certificate for other names: a second SNI group. */
	snprintf(fx.other_crt, sizeof(fx.other_crt), "%s/other.crt", fx.dir);
	snprintf(fx.other_key, sizeof(fx.other_key), "%s/other.key", fx.dir);
	if (run(out, sizeof(out), "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other "
	    "-addext subjectAltName=DNS:Device.Example.org,"
	    "DNS:*.fleet.example.org,IP:10.9.8.7 -keyout %s -out %s "
	    "2>/dev/null", fx.other_key, fx.other_crt) != 0)
		return -1;
	if (pin_from_file(fx.other_crt, &fx.other, err) != 0)
		return -1;

	/* A second ECDSA certificate for the development names. */
	snprintf(fx.other2_crt, sizeof(fx.other2_crt), "%s/dup.crt", fx.dir);
	snprintf(fx.other2_key, sizeof(fx.other2_key), "%s/dup.key", fx.dir);
	if (run(out, sizeof(out), "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=dup "
	    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1 "
	    "-keyout %s -out %s 2>/dev/null", fx.other2_key,
	    fx.other2_crt) != 0)
		return -1;
	return 0;
}

static int
teardown_all(void **state)
{
	char out[64];

	if (fx.dir[0] != '\0')
		run(out, sizeof(out), "rm -rf '%s'", fx.dir);
	return 0;
}

/* Handshakes over an in-memory BIO pair */

struct hs {
	SSL	*c, *s;
	int	 cok, sok;		/* handshake finished */
	char	 serr[ERR_LEN];		/* gw_tls_handshake_error's line */
	enum gw_hs_fail scls;		/* ... and its class */
};

static SSL_CTX *
client_ctx(int maxver, const char *suites, long opts)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	assert_non_null(ctx);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (maxver != 0)
		assert_int_equal(SSL_CTX_set_max_proto_version(ctx, maxver), 1);
	if (suites != NULL)
		assert_int_equal(SSL_CTX_set_cipher_list(ctx, suites), 1);
	SSL_CTX_set_options(ctx, opts);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

static void
step(SSL *ssl, int *done, int *failed, struct hs *h, int server)
{
	int r, e;

	if (*done || *failed)
		return;
	ERR_clear_error();
	r = SSL_do_handshake(ssl);
	if (r == 1) {
		*done = 1;
		return;
	}
	e = SSL_get_error(ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		return;
	}
	*failed = 1;
	if (server)
		h->scls = gw_tls_handshake_error(ssl, r, h->serr,
		    sizeof(h->serr));
	ERR_clear_error();
}

/*
 * Runs client c against a new server SSL of server_ctx until both finish
 * or one fails and the other has read its alert. The client then reads
 * once so that TLS 1.3 tickets, sent after the handshake, reach it.
 */
static void
handshake(struct hs *h, SSL_CTX *server_ctx, SSL *c)
{
	BIO *cb, *sb;
	int cfail = 0, sfail = 0, i;
	char byte;

	memset(h, 0, sizeof(*h));
	h->c = c;
	assert_non_null(h->s = SSL_new(server_ctx));
	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(h->s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(h->s);
	for (i = 0; i < HS_ROUNDS; i++) {
		step(c, &h->cok, &cfail, h, 0);
		step(h->s, &h->sok, &sfail, h, 1);
		if ((h->cok || cfail) && (h->sok || sfail))
			break;
	}
	if (h->cok && h->sok) {
		SSL_read(c, &byte, 1);
		ERR_clear_error();
	}
}

/*
 * Ends a connection. clean: both sides send close_notify. Otherwise the
 * client vanishes as a device going to deep sleep does: no alert, only
 * EOF, while it keeps its session for the next wake-up.
 */
static void
hs_close(struct hs *h, int clean)
{
	char byte;

	ERR_clear_error();
	if (clean) {
		SSL_shutdown(h->c);
		SSL_shutdown(h->s);
	} else {
		SSL_set_shutdown(h->c, SSL_SENT_SHUTDOWN);
		BIO_shutdown_wr(SSL_get_wbio(h->c));
		assert_int_equal(SSL_read(h->s, &byte, 1), 0);
		assert_int_equal(SSL_get_error(h->s, 0), SSL_ERROR_ZERO_RETURN);
		/*
		 * What the gateway's loop does at EOF: without it, SSL_free
		 * takes the session out of the cache as a "bad" one.
		 */
		SSL_shutdown(h->s);
	}
	ERR_clear_error();
}

static void
hs_free(struct hs *h)
{
	SSL_free(h->c);
	SSL_free(h->s);
	h->c = h->s = NULL;
}

static const char *
peer_sha256(SSL *c, char *buf)
{
	struct pin_set p;
	X509 *x = SSL_get0_peer_certificate(c);

	assert_non_null(x);
	assert_int_equal(pin_from_x509(x, &p), 0);
	strcpy(buf, p.cert_sha256_hex);
	return buf;
}

static struct gw_tls *
dev_tls(enum gw_profile profile)
{
	char err[ERR_LEN];
	struct gw_tls *t = gw_tls_new(fx.dev, 2, profile, err);

	if (t == NULL)
		fail_msg("gw_tls_new: %s", err);
	return t;
}

/* The tests */

static void
test_profile_names(void **state)
{
	static const char *names[] = { "modern", "compat", "legacy-esp8266" };
	size_t i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(gw_profile_parse(names[i]), (int)i);
		assert_string_equal(gw_profile_name((enum gw_profile)i),
		    names[i]);
	}
	assert_int_equal(gw_profile_parse("legacy"), -1);
	assert_int_equal(gw_profile_parse("Modern"), -1);
	assert_int_equal(gw_profile_parse(""), -1);
	assert_int_equal(gw_profile_parse(NULL), -1);
}

static void
test_devcert_files(void **state)
{
	struct gw_tls_pair again[2];
	char storage[2 * 4096], err[ERR_LEN];
	struct pin_set p;
	struct stat st;
	size_t i;

	assert_int_equal(stat(fx.state, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	for (i = 0; i < 2; i++) {
		assert_int_equal(stat(fx.dev[i].key, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(stat(fx.dev[i].cert, &st), 0);
		assert_true(S_ISREG(st.st_mode));
	}
	assert_non_null(strstr(fx.dev[0].cert, "/state/ecdsa.crt"));
	assert_non_null(strstr(fx.dev[0].key, "/state/ecdsa.key"));
	assert_non_null(strstr(fx.dev[1].cert, "/state/rsa.crt"));
	assert_non_null(strstr(fx.dev[1].key, "/state/rsa.key"));

	/* A second start keeps the files, so the pins devices hold. */
	assert_int_equal(gw_tls_devcert_ensure(fx.state, again, storage,
	    sizeof(storage), err), 0);
	assert_string_equal(again[0].cert, fx.dev[0].cert);
	assert_int_equal(pin_from_file(again[0].cert, &p, err), 0);
	assert_string_equal(p.cert_sha256_hex, fx.ecdsa.cert_sha256_hex);
	assert_int_equal(pin_from_file(again[1].cert, &p, err), 0);
	assert_string_equal(p.cert_sha256_hex, fx.rsa.cert_sha256_hex);

	assert_string_equal(fx.ecdsa.key_type, "ECDSA P-256");
	assert_string_equal(fx.rsa.key_type, "RSA 2048");
	assert_string_equal(fx.ecdsa.subject,
	    "CN=tether development certificate");
}

static void
test_devcert_regrows_cert(void **state)
{
	char dir[160], storage[2 * 4096], err[ERR_LEN], out[64];
	struct gw_tls_pair pairs[2];
	struct pin_set before, after;

	/* A crash between key and certificate: the key is kept. */
	snprintf(dir, sizeof(dir), "%s/regrow", fx.dir);
	assert_int_equal(gw_tls_devcert_ensure(dir, pairs, storage,
	    sizeof(storage), err), 0);
	assert_int_equal(pin_from_file(pairs[1].cert, &before, err), 0);
	assert_int_equal(unlink(pairs[1].cert), 0);
	assert_int_equal(gw_tls_devcert_ensure(dir, pairs, storage,
	    sizeof(storage), err), 0);
	assert_int_equal(pin_from_file(pairs[1].cert, &after, err), 0);
	assert_string_equal(before.spki_sha256_b64, after.spki_sha256_b64);
	assert_string_not_equal(before.cert_sha256_hex, after.cert_sha256_hex);

	/* A certificate without its key is not silently replaced. */
	assert_int_equal(unlink(pairs[0].key), 0);
	assert_int_equal(gw_tls_devcert_ensure(dir, pairs, storage,
	    sizeof(storage), err), -1);
	assert_non_null(strstr(err, "exists but its key"));
	assert_non_null(strstr(err, "ecdsa.key is missing"));
	run(out, sizeof(out), "rm -rf '%s'", dir);
}

static void
test_devcert_errors(void **state)
{
	struct gw_tls_pair pairs[2];
	char storage[2 * 4096], err[ERR_LEN], path[160];

	assert_int_equal(gw_tls_devcert_ensure(fx.state, pairs, storage, 20,
	    err), -1);
	assert_non_null(strstr(err, "state directory path too long"));

	/* The state directory is a file. */
	assert_int_equal(gw_tls_devcert_ensure(fx.dev[0].cert, pairs, storage,
	    sizeof(storage), err), -1);
	assert_non_null(strstr(err, "is not a directory"));

	snprintf(path, sizeof(path), "%s/no/such/dir", fx.dir);
	assert_int_equal(gw_tls_devcert_ensure(path, pairs, storage,
	    sizeof(storage), err), -1);
	assert_non_null(strstr(err, "cannot create state directory"));
	assert_non_null(strstr(err, "No such file or directory"));
}

static void
check_pins_with_openssl(const struct gw_tls_pair *pair,
    const struct pin_set *p)
{
	char out[OUT_LEN], want[OUT_LEN];
	char *eq;
	size_t i, j;

	assert_int_equal(run(out, sizeof(out), "openssl x509 -noout "
	    "-fingerprint -sha1 -in '%s'", pair->cert), 0);
	assert_non_null(eq = strchr(out, '='));
	assert_string_equal(eq + 1, p->cert_sha1_colon);
	for (i = 0, j = 0; eq[1 + i] != '\0'; i++)
		if (eq[1 + i] != ':')
			want[j++] = eq[1 + i];
	want[j] = '\0';
	assert_int_equal(strcasecmp(want, p->cert_sha1_hex), 0);

	assert_int_equal(run(out, sizeof(out), "openssl x509 -noout "
	    "-fingerprint -sha256 -in '%s'", pair->cert), 0);
	assert_non_null(eq = strchr(out, '='));
	for (i = 0, j = 0; eq[1 + i] != '\0'; i++)
		if (eq[1 + i] != ':')
			want[j++] = eq[1 + i];
	want[j] = '\0';
	assert_int_equal(strcasecmp(want, p->cert_sha256_hex), 0);

	assert_int_equal(run(out, sizeof(out), "openssl pkey -in '%s' "
	    "-pubout -outform der | openssl dgst -sha256 -binary | base64",
	    pair->key), 0);
	assert_string_equal(out, p->spki_sha256_b64);
	assert_int_equal(run(out, sizeof(out), "openssl pkey -in '%s' "
	    "-pubout -outform der | openssl dgst -sha256 -r | cut -d' ' -f1",
	    pair->key), 0);
	assert_string_equal(out, p->spki_sha256_hex);

	/* notAfter=Nov 23 06:30:00 2036 GMT, in our own form. */
	assert_int_equal(run(out, sizeof(out), "date -u -d \"$(openssl x509 "
	    "-noout -enddate -in '%s' | cut -d= -f2)\" "
	    "'+%%Y-%%m-%%d %%H:%%M:%%S UTC'", pair->cert), 0);
	assert_string_equal(out, p->not_after);
}

static void
test_pins_match_openssl(void **state)
{
	char year[16];
	time_t now = time(NULL);
	struct tm tm;

	check_pins_with_openssl(&fx.dev[0], &fx.ecdsa);
	check_pins_with_openssl(&fx.dev[1], &fx.rsa);

	/* Valid ten years: the year of not_after is now + 10. */
	gmtime_r(&now, &tm);
	snprintf(year, sizeof(year), "%04d", tm.tm_year + 1900 + 10);
	assert_memory_equal(fx.ecdsa.not_after, year, 4);
	assert_int_equal(strlen(fx.ecdsa.spki_sha256_b64), 44);
	assert_int_equal(strlen(fx.ecdsa.cert_sha1_colon), 59);
}

static void
test_devcert_extensions(void **state)
{
	char out[OUT_LEN];

	assert_int_equal(run(out, sizeof(out), "openssl x509 -noout -text "
	    "-in '%s'", fx.dev[1].cert), 0);
	assert_non_null(strstr(out, "CA:FALSE"));
	assert_non_null(strstr(out,
	    "Digital Signature, Key Encipherment"));
	assert_non_null(strstr(out, "TLS Web Server Authentication"));
	assert_non_null(strstr(out, "DNS:localhost, IP Address:127.0.0.1, "
	    "IP Address:0:0:0:0:0:0:0:1"));
	assert_non_null(strstr(out, "sha256WithRSAEncryption"));
	assert_int_equal(run(out, sizeof(out), "openssl x509 -noout -text "
	    "-in '%s'", fx.dev[0].cert), 0);
	assert_non_null(strstr(out, "ecdsa-with-SHA256"));
	assert_null(strstr(out, "Key Encipherment"));
	/* A client can take the certificate itself as its trust anchor. */
	assert_int_equal(run(out, sizeof(out), "openssl verify -CAfile '%s' "
	    "-purpose sslserver -verify_hostname localhost '%s' 2>&1",
	    fx.dev[0].cert, fx.dev[0].cert), 0);
}

static void
test_print_pins(void **state)
{
	char *buf = NULL, want[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct gw_tls_pair bad = { "/nonexistent/x.crt", "/nonexistent/x.key" };

	assert_non_null(f);
	gw_tls_print_pins(fx.dev, 2, f);
	gw_tls_print_pins(&bad, 1, f);
	fclose(f);
	snprintf(want, sizeof(want), "curl --pinnedpubkey sha256//%s",
	    fx.ecdsa.spki_sha256_b64);
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, fx.rsa.spki_sha256_hex));
	assert_non_null(strstr(buf, fx.rsa.cert_sha256_hex));
	assert_non_null(strstr(buf, fx.ecdsa.cert_sha1_colon));
	assert_non_null(strstr(buf, "(ECDSA P-256, CN=tether development "
	    "certificate, expires "));
	assert_non_null(strstr(buf, "ESP8266 setFingerprint"));
	assert_non_null(strstr(buf, "certificate /nonexistent/x.crt\n  error: "
	    "cannot open certificate /nonexistent/x.crt: No such file"));
	free(buf);
}

static void
expect_new_error(const struct gw_tls_pair *pairs, size_t n, const char *a,
    const char *b)
{
	char err[ERR_LEN] = "";
	struct gw_tls *t;

	t = gw_tls_new(pairs, n, GW_PROFILE_MODERN, err);
	if (t != NULL) {
		gw_tls_free(t);
		fail_msg("gw_tls_new succeeded; wanted \"%s\"", a);
	}
	if (strstr(err, a) == NULL || (b != NULL && strstr(err, b) == NULL))
		fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err, a,
		    b ? b : "");
	assert_int_equal(ERR_peek_error(), 0);	/* queue drained */
}

static void
test_new_errors(void **state)
{
	char enc[160], out[256];
	struct gw_tls_pair p[2];

	expect_new_error(fx.dev, 0, "no certificate to serve", NULL);

	p[0] = (struct gw_tls_pair){ "/nonexistent/a.crt", fx.dev[0].key };
	expect_new_error(p, 1, "cannot open certificate /nonexistent/a.crt",
	    "No such file or directory");
	p[0] = (struct gw_tls_pair){ fx.dev[0].cert, "/nonexistent/a.key" };
	expect_new_error(p, 1, "cannot open key /nonexistent/a.key",
	    "No such file or directory");

	/* Files swapped: a key where the certificate belongs. */
	p[0] = (struct gw_tls_pair){ fx.dev[0].key, fx.dev[0].cert };
	expect_new_error(p, 1, "holds no PEM certificate", "no start line");
	p[0] = (struct gw_tls_pair){ fx.dev[0].cert, fx.dev[0].cert };
	expect_new_error(p, 1, "holds no PEM private key", NULL);

	/* Keys that belong to other certificates. */
	p[0] = (struct gw_tls_pair){ fx.dev[0].cert, fx.dev[1].key };
	expect_new_error(p, 1, "does not belong to the certificate",
	    fx.dev[0].cert);
	p[0] = (struct gw_tls_pair){ fx.dev[0].cert, fx.other2_key };
	expect_new_error(p, 1, "does not belong to the certificate",
	    fx.other2_key);

	/* Two ECDSA certificates for the same names. */
	p[0] = fx.dev[0];
	p[1] = (struct gw_tls_pair){ fx.other2_crt, fx.other2_key };
	expect_new_error(p, 2, "are both ECDSA certificates for the same "
	    "names", fx.other2_crt);

	/* A key with a passphrase: never prompt, say what to do. */
	snprintf(enc, sizeof(enc), "%s/enc.key", fx.dir);
	assert_int_equal(run(out, sizeof(out), "openssl pkey -in '%s' "
	    "-aes256 -passout pass:secret -out '%s'", fx.dev[0].key, enc), 0);
	p[0] = (struct gw_tls_pair){ fx.dev[0].cert, enc };
	expect_new_error(p, 1, "is encrypted with a passphrase", enc);
}

static void
test_new_ok(void **state)
{
	char err[ERR_LEN];
	struct gw_tls_pair p[3] = {
		fx.dev[0], fx.dev[1], { fx.other_crt, fx.other_key },
	};
	struct gw_tls *t;

	assert_non_null(t = gw_tls_new(p, 3, GW_PROFILE_COMPAT, err));
	assert_non_null(gw_tls_default_ctx(t));
	assert_true(SSL_CTX_get_mode(gw_tls_default_ctx(t)) &
	    SSL_MODE_RELEASE_BUFFERS);
	assert_true(SSL_CTX_get_options(gw_tls_default_ctx(t)) &
	    SSL_OP_NO_RENEGOTIATION);
	assert_int_equal(SSL_CTX_get_min_proto_version(gw_tls_default_ctx(t)),
	    TLS1_2_VERSION);
	gw_tls_free(t);
	gw_tls_free(NULL);
}

/* Each profile against a client that offers one TLS 1.2 suite. */
static void
test_profiles(void **state)
{
	static const struct {
		enum gw_profile	 profile;
		const char	*suite;
		int		 key;	/* cert served, or 0: refused */
	} cases[] = {
#define K_EC	EVP_PKEY_EC
#define K_RSA	EVP_PKEY_RSA
		{ GW_PROFILE_MODERN, "ECDHE-ECDSA-AES128-GCM-SHA256", K_EC },
		{ GW_PROFILE_MODERN, "ECDHE-RSA-AES128-GCM-SHA256", K_RSA },
		{ GW_PROFILE_MODERN, "ECDHE-ECDSA-CHACHA20-POLY1305", K_EC },
		{ GW_PROFILE_MODERN, "ECDHE-ECDSA-AES128-SHA256", 0 },
		{ GW_PROFILE_MODERN, "AES128-SHA", 0 },
		{ GW_PROFILE_COMPAT, "ECDHE-ECDSA-AES128-GCM-SHA256", K_EC },
		{ GW_PROFILE_COMPAT, "ECDHE-RSA-AES128-GCM-SHA256", K_RSA },
		{ GW_PROFILE_COMPAT, "ECDHE-ECDSA-AES128-SHA256", K_EC },
		{ GW_PROFILE_COMPAT, "ECDHE-RSA-AES256-SHA", K_RSA },
		{ GW_PROFILE_COMPAT, "AES128-SHA", 0 },
		{ GW_PROFILE_LEGACY, "ECDHE-ECDSA-AES128-GCM-SHA256", K_EC },
		{ GW_PROFILE_LEGACY, "ECDHE-RSA-AES128-GCM-SHA256", K_RSA },
		{ GW_PROFILE_LEGACY, "AES128-SHA", K_RSA },
		{ GW_PROFILE_LEGACY, "AES256-SHA", K_RSA },
		{ GW_PROFILE_LEGACY, "AES128-SHA256", K_RSA },
		{ GW_PROFILE_LEGACY, "AES256-SHA256", K_RSA },
#undef K_EC
#undef K_RSA
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_tls *t = dev_tls(cases[i].profile);
		SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, cases[i].suite, 0);
		struct hs h;

		handshake(&h, gw_tls_default_ctx(t), SSL_new(cctx));
		if (cases[i].key != 0) {
			if (!h.cok || !h.sok)
				fail_msg("%s with %s: failed: %s",
				    gw_profile_name(cases[i].profile),
				    cases[i].suite, h.serr);
			assert_string_equal(SSL_CIPHER_get_name(
			    SSL_get_current_cipher(h.c)), cases[i].suite);
			assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(
			    SSL_get0_peer_certificate(h.c))), cases[i].key);
		} else {
			if (h.sok)
				fail_msg("%s accepted %s",
				    gw_profile_name(cases[i].profile),
				    cases[i].suite);
			assert_non_null(strstr(h.serr, "no shared cipher"));
		}
		hs_free(&h);
		SSL_CTX_free(cctx);
		gw_tls_free(t);
	}
}

static void
test_no_shared_cipher_words(void **state)
{
	struct gw_tls *t = dev_tls(GW_PROFILE_MODERN);
	SSL_CTX *cctx;
	struct hs h;
	char err[ERR_LEN];
	struct gw_tls_pair ecdsa_only = fx.dev[0];

	/* The ESP8266 "less secure" set: point to the legacy profile. */
	cctx = client_ctx(TLS1_2_VERSION,
	    "AES256-SHA256:AES128-SHA256:AES256-SHA:AES128-SHA", 0);
	handshake(&h, gw_tls_default_ctx(t), SSL_new(cctx));
	assert_false(h.sok);
	assert_non_null(strstr(h.serr, "no shared cipher: the client offered "
	    "none of this profile's suites"));
	assert_non_null(strstr(h.serr, "try --profile legacy-esp8266"));
	assert_int_equal(h.scls, GW_HS_NO_SHARED_CIPHER);
	hs_free(&h);
	gw_tls_free(t);

	/* Shared suites, missing certificate type: say which. */
	assert_non_null(t = gw_tls_new(&ecdsa_only, 1, GW_PROFILE_MODERN,
	    err));
	handshake(&h, gw_tls_default_ctx(t), SSL_new(cctx));
	hs_free(&h);
	SSL_CTX_free(cctx);
	cctx = client_ctx(TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256", 0);
	handshake(&h, gw_tls_default_ctx(t), SSL_new(cctx));
	assert_false(h.sok);
	assert_non_null(strstr(h.serr, "need a certificate type this name "
	    "lacks"));
	hs_free(&h);
	SSL_CTX_free(cctx);
	gw_tls_free(t);
}

static void
test_tls13_default(void **state)
{
	struct gw_tls *t = dev_tls(GW_PROFILE_MODERN);
	SSL_CTX *cctx = client_ctx(0, NULL, 0);
	struct hs h;
	char sha[65];

	handshake(&h, gw_tls_default_ctx(t), SSL_new(cctx));
	assert_true(h.cok && h.sok);
	assert_int_equal(SSL_version(h.c), TLS1_3_VERSION);
	assert_string_equal(peer_sha256(h.c, sha), fx.ecdsa.cert_sha256_hex);
	hs_free(&h);
	SSL_CTX_free(cctx);
	gw_tls_free(t);
}

/* The certificate the server sends for an SNI name (NULL: no SNI). */
static void
expect_sni(struct gw_tls *t, const char *sni, int maxver, const char *want)
{
	SSL_CTX *cctx = client_ctx(maxver, NULL, 0);
	SSL *c = SSL_new(cctx);
	struct hs h;
	char sha[65];

	if (sni != NULL)
		assert_int_equal(SSL_set_tlsext_host_name(c, sni), 1);
	handshake(&h, gw_tls_default_ctx(t), c);
	if (!h.cok || !h.sok)
		fail_msg("SNI %s: handshake failed: %s", sni ? sni : "(none)",
		    h.serr);
	if (strcmp(peer_sha256(h.c, sha), want) != 0)
		fail_msg("SNI %s: got certificate %s, wanted %s",
		    sni ? sni : "(none)", sha, want);
	hs_free(&h);
	SSL_CTX_free(cctx);
}

static void
test_sni_default(void **state)
{
	struct gw_tls *t = dev_tls(GW_PROFILE_LEGACY);
	static const char *names[] = { "127.0.0.1", "unknown.example",
	    "localhost", "::1", NULL };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		expect_sni(t, names[i], TLS1_2_VERSION,
		    fx.ecdsa.cert_sha256_hex);
		expect_sni(t, names[i], 0, fx.ecdsa.cert_sha256_hex);
	}
	gw_tls_free(t);
}

static void
test_sni_groups(void **state)
{
	static const struct {
		const char	*sni;
		int		 other;	/* 1: the second group's certificate */
	} cases[] = {
		{ "device.example.org", 1 },
		{ "DEVICE.example.ORG", 1 },
		{ "device.example.org.", 1 },
		{ "a.fleet.example.org", 1 },
		{ "A.Fleet.Example.Org", 1 },
		{ "10.9.8.7", 1 },
		{ "b.a.fleet.example.org", 0 },	/* one label deep only */
		{ "fleet.example.org", 0 },
		{ ".fleet.example.org", 0 },
		{ "example.org", 0 },
		{ "localhost", 0 },
		{ "127.0.0.1", 0 },
		{ "10.9.8.8", 0 },
		{ NULL, 0 },
	};
	char err[ERR_LEN];
	struct gw_tls_pair p[3] = {
		fx.dev[0], { fx.other_crt, fx.other_key }, fx.dev[1],
	};
	struct gw_tls *t;
	size_t i;

	assert_non_null(t = gw_tls_new(p, 3, GW_PROFILE_COMPAT, err));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expect_sni(t, cases[i].sni, 0, cases[i].other ?
		    fx.other.cert_sha256_hex : fx.ecdsa.cert_sha256_hex);
		expect_sni(t, cases[i].sni, TLS1_2_VERSION, cases[i].other ?
		    fx.other.cert_sha256_hex : fx.ecdsa.cert_sha256_hex);
	}
	gw_tls_free(t);
}

static void
test_max_fragment_length(void **state)
{
	struct gw_tls *t = dev_tls(GW_PROFILE_LEGACY);
	int versions[] = { TLS1_2_VERSION, 0 };
	size_t i;

	for (i = 0; i < 2; i++) {
		SSL_CTX *cctx = client_ctx(versions[i], NULL, 0);
		SSL *c = SSL_new(cctx);
		struct hs h;

		assert_int_equal(SSL_set_tlsext_max_fragment_length(c,
		    TLSEXT_max_fragment_length_512), 1);
		handshake(&h, gw_tls_default_ctx(t), c);
		assert_true(h.cok && h.sok);
		assert_int_equal(SSL_SESSION_get_max_fragment_length(
		    SSL_get_session(h.s)), TLSEXT_max_fragment_length_512);
		assert_int_equal(SSL_SESSION_get_max_fragment_length(
		    SSL_get_session(h.c)), TLSEXT_max_fragment_length_512);
		hs_free(&h);
		SSL_CTX_free(cctx);
	}
	gw_tls_free(t);
}

/*
 * A full handshake, then a second one offering its session: reused on
 * both sides. sni picks the group; no_ticket makes the client resume by
 * session id, the ESP8266 core's only way.
 */
static void
expect_resumed(struct gw_tls *t, int maxver, int no_ticket, const char *sni,
    int clean)
{
	SSL_CTX *cctx = client_ctx(maxver, NULL, no_ticket ? SSL_OP_NO_TICKET :
	    0);
	SSL_SESSION *sess;
	SSL *c;
	struct hs h;
	unsigned int idlen;

	c = SSL_new(cctx);
	if (sni != NULL)
		SSL_set_tlsext_host_name(c, sni);
	handshake(&h, gw_tls_default_ctx(t), c);
	assert_true(h.cok && h.sok);
	assert_int_equal(SSL_session_reused(h.c), 0);
	assert_non_null(sess = SSL_get1_session(h.c));
	assert_int_equal(SSL_SESSION_is_resumable(sess), 1);
	if (no_ticket) {
		assert_int_equal(SSL_SESSION_has_ticket(sess), 0);
		SSL_SESSION_get_id(sess, &idlen);
		assert_int_equal(idlen, 32);
	} else {
		assert_int_equal(SSL_SESSION_has_ticket(sess), 1);
	}
	hs_close(&h, clean);
	hs_free(&h);

	c = SSL_new(cctx);
	if (sni != NULL)
		SSL_set_tlsext_host_name(c, sni);
	assert_int_equal(SSL_set_session(c, sess), 1);
	handshake(&h, gw_tls_default_ctx(t), c);
	assert_true(h.cok && h.sok);
	if (SSL_session_reused(h.c) != 1 || SSL_session_reused(h.s) != 1)
		fail_msg("not resumed: TLS %x, %s, SNI %s", maxver,
		    no_ticket ? "session id" : "ticket", sni ? sni : "none");
	hs_free(&h);
	SSL_SESSION_free(sess);
	SSL_CTX_free(cctx);
}

static void
test_resumption(void **state)
{
	char err[ERR_LEN];
	struct gw_tls_pair p[3] = {
		fx.dev[0], fx.dev[1], { fx.other_crt, fx.other_key },
	};
	struct gw_tls *t;

	assert_non_null(t = gw_tls_new(p, 3, GW_PROFILE_LEGACY, err));
	expect_resumed(t, TLS1_2_VERSION, 0, NULL, 1);
	expect_resumed(t, TLS1_2_VERSION, 1, NULL, 1);
	expect_resumed(t, 0, 0, NULL, 1);
	expect_resumed(t, TLS1_2_VERSION, 1, "127.0.0.1", 1);
	expect_resumed(t, TLS1_2_VERSION, 1, "device.example.org", 1);
	expect_resumed(t, TLS1_2_VERSION, 0, "device.example.org", 1);
	expect_resumed(t, 0, 0, "a.fleet.example.org", 1);
	/* The device went to sleep without a goodbye. */
	expect_resumed(t, TLS1_2_VERSION, 1, "127.0.0.1", 0);
	expect_resumed(t, TLS1_2_VERSION, 0, NULL, 0);
	expect_resumed(t, 0, 0, NULL, 0);
	gw_tls_free(t);
}

/* The ESP8266's legacy session-id case, with AES128-SHA, under load. */
static void
test_resumption_legacy_suite(void **state)
{
	struct gw_tls *t = dev_tls(GW_PROFILE_LEGACY);
	SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, "AES128-SHA",
	    SSL_OP_NO_TICKET);
	SSL_SESSION *sess;
	struct hs h;

	handshake(&h, gw_tls_default_ctx(t), SSL_new(cctx));
	assert_true(h.cok && h.sok);
	sess = SSL_get1_session(h.c);
	hs_close(&h, 0);
	hs_free(&h);
	SSL *c = SSL_new(cctx);
	SSL_set_session(c, sess);
	handshake(&h, gw_tls_default_ctx(t), c);
	assert_true(h.cok && h.sok);
	assert_int_equal(SSL_session_reused(h.s), 1);
	assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(h.c)),
	    "AES128-SHA");
	hs_free(&h);
	SSL_SESSION_free(sess);
	SSL_CTX_free(cctx);
	gw_tls_free(t);
}

/* Feeds raw bytes, then EOF, to a server SSL; returns its error line. */
static enum gw_hs_fail
raw_client(struct gw_tls *t, const void *bytes, size_t n, char *line)
{
	enum gw_hs_fail cls;
	BIO *cb, *sb;
	SSL *s;
	int r;

	assert_non_null(s = SSL_new(gw_tls_default_ctx(t)));
	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(s, sb, sb);
	if (n > 0)
		assert_int_equal(BIO_write(cb, bytes, (int)n), (int)n);
	BIO_shutdown_wr(cb);
	ERR_clear_error();
	r = SSL_accept(s);
	assert_true(r <= 0);
	cls = gw_tls_handshake_error(s, r, line, ERR_LEN);
	assert_int_equal(ERR_peek_error(), 0);
	SSL_free(s);
	BIO_free(cb);
	return cls;
}

static void
test_handshake_errors(void **state)
{
	static const char http[] = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char junk[] = "\x16\x09\x09\x00\x30hello there, TLS";
	struct gw_tls *t = dev_tls(GW_PROFILE_MODERN);
	char line[ERR_LEN];
	SSL_CTX *cctx;
	struct hs h;

	/* Each line with its class, the metrics' reason label. */
	assert_int_equal(raw_client(t, http, sizeof(http) - 1, line),
	    GW_HS_NOT_TLS);
	assert_string_equal(line, "client spoke plain HTTP to the TLS port "
	    "(use https://)");
	assert_int_equal(raw_client(t, NULL, 0, line), GW_HS_CLOSED);
	assert_string_equal(line, "client closed the connection during the "
	    "handshake");
	assert_int_equal(raw_client(t, junk, sizeof(junk) - 1, line),
	    GW_HS_NOT_TLS);
	assert_non_null(strstr(line, "client did not speak TLS"));

	/* A client that speaks no more than TLS 1.0. */
	cctx = client_ctx(TLS1_VERSION, "DEFAULT:@SECLEVEL=0", 0);
	SSL_CTX_set_security_level(cctx, 0);
	handshake(&h, gw_tls_default_ctx(t), SSL_new(cctx));
	assert_false(h.sok);
	assert_string_equal(h.serr, "unsupported protocol version: the client "
	    "offered only TLS 1.0; the gateway needs TLS 1.2 or later");
	assert_int_equal(h.scls, GW_HS_PROTOCOL_VERSION);
	hs_free(&h);
	SSL_CTX_free(cctx);

	/* A client that does not trust the certificate says so. */
	cctx = client_ctx(TLS1_2_VERSION, NULL, 0);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
	handshake(&h, gw_tls_default_ctx(t), SSL_new(cctx));
	assert_false(h.sok);
	assert_non_null(strstr(h.serr, "client sent alert: unknown CA (the "
	    "client rejected the server's certificate"));
	assert_int_equal(h.scls, GW_HS_CLIENT_ALERT);
	hs_free(&h);
	SSL_CTX_set_max_proto_version(cctx, 0);
	handshake(&h, gw_tls_default_ctx(t), SSL_new(cctx));
	assert_false(h.sok);
	assert_non_null(strstr(h.serr, "client sent alert: unknown CA"));
	assert_int_equal(h.scls, GW_HS_CLIENT_ALERT);
	hs_free(&h);
	SSL_CTX_free(cctx);
	gw_tls_free(t);
}

/* A real client: openssl s_client against a server thread on loopback. */

struct server {
	int		 fd;
	SSL_CTX		*ctx;
	int		 ok;
	int		 mfl;		/* max fragment length code */
	char		 cipher[64];
	char		 err[ERR_LEN];
};

static void *
serve_one(void *arg)
{
	struct server *sv = arg;
	struct pollfd pfd = { .fd = sv->fd, .events = POLLIN };
	struct timeval tv = { .tv_sec = ACCEPT_MS / 1000 };
	SSL *s;
	int c, r;
	char buf[256];

	if (poll(&pfd, 1, ACCEPT_MS) != 1 ||
	    (c = accept(sv->fd, NULL, NULL)) == -1) {
		snprintf(sv->err, sizeof(sv->err), "no connection");
		return NULL;
	}
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	s = SSL_new(sv->ctx);
	SSL_set_fd(s, c);
	ERR_clear_error();
	if ((r = SSL_accept(s)) == 1) {
		sv->ok = 1;
		sv->mfl = SSL_SESSION_get_max_fragment_length(
		    SSL_get_session(s));
		snprintf(sv->cipher, sizeof(sv->cipher), "%s",
		    SSL_CIPHER_get_name(SSL_get_current_cipher(s)));
		SSL_write(s, "ok\n", 3);
		while (SSL_read(s, buf, sizeof(buf)) > 0)
			;
		ERR_clear_error();
	} else {
		gw_tls_handshake_error(s, r, sv->err, sizeof(sv->err));
	}
	SSL_free(s);
	close(c);
	return NULL;
}

static void
s_client(struct gw_tls *t, struct server *sv, char *out, size_t len,
    const char *args)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sin);
	pthread_t th;

	memset(sv, 0, sizeof(*sv));
	sv->ctx = gw_tls_default_ctx(t);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((sv->fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(sv->fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	assert_int_equal(listen(sv->fd, 1), 0);
	assert_int_equal(getsockname(sv->fd, (struct sockaddr *)&sin, &slen),
	    0);
	assert_int_equal(pthread_create(&th, NULL, serve_one, sv), 0);
	run(out, len, "echo | timeout 20 openssl s_client -connect "
	    "127.0.0.1:%d %s 2>&1", ntohs(sin.sin_port), args);
	pthread_join(th, NULL);
	close(sv->fd);
}

static void
test_openssl_s_client(void **state)
{
	struct gw_tls *t = dev_tls(GW_PROFILE_LEGACY);
	struct gw_tls *m = dev_tls(GW_PROFILE_MODERN);
	struct server sv;
	char out[OUT_LEN];

	/* A device with a 512-byte record buffer. */
	s_client(t, &sv, out, sizeof(out), "-tls1_2 -maxfraglen 512 "
	    "-tlsextdebug");
	if (!sv.ok)
		fail_msg("s_client -maxfraglen 512: %s\n%s", sv.err, out);
	assert_int_equal(sv.mfl, TLSEXT_max_fragment_length_512);
	/* The server's answer: extension 1, one byte, code 1 (2^9). */
	assert_non_null(strstr(out, "TLS server extension \"max fragment "
	    "length\" (id=1), len=1\n0000 - 01 "));

	/* The article's device suites: the legacy profile only. */
	s_client(t, &sv, out, sizeof(out), "-tls1_2 -cipher AES128-SHA "
	    "-servername 127.0.0.1");
	if (!sv.ok)
		fail_msg("s_client AES128-SHA on legacy: %s\n%s", sv.err, out);
	assert_string_equal(sv.cipher, "AES128-SHA");
	s_client(m, &sv, out, sizeof(out), "-tls1_2 -cipher AES128-SHA");
	assert_false(sv.ok);
	assert_non_null(strstr(sv.err, "no shared cipher"));
	assert_non_null(strstr(sv.err, "legacy-esp8266"));

	/* A wrong name still gets the default certificate. */
	s_client(m, &sv, out, sizeof(out), "-servername wrong.example");
	assert_true(sv.ok);
	assert_non_null(strstr(out, "CN = tether development certificate"));
	gw_tls_free(t);
	gw_tls_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_names),
		cmocka_unit_test(test_devcert_files),
		cmocka_unit_test(test_devcert_regrows_cert),
		cmocka_unit_test(test_devcert_errors),
		cmocka_unit_test(test_pins_match_openssl),
		cmocka_unit_test(test_devcert_extensions),
		cmocka_unit_test(test_print_pins),
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_new_ok),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_no_shared_cipher_words),
		cmocka_unit_test(test_tls13_default),
		cmocka_unit_test(test_sni_default),
		cmocka_unit_test(test_sni_groups),
		cmocka_unit_test(test_max_fragment_length),
		cmocka_unit_test(test_resumption),
		cmocka_unit_test(test_resumption_legacy_suite),
		cmocka_unit_test(test_handshake_errors),
		cmocka_unit_test(test_openssl_s_client),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
