/* SPDX-License-Identifier: MIT */
/*
 * resume.h - what a restart or a move to another node keeps so that
 * devices resume instead of all doing a full handshake at once: the
 * session ticket keys (in the state directory, or in the store when it is
 * PostgreSQL and nodes share it) and the session id cache (in the state
 * directory, written every --session-save and at a clean stop; on
 * PostgreSQL also shared through the store). docs/operations.md says what
 * is kept where.
 */
#ifndef GW_RESUME_H
#define GW_RESUME_H

#include <stdatomic.h>
#include <stdint.h>

#include "gateway/gateway.h"
#include "gateway/tls.h"
#include "registry/registry.h"

#define GW_TICKET_SYNC		10	/* seconds between a node's reads of the
					 * store's keys */
/*
 * Sessions shared through the store (PostgreSQL): every GW_SESSION_SYNC_MS
 * a node writes the sessions of its full handshakes since the last time,
 * in transactions of GW_SESSION_BATCH, and reads the other nodes' new
 * ones; a device that moves node after that long resumes. The rows of
 * the last GW_SESSION_SETTLE_S are read again (a row whose transaction
 * committed after a later one's is not missed). Rows expire with their
 * session, and the table keeps each node's newest GW_SESSION_CACHE_MAX
 * at most (a node holds no more of its own), each node deleting its own
 * surplus and anyone's expired rows, in batches of GW_SESSION_BATCH,
 * until a short one (or GW_SESSION_PRUNE_MS into the sync: the rest at
 * the next).
 */
#define GW_SESSION_SYNC_MS	1000
#define GW_SESSION_BATCH	128	/* rows a statement or transaction */
#define GW_SESSION_QUEUE	4096	/* sessions waiting to be written */
#define GW_SESSION_READ_MAX	4096	/* rows read a sync, at most */
#define GW_SESSION_SETTLE_S	2	/* seconds of rows read again */
#define GW_SESSION_PRUNE_S	10	/* seconds between deletes */
#define GW_SESSION_PRUNE_MS	250	/* a sync's time for them, at most; the
					 * rest at the next sync */
#define GW_TICKET_FILE		"ticket-keys"
#define GW_SESSION_FILE		"sessions"

struct gw_resume;

/*
 * At start, once the registry is open (store, the main thread's): loads
 * the ticket keys and the sessions into tls's ring and cache. Nothing
 * here stops the gateway: a file that cannot be used is a warning and
 * fresh keys (devices then do a full handshake once). NULL only when
 * out of memory.
 */
struct gw_resume *gw_resume_open(const struct gw_config *c,
    struct gw_tls *tls, struct reg_store *store);

/* From the registry watcher's thread, with its store, every poll: writes
 * the session file every --session-save when it changed, rotates the
 * keys when due, and on PostgreSQL takes the keys other nodes made and
 * shares sessions (every GW_SESSION_SYNC_MS). */
void gw_resume_tick(struct gw_resume *r, struct reg_store *store);

/* The sharing of sessions through the store since the start (written
 * by the watcher's thread, read by the admin's). */
struct gw_session_share {
	_Atomic int		 on;		/* the store is shared */
	_Atomic uint64_t	 written;	/* sessions written to the store */
	_Atomic uint64_t	 read;		/* other nodes' sessions taken in */
	_Atomic uint64_t	 dropped;	/* never written: the queue was full */
	_Atomic uint64_t	 refused;	/* rows not sealed under our key */
	_Atomic uint64_t	 pruned;	/* rows deleted: expired or past the bound */
	_Atomic uint64_t	 failures;	/* syncs the store failed */
};
extern struct gw_session_share gw_session_share;

/* At the stop, after the workers: with clean, writes the session cache
 * for the next start. Frees r (NULL allowed). */
void gw_resume_close(struct gw_resume *r, int clean);

#endif
