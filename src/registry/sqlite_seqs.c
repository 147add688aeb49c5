/* SPDX-License-Identifier: MIT */
/*
 * sqlite_seqs.c - storing messages on SQLite, and finding a retried
 * message without a unique index: the duplicate check runs in memory
 * (seqset.h), kept in step with the table under each batch's write lock;
 * and the blocks that index a device's messages for reading.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "registry/schema.h"
#include "registry/seqset.h"
#include "registry/sqlite_int.h"

/* Steps one of the backend's own statements that gives no rows; returns
 * SQLite's result code. */
static int
run_own(struct reg_store *st, enum sq_stmt which)
{
	sqlite3_stmt *s = reg_sq(st)->own[which];
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/*
 * Duplicates. A message with an X-Tether-Seq is stored once per (device,
 * seq). The check runs in memory (seqset.h) on the handle that stores,
 * brought in step with the table under each batch's write lock:
 * - at first use, or when meta.message_seqs_epoch changed (some device's
 *   messages were deleted), the snapshot in message_seqs is loaded and the
 *   messages after meta.message_seqs_upto are read back;
 * - messages another handle stored since (max(id) is past what this
 *   handle has seen) are read back;
 * - every SEQS_SAVE_MS, or when SEQS_SAVE_DEVICES devices changed, the
 *   changed devices are written to message_seqs in the batch's own
 *   transaction, so a restart reads back at most that much.
 * A batch that fails drops the state; the next one loads it again.
 */
#define SEQS_SAVE_MS		10000
/* Saves are by time: each changed device is one row write into a table
 * ordered by id (a random page), so saving often would bring back the
 * cost the index had. This bounds only the memory of a flood of new
 * devices between two saves. */
#define SEQS_SAVE_DEVICES	65536
/* A read-back this long (an upgraded database, a crash long after the
 * last save) is saved at once, so the next start does not repeat it. */
#define SEQS_SAVE_READ_BACK	10000

static const char seqs_read_what[] =
    "cannot read the stored messages' sequence numbers";

static int
seqs_read_back(struct reg_store *st, int64_t after)
{
	sqlite3_stmt *s = reg_sq(st)->own[S_SEQ_SCAN];
	long long rows = 0;
	int rc;

	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(s, 0);

		if (id != NULL && seqset_add(reg_sq(st)->seqs, (const char *)id,
		    sqlite3_column_int64(s, 1)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		rows++;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rows >= SEQS_SAVE_READ_BACK)
		reg_sq(st)->seqs_save_now = 1;
	if (rc != SQLITE_DONE)
		return reg_sq_fail(st, seqs_read_what, rc);
	return 0;
}

static int
seqs_load(struct reg_store *st)
{
	sqlite3_stmt *s = reg_sq(st)->own[S_SEQ_ROWS];
	int rc;

	seqset_clear(reg_sq(st)->seqs);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(s, 0);
		const void *blob = sqlite3_column_blob(s, 1);

		if (id != NULL && seqset_load(reg_sq(st)->seqs,
		    (const char *)id, blob,
		    (size_t)sqlite3_column_bytes(s, 1)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return reg_sq_fail(st, seqs_read_what, rc);
	return 0;
}

/* Brings the duplicate check in step with the table (in a transaction). */
static int
seqs_sync(struct reg_store *st)
{
	struct reg_sqlite *sq = reg_sq(st);
	sqlite3_stmt *s = sq->own[S_SEQ_STATE];
	int64_t max_id, epoch, upto;
	int rc;

	if (sq->seqs == NULL && (sq->seqs = seqset_new()) == NULL) {
		return reg_fail(st, "out of memory");
	}
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_reset(s);
	sqlite3_clear_bindings(s);
		return reg_sq_fail(st, "cannot read the message store's state",
		    rc);
	}
	max_id = sqlite3_column_int64(s, 0);
	epoch = sqlite3_column_int64(s, 1);
	upto = sqlite3_column_int64(s, 2);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	/* max(id) below what this handle has seen: the newest messages
	 * were deleted behind its back (forget bumps the epoch; anything
	 * else deleting from messages may not) and their ids come again. */
	if (!sq->seqs_loaded || epoch != sq->seqs_epoch ||
	    max_id < sq->seqs_upto) {
		if (seqs_load(st) < 0)
			return -1;
		sq->seqs_loaded = 1;
		sq->seqs_epoch = epoch;
		sq->seqs_upto = upto;
		sq->seqs_saved_ms = reg_mono_us() / 1000;
		if (upto > max_id) {
			/* The newest messages were deleted, so their ids
			 * will be used again: the snapshot must not claim
			 * them. */
			sq->seqs_upto = max_id;
			sq->seqs_save_now = 1;
		}
	}
	if (max_id > sq->seqs_upto) {
		if (seqs_read_back(st, sq->seqs_upto) < 0)
			return -1;
		sq->seqs_upto = max_id;
	}
	return 0;
}

static int
seqs_put(void *arg, const char *device, const void *blob, size_t len)
{
	struct reg_store *st = arg;
	sqlite3_stmt *s = reg_sq(st)->own[S_SEQ_PUT];
	int rc;

	sqlite3_bind_text(s, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, blob, (int)len, SQLITE_STATIC);
	rc = run_own(st, S_SEQ_PUT);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* Writes the snapshot when it is due (or always, with force). */
static int
seqs_save(struct reg_store *st, int force)
{
	struct reg_sqlite *sq = reg_sq(st);
	int64_t now = reg_mono_us() / 1000;
	const char *what = "cannot save the stored messages' sequence numbers";
	size_t changed = seqset_changed(sq->seqs);
	int rc;

	if (!force && !sq->seqs_save_now && changed < SEQS_SAVE_DEVICES &&
	    now - sq->seqs_saved_ms < SEQS_SAVE_MS)
		return 0;
	if (changed > 0 || sq->seqs_save_now) {
		if ((rc = seqset_flush(sq->seqs, seqs_put, st)) != 0)
			return reg_sq_fail(st, what, rc);
		sqlite3_bind_int64(sq->own[S_SEQ_SET_UPTO], 1, sq->seqs_upto);
		if ((rc = run_own(st, S_SEQ_SET_UPTO)) != SQLITE_DONE)
			return reg_sq_fail(st, what, rc);
	}
	sq->seqs_saved_ms = now;
	sq->seqs_save_now = 0;
	return 0;
}

int
reg_sq_store_prepare(struct reg_store *st)
{
	const char *what = "cannot prepare the message store";

	if (st->be->begin(st, what) < 0)
		return -1;
	if (seqs_sync(st) < 0 || seqs_save(st, 1) < 0 ||
	    st->be->commit(st, what) < 0) {
		st->be->rollback(st);
		reg_sq(st)->seqs_loaded = 0;
		return -1;
	}
	return 0;
}

void
reg_sq_seqs_close(struct reg_store *st)
{
	struct reg_sqlite *sq = reg_sq(st);

	/* Saves the duplicate check's state, so the next start reads back
	 * nothing; if this fails, the next start reads back more. Preparing
	 * does exactly that: it brings the state in step first (another
	 * process may have stored or deleted since, and a stale view must
	 * not be saved), then saves it in a transaction of its own. */
	if (sq->seqs_loaded && seqset_changed(sq->seqs) > 0)
		(void)reg_sq_store_prepare(st);
	seqset_free(sq->seqs);
	sq->seqs = NULL;
}

int
reg_sq_store_begin(struct reg_store *st)
{
	if (seqs_sync(st) < 0)
		return -1;
	reg_sq(st)->in_batch = 1;
	return 0;
}

int
reg_sq_store_end(struct reg_store *st)
{
	reg_sq(st)->in_batch = 0;
	return seqs_save(st, 0);
}

/* A failed batch drops the state; the next one loads it again. */
void
reg_sq_store_abort(struct reg_store *st)
{
	reg_sq(st)->seqs_loaded = 0;
	reg_sq(st)->in_batch = 0;
}

/*
 * Blocks. A read of one device's messages (sqlite.c, read_device_sql)
 * walks message_blocks, a row per device and block of REG_BLOCK_IDS ids
 * that holds a message of it, and scans each such block as a range of
 * ids. Each message's row is in its block's range and its block row is
 * written in the same transaction, so a reader that sees a message sees
 * its block. The write is spared when the seqset records the block as
 * the device's last (seqset_block_known): ids only grow, so a device
 * writes a row once per block it sends into, ~1 per REG_BLOCK_IDS
 * messages of everyone's, not the random page per message that an index
 * by device costs (DESIGN.md, "Reading by device"). The record is
 * trusted only inside a batch, after seqs_sync: the seqset is then in
 * step with the table (a forget, which deletes a device's block rows,
 * bumps the epoch and clears it; so does a deletion of the newest
 * messages); outside one (presence events of a node's beat) and when it
 * is lost, the row is written again, and INSERT OR IGNORE keeps one.
 * Pruning deletes only blocks below the oldest message's, into which no
 * id comes again, so a recorded block is never one it deleted. That
 * delete is a scan of message_blocks (its key is by device first), so it
 * runs only when the oldest message's block (the floor) is not the one
 * meta.message_blocks_floor says was pruned below last: once per
 * REG_BLOCK_IDS ids of retention, not in each of its transactions of
 * 1,000 (0.15 s at 1,500,000 block rows, under the write lock; see
 * DESIGN.md, "Reading by device"). The floor is in the database, in the
 * prune's transaction: it rolls back with the delete, every process
 * that prunes sees it, and a restart does not scan again. A floor below
 * the recorded one (every message deleted, ids given again) also runs
 * it and is recorded. A row left below the floor is only dead weight: a
 * read scans its block's range and finds nothing.
 */
static int
block_note(struct reg_store *st, const char *device, int64_t id,
    const char *what)
{
	struct reg_sqlite *sq = reg_sq(st);
	sqlite3_stmt *s = sq->own[S_BLOCK_PUT];
	int64_t block = id / REG_BLOCK_IDS;
	int trusted = sq->in_batch && sq->seqs != NULL;
	int rc;

	if (trusted && seqset_block_known(sq->seqs, device, block))
		return 0;
	sqlite3_bind_text(s, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, block);
	if ((rc = run_own(st, S_BLOCK_PUT)) != SQLITE_DONE)
		return reg_sq_fail(st, what, rc);
	if (trusted && seqset_block_set(sq->seqs, device, block) < 0)
		return reg_fail(st, "%s: out of memory", what);
	return 0;
}

/* see backend.h: the blocks the pruned messages emptied go too, when
 * the floor moved ("Blocks" above) */
int
reg_sq_messages_pruned(struct reg_store *st, const char *what)
{
	struct reg_sqlite *sq = reg_sq(st);
	sqlite3_stmt *s = sq->own[S_BLOCK_FLOOR];
	int64_t floor, pruned;
	int rc, none, never;

	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_reset(s);
		return reg_sq_fail(st, what, rc);
	}
	none = sqlite3_column_type(s, 0) == SQLITE_NULL;
	never = sqlite3_column_type(s, 1) == SQLITE_NULL;
	floor = sqlite3_column_int64(s, 0);
	pruned = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	/* no message left: nothing says which blocks are empty for good */
	if (none || (!never && floor == pruned))
		return 0;
	sqlite3_bind_int64(sq->own[S_BLOCK_PRUNE], 1, floor);
	sqlite3_bind_int64(sq->own[S_BLOCK_SET_FLOOR], 1, floor);
	if (reg_sq_run(st, S_BLOCK_PRUNE, what) < 0 ||
	    reg_sq_run(st, S_BLOCK_SET_FLOOR, what) < 0)
		return -1;
	return 0;
}

int
reg_sq_store_one(struct reg_store *st, struct reg_message *m,
    const char *peer, int64_t now, const char *what)
{
	static const uint8_t empty[1];
	struct reg_sqlite *sq = reg_sq(st);
	sqlite3_stmt *s = sq->q[Q_INSERT_MSG];
	int rc;

	if (m->seq >= 0 && seqset_has(sq->seqs, m->device_id, m->seq)) {
		m->duplicate = 1;
		return 0;
	}
	sqlite3_bind_text(s, 1, m->device_id, -1, SQLITE_STATIC);
	if (m->seq >= 0)
		sqlite3_bind_int64(s, 2, m->seq);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_text(s, 4, peer, -1, SQLITE_STATIC);
	/* a NULL pointer would bind SQL NULL, not an empty body */
	sqlite3_bind_blob(s, 5, m->len > 0 ? m->body : empty, (int)m->len,
	    SQLITE_STATIC);
	sqlite3_bind_int(s, 6, (int)m->kind);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return reg_sq_fail(st, what, rc);
	sq->seqs_upto = sqlite3_last_insert_rowid(sq->db);
	if (m->seq >= 0 && seqset_add(sq->seqs, m->device_id, m->seq) < 0)
		return reg_fail(st, "%s: out of memory", what);
	return block_note(st, m->device_id, sq->seqs_upto, what);
}

/* Its seqs and blocks go too, and every gateway reloads the duplicate
 * check's state (the epoch), the blocks it recorded with it. */
int
reg_sq_messages_deleted(struct reg_store *st, const char *id,
    const char *what)
{
	sqlite3_bind_text(reg_sq(st)->own[S_SEQ_DELETE], 1, id, -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(reg_sq(st)->own[S_BLOCK_FORGET], 1, id, -1,
	    SQLITE_STATIC);
	if (reg_sq_run(st, S_SEQ_DELETE, what) < 0 ||
	    reg_sq_run(st, S_BLOCK_FORGET, what) < 0 ||
	    reg_sq_run(st, S_SEQ_FORGET, what) < 0)
		return -1;
	return 0;
}
