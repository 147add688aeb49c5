/* SPDX-License-Identifier: MIT */
/*
 * proxy.c - the PROXY protocol header (HAProxy's proxy-protocol.txt,
 * versions 1 and 2) that a balancer sends before the TLS bytes, so the
 * gateway logs and records the device's address, not the balancer's.
 * Untrusted bytes: fuzz/proxy_header.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/proxy.h"

static const unsigned char v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00,
    0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* The client's address (4 or 16 bytes) and port into h->src. */
static void
set_source(struct proxy_header *h, int family, const unsigned char *addr,
    uint16_t port)
{
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&h->src;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, addr, 4);
		s->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&h->src;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, addr, 16);
		s->sin6_port = htons(port);
	}
}

/* "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n": at most 107 bytes. */
static int
parse_v1(const char *p, size_t len, struct proxy_header *h)
{
	char line[PROXY_V1_MAX + 1], *f[6], *save = NULL;
	unsigned char src[16], dst[16];
	uint16_t port = 0;
	int family;
	const char *end = memchr(p, '\n', len < PROXY_V1_MAX ? len :
	    PROXY_V1_MAX);
	size_t n, nf = 0;

	if (end == NULL)
		return len < PROXY_V1_MAX ? 0 : -1;
	n = (size_t)(end - p) + 1;
	if (n < 8 || p[n - 2] != '\r')
		return -1;
	memcpy(line, p, n - 2);
	line[n - 2] = '\0';
	for (char *t = strtok_r(line, " ", &save); t != NULL && nf < 6;
	    t = strtok_r(NULL, " ", &save))
		f[nf++] = t;
	if (strtok_r(NULL, " ", &save) != NULL || nf < 2 ||
	    strcmp(f[0], "PROXY") != 0)
		return -1;
	h->len = n;
	if (strcmp(f[1], "UNKNOWN") == 0) {
		h->local = 1;		/* the balancer's own: keep the peer */
		return 1;
	}
	if (nf != 6 || (strcmp(f[1], "TCP4") != 0 && strcmp(f[1], "TCP6") != 0))
		return -1;
	for (int i = 4; i < 6; i++) {
		char *e;
		long v = strtol(f[i], &e, 10);

		if (*e != '\0' || v < 0 || v > 65535 || f[i][0] == '\0' ||
		    (f[i][0] == '0' && f[i][1] != '\0'))
			return -1;
		if (i == 4)
			port = (uint16_t)v;
	}
	family = f[1][3] == '4' ? AF_INET : AF_INET6;
	if (inet_pton(family, f[2], src) != 1 ||
	    inet_pton(family, f[3], dst) != 1)
		return -1;
	set_source(h, family, src, port);
	return 1;
}

/* see proxy.h */
int
proxy_parse(const void *buf, size_t len, struct proxy_header *h)
{
	const unsigned char *p = buf;
	size_t body, want;

	memset(h, 0, sizeof(*h));
	if (len == 0)
		return 0;
	if (p[0] == 'P') {
		if (memcmp(p, "PROXY ", len < 6 ? len : 6) != 0)
			return -1;
		return len < 6 ? 0 : parse_v1(buf, len, h);
	}
	if (memcmp(p, v2_sig, len < 12 ? len : 12) != 0)
		return -1;
	if (len < 16)
		return 0;
	if ((p[12] >> 4) != 2)
		return -1;		/* version */
	body = (size_t)p[14] << 8 | p[15];
	if (body > PROXY_V2_MAX - 16)
		return -1;
	want = 16 + body;
	if (len < want)
		return 0;
	h->len = want;
	switch (p[12] & 0x0f) {
	case 0:			/* LOCAL: the balancer's health check */
		h->local = 1;
		return 1;
	case 1:			/* PROXY */
		break;
	default:
		return -1;
	}
	switch (p[13]) {
	case 0x11:		/* TCP over IPv4: src, dst, sport, dport */
		if (body < 12)
			return -1;
		set_source(h, AF_INET, p + 16, (uint16_t)(p[24] << 8 | p[25]));
		return 1;
	case 0x21:		/* TCP over IPv6 */
		if (body < 36)
			return -1;
		set_source(h, AF_INET6, p + 16, (uint16_t)(p[48] << 8 | p[49]));
		return 1;
	case 0x00:		/* UNSPEC: nothing to say of the source */
		h->local = 1;
		return 1;
	default:
		return -1;	/* UDP, Unix sockets: not a device over TCP */
	}
}
