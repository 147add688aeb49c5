/* SPDX-License-Identifier: MIT */
/*
 * tls.c - the gateway's TLS on OpenSSL 3: cipher profiles, certificates
 * grouped by the names they serve, SNI, session resumption, and the pins
 * it prints at start. The development certificate is in tls_devcert.c,
 * handshake failures in words in tls_error.c, the pins in src/pin/.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "gateway/sesscache.h"
#include "gateway/tickets.h"
#include "gateway/tls_int.h"
#include "pin/pin.h"

#define GW_TLS_NAME_LEN		256	/* a DNS name or IP text, NUL */

/*
 * Sessions are kept 24 hours: a device deep-sleeps between reports and
 * keeps its session in RTC memory, so a short timeout would turn every
 * wake-up into a full handshake. The cache (sesscache.c) holds one
 * session per device for a fleet of GW_SESSION_CACHE_MAX; beyond it the
 * oldest goes.
 */
#define GW_TLS_SESSION_TIMEOUT	(24 * 60 * 60)	/* seconds */
#define GW_TLS13_TICKETS	1	/* a device keeps one session */

/* The same for every group, so a session can resume whatever SNI chose. */
static const unsigned char gw_sid_ctx[] = "tether-gateway";

/* TLS 1.2 suites in server preference order; TLS 1.3 keeps its defaults. */
#define GW_SUITES_MODERN						\
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"	\
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"	\
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define GW_SUITES_COMPAT GW_SUITES_MODERN ":"				\
	"ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:"		\
	"ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:"		\
	"ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"			\
	"ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA"
/* TLS_RSA_WITH_AES_{128,256}_CBC_SHA{256,}: axTLS and ESP8266 "less secure" */
#define GW_SUITES_LEGACY GW_SUITES_COMPAT ":"				\
	"AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA"

/*
 * Security level 2 (Debian's default) still allows RSA key exchange with
 * a 2048-bit key; level 3 forbids suites without forward secrecy, which
 * the legacy profile exists to offer.
 */
#define GW_LEGACY_SECLEVEL	2

static const struct {
	const char	*name;
	const char	*suites;
} gw_profiles[] = {
	[GW_PROFILE_MODERN] = { "modern", GW_SUITES_MODERN },
	[GW_PROFILE_COMPAT] = { "compat", GW_SUITES_COMPAT },
	[GW_PROFILE_LEGACY] = { "legacy-esp8266", GW_SUITES_LEGACY },
};
#define GW_NPROFILES	(sizeof(gw_profiles) / sizeof(gw_profiles[0]))

/* One SSL_CTX per set of names; its certificates differ by key type. */
struct gw_tls_group {
	SSL_CTX		*ctx;
	char		**names;	/* lower case, sorted, unique */
	size_t		 nnames;
	int		 key_ids[GW_MAX_CERTS];	/* EVP_PKEY base id per pair */
	size_t		 key_pairs[GW_MAX_CERTS]; /* index into the pairs */
	size_t		 nkeys;
};

struct gw_tls {
	struct gw_tls_group	groups[GW_MAX_CERTS];	/* [0] is the default */
	size_t			ngroups;
	struct gw_sesscache	*sessions;	/* shared by every group */
	struct gw_tickets	*tickets;	/* the same */
	int			 own_sessions;	/* else a renewal's: never freed
						 * (sessions and tickets) */
};

int
gw_profile_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < GW_NPROFILES; i++)
		if (strcmp(name, gw_profiles[i].name) == 0)
			return (int)i;
	return -1;
}

const char *
gw_profile_name(enum gw_profile p)
{
	if ((size_t)p >= GW_NPROFILES)
		return "unknown";
	return gw_profiles[p].name;
}

/* Certificates, names and groups */

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
add_name(char ***names, size_t *n, const char *s)
{
	char **grown, *copy;
	size_t i;

	if ((copy = strdup(s)) == NULL)
		return -1;
	for (i = 0; copy[i] != '\0'; i++)
		copy[i] = (char)tolower((unsigned char)copy[i]);
	if ((grown = realloc(*names, (*n + 1) * sizeof(*grown))) == NULL) {
		free(copy);
		return -1;
	}
	grown[(*n)++] = copy;
	*names = grown;
	return 0;
}

/* An IP address as text, canonical, so "::0001" and "::1" compare equal. */
static int
ip_text(const unsigned char *addr, int len, char *out, size_t outlen)
{
	if (len == 4)
		return inet_ntop(AF_INET, addr, out, outlen) ? 0 : -1;
	if (len == 16)
		return inet_ntop(AF_INET6, addr, out, outlen) ? 0 : -1;
	return -1;
}

/*
 * The names a leaf answers to: its subjectAltName DNS and IP entries, or
 * its last CN when it has none (RFC 6125 6.4.4). Entries with an embedded
 * NUL are dropped: they name nothing a client can ask for. Returns 0 with
 * a sorted, unique, lower-case set, or -1 when out of memory.
 */
static int
leaf_names(X509 *x, char ***out, size_t *nout)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	char **names = NULL, ip[INET6_ADDRSTRLEN];
	size_t n = 0, i, j;
	int k, rc = 0, len;
	const unsigned char *data;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (k = 0; gens != NULL && k < sk_GENERAL_NAME_num(gens); k++) {
		g = sk_GENERAL_NAME_value(gens, k);
		if (g->type == GEN_DNS) {
			data = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			if (len <= 0 || len >= GW_TLS_NAME_LEN ||
			    memchr(data, '\0', (size_t)len) != NULL)
				continue;
			char dns[GW_TLS_NAME_LEN];
			memcpy(dns, data, (size_t)len);
			dns[len] = '\0';
			if ((rc = add_name(&names, &n, dns)) != 0)
				break;
		} else if (g->type == GEN_IPADD) {
			if (ip_text(ASN1_STRING_get0_data(g->d.iPAddress),
			    ASN1_STRING_length(g->d.iPAddress), ip,
			    sizeof(ip)) != 0)
				continue;
			if ((rc = add_name(&names, &n, ip)) != 0)
				break;
		}
	}
	GENERAL_NAMES_free(gens);

	if (rc == 0 && n == 0) {
		X509_NAME *subj = X509_get_subject_name(x);
		int idx = -1, next;
		unsigned char *utf8;

		while ((next = X509_NAME_get_index_by_NID(subj, NID_commonName,
		    idx)) >= 0)
			idx = next;
		if (idx >= 0 && (len = ASN1_STRING_to_UTF8(&utf8,
		    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj,
		    idx)))) > 0) {
			if (memchr(utf8, '\0', (size_t)len) == NULL)
				rc = add_name(&names, &n, (char *)utf8);
			OPENSSL_free(utf8);
		}
	}
	if (rc != 0) {
		free_names(names, n);
		return -1;
	}

	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0, j = 0; i < n; i++) {
		if (j > 0 && strcmp(names[j - 1], names[i]) == 0)
			free(names[i]);
		else
			names[j++] = names[i];
	}
	*out = names;
	*nout = j;
	return 0;
}

static int
same_names(const struct gw_tls_group *g, char **names, size_t n)
{
	size_t i;

	if (g->nnames != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(g->names[i], names[i]) != 0)
			return 0;
	return 1;
}

/*
 * Does "host" (lower case, no trailing dot) match a certificate name?
 * Exact, or "*.rest" matching one non-empty label followed by ".rest"
 * (RFC 6125 6.4.3, the only wildcard form clients accept today).
 */
static int
name_matches(const char *name, const char *host, int wildcard)
{
	const char *dot;

	if (!wildcard)
		return strcmp(name, host) == 0;
	if (name[0] != '*' || name[1] != '.')
		return 0;
	if ((dot = strchr(host, '.')) == NULL || dot == host)
		return 0;
	return strcmp(dot, name + 1) == 0;
}

/*
 * Runs for every ClientHello that carries SNI, on the SSL_CTX the
 * connection was made with (the default group). It moves the connection
 * to the group that names the host; anything else stays on the default
 * group. It never refuses: the ESP8266 core sends an IP literal as SNI,
 * and an alert there would fail a device that pins the default key.
 */
static int
gw_tls_servername(SSL *ssl, int *alert, void *arg)
{
	const struct gw_tls *t = arg;
	const char *sni;
	char host[GW_TLS_NAME_LEN];
	unsigned char addr[16];
	size_t len, i, k;
	int wildcard, is_ip = 0;

	sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (sni == NULL || t->ngroups < 2)
		return SSL_TLSEXT_ERR_OK;
	len = strlen(sni);
	if (len > 0 && sni[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(host))
		return SSL_TLSEXT_ERR_OK;
	for (i = 0; i < len; i++)
		host[i] = (char)tolower((unsigned char)sni[i]);
	host[len] = '\0';

	/* An IP literal matches only an IP entry, written canonically. */
	if (inet_pton(AF_INET, host, addr) == 1)
		is_ip = ip_text(addr, 4, host, sizeof(host)) == 0;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		is_ip = ip_text(addr, 16, host, sizeof(host)) == 0;

	/* Exact names first, in every group, then wildcards. */
	for (wildcard = 0; wildcard <= !is_ip; wildcard++) {
		for (i = 0; i < t->ngroups; i++) {
			const struct gw_tls_group *g = &t->groups[i];

			for (k = 0; k < g->nnames; k++) {
				if (!name_matches(g->names[k], host, wildcard))
					continue;
				if (SSL_get_SSL_CTX(ssl) != g->ctx)
					SSL_set_SSL_CTX(ssl, g->ctx);
				return SSL_TLSEXT_ERR_OK;
			}
		}
	}
	return SSL_TLSEXT_ERR_OK;
}

/*
 * One SSL_CTX with the profile's settings. Every context of a gw_tls has
 * the same settings: a connection starts on the default one, takes its
 * options and suites from it, and SNI changes only its certificates.
 */
static SSL_CTX *
new_ctx(struct gw_tls *t, enum gw_profile profile, char *err)
{
	SSL_CTX *ctx;
	char why[GW_TLS_ERR_LEN];

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		seterr(err, "cannot create a TLS context: %s",
		    pin_openssl_why(why, sizeof(why)));
		return NULL;
	}
	if (profile == GW_PROFILE_LEGACY &&
	    SSL_CTX_get_security_level(ctx) > GW_LEGACY_SECLEVEL)
		SSL_CTX_set_security_level(ctx, GW_LEGACY_SECLEVEL);

	/*
	 * Server preference picks the strongest suite both sides have, but
	 * ChaCha20 first when the client lists it first: a device without
	 * AES hardware says so by that order (the ESP8266 core does).
	 */
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_PRIORITIZE_CHACHA | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION);
	/*
	 * A device that drops the connection without close_notify (power
	 * save, deep sleep) reads as a clean EOF (SSL_ERROR_ZERO_RETURN).
	 * Otherwise OpenSSL makes it a fatal error and evicts the session
	 * the device will offer at its next wake-up. HTTP's own framing
	 * (Content-Length) already detects a truncated request.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* An idle keep-alive connection holds no record buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, 0) != 1) {
		seterr(err, "cannot limit the TLS context to TLS 1.2 and "
		    "later: %s", pin_openssl_why(why, sizeof(why)));
		goto fail;
	}
	if (SSL_CTX_set_cipher_list(ctx, gw_profiles[profile].suites) != 1) {
		seterr(err, "OpenSSL refuses every TLS 1.2 suite of the %s "
		    "profile: %s", gw_profiles[profile].name,
		    pin_openssl_why(why, sizeof(why)));
		goto fail;
	}
	if (SSL_CTX_set1_groups_list(ctx, GW_GROUPS) != 1) {
		seterr(err, "OpenSSL refuses the key exchange groups %s: %s",
		    GW_GROUPS, pin_openssl_why(why, sizeof(why)));
		goto fail;
	}

	/*
	 * Resumption both ways. The ESP8266 core's BearSSL client sends no
	 * session ticket extension: it resumes only by session id, so the
	 * server-side cache is what saves its devices a full handshake after
	 * deep sleep. Other clients get stateless tickets (TLS 1.2 and 1.3).
	 * OpenSSL looks sessions and ticket keys up in the context a
	 * connection was created with (the default group's), so resumption
	 * works whatever group SNI later chose. The session id cache is our
	 * own (sesscache.c): a session kept as DER costs about 0.36 KiB of
	 * heap, OpenSSL's in-memory copy about 1.2 KiB. The ticket keys are
	 * ours too (tickets.c), so that they outlive the process and are
	 * shared by the nodes of one store.
	 */
	if (SSL_CTX_set_session_id_context(ctx, gw_sid_ctx,
	    sizeof(gw_sid_ctx) - 1) != 1) {
		seterr(err, "cannot set the session id context: %s",
		    pin_openssl_why(why, sizeof(why)));
		goto fail;
	}
	if (gw_sesscache_attach(t->sessions, ctx) != 0) {
		seterr(err, "out of memory attaching the session cache to a "
		    "TLS context");
		goto fail;
	}
	if (gw_tickets_attach(t->tickets, ctx) != 0) {
		seterr(err, "cannot give a TLS context the session ticket "
		    "keys: %s", pin_openssl_why(why, sizeof(why)));
		goto fail;
	}
	SSL_CTX_set_timeout(ctx, GW_TLS_SESSION_TIMEOUT);
	if (SSL_CTX_set_num_tickets(ctx, GW_TLS13_TICKETS) != 1) {
		seterr(err, "cannot set the number of TLS 1.3 tickets: %s",
		    pin_openssl_why(why, sizeof(why)));
		goto fail;
	}

	SSL_CTX_set_tlsext_servername_callback(ctx, gw_tls_servername);
	SSL_CTX_set_tlsext_servername_arg(ctx, t);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Refuses to ask for a passphrase: a server has nobody to type it. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	*(int *)u = 1;
	return -1;
}

EVP_PKEY *
gw_tls_read_key(const char *path, char *err)
{
	FILE *fp;
	EVP_PKEY *k;
	int asked = 0;
	char why[GW_TLS_ERR_LEN];

	if ((fp = fopen(path, "r")) == NULL) {
		seterr(err, "cannot open key %s: %s", path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(fp, NULL, no_passphrase, &asked);
	fclose(fp);
	if (k != NULL)
		return k;
	pin_openssl_why(why, sizeof(why));
	if (asked)
		seterr(err, "key %s is encrypted with a passphrase; the "
		    "gateway needs it unencrypted (openssl pkey -in KEY -out "
		    "NEWKEY, then chmod 600 NEWKEY)", path);
	else
		seterr(err, "%s holds no PEM private key (%s)", path, why);
	return NULL;
}

/* Loads pairs[i] into the group whose names its leaf has, or a new one. */
static int
add_pair(struct gw_tls *t, const struct gw_tls_pair *pairs, size_t i,
    enum gw_profile profile, char *err)
{
	const struct gw_tls_pair *p = &pairs[i];
	struct gw_tls_group *g = NULL;
	X509 *leaf;
	EVP_PKEY *key = NULL;
	char **names = NULL, why[GW_TLS_ERR_LEN];
	size_t nnames = 0, k;
	int id, rc = -1;

	if (p->cert == NULL || p->key == NULL) {
		seterr(err, "certificate %zu lacks its %s file", i + 1,
		    p->cert == NULL ? "certificate" : "key");
		return -1;
	}
	if ((leaf = pin_read_cert(p->cert, err)) == NULL)
		return -1;
	if ((key = gw_tls_read_key(p->key, err)) == NULL)
		goto out;
	if (X509_check_private_key(leaf, key) != 1) {
		ERR_clear_error();
		seterr(err, "the key in %s does not belong to the certificate "
		    "in %s", p->key, p->cert);
		goto out;
	}
	if (leaf_names(leaf, &names, &nnames) != 0) {
		seterr(err, "out of memory reading the names of %s", p->cert);
		goto out;
	}

	for (k = 0; k < t->ngroups; k++)
		if (same_names(&t->groups[k], names, nnames))
			g = &t->groups[k];
	if (g == NULL) {
		g = &t->groups[t->ngroups];
		if ((g->ctx = new_ctx(t, profile, err)) == NULL)
			goto out;
		g->names = names;
		g->nnames = nnames;
		names = NULL;
		nnames = 0;
		t->ngroups++;
	}

	/* OpenSSL keeps one certificate per key type in a context. */
	id = EVP_PKEY_get_base_id(key);
	for (k = 0; k < g->nkeys; k++) {
		if (g->key_ids[k] != id)
			continue;
		seterr(err, "%s and %s are both %s certificates for the same "
		    "names; serve one key of each type per name",
		    pairs[g->key_pairs[k]].cert, p->cert, pin_key_kind(id));
		goto out;
	}

	if (SSL_CTX_use_certificate_chain_file(g->ctx, p->cert) != 1) {
		seterr(err, "cannot use the certificate chain in %s: %s",
		    p->cert, pin_openssl_why(why, sizeof(why)));
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(g->ctx, key) != 1) {
		seterr(err, "cannot use the key in %s: %s", p->key,
		    pin_openssl_why(why, sizeof(why)));
		goto out;
	}
	if (SSL_CTX_check_private_key(g->ctx) != 1) {
		seterr(err, "the key in %s does not belong to the first "
		    "certificate in %s: %s", p->key, p->cert,
		    pin_openssl_why(why, sizeof(why)));
		goto out;
	}
	g->key_ids[g->nkeys] = id;
	g->key_pairs[g->nkeys] = i;
	g->nkeys++;
	rc = 0;
out:
	free_names(names, nnames);
	EVP_PKEY_free(key);
	X509_free(leaf);
	return rc;
}

/* gw_tls_new and gw_tls_renew: with old, its cache and ticket keys to
 * share (else new ones). */
static struct gw_tls *
tls_build(const struct gw_tls_pair *pairs, size_t npairs,
    enum gw_profile profile, const struct gw_tls *old, char *err)
{
	struct gw_tls *t;
	size_t i;

	if ((size_t)profile >= GW_NPROFILES) {
		seterr(err, "unknown TLS profile %d", (int)profile);
		return NULL;
	}
	if (npairs == 0) {
		seterr(err, "no certificate to serve: give at least one "
		    "--cert/--key pair");
		return NULL;
	}
	if (npairs > GW_MAX_CERTS) {
		seterr(err, "%zu certificates given; the gateway serves at "
		    "most %d", npairs, GW_MAX_CERTS);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		seterr(err, "out of memory for the TLS state");
		return NULL;
	}
	t->own_sessions = old == NULL;
	if (old != NULL) {
		t->sessions = old->sessions;
		t->tickets = old->tickets;
	} else if ((t->sessions = gw_sesscache_new(GW_SESSION_CACHE_MAX)) ==
	    NULL || (t->tickets = gw_tickets_new()) == NULL) {
		seterr(err, "out of memory (or randomness) for the TLS "
		    "session cache and ticket keys");
		gw_sesscache_free(t->sessions);
		free(t);
		return NULL;
	}
	for (i = 0; i < npairs; i++) {
		if (add_pair(t, pairs, i, profile, err) != 0) {
			gw_tls_free(t);
			return NULL;
		}
	}
	return t;
}

struct gw_tls *
gw_tls_new(const struct gw_tls_pair *pairs, size_t npairs,
    enum gw_profile profile, char *err)
{
	return tls_build(pairs, npairs, profile, NULL, err);
}

/* see tls.h */
struct gw_tls *
gw_tls_renew(struct gw_tls *old, const struct gw_tls_pair *pairs,
    size_t npairs, enum gw_profile profile, char *err)
{
	/* Sessions and tickets issued before stay good: the same cache and
	 * the same ring of keys. */
	return tls_build(pairs, npairs, profile, old, err);
}

void
gw_tls_free(struct gw_tls *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ngroups; i++) {
		/* An SSL still alive keeps its ctx, not the cache. */
		gw_sesscache_detach(t->groups[i].ctx);
		gw_tickets_detach(t->groups[i].ctx);
		SSL_CTX_free(t->groups[i].ctx);
		free_names(t->groups[i].names, t->groups[i].nnames);
	}
	if (t->own_sessions) {
		gw_sesscache_free(t->sessions);
		gw_tickets_free(t->tickets);
	}
	free(t);
}

struct gw_sesscache *
gw_tls_sessions(const struct gw_tls *t)
{
	return t->sessions;
}

struct gw_tickets *
gw_tls_tickets(const struct gw_tls *t)
{
	return t->tickets;
}

SSL_CTX *
gw_tls_default_ctx(const struct gw_tls *t)
{
	return t->groups[0].ctx;
}

/* The pins printed at start */

void
gw_tls_print_pins(const struct gw_tls_pair *pairs, size_t npairs,
    FILE *out)
{
	struct pin_set p;
	char err[GW_TLS_ERR_LEN];
	size_t i;

	for (i = 0; i < npairs; i++) {
		if (pin_from_file(pairs[i].cert, &p, err) != 0) {
			fprintf(out, "certificate %s\n  error: %s\n\n",
			    pairs[i].cert, err);
			continue;
		}
		fprintf(out,
		    "certificate %s  (%s, %s, expires %.10s)\n"
		    "  SPKI SHA-256 (default pin, survives renewal with the "
		    "same key):\n"
		    "    base64  %s    curl --pinnedpubkey sha256//%s\n"
		    "    hex     %s\n"
		    "  certificate SHA-256   %s\n"
		    "  certificate SHA-1     %s   (ESP8266 setFingerprint; "
		    "changes at every renewal)\n\n",
		    pairs[i].cert, p.key_type, p.subject, p.not_after,
		    p.spki_sha256_b64, p.spki_sha256_b64, p.spki_sha256_hex,
		    p.cert_sha256_hex, p.cert_sha1_colon);
	}
	fflush(out);
}
