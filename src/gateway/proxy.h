/* SPDX-License-Identifier: MIT */
/*
 * proxy.h - the PROXY protocol header a balancer sends first on a
 * --proxy-listen address (proxy.c).
 */
#ifndef GW_PROXY_H
#define GW_PROXY_H

#include <stddef.h>
#include <stdint.h>

#define PROXY_V1_MAX	107	/* a version 1 line, CRLF included */
#define PROXY_V2_MAX	536	/* a version 2 header with its TLVs, at most
				 * (HAProxy's own bound for what it sends) */

struct proxy_header {
	size_t		 len;		/* bytes of the header */
	int		 local;		/* no client address: keep the peer's */
	int		 family;	/* AF_INET, AF_INET6 */
	unsigned char	 addr[16];	/* the client's (source) address */
	uint16_t	 port;
};

/*
 * Reads a version 1 or 2 header at the start of buf (len bytes): 1 and
 * h filled when it is whole (h->len bytes), 0 when more bytes are needed,
 * -1 when these bytes are no PROXY header (or one for UDP or Unix
 * sockets, or longer than the bounds above).
 */
int proxy_parse(const void *buf, size_t len, struct proxy_header *h);

/* "1.2.3.4:5678", "[::1]:5678" (out: at least GW_PEER_MAX bytes). */
void proxy_format_peer(const struct proxy_header *h, char *out, size_t len);

#endif
