/*
 * sqlite_int.h - what the SQLite backend's two files share: the handle,
 * its prepared statements and the helpers that turn SQLite's result codes
 * into sentences. sqlite.c opens, migrates, authenticates and stores
 * messages; sqlite_devices.c administers devices.
 */
#ifndef REG_SQLITE_INT_H
#define REG_SQLITE_INT_H

#include <sqlite3.h>

#include "registry/keyfile.h"
#include "registry/registry.h"

/* Every statement a handle runs more than once, prepared at reg_open. */
enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_LOOKUP,
	S_DEVICE_GET,
	S_INSERT_DEVICE,
	S_SET_STATUS,
	S_INSERT_EVENT,
	S_INSERT_AUDIT,
	S_MAX_EVENT,
	S_EVENTS_SINCE,
	S_INSERT_MSG,
	S_TOUCH,
	S_COUNT_ALL,
	S_COUNT_DEV,
	S_DEVICE_BY_MAC,
	S_SET_CREDENTIAL,
	S_SET_LABEL,
	S_DELETE_DEVICE,
	S_DELETE_MESSAGES,
	S_LIST,
	S_AUDIT_OF,
	S_ALL_IDS,
	S_IDS_BY_LABEL,
	S__COUNT
};

extern const char *const reg_stmt_sql[S__COUNT];

/* The columns of a struct reg_device, in the order reg_db_device reads. */
#define DEVICE_COLUMNS "SELECT id, label, status, scheme, " \
	"coalesce(mac, ''), created_at, coalesce(credential_at, created_at), " \
	"coalesce(last_seen_at, 0), coalesce(last_seen_addr, '') "

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

struct reg_touch {
	uint64_t	 id_hash;
	uint64_t	 peer_hash;
	int64_t		 at;
};

struct reg_store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[S__COUNT];
	uint8_t		 key[REG_KEY_LEN];
	char		 err[REG_ERR_LEN];
	struct reg_touch touched[REG_TOUCH_SLOTS];
};

/* Unix time in milliseconds. */
int64_t reg_now_ms(void);

/* Sets the handle's error to "<what>: <cause>" and returns -1. */
int reg_db_fail(struct reg_store *st, const char *what, int rc);

/* Resets a statement and clears its bindings. */
void reg_db_done(sqlite3_stmt *s);

/* Steps a statement that returns no rows; returns its result code. */
int reg_db_run(struct reg_store *st, enum stmt which);

/* BEGIN IMMEDIATE / COMMIT (rolls back when it fails) / ROLLBACK if a
 * transaction is open. begin and commit return 0 or -1. */
int reg_db_begin(struct reg_store *st, const char *what);
int reg_db_commit(struct reg_store *st, const char *what);
void reg_db_rollback(struct reg_store *st);

/* Text columns: a status as the registry reads it ("active" or refused),
 * and a copy that turns NULL into "". */
enum reg_status reg_db_status(const unsigned char *text);
const char *reg_db_status_text(enum reg_status status);
void reg_db_copy(char *dst, size_t size, const unsigned char *src);

#endif
