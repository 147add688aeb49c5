/* SPDX-License-Identifier: MIT */
/*
 * proxy.h - the PROXY protocol header a balancer sends first on a
 * --proxy-listen address (proxy.c).
 */
#ifndef GW_PROXY_H
#define GW_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY_V1_MAX	107	/* a version 1 line, CRLF included */
#define PROXY_V2_MAX	536	/* a version 2 header with its TLVs, at most
				 * (HAProxy's own bound for what it sends) */

struct proxy_header {
	size_t		 len;		/* bytes of the header */
	int		 local;		/* no client address: keep the peer's */
	struct sockaddr_storage src;	/* else the client's: AF_INET(6) */
};

/*
 * Reads a version 1 or 2 header at the start of buf (len bytes): 1 and
 * h filled when it is whole (h->len bytes), 0 when more bytes are needed,
 * -1 when these bytes are no PROXY header (or one for UDP or Unix
 * sockets, or longer than the bounds above).
 */
int proxy_parse(const void *buf, size_t len, struct proxy_header *h);

#endif
