/* SPDX-License-Identifier: MIT */
/*
 * fingerprint.h - `tether fingerprint` inside: the report fingerprint.c
 * gathers (from a server or files) and fingerprint_out.c prints in one
 * of four formats.
 */
#ifndef CLI_FINGERPRINT_H
#define CLI_FINGERPRINT_H

#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check/fetch.h"
#include "pin/pin.h"

#define FP_WARN_DAYS		30	/* warn when the leaf expires sooner */
#define FP_MAX_NEXT		4	/* --next */
#define FP_MAX_LEAVES		4	/* distinct leaves in one report */
#define FP_SHA256_LEN		32
#define FP_SHA1_LEN		20
#define FP_DATE_LEN		32	/* "2027-11-25 06:30:00 UTC" */
#define FP_NAME_LEN		256	/* a subject or issuer, one line */

enum fp_format {
	FP_TEXT,
	FP_JSON,
	FP_C,
	FP_ARDUINO,
};

/* One distinct leaf and the chain it came with. */
struct fp_leaf {
	STACK_OF(X509)	*chain;		/* leaf first; owned */
	const char	*file;		/* --cert it came from, or NULL */
	unsigned	 offers;	/* bit per enum chk_offer that got it */
	char		 protocol[16];
	char		 cipher[64];
	char		 kind[16];	/* "ECDSA", "RSA": for C names */
	struct pin_set	 pins;
	char		 sha256_colon[96];	/* AB:CD:..., 32 bytes */
	long		 days_left;	/* negative once expired */
};

/* A ClientHello that got no certificate, and why. */
struct fp_refusal {
	enum chk_offer	 offer;
	char		 why[CHK_ERR_LEN];
};

/* A key that will replace today's (--next). */
struct fp_next {
	const char	*file;
	char		 key_type[48];
	char		 b64[45];
	char		 hex[65];
	int		 current;	/* index of a leaf with this key, or -1 */
};

struct fp_report {
	const char		*host;		/* NULL for --cert files */
	const char		*port;
	const char		*sni;
	char			 addr[CHK_ADDR_MAX];
	const char		*verify_name;
	int			 trusted;
	char			 trust_why[128];
	int			 warn_alert;	/* warning alert sent, or -1 */
	struct fp_leaf		 leaves[FP_MAX_LEAVES];
	size_t			 nleaves;
	struct fp_refusal	 refused[2];
	size_t			 nrefused;
	struct fp_next		 next[FP_MAX_NEXT];
	size_t			 nnext;
};

/* Whole days from now until t (negative when past); 0 if unreadable. */
long	fp_days_until(const ASN1_TIME *t);
/* "ECDSA", "RSA", ...: the kind of a key, for texts and C names. */
const char *fp_key_kind(EVP_PKEY *k);

/* Renewal warnings, on stderr whatever the format. */
void	fp_warn_expiry(const struct fp_report *r);
/* The four formats. source: the server or file, named in the C header
 * and the Arduino lines. */
void	fp_print_text(const struct fp_report *r, FILE *out);
int	fp_print_json(const struct fp_report *r, FILE *out);	/* 0 or -1 */
void	fp_print_c(const struct fp_report *r, FILE *out, const char *source);
int	fp_print_arduino(const struct fp_report *r, FILE *out,
	    const char *source);

#endif
