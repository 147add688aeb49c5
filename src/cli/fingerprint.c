/*
 * fingerprint.c - `tether fingerprint`: the pins a device needs for a
 * server, from the server itself or from its certificate files, as text,
 * JSON, a C header for libtether, or lines for the ESP8266 Arduino core.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli/cli.h"
#include "check/fetch.h"
#include "common/json.h"
#include "pin/pin.h"

#define FP_DEFAULT_PORT		"443"
#define FP_DEFAULT_TIMEOUT	10	/* seconds, per lookup and handshake */
#define FP_MAX_TIMEOUT		600	/* seconds */
#define FP_WARN_DAYS		30	/* warn when the leaf expires sooner */
#define FP_MAX_FILES		4	/* --cert */
#define FP_MAX_NEXT		4	/* --next */
#define FP_MAX_LEAVES		4	/* distinct leaves in one report */
#define FP_MAX_KEYFILE		(1 << 20)	/* bytes read from --next */
#define FP_SHA256_LEN		32
#define FP_SHA1_LEN		20
#define FP_DATE_LEN		32	/* "2027-11-25 06:30:00 UTC" */
#define FP_NAME_LEN		256	/* a subject or issuer, one line */
#define FP_SUFFIX_LEN	32	/* "_ECDSA2": C names of extra leaves */
#define FP_C_PER_LINE		8	/* bytes per line of a C array */

enum fp_format {
	FP_TEXT,
	FP_JSON,
	FP_C,
	FP_ARDUINO,
};

static const char *const fp_formats[] = {
	[FP_TEXT] = "text",
	[FP_JSON] = "json",
	[FP_C] = "c",
	[FP_ARDUINO] = "arduino",
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

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether fingerprint HOST[:PORT] [--sni NAME | --no-sni] [--timeout S]\n"
"                          [--single] [--next KEY.pem]... [--format F]\n"
"       tether fingerprint --cert FILE.pem... [--next KEY.pem]... [--format F]\n"
"       tether fingerprint --next KEY.pem... [--format F]\n"
"\n"
"Prints the pins a device needs for a server: the chain the server sends,\n"
"and for its certificate the SPKI SHA-256 pin (survives renewal if the key\n"
"is kept: pin this) and the SHA-256 and SHA-1 certificate fingerprints\n"
"(change at every renewal). A server with an RSA and an ECDSA certificate\n"
"shows both: one handshake offers everything, one only ECDSA, one only RSA.\n"
"\n"
"HOST is a name or an IP address ([ADDR]:PORT for IPv6); PORT defaults to\n"
"%s. An https:// URL is taken too. Nothing is verified: compare with the\n"
"server's own files (--cert) when the network path is not trusted.\n"
"\n"
"options:\n"
"  --sni NAME        server name to send (default HOST; none for an IP\n"
"                    address, as RFC 6066 says: --sni 10.0.0.5 sends it\n"
"                    as the ESP8266 core does)\n"
"  --no-sni          send no server name\n"
"  --timeout S       seconds for the DNS lookup and for each handshake\n"
"                    (default %d)\n"
"  --single          one handshake: only the certificate a client that\n"
"                    offers everything gets\n"
"  --cert FILE       read certificates from a PEM (or DER) file instead:\n"
"                    leaf first, then its chain; may be repeated\n"
"  --next KEY.pem    also print the SPKI pin of the key that will replace\n"
"                    today's (public or private key, certificate or CSR),\n"
"                    to stage it on devices; may be repeated\n"
"  --format F        text (default), json, c (a header for libtether),\n"
"                    arduino (ESP8266 setKnownKey / setFingerprint lines)\n"
"  --json            the same as --format json\n"
"  -h, --help        this text\n"
"\n"
"examples:\n"
"  tether fingerprint gw.example.com\n"
"  tether fingerprint 127.0.0.1:8443 --format c > tether_pins.h\n"
"  tether fingerprint --cert /etc/letsencrypt/live/gw/fullchain.pem\n"
"  tether fingerprint gw.example.com --next next-key.pem\n"
"\n"
"Exit status: 0 done, 1 cannot fetch or read, 2 usage.\n"
"docs/cmd-fingerprint.md has more.\n", FP_DEFAULT_PORT, FP_DEFAULT_TIMEOUT);
}

/* Text helpers */

/* "AB:CD:..." from lower-case hex. */
static void
hex_colon(const char *hex, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; hex[i] != '\0' && hex[i + 1] != '\0' && o + 3 < len;
	    i += 2) {
		if (i > 0)
			out[o++] = ':';
		out[o++] = (char)(hex[i] >= 'a' ? hex[i] - 'a' + 'A' : hex[i]);
		out[o++] = (char)(hex[i + 1] >= 'a' ? hex[i + 1] - 'a' + 'A' :
		    hex[i + 1]);
	}
	out[o] = '\0';
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 0;
}

/* n bytes from lower-case hex (of at least 2n digits). */
static void
hex_bytes(const char *hex, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (unsigned char)(hex_digit(hex[2 * i]) << 4 |
		    hex_digit(hex[2 * i + 1]));
}

static void
lower_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 0xf];
	}
	*out = '\0';
}

/* A name on one line, RFC 2253 order, UTF-8 kept readable (as tls.c). */
static void
name_line(const X509_NAME *name, char *out, size_t len)
{
	BIO *bio;
	char *text;
	long n;

	out[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(bio, &text);
		if (n >= (long)len)
			n = (long)len - 1;
		if (n > 0)
			memcpy(out, text, (size_t)n);
		out[n > 0 ? n : 0] = '\0';
	}
	BIO_free(bio);
	ERR_clear_error();
}

static void
time_text(const ASN1_TIME *t, char *out, size_t len)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, len, "unreadable");
}

/* Whole days from now until t (negative when past); 0 if unreadable. */
static long
days_until(const ASN1_TIME *t)
{
	int days = 0, secs = 0;

	if (t == NULL || ASN1_TIME_diff(&days, &secs, NULL, t) != 1)
		return 0;
	if (days == 0 && secs < 0)
		return -1;
	return days;
}

static const char *
key_kind(EVP_PKEY *k)
{
	switch (k != NULL ? EVP_PKEY_get_base_id(k) : 0) {
	case EVP_PKEY_EC:
		return "ECDSA";
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return "RSA";
	case EVP_PKEY_ED25519:
		return "Ed25519";
	case EVP_PKEY_ED448:
		return "Ed448";
	default:
		return "other";
	}
}

/* "ECDSA P-256", "RSA 2048": the words of pin_set for any key. */
static void
key_words(X509 *x, char *out, size_t len)
{
	struct pin_set p;

	if (pin_from_x509(x, &p) == 0)
		snprintf(out, len, "%s", p.key_type);
	else
		snprintf(out, len, "%s", key_kind(X509_get0_pubkey(x)));
}

static int
der_len(X509 *x)
{
	int n = i2d_X509(x, NULL);

	return n > 0 ? n : 0;
}

/* Bytes of DER in a chain, and of its TLS 1.2 Certificate message. */
static void
chain_sizes(STACK_OF(X509) *chain, long *der, long *msg)
{
	int i;

	*der = 0;
	*msg = 4 + 3;	/* handshake header, certificate_list length */
	for (i = 0; i < sk_X509_num(chain); i++) {
		*der += der_len(sk_X509_value(chain, i));
		*msg += 3 + der_len(sk_X509_value(chain, i));
	}
}

/* Gathering: leaves, refusals, next keys */

static int
add_leaf(struct fp_report *r, STACK_OF(X509) *chain, const char *file,
    enum chk_offer offer, const struct chk_fetch *f)
{
	struct fp_leaf *l;
	X509 *x = sk_X509_value(chain, 0);
	size_t i;

	for (i = 0; i < r->nleaves; i++)
		if (X509_cmp(sk_X509_value(r->leaves[i].chain, 0), x) == 0) {
			if (file == NULL)
				r->leaves[i].offers |= 1u << offer;
			sk_X509_pop_free(chain, X509_free);
			return 0;
		}
	if (r->nleaves == FP_MAX_LEAVES) {
		sk_X509_pop_free(chain, X509_free);
		return cli_error("more than %d certificates: name fewer "
		    "--cert files", FP_MAX_LEAVES);
	}
	l = &r->leaves[r->nleaves];
	memset(l, 0, sizeof(*l));
	if (pin_from_x509(x, &l->pins) != 0) {
		sk_X509_pop_free(chain, X509_free);
		return cli_error("the certificate %s%s is not one OpenSSL can "
		    "read fully (its key or dates)", file ? "in " : "from ",
		    file ? file : r->host);
	}
	l->chain = chain;
	l->file = file;
	if (file == NULL) {
		l->offers = 1u << offer;
		snprintf(l->protocol, sizeof(l->protocol), "%s", f->protocol);
		snprintf(l->cipher, sizeof(l->cipher), "%s", f->cipher);
	}
	snprintf(l->kind, sizeof(l->kind), "%s",
	    key_kind(X509_get0_pubkey(x)));
	hex_colon(l->pins.cert_sha256_hex, l->sha256_colon,
	    sizeof(l->sha256_colon));
	l->days_left = days_until(X509_get0_notAfter(x));
	r->nleaves++;
	return 0;
}

static void
free_report(struct fp_report *r)
{
	size_t i;

	for (i = 0; i < r->nleaves; i++)
		sk_X509_pop_free(r->leaves[i].chain, X509_free);
	r->nleaves = 0;
}

/* The certificates of one file, PEM (a chain) or a single DER one. */
static int
read_cert_file(struct fp_report *r, const char *file)
{
	STACK_OF(X509) *chain;
	X509 *x;
	BIO *bio;
	unsigned long e;
	int is_key = 0;

	if ((bio = BIO_new_file(file, "rb")) == NULL) {
		ERR_clear_error();
		return cli_error("cannot read %s: %s", file, strerror(errno));
	}
	if ((chain = sk_X509_new_null()) == NULL) {
		BIO_free(bio);
		return cli_error("out of memory");
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(chain, x) == 0) {
			X509_free(x);
			sk_X509_pop_free(chain, X509_free);
			BIO_free(bio);
			return cli_error("out of memory");
		}
	e = ERR_peek_last_error();
	ERR_clear_error();
	if (sk_X509_num(chain) == 0) {
		(void)BIO_reset(bio);
		if ((x = d2i_X509_bio(bio, NULL)) != NULL)
			(void)sk_X509_push(chain, x);
		ERR_clear_error();
	}
	if (sk_X509_num(chain) == 0) {
		char head[64] = "";

		(void)BIO_reset(bio);
		(void)BIO_read(bio, head, sizeof(head) - 1);
		is_key = strstr(head, "KEY-----") != NULL;
		BIO_free(bio);
		sk_X509_free(chain);
		if (is_key)
			return cli_error("%s holds a key, not a certificate; "
			    "--next %s prints a key's pin", file, file);
		return cli_error("%s holds no certificate (want PEM with "
		    "-----BEGIN CERTIFICATE-----, or DER)%s", file,
		    e != 0 && ERR_GET_REASON(e) != PEM_R_NO_START_LINE ?
		    ": one is damaged" : "");
	}
	BIO_free(bio);
	return add_leaf(r, chain, file, CHK_OFFER_ALL, NULL);
}

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/*
 * The public key in a --next file: a public key, a private key (only its
 * public half is used; the file's bytes are wiped), a certificate or a
 * certificate request, in PEM.
 */
static int
read_next_key(struct fp_report *r, const char *file)
{
	struct fp_next *n = &r->next[r->nnext];
	unsigned char *buf = NULL, *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_REQ *req = NULL;
	BIO *bio = NULL;
	FILE *fp;
	size_t len = 0;
	int derlen, rc = 1;

	memset(n, 0, sizeof(*n));
	n->file = file;
	n->current = -1;
	if ((fp = fopen(file, "rb")) == NULL)
		return cli_error("cannot read %s: %s", file, strerror(errno));
	if ((buf = malloc(FP_MAX_KEYFILE + 1)) == NULL) {
		fclose(fp);
		return cli_error("out of memory");
	}
	len = fread(buf, 1, FP_MAX_KEYFILE + 1, fp);
	if (ferror(fp)) {
		cli_error("cannot read %s: %s", file, strerror(errno));
		goto out;
	}
	if (len > FP_MAX_KEYFILE) {
		cli_error("%s is larger than %d bytes: not a key file", file,
		    FP_MAX_KEYFILE);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		cli_error("out of memory");
		goto out;
	}
	key = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	if (key == NULL && BIO_reset(bio) == 1)
		key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (key == NULL && BIO_reset(bio) == 1 &&
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		key = X509_get_pubkey(x);
	if (key == NULL && BIO_reset(bio) == 1 &&
	    (req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL)) != NULL)
		key = X509_REQ_get_pubkey(req);
	ERR_clear_error();
	if (key == NULL) {
		if (memmem(buf, len, "ENCRYPTED", 9) != NULL)
			cli_error("%s is an encrypted private key, and tether "
			    "asks for no passphrase: give its public key "
			    "(openssl pkey -in %s -pubout -out next.pub)",
			    file, file);
		else
			cli_error("%s holds no key tether can read (want PEM: "
			    "a public key, a private key, a certificate or "
			    "a certificate request)", file);
		goto out;
	}
	if ((derlen = i2d_PUBKEY(key, &der)) <= 0 ||
	    EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL) !=
	    1) {
		cli_error("cannot compute the pin of the key in %s", file);
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)n->b64, md, (int)mdlen);
	lower_hex(md, mdlen, n->hex);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		char group[32];

		if (EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) ==
		    1)
			snprintf(n->key_type, sizeof(n->key_type), "ECDSA %s",
			    strcmp(group, "prime256v1") == 0 ? "P-256" :
			    strcmp(group, "secp384r1") == 0 ? "P-384" :
			    strcmp(group, "secp521r1") == 0 ? "P-521" : group);
		else
			snprintf(n->key_type, sizeof(n->key_type), "ECDSA");
	} else if (strcmp(key_kind(key), "RSA") == 0) {
		snprintf(n->key_type, sizeof(n->key_type), "RSA %d",
		    EVP_PKEY_get_bits(key));
	} else {
		snprintf(n->key_type, sizeof(n->key_type), "%s",
		    key_kind(key));
	}
	r->nnext++;
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	X509_free(x);
	X509_REQ_free(req);
	BIO_free(bio);
	OPENSSL_cleanse(buf, len <= FP_MAX_KEYFILE ? len : FP_MAX_KEYFILE + 1);
	free(buf);
	fclose(fp);
	return rc;
}

/* The three handshakes with a server. */
static int
fetch_server(struct fp_report *r, const struct chk_target *t, int single)
{
	static const enum chk_offer probes[] = {
		CHK_OFFER_ECDSA, CHK_OFFER_RSA,
	};
	struct addrinfo *ai;
	struct chk_fetch f;
	enum chk_fail fail;
	char err[CHK_ERR_LEN];
	size_t i;
	int rc;

	if (chk_resolve(t, &ai, &fail, err) != 0)
		return cli_error("%s", err);
	if (chk_fetch(t, ai, CHK_OFFER_ALL, &f) != 0) {
		cli_error("%s", f.err);
		chk_fetch_free(&f);
		freeaddrinfo(ai);
		return 1;
	}
	snprintf(r->addr, sizeof(r->addr), "%s", f.addr);
	r->trusted = f.trusted;
	snprintf(r->trust_why, sizeof(r->trust_why), "%s", f.trust_why);
	r->warn_alert = f.warn_alert;
	rc = add_leaf(r, f.chain, NULL, CHK_OFFER_ALL, &f);
	f.chain = NULL;
	for (i = 0; rc == 0 && !single && i < sizeof(probes) /
	    sizeof(probes[0]); i++) {
		if (chk_fetch(t, ai, probes[i], &f) == 0) {
			rc = add_leaf(r, f.chain, NULL, probes[i], &f);
			f.chain = NULL;
		} else {
			/* Only a refusal says the server lacks that type. */
			if (f.fail != CHK_FAIL_ALERT && f.fail != CHK_FAIL_TLS)
				cli_warning("the %s-only handshake failed, so "
				    "a %s certificate may be missing here: %s",
				    chk_offer_name(probes[i]),
				    chk_offer_name(probes[i]), f.err);
			r->refused[r->nrefused].offer = probes[i];
			snprintf(r->refused[r->nrefused].why, CHK_ERR_LEN,
			    "%s", f.err);
			r->nrefused++;
		}
		chk_fetch_free(&f);
	}
	freeaddrinfo(ai);
	return rc;
}

/* Marks --next keys the server already uses. */
static void
match_next(struct fp_report *r)
{
	size_t i, k;

	for (i = 0; i < r->nnext; i++)
		for (k = 0; k < r->nleaves; k++)
			if (strcmp(r->next[i].hex,
			    r->leaves[k].pins.spki_sha256_hex) == 0 &&
			    r->next[i].current < 0)
				r->next[i].current = (int)k;
}

/*
 * The name to put in `certbot certonly -d NAME`: the server's name, or
 * for a file the leaf's first DNS name (its CN when it has none).
 */
static void
renew_name(const struct fp_report *r, X509 *x, char *out, size_t len)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	int i;

	snprintf(out, len, "NAME");
	if (r->sni != NULL && !chk_is_ip(r->sni)) {
		snprintf(out, len, "%s", r->sni);
		return;
	}
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS && ASN1_STRING_length(g->d.dNSName) > 0 &&
		    (size_t)ASN1_STRING_length(g->d.dNSName) < len) {
			snprintf(out, len, "%.*s",
			    ASN1_STRING_length(g->d.dNSName),
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	if (strcmp(out, "NAME") == 0)
		(void)X509_NAME_get_text_by_NID(X509_get_subject_name(x),
		    NID_commonName, out, (int)len);
	if (out[0] == '\0' || strpbrk(out, " \t") != NULL)
		snprintf(out, len, "NAME");
	ERR_clear_error();
}

/* Renewal warnings, on stderr whatever the format. */
static void
warn_expiry(const struct fp_report *r)
{
	const struct fp_leaf *l;
	char name[CHK_HOST_MAX];
	size_t i;

	for (i = 0; i < r->nleaves; i++) {
		l = &r->leaves[i];
		if (l->days_left >= FP_WARN_DAYS)
			continue;
		renew_name(r, sk_X509_value(l->chain, 0), name, sizeof(name));
		if (l->days_left < 0)
			cli_warning("the %s certificate %s expired on %s; when "
			    "it is renewed, its SHA-1 and SHA-256 certificate "
			    "fingerprints change and devices pinning them stop "
			    "connecting; its SPKI pin stays the same if the "
			    "key is kept: renew with `certbot renew "
			    "--reuse-key` (a new certificate: `certbot "
			    "certonly --reuse-key -d %s`), and pin the SPKI "
			    "SHA-256", l->pins.key_type, l->pins.subject,
			    l->pins.not_after, name);
		else
			cli_warning("the %s certificate %s expires in %ld "
			    "day%s (%s); at renewal its SHA-1 and SHA-256 "
			    "certificate fingerprints change and devices "
			    "pinning them stop connecting; its SPKI pin stays "
			    "the same if the key is kept: renew with `certbot "
			    "renew --reuse-key` (a new certificate: `certbot "
			    "certonly --reuse-key -d %s`), and pin the SPKI "
			    "SHA-256", l->pins.key_type, l->pins.subject,
			    l->days_left, l->days_left == 1 ? "" : "s",
			    l->pins.not_after, name);
	}
	if (r->warn_alert >= 0)
		cli_warning("%s sent the warning alert %s (%d) during the "
		    "handshake; old device stacks such as axTLS treat any "
		    "alert as fatal%s", r->host,
		    SSL_alert_desc_string_long(r->warn_alert), r->warn_alert,
		    r->warn_alert == SSL_AD_UNRECOGNIZED_NAME ?
		    ": the server does not know the name sent as SNI" : "");
}

/* Text */

/* "everything, ECDSA only": the ClientHellos that got a leaf. */
static void
offers_text(unsigned offers, char *out, size_t len)
{
	static const char *const words[] = {
		[CHK_OFFER_ALL] = "everything",
		[CHK_OFFER_ECDSA] = "ECDSA only",
		[CHK_OFFER_RSA] = "RSA only",
	};
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if ((offers & (1u << i)) && used < len)
			used += (size_t)snprintf(out + used, len - used,
			    "%s%s", used ? ", " : "", words[i]);
}

static void
print_chain_text(const struct fp_leaf *l, FILE *out)
{
	char subject[FP_NAME_LEN], issuer[FP_NAME_LEN], from[FP_DATE_LEN],
	    until[FP_DATE_LEN], key[48];
	long der, msg, days;
	X509 *x;
	int i, n = sk_X509_num(l->chain);

	chain_sizes(l->chain, &der, &msg);
	fprintf(out, "  chain %s: %d certificate%s, %ld bytes DER (a TLS 1.2 "
	    "Certificate message of %ld bytes)\n", l->file ? "in the file" :
	    "as sent", n, n == 1 ? "" : "s", der, msg);
	for (i = 0; i < n; i++) {
		x = sk_X509_value(l->chain, i);
		name_line(X509_get_subject_name(x), subject, sizeof(subject));
		name_line(X509_get_issuer_name(x), issuer, sizeof(issuer));
		time_text(X509_get0_notBefore(x), from, sizeof(from));
		time_text(X509_get0_notAfter(x), until, sizeof(until));
		key_words(x, key, sizeof(key));
		days = days_until(X509_get0_notAfter(x));
		fprintf(out, "  [%d] subject  %s\n"
		    "      issuer   %s\n"
		    "      valid    %s to %s (%s%ld day%s %s)\n"
		    "      key      %s, %d bits\n"
		    "      size     %d bytes DER\n", i, subject, issuer, from,
		    until, days < 0 ? "expired " : "", days < 0 ? -days : days,
		    (days == 1 || days == -1) ? "" : "s", days < 0 ? "ago" :
		    "left", key, EVP_PKEY_get_bits(X509_get0_pubkey(x)),
		    der_len(x));
	}
}

static void
print_text(const struct fp_report *r, FILE *out)
{
	const struct fp_leaf *l;
	char offers[64];
	size_t i;

	if (r->host != NULL) {
		fprintf(out, "%s port %s (%s), SNI %s\n", r->host, r->port,
		    r->addr, r->sni != NULL ? r->sni : "none");
		fprintf(out, "  trusted by this system's CAs for %s: %s%s%s%s\n",
		    r->verify_name, r->trusted ? "yes" : "no",
		    r->trusted ? "" : " (", r->trusted ? "" : r->trust_why,
		    r->trusted ? "" : ")");
		if (!r->trusted)
			fputs("    (a pinned device does not need that)\n", out);
		fputc('\n', out);
	}
	for (i = 0; i < r->nleaves; i++) {
		l = &r->leaves[i];
		if (l->file != NULL) {
			fprintf(out, "certificate %zu: %s, from %s\n", i + 1,
			    l->pins.key_type, l->file);
		} else {
			offers_text(l->offers, offers, sizeof(offers));
			fprintf(out, "certificate %zu: %s, sent to clients "
			    "offering %s (%s, %s)\n", i + 1, l->pins.key_type,
			    offers, l->protocol, l->cipher);
		}
		print_chain_text(l, out);
		fprintf(out, "  pins of the leaf:\n"
		    "    SPKI SHA-256 (the default pin: survives renewal if the "
		    "key is kept)\n"
		    "      base64  %s    curl --pinnedpubkey sha256//%s\n"
		    "      hex     %s\n"
		    "    certificate SHA-256 (changes at every renewal)\n"
		    "      %s\n"
		    "      %s\n"
		    "    certificate SHA-1 (changes at every renewal; the ESP8266 "
		    "core's setFingerprint)\n"
		    "      %s\n"
		    "      %s\n\n", l->pins.spki_sha256_b64,
		    l->pins.spki_sha256_b64, l->pins.spki_sha256_hex,
		    l->sha256_colon, l->pins.cert_sha256_hex,
		    l->pins.cert_sha1_colon, l->pins.cert_sha1_hex);
	}
	for (i = 0; i < r->nrefused; i++)
		fprintf(out, "a client offering %s only gets no certificate: "
		    "%s\n\n", chk_offer_name(r->refused[i].offer),
		    r->refused[i].why);
	for (i = 0; i < r->nnext; i++) {
		fprintf(out, "next key from %s: %s\n"
		    "  SPKI SHA-256 (add it to devices before the server "
		    "switches to this key)\n"
		    "    base64  %s\n"
		    "    hex     %s\n", r->next[i].file, r->next[i].key_type,
		    r->next[i].b64, r->next[i].hex);
		if (r->next[i].current >= 0)
			fprintf(out, "  (certificate %d already has this key)\n",
			    r->next[i].current + 1);
		fputc('\n', out);
	}
}

/* JSON */

static void
print_json_chain(struct json *j, const struct fp_leaf *l)
{
	char buf[FP_NAME_LEN];
	X509 *x;
	int i, n = sk_X509_num(l->chain);

	json_array(j, "chain", JSON_LINES_OPEN);
	for (i = 0; i < n; i++) {
		x = sk_X509_value(l->chain, i);
		json_object(j, NULL, JSON_LINES);
		name_line(X509_get_subject_name(x), buf, sizeof(buf));
		json_str(j, "subject", buf);
		name_line(X509_get_issuer_name(x), buf, sizeof(buf));
		json_str(j, "issuer", buf);
		time_text(X509_get0_notBefore(x), buf, sizeof(buf));
		json_str(j, "not_before", buf);
		time_text(X509_get0_notAfter(x), buf, sizeof(buf));
		json_str(j, "not_after", buf);
		json_int(j, "days_left", days_until(X509_get0_notAfter(x)));
		key_words(x, buf, sizeof(buf));
		json_str(j, "key_type", buf);
		json_int(j, "key_bits", EVP_PKEY_get_bits(X509_get0_pubkey(x)));
		json_int(j, "der_bytes", der_len(x));
		json_end(j);
	}
	json_end(j);
}

static void
print_json(const struct fp_report *r, FILE *out)
{
	static const char *const offer_names[] = {
		[CHK_OFFER_ALL] = "all", [CHK_OFFER_ECDSA] = "ecdsa",
		[CHK_OFFER_RSA] = "rsa",
	};
	const struct fp_leaf *l;
	struct json j;
	long der, msg;
	size_t i, k;

	json_init_heap(&j);
	json_object(&j, NULL, JSON_LINES);
	if (r->host != NULL) {
		json_str(&j, "host", r->host);
		json_int_text(&j, "port", r->port);	/* a service name: text */
		json_str(&j, "address", r->addr);
		json_str(&j, "sni", r->sni);
		json_object(&j, "trust", JSON_LINES);
		json_str(&j, "name", r->verify_name);
		json_bool(&j, "ok", r->trusted);
		json_str(&j, "reason", r->trust_why);
		json_end(&j);
	}
	json_array(&j, "certificates", JSON_LINES_OPEN);
	for (i = 0; i < r->nleaves; i++) {
		l = &r->leaves[i];
		json_object(&j, NULL, JSON_LINES);
		if (l->file != NULL) {
			json_str(&j, "file", l->file);
		} else {
			json_array(&j, "offers", JSON_INLINE);
			for (k = 0; k <= CHK_OFFER_RSA; k++)
				if (l->offers & (1u << k))
					json_str(&j, NULL, offer_names[k]);
			json_end(&j);
			json_str(&j, "protocol", l->protocol);
			json_str(&j, "cipher", l->cipher);
		}
		json_str(&j, "key_type", l->pins.key_type);
		chain_sizes(l->chain, &der, &msg);
		json_int(&j, "chain_der_bytes", der);
		json_int(&j, "certificate_message_bytes", msg);
		print_json_chain(&j, l);
		json_str(&j, "spki_sha256_base64", l->pins.spki_sha256_b64);
		json_str(&j, "spki_sha256_hex", l->pins.spki_sha256_hex);
		json_str(&j, "cert_sha256_colon", l->sha256_colon);
		json_str(&j, "cert_sha256_hex", l->pins.cert_sha256_hex);
		json_str(&j, "cert_sha1_colon", l->pins.cert_sha1_colon);
		json_str(&j, "cert_sha1_hex", l->pins.cert_sha1_hex);
		json_str(&j, "not_after", l->pins.not_after);
		json_int(&j, "days_left", l->days_left);
		json_bool(&j, "renewal_warning", l->days_left < FP_WARN_DAYS);
		json_end(&j);
	}
	json_end(&j);
	json_array(&j, "refused", JSON_LINES_OPEN);
	for (i = 0; i < r->nrefused; i++) {
		json_object(&j, NULL, JSON_LINES);
		json_str(&j, "offer", offer_names[r->refused[i].offer ==
		    CHK_OFFER_ECDSA ? CHK_OFFER_ECDSA : CHK_OFFER_RSA]);
		json_str(&j, "reason", r->refused[i].why);
		json_end(&j);
	}
	json_end(&j);
	json_array(&j, "next", JSON_LINES_OPEN);
	for (i = 0; i < r->nnext; i++) {
		json_object(&j, NULL, JSON_LINES);
		json_str(&j, "file", r->next[i].file);
		json_str(&j, "key_type", r->next[i].key_type);
		json_str(&j, "spki_sha256_base64", r->next[i].b64);
		json_str(&j, "spki_sha256_hex", r->next[i].hex);
		if (r->next[i].current >= 0)
			json_int(&j, "current_certificate", r->next[i].current);
		else
			json_null(&j, "current_certificate");
		json_end(&j);
	}
	json_finish(&j);
	if (json_flush(&j, out) == 0)
		fputc('\n', out);
	json_free(&j);
}

/* C header */

/* "#define NAME { \ 0x.., ... }": n bytes, FP_C_PER_LINE a line. */
static void
c_macro(FILE *out, const char *name, const unsigned char *b, size_t n)
{
	size_t i;

	fprintf(out, "#define %s { \\\n", name);
	for (i = 0; i < n; i++)
		fprintf(out, "%s0x%02x%s", i % FP_C_PER_LINE == 0 ? "\t" : "",
		    b[i], i + 1 == n ? " }\n" : (i % FP_C_PER_LINE ==
		    FP_C_PER_LINE - 1 ? ", \\\n" : ", "));
}

/* "" for the first leaf, "_RSA" or "_ECDSA" (then a number if taken). */
static void
c_suffix(const struct fp_report *r, size_t i, char *out, size_t len)
{
	size_t k;
	int taken = 0;
	char *p;

	out[0] = '\0';
	if (i == 0)
		return;
	for (k = 1; k < i; k++)
		if (strcmp(r->leaves[k].kind, r->leaves[i].kind) == 0)
			taken = 1;
	if (taken)
		snprintf(out, len, "_%s%zu", r->leaves[i].kind, i + 1);
	else
		snprintf(out, len, "_%s", r->leaves[i].kind);
	for (p = out; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
}

static void
c_next_suffix(size_t i, char *out, size_t len)
{
	if (i == 0)
		snprintf(out, len, "_NEXT");
	else
		snprintf(out, len, "_NEXT%zu", i + 1);
}

static void
lower_copy(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < len; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' +
		    'a' : in[i]);
	out[i] = '\0';
}

/* A subject inside a C comment: no comment terminator can slip in. */
static void
c_comment_text(const char *in, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; in[i] != '\0' && o + 1 < len; i++) {
		if (in[i] == '*' && in[i + 1] == '/')
			out[o++] = '?';
		else if ((unsigned char)in[i] < 0x20)
			out[o++] = ' ';
		else
			out[o++] = in[i];
	}
	out[o] = '\0';
}

/* The SPKI pin hex of entry i: the leaves, then the --next keys. */
static const char *
spki_hex(const struct fp_report *r, size_t i)
{
	return i < r->nleaves ? r->leaves[i].pins.spki_sha256_hex :
	    r->next[i - r->nleaves].hex;
}

/* 1 if an earlier entry has the same key (a --next key in use today). */
static int
spki_repeats(const struct fp_report *r, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (strcmp(spki_hex(r, k), spki_hex(r, i)) == 0)
			return 1;
	return 0;
}

static void
print_c(const struct fp_report *r, FILE *out, const char *source)
{
	unsigned char b[FP_SHA256_LEN];
	char suffix[FP_SUFFIX_LEN], name[64], lname[64],
	    subject[FP_NAME_LEN], offers[64], stamp[FP_DATE_LEN];
	const struct fp_leaf *l;
	time_t now = time(NULL);
	struct tm tm;
	size_t i, k, nunique, npins = r->nleaves + r->nnext;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d", &tm);
	c_comment_text(source, subject, sizeof(subject));
	fprintf(out, "/*\n"
	    " * tether_pins.h - server pins written by `tether fingerprint "
	    "--format c`\n"
	    " * from %s on %s.\n"
	    " *\n"
	    " * Pin the SPKI SHA-256 (the server's key): it survives "
	    "certificate renewal\n"
	    " * when the key is kept (certbot --reuse-key). The certificate "
	    "pins change\n"
	    " * at every renewal. No pin needs a clock on the device. With "
	    "libtether:\n"
	    " *\n"
	    " *\ttether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256,\n"
	    " *\t    tether_pin_spki_sha256);\n"
	    " *\n"
	    " * and the same for each further key the device should accept "
	    "(the next\n"
	    " * key, the other certificate type), up to TETHER_MAX_PINS.\n"
	    " */\n"
	    "#ifndef TETHER_PINS_H\n"
	    "#define TETHER_PINS_H\n\n", subject, stamp);

	for (i = 0; i < r->nleaves; i++) {
		l = &r->leaves[i];
		c_suffix(r, i, suffix, sizeof(suffix));
		c_comment_text(l->pins.subject, subject, sizeof(subject));
		fprintf(out, "/* %s certificate %s,\n * expires %s",
		    l->pins.key_type, subject, l->pins.not_after);
		if (l->file != NULL) {
			c_comment_text(l->file, subject, sizeof(subject));
			fprintf(out, ",\n * from %s */\n", subject);
		} else {
			offers_text(l->offers, offers, sizeof(offers));
			fprintf(out, ",\n * sent to clients offering %s */\n",
			    offers);
		}
		hex_bytes(l->pins.spki_sha256_hex, b, FP_SHA256_LEN);
		snprintf(name, sizeof(name),
		    "TETHER_PIN%s_SPKI_SHA256_BYTES", suffix);
		c_macro(out, name, b, FP_SHA256_LEN);
		hex_bytes(l->pins.cert_sha256_hex, b, FP_SHA256_LEN);
		snprintf(name, sizeof(name),
		    "TETHER_PIN%s_CERT_SHA256_BYTES", suffix);
		c_macro(out, name, b, FP_SHA256_LEN);
		hex_bytes(l->pins.cert_sha1_hex, b, FP_SHA1_LEN);
		snprintf(name, sizeof(name), "TETHER_PIN%s_CERT_SHA1_BYTES",
		    suffix);
		c_macro(out, name, b, FP_SHA1_LEN);
		fputc('\n', out);
	}
	for (i = 0; i < r->nnext; i++) {
		c_next_suffix(i, suffix, sizeof(suffix));
		c_comment_text(r->next[i].file, subject, sizeof(subject));
		fprintf(out, "/* next key (%s) from %s: carry it before the "
		    "server switches */\n", r->next[i].key_type, subject);
		hex_bytes(r->next[i].hex, b, FP_SHA256_LEN);
		snprintf(name, sizeof(name),
		    "TETHER_PIN%s_SPKI_SHA256_BYTES", suffix);
		c_macro(out, name, b, FP_SHA256_LEN);
		fputc('\n', out);
	}

	for (i = 0, nunique = 0; i < npins; i++)
		nunique += !spki_repeats(r, i);
	fprintf(out, "/* Every distinct SPKI pin above: a device accepts any of "
	    "them. */\n#define TETHER_PINS_SPKI_SHA256_COUNT %zu\n"
	    "#define TETHER_PINS_SPKI_SHA256 { \\\n", nunique);
	for (i = 0, k = 0; i < npins; i++) {
		if (spki_repeats(r, i))
			continue;
		if (i < r->nleaves)
			c_suffix(r, i, suffix, sizeof(suffix));
		else
			c_next_suffix(i - r->nleaves, suffix, sizeof(suffix));
		fprintf(out, "\tTETHER_PIN%s_SPKI_SHA256_BYTES%s\n", suffix,
		    ++k < nunique ? ", \\" : " }");
	}
	fputs("\n#if defined(__GNUC__)\n"
	    "#define TETHER_PINS_UNUSED __attribute__((unused))\n"
	    "#else\n"
	    "#define TETHER_PINS_UNUSED\n"
	    "#endif\n\n", out);
	for (i = 0; i < r->nleaves; i++) {
		static const struct {
			const char	*what;
			int		 len;
		} kinds[] = {
			{ "SPKI_SHA256", FP_SHA256_LEN },
			{ "CERT_SHA256", FP_SHA256_LEN },
			{ "CERT_SHA1", FP_SHA1_LEN },
		};

		c_suffix(r, i, suffix, sizeof(suffix));
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			snprintf(name, sizeof(name), "TETHER_PIN%s_%s",
			    suffix, kinds[k].what);
			lower_copy(name, lname, sizeof(lname));
			fprintf(out, "static const unsigned char %s[%d] "
			    "TETHER_PINS_UNUSED = %s_BYTES;\n", lname,
			    kinds[k].len, name);
		}
	}
	for (i = 0; i < r->nnext; i++) {
		c_next_suffix(i, suffix, sizeof(suffix));
		snprintf(name, sizeof(name), "TETHER_PIN%s_SPKI_SHA256",
		    suffix);
		lower_copy(name, lname, sizeof(lname));
		fprintf(out, "static const unsigned char %s[%d] "
		    "TETHER_PINS_UNUSED = %s_BYTES;\n", lname, FP_SHA256_LEN,
		    name);
	}
	fprintf(out, "static const unsigned char tether_pins_spki_sha256"
	    "[TETHER_PINS_SPKI_SHA256_COUNT][%d]\n"
	    "    TETHER_PINS_UNUSED = TETHER_PINS_SPKI_SHA256;\n\n"
	    "#endif /* TETHER_PINS_H */\n", FP_SHA256_LEN);
}

/* Arduino (ESP8266 core, BearSSL::WiFiClientSecure) */

/* The leaf's public key as PEM, into buf; 0 or -1. */
static int
pubkey_pem(X509 *x, char *buf, size_t len)
{
	BIO *bio;
	char *text;
	long n;
	int rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (PEM_write_bio_PUBKEY(bio, X509_get0_pubkey(x)) == 1 &&
	    (n = BIO_get_mem_data(bio, &text)) > 0 && (size_t)n < len) {
		memcpy(buf, text, (size_t)n);
		buf[n] = '\0';
		rc = 0;
	}
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* "AB CD EF ...": setFingerprint(const char *) skips any one-character
 * separator between hex pairs; spaces are what the core's examples use. */
static void
sha1_spaced(const char *colon, char *out, size_t len)
{
	size_t i;

	for (i = 0; colon[i] != '\0' && i + 1 < len; i++)
		out[i] = colon[i] == ':' ? ' ' : colon[i];
	out[i] = '\0';
}

static int
print_arduino(const struct fp_report *r, FILE *out, const char *source)
{
	char pem[8192], fp[64], subject[FP_NAME_LEN], offers[64];
	const struct fp_leaf *l;
	size_t i;

	c_comment_text(source, subject, sizeof(subject));
	fprintf(out, "// Pins for %s, by `tether fingerprint --format "
	    "arduino`,\n"
	    "// for the ESP8266 core's BearSSL::WiFiClientSecure. Pin the "
	    "key (setKnownKey):\n"
	    "// it stays right across renewals that keep the key (certbot "
	    "--reuse-key);\n"
	    "// the SHA-1 fingerprint (setFingerprint) changes at every "
	    "renewal. Neither\n"
	    "// needs the device's clock. The last of the two calls made "
	    "wins.\n", subject);
	for (i = 0; i < r->nleaves; i++) {
		l = &r->leaves[i];
		if (pubkey_pem(sk_X509_value(l->chain, 0), pem,
		    sizeof(pem)) != 0)
			return cli_error("cannot write the public key of "
			    "certificate %zu as PEM", i + 1);
		c_comment_text(l->pins.subject, subject, sizeof(subject));
		fprintf(out, "\n// %s certificate %s,\n// expires %s",
		    l->pins.key_type, subject, l->pins.not_after);
		if (l->file == NULL) {
			offers_text(l->offers, offers, sizeof(offers));
			fprintf(out, ",\n// sent to clients offering %s", offers);
		}
		fputs(".\n", out);
		sha1_spaced(l->pins.cert_sha1_colon, fp, sizeof(fp));
		if (i == 0) {
			fprintf(out, "// At file scope (setKnownKey keeps a "
			    "pointer: the key must outlive the client):\n"
			    "BearSSL::PublicKey key(R\"(%s)\");\n"
			    "// In setup(), before client.connect():\n"
			    "client.setKnownKey(&key);\n"
			    "// or, changing at every renewal:\n"
			    "// client.setFingerprint(\"%s\");\n", pem, fp);
		} else {
			fprintf(out, "// A device whose ClientHello gets this "
			    "certificate instead (an RSA-only\n"
			    "// cipher list: axTLS, setCiphersLessSecure()) "
			    "pins it so:\n"
			    "/*\n"
			    "BearSSL::PublicKey key%zu(R\"(%s)\");\n"
			    "client.setKnownKey(&key%zu);\n"
			    "or, changing at every renewal:\n"
			    "client.setFingerprint(\"%s\");\n"
			    "*/\n", i + 1, pem, i + 1, fp);
		}
	}
	for (i = 0; i < r->nnext; i++) {
		c_comment_text(r->next[i].file, subject, sizeof(subject));
		fprintf(out, "\n// Next key (%s) from %s: BearSSL's "
		    "setKnownKey takes one key,\n"
		    "// so switch devices to it only when the server "
		    "switches; libtether carries both.\n"
		    "// SPKI SHA-256: %s\n", r->next[i].key_type, subject,
		    r->next[i].b64);
	}
	return 0;
}

/* The command */

static int
parse_timeout(const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) ||
	    v > FP_MAX_TIMEOUT)
		return cli_usage_error("fingerprint", "--timeout: '%s' is not "
		    "a number of seconds from 0.001 to %d", s, FP_MAX_TIMEOUT);
	*ms = (int)(v * 1000);
	if (*ms < 1)
		*ms = 1;
	return 0;
}

static int
parse_format(const char *s, enum fp_format *f)
{
	size_t i;

	for (i = 0; i < sizeof(fp_formats) / sizeof(fp_formats[0]); i++)
		if (strcmp(s, fp_formats[i]) == 0) {
			*f = (enum fp_format)i;
			return 0;
		}
	return cli_usage_error("fingerprint", "--format: '%s' is not a "
	    "format (text, json, c, arduino)", s);
}

int
cmd_fingerprint(int argc, char **argv)
{
	enum { O_SNI = 256, O_NO_SNI, O_TIMEOUT, O_SINGLE, O_CERT, O_NEXT,
	    O_FORMAT, O_JSON };
	static const struct option opts[] = {
		{ "sni",	required_argument, NULL, O_SNI },
		{ "no-sni",	no_argument,	   NULL, O_NO_SNI },
		{ "timeout",	required_argument, NULL, O_TIMEOUT },
		{ "single",	no_argument,	   NULL, O_SINGLE },
		{ "cert",	required_argument, NULL, O_CERT },
		{ "next",	required_argument, NULL, O_NEXT },
		{ "format",	required_argument, NULL, O_FORMAT },
		{ "json",	no_argument,	   NULL, O_JSON },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct fp_report report;	/* large: kept off the stack */
	struct fp_report *r = &report;
	struct chk_target t;
	enum fp_format format = FP_TEXT;
	const char *files[FP_MAX_FILES], *nexts[FP_MAX_NEXT], *sni = NULL;
	const char *net_opt = NULL;
	char host[CHK_HOST_MAX], port[CHK_PORT_MAX], err[CHK_ERR_LEN];
	char source[CHK_HOST_MAX + CHK_PORT_MAX + 8];
	size_t nfiles = 0, nnext = 0, i;
	int c, no_sni = 0, single = 0, timeout_ms = FP_DEFAULT_TIMEOUT * 1000;
	int rc = 1;

	memset(r, 0, sizeof(*r));
	r->warn_alert = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_SNI:
			if (*optarg == '\0')
				return cli_usage_error("fingerprint", "--sni "
				    "needs a name (--no-sni sends none)");
			sni = optarg;
			net_opt = "--sni";
			break;
		case O_NO_SNI:
			no_sni = 1;
			net_opt = "--no-sni";
			break;
		case O_TIMEOUT:
			if (parse_timeout(optarg, &timeout_ms) != 0)
				return 2;
			net_opt = "--timeout";
			break;
		case O_SINGLE:
			single = 1;
			net_opt = "--single";
			break;
		case O_CERT:
			if (nfiles == FP_MAX_FILES)
				return cli_usage_error("fingerprint", "--cert "
				    "given more than %d times", FP_MAX_FILES);
			files[nfiles++] = optarg;
			break;
		case O_NEXT:
			if (nnext == FP_MAX_NEXT)
				return cli_usage_error("fingerprint", "--next "
				    "given more than %d times", FP_MAX_NEXT);
			nexts[nnext++] = optarg;
			break;
		case O_FORMAT:
			if (parse_format(optarg, &format) != 0)
				return 2;
			break;
		case O_JSON:
			format = FP_JSON;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return cli_usage_error("fingerprint", "%s needs a value",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				return cli_usage_error("fingerprint", "unknown "
				    "option '-%c'", optopt);
			return cli_usage_error("fingerprint", "unknown option "
			    "'%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error("fingerprint", "one server at a time: "
		    "'%s' is one too many", argv[optind + 1]);
	if (optind < argc && nfiles > 0)
		return cli_usage_error("fingerprint", "give a server or --cert "
		    "files, not both");
	if (optind == argc && nfiles == 0 && nnext == 0)
		return cli_usage_error("fingerprint", "name a server "
		    "(HOST[:PORT]) or a certificate file (--cert FILE)");
	if (optind == argc && net_opt != NULL)
		return cli_usage_error("fingerprint", "%s applies to a server "
		    "(HOST[:PORT]), not to --cert or --next files", net_opt);
	if (sni != NULL && no_sni)
		return cli_usage_error("fingerprint", "--sni and --no-sni "
		    "contradict each other");

	memset(&t, 0, sizeof(t));
	if (optind < argc) {
		if (chk_parse_target(argv[optind], FP_DEFAULT_PORT, host, port,
		    err) != 0)
			return cli_usage_error("fingerprint", "%s", err);
		t.host = host;
		t.port = port;
		/* RFC 6066 3: an IP literal is not a HostName. */
		t.sni = no_sni ? NULL : sni != NULL ? sni :
		    chk_is_ip(host) ? NULL : host;
		t.verify_name = t.sni != NULL ? t.sni : host;
		t.timeout_ms = timeout_ms;
		r->host = host;
		r->port = port;
		r->sni = t.sni;
		r->verify_name = t.verify_name;
		snprintf(source, sizeof(source), strchr(host, ':') ?
		    "[%s]:%s" : "%s:%s", host, port);
	} else {
		snprintf(source, sizeof(source), "%s", nfiles > 0 ? files[0] :
		    nexts[0]);
	}

	/* Local files first: a typo fails before any network traffic. */
	for (i = 0; i < nnext; i++)
		if (read_next_key(r, nexts[i]) != 0)
			goto out;
	for (i = 0; i < nfiles; i++)
		if (read_cert_file(r, files[i]) != 0)
			goto out;
	if (t.host != NULL && fetch_server(r, &t, single) != 0)
		goto out;
	match_next(r);

	warn_expiry(r);
	switch (format) {
	case FP_TEXT:
		print_text(r, stdout);
		break;
	case FP_JSON:
		print_json(r, stdout);
		break;
	case FP_C:
		print_c(r, stdout, source);
		break;
	case FP_ARDUINO:
		if (print_arduino(r, stdout, source) != 0)
			goto out;
		break;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the output: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free_report(r);
	return rc;
}
