/*
 * registry_int.h - what the registry's backends share: the handle, the
 * table of operations each backend fills (registry.c routes every public
 * reg_* call through it), and the code that does not depend on the
 * database: keyed hashes, drawing credentials, last-seen throttling.
 */
#ifndef REG_REGISTRY_INT_H
#define REG_REGISTRY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "registry/keyfile.h"
#include <openssl/evp.h>

#include "registry/registry.h"

/*
 * Last-seen times are written at most once per REG_TOUCH_MS per device
 * and address: under load every message would otherwise rewrite its
 * device's row and its last_seen index entry, doubling the pages each
 * commit writes. A new address (a new connection) is written at once. The
 * table remembers what this handle last wrote for each device (by a hash
 * of its id; a collision only costs an extra write).
 */
#define REG_TOUCH_MS		10000
#define REG_TOUCH_SLOTS		4096	/* power of two */
/* Devices whose last-seen time one batch of messages writes, at most. */
#define REG_TOUCH_BATCH		1024

/* How often a fresh id or credential is drawn when it collides with one
 * already registered; 40-bit ids collide now and then in big fleets, so
 * a few draws always suffice, and a run of failures means a bug. */
#define REG_MAX_DRAWS		16
/* A label prefix must leave room for "-<n>". */
#define REG_PREFIX_MAX		(REG_LABEL_MAX - 22)
/* Nearest ids reg_suggest keeps before choosing the best. */
#define REG_SUGGEST_DISTANCE	2

/* The fixed text whose keyed hash a database keeps (meta.key_check). */
#define REG_KEY_CHECK_TEXT	"tether registry key check v1"

struct reg_touch {
	uint64_t	 id_hash;
	uint64_t	 peer_hash;
	int64_t		 at;
};

/* What a store does, one entry per public call that reads or writes the
 * database; registry.h says what each does. */
struct reg_ops {
	void		(*close)(struct reg_store *);
	int		(*lookup)(struct reg_store *, const uint8_t *,
			    char *, enum reg_status *);
	int		(*provision_batch)(struct reg_store *,
			    const struct reg_batch *, struct reg_new_device *);
	int		(*set_status)(struct reg_store *, const char *,
			    enum reg_status, const char *);
	int		(*changes)(struct reg_store *, int64_t *,
			    void (*)(void *, const char *), void *);
	int		(*wait_changes)(struct reg_store *, int);
	int		(*store_messages)(struct reg_store *,
			    struct reg_message *, size_t);
	long long	(*count_messages)(struct reg_store *, const char *);
	int		(*store_prepare)(struct reg_store *);
	int		(*defer_sync)(struct reg_store *, int *);
	int		(*device_get)(struct reg_store *, const char *,
			    struct reg_device *);
	int		(*rotate)(struct reg_store *, const char *,
			    const char *, struct reg_new_device *,
			    int (*)(void *, const struct reg_new_device *,
			    size_t), void *);
	int		(*rename)(struct reg_store *, const char *,
			    const char *, const char *);
	int		(*forget)(struct reg_store *, const char *, int,
			    const char *, long long *);
	long long	(*list)(struct reg_store *, const struct reg_filter *,
			    int (*)(void *, const struct reg_device *),
			    void *);
	int		(*audit_list)(struct reg_store *, const char *, size_t,
			    void (*)(void *, const struct reg_audit *),
			    void *);
	int		(*suggest)(struct reg_store *, const char *,
			    char (*)[REG_ID_MAX], size_t);
	int		(*migrations)(struct reg_store *,
			    void (*)(void *, const struct reg_migration_row *),
			    void *);
};

struct reg_sqlite;
struct reg_pg;

struct reg_store {
	const struct reg_ops	*ops;
	struct reg_sqlite	*sq;	/* the SQLite backend's state */
	struct reg_pg		*pg;	/* the PostgreSQL backend's state */
	uint8_t			 key[REG_KEY_LEN];
	/* HMAC-SHA256 keyed with key, made once at open: the one-shot
	 * HMAC() looks the algorithm up on every call (1.3 µs against
	 * 0.2 µs reused), and the gateway hashes every request. */
	EVP_MAC_CTX		*mac;
	char			 err[REG_ERR_LEN];
	struct reg_touch	 touched[REG_TOUCH_SLOTS];
};

/* The backends' openers: on failure they return -1 with st->err set and
 * leave st->ops set (or NULL) so that reg_close can free what they made. */
int reg_sq_open(struct reg_store *st, const char *db, const char *key_file);
int reg_pg_open(struct reg_store *st, const char *db, const char *key_file);

/* HMAC-SHA256(key, REG_KEY_CHECK_TEXT): what meta.key_check holds. */
void reg_key_check_value(const uint8_t key[REG_KEY_LEN],
    uint8_t out[REG_HASH_LEN]);

/* Checks a label or label prefix: at most max bytes, no control
 * characters (they would garble every listing). 0, or -1 with st->err. */
int reg_check_text(struct reg_store *st, const char *what, const char *text,
    size_t max);

/* Checks a batch before any database work: a known scheme, MACs where the
 * scheme needs them, a sane label prefix. 0, or -1 with st->err. */
int reg_batch_check(struct reg_store *st, const struct reg_batch *b);

/* Fills out[i] (zeroed) with the scheme, label and MAC of a batch's i-th
 * device; mac gets its text form when it has one ("" otherwise). */
void reg_batch_device(const struct reg_batch *b, size_t i,
    struct reg_new_device *dev, char mac[REG_MAC_TEXT]);

/* The audit detail of a provisioned batch. */
void reg_batch_detail(const struct reg_batch *b, char *out, size_t size);
/* The audit detail of a forgotten device, alike on both backends. */
void reg_forget_detail(const struct reg_device *dev, int delete_messages,
    char *out, size_t size);

/*
 * Draws a fresh secret for dev (scheme, has_mac and mac set) and derives
 * its credential and their hash. With id_too, draws a fresh id as well.
 * 0, or -1 with st->err.
 */
int reg_draw(struct reg_store *st, struct reg_new_device *dev, int id_too,
    uint8_t hash[REG_HASH_LEN]);

/*
 * Last seen: returns 1 when the device's last-seen time and address are
 * due to be written in this batch (and remembers it in done, which holds
 * REG_TOUCH_BATCH), 0 when written recently enough. reg_touch_commit
 * records done once the batch is committed.
 */
int reg_touch_due(struct reg_store *st, struct reg_touch *done,
    size_t *ndone, const char *id, const char *peer, int64_t now);
void reg_touch_commit(struct reg_store *st, const struct reg_touch *done,
    size_t ndone);

/* Inserts id into out (kept sorted by distance d, then id, at most max
 * entries; dist holds the distances). */
void reg_keep_nearest(char (*out)[REG_ID_MAX], int *dist, size_t *n,
    size_t max, const char *id, int d);

/* A status as the registry reads it: anything but "active" is refused,
 * the safe reading for an authentication decision. */
enum reg_status reg_status_parse(const char *text);
const char *reg_status_text(enum reg_status status);

#endif
