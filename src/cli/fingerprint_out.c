/* SPDX-License-Identifier: MIT */
/*
 * fingerprint_out.c - `tether fingerprint`'s four output formats: text,
 * JSON (through the one writer), a C header for libtether, and lines for
 * the ESP8266 Arduino core; and the renewal warnings on stderr.
 */
#include <errno.h>
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
#include "common/hex.h"
#include "common/json.h"
#include "pin/pin.h"

#define FP_SUFFIX_LEN	32	/* "_ECDSA2": C names of extra leaves */
#define FP_C_PER_LINE		8	/* bytes per line of a C array */

/* Helpers */


/* n bytes from lower-case hex (of at least 2n digits). */
static void
hex_bytes(const char *hex, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (unsigned char)(hex_value(hex[2 * i]) << 4 |
		    hex_value(hex[2 * i + 1]));
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

/* "ECDSA P-256", "RSA 2048": the words of pin_set for any key. */
static void
key_words(X509 *x, char *out, size_t len)
{
	struct pin_set p;

	if (pin_from_x509(x, &p) == 0)
		snprintf(out, len, "%s", p.key_type);
	else
		snprintf(out, len, "%s", fp_key_kind(X509_get0_pubkey(x)));
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

/* Renewal */

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
void
fp_warn_expiry(const struct fp_report *r)
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
		days = fp_days_until(X509_get0_notAfter(x));
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

void
fp_print_text(const struct fp_report *r, FILE *out)
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
		json_int(j, "days_left", fp_days_until(X509_get0_notAfter(x)));
		key_words(x, buf, sizeof(buf));
		json_str(j, "key_type", buf);
		json_int(j, "key_bits", EVP_PKEY_get_bits(X509_get0_pubkey(x)));
		json_int(j, "der_bytes", der_len(x));
		json_end(j);
	}
	json_end(j);
}

int
fp_print_json(const struct fp_report *r, FILE *out)
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
	return json_print(&j, out);
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

void
fp_print_c(const struct fp_report *r, FILE *out, const char *source)
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

/* Lines for one leaf: what works on the ESP8266 core leads. An EC key
 * given to setKnownKey fails on every core from 3.0.0 on (its BearSSL
 * fork drops the key's leading 0x04 when it decodes it: error 27), so an
 * ECDSA certificate is pinned by its SHA-1 fingerprint; an RSA one by its
 * key, which survives renewals. n is 0 for the first leaf (live lines),
 * else the leaf's number (lines in a comment). */
static void
arduino_leaf(FILE *out, size_t n, int ec, const char *pem, const char *fp)
{
	char k[24] = "";

	if (n > 0) {
		snprintf(k, sizeof(k), "%zu", n);
		fputs("// A device whose ClientHello gets this certificate "
		    "instead (an RSA-only\n"
		    "// cipher list: axTLS, setCiphersLessSecure()) pins it "
		    "so:\n/*\n", out);
	}
	if (ec) {
		fprintf(out, "%s"
		    "client.setFingerprint(\"%s\");\n"
		    "%sIt changes at every renewal: print it again then. Not "
		    "setKnownKey, which\n"
		    "%sfails with an ECDSA key on the core 3.0.0 and later "
		    "(BearSSL error 27).\n",
		    n > 0 ? "" : "// In setup(), before client.connect():\n",
		    fp, n > 0 ? "" : "// ", n > 0 ? "" : "// ");
	} else {
		fprintf(out, "%s"
		    "BearSSL::PublicKey key%s(R\"(%s)\");\n"
		    "%s"
		    "client.setKnownKey(&key%s);\n"
		    "%sor, changing at every renewal:\n"
		    "%sclient.setFingerprint(\"%s\");\n",
		    n > 0 ? "" : "// At file scope (setKnownKey keeps a "
		    "pointer: the key must outlive the client):\n",
		    k, pem,
		    n > 0 ? "" : "// In setup(), before client.connect():\n",
		    k, n > 0 ? "" : "// ", n > 0 ? "" : "// ", fp);
	}
	if (n > 0)
		fputs("*/\n", out);
}

int
fp_print_arduino(const struct fp_report *r, FILE *out, const char *source)
{
	char pem[8192], fp[64], subject[FP_NAME_LEN], offers[64];
	const struct fp_leaf *l;
	X509 *x;
	size_t i;

	c_comment_text(source, subject, sizeof(subject));
	fprintf(out, "// Pins for %s, by `tether fingerprint --format "
	    "arduino`,\n"
	    "// for the ESP8266 core's BearSSL::WiFiClientSecure. An ECDSA "
	    "certificate is\n"
	    "// pinned by its SHA-1 fingerprint (setFingerprint: works on "
	    "every core, changes\n"
	    "// at every renewal); an RSA one by its key (setKnownKey: "
	    "stays right across\n"
	    "// renewals that keep the key, certbot --reuse-key). setKnownKey "
	    "with an ECDSA\n"
	    "// key fails on the core 3.0.0 and later (BearSSL error 27). "
	    "Neither needs the\n"
	    "// device's clock. The last of the two calls made wins.\n",
	    subject);
	for (i = 0; i < r->nleaves; i++) {
		l = &r->leaves[i];
		x = sk_X509_value(l->chain, 0);
		if (pubkey_pem(x, pem, sizeof(pem)) != 0)
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
		arduino_leaf(out, i == 0 ? 0 : i + 1,
		    EVP_PKEY_get_base_id(X509_get0_pubkey(x)) == EVP_PKEY_EC,
		    pem, fp);
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
