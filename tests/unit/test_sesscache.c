/* SPDX-License-Identifier: MIT */
/*
 * test_sesscache.c - the gateway's session cache, driven by real
 * handshakes in process over memory BIO pairs: resumption by id across
 * SNI groups, tickets untouched, eviction, expiry, removal, threads, and
 * what a cached session costs next to OpenSSL's own cache.
 */
#include <malloc.h>
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

#include "gateway/limits.h"
#include "gateway/sesscache.h"
#include "gateway/tls.h"

#define ERR_LEN		256
#define CMD_LEN		4096
#define HS_ROUNDS	64	/* flights; a handshake needs fewer than 10 */
#define SESS_SLOTS	8	/* sessions a test keeps on the client side */
#define THREADS		4
#define THREAD_ROUNDS	25
#define MEM_SESSIONS	200	/* handshakes the memory figure averages */
#define DER_BUDGET	400	/* bytes a cached TLS 1.2 session may cost */
#define SID_CTX		"test-sesscache"

static struct {
	char			dir[64];
	char			state[128];
	char			storage[2 * 4096];
	struct gw_tls_pair	dev[2];		/* [0] ECDSA, [1] RSA */
	char			other_crt[160], other_key[160];
	char			big_crt[160], big_key[160];	/* client's */
} fx;

static int
sh(const char *fmt, ...)
{
	char cmd[CMD_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int
setup_all(void **state)
{
	char err[ERR_LEN], sans[CMD_LEN];
	size_t used = 0;
	int i;

	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_sesscache.XXXXXX");
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	snprintf(fx.state, sizeof(fx.state), "%s/state", fx.dir);
	if (gw_tls_devcert_ensure(fx.state, fx.dev, fx.storage,
	    sizeof(fx.storage), err) != 0) {
		fprintf(stderr, "devcert_ensure: %s\n", err);
		return -1;
	}
	/* A second SNI group. */
	snprintf(fx.other_crt, sizeof(fx.other_crt), "%s/other.crt", fx.dir);
	snprintf(fx.other_key, sizeof(fx.other_key), "%s/other.key", fx.dir);
	if (sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -days 2 -subj /CN=other -addext subjectAltName=DNS:"
	    "device.example.org -keyout %s -out %s 2>/dev/null",
	    fx.other_key, fx.other_crt) != 0)
		return -1;
	/* A client certificate over 2 KiB: sessions that carry it are too
	 * big to cache. */
	for (i = 0; i < 60; i++)
		used += (size_t)snprintf(sans + used, sizeof(sans) - used,
		    "%sDNS:name-%02d.a-rather-long-domain.example.org",
		    i > 0 ? "," : "", i);
	snprintf(fx.big_crt, sizeof(fx.big_crt), "%s/big.crt", fx.dir);
	snprintf(fx.big_key, sizeof(fx.big_key), "%s/big.key", fx.dir);
	if (sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -days 2 -subj /CN=big -addext subjectAltName=%s "
	    "-keyout %s -out %s 2>/dev/null", sans, fx.big_key,
	    fx.big_crt) != 0)
		return -1;
	return 0;
}

static int
teardown_all(void **state)
{
	if (fx.dir[0] != '\0')
		sh("rm -rf '%s'", fx.dir);
	return 0;
}

/* Handshakes over an in-memory BIO pair */

static SSL_CTX *
client_ctx(int maxver, long opts)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (maxver != 0)
		SSL_CTX_set_max_proto_version(ctx, maxver);
	SSL_CTX_set_options(ctx, opts);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

/* A server context like the gateway's, its sessions in cache c. */
static SSL_CTX *
server_ctx(struct gw_sesscache *c, long timeout)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx,
	    fx.dev[0].cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, fx.dev[0].key,
	    SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_set_session_id_context(ctx,
	    (const unsigned char *)SID_CTX, sizeof(SID_CTX) - 1), 1);
	SSL_CTX_set_timeout(ctx, timeout);
	assert_int_equal(gw_sesscache_attach(c, ctx), 0);
	assert_ptr_equal(gw_sesscache_of(ctx), c);
	return ctx;
}

/*
 * Client c against a new server SSL of sctx until both finish or one
 * fails. The client then reads once, so TLS 1.3 tickets reach it. 1 when
 * both finished. Uses no cmocka assertion: threads call it too.
 */
static int
handshake(SSL_CTX *sctx, SSL *c, SSL **sout)
{
	BIO *cb, *sb;
	SSL *s;
	int cok = 0, sok = 0, cfail = 0, sfail = 0, i, r, e;
	char byte;

	if ((s = SSL_new(sctx)) == NULL ||
	    BIO_new_bio_pair(&cb, 0, &sb, 0) != 1) {
		SSL_free(s);
		return 0;
	}
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (i = 0; i < HS_ROUNDS && !((cok || cfail) && (sok || sfail));
	    i++) {
		if (!cok && !cfail) {
			r = SSL_do_handshake(c);
			e = SSL_get_error(c, r);
			cok = r == 1;
			cfail = r != 1 && e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE;
		}
		if (!sok && !sfail) {
			r = SSL_do_handshake(s);
			e = SSL_get_error(s, r);
			sok = r == 1;
			sfail = r != 1 && e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE;
		}
	}
	if (cok && sok)
		SSL_read(c, &byte, 1);
	ERR_clear_error();
	*sout = s;
	return cok && sok;
}

/* Both sides say goodbye: the session stays resumable. */
static void
close_pair(SSL *c, SSL *s)
{
	SSL_shutdown(c);
	SSL_shutdown(s);
	ERR_clear_error();
	SSL_free(c);
	SSL_free(s);
}

/*
 * One connection: offers sess if not NULL, sni if not NULL. Returns
 * whether the server resumed; *out gets the client's session (a new
 * reference) when out is not NULL.
 */
static int
connect_once(SSL_CTX *sctx, SSL_CTX *cctx, const char *sni,
    SSL_SESSION *sess, SSL_SESSION **out)
{
	SSL *c = SSL_new(cctx), *s = NULL;
	int resumed;

	assert_non_null(c);
	if (sni != NULL)
		assert_int_equal(SSL_set_tlsext_host_name(c, sni), 1);
	if (sess != NULL)
		assert_int_equal(SSL_set_session(c, sess), 1);
	if (!handshake(sctx, c, &s))
		fail_msg("handshake failed (SNI %s)", sni ? sni : "none");
	resumed = SSL_session_reused(s);
	assert_int_equal(SSL_session_reused(c), resumed);
	if (out != NULL)
		assert_non_null(*out = SSL_get1_session(c));
	close_pair(c, s);
	return resumed;
}

static struct gw_sesscache_stats
stats(SSL_CTX *ctx)
{
	struct gw_sesscache_stats st;

	assert_non_null(gw_sesscache_of(ctx));
	gw_sesscache_stats(gw_sesscache_of(ctx), &st);
	return st;
}

static struct gw_tls *
three_groups(void)
{
	char err[ERR_LEN];
	struct gw_tls_pair p[3] = {
		fx.dev[0], fx.dev[1], { fx.other_crt, fx.other_key },
	};
	struct gw_tls *t = gw_tls_new(p, 3, GW_PROFILE_LEGACY, err);

	if (t == NULL)
		fail_msg("gw_tls_new: %s", err);
	return t;
}

/* The tests */

static void
test_new_and_free(void **state)
{
	struct gw_sesscache *c;
	struct gw_sesscache_stats st;
	SSL_CTX *ctx;

	assert_null(gw_sesscache_new(0));
	assert_non_null(c = gw_sesscache_new(GW_SESSION_CACHE_MAX));
	gw_sesscache_stats(c, &st);
	assert_int_equal(st.count, 0);
	assert_int_equal(st.bytes, 0);
	assert_true(st.table_bytes > 0);
	assert_true(st.table_bytes <= 256 * sizeof(void *));

	/* Attach sets the mode; detach leaves no dangling link. */
	assert_non_null(ctx = SSL_CTX_new(TLS_server_method()));
	assert_null(gw_sesscache_of(ctx));
	assert_int_equal(gw_sesscache_attach(c, ctx), 0);
	assert_int_equal(SSL_CTX_get_session_cache_mode(ctx),
	    SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL |
	    SSL_SESS_CACHE_NO_AUTO_CLEAR);
	assert_non_null(SSL_CTX_sess_get_new_cb(ctx));
	gw_sesscache_detach(ctx);
	assert_null(gw_sesscache_of(ctx));
	assert_null(SSL_CTX_sess_get_get_cb(ctx));
	gw_sesscache_detach(NULL);
	assert_null(gw_sesscache_of(NULL));
	SSL_CTX_free(ctx);
	gw_sesscache_free(c);
	gw_sesscache_free(NULL);
}

/* The ESP8266 core's way: session id, TLS 1.2, with and without SNI. */
static void
test_resume_by_id_across_groups(void **state)
{
	static const char *snis[] = { NULL, "127.0.0.1", "device.example.org",
	    "localhost" };
	struct gw_tls *t = three_groups();
	SSL_CTX *def = gw_tls_default_ctx(t);
	SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, SSL_OP_NO_TICKET);
	SSL_SESSION *sess;
	SSL *c, *s;
	size_t i;
	unsigned int idlen;

	/* OpenSSL's own cache is off: ours is the only one. */
	assert_true(SSL_CTX_get_session_cache_mode(def) &
	    SSL_SESS_CACHE_NO_INTERNAL);
	for (i = 0; i < sizeof(snis) / sizeof(snis[0]); i++) {
		assert_int_equal(connect_once(def, cctx, snis[i], NULL, &sess),
		    0);
		SSL_SESSION_get_id(sess, &idlen);
		assert_int_equal(idlen, 32);
		assert_int_equal(stats(def).count, i + 1);
		if (connect_once(def, cctx, snis[i], sess, NULL) != 1)
			fail_msg("not resumed by id, SNI %s",
			    snis[i] ? snis[i] : "none");
		/* Twice: a hit leaves the entry in place. */
		assert_int_equal(connect_once(def, cctx, snis[i], sess, NULL),
		    1);
		SSL_SESSION_free(sess);
	}
	assert_int_equal(stats(def).hits, 2 * i);
	assert_int_equal(stats(def).count, i);

	/* The second group's context shares the default's cache. */
	c = SSL_new(cctx);
	SSL_set_tlsext_host_name(c, "device.example.org");
	assert_true(handshake(def, c, &s));
	assert_ptr_not_equal(SSL_get_SSL_CTX(s), def);
	assert_ptr_equal(gw_sesscache_of(SSL_get_SSL_CTX(s)),
	    gw_sesscache_of(def));
	close_pair(c, s);
	SSL_CTX_free(cctx);
	gw_tls_free(t);
}

/* Tickets resume as before, and cost the cache nothing. */
static void
test_tickets_bypass_cache(void **state)
{
	struct gw_tls *t = three_groups();
	SSL_CTX *def = gw_tls_default_ctx(t);
	int versions[] = { TLS1_2_VERSION, 0 };
	SSL_SESSION *sess;
	size_t i;

	for (i = 0; i < 2; i++) {
		SSL_CTX *cctx = client_ctx(versions[i], 0);

		assert_int_equal(connect_once(def, cctx, NULL, NULL, &sess), 0);
		assert_int_equal(SSL_SESSION_has_ticket(sess), 1);
		assert_int_equal(connect_once(def, cctx, NULL, sess, NULL), 1);
		assert_int_equal(connect_once(def, cctx, "device.example.org",
		    NULL, NULL), 0);
		SSL_SESSION_free(sess);
		SSL_CTX_free(cctx);
	}
	assert_int_equal(stats(def).count, 0);
	assert_int_equal(stats(def).hits + stats(def).misses, 0);
	gw_tls_free(t);
}

/* A server with stateful TLS 1.3 tickets finds them here. */
static void
test_tls13_stateful(void **state)
{
	struct gw_sesscache *c = gw_sesscache_new(8);
	SSL_CTX *sctx = server_ctx(c, 3600);
	SSL_CTX *cctx = client_ctx(0, 0);
	SSL_SESSION *sess;

	SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(sctx, 1);
	assert_int_equal(connect_once(sctx, cctx, NULL, NULL, &sess), 0);
	assert_int_equal(SSL_SESSION_get_protocol_version(sess),
	    TLS1_3_VERSION);
	assert_int_equal(stats(sctx).count, 1);
	assert_int_equal(connect_once(sctx, cctx, NULL, sess, NULL), 1);
	assert_int_equal(stats(sctx).hits, 1);
	SSL_SESSION_free(sess);
	SSL_CTX_free(cctx);
	gw_sesscache_detach(sctx);
	SSL_CTX_free(sctx);
	gw_sesscache_free(c);
}

/* At the bound the oldest session goes first. */
static void
test_eviction(void **state)
{
	struct gw_sesscache *c = gw_sesscache_new(4);
	SSL_CTX *sctx = server_ctx(c, 3600);
	SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, SSL_OP_NO_TICKET);
	SSL_SESSION *sess[6];
	struct gw_sesscache_stats st;
	size_t i;

	for (i = 0; i < 6; i++)
		assert_int_equal(connect_once(sctx, cctx, NULL, NULL,
		    &sess[i]), 0);
	st = stats(sctx);
	assert_int_equal(st.count, 4);
	assert_int_equal(st.evicted, 2);
	/* Hits first: a miss makes a new session, which evicts again. */
	for (i = 2; i < 6; i++)
		if (connect_once(sctx, cctx, NULL, sess[i], NULL) != 1)
			fail_msg("session %zu of 6 not resumed", i + 1);
	for (i = 0; i < 2; i++)
		if (connect_once(sctx, cctx, NULL, sess[i], NULL) != 0)
			fail_msg("evicted session %zu resumed", i + 1);
	st = stats(sctx);
	assert_int_equal(st.hits, 4);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.evicted, 4);
	assert_int_equal(st.count, 4);
	/* The two full handshakes pushed out sessions 3 and 4. */
	assert_int_equal(connect_once(sctx, cctx, NULL, sess[2], NULL), 0);
	for (i = 0; i < 6; i++)
		SSL_SESSION_free(sess[i]);
	SSL_CTX_free(cctx);
	gw_sesscache_detach(sctx);
	SSL_CTX_free(sctx);
	gw_sesscache_free(c);
}

/* Another node's session, as the store gives it: id i, a DER that is
 * never decoded here. 1 when it went in. */
static int
add_foreign(struct gw_sesscache *c, int i, int foreign)
{
	unsigned char id[32], der[100];

	memset(id, 0xf0 ^ i, sizeof(id));
	memset(der, i, sizeof(der));
	return gw_sesscache_add(c, id, sizeof(id), der, sizeof(der),
	    time(NULL) + 3600, foreign, time(NULL));
}

/*
 * Other nodes' sessions take only what this node's leave, half the
 * cache at most, and go first: on N nodes of one store a device that
 * stays on its node keeps its session (review: with one age list, each
 * node kept the newest max of the cluster's sessions).
 */
static void
test_foreign_share(void **state)
{
	struct gw_sesscache *c = gw_sesscache_new(8), *d;
	SSL_CTX *sctx = server_ctx(c, 3600);
	SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, SSL_OP_NO_TICKET);
	char path[160], err[256];
	SSL_SESSION *sess[8];
	struct gw_sesscache_stats st;
	size_t saved;
	int i;

	/* Alone, other nodes' hold half: the newest four of six. */
	for (i = 0; i < 6; i++)
		assert_int_equal(add_foreign(c, i, 1), 1);
	st = stats(sctx);
	assert_int_equal(st.count, 4);
	assert_int_equal(st.foreign, 4);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(add_foreign(c, 5, 1), 0);	/* still here */

	/* Six of ours: the room they need is taken from other nodes'. */
	for (i = 0; i < 6; i++)
		assert_int_equal(connect_once(sctx, cctx, NULL, NULL,
		    &sess[i]), 0);
	st = stats(sctx);
	assert_int_equal(st.count, 8);
	assert_int_equal(st.foreign, 2);
	/* A flood of other nodes' sessions pushes out none of ours. */
	for (i = 10; i < 40; i++)
		(void)add_foreign(c, i, 1);
	st = stats(sctx);
	assert_int_equal(st.count, 8);
	assert_int_equal(st.foreign, 2);

	/* Saved and read back, each kind keeps its place. */
	snprintf(path, sizeof(path), "%s/sessions.share", fx.dir);
	assert_int_equal(gw_sesscache_save(c, path, &saved, err), 0);
	assert_int_equal(saved, 8);
	assert_non_null(d = gw_sesscache_new(8));
	assert_int_equal(gw_sesscache_load(d, path, time(NULL), err), 8);
	gw_sesscache_stats(d, &st);
	assert_int_equal(st.foreign, 2);
	assert_int_equal(add_foreign(d, 39, 1), 0);	/* the newest kept */
	/* ours of a run before (read back from the store) are ours */
	assert_int_equal(add_foreign(d, 50, 0), 1);
	gw_sesscache_stats(d, &st);
	assert_int_equal(st.foreign, 1);
	gw_sesscache_free(d);

	/* Ours fill the cache: other nodes' are refused, not let in. */
	for (i = 6; i < 8; i++)
		assert_int_equal(connect_once(sctx, cctx, NULL, NULL,
		    &sess[i]), 0);
	st = stats(sctx);
	assert_int_equal(st.count, 8);
	assert_int_equal(st.foreign, 0);
	assert_int_equal(add_foreign(c, 60, 1), 0);
	for (i = 0; i < 8; i++)
		if (connect_once(sctx, cctx, NULL, sess[i], NULL) != 1)
			fail_msg("session %d of ours not resumed", i + 1);
	for (i = 0; i < 8; i++)
		SSL_SESSION_free(sess[i]);
	SSL_CTX_free(cctx);
	gw_sesscache_detach(sctx);
	SSL_CTX_free(sctx);
	gw_sesscache_free(c);
}

static void fill(SSL_CTX *sctx, SSL_CTX *cctx, int n);

/* What gw_sesscache_take gave, as resume.c's batch holds it. */
struct taken {
	unsigned char	id[4][32];
	size_t		n;
};

static void
take_one(void *arg, const unsigned char *id, size_t idlen,
    const unsigned char *der, size_t derlen, time_t expires)
{
	struct taken *t = arg;

	assert_true(idlen == 32 && t->n < 4);
	memcpy(t->id[t->n++], id, 32);
}

/*
 * A store that does not answer: of the sessions waiting, those more than
 * queue behind are skipped and counted once; a batch the store refused
 * is given again, without counting the skipped again (review: restoring
 * *since to before the skip counted them at every failed sync).
 */
static void
test_take_outage(void **state)
{
	struct gw_sesscache *c = gw_sesscache_new(32);
	SSL_CTX *sctx = server_ctx(c, 3600);
	SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, SSL_OP_NO_TICKET);
	uint64_t since = 0, before, skipped = 0, was;
	struct taken t = { .n = 0 }, again = { .n = 0 };

	fill(sctx, cctx, 10);
	/* queue 4: sessions 1-6 fall out, 7 and 8 are given */
	assert_int_equal(gw_sesscache_take(c, &since, 2, 4, take_one, &t,
	    &skipped), 2);
	assert_int_equal(skipped, 6);
	/* the store refused them: back, as resume.c puts it */
	before = 0;
	since = before + (skipped - 0);
	was = skipped;
	assert_int_equal(gw_sesscache_take(c, &since, 2, 4, take_one, &again,
	    &skipped), 2);
	assert_int_equal(skipped, was);
	assert_memory_equal(again.id, t.id, sizeof(t.id[0]) * 2);
	/* three more: 9 is now more than 4 behind, 10 and 11 are given */
	fill(sctx, cctx, 3);
	t.n = 0;
	assert_int_equal(gw_sesscache_take(c, &since, 2, 4, take_one, &t,
	    &skipped), 2);
	assert_int_equal(skipped, 7);
	t.n = 0;
	assert_int_equal(gw_sesscache_take(c, &since, 4, 4, take_one, &t,
	    &skipped), 2);
	assert_int_equal(skipped, 7);
	assert_int_equal(since, 13);
	SSL_CTX_free(cctx);
	gw_sesscache_detach(sctx);
	SSL_CTX_free(sctx);
	gw_sesscache_free(c);
}

/*
 * A session's time is its full handshake's plus its timeout, both in
 * whole seconds: a timeout of 2 keeps a and b alive across one second's
 * boundary while keep is made (a timeout of 1 lost them when a boundary
 * fell between the handshakes), and 3 s of sleep expires them for sure.
 */
static void
test_expiry(void **state)
{
	struct gw_sesscache *c = gw_sesscache_new(16);
	SSL_CTX *sctx = server_ctx(c, 2);
	SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, SSL_OP_NO_TICKET);
	SSL_SESSION *a, *b, *keep;
	struct gw_sesscache_stats st;

	assert_int_equal(connect_once(sctx, cctx, NULL, NULL, &a), 0);
	assert_int_equal(connect_once(sctx, cctx, NULL, NULL, &b), 0);
	SSL_CTX_set_timeout(sctx, 3600);
	assert_int_equal(connect_once(sctx, cctx, NULL, NULL, &keep), 0);
	assert_int_equal(stats(sctx).count, 3);
	sleep(3);

	/*
	 * a is found expired and dropped before OpenSSL sees it; the full
	 * handshake that follows stores a new session, and on the way
	 * sweeps b from the old end. keep has an hour left.
	 */
	assert_int_equal(connect_once(sctx, cctx, NULL, a, NULL), 0);
	st = stats(sctx);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.count, 2);
	assert_int_equal(connect_once(sctx, cctx, NULL, keep, NULL), 1);
	assert_int_equal(connect_once(sctx, cctx, NULL, b, NULL), 0);
	assert_int_equal(stats(sctx).expired, 2);
	SSL_SESSION_free(a);
	SSL_SESSION_free(b);
	SSL_SESSION_free(keep);
	SSL_CTX_free(cctx);
	gw_sesscache_detach(sctx);
	SSL_CTX_free(sctx);
	gw_sesscache_free(c);
}

/* OpenSSL gives a session up: a broken connection, or told to. */
static void
test_removal(void **state)
{
	struct gw_sesscache *c = gw_sesscache_new(16);
	SSL_CTX *sctx = server_ctx(c, 3600);
	SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, SSL_OP_NO_TICKET);
	SSL_SESSION *sess;
	SSL *cl, *s;
	char byte;

	/* Freed without a goodbye after the handshake: a "bad" session. */
	cl = SSL_new(cctx);
	assert_true(handshake(sctx, cl, &s));
	assert_int_equal(stats(sctx).count, 1);
	sess = SSL_get1_session(cl);
	SSL_free(s);
	SSL_free(cl);
	assert_int_equal(stats(sctx).count, 0);
	assert_int_equal(stats(sctx).removed, 1);
	/* Its id is unknown now: a full handshake, and a new session. */
	assert_int_equal(connect_once(sctx, cctx, NULL, sess, NULL), 0);
	assert_int_equal(stats(sctx).count, 1);
	SSL_SESSION_free(sess);

	/* A device that sleeps without close_notify keeps its session, as
	 * long as the server ends the connection as the gateway does. */
	cl = SSL_new(cctx);
	assert_true(handshake(sctx, cl, &s));
	sess = SSL_get1_session(cl);
	SSL_set_shutdown(cl, SSL_SENT_SHUTDOWN);
	BIO_shutdown_wr(SSL_get_wbio(cl));
	SSL_set_options(s, SSL_OP_IGNORE_UNEXPECTED_EOF);
	assert_int_equal(SSL_read(s, &byte, 1), 0);
	SSL_shutdown(s);
	ERR_clear_error();
	SSL_free(s);
	SSL_free(cl);
	assert_int_equal(connect_once(sctx, cctx, NULL, sess, NULL), 1);

	/* SSL_CTX_remove_session reaches the cache. */
	assert_int_equal(stats(sctx).count, 2);
	cl = SSL_new(cctx);
	SSL_set_session(cl, sess);
	assert_true(handshake(sctx, cl, &s));
	assert_int_equal(SSL_session_reused(s), 1);
	SSL_CTX_remove_session(sctx, SSL_get_session(s));
	close_pair(cl, s);
	assert_int_equal(stats(sctx).count, 1);
	assert_int_equal(stats(sctx).removed, 2);
	assert_int_equal(connect_once(sctx, cctx, NULL, sess, NULL), 0);
	SSL_SESSION_free(sess);
	SSL_CTX_free(cctx);
	gw_sesscache_detach(sctx);
	SSL_CTX_free(sctx);
	gw_sesscache_free(c);
}

static int
accept_any(int ok, X509_STORE_CTX *x)
{
	return 1;
}

/* A session too big to be a device's is not kept, and nothing breaks. */
static void
test_refuses_big_session(void **state)
{
	struct gw_sesscache *c = gw_sesscache_new(16);
	SSL_CTX *sctx = server_ctx(c, 3600);
	SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, SSL_OP_NO_TICKET);
	SSL_SESSION *sess;

	SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, accept_any);
	assert_int_equal(SSL_CTX_use_certificate_file(cctx, fx.big_crt,
	    SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(cctx, fx.big_key,
	    SSL_FILETYPE_PEM), 1);
	assert_int_equal(connect_once(sctx, cctx, NULL, NULL, &sess), 0);
	assert_int_equal(stats(sctx).refused, 1);
	assert_int_equal(stats(sctx).count, 0);
	assert_int_equal(connect_once(sctx, cctx, NULL, sess, NULL), 0);
	SSL_SESSION_free(sess);
	SSL_CTX_free(cctx);
	gw_sesscache_detach(sctx);
	SSL_CTX_free(sctx);
	gw_sesscache_free(c);
}

/* Several workers at once, with evictions between them. */
struct worker {
	SSL_CTX		*sctx;
	int		 failed;	/* handshakes that did not finish */
	int		 resumed;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, SSL_OP_NO_TICKET);
	SSL_SESSION *sess;
	SSL *c, *s;
	int i;

	for (i = 0; i < THREAD_ROUNDS; i++) {
		c = SSL_new(cctx);
		if (!handshake(w->sctx, c, &s)) {
			w->failed++;
			SSL_free(c);
			SSL_free(s);
			continue;
		}
		sess = SSL_get1_session(c);
		close_pair(c, s);
		c = SSL_new(cctx);
		SSL_set_session(c, sess);
		if (!handshake(w->sctx, c, &s))
			w->failed++;
		else
			w->resumed += SSL_session_reused(s);
		SSL_SESSION_free(sess);
		close_pair(c, s);
	}
	SSL_CTX_free(cctx);
	return NULL;
}

static void
test_threads(void **state)
{
	struct gw_sesscache *c = gw_sesscache_new(SESS_SLOTS);
	SSL_CTX *sctx = server_ctx(c, 3600);
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct gw_sesscache_stats st;
	int i, resumed = 0;

	memset(w, 0, sizeof(w));
	for (i = 0; i < THREADS; i++) {
		w[i].sctx = sctx;
		assert_int_equal(pthread_create(&th[i], NULL, worker_run,
		    &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failed, 0);
		resumed += w[i].resumed;
	}
	st = stats(sctx);
	assert_true(st.count <= SESS_SLOTS);
	assert_int_equal(st.hits, (uint64_t)resumed);
	assert_int_equal(st.hits + st.misses, THREADS * THREAD_ROUNDS);
	/* Every session made either is here or was evicted. */
	assert_int_equal(st.count + st.evicted,
	    THREADS * THREAD_ROUNDS + st.misses);
	/* Each thread resumes right after it stored: nearly always a hit. */
	assert_true(resumed >= THREADS * THREAD_ROUNDS / 2);
	gw_sesscache_detach(sctx);
	SSL_CTX_free(sctx);
	gw_sesscache_free(c);
}

/* Heap bytes in use, or 0 where the allocator does not say (ASan). */
static size_t
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks;
}

/* n full TLS 1.2 handshakes by session id, each leaving a session. */
static void
fill(SSL_CTX *sctx, SSL_CTX *cctx, int n)
{
	int i;

	for (i = 0; i < n; i++)
		assert_int_equal(connect_once(sctx, cctx, NULL, NULL, NULL), 0);
}

/*
 * What a session costs: the sum of our entries, and the heap both caches
 * grow by for the same handshakes (glibc only; ASan's allocator keeps no
 * such count).
 */
static void
test_memory_per_session(void **state)
{
	struct gw_tls *t = three_groups();
	SSL_CTX *def = gw_tls_default_ctx(t);
	SSL_CTX *cctx = client_ctx(TLS1_2_VERSION, SSL_OP_NO_TICKET);
	SSL_CTX *ictx;
	struct gw_sesscache_stats st;
	size_t before, ours, theirs;

	fill(def, cctx, 1);	/* OpenSSL's lazy first-use allocations */
	before = heap_used();
	fill(def, cctx, MEM_SESSIONS);
	ours = heap_used() - before;
	st = stats(def);
	assert_int_equal(st.count, MEM_SESSIONS + 1);
	print_message("sesscache: %zu sessions, entries %zu bytes (%zu a "
	    "session), buckets %zu bytes\n", st.count, st.bytes,
	    st.bytes / st.count, st.table_bytes);
	assert_true(st.bytes / st.count <= DER_BUDGET);

	/* The same handshakes into OpenSSL's own cache, as before. */
	ictx = SSL_CTX_new(TLS_server_method());
	assert_non_null(ictx);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(ictx,
	    fx.dev[0].cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ictx, fx.dev[0].key,
	    SSL_FILETYPE_PEM), 1);
	SSL_CTX_set_session_id_context(ictx, (const unsigned char *)SID_CTX,
	    sizeof(SID_CTX) - 1);
	SSL_CTX_set_session_cache_mode(ictx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ictx, GW_SESSION_CACHE_MAX);
	fill(ictx, cctx, 1);
	before = heap_used();
	fill(ictx, cctx, MEM_SESSIONS);
	theirs = heap_used() - before;
	assert_int_equal(SSL_CTX_sess_number(ictx), MEM_SESSIONS + 1);
	if (ours > 0 && theirs > 0) {
		print_message("heap a session: sesscache %zu bytes, OpenSSL's "
		    "internal cache %zu bytes\n", ours / MEM_SESSIONS,
		    theirs / MEM_SESSIONS);
		assert_true(ours < theirs);
	}
	SSL_CTX_free(ictx);
	SSL_CTX_free(cctx);
	gw_tls_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_free),
		cmocka_unit_test(test_resume_by_id_across_groups),
		cmocka_unit_test(test_tickets_bypass_cache),
		cmocka_unit_test(test_tls13_stateful),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_foreign_share),
		cmocka_unit_test(test_take_outage),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_removal),
		cmocka_unit_test(test_refuses_big_session),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_memory_per_session),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
