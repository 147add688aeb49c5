/* SPDX-License-Identifier: MIT */
/*
 * registry_int.h - what the registry's files share: the handle (with its
 * backend, backend.h), the primitives as calls (reg_step, ...), and the
 * code that does not depend on the database: keyed hashes, drawing
 * credentials, last-seen throttling.
 */
#ifndef REG_REGISTRY_INT_H
#define REG_REGISTRY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "registry/keyfile.h"
#include <openssl/evp.h>

#include "registry/backend.h"
#include "registry/registry.h"

/*
 * Last-seen times (messages.c) are written at most once per REG_TOUCH_MS
 * per device and address: under load every message would otherwise
 * rewrite its device's row and its last_seen index entry, doubling the
 * pages each commit writes. A new address (a new connection) is written
 * at once. The table remembers what this handle last wrote for each
 * device (by a hash of its id; a collision only costs an extra write).
 */
#define REG_TOUCH_MS		10000
#define REG_TOUCH_SLOTS		4096	/* power of two */
/* Devices whose last-seen time one batch of messages writes, at most. */
#define REG_TOUCH_BATCH		1024

struct reg_touch {
	uint64_t	 id_hash;
	uint64_t	 peer_hash;
	int64_t		 at;
};

struct reg_store {
	const struct reg_backend *be;
	void			*db;	/* the backend's own state */
	/* The database in sentences: its path, or "the PostgreSQL
	 * database at host:port". */
	char			 name[REG_ERR_LEN];
	uint8_t			 key[REG_KEY_LEN];
	/* HMAC-SHA256 keyed with key, made once at open: the one-shot
	 * HMAC() looks the algorithm up on every call (1.3 µs against
	 * 0.2 µs reused), and the gateway hashes every request. */
	EVP_MAC_CTX		*mac;
	char			 err[REG_ERR_LEN];
	/* How long a call waits for a database server's answer, in ms
	 * (reg_set_timeout); 0: as long as it takes. */
	int			 timeout_ms;
	struct reg_touch	 touched[REG_TOUCH_SLOTS];
};

/* Sets the handle's error (a sentence; a long one is cut short) and
 * returns -1. */
int reg_fail(struct reg_store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* out = HMAC-SHA256(registry key, domain[0..len)), the key that seals
 * TLS secrets in the store (tickets.c, sessions.c). Unlike
 * reg_credential_hash, a failure is said: 0, or -1 with st->err and out
 * wiped (zeros would be a known key to seal master secrets under). */
int reg_seal_key(struct reg_store *st, const char *domain, size_t len,
    uint8_t out[REG_HASH_LEN]);

/* The parts of reg_open after the backend connected: brings the schema
 * up to date (migrate.c), loads and checks the registry key (keys.c). */
int reg_migrate(struct reg_store *st);
int reg_load_key(struct reg_store *st, const char *db, const char *key_file);

/* Checks a label or label prefix: at most max bytes, no control
 * characters (they would garble every listing). 0, or -1 with st->err. */
int reg_check_text(struct reg_store *st, const char *what, const char *text,
    size_t max);

/* A status as the registry reads it: anything but "active" is refused,
 * the safe reading for an authentication decision. */
enum reg_status reg_status_parse(const char *text);
const char *reg_status_text(enum reg_status status);

/* Copies a text column, NULL read as "". */
void reg_copy(char *dst, size_t size, const char *src);

/* Fills dev from a row of Q_DEVICE_GET's columns (devices.c). */
void reg_read_device(struct reg_store *st, struct reg_stmt *s,
    struct reg_device *dev);
/* The device, inside a transaction: 0, REG_NOT_FOUND with st->err "no
 * device has the id '...'", or -1. */
int reg_device_in_txn(struct reg_store *st, const char *id,
    struct reg_device *dev);

/*
 * Commands (commands.c): in a batch's transaction, after m is stored (or
 * found a duplicate), applies its ack and takes the device's next command
 * (registry.h, struct reg_message). At most REG_COMMAND_PROBES pending
 * commands are looked at per message (those too large are rejected on
 * the way). 0, or -1.
 */
#define REG_COMMAND_PROBES	8
int reg_command_exchange(struct reg_store *st, struct reg_message *m,
    int64_t now, const char *what);

/* An audit row (feed.c); *row_id (may be NULL) gets its id. */
int reg_audit(struct reg_store *st, int64_t at, const char *actor,
    const char *device_id, const char *action, const char *detail,
    int64_t *row_id);
/* A row in the change feed (feed.c): running gateways drop what they
 * cached of the device and close its connections. */
int reg_feed(struct reg_store *st, const char *id, int64_t at,
    const char *what);

/* An event row of a batch (presence.c): the presence table changes and
 * the row is stored with its body, inside the batch's transaction. */
int reg_presence_event(struct reg_store *st, struct reg_message *m,
    const char *what);

/*
 * The primitives of backend.h as calls.
 */

static inline int
reg_ready(struct reg_store *st, const char *what)
{
	return st->be->ready != NULL ? st->be->ready(st, what) : 0;
}

static inline struct reg_stmt *
reg_stmt(struct reg_store *st, enum reg_query q)
{
	return st->be->stmt(st, q);
}

static inline void
reg_bind_text(struct reg_store *st, struct reg_stmt *s, int i, const char *v)
{
	st->be->bind_text(s, i, v);
}

static inline void
reg_bind_int(struct reg_store *st, struct reg_stmt *s, int i, int64_t v)
{
	st->be->bind_int(s, i, v);
}

static inline void
reg_bind_blob(struct reg_store *st, struct reg_stmt *s, int i, const void *v,
    size_t len)
{
	st->be->bind_blob(s, i, v, len);
}

/* REG_ROW, REG_DONE, or -1 with st->err "<what>: <cause>". */
static inline int
reg_step(struct reg_store *st, struct reg_stmt *s, const char *what)
{
	return st->be->step(st, s, what);
}

static inline const char *
reg_col_text(struct reg_store *st, struct reg_stmt *s, int c)
{
	return st->be->col_text(s, c);
}

static inline int64_t
reg_col_int(struct reg_store *st, struct reg_stmt *s, int c)
{
	return st->be->col_int(s, c);
}

static inline void
reg_reset(struct reg_store *st, struct reg_stmt *s)
{
	st->be->reset(s);
}

static inline int
reg_begin(struct reg_store *st, const char *what)
{
	return st->be->begin(st, what);
}

static inline int
reg_commit(struct reg_store *st, const char *what)
{
	return st->be->commit(st, what);
}

static inline void
reg_rollback(struct reg_store *st)
{
	st->be->rollback(st);
}

/* Steps a statement that gives no rows and resets it; 0 or -1. */
int reg_run(struct reg_store *st, struct reg_stmt *s, const char *what);
/* backend.h, run_later: reg_run, whose answer may come at the next step
 * or the commit; for writes inside a store batch nobody reads back. */
int reg_run_later(struct reg_store *st, struct reg_stmt *s,
    const char *what);
/* Runs a statement that gives one integer (a count); the value, or -1. */
long long reg_query_int(struct reg_store *st, struct reg_stmt *s,
    const char *what);
/* backend.h, run_rows; stepped one by one when the backend has none. */
int reg_run_rows(struct reg_store *st, struct reg_stmt *s, size_t n,
    int (*bind)(void *arg, size_t i, struct reg_stmt *s), void *arg,
    long long *changed, const char *what);

#endif
