/* SPDX-License-Identifier: MIT */
/*
 * wire.h - reads what a server sends in the clear during a TLS 1.2
 * handshake, beside the TLS engine: the ServerHello's version, suite,
 * session id and extensions, the Certificate message's size, alerts and
 * record sizes. What BearSSL does not tell (did the server echo
 * max_fragment_length? did it send a warning alert?) is read here.
 */
#ifndef CHK_WIRE_H
#define CHK_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define CHK_HELLO_KEEP	512	/* ServerHello body bytes kept */

struct chk_wire {
	/* record layer */
	unsigned char	 hdr[5];	/* the header being read */
	size_t		 hdr_got;
	size_t		 rec_left;	/* payload bytes of this record left */
	unsigned	 rec_type;
	int		 encrypted;	/* the server's ChangeCipherSpec seen */
	size_t		 max_clear;	/* largest record before it */
	size_t		 max_sealed;	/* largest record after it */
	size_t		 bytes;		/* everything received */
	/* handshake messages in the clear */
	unsigned char	 hs_hdr[4];
	size_t		 hs_hdr_got;
	size_t		 hs_left;
	unsigned	 hs_type;
	unsigned char	 hello[CHK_HELLO_KEEP];
	size_t		 hello_len;
	int		 hello_done;	/* the ServerHello was read whole */
	int		 cert_seen;
	size_t		 cert_msg_len;	/* Certificate message body bytes */
	int		 ticket_seen;	/* NewSessionTicket */
	int		 cert_request;	/* CertificateRequest: it asks the
					   client for a certificate */
	int		 not_tls;	/* the first bytes are no TLS record
					   ("HTTP/1.1 400", a banner) */
	/* alerts in the clear */
	unsigned char	 alert[2];
	size_t		 alert_got;
	int		 warn_alert;	/* first warning alert, or -1 */
	int		 fatal_alert;	/* first fatal alert, or -1 */
	/* the ServerHello, parsed */
	unsigned	 version;
	uint16_t	 suite;
	unsigned char	 sid[32];
	size_t		 sid_len;
	int		 mfln_echo;	/* its max_fragment_length code, or 0 */
	int		 ticket_ext;	/* it will send a session ticket */
	int		 ems;		/* extended master secret */
	int		 sni_ack;	/* it acknowledged server_name */
	int		 hello_bad;	/* the ServerHello did not parse */
};

void chk_wire_init(struct chk_wire *w);
/* Feeds n bytes exactly as received from the server. */
void chk_wire_feed(struct chk_wire *w, const unsigned char *p, size_t n);

#endif
