/* SPDX-License-Identifier: MIT */
/*
 * keys.c - the registry key meets its database, once for every backend:
 * a database remembers a keyed hash of a fixed text (meta.key_check),
 * written when its first key was used, so a wrong key is refused at open
 * instead of quietly refusing every device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "registry/keyfile.h"
#include "registry/registry_int.h"

/* The fixed text whose keyed hash a database keeps. */
#define KEY_CHECK_TEXT	"tether registry key check v1"

/* HMAC-SHA256(key, KEY_CHECK_TEXT): what meta.key_check holds. */
static void
key_check_value(const uint8_t key[REG_KEY_LEN], uint8_t out[REG_HASH_LEN])
{
	unsigned int len = REG_HASH_LEN;

	if (HMAC(EVP_sha256(), key, REG_KEY_LEN,
	    (const unsigned char *)KEY_CHECK_TEXT,
	    sizeof(KEY_CHECK_TEXT) - 1, out, &len) == NULL)
		memset(out, 0, REG_HASH_LEN);
}

/* Reads meta.key_check into out; returns 1, 0 when absent, -1. */
static int
key_check_read(struct reg_store *st, uint8_t out[REG_HASH_LEN])
{
	struct reg_stmt *s = reg_stmt(st, Q_KEY_CHECK_GET);
	const void *v;
	size_t len = 0;
	int r;

	if ((r = reg_step(st, s, "cannot read the database's key check")) ==
	    REG_ROW) {
		v = st->be->col_blob(s, 0, &len);
		/* a damaged value: compare against zeros, which never
		 * match, rather than trust it */
		if (v != NULL && len == REG_HASH_LEN)
			memcpy(out, v, REG_HASH_LEN);
		else
			memset(out, 0, REG_HASH_LEN);
	}
	reg_reset(st, s);
	return r < 0 ? -1 : r == REG_ROW;
}

int
reg_load_key(struct reg_store *st, const char *db, const char *key_file)
{
	uint8_t want[REG_HASH_LEN] = { 0 }, have[REG_HASH_LEN];
	char *path = NULL;
	const char *kf = key_file;
	struct reg_stmt *s;
	int found, rc = -1;

	if (kf == NULL) {
		size_t len = strlen(db) + sizeof(".key");

		if (st->be->key_file_required != NULL)
			return reg_fail(st, "%s", st->be->key_file_required);
		if ((path = malloc(len)) == NULL)
			return reg_fail(st, "out of memory");
		snprintf(path, len, "%s.key", db);
		kf = path;
	}
	if ((found = key_check_read(st, want)) < 0)
		goto out;
	switch (reg_key_load(kf, !found, st->key, st->err)) {
	case REG_KEY_LOADED:
	case REG_KEY_CREATED:
		break;
	case REG_KEY_MISSING:
		reg_fail(st, "the registry key file %s is missing, but %s "
		    "already has a key: restore the key file, or name the one "
		    "it was made with", kf, st->name);
		goto out;
	default:
		goto out;
	}
	key_check_value(st->key, have);
	if (!found) {
		/* Several processes may get here at once with the same key
		 * file; the first insert wins and the rest compare. */
		s = reg_stmt(st, Q_KEY_CHECK_PUT);
		reg_bind_blob(st, s, 1, have, REG_HASH_LEN);
		if (reg_run(st, s, "cannot record the registry key "
		    "check") < 0 || (found = key_check_read(st, want)) < 0)
			goto out;
	}
	if (CRYPTO_memcmp(want, have, REG_HASH_LEN) != 0) {
		reg_fail(st, "the registry key file %s is not the key %s was "
		    "made with: every device would be refused; name the right "
		    "key file", kf, st->name);
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}
