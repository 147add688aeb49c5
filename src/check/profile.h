/* SPDX-License-Identifier: MIT */
/*
 * profile.h - device TLS stacks described exactly, for `tether check`:
 * the versions and cipher suites each offers, its record buffers, the
 * max_fragment_length it asks for, the keys it can use, how it resumes
 * and what it checks. docs/profiles.md gives the source of every fact.
 */
#ifndef CHK_PROFILE_H
#define CHK_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define CHK_PROFILE_SUITES_MAX	48
#define CHK_STACK_LEN		32	/* "mbedTLS 2.28.3", NUL */

/* What the device does with the server certificate's name and dates. */
enum chk_trust {
	CHK_TRUST_PIN,		/* a pin only: no name, no dates */
	CHK_TRUST_PIN_NAME,	/* a fingerprint and the name (axTLS verify()) */
	CHK_TRUST_CA,		/* a CA chain and the name, no dates by default */
};

/* How the device's name check reads the certificate's names. */
enum chk_names {
	CHK_NAMES_OPENSSL,	/* DNS and IP SANs, the CN when there is no
				   DNS SAN: what curl and browsers do (the
				   other clients of a pinning device) */
	CHK_NAMES_AXTLS,	/* DNS SANs, then the CN, always; never IP
				   SANs (axTLS keeps only dNSName entries,
				   WiFiClientSecure::_verifyDN) */
	CHK_NAMES_MBEDTLS,	/* DNS SANs when there is a SAN extension,
				   else the CN; never IP SANs (mbedTLS 2.28
				   x509_crt_verify_name) */
};

/* The library that makes the device's own connection. */
enum chk_stack {
	CHK_STACK_BEARSSL,	/* BearSSL, configured from the profile */
	CHK_STACK_MBEDTLS,	/* mbedTLS itself (probe_mbedtls.c) */
};

struct chk_profile {
	const char	*name;		/* --profile NAME */
	const char	*stack;		/* the stack, in words */
	const char	*engine;	/* what does the probe's handshakes */
	enum chk_stack	 device;	/* what makes the device's own */
	unsigned	 vmin, vmax;	/* BR_TLS10 .. BR_TLS12 */
	const uint16_t	*suites;	/* in the stack's order */
	size_t		 nsuites;
	size_t		 ibuf, obuf;	/* BearSSL buffers; obuf 0: one shared
					   (half-duplex) buffer of ibuf */
	unsigned	 mfln;		/* bytes asked by max_fragment_length,
					   0: the extension is not sent */
	size_t		 rx_record;	/* largest incoming record plaintext */
	size_t		 rx_first;	/* a receive buffer that starts this
					   size and grows with realloc for a
					   larger record (axTLS); 0: fixed */
	size_t		 chain_max;	/* largest chain taken, 0: streamed */
	size_t		 chain_warn;	/* a chain above this costs airtime */
	unsigned	 rsa_min, rsa_max;	/* RSA key bits it can use */
	int		 ecdsa;		/* can use an ECDSA (P-256/384/521) leaf */
	int		 resume_id;	/* resumes by session id */
	int		 resume_ticket;	/* resumes by session ticket */
	int		 fatal_warnings;	/* a warning alert ends the handshake */
	enum chk_trust	 trust;
	enum chk_names	 names;		/* how a name check matches */
	size_t		 head_max;	/* largest HTTP response head, 0: none */
	const char	*ciphers;	/* OpenSSL names to add on the server */
	const char	*gw_profile;	/* tether serve --profile that fits */
};

/* The profile called name, or NULL. */
const struct chk_profile *chk_profile_find(const char *name);
/* All profiles, in the order `--help` lists them. */
const struct chk_profile *chk_profile_at(size_t i);
size_t chk_profile_count(void);

/* "TLS_RSA_WITH_AES_128_CBC_SHA" and "AES128-SHA" for a suite id; a
 * "0xC0FF" form for an id the table does not know (buf: 8 bytes). */
const char *chk_suite_iana(uint16_t id, char buf[8]);
const char *chk_suite_openssl(uint16_t id, char buf[8]);
/* 1 if the suite authenticates the server with an ECDSA key. */
int chk_suite_ecdsa(uint16_t id);

/* "TLS 1.2" for BR_TLS12 (or any 0x03xx version). */
const char *chk_version_name(unsigned v);

#endif
