/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the registry's front: reg_open picks a backend from the
 * database string (a postgres:// or postgresql:// URI, else an SQLite
 * file), connects, migrates and loads the key; the keyed hash; and the
 * small helpers every operation file uses over the backend's primitives.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/json.h"
#include "registry/backend.h"
#include "registry/registry.h"
#include "registry/registry_int.h"

/* Asked in turn which claims a database string; the last takes any. */
static const struct reg_backend *const backends[] = {
	&reg_pg_backend,
	&reg_sqlite_backend,
};

#define NBACKENDS	(sizeof(backends) / sizeof(backends[0]))

static const struct reg_backend *
backend_of(const char *db)
{
	for (size_t i = 0; i + 1 < NBACKENDS; i++)
		if (backends[i]->claims(db))
			return backends[i];
	return backends[NBACKENDS - 1];
}

/* see registry.h */
const char *
reg_db_file(const char *db)
{
	return backend_of(db)->in_file ? db : NULL;
}

/* HMAC-SHA256 of data under ctx's key: re-initialising with no key starts
 * over with the same key. 0, or -1 if OpenSSL failed. */
static int
mac_once(EVP_MAC_CTX *ctx, const void *data, size_t len,
    uint8_t out[REG_HASH_LEN])
{
	size_t mlen;

	return EVP_MAC_init(ctx, NULL, 0, NULL) == 1 &&
	    EVP_MAC_update(ctx, data, len) == 1 &&
	    EVP_MAC_final(ctx, out, &mlen, REG_HASH_LEN) == 1 &&
	    mlen == REG_HASH_LEN ? 0 : -1;
}

/* An HMAC-SHA256 context keyed with key, or NULL. */
static EVP_MAC_CTX *
mac_new(const uint8_t key[REG_KEY_LEN])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;

	static const char *const probe[] = { "tth1_probe_a", "tth1_probe_b" };
	uint8_t want[REG_HASH_LEN], have[REG_HASH_LEN];
	unsigned int wlen;

	EVP_MAC_free(mac);	/* the context holds its own reference */
	if (ctx == NULL || EVP_MAC_init(ctx, key, REG_KEY_LEN, params) != 1)
		goto fail;
	/* Reuse relies on EVP_MAC_init(ctx, NULL, ...) starting over with
	 * the same key, which OpenSSL 3.0.0-3.0.2 did not do (it kept
	 * hashing on: openssl/openssl#17811). Check it against HMAC() on
	 * two inputs; on a mismatch every call uses HMAC() instead. */
	for (size_t i = 0; i < 2; i++) {
		wlen = REG_HASH_LEN;
		if (mac_once(ctx, probe[i], strlen(probe[i]), have) < 0 ||
		    HMAC(EVP_sha256(), key, REG_KEY_LEN,
		    (const unsigned char *)probe[i], strlen(probe[i]), want,
		    &wlen) == NULL || memcmp(have, want, REG_HASH_LEN) != 0)
			goto fail;
	}
	return ctx;
fail:
	EVP_MAC_CTX_free(ctx);
	return NULL;
}

/* see registry.h */
int
reg_open(struct reg_store **out, const char *db, const char *key_file,
    char *err)
{
	struct reg_store *st;
	int rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, REG_ERR_LEN, "out of memory");
		return -1;
	}
	st->be = backend_of(db);
	st->timeout_ms = REG_TIMEOUT_DEFAULT_MS;
	rc = st->be->open(st, db);
	if (rc == 0)
		rc = reg_migrate(st);
	if (rc == 0)
		rc = st->be->prepare_all(st);
	if (rc == 0)
		rc = reg_load_key(st, db, key_file);
	if (rc != 0) {
		snprintf(err, REG_ERR_LEN, "%s", st->err);
		reg_close(st);
		return -1;
	}
	st->mac = mac_new(st->key);	/* NULL: reg_credential_hash falls back */
	*out = st;
	return 0;
}

/* see registry.h */
void
reg_close(struct reg_store *st)
{
	if (st == NULL)
		return;
	if (st->db != NULL)
		st->be->close(st);	/* what its open made, even half */
	EVP_MAC_CTX_free(st->mac);
	OPENSSL_cleanse(st->key, sizeof(st->key));
	free(st);
}

/* see registry.h */
void
reg_set_timeout(struct reg_store *st, int ms)
{
	st->timeout_ms = ms > 0 ? ms : 0;
}

/* see registry.h */
int
reg_ping(struct reg_store *st)
{
	const char *what = "the store does not take a write";

	if (reg_ready(st, what) < 0 || reg_begin(st, what) < 0)
		return -1;
	if (st->be->exec(st, "UPDATE meta SET value = value "
	    "WHERE name = 'key_check'", what) < 0 ||
	    reg_commit(st, what) < 0) {
		reg_rollback(st);
		return -1;
	}
	return 0;
}

int
reg_fail(struct reg_store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* see registry.h */
const char *
reg_error(const struct reg_store *st)
{
	if (st == NULL)
		return "no registry handle";
	return st->err[0] != '\0' ? st->err : "no error";
}

/* see registry.h */
int64_t
reg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* see registry.h */
int64_t
reg_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* see registry.h */
uint64_t
reg_hash_id(const char *s)
{
	uint64_t h = 14695981039346656037u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/* see registry.h */
void
reg_credential_hash(const struct reg_store *st, const char *cred,
    size_t len, uint8_t out[REG_HASH_LEN])
{
	unsigned int olen = REG_HASH_LEN;

	if (st->mac != NULL && mac_once(st->mac, cred, len, out) == 0)
		return;
	/* HMAC fails only when OpenSSL cannot allocate; zeros then match
	 * no device (no stored hash is all zeros). */
	if (HMAC(EVP_sha256(), st->key, REG_KEY_LEN,
	    (const unsigned char *)cred, len, out, &olen) == NULL)
		memset(out, 0, REG_HASH_LEN);
}

/* see registry_int.h */
int
reg_seal_key(struct reg_store *st, const char *domain, size_t len,
    uint8_t out[REG_HASH_LEN])
{
	unsigned int olen = REG_HASH_LEN;

	if (st->mac != NULL && mac_once(st->mac, domain, len, out) == 0)
		return 0;
	if (HMAC(EVP_sha256(), st->key, REG_KEY_LEN,
	    (const unsigned char *)domain, len, out, &olen) != NULL)
		return 0;
	OPENSSL_cleanse(out, REG_HASH_LEN);
	return reg_fail(st, "cannot derive the key that seals TLS secrets "
	    "in the store (out of memory?); nothing is sealed or opened");
}

enum reg_status
reg_status_parse(const char *text)
{
	if (text != NULL && strcmp(text, "active") == 0)
		return REG_ACTIVE;
	return REG_REVOKED;
}

const char *
reg_status_text(enum reg_status status)
{
	return status == REG_ACTIVE ? "active" : "revoked";
}

int
reg_check_text(struct reg_store *st, const char *what, const char *text,
    size_t max)
{
	size_t bad;

	if (strlen(text) > max) {
		snprintf(st->err, sizeof(st->err), "the %s is %zu bytes long; "
		    "at most %zu are allowed", what, strlen(text), max);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(st->err, sizeof(st->err), "the %s has a "
			    "control character (byte %u at offset %zu)", what,
			    *p, (size_t)(p - (const unsigned char *)text));
			return -1;
		}
	if (!json_utf8_valid(text, strlen(text), &bad)) {
		snprintf(st->err, sizeof(st->err), "the %s is not valid UTF-8 "
		    "(byte 0x%02x at offset %zu); give it in UTF-8", what,
		    (unsigned char)text[bad], bad);
		return -1;
	}
	return 0;
}


void
reg_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

int
reg_run(struct reg_store *st, struct reg_stmt *s, const char *what)
{
	int r = reg_step(st, s, what);

	reg_reset(st, s);
	return r < 0 ? -1 : 0;
}

int
reg_run_later(struct reg_store *st, struct reg_stmt *s, const char *what)
{
	if (st->be->run_later != NULL)
		return st->be->run_later(st, s, what);
	return reg_run(st, s, what);
}

long long
reg_query_int(struct reg_store *st, struct reg_stmt *s, const char *what)
{
	long long v = -1;
	int r;

	if ((r = reg_step(st, s, what)) == REG_ROW)
		v = reg_col_int(st, s, 0);
	else if (r == REG_DONE)
		reg_fail(st, "%s: no row", what);
	reg_reset(st, s);
	return v;
}

int
reg_run_rows(struct reg_store *st, struct reg_stmt *s, size_t n,
    int (*bind)(void *arg, size_t i, struct reg_stmt *s), void *arg,
    long long *changed, const char *what)
{
	if (st->be->run_rows != NULL)
		return st->be->run_rows(st, s, n, bind, arg, changed, what);
	for (size_t i = 0; i < n; i++) {
		if (bind(arg, i, s) < 0) {
			reg_reset(st, s);
			return -1;
		}
		if (reg_step(st, s, what) < 0) {
			reg_reset(st, s);
			return -1;
		}
		changed[i] = st->be->changed(st, s);
		reg_reset(st, s);
	}
	return 0;
}
