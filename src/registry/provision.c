/* SPDX-License-Identifier: MIT */
/*
 * provision.c - making credentials, once for every backend: registering a
 * batch of devices (all or none) and rotating one device's secret. Only a
 * keyed hash of each credential reaches the database.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "registry/devid.h"
#include "registry/random.h"
#include "registry/registry_int.h"
#include "registry/scheme.h"

/* How often a fresh id is drawn when it collides with one already
 * registered; 40-bit ids collide now and then in big fleets, so a few
 * draws always suffice, and a run of failures means a bug. */
#define MAX_DRAWS	16
/* A label prefix must leave room for "-<n>". */
#define PREFIX_MAX	(REG_LABEL_MAX - 22)
/* Devices inserted per reg_run_rows: few enough that their results (tens
 * of bytes each) fit the socket buffers, since PostgreSQL's pipeline
 * sends the whole chunk before it reads a result. */
#define CHUNK_ROWS	256

/* Checks a batch before any database work: a known scheme, MACs where the
 * scheme needs them, a sane label prefix. 0, or -1 with st->err. */
static int
batch_check(struct reg_store *st, const struct reg_batch *b)
{
	if ((unsigned)b->scheme > TETHER_SCHEME_HMAC)
		return reg_fail(st, "cannot register the devices: unknown "
		    "scheme %d", (int)b->scheme);
	if (b->scheme != TETHER_SCHEME_PLAIN && b->macs == NULL &&
	    b->count > 0)
		return reg_fail(st, "the %s scheme binds each credential to "
		    "a MAC address: give one per device",
		    reg_scheme_name(b->scheme));
	if (b->label_prefix != NULL && reg_check_text(st, "label prefix",
	    b->label_prefix, PREFIX_MAX) < 0)
		return -1;
	return 0;
}

/* The audit detail of a provisioned batch. */
static void
batch_detail(const struct reg_batch *b, char *out, size_t size)
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

/*
 * Draws a fresh secret for dev (scheme, has_mac and mac set) and derives
 * its credential and their hash. With id_too, draws a fresh id as well.
 * 0, or -1 with st->err.
 */
static int
draw(struct reg_store *st, struct reg_new_device *dev, int id_too,
    uint8_t hash[REG_HASH_LEN])
{
	uint8_t raw[TETHER_CREDENTIAL_RAW + REG_ID_RAW];
	int len;

	if (reg_random(raw, sizeof(raw)) != 0)
		return reg_fail(st, "cannot get random bytes from the "
		    "kernel: %m");
	reg_secret_make(dev->scheme, raw, dev->secret);
	if (id_too)
		reg_id_make(raw + TETHER_CREDENTIAL_RAW, dev->id);
	OPENSSL_cleanse(raw, sizeof(raw));
	/* the same code as the device's, so both send the same text */
	len = tether_credential_derive(dev->scheme, dev->secret,
	    strlen(dev->secret), dev->has_mac ? dev->mac : NULL,
	    dev->credential);
	if (len <= 0)
		return reg_fail(st, "cannot derive a %s credential%s",
		    reg_scheme_name(dev->scheme),
		    dev->has_mac ? "" : " without a MAC address");
	reg_credential_hash(st, dev->credential, (size_t)len, hash);
	return 0;
}

/* What binding a batch's rows needs. The hash and the MAC's text are
 * linked into the statement until it is stepped, so they live here. */
struct batch_rows {
	struct reg_store	*st;
	const struct reg_batch	*b;
	struct reg_new_device	*out;
	size_t			 from;
	int			 fresh;	/* 1: fill the device from b first */
	int64_t			 now;
	int64_t			 batch;
	uint8_t			 hash[REG_HASH_LEN];
	char			 mac[REG_MAC_TEXT];
};

/* Binds Q_INSERT_DEVICE for device from + i, with a fresh id and secret. */
static int
bind_device(void *arg, size_t i, struct reg_stmt *s)
{
	struct batch_rows *r = arg;
	struct reg_store *st = r->st;
	struct reg_new_device *dev = &r->out[r->from + i];

	if (r->fresh) {
		memset(dev, 0, sizeof(*dev));
		dev->scheme = r->b->scheme;
		if (r->b->label_prefix != NULL)
			snprintf(dev->label, sizeof(dev->label), "%s-%zu",
			    r->b->label_prefix, r->from + i + 1);
		if (r->b->macs != NULL) {
			dev->has_mac = 1;
			memcpy(dev->mac, r->b->macs[r->from + i],
			    TETHER_MAC_LEN);
		}
	}
	if (draw(st, dev, 1, r->hash) < 0)
		return -1;
	reg_bind_text(st, s, 1, dev->id);
	reg_bind_text(st, s, 2, dev->label);
	reg_bind_text(st, s, 3, reg_scheme_name(dev->scheme));
	reg_bind_blob(st, s, 4, r->hash, REG_HASH_LEN);
	reg_bind_int(st, s, 5, r->now);
	if (dev->has_mac) {
		reg_mac_format(dev->mac, r->mac);
		reg_bind_text(st, s, 6, r->mac);
	}
	reg_bind_int(st, s, 7, r->batch);
	return 0;
}

/* Looks up who has mac; 0 with holder filled, REG_NOT_FOUND, -1. */
static int
mac_holder(struct reg_store *st, const char *mac, char holder[REG_ID_MAX])
{
	struct reg_stmt *s = reg_stmt(st, Q_DEVICE_BY_MAC);
	int r;

	reg_bind_text(st, s, 1, mac);
	if ((r = reg_step(st, s, "cannot look the MAC address up")) == REG_ROW)
		reg_copy(holder, REG_ID_MAX, reg_col_text(st, s, 0));
	reg_reset(st, s);
	return r < 0 ? -1 : r == REG_ROW ? 0 : REG_NOT_FOUND;
}

/*
 * A device a unique index refused: its MAC is another device's (an
 * error that names it), or its fresh id was taken (drawn again).
 */
static int
insert_again(struct batch_rows *r, size_t i)
{
	struct reg_store *st = r->st;
	struct reg_new_device *dev = &r->out[i];
	struct reg_stmt *s = reg_stmt(st, Q_INSERT_DEVICE);
	char mac[REG_MAC_TEXT], holder[REG_ID_MAX];
	long long changed = 0;
	int h;

	if (dev->has_mac) {
		reg_mac_format(dev->mac, mac);
		if ((h = mac_holder(st, mac, holder)) < 0)
			return -1;
		if (h == 0)
			return reg_fail(st, "the MAC address %s already "
			    "belongs to device %s", mac, holder);
	}
	r->from = i;
	r->fresh = 0;
	for (int draws = 1; changed == 0; draws++) {
		if (draws == MAX_DRAWS)
			return reg_fail(st, "cannot register the devices: %d "
			    "fresh ids in a row were already taken",
			    MAX_DRAWS);
		if (reg_run_rows(st, s, 1, bind_device, r, &changed,
		    "cannot register the device") < 0)
			return -1;
	}
	return 0;
}

/* see registry.h */
int
reg_provision_batch(struct reg_store *st, const struct reg_batch *b,
    struct reg_new_device *out)
{
	const char *what = "cannot register the devices";
	struct batch_rows r = { .st = st, .b = b, .out = out };
	char detail[REG_DETAIL_MAX];
	long long changed[CHUNK_ROWS];

	if (batch_check(st, b) < 0)
		return -1;
	if (b->count == 0)
		return 0;
	r.now = reg_now_ms();
	if (reg_begin(st, what) < 0)
		return -1;
	/* the batch's row first: each device points at it */
	batch_detail(b, detail, sizeof(detail));
	if (reg_audit(st, r.now, b->actor, NULL, "provision", detail,
	    &r.batch) < 0)
		goto fail;
	for (size_t from = 0; from < b->count; from += CHUNK_ROWS) {
		size_t n = b->count - from < CHUNK_ROWS ? b->count - from :
		    CHUNK_ROWS;

		r.from = from;
		r.fresh = 1;
		if (reg_run_rows(st, reg_stmt(st, Q_INSERT_DEVICE), n,
		    bind_device, &r, changed, what) < 0)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if (changed[i] == 0 && insert_again(&r, from + i) < 0)
				goto fail;
	}
	if (b->before_commit != NULL &&
	    b->before_commit(b->arg, out, b->count) != 0) {
		reg_fail(st, "provisioning was cancelled before the commit");
		goto fail;
	}
	if (reg_commit(st, what) < 0)
		goto fail;
	OPENSSL_cleanse(r.hash, sizeof(r.hash));
	return 0;
fail:
	reg_rollback(st);
	/* Nothing was registered: the secrets are of no use, and a secret
	 * is wiped as soon as it is of no use. */
	OPENSSL_cleanse(out, b->count * sizeof(*out));
	OPENSSL_cleanse(r.hash, sizeof(r.hash));
	return -1;
}

/* see registry.h */
int
reg_rotate(struct reg_store *st, const char *id, const char *actor,
    struct reg_new_device *out,
    int (*before_commit)(void *, const struct reg_new_device *, size_t),
    void *arg)
{
	const char *what = "cannot rotate the credential";
	struct reg_stmt *s = reg_stmt(st, Q_SET_CREDENTIAL);
	struct reg_device dev;
	uint8_t hash[REG_HASH_LEN];
	int64_t now = reg_now_ms();
	char why[REG_ERR_LEN];
	int r;

	memset(out, 0, sizeof(*out));
	if (reg_begin(st, what) < 0)
		return -1;
	if ((r = reg_device_in_txn(st, id, &dev)) != 0) {
		reg_rollback(st);
		return r;
	}
	snprintf(out->id, sizeof(out->id), "%s", dev.id);
	snprintf(out->label, sizeof(out->label), "%s", dev.label);
	out->scheme = dev.scheme;
	if (dev.mac[0] != '\0') {
		if (reg_mac_parse(dev.mac, out->mac, why) < 0) {
			reg_fail(st, "%s: the stored MAC address '%s' is "
			    "damaged", what, dev.mac);
			goto fail;
		}
		out->has_mac = 1;
	}
	/* 128 random bits do not collide with a registered credential; a
	 * collision fails the rotation (the unique index) rather than
	 * being retried in a transaction PostgreSQL has aborted */
	if (draw(st, out, 0, hash) < 0)
		goto fail;
	reg_bind_text(st, s, 1, id);
	reg_bind_blob(st, s, 2, hash, REG_HASH_LEN);
	reg_bind_int(st, s, 3, now);
	r = reg_run(st, s, what);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (r < 0)
		goto fail;
	if (reg_feed(st, id, now, what) < 0 ||
	    reg_audit(st, now, actor, id, "rotate", "new secret and "
	    "credential; the old credential is refused", NULL) < 0)
		goto fail;
	if (before_commit != NULL && before_commit(arg, out, 1) != 0) {
		reg_fail(st, "the rotation was cancelled before the commit");
		goto fail;
	}
	if (reg_commit(st, what) < 0)
		goto fail;
	return 0;
fail:
	reg_rollback(st);
	OPENSSL_cleanse(out, sizeof(*out));
	return -1;
}
