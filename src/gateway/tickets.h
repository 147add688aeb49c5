/* SPDX-License-Identifier: MIT */
/*
 * tickets.h - the gateway's session ticket keys: a small ring of keys
 * (the newest seals new tickets, every one still in the ring opens
 * them), rotated every GW_TICKET_ROTATE seconds, kept across a restart
 * in a file of the state directory or, when nodes share a PostgreSQL
 * store, in the store (sealed under the registry key) so that every node
 * opens the tickets of every other.
 */
#ifndef GW_TICKETS_H
#define GW_TICKETS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

/*
 * A key seals tickets for one period and opens them for one more: a
 * ticket lives as long as its session (24 h, tls.c), so one made just
 * before a rotation still opens until its session is over.
 */
#define GW_TICKET_ROTATE	(24 * 60 * 60)	/* seconds a key seals */
#define GW_TICKET_KEEP		(2 * GW_TICKET_ROTATE)	/* ... and opens */
#define GW_TICKET_RING		8	/* keys held at most */
#define GW_TICKET_NAME_LEN	16
#define GW_TICKET_SECRET_LEN	64	/* AES-256 key, then HMAC-SHA256 key */
#define GW_TICKET_ERR_LEN	256

struct gw_ticket_key {
	unsigned char	name[GW_TICKET_NAME_LEN];	/* random */
	unsigned char	secret[GW_TICKET_SECRET_LEN];
	int64_t		created;	/* seconds since the epoch */
};

struct gw_tickets;

/* A ring with one fresh key; NULL when out of memory or randomness. */
struct gw_tickets *gw_tickets_new(void);
/* Wipes the keys and frees the ring. Detach it from every SSL_CTX
 * first. NULL is allowed. */
void gw_tickets_free(struct gw_tickets *tk);

/* Makes ctx seal and open its tickets with tk (linked in, must outlive
 * ctx or gw_tickets_detach(ctx)). 0, or -1 when OpenSSL refuses. */
int gw_tickets_attach(struct gw_tickets *tk, SSL_CTX *ctx);
void gw_tickets_detach(SSL_CTX *ctx);

/* Whether a ticket ssl's client offered was opened by the ring: with
 * SSL_session_reused, a resumption by ticket, not by session id. */
int gw_tickets_opened(const SSL *ssl);

/*
 * Copies the ring out, newest first, into keys (GW_TICKET_RING): the
 * count. The caller wipes keys after use.
 */
size_t gw_tickets_export(struct gw_tickets *tk, struct gw_ticket_key *keys);

/*
 * Puts keys into the ring (those it has by name are skipped, those older
 * than GW_TICKET_KEEP at now dropped); the newest of all seals from then
 * on. Returns how many were new.
 */
size_t gw_tickets_merge(struct gw_tickets *tk,
    const struct gw_ticket_key *keys, size_t n, int64_t now);

/* Replaces the ring by keys (those past GW_TICKET_KEEP dropped; a fresh
 * key when none is left). 0, or -1 without randomness. */
int gw_tickets_set(struct gw_tickets *tk, const struct gw_ticket_key *keys,
    size_t n, int64_t now);

/*
 * Is the newest key older than GW_TICKET_ROTATE at now? Then rotate:
 * gw_tickets_rotate adds a fresh key (and drops those past
 * GW_TICKET_KEEP). 0, or -1 without randomness (the ring is unchanged).
 */
int gw_tickets_due(struct gw_tickets *tk, int64_t now);
int gw_tickets_rotate(struct gw_tickets *tk, int64_t now);

/*
 * The key file of the state directory: its bytes (magic, count, keys,
 * SHA-256 of the rest). gw_tickets_parse takes what gw_tickets_format
 * wrote (never trusting it: fuzz/state_file.c); -1 with a sentence in
 * err for anything else.
 */
#define GW_TICKET_FILE_MAX	(16 + 1 + GW_TICKET_RING * \
	(8 + GW_TICKET_NAME_LEN + GW_TICKET_SECRET_LEN) + 32)
size_t gw_tickets_format(const struct gw_ticket_key *keys, size_t n,
    unsigned char *buf);
int gw_tickets_parse(const unsigned char *buf, size_t len,
    struct gw_ticket_key *keys, size_t *n, char *err);

/*
 * Loads path into the ring: 1 when it was loaded, 0 when there is no
 * file, -1 with a sentence in err when it cannot be used (unreadable,
 * readable by others, damaged, not ours): the ring keeps its fresh key.
 */
int gw_tickets_load(struct gw_tickets *tk, const char *path, int64_t now,
    char *err);
/* Writes the ring to path atomically (a temporary file, mode 0600,
 * fsync'd and renamed over it). 0, or -1 with a sentence in err. */
int gw_tickets_save(struct gw_tickets *tk, const char *path, char *err);

/* Sealed tickets and opened ones, since the start. */
struct gw_tickets_stats {
	uint64_t	sealed;
	uint64_t	opened;		/* by the sealing key */
	uint64_t	opened_old;	/* by an older key: a new ticket sent */
	uint64_t	unknown;	/* no key of that name: full handshake */
	uint64_t	rotations;
};
void gw_tickets_stats(struct gw_tickets *tk, struct gw_tickets_stats *st);

#endif
