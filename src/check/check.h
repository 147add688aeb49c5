/* SPDX-License-Identifier: MIT */
/*
 * check.h - `tether check`: will this device stack talk to that server,
 * and if not, exactly why. Runs the probes of one profile against one
 * server and gives findings, each PASS, WARN or FAIL with a remedy that
 * names the server setting to change. Nothing here prints.
 */
#ifndef CHK_CHECK_H
#define CHK_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "check/fetch.h"
#include "check/profile.h"

#define CHK_FINDINGS_MAX	24
#define CHK_TEXT_LEN		640	/* a summary, detail or remedy line */
#define CHK_PIN_TEXT_MAX	128	/* --pin as given */
#define CHK_WARN_DAYS		30	/* the leaf expires sooner: WARN */
#define CHK_POST_GRACE_MS	500	/* see post_deadline */
#define CHK_WRONG_SNI		"tether-check.invalid"	/* RFC 2606 name */

enum chk_verdict {
	CHK_PASS,
	CHK_WARN,
	CHK_FAIL,
};

struct chk_finding {
	const char	*check;		/* "versions", "suites", ... */
	enum chk_verdict verdict;
	char		 summary[CHK_TEXT_LEN];	/* one line: what was seen */
	char		 remedy[CHK_TEXT_LEN];	/* what to change; "" if none */
};

struct chk_options {
	const struct chk_profile *profile;
	const char	*host;
	const char	*port;
	const char	*sni;		/* what the device sends; NULL: none */
	const char	*path;		/* the device's HTTP path */
	const char	*pin;		/* a pin to match, or NULL */
	const char	*ca_file;	/* the CAs a CA-mode device holds (PEM),
					   or NULL: the chain is not verified */
	int		 timeout_ms;	/* per handshake */
	long long	*post_deadline;	/* shared by the checks of one command:
					   once a POST got no answer within
					   timeout_ms, it holds when (chk_now_ms),
					   and later POSTs wait CHK_POST_GRACE_MS
					   only; NULL: each waits timeout_ms */
};

struct chk_report {
	const struct chk_profile *profile;
	char		 addr[CHK_ADDR_MAX];
	struct chk_finding findings[CHK_FINDINGS_MAX];
	size_t		 nfindings;
	int		 fails, warns;
	int		 handshakes;	/* made, all probes */
	long		 ms;		/* the whole check */
	/* facts, for --json */
	int		 connected;	/* the device's own handshake */
	char		 stack[CHK_STACK_LEN];	/* the library that made it:
						   "BearSSL", "mbedTLS 2.28.3" */
	unsigned	 version;
	uint16_t	 suite;
	char		 leaf_key[32];	/* "ECDSA P-256", "RSA 2048" */
	char		 leaf_spki[48];	/* base64 SPKI SHA-256 */
	size_t		 chain_bytes;	/* the Certificate message */
	int		 http_status;
	size_t		 head_bytes;
	char		 err[CHK_ERR_LEN];	/* when chk_run returns -1 */
};

/*
 * Checks o->host:o->port as o->profile's device would see it. Returns 0
 * with the findings in r (r->fails > 0: the device would not connect),
 * or -1 when the server could not be reached at all (DNS, refused,
 * time-out; r->err says why), which is not the server's TLS at fault.
 */
int chk_run(const struct chk_options *o, struct chk_report *r);

const char *chk_verdict_name(enum chk_verdict v);

#endif
