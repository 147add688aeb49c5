/* SPDX-License-Identifier: MIT */
/*
 * apps.c - applications and their tokens, once for every backend: add
 * (the token is drawn here and shown once), revoke, look up by the
 * token's keyed hash, list. Each change is one transaction with its
 * audit row.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "registry/random.h"
#include "registry/registry_int.h"

/* What an application token's hash is keyed over besides the token: a
 * text no device credential starts with (it holds a NUL, which no
 * credential text has), so the two domains never meet. */
static const char app_domain[] = "tether app token v1";

static const struct {
	const char	*name;
	unsigned	 bit;
} scope_names[] = {
	{ "read",	REG_SCOPE_READ },
	{ "command",	REG_SCOPE_COMMAND },
};

/* see registry.h */
int
reg_scopes_parse(const char *text, unsigned *scopes, char *why)
{
	const char *p = text;

	*scopes = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		size_t i;

		for (i = 0; i < sizeof(scope_names) / sizeof(*scope_names); i++)
			if (strlen(scope_names[i].name) == n &&
			    strncmp(p, scope_names[i].name, n) == 0)
				break;
		if (i == sizeof(scope_names) / sizeof(*scope_names)) {
			snprintf(why, REG_ERR_LEN, "'%.*s' is not a scope "
			    "(the scopes are read and command)",
			    n > 32 ? 32 : (int)n, p);
			return -1;
		}
		*scopes |= scope_names[i].bit;
		p += n;
		if (*p == ',')
			p++;
	}
	if (*scopes == 0) {
		snprintf(why, REG_ERR_LEN, "an application needs at least one "
		    "scope (read, command)");
		return -1;
	}
	return 0;
}

/* see registry.h */
void
reg_scopes_format(unsigned scopes, char out[REG_SCOPES_TEXT])
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(scope_names) / sizeof(*scope_names); i++)
		if (scopes & scope_names[i].bit)
			at += (size_t)snprintf(out + at, REG_SCOPES_TEXT - at,
			    "%s%s", at > 0 ? "," : "", scope_names[i].name);
}

/* see registry.h */
void
reg_app_token_hash(const struct reg_store *st, const char *token,
    size_t len, uint8_t out[REG_HASH_LEN])
{
	uint8_t buf[sizeof(app_domain) + 2 * REG_APP_TOKEN_LEN];

	/* longer than any token: matches none (no stored hash is zeros) */
	if (len > sizeof(buf) - sizeof(app_domain)) {
		memset(out, 0, REG_HASH_LEN);
		return;
	}
	memcpy(buf, app_domain, sizeof(app_domain));	/* with its NUL */
	memcpy(buf + sizeof(app_domain), token, len);
	reg_credential_hash(st, (const char *)buf, sizeof(app_domain) + len,
	    out);
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* Draws a token: the credential text form with the application prefix
 * (the CRC covers the data, not the prefix). 0, or -1. */
static int
app_token_draw(char token[REG_APP_TOKEN_LEN + 1])
{
	uint8_t raw[TETHER_CREDENTIAL_RAW];

	if (reg_random(raw, sizeof(raw)) < 0)
		return -1;
	tether_credential_format(raw, token);
	memcpy(token, REG_APP_TOKEN_PREFIX, sizeof(REG_APP_TOKEN_PREFIX) - 1);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

static int
name_check(struct reg_store *st, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= REG_APP_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		return reg_fail(st, "'%.64s' is not an application name (1 to "
		    "%d characters of a-z, 0-9, '.', '_', '-')", name,
		    REG_APP_NAME_MAX - 1);
	return 0;
}

/* see registry.h */
int
reg_app_add(struct reg_store *st, const char *name, unsigned scopes,
    const char *actor, char token[REG_APP_TOKEN_LEN + 1])
{
	const char *what = "cannot add the application";
	struct reg_stmt *s = reg_stmt(st, Q_APP_INSERT);
	uint8_t hash[REG_HASH_LEN];
	char list[REG_SCOPES_TEXT], detail[REG_DETAIL_MAX];
	int64_t now = reg_now_ms();
	long long n = 0;
	int r;

	if (name_check(st, name) < 0 || reg_ready(st, what) < 0)
		return -1;
	if (app_token_draw(token) < 0)
		return reg_fail(st, "%s: the system has no random bytes", what);
	reg_app_token_hash(st, token, REG_APP_TOKEN_LEN, hash);
	reg_scopes_format(scopes, list);
	if (reg_begin(st, what) < 0)
		goto fail;
	reg_bind_text(st, s, 1, name);
	reg_bind_blob(st, s, 2, hash, REG_HASH_LEN);
	reg_bind_text(st, s, 3, list);
	reg_bind_int(st, s, 4, now);
	if ((r = reg_step(st, s, what)) >= 0)
		n = st->be->changed(st, s);
	reg_reset(st, s);
	if (r < 0)
		goto rollback;
	if (n == 0) {
		reg_fail(st, "an application named '%s' exists (names are "
		    "never reused, also once revoked): choose another", name);
		goto rollback;
	}
	snprintf(detail, sizeof(detail), "app %s, scopes %s", name, list);
	if (reg_audit(st, now, actor, NULL, "app-add", detail, NULL) < 0 ||
	    reg_commit(st, what) < 0)
		goto rollback;
	return 0;
rollback:
	reg_rollback(st);
fail:
	OPENSSL_cleanse(token, REG_APP_TOKEN_LEN + 1);
	return -1;
}

/* see registry.h */
int
reg_app_revoke(struct reg_store *st, const char *name, const char *actor)
{
	const char *what = "cannot revoke the application";
	struct reg_stmt *s = reg_stmt(st, Q_APP_REVOKE);
	char detail[REG_DETAIL_MAX];
	int64_t now = reg_now_ms();
	long long n = 0;
	int r;

	if (reg_ready(st, what) < 0 || reg_begin(st, what) < 0)
		return -1;
	reg_bind_text(st, s, 1, name);
	reg_bind_int(st, s, 2, now);
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
	snprintf(detail, sizeof(detail), "app %s", name);
	if (reg_audit(st, now, actor, NULL, "app-revoke", detail, NULL) < 0 ||
	    reg_commit(st, what) < 0)
		goto fail;
	return 0;
fail:
	reg_rollback(st);
	return -1;
}

static void
read_app(struct reg_store *st, struct reg_stmt *s, struct reg_app *app)
{
	const char *list = reg_col_text(st, s, 1);
	char why[REG_ERR_LEN];

	memset(app, 0, sizeof(*app));
	reg_copy(app->name, sizeof(app->name), reg_col_text(st, s, 0));
	/* a damaged list grants nothing */
	if (list == NULL || reg_scopes_parse(list, &app->scopes, why) < 0)
		app->scopes = 0;
	app->created_at = reg_col_int(st, s, 2);
	app->revoked_at = reg_col_int(st, s, 3);
}

/* see registry.h */
int
reg_app_lookup(struct reg_store *st, const uint8_t hash[REG_HASH_LEN],
    struct reg_app *app)
{
	const char *what = "cannot look the application token up";
	struct reg_stmt *s = reg_stmt(st, Q_APP_LOOKUP);
	int r;

	if (reg_ready(st, what) < 0)
		return -1;
	reg_bind_blob(st, s, 1, hash, REG_HASH_LEN);
	if ((r = reg_step(st, s, what)) == REG_ROW)
		read_app(st, s, app);
	reg_reset(st, s);
	return r < 0 ? -1 : r == REG_ROW ? 0 : REG_NOT_FOUND;
}

/* see registry.h */
long long
reg_app_list(struct reg_store *st,
    void (*fn)(void *arg, const struct reg_app *app), void *arg)
{
	const char *what = "cannot list the applications";
	struct reg_stmt *s = reg_stmt(st, Q_APP_LIST);
	struct reg_app app;
	long long n = 0;
	int r;

	if (reg_ready(st, what) < 0)
		return -1;
	while ((r = reg_step(st, s, what)) == REG_ROW) {
		read_app(st, s, &app);
		fn(arg, &app);
		n++;
	}
	reg_reset(st, s);
	return r < 0 ? -1 : n;
}
