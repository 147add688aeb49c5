/*
 * tls.c - the gateway's TLS on OpenSSL 3: cipher profiles, certificates
 * grouped by the names they serve, SNI, session resumption, the
 * development certificate, pins, and handshake failures in words.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "gateway/sesscache.h"
#include "gateway/tls.h"

#define GW_TLS_ERR_LEN		256	/* err buffers, as tls.h documents */
#define GW_TLS_PATHS_LEN	4096	/* one path in devcert storage */
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

#define GW_DEVCERT_YEARS	10	/* calendar years of validity */
#define GW_DEVCERT_BACKDATE	(-60 * 60)	/* seconds: clock skew */
#define GW_DEVCERT_SERIAL	16	/* bytes: a 128-bit random serial */
#define GW_DEVCERT_RSA_BITS	2048
#define GW_DEVCERT_CN		"tether development certificate"
#define GW_DEVCERT_SAN		"DNS:localhost,IP:127.0.0.1,IP:::1"

#define GW_ERR_LIST_MAX		4	/* suites named in a handshake error */

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

#define GW_GROUPS		"X25519:P-256:P-384"

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

static void
seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, GW_TLS_ERR_LEN, fmt, ap);
	va_end(ap);
}

/*
 * The root cause OpenSSL recorded (the earliest entry of this thread's
 * queue: later entries only name the functions that passed it up), then
 * an empty queue, so the next caller starts clean.
 */
static const char *
ossl_why(char *buf, size_t len)
{
	unsigned long e;
	const char *r;

	e = ERR_peek_error();
	ERR_clear_error();
	if (e == 0)
		snprintf(buf, len, "no reason recorded by OpenSSL");
	else if (ERR_GET_LIB(e) == ERR_LIB_SYS)
		snprintf(buf, len, "%s", strerror(ERR_GET_REASON(e)));
	else if ((r = ERR_reason_error_string(e)) != NULL)
		snprintf(buf, len, "%s", r);
	else
		snprintf(buf, len, "OpenSSL error %lx", e);
	return buf;
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

static const char *
key_kind(int id)
{
	switch (id) {
	case EVP_PKEY_RSA:
		return "RSA";
	case EVP_PKEY_RSA_PSS:
		return "RSA-PSS";
	case EVP_PKEY_EC:
		return "ECDSA";
	case EVP_PKEY_ED25519:
		return "Ed25519";
	case EVP_PKEY_ED448:
		return "Ed448";
	default:
		return OBJ_nid2sn(id);
	}
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
		    ossl_why(why, sizeof(why)));
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
		    "later: %s", ossl_why(why, sizeof(why)));
		goto fail;
	}
	if (SSL_CTX_set_cipher_list(ctx, gw_profiles[profile].suites) != 1) {
		seterr(err, "OpenSSL refuses every TLS 1.2 suite of the %s "
		    "profile: %s", gw_profiles[profile].name,
		    ossl_why(why, sizeof(why)));
		goto fail;
	}
	if (SSL_CTX_set1_groups_list(ctx, GW_GROUPS) != 1) {
		seterr(err, "OpenSSL refuses the key exchange groups %s: %s",
		    GW_GROUPS, ossl_why(why, sizeof(why)));
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
	 * heap, OpenSSL's in-memory copy about 1.2 KiB.
	 */
	if (SSL_CTX_set_session_id_context(ctx, gw_sid_ctx,
	    sizeof(gw_sid_ctx) - 1) != 1) {
		seterr(err, "cannot set the session id context: %s",
		    ossl_why(why, sizeof(why)));
		goto fail;
	}
	if (gw_sesscache_attach(t->sessions, ctx) != 0) {
		seterr(err, "out of memory attaching the session cache to a "
		    "TLS context");
		goto fail;
	}
	SSL_CTX_set_timeout(ctx, GW_TLS_SESSION_TIMEOUT);
	if (SSL_CTX_set_num_tickets(ctx, GW_TLS13_TICKETS) != 1) {
		seterr(err, "cannot set the number of TLS 1.3 tickets: %s",
		    ossl_why(why, sizeof(why)));
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

static X509 *
read_leaf(const char *path, char *err)
{
	FILE *fp;
	X509 *x;
	char why[GW_TLS_ERR_LEN];

	if ((fp = fopen(path, "r")) == NULL) {
		seterr(err, "cannot open certificate %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL)
		seterr(err, "%s holds no PEM certificate (%s)", path,
		    ossl_why(why, sizeof(why)));
	return x;
}

static EVP_PKEY *
read_key(const char *path, char *err)
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
	ossl_why(why, sizeof(why));
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
	if ((leaf = read_leaf(p->cert, err)) == NULL)
		return -1;
	if ((key = read_key(p->key, err)) == NULL)
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
		    pairs[g->key_pairs[k]].cert, p->cert, key_kind(id));
		goto out;
	}

	if (SSL_CTX_use_certificate_chain_file(g->ctx, p->cert) != 1) {
		seterr(err, "cannot use the certificate chain in %s: %s",
		    p->cert, ossl_why(why, sizeof(why)));
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(g->ctx, key) != 1) {
		seterr(err, "cannot use the key in %s: %s", p->key,
		    ossl_why(why, sizeof(why)));
		goto out;
	}
	if (SSL_CTX_check_private_key(g->ctx) != 1) {
		seterr(err, "the key in %s does not belong to the first "
		    "certificate in %s: %s", p->key, p->cert,
		    ossl_why(why, sizeof(why)));
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

struct gw_tls *
gw_tls_new(const struct gw_tls_pair *pairs, size_t npairs,
    enum gw_profile profile, char *err)
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
	if ((t->sessions = gw_sesscache_new(GW_SESSION_CACHE_MAX)) == NULL) {
		seterr(err, "out of memory for the TLS session cache");
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

void
gw_tls_free(struct gw_tls *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ngroups; i++) {
		/* An SSL still alive keeps its ctx, not the cache. */
		gw_sesscache_detach(t->groups[i].ctx);
		SSL_CTX_free(t->groups[i].ctx);
		free_names(t->groups[i].names, t->groups[i].nnames);
	}
	gw_sesscache_free(t->sessions);
	free(t);
}

SSL_CTX *
gw_tls_default_ctx(const struct gw_tls *t)
{
	return t->groups[0].ctx;
}

/* The development certificate */

static int
add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	if ((ext = X509V3_EXT_nconf_nid(NULL, v3, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static X509 *
make_devcert(EVP_PKEY *key, int rsa)
{
	X509 *x;
	X509_NAME *name;
	X509V3_CTX v3;
	BIGNUM *bn = NULL;
	unsigned char serial[GW_DEVCERT_SERIAL];
	struct tm tm;
	time_t from, until;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;	/* a serial is a positive INTEGER */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	/* Ten calendar years from an hour ago (devices' clocks run late). */
	from = time(NULL) + GW_DEVCERT_BACKDATE;
	if (gmtime_r(&from, &tm) == NULL)
		goto fail;
	tm.tm_year += GW_DEVCERT_YEARS;
	if ((until = timegm(&tm)) == (time_t)-1)
		goto fail;
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), from) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), until) == NULL)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)GW_DEVCERT_CN, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, key) != 1)
		goto fail;

	/* keyEncipherment: RSA key exchange encrypts to this key. */
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, &v3, NID_key_usage, rsa ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature") ||
	    add_ext(x, &v3, NID_ext_key_usage, "serverAuth") ||
	    add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
	    add_ext(x, &v3, NID_subject_alt_name, GW_DEVCERT_SAN))
		goto fail;
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

static int
fsync_dir(const char *path, char *err)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, rc;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return 0;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		seterr(err, "cannot open directory %s to sync it: %s", dir,
		    strerror(errno));
		return -1;
	}
	rc = fsync(fd);
	if (rc != 0)
		seterr(err, "cannot sync directory %s: %s", dir,
		    strerror(errno));
	close(fd);
	return rc == 0 ? 0 : -1;
}

/*
 * Writes a key (mode 0600) or certificate (0644) as a new file at path.
 * The PEM goes to a temporary file created with that mode, so a key is
 * never readable by others even for a moment, and is synced before being
 * linked in place: a crash leaves either no file or a whole one. Returns
 * 0, 1 when path appeared meanwhile (another gateway starting in the same
 * directory; its file is kept), or -1 with a sentence in err.
 */
static int
write_new_pem(const char *path, EVP_PKEY *key, X509 *cert, char *err)
{
	char tmp[PATH_MAX], why[GW_TLS_ERR_LEN];
	FILE *fp;
	int fd, ok, rc = -1;
	mode_t mode = key != NULL ? 0600 : 0644;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		seterr(err, "path too long: %s", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1 && errno == EEXIST) {
		/* Left by a crash of a process that had our pid. */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	}
	if (fd == -1) {
		seterr(err, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		seterr(err, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (key != NULL)
		ok = PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_X509(fp, cert);
	if (ok != 1) {
		seterr(err, "cannot write %s: %s", tmp,
		    ossl_why(why, sizeof(why)));
		fclose(fp);
		goto out;
	}
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		seterr(err, "cannot write %s: %s", tmp, strerror(errno));
		fclose(fp);
		goto out;
	}
	if (fclose(fp) != 0) {
		seterr(err, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}

	/* link(2), unlike rename(2), never replaces an existing file. */
	if (link(tmp, path) == 0) {
		rc = 0;
	} else if (errno == EEXIST) {
		rc = 1;
	} else if (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS) {
		/* A file system without hard links. */
		if (rename(tmp, path) == 0)
			rc = 0;
		else
			seterr(err, "cannot rename %s to %s: %s", tmp, path,
			    strerror(errno));
	} else {
		seterr(err, "cannot create %s: %s", path, strerror(errno));
	}
	if (rc == 0 && fsync_dir(path, err) != 0)
		rc = -1;
out:
	unlink(tmp);
	return rc;
}

/* 1 if path exists, 0 if not, -1 with a sentence in err. */
static int
file_exists(const char *path, char *err)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		if (S_ISREG(st.st_mode))
			return 1;
		seterr(err, "%s exists but is not a regular file", path);
		return -1;
	}
	if (errno == ENOENT)
		return 0;
	seterr(err, "cannot check %s: %s", path, strerror(errno));
	return -1;
}

/*
 * Makes the key, then the certificate. A crash between the two leaves a
 * key without certificate: the next start makes the certificate from
 * that key, so pins already printed for it stay true.
 */
static int
ensure_devpair(const char *keypath, const char *certpath, int rsa, char *err)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char why[GW_TLS_ERR_LEN];
	int have_key, have_cert, rc = -1;

	if ((have_key = file_exists(keypath, err)) < 0 ||
	    (have_cert = file_exists(certpath, err)) < 0)
		return -1;
	if (have_key && have_cert)
		return 0;
	if (have_cert) {
		seterr(err, "%s exists but its key %s is missing; move the "
		    "certificate away to have a new pair made", certpath,
		    keypath);
		return -1;
	}

	if (!have_key) {
		key = rsa ? EVP_RSA_gen(GW_DEVCERT_RSA_BITS) :
		    EVP_EC_gen("P-256");
		if (key == NULL) {
			seterr(err, "cannot generate the %s development key: "
			    "%s", rsa ? "RSA" : "ECDSA",
			    ossl_why(why, sizeof(why)));
			return -1;
		}
		switch (write_new_pem(keypath, key, NULL, err)) {
		case 0:
			break;
		case 1:
			EVP_PKEY_free(key);	/* theirs wins; use it */
			key = NULL;
			break;
		default:
			goto out;
		}
	}
	if (key == NULL && (key = read_key(keypath, err)) == NULL)
		goto out;

	if ((cert = make_devcert(key, rsa)) == NULL) {
		seterr(err, "cannot make the %s development certificate: %s",
		    rsa ? "RSA" : "ECDSA", ossl_why(why, sizeof(why)));
		goto out;
	}
	if (write_new_pem(certpath, NULL, cert, err) >= 0)
		rc = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

int
gw_tls_devcert_ensure(const char *state_dir, struct gw_tls_pair pairs[2],
    char *storage, size_t storage_len, char *err)
{
	static const char *const files[] = {
		"ecdsa.crt", "ecdsa.key", "rsa.crt", "rsa.key",
	};
	const char *paths[4];
	struct stat st;
	size_t used = 0, i;
	int n;

	if (state_dir == NULL || *state_dir == '\0') {
		seterr(err, "no state directory given for the development "
		    "certificate");
		return -1;
	}
	for (i = 0; i < 4; i++) {
		n = snprintf(storage + used, storage_len - used, "%s/%s",
		    state_dir, files[i]);
		if (n < 0 || (size_t)n >= storage_len - used ||
		    (size_t)n >= GW_TLS_PATHS_LEN) {
			seterr(err, "state directory path too long for the "
			    "%zu bytes of path storage given: %s", storage_len,
			    state_dir);
			return -1;
		}
		paths[i] = storage + used;
		used += (size_t)n + 1;
	}

	if (mkdir(state_dir, 0700) != 0) {
		if (errno != EEXIST) {
			seterr(err, "cannot create state directory %s: %s",
			    state_dir, strerror(errno));
			return -1;
		}
		if (stat(state_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			seterr(err, "state directory %s exists but is not a "
			    "directory", state_dir);
			return -1;
		}
	}

	if (ensure_devpair(paths[1], paths[0], 0, err) != 0 ||
	    ensure_devpair(paths[3], paths[2], 1, err) != 0)
		return -1;
	pairs[0].cert = paths[0];
	pairs[0].key = paths[1];
	pairs[1].cert = paths[2];
	pairs[1].key = paths[3];
	return 0;
}

/* Pins */

static void
hex(const unsigned char *in, size_t n, char *out, int upper_colon)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	const char *digits = upper_colon ? upper : lower;
	size_t i;

	for (i = 0; i < n; i++) {
		if (upper_colon && i > 0)
			*out++ = ':';
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 0xf];
	}
	*out = '\0';
}

static void
key_type(EVP_PKEY *k, char *out, size_t len)
{
	char group[25];	/* "ECDSA " + this fits key_type[32] */
	const char *nist;
	int id = EVP_PKEY_get_base_id(k);

	if (id == EVP_PKEY_EC) {
		if (EVP_PKEY_get_group_name(k, group, sizeof(group), NULL) !=
		    1) {
			snprintf(out, len, "ECDSA");
			return;
		}
		nist = EC_curve_nid2nist(OBJ_txt2nid(group));
		snprintf(out, len, "ECDSA %s", nist != NULL ? nist : group);
	} else if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
		snprintf(out, len, "%s %d", key_kind(id), EVP_PKEY_get_bits(k));
	} else {
		snprintf(out, len, "%s", key_kind(id) != NULL ? key_kind(id) :
		    "unknown key type");
	}
}

int
gw_pins_from_x509(X509 *cert, struct gw_pins *out)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int mdlen;
	EVP_PKEY *pub;
	BIO *bio;
	struct tm tm;
	int derlen;
	long n;
	char *text;

	memset(out, 0, sizeof(*out));
	if ((pub = X509_get0_pubkey(cert)) == NULL)
		goto fail;

	/* The SubjectPublicKeyInfo, DER: what curl and libtls pin. */
	if ((derlen = i2d_PUBKEY(pub, &der)) <= 0)
		goto fail;
	n = EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (n != 1)
		goto fail;
	EVP_EncodeBlock((unsigned char *)out->spki_sha256_b64, md,
	    (int)mdlen);
	hex(md, mdlen, out->spki_sha256_hex, 0);

	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1)
		goto fail;
	hex(md, mdlen, out->cert_sha256_hex, 0);
	if (X509_digest(cert, EVP_sha1(), md, &mdlen) != 1)
		goto fail;
	hex(md, mdlen, out->cert_sha1_hex, 0);
	hex(md, mdlen, out->cert_sha1_colon, 1);

	key_type(pub, out->key_type, sizeof(out->key_type));

	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1 ||
	    strftime(out->not_after, sizeof(out->not_after),
	    "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		goto fail;

	/* RFC 2253, but UTF-8 left readable rather than \-escaped. */
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		goto fail;
	if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
		BIO_free(bio);
		goto fail;
	}
	n = BIO_get_mem_data(bio, &text);
	if (n >= (long)sizeof(out->subject))
		n = sizeof(out->subject) - 1;
	memcpy(out->subject, text, (size_t)n);
	out->subject[n] = '\0';
	BIO_free(bio);
	return 0;
fail:
	ERR_clear_error();
	memset(out, 0, sizeof(*out));
	return -1;
}

int
gw_pins_from_file(const char *cert_file, struct gw_pins *out, char *err)
{
	X509 *x;
	int rc;

	if ((x = read_leaf(cert_file, err)) == NULL)
		return -1;
	if ((rc = gw_pins_from_x509(x, out)) != 0)
		seterr(err, "cannot compute the pins of %s: it is not a "
		    "certificate OpenSSL can read fully", cert_file);
	X509_free(x);
	return rc;
}

void
gw_tls_print_pins(const struct gw_tls_pair *pairs, size_t npairs,
    FILE *out)
{
	struct gw_pins p;
	char err[GW_TLS_ERR_LEN];
	size_t i;

	for (i = 0; i < npairs; i++) {
		if (gw_pins_from_file(pairs[i].cert, &p, err) != 0) {
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

/* Handshake failures */

static const char *
version_name(int v)
{
	switch (v) {
	case SSL2_VERSION:
		return "SSL 2";
	case SSL3_VERSION:
		return "SSL 3";
	case TLS1_VERSION:
		return "TLS 1.0";
	case TLS1_1_VERSION:
		return "TLS 1.1";
	case TLS1_2_VERSION:
		return "TLS 1.2";
	case TLS1_3_VERSION:
		return "TLS 1.3";
	default:
		return "an unknown version";
	}
}

/* What an alert from the client usually means, as advice to the operator. */
static const char *
alert_hint(int desc)
{
	switch (desc) {
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNKNOWN_CA:
		return " (the client rejected the server's certificate: a pin "
		    "that no longer matches, or a CA it does not trust)";
	case SSL_AD_CERTIFICATE_EXPIRED:
		return " (the client finds the certificate expired or not yet "
		    "valid: is its clock set?)";
	case SSL_AD_HANDSHAKE_FAILURE:
		return " (the client accepts nothing the server chose: suite, "
		    "group or signature)";
	case SSL_AD_PROTOCOL_VERSION:
		return " (the client does not accept the server's TLS version)";
	case SSL_AD_DECODE_ERROR:
	case SSL_AD_ILLEGAL_PARAMETER:
		return " (the client could not parse the server's messages: "
		    "a certificate chain too big for its buffer, or a TLS bug)";
	case SSL_AD_INTERNAL_ERROR:
		return " (a failure inside the client, often out of memory)";
	default:
		return "";
	}
}

static int
has_kx(STACK_OF(SSL_CIPHER) *sk, int kx)
{
	int i;

	for (i = 0; sk != NULL && i < sk_SSL_CIPHER_num(sk); i++)
		if (SSL_CIPHER_get_kx_nid(sk_SSL_CIPHER_value(sk, i)) == kx)
			return 1;
	return 0;
}

static int
has_cipher(STACK_OF(SSL_CIPHER) *sk, const SSL_CIPHER *c)
{
	int i;

	for (i = 0; sk != NULL && i < sk_SSL_CIPHER_num(sk); i++)
		if (SSL_CIPHER_get_id(sk_SSL_CIPHER_value(sk, i)) ==
		    SSL_CIPHER_get_id(c))
			return 1;
	return 0;
}

/* "AES128-SHA, AES256-SHA and 3 more", the suites of sk, short. */
static void
list_suites(STACK_OF(SSL_CIPHER) *sk, char *buf, size_t len)
{
	size_t used = 0;
	int i, n = sk_SSL_CIPHER_num(sk);

	buf[0] = '\0';
	for (i = 0; i < n && i < GW_ERR_LIST_MAX && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    i > 0 ? ", " : "",
		    SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)));
	if (n > GW_ERR_LIST_MAX && used < len)
		snprintf(buf + used, len - used, " and %d more",
		    n - GW_ERR_LIST_MAX);
}

/*
 * No shared cipher, with what the client did offer: a device offering
 * only RSA key exchange needs the legacy profile; one that shares suites
 * with the profile lacks a certificate of the kind those suites need.
 */
static void
no_shared_cipher(SSL *ssl, char *buf, size_t len)
{
	STACK_OF(SSL_CIPHER) *client = SSL_get_client_ciphers(ssl);
	STACK_OF(SSL_CIPHER) *server = SSL_get_ciphers(ssl);
	char offered[GW_TLS_ERR_LEN];
	int i, shared = 0;

	if (client == NULL || sk_SSL_CIPHER_num(client) == 0) {
		snprintf(buf, len, "no shared cipher: the client offered none "
		    "of this profile's suites (is it an old device? try "
		    "--profile legacy-esp8266)");
		return;
	}
	for (i = 0; i < sk_SSL_CIPHER_num(client); i++)
		if (has_cipher(server, sk_SSL_CIPHER_value(client, i)))
			shared = 1;
	list_suites(client, offered, sizeof(offered));
	if (shared)
		snprintf(buf, len, "no shared cipher: the suites the client "
		    "shares with this profile need a certificate type this "
		    "name lacks (add an RSA or ECDSA --cert/--key; client "
		    "offered %s)", offered);
	else if (has_kx(client, NID_kx_rsa) && !has_kx(server, NID_kx_rsa))
		snprintf(buf, len, "no shared cipher: the client offered none "
		    "of this profile's suites, only RSA key exchange like %s "
		    "(is it an old device? try --profile legacy-esp8266)",
		    offered);
	else
		snprintf(buf, len, "no shared cipher: the client offered none "
		    "of this profile's suites (it offered %s)", offered);
}

static void
ssl_reason(SSL *ssl, unsigned long e, char *buf, size_t len)
{
	int reason = ERR_GET_REASON(e);
	const char *s;

	if (ERR_GET_LIB(e) == ERR_LIB_SYS) {
		snprintf(buf, len, "socket error during the handshake: %s",
		    strerror(reason));
		return;
	}
	if (ERR_GET_LIB(e) == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET &&
	    reason < SSL_AD_REASON_OFFSET + 256) {
		int desc = reason - SSL_AD_REASON_OFFSET;

		snprintf(buf, len, "client sent alert: %s%s",
		    SSL_alert_desc_string_long(desc), alert_hint(desc));
		return;
	}
	if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
		switch (reason) {
		case SSL_R_NO_SHARED_CIPHER:
			no_shared_cipher(ssl, buf, len);
			return;
		case SSL_R_HTTP_REQUEST:
			snprintf(buf, len, "client spoke plain HTTP to the TLS "
			    "port (use https://)");
			return;
		case SSL_R_HTTPS_PROXY_REQUEST:
			snprintf(buf, len, "client sent an HTTP proxy CONNECT "
			    "to the TLS port (it takes the gateway for a "
			    "proxy)");
			return;
		case SSL_R_UNSUPPORTED_PROTOCOL:
		case SSL_R_VERSION_TOO_LOW:
			snprintf(buf, len, "unsupported protocol version: the "
			    "client offered only %s; the gateway needs TLS 1.2 "
			    "or later", version_name(SSL_client_version(ssl)));
			return;
		case SSL_R_WRONG_VERSION_NUMBER:
		case SSL_R_PACKET_LENGTH_TOO_LONG:
		case SSL_R_UNKNOWN_PROTOCOL:
			snprintf(buf, len, "client did not speak TLS: its "
			    "first bytes are not a TLS record (%s)",
			    ERR_reason_error_string(e));
			return;
		case SSL_R_UNEXPECTED_EOF_WHILE_READING:
			snprintf(buf, len, "client closed the connection "
			    "during the handshake");
			return;
		case SSL_R_NO_SHARED_GROUPS:
		case SSL_R_NO_SUITABLE_KEY_SHARE:
			snprintf(buf, len, "no shared group: the client "
			    "offered none of the key exchange groups %s",
			    GW_GROUPS);
			return;
		case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
		case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
			snprintf(buf, len, "no shared signature algorithm: the "
			    "client accepts no signature the server's key can "
			    "make");
			return;
		case SSL_R_INAPPROPRIATE_FALLBACK:
			snprintf(buf, len, "client retried with a lower TLS "
			    "version after a failed attempt (inappropriate "
			    "fallback): an earlier handshake failed, or "
			    "something on the path interferes");
			return;
		case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
			snprintf(buf, len, "client's record failed "
			    "authentication (bad record MAC): data damaged on "
			    "the path, or a client TLS bug");
			return;
		}
	}
	s = ERR_reason_error_string(e);
	if (s != NULL)
		snprintf(buf, len, "handshake failed: %s", s);
	else
		snprintf(buf, len, "handshake failed: OpenSSL error %lx", e);
}

/*
 * The entry of this thread's queue that names the cause: a system error
 * if there is one, else the earliest TLS entry (later ones only relay
 * it), else the earliest of all. Takes the entries off the queue.
 */
static unsigned long
first_cause(void)
{
	unsigned long e, first = 0, sys = 0, ssl = 0;

	while ((e = ERR_get_error()) != 0) {
		if (first == 0)
			first = e;
		if (sys == 0 && ERR_GET_LIB(e) == ERR_LIB_SYS)
			sys = e;
		if (ssl == 0 && ERR_GET_LIB(e) == ERR_LIB_SSL)
			ssl = e;
	}
	if (sys != 0)
		return sys;
	return ssl != 0 ? ssl : first;
}

void
gw_tls_handshake_error(SSL *ssl, int ret, char *buf, size_t len)
{
	int saved = errno, kind;
	unsigned long e;

	if (buf == NULL || len == 0) {
		ERR_clear_error();
		return;
	}
	kind = SSL_get_error(ssl, ret);
	e = first_cause();
	ERR_clear_error();

	switch (kind) {
	case SSL_ERROR_NONE:
		snprintf(buf, len, "handshake did not fail");
		break;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(buf, len, "client closed the connection during the "
		    "handshake");
		break;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		snprintf(buf, len, "handshake not finished: it waits for the "
		    "socket");
		break;
	case SSL_ERROR_SYSCALL:
		if (e != 0)
			ssl_reason(ssl, e, buf, len);
		else if (ret == 0 || saved == 0)
			snprintf(buf, len, "client closed the connection "
			    "during the handshake");
		else if (saved == ECONNRESET)
			snprintf(buf, len, "client reset the connection during "
			    "the handshake");
		else if (saved == EPIPE)
			snprintf(buf, len, "client went away while the server "
			    "was answering its hello");
		else
			snprintf(buf, len, "socket error during the handshake: "
			    "%s", strerror(saved));
		break;
	case SSL_ERROR_SSL:
		if (e != 0)
			ssl_reason(ssl, e, buf, len);
		else
			snprintf(buf, len, "handshake failed, and OpenSSL "
			    "recorded no reason");
		break;
	default:
		snprintf(buf, len, "handshake stopped: OpenSSL wants an "
		    "operation the gateway does not use (SSL_get_error %d)",
		    kind);
		break;
	}
}
