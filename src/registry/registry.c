/*
 * registry.c - the registry's front: reg_open picks a backend from the
 * database string (a postgres:// or postgresql:// URI, else an SQLite
 * file) and every public call goes through the backend's table of
 * operations. Also the code both backends share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/json.h"
#include "registry/devid.h"
#include "registry/random.h"
#include "registry/registry.h"
#include "registry/registry_int.h"
#include "registry/schema.h"
#include "registry/scheme.h"

/* see registry.h */
int
reg_db_is_postgres(const char *db)
{
	return strncmp(db, "postgres://", 11) == 0 ||
	    strncmp(db, "postgresql://", 13) == 0;
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
	if (reg_db_is_postgres(db))
		rc = reg_pg_open(st, db, key_file);
	else
		rc = reg_sq_open(st, db, key_file);
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
	if (st->ops != NULL)
		st->ops->close(st);
	EVP_MAC_CTX_free(st->mac);
	OPENSSL_cleanse(st->key, sizeof(st->key));
	free(st);
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

void
reg_key_check_value(const uint8_t key[REG_KEY_LEN], uint8_t out[REG_HASH_LEN])
{
	unsigned int len = REG_HASH_LEN;

	if (HMAC(EVP_sha256(), key, REG_KEY_LEN,
	    (const unsigned char *)REG_KEY_CHECK_TEXT,
	    sizeof(REG_KEY_CHECK_TEXT) - 1, out, &len) == NULL)
		memset(out, 0, REG_HASH_LEN);
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

int
reg_batch_check(struct reg_store *st, const struct reg_batch *b)
{
	if ((unsigned)b->scheme > TETHER_SCHEME_HMAC) {
		snprintf(st->err, sizeof(st->err), "cannot register the "
		    "devices: unknown scheme %d", (int)b->scheme);
		return -1;
	}
	if (b->scheme != TETHER_SCHEME_PLAIN && b->macs == NULL &&
	    b->count > 0) {
		snprintf(st->err, sizeof(st->err), "the %s scheme binds each "
		    "credential to a MAC address: give one per device",
		    reg_scheme_name(b->scheme));
		return -1;
	}
	if (b->label_prefix != NULL && reg_check_text(st, "label prefix",
	    b->label_prefix, REG_PREFIX_MAX) < 0)
		return -1;
	return 0;
}

void
reg_batch_device(const struct reg_batch *b, size_t i,
    struct reg_new_device *dev, char mac[REG_MAC_TEXT])
{
	memset(dev, 0, sizeof(*dev));
	mac[0] = '\0';
	dev->scheme = b->scheme;
	if (b->label_prefix != NULL)
		snprintf(dev->label, sizeof(dev->label), "%s-%zu",
		    b->label_prefix, i + 1);
	if (b->macs != NULL) {
		dev->has_mac = 1;
		memcpy(dev->mac, b->macs[i], TETHER_MAC_LEN);
		reg_mac_format(dev->mac, mac);
	}
}

void
reg_batch_detail(const struct reg_batch *b, char *out, size_t size)
{
	const char *scheme = reg_scheme_name(b->scheme);

	if (b->label_prefix != NULL)
		snprintf(out, size, "provisioned %zu devices, scheme %s, "
		    "labels %s-1 to %s-%zu", b->count, scheme,
		    b->label_prefix, b->label_prefix, b->count);
	else
		snprintf(out, size, "provisioned %zu devices, scheme %s",
		    b->count, scheme);
}

void
reg_forget_detail(const struct reg_device *dev, int delete_messages,
    char *out, size_t size)
{
	snprintf(out, size, "label '%s', scheme %s%s%s; %s", dev->label,
	    reg_scheme_name(dev->scheme), dev->mac[0] ? ", MAC " : "",
	    dev->mac, delete_messages ? "its messages deleted" :
	    "its messages kept");
}

int
reg_draw(struct reg_store *st, struct reg_new_device *dev, int id_too,
    uint8_t hash[REG_HASH_LEN])
{
	uint8_t raw[TETHER_CREDENTIAL_RAW + REG_ID_RAW];
	int len;

	if (reg_random(raw, sizeof(raw)) != 0) {
		snprintf(st->err, sizeof(st->err), "cannot get random bytes "
		    "from the kernel: %m");
		return -1;
	}
	reg_secret_make(dev->scheme, raw, dev->secret);
	if (id_too)
		reg_id_make(raw + TETHER_CREDENTIAL_RAW, dev->id);
	OPENSSL_cleanse(raw, sizeof(raw));
	/* the same code as the device's, so both send the same text */
	len = tether_credential_derive(dev->scheme, dev->secret,
	    strlen(dev->secret), dev->has_mac ? dev->mac : NULL,
	    dev->credential);
	if (len <= 0) {
		snprintf(st->err, sizeof(st->err), "cannot derive a %s "
		    "credential%s", reg_scheme_name(dev->scheme),
		    dev->has_mac ? "" : " without a MAC address");
		return -1;
	}
	reg_credential_hash(st, dev->credential, (size_t)len, hash);
	return 0;
}

int
reg_touch_due(struct reg_store *st, struct reg_touch *done, size_t *ndone,
    const char *id, const char *peer, int64_t now)
{
	uint64_t h = reg_hash_id(id), ph = reg_hash_id(peer);
	const struct reg_touch *t = &st->touched[h & (REG_TOUCH_SLOTS - 1)];

	if (t->id_hash == h && t->peer_hash == ph && now - t->at < REG_TOUCH_MS)
		return 0;
	for (size_t j = 0; j < *ndone; j++)
		if (done[j].id_hash == h && done[j].peer_hash == ph)
			return 0;
	if (*ndone == REG_TOUCH_BATCH)
		return 0;
	done[(*ndone)++] = (struct reg_touch){ .id_hash = h,
	    .peer_hash = ph, .at = now };
	return 1;
}

void
reg_touch_commit(struct reg_store *st, const struct reg_touch *done,
    size_t ndone)
{
	for (size_t j = 0; j < ndone; j++)
		st->touched[done[j].id_hash & (REG_TOUCH_SLOTS - 1)] = done[j];
}

void
reg_keep_nearest(char (*out)[REG_ID_MAX], int *dist, size_t *n, size_t max,
    const char *id, int d)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(out[i], id) == 0)
			return;		/* already there, by its label */
	if (*n == max && d >= dist[max - 1])
		return;
	i = *n < max ? (*n)++ : max - 1;
	while (i > 0 && (dist[i - 1] > d ||
	    (dist[i - 1] == d && strcmp(out[i - 1], id) > 0))) {
		memcpy(out[i], out[i - 1], REG_ID_MAX);
		dist[i] = dist[i - 1];
		i--;
	}
	snprintf(out[i], REG_ID_MAX, "%s", id);
	dist[i] = d;
}

/*
 * The public calls: each goes to the backend chosen at reg_open.
 */

/* see registry.h */
int
reg_lookup(struct reg_store *st, const uint8_t hash[REG_HASH_LEN],
    char *id, enum reg_status *status)
{
	return st->ops->lookup(st, hash, id, status);
}

/* see registry.h */
int
reg_provision_batch(struct reg_store *st, const struct reg_batch *b,
    struct reg_new_device *out)
{
	if (reg_batch_check(st, b) < 0)
		return -1;
	if (b->count == 0)
		return 0;
	return st->ops->provision_batch(st, b, out);
}

/* see registry.h */
int
reg_provision_ex(struct reg_store *st, size_t count, const char *label_prefix,
    const char *actor, struct reg_new_device *out,
    int (*before_commit)(void *, const struct reg_new_device *, size_t),
    void *arg)
{
	struct reg_batch b = {
		.scheme = TETHER_SCHEME_PLAIN,
		.count = count,
		.label_prefix = label_prefix,
		.actor = actor,
		.before_commit = before_commit,
		.arg = arg,
	};

	return reg_provision_batch(st, &b, out);
}

/* see registry.h */
int
reg_provision(struct reg_store *st, size_t count, const char *label_prefix,
    const char *actor, struct reg_new_device *out)
{
	return reg_provision_ex(st, count, label_prefix, actor, out, NULL,
	    NULL);
}

/* see registry.h */
int
reg_set_status(struct reg_store *st, const char *id, enum reg_status status,
    const char *actor)
{
	return st->ops->set_status(st, id, status, actor);
}

/* see registry.h */
int
reg_changes(struct reg_store *st, int64_t *cursor,
    void (*fn)(void *arg, const char *id), void *arg)
{
	return st->ops->changes(st, cursor, fn, arg);
}

/* see registry.h */
int
reg_store_prepare(struct reg_store *st)
{
	return st->ops->store_prepare(st);
}

/* see registry.h */
int
reg_store_defer_sync(struct reg_store *st, int *fd)
{
	*fd = -1;
	return st->ops->defer_sync(st, fd);
}

/* see registry.h */
int
reg_store_messages(struct reg_store *st, struct reg_message *msgs, size_t n)
{
	return st->ops->store_messages(st, msgs, n);
}

/* see registry.h */
int
reg_wait_changes(struct reg_store *st, int timeout_ms)
{
	return st->ops->wait_changes(st, timeout_ms);
}

/* see registry.h */
int
reg_migrations_applied(struct reg_store *st,
    void (*fn)(void *, const struct reg_migration_row *), void *arg)
{
	return st->ops->migrations(st, fn, arg);
}

/* see registry.h */
int
reg_schema_latest(void)
{
	return reg_migrations[reg_migration_count - 1].version;
}

/* see registry.h */
long long
reg_count_messages(struct reg_store *st, const char *device_id)
{
	return st->ops->count_messages(st, device_id);
}

/* see registry.h */
int
reg_device_get(struct reg_store *st, const char *id, struct reg_device *dev)
{
	return st->ops->device_get(st, id, dev);
}

/* see registry.h */
int
reg_rotate(struct reg_store *st, const char *id, const char *actor,
    struct reg_new_device *out,
    int (*before_commit)(void *, const struct reg_new_device *, size_t),
    void *arg)
{
	return st->ops->rotate(st, id, actor, out, before_commit, arg);
}

/* see registry.h */
int
reg_rename(struct reg_store *st, const char *id, const char *label,
    const char *actor)
{
	if (reg_check_text(st, "label", label, REG_LABEL_MAX - 1) < 0)
		return -1;
	return st->ops->rename(st, id, label, actor);
}

/* see registry.h */
int
reg_forget(struct reg_store *st, const char *id, int delete_messages,
    const char *actor, long long *deleted)
{
	if (deleted != NULL)
		*deleted = 0;
	return st->ops->forget(st, id, delete_messages, actor, deleted);
}

/* see registry.h */
long long
reg_list(struct reg_store *st, const struct reg_filter *f,
    int (*fn)(void *arg, const struct reg_device *dev), void *arg)
{
	return st->ops->list(st, f, fn, arg);
}

/* see registry.h */
int
reg_audit_list(struct reg_store *st, const char *id, size_t limit,
    void (*fn)(void *arg, const struct reg_audit *a), void *arg)
{
	return st->ops->audit_list(st, id, limit, fn, arg);
}

/* see registry.h */
int
reg_suggest(struct reg_store *st, const char *typed, char (*out)[REG_ID_MAX],
    size_t max)
{
	if (max == 0)
		return 0;
	return st->ops->suggest(st, typed, out, max);
}
