/* SPDX-License-Identifier: MIT */
/*
 * devices.c - reading and administering registered devices, once for
 * every backend: get, status, rename, forget, list and "did you mean".
 * Every change is one transaction with its audit row; a change running
 * gateways must see (status, removal) also writes the change feed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry_int.h"
#include "registry/scheme.h"

/* Nearest ids reg_suggest keeps before choosing the best. */
#define SUGGEST_DISTANCE	2
/* A glob as backend.h's label_pattern writes it, at most. */
#define PATTERN_MAX		(2 * REG_LABEL_MAX + 4)

void
reg_read_device(struct reg_store *st, struct reg_stmt *s,
    struct reg_device *dev)
{
	enum tether_scheme scheme = TETHER_SCHEME_PLAIN;
	const char *text;

	memset(dev, 0, sizeof(*dev));
	reg_copy(dev->id, sizeof(dev->id), reg_col_text(st, s, 0));
	reg_copy(dev->label, sizeof(dev->label), reg_col_text(st, s, 1));
	dev->status = reg_status_parse(reg_col_text(st, s, 2));
	if ((text = reg_col_text(st, s, 3)) != NULL)
		(void)reg_scheme_parse(text, &scheme);
	dev->scheme = scheme;
	reg_copy(dev->mac, sizeof(dev->mac), reg_col_text(st, s, 4));
	dev->created_at = reg_col_int(st, s, 5);
	dev->credential_at = reg_col_int(st, s, 6);
	dev->last_seen_at = reg_col_int(st, s, 7);
	reg_copy(dev->last_seen_addr, sizeof(dev->last_seen_addr),
	    reg_col_text(st, s, 8));
}

/* see registry.h; the gateway's question for every connection whose
 * credential is not in its cache. Unknown and revoked: the same miss on
 * the same index (lookup_sql), so the same work. */
int
reg_lookup(struct reg_store *st, const uint8_t hash[REG_HASH_LEN], char *id)
{
	const char *what = "cannot look the credential up";
	struct reg_stmt *s = reg_stmt(st, Q_LOOKUP);
	int r;

	if (reg_ready(st, what) < 0)
		return -1;
	reg_bind_blob(st, s, 1, hash, REG_HASH_LEN);
	if ((r = reg_step(st, s, what)) == REG_ROW)
		reg_copy(id, REG_ID_MAX, reg_col_text(st, s, 0));
	reg_reset(st, s);
	return r < 0 ? -1 : r == REG_ROW ? 0 : REG_NOT_FOUND;
}

/* The device, without reconnecting (inside a transaction, or after). */
static int
device_get(struct reg_store *st, const char *id, struct reg_device *dev)
{
	struct reg_stmt *s = reg_stmt(st, Q_DEVICE_GET);
	int r;

	reg_bind_text(st, s, 1, id);
	if ((r = reg_step(st, s, "cannot read the device")) == REG_ROW)
		reg_read_device(st, s, dev);
	reg_reset(st, s);
	return r < 0 ? -1 : r == REG_ROW ? 0 : REG_NOT_FOUND;
}

/* see registry.h */
int
reg_device_get(struct reg_store *st, const char *id, struct reg_device *dev)
{
	if (reg_ready(st, "cannot read the device") < 0)
		return -1;
	return device_get(st, id, dev);
}

int
reg_device_in_txn(struct reg_store *st, const char *id,
    struct reg_device *dev)
{
	int r;

	if ((r = device_get(st, id, dev)) == REG_NOT_FOUND)
		reg_fail(st, "no device has the id '%s'", id);
	return r;
}

/* see registry.h */
int
reg_set_status(struct reg_store *st, const char *id, enum reg_status status,
    const char *actor)
{
	const char *what = status == REG_REVOKED ?
	    "cannot revoke the device" : "cannot restore the device";
	struct reg_stmt *s = reg_stmt(st, Q_SET_STATUS);
	struct reg_device dev;
	int64_t now = reg_now_ms();
	long long n = 0;
	int r;

	if (reg_begin(st, what) < 0)
		return -1;
	reg_bind_text(st, s, 1, id);
	reg_bind_text(st, s, 2, reg_status_text(status));
	if ((r = reg_step(st, s, what)) >= 0)
		n = st->be->changed(st, s);
	reg_reset(st, s);
	if (r < 0)
		goto fail;
	if (n == 0) {
		/* unknown, or already in that status: nothing to record */
		if ((r = reg_device_in_txn(st, id, &dev)) < 0)
			goto fail;
		reg_rollback(st);
		return r;
	}
	if (reg_feed(st, id, now, what) < 0 ||
	    reg_audit(st, now, actor, id, status == REG_REVOKED ? "revoke" :
	    "restore", "", NULL) < 0)
		goto fail;
	return reg_commit(st, what);
fail:
	reg_rollback(st);
	return -1;
}

/* see registry.h */
int
reg_rename(struct reg_store *st, const char *id, const char *label,
    const char *actor)
{
	const char *what = "cannot rename the device";
	struct reg_stmt *s = reg_stmt(st, Q_SET_LABEL);
	struct reg_device dev;
	char detail[REG_DETAIL_MAX];
	int r;

	if (reg_check_text(st, "label", label, REG_LABEL_MAX - 1) < 0)
		return -1;
	if (reg_begin(st, what) < 0)
		return -1;
	if ((r = reg_device_in_txn(st, id, &dev)) != 0 ||
	    strcmp(dev.label, label) == 0) {
		reg_rollback(st);
		return r;
	}
	reg_bind_text(st, s, 1, id);
	reg_bind_text(st, s, 2, label);
	if (reg_run(st, s, what) < 0)
		goto fail;
	snprintf(detail, sizeof(detail), "label '%s' -> '%s'", dev.label,
	    label);
	if (reg_audit(st, reg_now_ms(), actor, id, "rename", detail,
	    NULL) < 0)
		goto fail;
	return reg_commit(st, what);
fail:
	reg_rollback(st);
	return -1;
}

/* Deletes the device's messages; *n gets how many. */
static int
delete_messages(struct reg_store *st, const char *id, long long *n,
    const char *what)
{
	struct reg_stmt *s = reg_stmt(st, Q_DELETE_MESSAGES);
	int r;

	reg_bind_text(st, s, 1, id);
	if ((r = reg_step(st, s, what)) >= 0)
		*n = st->be->changed(st, s);
	reg_reset(st, s);
	if (r < 0)
		return -1;
	if (st->be->messages_deleted != NULL)
		return st->be->messages_deleted(st, id, what);
	return 0;
}

/* see registry.h */
int
reg_forget(struct reg_store *st, const char *id, int delete_msgs,
    const char *actor, long long *deleted)
{
	const char *what = "cannot forget the device";
	struct reg_stmt *s = reg_stmt(st, Q_DELETE_DEVICE);
	struct reg_device dev;
	char detail[REG_DETAIL_MAX];
	long long n = 0;
	int64_t now = reg_now_ms();
	int r;

	if (deleted != NULL)
		*deleted = 0;
	if (reg_begin(st, what) < 0)
		return -1;
	if ((r = reg_device_in_txn(st, id, &dev)) != 0) {
		reg_rollback(st);
		return r;
	}
	reg_bind_text(st, s, 1, id);
	if (reg_run(st, s, what) < 0)
		goto fail;
	if (delete_msgs && delete_messages(st, id, &n, what) < 0)
		goto fail;
	snprintf(detail, sizeof(detail), "label '%s', scheme %s%s%s; %s",
	    dev.label, reg_scheme_name(dev.scheme), dev.mac[0] ? ", MAC " : "",
	    dev.mac, delete_msgs ? "its messages deleted" :
	    "its messages kept");
	if (reg_feed(st, id, now, what) < 0 ||
	    reg_audit(st, now, actor, id, "forget", detail, NULL) < 0)
		goto fail;
	if (reg_commit(st, what) < 0)
		goto fail;
	if (deleted != NULL)
		*deleted = n;
	return 0;
fail:
	reg_rollback(st);
	return -1;
}

/* see registry.h */
long long
reg_list(struct reg_store *st, const struct reg_filter *f,
    int (*fn)(void *arg, const struct reg_device *dev), void *arg)
{
	const char *what = "cannot list the devices";
	struct reg_stmt *s = reg_stmt(st, Q_LIST);
	char pattern[PATTERN_MAX];
	const char *glob = f != NULL ? f->label_glob : NULL;
	struct reg_device dev;
	long long n = 0;
	int r;

	if (glob != NULL && st->be->label_pattern != NULL) {
		if (st->be->label_pattern(st, glob, pattern,
		    sizeof(pattern)) < 0)
			return reg_fail(st, "%s: the label pattern is longer "
			    "than a label may be (%d bytes)", what,
			    REG_LABEL_MAX - 1);
		glob = pattern;
	}
	if (reg_ready(st, what) < 0)
		return -1;
	if (f != NULL) {
		if (f->status != 0)
			reg_bind_text(st, s, 1, reg_status_text(f->status));
		if (glob != NULL)
			reg_bind_text(st, s, 2, glob);
		if (f->seen_since != 0)
			reg_bind_int(st, s, 3, f->seen_since);
		if (f->not_seen_since != 0)
			reg_bind_int(st, s, 4, f->not_seen_since);
	}
	while ((r = reg_step(st, s, what)) == REG_ROW) {
		reg_read_device(st, s, &dev);
		n++;
		if (fn(arg, &dev) != 0)
			break;
	}
	reg_reset(st, s);
	return r < 0 ? -1 : n;
}

/* Inserts id into out (kept sorted by distance d, then id, at most max
 * entries; dist holds the distances). */
static void
keep_nearest(char (*out)[REG_ID_MAX], int *dist, size_t *n, size_t max,
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

/* see registry.h */
int
reg_suggest(struct reg_store *st, const char *typed, char (*out)[REG_ID_MAX],
    size_t max)
{
	const char *what = "cannot look for similar ids";
	struct reg_stmt *s;
	const char *id;
	size_t n = 0;
	int *dist, r;

	if (max == 0)
		return 0;
	if (reg_ready(st, what) < 0)
		return -1;
	if ((dist = calloc(max, sizeof(*dist))) == NULL)
		return reg_fail(st, "out of memory");
	/* a label typed where the id belongs: the exact match is best */
	s = reg_stmt(st, Q_IDS_BY_LABEL);
	reg_bind_text(st, s, 1, typed);
	reg_bind_int(st, s, 2, (int64_t)max);
	while ((r = reg_step(st, s, what)) == REG_ROW)
		if ((id = reg_col_text(st, s, 0)) != NULL)
			keep_nearest(out, dist, &n, max, id, -1);
	reg_reset(st, s);
	/* A scan of the ids: a fleet of 100,000 takes milliseconds, and
	 * this runs only after a person typed an id we do not know. */
	if (r >= 0 && reg_id_distance(typed, "") >= 0) {
		s = reg_stmt(st, Q_ALL_IDS);
		while ((r = reg_step(st, s, what)) == REG_ROW) {
			int d;

			if ((id = reg_col_text(st, s, 0)) == NULL)
				continue;
			d = reg_id_distance(typed, id);
			if (d >= 0 && d <= SUGGEST_DISTANCE)
				keep_nearest(out, dist, &n, max, id, d);
		}
		reg_reset(st, s);
	}
	free(dist);
	return r < 0 ? -1 : (int)n;
}
