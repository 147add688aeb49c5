/*
 * registry.h - the mapper (secret credential -> human-readable device id)
 * and the message store, behind one interface.
 *
 * Backends: SQLite (this file's only backend for now; a PostgreSQL one will
 * sit behind the same calls). A store handle is used by one thread at a
 * time; threads open their own handles on the same database.
 *
 * The registry never stores a credential: only its keyed hash,
 * HMAC-SHA256(registry key, credential text). The registry key is 32 random
 * bytes in a file (by default "<db>.key" beside an SQLite database, mode
 * 0600), made on first use; every process that provisions or serves devices
 * of one database must use the same key file.
 */
#ifndef REG_REGISTRY_H
#define REG_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#define REG_ID_MAX	32	/* device id, with NUL */
#define REG_LABEL_MAX	128	/* owner label, with NUL */
#define REG_HASH_LEN	32
#define REG_ERR_LEN	256

enum reg_status {
	REG_ACTIVE = 1,
	REG_REVOKED = 2,
};

struct reg_store;

/*
 * Opens (and creates, and migrates to the current schema) the database at
 * db, an SQLite file path. key_file is the registry key file, or NULL for
 * "<db>.key"; it is created with 32 random bytes if missing. On failure
 * returns -1 and writes a sentence to err (REG_ERR_LEN bytes).
 */
int reg_open(struct reg_store **out, const char *db, const char *key_file,
    char *err);
void reg_close(struct reg_store *st);

/* The last error of this handle, a sentence ("database is locked", ...). */
const char *reg_error(const struct reg_store *st);

/* out = HMAC-SHA256(registry key, cred[0..len)). */
void reg_credential_hash(const struct reg_store *st, const char *cred,
    size_t len, uint8_t out[REG_HASH_LEN]);

/*
 * Looks a credential hash up. Returns 1 and fills id (REG_ID_MAX) and
 * status when a device has it, 0 when none does, -1 on a database error.
 */
int reg_lookup(struct reg_store *st, const uint8_t hash[REG_HASH_LEN],
    char *id, enum reg_status *status);

/* A device made by reg_provision; credential is the only copy of the
 * secret and is never stored. */
struct reg_new_device {
	char	id[REG_ID_MAX];
	char	label[REG_LABEL_MAX];
	char	credential[64];
};

/*
 * Registers count new devices in one transaction: all or none. Ids are
 * fresh and unique; credentials are 128 bits from getrandom(); labels are
 * "<label_prefix>-<n>" (n from 1) or empty when label_prefix is NULL.
 * out must hold count entries. Returns 0 or -1 (nothing registered).
 */
int reg_provision(struct reg_store *st, size_t count,
    const char *label_prefix, const char *actor,
    struct reg_new_device *out);

/* Sets a device's status (REG_REVOKED to revoke, REG_ACTIVE to restore),
 * records it in the audit trail and the change feed. Returns 0, 1 when no
 * device has that id, or -1. */
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

/* A message handed to the store. */
struct reg_message {
	const char	*device_id;
	int64_t		 seq;		/* X-Tether-Seq, or -1 */
	const void	*body;
	size_t		 len;
	const char	*peer;		/* "ip:port" */
	int		 duplicate;	/* out: 1 if (device, seq) was stored before */
};

/*
 * Stores n messages in one transaction (group commit: one fsync for the
 * batch) and returns 0 once it is durable, or -1 when nothing was stored
 * (the database is unavailable, the disk is full, ...). A message whose
 * (device, seq) is already stored is not stored again: duplicate is set.
 * Also updates each device's last-seen time and address.
 */
int reg_store_messages(struct reg_store *st, struct reg_message *msgs,
    size_t n);

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
 * (0: never); last_seen_addr is "" when never seen. */
struct reg_device {
	char		id[REG_ID_MAX];
	char		label[REG_LABEL_MAX];
	enum reg_status	status;
	int64_t		created_at;
	int64_t		last_seen_at;
	char		last_seen_addr[64];
};

/* Fills dev with the device whose id is id. Returns 1, 0 when no device
 * has that id, or -1. */
int reg_device_get(struct reg_store *st, const char *id,
    struct reg_device *dev);

/*
 * reg_provision with a step between "every device inserted" and the
 * commit: before_commit(arg, out, count) is called there (out holds the
 * new devices) and, if it returns non-zero, the transaction is rolled back
 * and -1 returned with reg_error() "provisioning was cancelled before the
 * commit". `tether provision` writes its manifest in that step, so a
 * batch is registered only if its credentials were written down.
 * before_commit may be NULL.
 */
int reg_provision_ex(struct reg_store *st, size_t count,
    const char *label_prefix, const char *actor,
    struct reg_new_device *out,
    int (*before_commit)(void *arg, const struct reg_new_device *devs,
	size_t count),
    void *arg);

#endif
