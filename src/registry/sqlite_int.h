/* SPDX-License-Identifier: MIT */
/*
 * sqlite_int.h - what the SQLite backend's two files share: its part of
 * the handle and its own statements. sqlite.c is the primitives of
 * backend.h and what SQLite needs set per connection; sqlite_seqs.c
 * stores messages, with its duplicate check in memory.
 */
#ifndef REG_SQLITE_INT_H
#define REG_SQLITE_INT_H

#include <sqlite3.h>

#include "registry/registry_int.h"

/* The backend's own statements, beside those of enum reg_query. */
enum sq_stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SEQ_STATE,
	S_SEQ_ROWS,
	S_SEQ_SCAN,
	S_SEQ_PUT,
	S_SEQ_SET_UPTO,
	S_SEQ_FORGET,
	S_SEQ_DELETE,
	S_BLOCK_PUT,
	S_BLOCK_FORGET,
	S_BLOCK_FLOOR,
	S_BLOCK_PRUNE,
	S_BLOCK_SET_FLOOR,
	S__COUNT
};

/* The first of them that needs the schema (prepared with enum reg_query). */
#define S_FIRST_SCHEMA	S_SEQ_STATE

extern const char *const reg_sq_sql[S__COUNT];

struct seqset;

/* The SQLite backend's part of a handle (st->db). */
struct reg_sqlite {
	sqlite3		*db;
	sqlite3_stmt	*q[Q__COUNT];
	sqlite3_stmt	*own[S__COUNT];
	/* The stored (device, seq) pairs, for the duplicate check
	 * (sqlite_seqs.c); loaded at the first batch, NULL on handles that
	 * never store. */
	struct seqset	*seqs;
	int		 seqs_loaded;
	int64_t		 seqs_upto;	/* messages with id <= this are in */
	int64_t		 seqs_epoch;	/* meta message_seqs_epoch seen */
	int64_t		 seqs_saved_ms;	/* last snapshot */
	int		 seqs_save_now;
	/* Between a batch's store_begin and its end: the seqset's blocks
	 * are in step with message_blocks and may spare a write. */
	int		 in_batch;
};

static inline struct reg_sqlite *
reg_sq(const struct reg_store *st)
{
	return st->db;
}

/* Makes SQLite allocate the blocks of its WAL index before it maps them,
 * so a full disk is an error and not a SIGBUS (sqlite_shm.c). Once per
 * process, before the first database is opened. */
void reg_sq_shm_guard(void);

/* Sets the handle's error to "<what>: <cause>" and returns -1. */
int reg_sq_fail(struct reg_store *st, const char *what, int rc);

/* Steps one of the backend's own statements that gives no rows, and
 * resets it; 0, or -1 with st->err. */
int reg_sq_run(struct reg_store *st, enum sq_stmt which, const char *what);

/* Closing saves the duplicate check (sqlite_seqs.c). */
void reg_sq_seqs_close(struct reg_store *st);

/* The message store's hooks of backend.h (sqlite_seqs.c). */
int reg_sq_store_one(struct reg_store *st, struct reg_message *m,
    const char *peer, int64_t now, const char *what);
int reg_sq_store_begin(struct reg_store *st);
int reg_sq_store_end(struct reg_store *st);
void reg_sq_store_abort(struct reg_store *st);
int reg_sq_store_prepare(struct reg_store *st);
int reg_sq_messages_deleted(struct reg_store *st, const char *id,
    const char *what);
int reg_sq_messages_pruned(struct reg_store *st, const char *what);

#endif
