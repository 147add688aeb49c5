/* SPDX-License-Identifier: MIT */
/*
 * forwarders.c - what forwarding keeps in the store, once for every
 * backend: the applications' webhook secrets (derived under the registry
 * key from a stored salt) and each forwarder's cursor, count and last
 * error, which `tether forward status` reads.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "registry/random.h"
#include "registry/registry_int.h"

#define SALT_LEN	16

/* What a webhook secret is keyed over besides its salt: a text no device
 * credential or application token starts with (it holds a NUL). */
static const char webhook_domain[] = "tether webhook v1";

static void
derive(const struct reg_store *st, const uint8_t salt[SALT_LEN],
    char secret[REG_WEBHOOK_SECRET_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t buf[sizeof(webhook_domain) + SALT_LEN], mac[REG_HASH_LEN];
	char *p = secret + sizeof(REG_WEBHOOK_PREFIX) - 1;

	memcpy(buf, webhook_domain, sizeof(webhook_domain));	/* with NUL */
	memcpy(buf + sizeof(webhook_domain), salt, SALT_LEN);
	reg_credential_hash(st, (const char *)buf, sizeof(buf), mac);
	memcpy(secret, REG_WEBHOOK_PREFIX, sizeof(REG_WEBHOOK_PREFIX) - 1);
	for (size_t i = 0; i < REG_HASH_LEN; i++) {
		*p++ = hex[mac[i] >> 4];
		*p++ = hex[mac[i] & 15];
	}
	*p = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
}

/* see registry.h */
int
reg_app_webhook_new(struct reg_store *st, const char *name,
    const char *actor, char secret[REG_WEBHOOK_SECRET_LEN + 1])
{
	const char *what = "cannot give the application a webhook secret";
	struct reg_stmt *s = reg_stmt(st, Q_APP_WEBHOOK_SET);
	uint8_t salt[SALT_LEN];
	char detail[REG_DETAIL_MAX];
	long long n = 0;
	int r;

	if (reg_ready(st, what) < 0)
		return -1;
	if (reg_random(salt, sizeof(salt)) < 0)
		return reg_fail(st, "%s: the system has no random bytes", what);
	if (reg_begin(st, what) < 0)
		return -1;
	reg_bind_text(st, s, 1, name);
	reg_bind_blob(st, s, 2, salt, sizeof(salt));
	if ((r = reg_step(st, s, what)) >= 0)
		n = st->be->changed(st, s);
	reg_reset(st, s);
	if (r < 0)
		goto fail;
	if (n == 0) {
		reg_rollback(st);
		reg_fail(st, "no application named '%.64s' holds a valid token",
		    name);
		return REG_NOT_FOUND;
	}
	snprintf(detail, sizeof(detail), "app %s, new webhook secret", name);
	if (reg_audit(st, reg_now_ms(), actor, NULL, "app-webhook", detail,
	    NULL) < 0 || reg_commit(st, what) < 0)
		goto fail;
	derive(st, salt, secret);
	return 0;
fail:
	reg_rollback(st);
	return -1;
}

/* see registry.h */
int
reg_app_webhook_secret(struct reg_store *st, const char *name,
    char secret[REG_WEBHOOK_SECRET_LEN + 1])
{
	const char *what = "cannot read the application's webhook secret";
	struct reg_stmt *s = reg_stmt(st, Q_APP_WEBHOOK_GET);
	const void *salt;
	size_t len = 0;
	int r, rc;

	if (reg_ready(st, what) < 0)
		return -1;
	reg_bind_text(st, s, 1, name);
	if ((r = reg_step(st, s, what)) < 0) {
		reg_reset(st, s);
		return -1;
	}
	if (r != REG_ROW) {
		rc = REG_NOT_FOUND;
		reg_fail(st, "no application named '%.64s' holds a valid token "
		    "(tether app list)", name);
	} else if ((salt = st->be->col_blob(s, 0, &len)) == NULL ||
	    len != SALT_LEN) {
		rc = REG_NOT_FOUND;
		reg_fail(st, "application '%.64s' has no webhook secret: run "
		    "'tether app webhook %.64s'", name, name);
	} else {
		derive(st, salt, secret);
		rc = 0;
	}
	reg_reset(st, s);
	return rc;
}

/* see registry.h */
int
reg_forwarder_start(struct reg_store *st, const char *name,
    struct reg_cursor *cursor)
{
	const char *what = "cannot read the forwarder's cursor";
	struct reg_stmt *s;
	const char *text;
	int r;

	if (reg_ready(st, what) < 0)
		return -1;
	s = reg_stmt(st, Q_FWD_INIT);
	reg_bind_text(st, s, 1, name);
	reg_bind_int(st, s, 2, reg_now_ms());
	if (reg_run(st, s, what) < 0)
		return -1;
	s = reg_stmt(st, Q_FWD_GET);
	reg_bind_text(st, s, 1, name);
	r = reg_step(st, s, what);
	if (r == REG_ROW) {
		text = reg_col_text(st, s, 0);
		if (reg_cursor_parse(text != NULL ? text : "", cursor) < 0)
			r = reg_fail(st, "%s: the stored cursor '%.40s' is "
			    "damaged", what, text);
	} else if (r == REG_DONE) {
		r = reg_fail(st, "%s: the row is gone", what);
	}
	reg_reset(st, s);
	return r < 0 ? -1 : 0;
}

/* see registry.h */
int
reg_forwarder_advance(struct reg_store *st, const char *name,
    const struct reg_cursor *cursor, long long n)
{
	const char *what = "cannot store the forwarder's cursor";
	struct reg_stmt *s = reg_stmt(st, Q_FWD_ADVANCE);
	char text[REG_CURSOR_TEXT];

	if (reg_ready(st, what) < 0)
		return -1;
	reg_cursor_format(cursor, text);
	reg_bind_text(st, s, 1, name);
	reg_bind_text(st, s, 2, text);
	reg_bind_int(st, s, 3, n);
	reg_bind_int(st, s, 4, reg_now_ms());
	return reg_run(st, s, what);
}

/* see registry.h */
int
reg_forwarder_error(struct reg_store *st, const char *name,
    const char *error)
{
	const char *what = "cannot store the forwarder's error";
	struct reg_stmt *s = reg_stmt(st, Q_FWD_ERROR);

	if (reg_ready(st, what) < 0)
		return -1;
	reg_bind_text(st, s, 1, name);
	reg_bind_text(st, s, 2, error);
	reg_bind_int(st, s, 3, reg_now_ms());
	return reg_run(st, s, what);
}

/* see registry.h */
long long
reg_count_after(struct reg_store *st, const struct reg_cursor *cursor)
{
	const char *what = "cannot count the messages after the cursor";
	struct reg_stmt *s = reg_stmt(st, Q_BACKLOG);
	char pos[24];

	if (reg_ready(st, what) < 0)
		return -1;
	snprintf(pos, sizeof(pos), "%llu", (unsigned long long)cursor->pos);
	reg_bind_text(st, s, 1, pos);
	reg_bind_int(st, s, 2, cursor->id);
	return reg_query_int(st, s, what);
}

/* see registry.h */
long long
reg_forwarder_list(struct reg_store *st,
    void (*fn)(void *arg, const struct reg_forwarder *f), void *arg)
{
	const char *what = "cannot list the forwarders";
	struct reg_stmt *s = reg_stmt(st, Q_FWD_LIST);
	long long n = 0;
	int r;

	if (reg_ready(st, what) < 0)
		return -1;
	while ((r = reg_step(st, s, what)) == REG_ROW) {
		struct reg_forwarder f = {
			.name = reg_col_text(st, s, 0),
			.cursor = reg_col_text(st, s, 1),
			.delivered = reg_col_int(st, s, 2),
			.last_error = reg_col_text(st, s, 3),
			.error_at = reg_col_int(st, s, 4),
			.delivered_at = reg_col_int(st, s, 5),
			.created_at = reg_col_int(st, s, 6),
		};
		struct reg_cursor c;

		if (f.name == NULL)
			f.name = "";
		if (f.cursor == NULL)
			f.cursor = "";
		if (f.last_error == NULL)
			f.last_error = "";
		f.backlog = reg_cursor_parse(f.cursor, &c) == 0 ?
		    reg_count_after(st, &c) : -1;
		fn(arg, &f);
		n++;
	}
	reg_reset(st, s);
	return r < 0 ? -1 : n;
}

/* The lowest cursor of the store's forwarders, in *low, and its name in
 * held; *any 0 when there is none. 0, or -1. */
static int
lowest_cursor(struct reg_store *st, struct reg_cursor *low, char *name,
    int *any)
{
	const char *what = "cannot read the forwarders' cursors";
	struct reg_stmt *s = reg_stmt(st, Q_FWD_LIST);
	struct reg_cursor c;
	const char *text;
	int r;

	*any = 0;
	while ((r = reg_step(st, s, what)) == REG_ROW) {
		text = reg_col_text(st, s, 1);
		/* a damaged cursor holds everything: the zero cursor */
		if (reg_cursor_parse(text != NULL ? text : "", &c) < 0)
			memset(&c, 0, sizeof(c));
		if (!*any || c.pos < low->pos || (c.pos == low->pos &&
		    c.id < low->id)) {
			*low = c;
			reg_copy(name, REG_FORWARDER_MAX, reg_col_text(st, s, 0));
		}
		*any = 1;
	}
	reg_reset(st, s);
	return r < 0 ? -1 : 0;
}

/* see registry.h */
long long
reg_prune(struct reg_store *st, int64_t cutoff, size_t limit, char *held)
{
	const char *what = "cannot delete old messages";
	struct reg_stmt *s;
	struct reg_cursor low = { .pos = UINT64_MAX, .id = INT64_MAX };
	char name[REG_FORWARDER_MAX], pos[24];
	long long n = 0;
	int64_t oldest;
	int any, r;

	if (held != NULL)
		held[0] = '\0';
	if (reg_ready(st, what) < 0 || reg_begin(st, what) < 0)
		return -1;
	/* in the transaction: a cursor read here cannot move back before
	 * the delete commits (cursors only advance) */
	if (lowest_cursor(st, &low, name, &any) < 0)
		goto fail;
	if (!any) {
		low.pos = UINT64_MAX;
		low.id = INT64_MAX;
	}
	s = reg_stmt(st, Q_PRUNE);
	snprintf(pos, sizeof(pos), "%llu", (unsigned long long)low.pos);
	reg_bind_int(st, s, 1, cutoff);
	reg_bind_int(st, s, 2, low.id);
	reg_bind_int(st, s, 3, (int64_t)limit);
	reg_bind_text(st, s, 4, pos);
	if ((r = reg_step(st, s, what)) >= 0)
		n = st->be->changed(st, s);
	reg_reset(st, s);
	if (r < 0 || (n > 0 && st->be->messages_pruned != NULL &&
	    st->be->messages_pruned(st, what) < 0) || reg_commit(st, what) < 0)
		goto fail;
	if (n < (long long)limit && any && held != NULL) {
		/* stopped short: by the forwarder, if the oldest left is old
		 * enough and some are undelivered (an old one kept only as
		 * the newest is delivered: then none are) */
		s = reg_stmt(st, Q_OLDEST);
		if ((r = reg_step(st, s, what)) == REG_ROW) {
			oldest = reg_col_int(st, s, 0);
			if (oldest < cutoff && reg_count_after(st, &low) > 0)
				reg_copy(held, REG_FORWARDER_MAX, name);
		}
		reg_reset(st, s);
	}
	return n;
fail:
	reg_rollback(st);
	return -1;
}
