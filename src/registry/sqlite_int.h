/*
 * sqlite_int.h - what the SQLite backend's two files share: its part of
 * the handle, its prepared statements and the helpers that turn SQLite's result codes
 * into sentences. sqlite.c opens, migrates, authenticates and stores
 * messages; sqlite_devices.c administers devices.
 */
#ifndef REG_SQLITE_INT_H
#define REG_SQLITE_INT_H

#include <sqlite3.h>

#include "registry/registry.h"
#include "registry/registry_int.h"

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
	S_SEQ_STATE,
	S_SEQ_ROWS,
	S_SEQ_SCAN,
	S_SEQ_PUT,
	S_SEQ_SET_UPTO,
	S_SEQ_FORGET,
	S_SEQ_DELETE,
	S__COUNT
};

extern const char *const reg_stmt_sql[S__COUNT];

/* The columns of a struct reg_device, in the order reg_db_device reads. */
#define DEVICE_COLUMNS "SELECT id, label, status, scheme, " \
	"coalesce(mac, ''), created_at, coalesce(credential_at, created_at), " \
	"coalesce(last_seen_at, 0), coalesce(last_seen_addr, '') "

struct seqset;

/* The SQLite backend's part of a handle. */
struct reg_sqlite {
	sqlite3		*db;
	sqlite3_stmt	*stmt[S__COUNT];
	/* The stored (device, seq) pairs, for the duplicate check of
	 * store_messages (sqlite.c, "Duplicates"); loaded at its first
	 * call, NULL on handles that never store. */
	struct seqset	*seqs;
	int		 seqs_loaded;
	int64_t		 seqs_upto;	/* messages with id <= this are in */
	int64_t		 seqs_epoch;	/* meta message_seqs_epoch seen */
	int64_t		 seqs_saved_ms;	/* last snapshot */
	int		 seqs_save_now;
};

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

/* A text column's copy that turns NULL into "". */
void reg_db_copy(char *dst, size_t size, const unsigned char *src);

/* The operations of sqlite_devices.c (registry.h says what each does). */
int reg_sq_device_get(struct reg_store *st, const char *id,
    struct reg_device *dev);
int reg_sq_provision_batch(struct reg_store *st, const struct reg_batch *b,
    struct reg_new_device *out);
int reg_sq_set_status(struct reg_store *st, const char *id,
    enum reg_status status, const char *actor);
int reg_sq_rotate(struct reg_store *st, const char *id, const char *actor,
    struct reg_new_device *out,
    int (*before_commit)(void *, const struct reg_new_device *, size_t),
    void *arg);
int reg_sq_rename(struct reg_store *st, const char *id, const char *label,
    const char *actor);
int reg_sq_forget(struct reg_store *st, const char *id, int delete_messages,
    const char *actor, long long *deleted);
long long reg_sq_list(struct reg_store *st, const struct reg_filter *f,
    int (*fn)(void *arg, const struct reg_device *dev), void *arg);
int reg_sq_audit_list(struct reg_store *st, const char *id, size_t limit,
    void (*fn)(void *arg, const struct reg_audit *a), void *arg);
int reg_sq_suggest(struct reg_store *st, const char *typed,
    char (*out)[REG_ID_MAX], size_t max);

#endif
