/* SPDX-License-Identifier: MIT */
/*
 * fingerprint.c - `tether fingerprint`: the pins a device needs for a
 * server, from the server itself or from its certificate files. This file
 * gathers them and holds the command; fingerprint_out.c prints them as
 * text, JSON, a C header for libtether, or lines for the ESP8266 Arduino
 * core.
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
#include "cli/fingerprint.h"
#include "check/fetch.h"
#include "pin/pin.h"

#define FP_DEFAULT_PORT		"443"
#define FP_DEFAULT_TIMEOUT	10	/* seconds, per lookup and handshake */
#define FP_MAX_TIMEOUT		600	/* seconds */
#define FP_MAX_FILES		4	/* --cert */
#define FP_MAX_KEYFILE		(1 << 20)	/* bytes read from --next */

static const char *const fp_formats[] = {
	[FP_TEXT] = "text",
	[FP_JSON] = "json",
	[FP_C] = "c",
	[FP_ARDUINO] = "arduino",
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

/* Helpers */

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

/* Whole days from now until t (negative when past); 0 if unreadable. */
long
fp_days_until(const ASN1_TIME *t)
{
	int days = 0, secs = 0;

	if (t == NULL || ASN1_TIME_diff(&days, &secs, NULL, t) != 1)
		return 0;
	if (days == 0 && secs < 0)
		return -1;
	return days;
}

const char *
fp_key_kind(EVP_PKEY *k)
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
	    fp_key_kind(X509_get0_pubkey(x)));
	hex_colon(l->pins.cert_sha256_hex, l->sha256_colon,
	    sizeof(l->sha256_colon));
	l->days_left = fp_days_until(X509_get0_notAfter(x));
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
	} else if (strcmp(fp_key_kind(key), "RSA") == 0) {
		snprintf(n->key_type, sizeof(n->key_type), "RSA %d",
		    EVP_PKEY_get_bits(key));
	} else {
		snprintf(n->key_type, sizeof(n->key_type), "%s",
		    fp_key_kind(key));
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
	struct chk_target t12;
	struct addrinfo *ai;
	struct chk_fetch f;
	enum chk_fail fail;
	char err[CHK_ERR_LEN];
	size_t i;
	int rc;

	if (chk_resolve(t, &ai, &fail, err) != 0)
		return cli_error("%s", err);
	/* As the devices do: TLS 1.2 at most, where a server still sends
	 * the warning alerts (unrecognized_name) that TLS 1.3 drops and
	 * that end an axTLS handshake. A server without TLS 1.2 is looked
	 * at with TLS 1.3, and said to be out of every device's reach. */
	t12 = *t;
	t12.tls_max = TLS1_2_VERSION;
	if (chk_fetch(&t12, ai, CHK_OFFER_ALL, &f) == 0)
		t = &t12;
	else if (f.fail == CHK_FAIL_ALERT || f.fail == CHK_FAIL_TLS) {
		chk_fetch_free(&f);
		if (chk_fetch(t, ai, CHK_OFFER_ALL, &f) == 0)
			cli_warning("%s refuses TLS 1.2, the newest version the "
			    "device stacks here speak (ESP8266, ESP32, "
			    "libtether); these pins come from TLS 1.3",
			    t->host);
	}
	if (f.fail != CHK_OK) {
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

/* What the command line asks for. */
struct fp_options {
	enum fp_format	 format;
	const char	*server;	/* HOST[:PORT], or NULL for files */
	const char	*files[FP_MAX_FILES];	/* --cert */
	size_t		 nfiles;
	const char	*nexts[FP_MAX_NEXT];	/* --next */
	size_t		 nnext;
	const char	*sni;
	int		 no_sni;
	int		 single;
	int		 timeout_ms;
};

/* Reads the options into o: 0, -1 after --help, or 2 (usage error,
 * said on stderr). */
static int
parse_options(int argc, char **argv, struct fp_options *o)
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
	const char *net_opt = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	o->format = FP_TEXT;
	o->timeout_ms = FP_DEFAULT_TIMEOUT * 1000;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_SNI:
			if (*optarg == '\0')
				return cli_usage_error("fingerprint", "--sni "
				    "needs a name (--no-sni sends none)");
			o->sni = optarg;
			net_opt = "--sni";
			break;
		case O_NO_SNI:
			o->no_sni = 1;
			net_opt = "--no-sni";
			break;
		case O_TIMEOUT:
			if (parse_timeout(optarg, &o->timeout_ms) != 0)
				return 2;
			net_opt = "--timeout";
			break;
		case O_SINGLE:
			o->single = 1;
			net_opt = "--single";
			break;
		case O_CERT:
			if (o->nfiles == FP_MAX_FILES)
				return cli_usage_error("fingerprint", "--cert "
				    "given more than %d times", FP_MAX_FILES);
			o->files[o->nfiles++] = optarg;
			break;
		case O_NEXT:
			if (o->nnext == FP_MAX_NEXT)
				return cli_usage_error("fingerprint", "--next "
				    "given more than %d times", FP_MAX_NEXT);
			o->nexts[o->nnext++] = optarg;
			break;
		case O_FORMAT:
			if (parse_format(optarg, &o->format) != 0)
				return 2;
			break;
		case O_JSON:
			o->format = FP_JSON;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
		default:
			return cli_getopt_refused("fingerprint", c, argv);
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error("fingerprint", "one server at a time: "
		    "'%s' is one too many", argv[optind + 1]);
	if (optind < argc && o->nfiles > 0)
		return cli_usage_error("fingerprint", "give a server or --cert "
		    "files, not both");
	if (optind == argc && o->nfiles == 0 && o->nnext == 0)
		return cli_usage_error("fingerprint", "name a server "
		    "(HOST[:PORT]) or a certificate file (--cert FILE)");
	if (optind == argc && net_opt != NULL)
		return cli_usage_error("fingerprint", "%s applies to a server "
		    "(HOST[:PORT]), not to --cert or --next files", net_opt);
	if (o->sni != NULL && o->no_sni)
		return cli_usage_error("fingerprint", "--sni and --no-sni "
		    "contradict each other");
	o->server = optind < argc ? argv[optind] : NULL;
	return 0;
}

/* Gathers the report o asks for and prints it: the exit status. */
static int
run(const struct fp_options *o)
{
	static struct fp_report report;	/* large: kept off the stack */
	struct fp_report *r = &report;
	struct chk_target t;
	char host[CHK_HOST_MAX], port[CHK_PORT_MAX], err[CHK_ERR_LEN];
	char source[CHK_HOST_MAX + CHK_PORT_MAX + 8];
	size_t i;
	int rc = 1;

	memset(r, 0, sizeof(*r));
	r->warn_alert = -1;
	memset(&t, 0, sizeof(t));
	if (o->server != NULL) {
		if (chk_parse_target(o->server, FP_DEFAULT_PORT, host, port,
		    err) != 0)
			return cli_usage_error("fingerprint", "%s", err);
		t.host = host;
		t.port = port;
		/* RFC 6066 3: an IP literal is not a HostName. */
		t.sni = o->no_sni ? NULL : o->sni != NULL ? o->sni :
		    chk_is_ip(host) ? NULL : host;
		t.verify_name = t.sni != NULL ? t.sni : host;
		t.timeout_ms = o->timeout_ms;
		r->host = host;
		r->port = port;
		r->sni = t.sni;
		r->verify_name = t.verify_name;
		snprintf(source, sizeof(source), strchr(host, ':') ?
		    "[%s]:%s" : "%s:%s", host, port);
	} else {
		snprintf(source, sizeof(source), "%s", o->nfiles > 0 ?
		    o->files[0] : o->nexts[0]);
	}

	/* Local files first: a typo fails before any network traffic. */
	for (i = 0; i < o->nnext; i++)
		if (read_next_key(r, o->nexts[i]) != 0)
			goto out;
	for (i = 0; i < o->nfiles; i++)
		if (read_cert_file(r, o->files[i]) != 0)
			goto out;
	if (t.host != NULL && fetch_server(r, &t, o->single) != 0)
		goto out;
	match_next(r);

	fp_warn_expiry(r);
	switch (o->format) {
	case FP_TEXT:
		fp_print_text(r, stdout);
		break;
	case FP_JSON:
		if (fp_print_json(r, stdout) != 0 && !ferror(stdout)) {
			cli_error("cannot write the output: out of memory");
			goto out;
		}
		break;
	case FP_C:
		fp_print_c(r, stdout, source);
		break;
	case FP_ARDUINO:
		if (fp_print_arduino(r, stdout, source) != 0)
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

int
cmd_fingerprint(int argc, char **argv)
{
	struct fp_options o;
	int r;

	if ((r = parse_options(argc, argv, &o)) != 0)
		return r < 0 ? 0 : r;
	return run(&o);
}
