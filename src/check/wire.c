/* SPDX-License-Identifier: MIT */
/*
 * wire.c - the server's side of a TLS 1.2 handshake, read from the bytes
 * as received: records (RFC 5246 6.2), handshake messages across records
 * (7.4), alerts (7.2) and the ServerHello's extensions (RFC 6066, 5077,
 * 7627). Only what is in the clear is read; after the server's
 * ChangeCipherSpec only record sizes are counted.
 */
#include <string.h>

#include "check/wire.h"

#define REC_CCS		20
#define REC_ALERT	21
#define REC_HANDSHAKE	22

#define HS_SERVER_HELLO		2
#define HS_NEW_SESSION_TICKET	4
#define HS_CERTIFICATE		11
#define HS_CERTIFICATE_REQUEST	13

#define EXT_SERVER_NAME		0
#define EXT_MAX_FRAGMENT	1
#define EXT_EMS			23
#define EXT_SESSION_TICKET	35

void
chk_wire_init(struct chk_wire *w)
{
	memset(w, 0, sizeof(*w));
	w->warn_alert = -1;
	w->fatal_alert = -1;
}

static unsigned
be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void
parse_hello(struct chk_wire *w)
{
	const unsigned char *p = w->hello, *end = w->hello + w->hello_len;
	size_t n, elen;
	unsigned type;

	if (end - p < 2 + 32 + 1)
		goto bad;
	w->version = be16(p);
	p += 2 + 32;
	n = *p++;
	if (n > sizeof(w->sid) || (size_t)(end - p) < n + 3)
		goto bad;
	memcpy(w->sid, p, n);
	w->sid_len = n;
	p += n;
	w->suite = (uint16_t)be16(p);
	p += 3;			/* suite, compression */
	if (p == end)
		return;		/* no extensions */
	if (end - p < 2 || be16(p) != (size_t)(end - p - 2))
		goto bad;
	p += 2;
	while (p < end) {
		if (end - p < 4)
			goto bad;
		type = be16(p);
		elen = be16(p + 2);
		p += 4;
		if ((size_t)(end - p) < elen)
			goto bad;
		switch (type) {
		case EXT_MAX_FRAGMENT:
			if (elen == 1)
				w->mfln_echo = p[0];
			break;
		case EXT_SESSION_TICKET:
			w->ticket_ext = 1;
			break;
		case EXT_EMS:
			w->ems = 1;
			break;
		case EXT_SERVER_NAME:
			w->sni_ack = 1;
			break;
		}
		p += elen;
	}
	return;
bad:
	w->hello_bad = 1;
}

/* A handshake message's body bytes, in pieces as records bring them. */
static void
hs_body(struct chk_wire *w, const unsigned char *p, size_t n)
{
	size_t keep;

	if (w->hs_type == HS_SERVER_HELLO) {
		keep = sizeof(w->hello) - w->hello_len;
		if (n < keep)
			keep = n;
		memcpy(w->hello + w->hello_len, p, keep);
		w->hello_len += keep;
	}
}

static void
hs_feed(struct chk_wire *w, const unsigned char *p, size_t n)
{
	size_t take;

	while (n > 0) {
		if (w->hs_hdr_got < 4) {
			w->hs_hdr[w->hs_hdr_got++] = *p++;
			n--;
			if (w->hs_hdr_got < 4)
				continue;
			w->hs_type = w->hs_hdr[0];
			w->hs_left = (size_t)w->hs_hdr[1] << 16 |
			    (size_t)w->hs_hdr[2] << 8 | w->hs_hdr[3];
			if (w->hs_type == HS_SERVER_HELLO)
				w->hello_len = 0;
			else if (w->hs_type == HS_CERTIFICATE) {
				w->cert_seen = 1;
				w->cert_msg_len = w->hs_left;
			} else if (w->hs_type == HS_NEW_SESSION_TICKET)
				w->ticket_seen = 1;
			else if (w->hs_type == HS_CERTIFICATE_REQUEST)
				w->cert_request = 1;
		} else {
			take = n < w->hs_left ? n : w->hs_left;
			hs_body(w, p, take);
			p += take;
			n -= take;
			w->hs_left -= take;
		}
		if (w->hs_hdr_got == 4 && w->hs_left == 0) {
			if (w->hs_type == HS_SERVER_HELLO && !w->hello_done) {
				w->hello_done = 1;
				parse_hello(w);
			}
			w->hs_hdr_got = 0;
		}
	}
}

static void
alert_feed(struct chk_wire *w, const unsigned char *p, size_t n)
{
	while (n-- > 0) {
		w->alert[w->alert_got++] = *p++;
		if (w->alert_got < 2)
			continue;
		w->alert_got = 0;
		if (w->alert[0] == 2 && w->fatal_alert < 0)
			w->fatal_alert = w->alert[1];
		else if (w->alert[0] == 1 && w->alert[1] != 0 &&
		    w->warn_alert < 0)
			w->warn_alert = w->alert[1];
	}
}

void
chk_wire_feed(struct chk_wire *w, const unsigned char *p, size_t n)
{
	size_t take, len;

	w->bytes += n;
	while (n > 0) {
		if (w->rec_left == 0) {
			w->hdr[w->hdr_got++] = *p++;
			n--;
			if (w->hdr_got < 5)
				continue;
			w->hdr_got = 0;
			w->rec_type = w->hdr[0];
			/* Record types 20..23, version 3.x: else not TLS. */
			if (w->bytes - n == 5 && (w->rec_type < 20 ||
			    w->rec_type > 23 || w->hdr[1] != 3))
				w->not_tls = 1;
			len = be16(w->hdr + 3);
			w->rec_left = len;
			if (w->encrypted) {
				if (len > w->max_sealed)
					w->max_sealed = len;
			} else if (len > w->max_clear)
				w->max_clear = len;
			if (w->rec_type == REC_CCS && !w->encrypted) {
				/* Its one byte is the last thing in the
				 * clear. */
				w->encrypted = 1;
			}
			continue;
		}
		take = n < w->rec_left ? n : w->rec_left;
		if (!w->encrypted || w->rec_type == REC_CCS) {
			if (w->rec_type == REC_HANDSHAKE)
				hs_feed(w, p, take);
			else if (w->rec_type == REC_ALERT)
				alert_feed(w, p, take);
		}
		p += take;
		n -= take;
		w->rec_left -= take;
	}
}
