/* SPDX-License-Identifier: MIT */
/*
 * tls.h - the gateway's TLS: certificates and keys, cipher profiles, SNI,
 * session resumption, the development certificate and the pins it prints
 * for devices (computed by src/pin/). Built on OpenSSL 3.
 */
#ifndef GW_TLS_H
#define GW_TLS_H

#include <stddef.h>
#include <stdio.h>

#include <openssl/ssl.h>

#include "gateway/limits.h"

#define GW_TLS_ERR_LEN	256	/* the err buffers of this file, NUL included */

enum gw_profile {
	GW_PROFILE_MODERN,	/* TLS 1.2 ECDHE + AEAD, TLS 1.3 */
	GW_PROFILE_COMPAT,	/* + ECDHE with AES-CBC */
	GW_PROFILE_LEGACY,	/* + TLS_RSA_WITH_AES_{128,256}_CBC_SHA{,256} */
};

/* "modern", "compat", "legacy-esp8266" <-> enum; -1 for an unknown name. */
int gw_profile_parse(const char *name);
const char *gw_profile_name(enum gw_profile p);

struct gw_tls_pair {
	const char *cert;	/* PEM file: leaf first, then its chain */
	const char *key;	/* PEM file: the leaf's private key */
};

/*
 * Makes sure state_dir holds a development key and self-signed certificate
 * of each kind: ecdsa.key/ecdsa.crt (P-256) and rsa.key/rsa.crt (2048),
 * for the names localhost, 127.0.0.1 and ::1, valid ten years. Keys are
 * written mode 0600, the directory made 0700 if missing. Existing files are
 * kept. Fills pairs[0] (ECDSA) and pairs[1] (RSA) with paths in storage
 * (caller-owned, at least 2 * 4096 bytes). Returns 0, or -1 with a
 * sentence in err (GW_TLS_ERR_LEN bytes).
 */
int gw_tls_devcert_ensure(const char *state_dir, struct gw_tls_pair pairs[2],
    char *storage, size_t storage_len, char *err);

struct gw_tls;

/*
 * Builds the server TLS state: one SSL_CTX per group of certificates that
 * share a set of names (a group may hold an RSA and an ECDSA pair; OpenSSL
 * picks by what the client offers), the first group being the default. The
 * SNI callback picks the group whose certificate names the requested host
 * (exact, or a "*." wildcard one label deep); an unknown or missing name
 * gets the default group, never an alert. Session resumption by ticket and
 * by session id cache. Max fragment length (RFC 6066) is honoured by
 * OpenSSL. Returns NULL with a sentence in err (GW_TLS_ERR_LEN bytes).
 */
struct gw_tls *gw_tls_new(const struct gw_tls_pair *pairs, size_t npairs,
    enum gw_profile profile, char *err);
void gw_tls_free(struct gw_tls *t);

/*
 * The same from the files again (a renewed certificate), for new
 * handshakes, sharing old's session cache and its ticket keys so that a
 * session made before resumes after. old stays as it is: connections
 * that began with it keep it, and it must not be freed while one may
 * (the gateway keeps it until exit), nor before the new one. NULL with
 * err: old is still what to serve.
 */
struct gw_tls *gw_tls_renew(struct gw_tls *old,
    const struct gw_tls_pair *pairs, size_t npairs, enum gw_profile profile,
    char *err);

/* The session cache and the ticket keys (sesscache.h, tickets.h) every
 * renewal of t shares: what a restart keeps (resume.c). */
struct gw_sesscache;
struct gw_tickets;
struct gw_sesscache *gw_tls_sessions(const struct gw_tls *t);
struct gw_tickets *gw_tls_tickets(const struct gw_tls *t);

/* The default SSL_CTX, to make an SSL for an accepted connection. */
SSL_CTX *gw_tls_default_ctx(const struct gw_tls *t);

/*
 * Why a handshake failed, in a few classes: the reason label of
 * tether_handshake_failures_total (docs/metrics.md; admin.c names them).
 * A fixed set, so that a scrape's series do not grow with the log's
 * sentences.
 */
enum gw_hs_fail {
	GW_HS_NOT_TLS,		/* plain HTTP, a proxy CONNECT, not a record */
	GW_HS_PROTOCOL_VERSION,	/* only versions before TLS 1.2 */
	GW_HS_NO_SHARED_CIPHER,
	GW_HS_NO_SHARED_GROUP,
	GW_HS_NO_SHARED_SIGNATURE,
	GW_HS_CLIENT_ALERT,	/* the client refused (a pin, a CA, a clock) */
	GW_HS_CLOSED,		/* closed or reset during the handshake */
	GW_HS_TIMEOUT,		/* begun, not finished by --handshake-timeout */
	GW_HS_OTHER,
	GW_HS_COUNT
};

/*
 * After SSL_accept failed (ret <= 0 and SSL_get_error says SSL_ERROR_SSL
 * or SSL_ERROR_SYSCALL), writes one line saying why, in the words OpenSSL
 * gives and with the side that caused it: "no shared cipher (client offered
 * none of the profile's suites)", "client sent alert: bad certificate",
 * "client closed the connection during the handshake", ... and returns
 * its class (never GW_HS_TIMEOUT: the caller's timer knows that one).
 * Drains the OpenSSL error queue of this thread.
 */
enum gw_hs_fail gw_tls_handshake_error(SSL *ssl, int ret, char *buf,
    size_t len);

/* Prints the pins of every certificate served, with a heading, for the
 * operator to copy into devices (the form `tether serve` prints at start). */
void gw_tls_print_pins(const struct gw_tls_pair *pairs, size_t npairs,
    FILE *out);

#endif
