/* SPDX-License-Identifier: MIT */
/*
 * ticket.h - does the server resume TLS 1.2 sessions by ticket (RFC
 * 5077)? BearSSL has no tickets, so this one probe runs on OpenSSL: a
 * full handshake that asks for a ticket, then one that offers it back.
 */
#ifndef CHK_TICKET_H
#define CHK_TICKET_H

#include <netdb.h>

#include "check/fetch.h"

struct chk_ticket {
	int	 issued;	/* the server sent a ticket */
	int	 resumed;	/* and took it back */
	long	 lifetime;	/* the ticket's lifetime hint, seconds */
	char	 err[CHK_ERR_LEN];	/* why not, when not */
};

/* Returns 0 with out filled (issued/resumed say what happened), or -1
 * when no handshake could be made at all (out->err says why). */
int chk_ticket_probe(const struct chk_target *t, const struct addrinfo *ai,
    struct chk_ticket *out);

#endif
