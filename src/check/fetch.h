/* SPDX-License-Identifier: MIT */
/*
 * fetch.h - one TLS handshake with a server, to see what it sends: a DNS
 * lookup and a connect under one deadline, OpenSSL as the client, the
 * chain as sent, and every failure as a sentence that names its cause and
 * the side that caused it. Probe code for `tether fingerprint` and
 * `tether check`; it belongs in src/check/ once the build globs it.
 */
#ifndef CHK_FETCH_H
#define CHK_FETCH_H

#include <netdb.h>
#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#define CHK_ERR_LEN	512	/* a failure sentence, NUL included */
#define CHK_HOST_MAX	256	/* a DNS name (253) or IP literal, NUL */
#define CHK_PORT_MAX	6	/* "65535", NUL */
#define CHK_ADDR_MAX	64	/* an address as text, for messages */

/* What the ClientHello offers: everything OpenSSL can do, or only the
 * suites and signature algorithms of one key type, so that a server
 * holding an RSA and an ECDSA certificate has to show each in turn. */
enum chk_offer {
	CHK_OFFER_ALL,
	CHK_OFFER_ECDSA,
	CHK_OFFER_RSA,
};

/* Why a fetch failed, for the caller to choose its words or exit code. */
enum chk_fail {
	CHK_OK,
	CHK_FAIL_DNS,		/* the name does not resolve */
	CHK_FAIL_CONNECT,	/* refused, unreachable, reset */
	CHK_FAIL_TIMEOUT,	/* the deadline passed: DNS, connect, TLS */
	CHK_FAIL_ALERT,		/* the server refused with a fatal alert */
	CHK_FAIL_TLS,		/* any other handshake failure */
	CHK_FAIL_LOCAL,		/* out of memory, no socket, ... */
};

struct chk_target {
	const char	*host;		/* name or IP literal, no brackets */
	const char	*port;		/* decimal */
	const char	*sni;		/* server_name to send; NULL: none */
	const char	*verify_name;	/* name or IP the chain is checked
					   against the system's CAs for */
	int		 timeout_ms;	/* per chk_resolve, per chk_fetch */
	int		 tls_min, tls_max;	/* chk_fetch's versions, OpenSSL's
					   TLS1_2_VERSION...; 0: 1.0 to 1.3 */
};

struct chk_fetch {
	enum chk_fail	 fail;
	char		 err[CHK_ERR_LEN];	/* why, when fail != CHK_OK */
	int		 alert;		/* fatal alert the server sent, or -1 */
	int		 warn_alert;	/* warning alert (e.g. 112), or -1 */
	int		 not_tls;	/* the answer is not TLS (plain HTTP) */
	char		 addr[CHK_ADDR_MAX];	/* the address connected to */
	STACK_OF(X509)	*chain;		/* as sent, leaf first; owned */
	char		 protocol[16];	/* "TLSv1.3" */
	char		 cipher[64];	/* OpenSSL's name of the suite */
	int		 trusted;	/* the system's CAs vouch for it */
	char		 trust_why[128];	/* "ok", or why not */
};

/*
 * Splits "HOST", "HOST:PORT", "[V6]:PORT", a bare IPv6 literal or an
 * https:// (wss://, mqtts://) URL into host and port; defport when none
 * is given. Returns 0, or -1 with a sentence in err (CHK_ERR_LEN).
 */
int chk_parse_target(const char *arg, const char *defport,
    char host[CHK_HOST_MAX], char port[CHK_PORT_MAX], char *err);

/* 1 if host is an IPv4 or IPv6 literal. */
int chk_is_ip(const char *host);

/*
 * Resolves t->host and t->port within t->timeout_ms. Returns 0 with a
 * list for chk_fetch (free it with freeaddrinfo), or -1 with *fail set to
 * CHK_FAIL_DNS, CHK_FAIL_TIMEOUT or CHK_FAIL_LOCAL and a sentence in err.
 * Only one lookup runs at a time in a process: a lookup that timed out
 * keeps its state until the resolver gives up, and a second call then
 * fails.
 */
int chk_resolve(const struct chk_target *t, struct addrinfo **out,
    enum chk_fail *fail, char *err);

/*
 * Connects to the first address of ai that answers and performs one TLS
 * handshake (TLS 1.0 to 1.3, OpenSSL security level 0, so that any server
 * can be looked at; nothing is verified, the trust verdict is reported
 * in out). Returns 0 with out filled, or -1 with out->fail and out->err
 * set. Free out with chk_fetch_free either way.
 */
int chk_fetch(const struct chk_target *t, const struct addrinfo *ai,
    enum chk_offer offer, struct chk_fetch *out);
void chk_fetch_free(struct chk_fetch *f);

/*
 * Connects to the first address of ai that answers within t->timeout_ms,
 * as chk_fetch does, for probes that run their own TLS (tether check's
 * BearSSL handshakes). Returns a non-blocking socket, or -1 with
 * out->fail and out->err set; out->addr names the address connected to.
 */
int chk_connect(const struct chk_target *t, const struct addrinfo *ai,
    struct chk_fetch *out);

/* "ECDSA", "RSA", "all": the words for an offer in messages. */
const char *chk_offer_name(enum chk_offer offer);


/* Small helpers every probe shares. */
/* Formats a sentence into err (CHK_ERR_LEN bytes). */
void chk_seterr(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* CLOCK_MONOTONIC in milliseconds. */
long long chk_now_ms(void);
/* Milliseconds left until deadline (from chk_now_ms), 0 once it passed. */
int chk_left_ms(long long deadline);

#endif
