/* SPDX-License-Identifier: MIT */
/*
 * resume.h - what a restart keeps so that devices resume instead of all
 * doing a full handshake at once: the session ticket keys (in the state
 * directory, or in the store when it is PostgreSQL and nodes share it)
 * and the session id cache (in the state directory, written at a clean
 * stop). docs/operations.md says what is kept where.
 */
#ifndef GW_RESUME_H
#define GW_RESUME_H

#include "gateway/gateway.h"
#include "gateway/tls.h"
#include "registry/registry.h"

#define GW_TICKET_SYNC		10	/* seconds between a node's reads of the
					 * store's keys */
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

/* From the registry watcher's thread, with its store, every poll: rotates
 * the keys when due, and on PostgreSQL takes the keys other nodes made. */
void gw_resume_tick(struct gw_resume *r, struct reg_store *store);

/* At the stop, after the workers: with clean, writes the session cache
 * for the next start. Frees r (NULL allowed). */
void gw_resume_close(struct gw_resume *r, int clean);

#endif
