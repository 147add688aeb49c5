/*
 * sqlite_devices.c - device administration on SQLite: provisioning a
 * batch, status, rotation, renaming, forgetting, listing, the audit trail
 * and "did you mean". Every change is one transaction with its audit row;
 * a change that must reach running gateways (status, credential, removal)
 * also writes the change feed, which they poll (reg_changes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "registry/scheme.h"
#include "registry/sqlite_int.h"

/* Reads a DEVICE_COLUMNS row. */
static void
read_device(sqlite3_stmt *s, struct reg_device *dev)
{
	enum tether_scheme scheme = TETHER_SCHEME_PLAIN;

	memset(dev, 0, sizeof(*dev));
	reg_db_copy(dev->id, sizeof(dev->id), sqlite3_column_text(s, 0));
	reg_db_copy(dev->label, sizeof(dev->label), sqlite3_column_text(s, 1));
	dev->status = reg_status_parse((const char *)sqlite3_column_text(s, 2));
	if (sqlite3_column_text(s, 3) != NULL)
		(void)reg_scheme_parse((const char *)sqlite3_column_text(s, 3),
		    &scheme);
	dev->scheme = scheme;
	reg_db_copy(dev->mac, sizeof(dev->mac), sqlite3_column_text(s, 4));
	dev->created_at = sqlite3_column_int64(s, 5);
	dev->credential_at = sqlite3_column_int64(s, 6);
	dev->last_seen_at = sqlite3_column_int64(s, 7);
	reg_db_copy(dev->last_seen_addr, sizeof(dev->last_seen_addr),
	    sqlite3_column_text(s, 8));
}

/* see registry.h */
int
reg_sq_device_get(struct reg_store *st, const char *id, struct reg_device *dev)
{
	sqlite3_stmt *s = st->sq->stmt[S_DEVICE_GET];
	int rc, found = 0;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_device(s, dev);
		found = 1;
		rc = SQLITE_DONE;
	}
	reg_db_done(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, "cannot read the device", rc);
	return found;
}

/* Appends a row to the audit trail; *row_id (may be NULL) gets its id. */
static int
audit(struct reg_store *st, int64_t at, const char *actor,
    const char *device_id, const char *action, const char *detail,
    int64_t *row_id)
{
	sqlite3_stmt *s = st->sq->stmt[S_INSERT_AUDIT];
	int rc;

	sqlite3_bind_int64(s, 1, at);
	sqlite3_bind_text(s, 2, actor != NULL ? actor : "", -1, SQLITE_STATIC);
	if (device_id != NULL)
		sqlite3_bind_text(s, 3, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, detail, -1, SQLITE_STATIC);
	if ((rc = reg_db_run(st, S_INSERT_AUDIT)) != SQLITE_DONE)
		return reg_db_fail(st, "cannot write the audit trail", rc);
	if (row_id != NULL)
		*row_id = sqlite3_last_insert_rowid(st->sq->db);
	return 0;
}

/* A row in the change feed: running gateways drop what they cached of
 * the device and close its connections. */
static int
feed(struct reg_store *st, const char *id, int64_t at, const char *what)
{
	sqlite3_stmt *s = st->sq->stmt[S_INSERT_EVENT];
	int rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, at);
	if ((rc = reg_db_run(st, S_INSERT_EVENT)) != SQLITE_DONE)
		return reg_db_fail(st, what, rc);
	return 0;
}

/* Looks up who has mac; 1 with holder filled, 0 nobody, -1. */
static int
mac_holder(struct reg_store *st, const char *mac, char holder[REG_ID_MAX])
{
	sqlite3_stmt *s = st->sq->stmt[S_DEVICE_BY_MAC];
	int rc, found = 0;

	sqlite3_bind_text(s, 1, mac, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		reg_db_copy(holder, REG_ID_MAX, sqlite3_column_text(s, 0));
		found = 1;
		rc = SQLITE_DONE;
	}
	reg_db_done(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, "cannot look the MAC address up", rc);
	return found;
}

/*
 * Draws a fresh id and secret for dev and inserts it. Returns 0, 1 when
 * they collide with a registered device (draw again), -1.
 */
static int
insert_new_device(struct reg_store *st, struct reg_new_device *dev,
    const char *mac, int64_t now, int64_t batch)
{
	sqlite3_stmt *s = st->sq->stmt[S_INSERT_DEVICE];
	uint8_t hash[REG_HASH_LEN];
	int rc;

	if (reg_draw(st, dev, 1, hash) < 0)
		return -1;
	sqlite3_bind_text(s, 1, dev->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, dev->label, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, reg_scheme_name(dev->scheme), -1,
	    SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, hash, REG_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	if (mac != NULL)
		sqlite3_bind_text(s, 6, mac, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, batch);
	rc = reg_db_run(st, S_INSERT_DEVICE);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return 1;
	return reg_db_fail(st, "cannot register the device", rc);
}

/* see registry.h */
int
reg_sq_provision_batch(struct reg_store *st, const struct reg_batch *b,
    struct reg_new_device *out)
{
	const char *what = "cannot register the devices";
	int64_t now = reg_now_ms(), batch;
	char detail[REG_DETAIL_MAX];

	if (reg_db_begin(st, what) < 0)
		return -1;
	/* the batch's row first: each device points at it */
	reg_batch_detail(b, detail, sizeof(detail));
	if (audit(st, now, b->actor, NULL, "provision", detail, &batch) < 0)
		goto fail;
	for (size_t i = 0; i < b->count; i++) {
		struct reg_new_device *dev = &out[i];
		char mac[REG_MAC_TEXT], holder[REG_ID_MAX];
		int r, draws = 0;

		reg_batch_device(b, i, dev, mac);
		if (dev->has_mac) {
			if ((r = mac_holder(st, mac, holder)) < 0)
				goto fail;
			if (r == 1) {
				snprintf(st->err, sizeof(st->err), "the MAC "
				    "address %s already belongs to device %s",
				    mac, holder);
				goto fail;
			}
		}
		while ((r = insert_new_device(st, dev,
		    dev->has_mac ? mac : NULL, now, batch)) == 1)
			if (++draws == REG_MAX_DRAWS) {
				snprintf(st->err, sizeof(st->err), "%s: %d "
				    "fresh ids in a row were already taken",
				    what, REG_MAX_DRAWS);
				goto fail;
			}
		if (r < 0)
			goto fail;
	}
	if (b->before_commit != NULL &&
	    b->before_commit(b->arg, out, b->count) != 0) {
		snprintf(st->err, sizeof(st->err),
		    "provisioning was cancelled before the commit");
		goto fail;
	}
	if (reg_db_commit(st, what) < 0)
		goto fail;
	return 0;
fail:
	reg_db_rollback(st);
	/* Nothing was registered: the secrets are of no use, and a secret
	 * is wiped as soon as it is of no use. */
	OPENSSL_cleanse(out, b->count * sizeof(*out));
	return -1;
}

/* see registry.h */
int
reg_sq_set_status(struct reg_store *st, const char *id, enum reg_status status,
    const char *actor)
{
	const char *what = status == REG_REVOKED ?
	    "cannot revoke the device" : "cannot restore the device";
	sqlite3_stmt *s;
	struct reg_device dev;
	int64_t now = reg_now_ms();
	int rc, found;

	if (reg_db_begin(st, what) < 0)
		return -1;
	s = st->sq->stmt[S_SET_STATUS];
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, reg_status_text(status), -1, SQLITE_STATIC);
	if ((rc = reg_db_run(st, S_SET_STATUS)) != SQLITE_DONE) {
		reg_db_fail(st, what, rc);
		goto fail;
	}
	if (sqlite3_changes(st->sq->db) == 0) {
		/* unknown, or already in that status: nothing to record */
		if ((found = reg_sq_device_get(st, id, &dev)) < 0)
			goto fail;
		reg_db_rollback(st);
		if (found == 0) {
			snprintf(st->err, sizeof(st->err), "no device has the "
			    "id '%s'", id);
			return 1;
		}
		return 0;
	}
	if (feed(st, id, now, what) < 0)
		goto fail;
	if (audit(st, now, actor, id, status == REG_REVOKED ? "revoke" :
	    "restore", "", NULL) < 0)
		goto fail;
	return reg_db_commit(st, what);
fail:
	reg_db_rollback(st);
	return -1;
}

/* Reads the device inside a transaction; 1, or 0 (err set) or -1. */
static int
must_exist(struct reg_store *st, const char *id, struct reg_device *dev)
{
	int found;

	if ((found = reg_sq_device_get(st, id, dev)) == 0)
		snprintf(st->err, sizeof(st->err), "no device has the id '%s'",
		    id);
	return found;
}

/* see registry.h */
int
reg_sq_rotate(struct reg_store *st, const char *id, const char *actor,
    struct reg_new_device *out,
    int (*before_commit)(void *, const struct reg_new_device *, size_t),
    void *arg)
{
	const char *what = "cannot rotate the credential";
	sqlite3_stmt *s = st->sq->stmt[S_SET_CREDENTIAL];
	struct reg_device dev;
	uint8_t hash[REG_HASH_LEN];
	int64_t now = reg_now_ms();
	char why[REG_ERR_LEN];
	int rc, found, draws = 0;

	memset(out, 0, sizeof(*out));
	if (reg_db_begin(st, what) < 0)
		return -1;
	if ((found = must_exist(st, id, &dev)) <= 0) {
		reg_db_rollback(st);
		return found == 0 ? 1 : -1;
	}
	snprintf(out->id, sizeof(out->id), "%s", dev.id);
	snprintf(out->label, sizeof(out->label), "%s", dev.label);
	out->scheme = dev.scheme;
	if (dev.mac[0] != '\0') {
		if (reg_mac_parse(dev.mac, out->mac, why) < 0) {
			snprintf(st->err, sizeof(st->err), "%s: the stored "
			    "MAC address '%s' is damaged", what, dev.mac);
			goto fail;
		}
		out->has_mac = 1;
	}
	for (;;) {
		if (reg_draw(st, out, 0, hash) < 0)
			goto fail;
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, hash, REG_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, now);
		rc = reg_db_run(st, S_SET_CREDENTIAL);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_CONSTRAINT_UNIQUE ||
		    ++draws == REG_MAX_DRAWS) {
			reg_db_fail(st, what, rc);
			goto fail;
		}
	}
	if (feed(st, id, now, what) < 0 ||
	    audit(st, now, actor, id, "rotate", "new secret and credential; "
	    "the old credential is refused", NULL) < 0)
		goto fail;
	if (before_commit != NULL && before_commit(arg, out, 1) != 0) {
		snprintf(st->err, sizeof(st->err),
		    "the rotation was cancelled before the commit");
		goto fail;
	}
	if (reg_db_commit(st, what) < 0)
		goto fail;
	return 0;
fail:
	reg_db_rollback(st);
	OPENSSL_cleanse(out, sizeof(*out));
	return -1;
}

/* see registry.h */
int
reg_sq_rename(struct reg_store *st, const char *id, const char *label,
    const char *actor)
{
	const char *what = "cannot rename the device";
	sqlite3_stmt *s = st->sq->stmt[S_SET_LABEL];
	struct reg_device dev;
	char detail[REG_DETAIL_MAX];
	int rc, found;

	if (reg_db_begin(st, what) < 0)
		return -1;
	if ((found = must_exist(st, id, &dev)) <= 0) {
		reg_db_rollback(st);
		return found == 0 ? 1 : -1;
	}
	if (strcmp(dev.label, label) == 0) {
		reg_db_rollback(st);
		return 0;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, label, -1, SQLITE_STATIC);
	if ((rc = reg_db_run(st, S_SET_LABEL)) != SQLITE_DONE) {
		reg_db_fail(st, what, rc);
		goto fail;
	}
	snprintf(detail, sizeof(detail), "label '%s' -> '%s'", dev.label,
	    label);
	if (audit(st, reg_now_ms(), actor, id, "rename", detail, NULL) < 0)
		goto fail;
	return reg_db_commit(st, what);
fail:
	reg_db_rollback(st);
	return -1;
}

/* see registry.h */
int
reg_sq_forget(struct reg_store *st, const char *id, int delete_messages,
    const char *actor, long long *deleted)
{
	const char *what = "cannot forget the device";
	struct reg_device dev;
	char detail[REG_DETAIL_MAX];
	long long n = 0;
	int64_t now = reg_now_ms();
	int rc, found;

	if (reg_db_begin(st, what) < 0)
		return -1;
	if ((found = must_exist(st, id, &dev)) <= 0) {
		reg_db_rollback(st);
		return found == 0 ? 1 : -1;
	}
	sqlite3_bind_text(st->sq->stmt[S_DELETE_DEVICE], 1, id, -1,
	    SQLITE_STATIC);
	if ((rc = reg_db_run(st, S_DELETE_DEVICE)) != SQLITE_DONE) {
		reg_db_fail(st, what, rc);
		goto fail;
	}
	if (delete_messages) {
		sqlite3_bind_text(st->sq->stmt[S_DELETE_MESSAGES], 1, id, -1,
		    SQLITE_STATIC);
		if ((rc = reg_db_run(st, S_DELETE_MESSAGES)) != SQLITE_DONE) {
			reg_db_fail(st, what, rc);
			goto fail;
		}
		n = sqlite3_changes(st->sq->db);
		/* Its seqs go too, and every gateway reloads the duplicate
		 * check's state (sqlite.c, "Duplicates"). */
		sqlite3_bind_text(st->sq->stmt[S_SEQ_DELETE], 1, id, -1,
		    SQLITE_STATIC);
		if ((rc = reg_db_run(st, S_SEQ_DELETE)) != SQLITE_DONE ||
		    (rc = reg_db_run(st, S_SEQ_FORGET)) != SQLITE_DONE) {
			reg_db_fail(st, what, rc);
			goto fail;
		}
	}
	reg_forget_detail(&dev, delete_messages, detail, sizeof(detail));
	if (feed(st, id, now, what) < 0 ||
	    audit(st, now, actor, id, "forget", detail, NULL) < 0)
		goto fail;
	if (reg_db_commit(st, what) < 0)
		goto fail;
	if (deleted != NULL)
		*deleted = n;
	return 0;
fail:
	reg_db_rollback(st);
	return -1;
}

/* see registry.h */
long long
reg_sq_list(struct reg_store *st, const struct reg_filter *f,
    int (*fn)(void *arg, const struct reg_device *dev), void *arg)
{
	sqlite3_stmt *s = st->sq->stmt[S_LIST];
	struct reg_device dev;
	long long n = 0;
	int rc;

	if (f != NULL) {
		if (f->status != 0)
			sqlite3_bind_text(s, 1, reg_status_text(f->status),
			    -1, SQLITE_STATIC);
		if (f->label_glob != NULL)
			sqlite3_bind_text(s, 2, f->label_glob, -1,
			    SQLITE_STATIC);
		if (f->seen_since != 0)
			sqlite3_bind_int64(s, 3, f->seen_since);
		if (f->not_seen_since != 0)
			sqlite3_bind_int64(s, 4, f->not_seen_since);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_device(s, &dev);
		n++;
		if (fn(arg, &dev) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	reg_db_done(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, "cannot list the devices", rc);
	return n;
}

/* see registry.h */
int
reg_sq_audit_list(struct reg_store *st, const char *id, size_t limit,
    void (*fn)(void *arg, const struct reg_audit *a), void *arg)
{
	sqlite3_stmt *s = st->sq->stmt[S_AUDIT_OF];
	struct reg_audit a;
	int rc, n = 0;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(s, 0);
		a.at = sqlite3_column_int64(s, 1);
		reg_db_copy(a.actor, sizeof(a.actor), sqlite3_column_text(s, 2));
		reg_db_copy(a.device_id, sizeof(a.device_id),
		    sqlite3_column_text(s, 3));
		reg_db_copy(a.action, sizeof(a.action),
		    sqlite3_column_text(s, 4));
		reg_db_copy(a.detail, sizeof(a.detail),
		    sqlite3_column_text(s, 5));
		fn(arg, &a);
		n++;
	}
	reg_db_done(s);
	if (rc != SQLITE_DONE)
		return reg_db_fail(st, "cannot read the audit trail", rc);
	return n;
}

/* see registry.h */
int
reg_sq_suggest(struct reg_store *st, const char *typed, char (*out)[REG_ID_MAX],
    size_t max)
{
	sqlite3_stmt *s;
	int *dist, rc;
	size_t n = 0;

	if ((dist = calloc(max, sizeof(*dist))) == NULL) {
		snprintf(st->err, sizeof(st->err), "out of memory");
		return -1;
	}
	/* a label typed where the id belongs: the exact match is best */
	s = st->sq->stmt[S_IDS_BY_LABEL];
	sqlite3_bind_text(s, 1, typed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		reg_keep_nearest(out, dist, &n, max,
		    (const char *)sqlite3_column_text(s, 0), -1);
	reg_db_done(s);
	if (rc != SQLITE_DONE)
		goto fail;
	/* A scan of the ids: a fleet of 100,000 takes milliseconds, and
	 * this runs only after a person typed an id we do not know. */
	if (reg_id_distance(typed, "") >= 0) {
		s = st->sq->stmt[S_ALL_IDS];
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(s, 0);
			int d;

			if (id == NULL)
				continue;
			d = reg_id_distance(typed, id);
			if (d >= 0 && d <= REG_SUGGEST_DISTANCE)
				reg_keep_nearest(out, dist, &n, max, id, d);
		}
		reg_db_done(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	free(dist);
	return (int)n;
fail:
	free(dist);
	return reg_db_fail(st, "cannot look for similar ids", rc);
}
