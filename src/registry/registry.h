/* SPDX-License-Identifier: MIT */
/*
 * registry.h - the mapper (secret credential -> human-readable device id)
 * and the message store, behind one interface.
 *
 * Backends: SQLite (a file path) and PostgreSQL (a postgres:// or
 * postgresql:// URI), behind the same calls. A store handle is used by one
 * thread at a time; threads open their own handles on the same database.
 *
 * The registry never stores a credential: only its keyed hash,
 * HMAC-SHA256(registry key, credential text). The registry key is 32 random
 * bytes in a file (by default "<db>.key" beside an SQLite database, mode
 * 0600), made on first use; every process that provisions or serves devices
 * of one database must use the same key file. A PostgreSQL database has no
 * file to put it beside: its key file must be named.
 *
 * Results, for every call that returns an int and is not a count: 0 when
 * it did what was asked, REG_NOT_FOUND when the device (or credential) it
 * names does not exist, -1 on an error, with the reason in reg_error().
 * Calls that count (reg_list, reg_changes, ...) return the count or -1.
 */
#ifndef REG_REGISTRY_H
#define REG_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "tether.h"

#define REG_ID_MAX	32	/* device id, with NUL */
#define REG_LABEL_MAX	128	/* owner label, with NUL */
#define REG_HASH_LEN	32
#define REG_ERR_LEN	256
#define REG_MAC_TEXT	18	/* "aa:bb:cc:dd:ee:ff", with NUL */
#define REG_ACTOR_MAX	96	/* audit actor, with NUL */
#define REG_ACTION_MAX	16	/* audit action, with NUL */
#define REG_DETAIL_MAX	320	/* audit detail, with NUL */

/* Not 1, which meant "found" for reg_lookup and reg_device_get before
 * they took this convention: code written for that reads this as not
 * found, never the reverse. */
#define REG_NOT_FOUND	2

enum reg_status {
	REG_ACTIVE = 1,
	REG_REVOKED = 2,
};

struct reg_store;

/*
 * Opens (and creates, and migrates to the current schema) the database at
 * db: a libpq URI "postgres://..." or "postgresql://..." for PostgreSQL
 * (the database must exist; its tables are made), anything else an SQLite
 * file path. key_file is the registry key file, or NULL for "<db>.key"
 * (SQLite only); it is created with 32 random bytes if missing and the
 * database has no key yet. On failure returns -1 and writes a sentence to
 * err (REG_ERR_LEN bytes). A PostgreSQL handle whose connection broke
 * (the server restarted) reconnects by itself on its next call; the call
 * that found it broken fails.
 */
int reg_open(struct reg_store **out, const char *db, const char *key_file,
    char *err);
void reg_close(struct reg_store *st);

/*
 * How long a call of this handle waits for PostgreSQL's answer, in ms:
 * past it the call fails ("PostgreSQL at HOST:PORT did not answer within
 * 3 s"), the query is cancelled and the next call reconnects. 0: as long
 * as it takes. reg_open starts at REG_TIMEOUT_DEFAULT_MS and waits as long
 * as a schema migration takes. SQLite's calls are bounded by its own lock
 * waits and not by this.
 */
#define REG_TIMEOUT_DEFAULT_MS	3000
void reg_set_timeout(struct reg_store *st, int ms);

/*
 * Asks the store whether it takes a write: a transaction that rewrites one
 * row of its own (meta's key check, unchanged) and commits. 0, or -1 with
 * the reason (a lock held elsewhere past the busy timeout, a read-only or
 * full database, PostgreSQL unavailable). A read would pass where writes
 * fail (SQLite reads a locked or read-only file): the gateway's health
 * asks this once a second while its last commit failed.
 */
int reg_ping(struct reg_store *st);

/* The file that holds the database db names (db itself, for SQLite), or
 * NULL when it is not a file of this machine (a PostgreSQL URI): what a
 * tool checks exists before reg_open would make it. */
const char *reg_db_file(const char *db);

/* 1 when reg_wait_changes is woken by changes as they are committed
 * (PostgreSQL LISTEN/NOTIFY), 0 when the caller must poll reg_changes. */
int reg_can_notify(const struct reg_store *st);

/* The last error of this handle, a sentence ("database is locked", ...). */
const char *reg_error(const struct reg_store *st);

/* out = HMAC-SHA256(registry key, cred[0..len)). */
void reg_credential_hash(const struct reg_store *st, const char *cred,
    size_t len, uint8_t out[REG_HASH_LEN]);

/*
 * Looks a credential hash up among active devices. Returns 0 and fills id
 * (REG_ID_MAX) when an active device has it, REG_NOT_FOUND when none does
 * (never issued, or revoked: the same miss, the same work), -1 on a
 * database error.
 */
int reg_lookup(struct reg_store *st, const uint8_t hash[REG_HASH_LEN],
    char *id);

/*
 * A device made by reg_provision_batch (or given a new secret by
 * reg_rotate). secret is what is flashed into the device, credential what
 * the device sends (tether_credential_derive of the secret and the MAC;
 * the same text for the plain scheme). Both are the only copies: the
 * registry keeps a keyed hash of the credential and nothing of the secret.
 */
struct reg_new_device {
	char			id[REG_ID_MAX];
	char			label[REG_LABEL_MAX];
	char			credential[TETHER_CREDENTIAL_MAX];
	char			secret[TETHER_CREDENTIAL_MAX];
	enum tether_scheme	scheme;
	int			has_mac;
	uint8_t			mac[TETHER_MAC_LEN];
};

/* Sets a device's status (REG_REVOKED to revoke, REG_ACTIVE to restore),
 * records it in the audit trail and the change feed. Returns 0,
 * REG_NOT_FOUND when no device has that id, or -1. */
int reg_set_status(struct reg_store *st, const char *id,
    enum reg_status status, const char *actor);

/*
 * The change feed: calls fn for each device whose status or credential
 * changed since *cursor (0 at start: then it only sets *cursor to the
 * latest change, calling fn for none), and advances *cursor. Returns the
 * number of changes, or -1.
 */
int reg_changes(struct reg_store *st, int64_t *cursor,
    void (*fn)(void *arg, const char *id), void *arg);

/*
 * Waits up to timeout_ms for a change to be announced: PostgreSQL
 * LISTEN/NOTIFY wakes it at the commit of any process's change; returns 1
 * then (the number of wake-ups, at most 1), 0 at the time-out, -1 on an
 * error. Without reg_can_notify it returns 0 at once and the caller polls
 * reg_changes on its own clock.
 */
int reg_wait_changes(struct reg_store *st, int timeout_ms);

/* What a row of the message store is: a device's message, or an event
 * about it (presence.c) that readers take in the same order. */
enum reg_kind {
	REG_KIND_MESSAGE = 0,
	REG_KIND_CONNECTED = 1,
	REG_KIND_DISCONNECTED = 2,
};

/* A message handed to the store. */
struct reg_message {
	const char	*device_id;
	int64_t		 seq;		/* X-Tether-Seq, or -1 */
	const void	*body;
	size_t		 len;
	const char	*peer;		/* "ip:port" */
	int		 duplicate;	/* out: 1 if (device, seq) was stored before */
	/*
	 * Commands to the device (commands.c), looked at only when cmd_max
	 * or cmd_ack is not 0, in the message's transaction (stored or a
	 * duplicate): cmd_ack, the command the device acknowledges (0:
	 * none); cmd_max, the largest payload it takes (X-Tether-Commands;
	 * 0: it takes none), with cmd_buf, min(cmd_max, REG_COMMAND_LIMIT)
	 * bytes of the caller's. Out: cmd_id (0: none) and cmd_len, the
	 * command to put in the answer (payload in cmd_buf), now marked
	 * delivered; cmd_acked 1 when the ack changed a command; cmd_rejected
	 * how many pending ones were too large and marked rejected.
	 */
	int64_t		 cmd_ack;
	size_t		 cmd_max;
	void		*cmd_buf;
	int64_t		 cmd_id;
	size_t		 cmd_len;
	int		 cmd_acked;
	int		 cmd_rejected;
	/*
	 * An event instead (kind not 0): the device connected to node (or
	 * its last connection there closed, for reason) at unix ms at. The
	 * store keeps the presence table with it in the same transaction
	 * and writes the row's body itself, {"reason", "node", "online"};
	 * body, len and seq are not read.
	 */
	enum reg_kind	 kind;
	const char	*node;
	const char	*reason;	/* disconnected: "closed", ... */
	int64_t		 at;
};

/*
 * Gets a handle ready to store messages before the first batch: the
 * SQLite backend builds its duplicate check here (on a database just
 * upgraded to schema 3 it reads every stored message once, then saves a
 * snapshot). The gateway calls it before it listens. 0, or -1 with the
 * reason in reg_error.
 */
int reg_store_prepare(struct reg_store *st);

/*
 * Lets the caller make commits durable itself, so that one fdatasync can
 * cover several commits while the next batch is written. The SQLite
 * backend then commits without syncing (synchronous=NORMAL, this handle
 * only) and sets *fd to its write-ahead log, which the caller must
 * fdatasync() after a commit and before acknowledging anything in it (and
 * close when done). Returns 0, with *fd -1 when commits are durable by
 * themselves (PostgreSQL), or -1 with the reason in reg_error.
 */
int reg_store_defer_sync(struct reg_store *st, int *fd);

/*
 * Stores n messages in one transaction (group commit: one fsync for the
 * batch) and returns 0 once it is durable (after reg_store_defer_sync:
 * once committed; durable after the caller's fdatasync), or -1 when
 * nothing was stored
 * (the database is unavailable, the disk is full, ...). A message whose
 * (device, seq) is already stored is not stored again: duplicate is set.
 * Also updates each device's last-seen time and address.
 */
int reg_store_messages(struct reg_store *st, struct reg_message *msgs,
    size_t n);

/* A schema migration as the database records it. */
struct reg_migration_row {
	int		 version;
	char		 name[128];
	int64_t		 applied_at;	/* unix milliseconds */
};

/*
 * Calls fn for each migration applied to this database, oldest first (the
 * store applies missing ones in reg_open). Returns how many, or -1.
 */
int reg_migrations_applied(struct reg_store *st,
    void (*fn)(void *arg, const struct reg_migration_row *m), void *arg);

/* The newest schema version this tether knows. */
int reg_schema_latest(void);

/* For tests and tools: the number of stored messages of a device (NULL:
 * all devices), or -1. */
long long reg_count_messages(struct reg_store *st, const char *device_id);

/*
 * Device ids: "xxxx-xxxx-c", eight Crockford base32 characters (40 random
 * bits) and a check character (devid.c says how it is computed).
 * reg_id_valid returns 1 if id is in that exact form, lowercase, with a
 * correct check character, else 0.
 */
int reg_id_valid(const char *id);

enum reg_id_check {
	REG_ID_OK = 0,
	REG_ID_MALFORMED = 1,	/* not nine base32 characters */
	REG_ID_MISTYPED = 2,	/* the check character does not match */
};

/* Reads an id as a person typed it (any case, dashes anywhere or none,
 * O read as 0, I and L as 1) and writes its canonical form to out
 * (REG_ID_MAX) when it returns REG_ID_OK. */
enum reg_id_check reg_id_normalize(const char *in, char out[REG_ID_MAX]);

/* A registered device, as the tools show it. Times are unix milliseconds
 * (0: never); last_seen_addr is "" when never seen, mac "" when the device
 * was provisioned without one. credential_at is when its current
 * credential was issued: at provisioning, or at its last rotation. */
struct reg_device {
	char			id[REG_ID_MAX];
	char			label[REG_LABEL_MAX];
	enum reg_status		status;
	enum tether_scheme	scheme;
	char			mac[REG_MAC_TEXT];
	int64_t			created_at;
	int64_t			credential_at;
	int64_t			last_seen_at;
	char			last_seen_addr[64];
};

/* Fills dev with the device whose id is id. Returns 0, REG_NOT_FOUND when
 * no device has that id, or -1. */
int reg_device_get(struct reg_store *st, const char *id,
    struct reg_device *dev);

/*
 * A batch for reg_provision_batch. With macs (count entries, read only)
 * each device is bound to its MAC, which no other device may have;
 * interleave and hmac need them, plain may have them (for the record).
 * Labels are "<label_prefix>-<n>", n from 1 in the order of macs, or empty
 * when label_prefix is NULL. before_commit, if not NULL, runs after every
 * device is inserted and before the commit, with the new devices; a
 * non-zero return rolls the batch back.
 */
struct reg_batch {
	enum tether_scheme	 scheme;
	size_t			 count;
	const uint8_t		(*macs)[TETHER_MAC_LEN];
	const char		*label_prefix;
	const char		*actor;
	int			(*before_commit)(void *arg,
				    const struct reg_new_device *devs,
				    size_t count);
	void			*arg;
};

/*
 * Registers a batch in one transaction: all or none. out must hold count
 * entries; on failure their secrets are wiped. Returns 0 or -1 (nothing
 * registered; reg_error says why, e.g. "the MAC address 24:0a:c4:12:34:56
 * already belongs to device d7k3-m9q2-x").
 */
int reg_provision_batch(struct reg_store *st, const struct reg_batch *b,
    struct reg_new_device *out);

/*
 * Gives a device a new secret and credential (same id, label, scheme and
 * MAC) and refuses the old one at once: the change feed tells gateways to
 * drop it and close the device's connections. before_commit as in
 * reg_batch (count 1). Returns 0 with out filled, REG_NOT_FOUND when no
 * device has that id, or -1.
 */
int reg_rotate(struct reg_store *st, const char *id, const char *actor,
    struct reg_new_device *out,
    int (*before_commit)(void *arg, const struct reg_new_device *devs,
	size_t count),
    void *arg);

/* Sets a device's owner label (at most REG_LABEL_MAX - 1 bytes, no control
 * characters; "" clears it) and records old and new in the audit trail.
 * Returns 0, REG_NOT_FOUND when no device has that id, or -1. */
int reg_rename(struct reg_store *st, const char *id, const char *label,
    const char *actor);

/*
 * Deletes a device: its credential is refused at once (through the change
 * feed, like a revocation), its MAC becomes free. Its messages are kept
 * unless delete_messages is set; *deleted (may be NULL) gets the number
 * deleted. The audit trail keeps its rows and gains a "forget" row.
 * Returns 0, REG_NOT_FOUND when no device has that id, or -1.
 */
int reg_forget(struct reg_store *st, const char *id, int delete_messages,
    const char *actor, long long *deleted);

/* Which devices reg_list returns; a zero field does not filter. */
struct reg_filter {
	enum reg_status	 status;	/* 0: any */
	const char	*label_glob;	/* SQL GLOB: * ? [...], case-sensitive */
	int64_t		 seen_since;	/* last seen at or after (unix ms) */
	int64_t		 not_seen_since; /* never seen, or last before */
};

/* Calls fn for each device that passes f (NULL: all), in the order they
 * were provisioned; fn returns non-zero to stop. Returns the number of
 * devices passed to fn, or -1. */
long long reg_list(struct reg_store *st, const struct reg_filter *f,
    int (*fn)(void *arg, const struct reg_device *dev), void *arg);

/* One row of the audit trail. device_id is "" for a batch row. */
struct reg_audit {
	int64_t	id;
	int64_t	at;
	char	actor[REG_ACTOR_MAX];
	char	device_id[REG_ID_MAX];
	char	action[REG_ACTION_MAX];
	char	detail[REG_DETAIL_MAX];
};

/* Calls fn for the newest limit rows about device id (its own rows and
 * the row of the batch that provisioned it), newest first. Works for a
 * forgotten device too. Returns the number of rows, or -1. */
int reg_audit_list(struct reg_store *st, const char *id, size_t limit,
    void (*fn)(void *arg, const struct reg_audit *a), void *arg);

/*
 * Registered ids near what a person typed (any case, dashes anywhere):
 * devices whose label is exactly typed first, then ids within edit
 * distance 2 (a changed, missing, extra or swapped character counts 1),
 * nearest first. Writes at most max ids to out; returns how many, or -1.
 */
int reg_suggest(struct reg_store *st, const char *typed,
    char (*out)[REG_ID_MAX], size_t max);

/*
 * Edit distance between two ids as typed (dashes ignored, read as
 * reg_id_normalize reads them), counting an adjacent swap as 1; -1 when
 * either is not made of base32 characters or longer than 16 of them.
 */
int reg_id_distance(const char *a, const char *b);

/* MAC addresses: "aa:bb:cc:dd:ee:ff" or "aabbccddeeff", either case.
 * Returns 0, or -1 with a reason in why (REG_ERR_LEN) for a text that is
 * not one, or is all zeros, broadcast or multicast (no device's own). */
int reg_mac_parse(const char *text, uint8_t mac[TETHER_MAC_LEN], char *why);
/* Writes "aa:bb:cc:dd:ee:ff" into out (REG_MAC_TEXT). */
void reg_mac_format(const uint8_t mac[TETHER_MAC_LEN],
    char out[REG_MAC_TEXT]);

/* Unix time in milliseconds: for times that are stored or shown. */
int64_t reg_now_ms(void);
/* Microseconds on a clock that never steps back: for intervals and
 * deadlines, which a wall clock set back by NTP would stretch. */
int64_t reg_mono_us(void);
/* 64-bit FNV-1a of a string: spreads device ids (which the registry
 * makes, never an attacker) over hash tables; not for chosen keys. */
uint64_t reg_hash_id(const char *s);

/* "plain", "interleave", "hmac"; reg_scheme_parse returns 0 or -1. */
const char *reg_scheme_name(enum tether_scheme scheme);
int reg_scheme_parse(const char *name, enum tether_scheme *scheme);

/*
 * Applications (apps.c): programs that read the devices' messages through
 * the gateway's application listener. Each has a name and a token, shown
 * once when it is added: "tta1_" and the credential text form of 128
 * random bits (docs/credentials.md), TETHER_CREDENTIAL_LEN characters.
 * The registry keeps a keyed hash of the token in a domain of its own
 * (reg_app_token_hash), so a device credential never matches an
 * application token, nor the reverse.
 */
#define REG_APP_NAME_MAX	64	/* with NUL */
#define REG_APP_TOKEN_PREFIX	"tta1_"
#define REG_APP_TOKEN_LEN	TETHER_CREDENTIAL_LEN

/* What an application may do, a set of bits. */
enum reg_scope {
	REG_SCOPE_READ = 1 << 0,	/* GET /v1/messages, /v1/devices */
	REG_SCOPE_COMMAND = 1 << 1,	/* commands to devices (to come) */
};

struct reg_app {
	char		 name[REG_APP_NAME_MAX];
	unsigned	 scopes;	/* enum reg_scope bits */
	int64_t		 created_at;	/* unix milliseconds */
	int64_t		 revoked_at;	/* 0 while the token is valid */
};

/* Reads a scope list ("read", "read,command") into *scopes; 0, or -1
 * with a sentence in why (REG_ERR_LEN). Writes a set back as a list
 * (out: at least REG_SCOPES_TEXT bytes). */
#define REG_SCOPES_TEXT		16
int reg_scopes_parse(const char *text, unsigned *scopes, char *why);
void reg_scopes_format(unsigned scopes, char out[REG_SCOPES_TEXT]);

/* out = the keyed hash of an application token (len bytes of text), in
 * the application domain: never equal to reg_credential_hash of any
 * device credential. */
void reg_app_token_hash(const struct reg_store *st, const char *token,
    size_t len, uint8_t out[REG_HASH_LEN]);

/* Adds an application and writes its new token (REG_APP_TOKEN_LEN + 1
 * bytes) to token, the only copy. A name is 1 to REG_APP_NAME_MAX - 1
 * characters of a-z, 0-9, '.', '_', '-', and never reused (also once
 * revoked). 0, or -1 (a taken or malformed name, with the reason). */
int reg_app_add(struct reg_store *st, const char *name, unsigned scopes,
    const char *actor, char token[REG_APP_TOKEN_LEN + 1]);

/* Revokes an application's token. 0, REG_NOT_FOUND when no application
 * has that name or it is already revoked, or -1. */
int reg_app_revoke(struct reg_store *st, const char *name,
    const char *actor);

/* Looks a token hash up: 0 and fills app (revoked ones too: the caller
 * refuses them), REG_NOT_FOUND, or -1. */
int reg_app_lookup(struct reg_store *st, const uint8_t hash[REG_HASH_LEN],
    struct reg_app *app);

/* Calls fn for each application, oldest first; the count, or -1. */
long long reg_app_list(struct reg_store *st,
    void (*fn)(void *arg, const struct reg_app *app), void *arg);

/*
 * Reading messages (read.c), for applications and `tether messages`.
 *
 * A cursor is a position in the order readers take messages in: the
 * order of their commits (DESIGN.md, "Reading without skipping"). A
 * reader that starts from a cursor gets every message committed after it
 * exactly once, oldest first, across restarts and across gateways sharing
 * one PostgreSQL. Its text (REG_CURSOR_TEXT bytes with NUL) is opaque to
 * readers: base64url of a version byte and two 64-bit numbers. The zero
 * cursor ("" in text) is before the oldest message kept.
 */
#define REG_CURSOR_TEXT		32
#define REG_READ_MAX		10000	/* messages one read gives, at most */

struct reg_cursor {
	uint64_t	 pos;		/* the commit's place (PostgreSQL: xid) */
	int64_t		 id;
};

/* Writes c as text; parses text ("" is the zero cursor): 0, or -1. */
void reg_cursor_format(const struct reg_cursor *c,
    char out[REG_CURSOR_TEXT]);
int reg_cursor_parse(const char *text, struct reg_cursor *c);

/* A message as a reader gets it; the pointers are valid only during the
 * call that gives it. */
struct reg_read_row {
	struct reg_cursor cursor;	/* the cursor just after it */
	enum reg_kind	 kind;		/* an event: body is its JSON object */
	int64_t		 id;
	const char	*device_id;
	const char	*label;		/* "" when the device has none (or is gone) */
	int64_t		 seq;		/* -1: none */
	int64_t		 received_at;	/* unix milliseconds */
	const void	*body;
	size_t		 len;
};

struct reg_read {
	const char	*device_id;	/* NULL: every device */
	int64_t		 since;		/* received at or after (ms); 0: any */
	size_t		 limit;		/* 1 to REG_READ_MAX */
	int		 events;	/* 1: connected/disconnected events too */
};

/*
 * Calls fn for each message after *cursor that q selects, oldest first,
 * at most q->limit, and advances *cursor past the last one given. Returns
 * how many, or -1 (and *cursor is unchanged). A read that gives fewer
 * than limit has reached the newest message committed for readers.
 */
long long reg_read_messages(struct reg_store *st, const struct reg_read *q,
    struct reg_cursor *cursor,
    void (*fn)(void *arg, const struct reg_read_row *row), void *arg);

/*
 * Appends a message as one JSON object, the line readers get:
 * {"cursor", "id", "device", "label", "seq" (null: none), "received_at",
 * and "body" (the body itself when it is one JSON value on one line) or
 * "body_b64" (base64 of its bytes)}. An event has "event" ("connected",
 * "disconnected") and "presence" ({"reason", "node", "online"}) instead
 * of "seq" and a body. 0, or -1 when out of memory.
 */
struct json;
int reg_row_json(struct json *j, const struct reg_read_row *row);

/* base64 of p[0..n) (RFC 4648, with padding), NUL-terminated, for the
 * caller to free(); NULL when out of memory. */
char *reg_base64(const void *p, size_t n);

/* "2026-12-02T06:10:00.123Z" (RFC 3339, UTC, milliseconds). */
#define REG_TIME_TEXT		32
void reg_time_format(int64_t ms, char out[REG_TIME_TEXT]);

/*
 * Forwarding (forwarders.c): the gateway pushes messages to receivers of
 * the operator's (docs/forwarding.md).
 *
 * A webhook receiver checks each batch's signature, HMAC-SHA256 keyed
 * with its application's webhook secret: "ttw1_" and 64 hex digits,
 * printed once by `tether app add NAME --webhook`. The registry stores
 * a random salt, not the secret: the secret is derived from the salt
 * under the registry key, so the gateway can sign and the database alone
 * gives nothing away.
 */
#define REG_WEBHOOK_PREFIX	"ttw1_"
#define REG_WEBHOOK_SECRET_LEN	(5 + 2 * REG_HASH_LEN)	/* without NUL */

/* Gives application name a new webhook secret (the old one, if any, no
 * longer signs) and writes it to secret, the only copy shown. 0,
 * REG_NOT_FOUND when no valid application has that name, or -1. */
int reg_app_webhook_new(struct reg_store *st, const char *name,
    const char *actor, char secret[REG_WEBHOOK_SECRET_LEN + 1]);

/* The webhook secret of application name: 0, REG_NOT_FOUND when no
 * valid (unrevoked) application has that name or it has no webhook
 * secret (reg_error says which), or -1. */
int reg_app_webhook_secret(struct reg_store *st, const char *name,
    char secret[REG_WEBHOOK_SECRET_LEN + 1]);

/*
 * A forwarder's state, kept in the store under its name (its URL): the
 * cursor after the last message its receiver acknowledged. A forwarder
 * seen for the first time starts at the zero cursor: the oldest message
 * kept.
 */
#define REG_FORWARDER_MAX	512	/* a forwarder's name, with NUL */

/* Records forwarder name if new and reads its cursor: 0, or -1. */
int reg_forwarder_start(struct reg_store *st, const char *name,
    struct reg_cursor *cursor);
/* The receiver acknowledged n messages up to cursor: stores the cursor,
 * adds n to what it delivered, clears its error. 0, or -1. */
int reg_forwarder_advance(struct reg_store *st, const char *name,
    const struct reg_cursor *cursor, long long n);
/* Records why the last delivery failed (a sentence). 0, or -1. */
int reg_forwarder_error(struct reg_store *st, const char *name,
    const char *error);

/* A forwarder as `tether forward status` shows it; times are unix ms (0:
 * never); the pointers are valid only during the call that gives it. */
struct reg_forwarder {
	const char	*name;
	const char	*cursor;	/* text: "" the zero cursor */
	long long	 delivered;
	long long	 backlog;	/* messages after the cursor, -1: unknown */
	const char	*last_error;	/* "" after a delivery */
	int64_t		 error_at;
	int64_t		 delivered_at;
	int64_t		 created_at;
};

/* Calls fn for each forwarder the store knows, by name; the count, or -1. */
long long reg_forwarder_list(struct reg_store *st,
    void (*fn)(void *arg, const struct reg_forwarder *f), void *arg);

/* How many messages are stored after cursor (also those a read cannot
 * give yet): a forwarder's backlog. The count, or -1. */
long long reg_count_after(struct reg_store *st,
    const struct reg_cursor *cursor);

/*
 * Retention (forwarders.c): deletes up to limit of the oldest stored
 * messages (by id) that were received before cutoff (unix ms), never one
 * a forwarder has not delivered (after the lowest cursor in the store's
 * forwarders) nor the newest message stored (SQLite would give its id
 * again, and cursors past it would skip what follows). One transaction.
 * Returns how many were deleted (fewer than limit: nothing more to delete
 * now), or -1. When a forwarder keeps a message older than cutoff, held
 * (REG_FORWARDER_MAX, may be NULL) gets its name, else "".
 */
long long reg_prune(struct reg_store *st, int64_t cutoff, size_t limit,
    char *held);

/*
 * The gateways' TLS session ticket keys (tickets.c), shared by the nodes
 * of one store. Each is sealed under a key derived from the registry key
 * (AES-256-GCM, its name and time authenticated), so the database alone
 * does not give them away and a key sealed under another registry key
 * does not open.
 */
#define REG_TICKET_NAME_LEN	16
#define REG_TICKET_SECRET_LEN	64

struct reg_ticket_key {
	uint8_t		name[REG_TICKET_NAME_LEN];
	uint8_t		secret[REG_TICKET_SECRET_LEN];
	int64_t		created;	/* seconds since the epoch */
};

/* Stores k; a key of that name already there is kept. 0 or -1. */
int reg_ticket_key_put(struct reg_store *st, const struct reg_ticket_key *k);
/* The keys created at or after since, newest first, at most max, into
 * out; keys that do not open under this registry key are skipped and
 * counted in *foreign. The count, or -1. */
long long reg_ticket_keys_get(struct reg_store *st, int64_t since,
    struct reg_ticket_key *out, size_t max, size_t *foreign);
/* Deletes the keys created before before. 0 or -1. */
int reg_ticket_keys_prune(struct reg_store *st, int64_t before);

/*
 * The gateways' TLS sessions for resumption by session id (sessions.c),
 * shared by the nodes of one store: each node writes the sessions of its
 * full handshakes and reads the other nodes'. A row is sealed as a ticket
 * key is (AES-256-GCM under a key derived from the registry key, its
 * expiry authenticated): it holds the session's master secret.
 */
#define REG_SESSION_ID_MAX	32	/* SSL_MAX_SSL_SESSION_ID_LENGTH */
#define REG_SESSION_DER_MAX	2048	/* the gateway's GW_SESSCACHE_DER_MAX */

struct reg_session {
	uint8_t		id[REG_SESSION_ID_MAX];
	size_t		idlen;		/* 1 to REG_SESSION_ID_MAX */
	uint8_t		der[REG_SESSION_DER_MAX];	/* i2d_SSL_SESSION */
	size_t		derlen;		/* 1 to REG_SESSION_DER_MAX */
	int64_t		expires;	/* seconds since the epoch */
	int		own;		/* reg_sessions_get: node's own row */
};

/* Writes the n sessions of s as node's, in one transaction. 0 or -1. */
int reg_sessions_put(struct reg_store *st, const char *node,
    const struct reg_session *s, size_t n);
/*
 * Calls fn (s is the callee's only until it returns, then wiped) for the
 * sessions written after position after and at most at upto, of another
 * node than node (any node's at or before mine), not expired at now, in
 * the order written, at most max; s->own says a row is node's. *last gets the position of the last
 * row read (after when none); rows that do not open under this registry
 * key or do not parse are skipped and counted in *foreign. The count of
 * sessions given to fn, or -1.
 */
long long reg_sessions_get(struct reg_store *st, int64_t after,
    int64_t upto, const char *node, int64_t mine, int64_t now, size_t max,
    void (*fn)(void *arg, const struct reg_session *s), void *arg,
    int64_t *last, size_t *foreign);
/* The position of the last session written, 0 for none; -1. */
long long reg_sessions_last(struct reg_store *st);
/* The position of node's newest row but keep (rows at or before it are
 * past node's bound), 0 when node has no more than keep. -1. */
long long reg_sessions_bound(struct reg_store *st, const char *node,
    size_t keep);
/* Deletes up to limit sessions: any node's expired at now, and node's at
 * a position at or before upto (its bound). How many, or -1. */
long long reg_sessions_prune(struct reg_store *st, int64_t now,
    const char *node, int64_t upto, size_t limit);
/*
 * A row's opened bytes (its id's length, 1 byte; the id; the DER) into
 * s, expires left as it is: 0, or -1 when they do not parse. The parser
 * of what a row holds (fuzz/state_file.c).
 */
int reg_session_parse(const uint8_t *buf, size_t len, struct reg_session *s);

/*
 * Commands to devices (commands.c, docs/protocol.md "Commands"): an
 * application queues a payload for a device; the gateway puts the
 * device's oldest pending one in the answer to its next message (when it
 * sent X-Tether-Commands) until the device acknowledges it. At-least-
 * once: a command may be delivered more than once, always with its id.
 */
#define REG_COMMAND_DEFAULT_MAX	256	/* bytes: fits a 512-byte record */
#define REG_COMMAND_LIMIT	4096	/* bytes: the most a store takes */
#define REG_COMMAND_TTL_DEFAULT	(24LL * 3600 * 1000)	/* ms */
#define REG_COMMAND_TTL_MAX	(30LL * 24 * 3600 * 1000)	/* ms */
#define REG_COMMAND_ID_MAX	999999999999999999LL	/* 10^18 - 1 */
#define REG_COMMAND_REASON_MAX	128	/* with NUL */
#define REG_COMMAND_LIST_MAX	1000	/* commands one list gives */
/* reg_command_cancel of a command that is no longer pending. */
#define REG_CONFLICT		3

enum reg_command_state {
	REG_CMD_QUEUED = 1,
	REG_CMD_DELIVERED,
	REG_CMD_ACKNOWLEDGED,
	REG_CMD_EXPIRED,
	REG_CMD_CANCELLED,
	REG_CMD_REJECTED,
};

/* "queued", "delivered", ...; parse: 0, or -1 for another word. */
const char *reg_command_state_name(enum reg_command_state s);
int reg_command_state_parse(const char *text, enum reg_command_state *s);

/* A command as the store has it; times unix ms, 0: not yet. A pending
 * command past expires_at reads as expired, swept or not. */
struct reg_command {
	int64_t			 id;
	char			 device_id[REG_ID_MAX];
	char			 app[REG_APP_NAME_MAX];	/* or "cli" */
	enum reg_command_state	 state;
	int64_t			 created_at;
	int64_t			 expires_at;
	int64_t			 delivered_at;	/* first delivery */
	int64_t			 acked_at;
	long long		 attempts;	/* answers that carried it */
	char			 reason[REG_COMMAND_REASON_MAX];
	size_t			 len;
	uint8_t			 payload[REG_COMMAND_LIMIT];
};

/*
 * Queues len bytes of payload for device_id, to expire ttl_ms from now
 * (0: REG_COMMAND_TTL_DEFAULT), at most max bytes (0:
 * REG_COMMAND_DEFAULT_MAX; never more than REG_COMMAND_LIMIT). app names
 * who queued it ("cli" for the command line). Sets *id and *expires_at
 * (may be NULL). 0, REG_NOT_FOUND when no device has that id, or -1 (also
 * a payload or ttl out of bounds, with the sentence).
 */
int reg_command_queue(struct reg_store *st, const char *device_id,
    const void *payload, size_t len, size_t max, int64_t ttl_ms,
    const char *app, int64_t *id, int64_t *expires_at);

/* Calls fn for the newest REG_COMMAND_LIST_MAX commands of device_id,
 * oldest first, those in state (0: any); the count, or -1. */
long long reg_command_list(struct reg_store *st, const char *device_id,
    enum reg_command_state state,
    void (*fn)(void *arg, const struct reg_command *c), void *arg);

/* Appends c as one JSON object (docs/app-api.md, "Commands"): id,
 * device, state, app, created_at, expires_at, delivered_at, acked_at
 * (RFC 3339 or null), attempts, size, "payload" (a string, when the
 * bytes are UTF-8 text without NUL) or "payload_b64", reason (null: none).
 * 0, or -1 when out of memory. */
int reg_command_json(struct json *j, const struct reg_command *c);

/* Fills c with command id: 0, REG_NOT_FOUND, or -1. */
int reg_command_get(struct reg_store *st, int64_t id, struct reg_command *c);

/* Cancels command id: 0; REG_NOT_FOUND; REG_CONFLICT when it is no
 * longer pending (acknowledged, expired, rejected, cancelled: reg_error
 * says which); or -1. A delivered command may still reach the device's
 * application once (its answer may be on the way). */
int reg_command_cancel(struct reg_store *st, int64_t id, const char *actor);

/* Marks up to limit (at most REG_COMMAND_SWEEP_MAX) pending commands
 * past their expiry (at now, unix ms) expired, in one transaction, and
 * calls fn (may be NULL) for each after the commit; the count, or -1. */
#define REG_COMMAND_SWEEP_MAX	64
long long reg_command_expire(struct reg_store *st, int64_t now,
    size_t limit, void (*fn)(void *arg, int64_t id, const char *device_id),
    void *arg);

/*
 * Presence (presence.c): which devices hold a connection to a gateway
 * now. Each gateway is a node with a name (`tether serve --node`); it
 * records its devices' connections as events (struct reg_message, kind)
 * with its messages, and beats its node's seen_at every REG_NODE_BEAT_MS.
 * A connection counts as online while its node's beat is younger than
 * REG_NODE_STALE_MS: a node that died stops counting by then, and the
 * next beat of any other node removes its rows with a disconnected event
 * ("node lost") for each.
 */
#define REG_NODE_MAX		128	/* a node's name, with NUL */
#define REG_NODE_BEAT_MS	3000
#define REG_NODE_STALE_MS	15000
/* Rows one beat or start removes in one transaction, at most. */
#define REG_PRESENCE_BATCH	512

/*
 * A node starts (or beats, start 0): records it as alive now. At start
 * its rows left by an earlier run are removed, each with a disconnected
 * event for reason ("gateway restarted"); a beat removes those of nodes
 * not seen for REG_NODE_STALE_MS ("node lost"). *lost (may be NULL) is
 * set to 1 when a beat found this node's row gone (it was taken for lost
 * while it stalled): the caller records its connections again. The
 * number of events written, or -1.
 */
long long reg_node_beat(struct reg_store *st, const char *node, int start,
    int *lost);
/* A node stops: its remaining rows go, each with a disconnected event
 * for reason, and so does its node row. The number of events, or -1. */
long long reg_node_stop(struct reg_store *st, const char *node,
    const char *reason);

/* A device as the presence list gives it; the pointers are valid only
 * during the call. nodes is "" when offline, else the names of the nodes
 * it is connected to, comma-separated; since the earliest of its
 * connections there (unix ms; 0 when offline). */
struct reg_presence {
	const char	*id;
	const char	*label;
	int		 online;
	int64_t		 since;
	const char	*nodes;
};

/* Calls fn for each device (online_only: each online device), in the
 * order they were provisioned; fn returns non-zero to stop. The count
 * given to fn, or -1. */
long long reg_presence_list(struct reg_store *st, int online_only,
    int (*fn)(void *arg, const struct reg_presence *p), void *arg);

/* "connected", "disconnected", or NULL for a message. */
const char *reg_kind_name(enum reg_kind kind);

#endif
