/* SPDX-License-Identifier: MIT */
/*
 * resume.c - the ticket keys and the session cache across a restart
 * (resume.h). The keys rotate here, in the watcher's thread, never in a
 * handshake: a file write (or a round trip to PostgreSQL) a day.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "gateway/resume.h"
#include "gateway/sesscache.h"
#include "gateway/statefile.h"
#include "gateway/tickets.h"

struct gw_resume {
	struct gw_tickets	*tickets;
	struct gw_sesscache	*sessions;
	int			 shared;	/* keys in the store */
	int			 dir_ok;	/* the state directory is there */
	int			 failing;	/* the last sync failed */
	time_t			 synced;	/* the store's keys last read */
	uint64_t		 unknown;	/* tickets of unknown keys then */
	char			 keyfile[4096];
	char			 sessfile[4096];
};

_Static_assert(REG_TICKET_NAME_LEN == GW_TICKET_NAME_LEN &&
    REG_TICKET_SECRET_LEN == GW_TICKET_SECRET_LEN,
    "a key of the store is a key of the ring");

static void
to_reg(const struct gw_ticket_key *k, struct reg_ticket_key *r)
{
	memcpy(r->name, k->name, sizeof(r->name));
	memcpy(r->secret, k->secret, sizeof(r->secret));
	r->created = k->created;
}

static void
from_reg(const struct reg_ticket_key *r, struct gw_ticket_key *k)
{
	memcpy(k->name, r->name, sizeof(k->name));
	memcpy(k->secret, r->secret, sizeof(k->secret));
	k->created = r->created;
}

static void
save_keys(struct gw_resume *r)
{
	char err[GW_STATE_ERR_LEN];

	if (!r->dir_ok)
		return;
	if (gw_tickets_save(r->tickets, r->keyfile, err) != 0)
		gw_log(GW_LOG_WARN, "ticket_keys_not_saved", "reason", err,
		    "effect", "tickets issued now do not resume after a "
		    "restart", NULL);
}

/*
 * The store's keys into the ring; when the newest is due (or there is
 * none), a fresh one into the store first, read back with the others:
 * two nodes that rotate at once both keep both keys, and both seal with
 * the same one (the newest by time, then name). 0 or -1.
 */
static int
sync_store(struct gw_resume *r, struct reg_store *st, time_t now,
    int replace)
{
	struct reg_ticket_key rk[GW_TICKET_RING];
	struct gw_ticket_key gk[GW_TICKET_RING];
	size_t foreign = 0, n;
	long long got;
	int rc = -1, pass;
	char nf[24];

	/* Two passes at most: read (and adopt), else publish and read. */

	for (pass = 0; pass < 2; pass++) {
		if ((got = reg_ticket_keys_get(st, now - GW_TICKET_KEEP, rk,
		    GW_TICKET_RING, &foreign)) < 0)
			goto out;
		n = (size_t)got;
		if (foreign > 0 && pass == 0) {
			snprintf(nf, sizeof(nf), "%zu", foreign);
			gw_log(GW_LOG_WARN, "ticket_keys_foreign", "count", nf,
			    "reason", "the store holds ticket keys sealed under "
			    "another registry key (or damaged): every node of "
			    "one store needs the same --key-file", "effect",
			    "those keys are not used", NULL);
		}
		for (size_t i = 0; i < n; i++)
			from_reg(&rk[i], &gk[i]);
		if (n > 0 && (rk[0].created + GW_TICKET_ROTATE > now ||
		    pass == 1)) {
			if (replace)
				(void)gw_tickets_set(r->tickets, gk, n, now);
			else
				(void)gw_tickets_merge(r->tickets, gk, n, now);
			rc = 0;
			break;
		}
		if (pass == 1) {
			/* Our key went in, yet nothing came back: keep
			 * sealing with the ring's own key meanwhile. */
			rc = 0;
			break;
		}
		/* None, or the newest is due: make one, for every node. */
		if (gw_tickets_due(r->tickets, now) &&
		    gw_tickets_rotate(r->tickets, now) != 0)
			goto out;
		gw_tickets_export(r->tickets, gk);
		to_reg(&gk[0], &rk[0]);
		if (reg_ticket_key_put(st, &rk[0]) != 0)
			goto out;
		gw_log(GW_LOG_INFO, "ticket_key_made", "where", "the store",
		    "effect", "every node seals new tickets with it", NULL);
		(void)reg_ticket_keys_prune(st, now - GW_TICKET_KEEP);
	}
out:
	OPENSSL_cleanse(rk, sizeof(rk));
	OPENSSL_cleanse(gk, sizeof(gk));
	return rc;
}

struct gw_resume *
gw_resume_open(const struct gw_config *c, struct gw_tls *tls,
    struct reg_store *store)
{
	struct gw_resume *r;
	char err[GW_STATE_ERR_LEN], nbuf[24];
	time_t now = time(NULL);
	struct stat st;
	long n;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->tickets = gw_tls_tickets(tls);
	r->sessions = gw_tls_sessions(tls);
	r->shared = reg_db_file(c->db) == NULL;
	snprintf(r->keyfile, sizeof(r->keyfile), "%s/" GW_TICKET_FILE,
	    c->state_dir);
	snprintf(r->sessfile, sizeof(r->sessfile), "%s/" GW_SESSION_FILE,
	    c->state_dir);
	if (mkdir(c->state_dir, 0700) == 0 || (errno == EEXIST &&
	    stat(c->state_dir, &st) == 0 && S_ISDIR(st.st_mode)))
		r->dir_ok = 1;
	else
		gw_log(GW_LOG_WARN, "state_dir_unusable", "path", c->state_dir,
		    "reason", strerror(errno), "effect", "sessions and ticket "
		    "keys are not kept across a restart", NULL);

	if (r->shared) {
		if (sync_store(r, store, now, 1) != 0)
			gw_log(GW_LOG_WARN, "ticket_keys_unshared", "reason",
			    reg_error(store), "effect", "this node seals "
			    "tickets with a key of its own until the store "
			    "answers; other nodes do not open them", NULL);
		r->synced = now;
	} else if (r->dir_ok) {
		switch (gw_tickets_load(r->tickets, r->keyfile, now, err)) {
		case 1:
			gw_log(GW_LOG_INFO, "ticket_keys_loaded", "path",
			    r->keyfile, NULL);
			if (gw_tickets_due(r->tickets, now) &&
			    gw_tickets_rotate(r->tickets, now) == 0)
				save_keys(r);
			break;
		case 0:
			save_keys(r);
			break;
		default:
			gw_log(GW_LOG_WARN, "ticket_keys_refused", "reason", err,
			    "effect", "fresh ticket keys replace the file; "
			    "tickets issued before do not resume", NULL);
			save_keys(r);
			break;
		}
	}

	if (r->dir_ok) {
		if ((n = gw_sesscache_load(r->sessions, r->sessfile, now,
		    err)) < 0) {
			gw_log(GW_LOG_WARN, "sessions_refused", "reason", err,
			    "effect", "devices without a session in it do a "
			    "full handshake", NULL);
		} else if (n > 0) {
			snprintf(nbuf, sizeof(nbuf), "%ld", n);
			gw_log(GW_LOG_INFO, "sessions_loaded", "path",
			    r->sessfile, "sessions", nbuf, NULL);
		}
	}
	return r;
}

void
gw_resume_tick(struct gw_resume *r, struct reg_store *store)
{
	struct gw_tickets_stats st;
	time_t now = time(NULL);

	if (r == NULL)
		return;
	if (!r->shared) {
		if (gw_tickets_due(r->tickets, now) &&
		    gw_tickets_rotate(r->tickets, now) == 0) {
			save_keys(r);
			gw_log(GW_LOG_INFO, "ticket_key_rotated", "path",
			    r->keyfile, NULL);
		}
		return;
	}
	/* A ticket of a key this node does not know may be a key another
	 * node just made: read the store at once, at most once a second. */
	gw_tickets_stats(r->tickets, &st);
	if (now - r->synced < GW_TICKET_SYNC && !gw_tickets_due(r->tickets,
	    now) && (st.unknown == r->unknown || now - r->synced < 1))
		return;
	r->synced = now;
	r->unknown = st.unknown;
	if (sync_store(r, store, now, 0) != 0) {
		if (!r->failing)
			gw_log(GW_LOG_WARN, "ticket_keys_unshared", "reason",
			    reg_error(store), "effect", "keys other nodes "
			    "make are not seen until the store answers", NULL);
		r->failing = 1;
	} else {
		r->failing = 0;
	}
}

void
gw_resume_close(struct gw_resume *r, int clean)
{
	char err[GW_STATE_ERR_LEN], nbuf[24];
	size_t n = 0;

	if (r == NULL)
		return;
	if (clean && r->dir_ok) {
		if (gw_sesscache_save(r->sessions, r->sessfile, &n, err) != 0) {
			gw_log(GW_LOG_WARN, "sessions_not_saved", "reason", err,
			    "effect", "devices do a full handshake after the "
			    "restart", NULL);
		} else {
			snprintf(nbuf, sizeof(nbuf), "%zu", n);
			gw_log(GW_LOG_INFO, "sessions_saved", "path",
			    r->sessfile, "sessions", nbuf, NULL);
		}
		if (!r->shared)
			save_keys(r);
	}
	free(r);
}
