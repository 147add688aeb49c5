/* SPDX-License-Identifier: MIT */
/*
 * check_cert.c - the certificate a device gets, judged as that device
 * would: the key it must use, the dates and the name (which only some
 * stacks look at), the chain's size against its buffer, and the pin.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tether.h"
#include "check/check_int.h"
#include "pin/pin.h"

#define SHA256_LEN	32
#define SHA1_LEN	20
#define GROUP_NAME_LEN	64	/* an OpenSSL group name, NUL */
#define RSA_SAFE_BITS	2048	/* smaller RSA keys can be broken */

const char *
chk_key_advice(const struct chk_profile *p)
{
	return p->ecdsa ? "an RSA 2048 or ECDSA P-256" : "an RSA 2048";
}

/* "ECDSA P-256" / "RSA 2048"; bits and whether the key is usable. */
static void
key_facts(EVP_PKEY *pk, char *what, size_t len,
    int *rsa_bits, int *ec_ok, int *is_ec)
{
	char group[GROUP_NAME_LEN] = "";
	size_t glen = 0;

	*rsa_bits = 0;
	*ec_ok = 0;
	*is_ec = 0;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		*rsa_bits = EVP_PKEY_get_bits(pk);
		snprintf(what, len, "RSA %d", *rsa_bits);
		break;
	case EVP_PKEY_EC:
		*is_ec = 1;
		(void)EVP_PKEY_get_utf8_string_param(pk, "group", group,
		    sizeof(group), &glen);
		*ec_ok = strcmp(group, "prime256v1") == 0 ||
		    strcmp(group, "secp384r1") == 0 ||
		    strcmp(group, "secp521r1") == 0;
		snprintf(what, len, "ECDSA %s",
		    strcmp(group, "prime256v1") == 0 ? "P-256" :
		    strcmp(group, "secp384r1") == 0 ? "P-384" :
		    strcmp(group, "secp521r1") == 0 ? "P-521" :
		    group[0] ? group : "(unknown curve)");
		break;
	default:
		snprintf(what, len, "%s", OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
		break;
	}
}

static void
key_finding(const struct chk_options *o, struct chk_report *r, X509 *leaf)
{
	const struct chk_profile *p = o->profile;
	struct chk_finding *f;
	EVP_PKEY *pk = X509_get0_pubkey(leaf);
	int bits, ec_ok, is_ec;

	if (pk == NULL) {
		f = chk_add(r, "key", CHK_FAIL, "the leaf's public key does "
		    "not decode");
		chk_remedy(f, "install %s certificate", chk_key_advice(p));
		return;
	}
	key_facts(pk, r->leaf_key, sizeof(r->leaf_key), &bits, &ec_ok,
	    &is_ec);
	if (is_ec && !p->ecdsa) {
		f = chk_add(r, "key", CHK_FAIL, "the server sends an %s "
		    "certificate to this ClientHello; %s can use RSA keys "
		    "only", r->leaf_key, p->name);
		chk_remedy(f, "add an RSA certificate beside the ECDSA one "
		    "(nginx: a second ssl_certificate/ssl_certificate_key; "
		    "Apache: a second SSLCertificateFile/SSLCertificateKeyFile;"
		    " tether serve: --cert rsa.crt --key rsa.key)");
	} else if (is_ec && !ec_ok) {
		f = chk_add(r, "key", CHK_FAIL, "the server's key is %s; %s "
		    "takes P-256, P-384 and P-521 only", r->leaf_key, p->name);
		chk_remedy(f, "issue the certificate for an ECDSA P-256 key "
		    "(openssl req -newkey ec -pkeyopt "
		    "ec_paramgen_curve:P-256)");
	} else if (bits > 0 && bits > (int)p->rsa_max) {
		f = chk_add(r, "key", CHK_FAIL, "the server's key is %s; %s "
		    "handles RSA keys of at most %u bits", r->leaf_key,
		    p->name, p->rsa_max);
		chk_remedy(f, "issue the certificate for %s key",
		    chk_key_advice(p));
	} else if (bits > 0 && bits < (int)p->rsa_min) {
		f = chk_add(r, "key", CHK_FAIL, "the server's key is %s, "
		    "smaller than the %u bits %s accepts", r->leaf_key,
		    p->rsa_min, p->name);
		chk_remedy(f, "issue the certificate for %s key",
		    chk_key_advice(p));
	} else if (bits > 0 && bits < RSA_SAFE_BITS) {
		f = chk_add(r, "key", CHK_WARN, "the server's key is %s: the "
		    "device takes it, but keys under 2048 bits can be broken",
		    r->leaf_key);
		chk_remedy(f, "issue the certificate for %s key",
		    chk_key_advice(p));
	} else {
		chk_add(r, "key", CHK_PASS, "the server sends an %s "
		    "certificate to this ClientHello, a key %s can use",
		    r->leaf_key, p->name);
	}
}

static void
dates_finding(const struct chk_options *o, struct chk_report *r, X509 *leaf)
{
	const struct chk_profile *p = o->profile;
	struct chk_finding *f;
	int days = 0, secs = 0;
	const char *clock = p->trust == CHK_TRUST_CA ?
	    "esp-tls checks no dates unless MBEDTLS_HAVE_TIME_DATE is set, "
	    "which is off by default" :
	    "a pinning device does not read the dates";

	if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
		f = chk_add(r, "dates", CHK_WARN, "the certificate is not "
		    "valid yet (notBefore in the future): %s, but any "
		    "browser, curl or a device with a CA check refuses it",
		    clock);
		chk_remedy(f, "check the server's clock and reissue the "
		    "certificate");
		return;
	}
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(leaf)) !=
	    1) {
		f = chk_add(r, "dates", CHK_WARN, "the certificate's notAfter "
		    "does not decode");
		chk_remedy(f, "reissue the certificate");
		return;
	}
	if (days < 0 || (days == 0 && secs < 0)) {
		f = chk_add(r, "dates", CHK_WARN, "the certificate expired %d "
		    "days ago: %s, so the device still connects, but "
		    "browsers, curl and CA-checking devices refuse it", -days,
		    clock);
		chk_remedy(f, "renew it keeping the key (certbot renew "
		    "--reuse-key), so that SPKI pins on devices still match");
	} else if (days < CHK_WARN_DAYS) {
		f = chk_add(r, "dates", CHK_WARN, "the certificate expires in "
		    "%d days; certificate pins (SHA-1, SHA-256) change at "
		    "renewal, an SPKI pin survives if the key is kept", days);
		chk_remedy(f, "renew with certbot --reuse-key and pin the "
		    "SPKI (tether fingerprint HOST)");
	} else {
		chk_add(r, "dates", CHK_PASS, "the certificate is valid for "
		    "%d more days", days);
	}
}

/*
 * 1 if the leaf names name as the profile's name check reads it: the
 * stacks that check names on the device match DNS SANs and the CN as
 * text, never an IP SAN; for a pinning profile the match is the one
 * curl and browsers make, the clients the WARN speaks of.
 */
static int
names_match(const struct chk_profile *p, X509 *leaf, const char *name)
{
	unsigned flags = 0;

	switch (p->names) {
	case CHK_NAMES_AXTLS:
		flags = X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT;
		break;
	case CHK_NAMES_MBEDTLS:
		if (X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1) >= 0)
			flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
		break;
	default:
		if (chk_is_ip(name))
			return X509_check_ip_asc(leaf, name, 0) == 1;
		break;
	}
	return X509_check_host(leaf, name, 0, flags, NULL) == 1;
}

static void
name_finding(const struct chk_options *o, struct chk_report *r, X509 *leaf)
{
	const struct chk_profile *p = o->profile;
	const char *name = o->sni != NULL ? o->sni : o->host;
	const char *how = p->trust == CHK_TRUST_PIN_NAME ?
	    "WiFiClientSecure::verify() compares it with the DNS SANs and CN" :
	    "esp-tls verifies the host name against the DNS SANs, or the CN "
	    "without a SAN extension";
	struct chk_finding *f;
	int ip = chk_is_ip(name);

	if (names_match(p, leaf, name)) {
		chk_add(r, "name", CHK_PASS, "the certificate names %s "
		    "(subjectAltName)", name);
		return;
	}
	if (p->trust == CHK_TRUST_PIN) {
		f = chk_add(r, "name", CHK_WARN, "the certificate does not name "
		    "%s: a pinning %s device does not check names, but other "
		    "clients refuse it", name, p->name);
	} else if (ip && X509_check_ip_asc(leaf, name, 0) == 1) {
		f = chk_add(r, "name", CHK_FAIL, "the certificate names %s "
		    "only in an IP SAN, and %s never matches IP SANs (%s)",
		    name, p->name, how);
	} else {
		f = chk_add(r, "name", CHK_FAIL, "the certificate does not name "
		    "%s, and %s checks the name (%s)", name, p->name, how);
	}
	if (ip && p->names == CHK_NAMES_AXTLS)
		chk_remedy(f, "axTLS matches DNS SANs and the CN only, never IP "
		    "SANs: point the device at a DNS name the certificate "
		    "holds, or issue the certificate with CN=%s", name);
	else if (ip && p->names == CHK_NAMES_MBEDTLS)
		chk_remedy(f, "mbedTLS 2.28 matches names against DNS "
		    "subjectAltNames and the CN only, never IP SANs: point the "
		    "device at a DNS name the certificate holds");
	else
		chk_remedy(f, "issue the certificate with subjectAltName %s:%s, "
		    "or point the device at a name the certificate holds",
		    ip ? "IP" : "DNS", name);
}

static void
chain_finding(const struct chk_options *o, struct chk_report *r,
    const struct chk_x509_recorder *rec, const struct chk_wire *w)
{
	const struct chk_profile *p = o->profile;
	struct chk_finding *f;
	size_t bytes = w->cert_seen ? w->cert_msg_len :
	    rec->sent_bytes + 3 * rec->sent_certs + 3;
	const char *fix = p->ecdsa ? "send a shorter chain: leave the root "
	    "and any cross-signed certificate out of ssl_certificate (nginx) "
	    "/ SSLCertificateFile (Apache), or use an ECDSA key" :
	    "send a shorter chain: leave the root and any cross-signed "
	    "certificate out of ssl_certificate (nginx) / SSLCertificateFile "
	    "(Apache); this stack cannot use ECDSA, so the RSA chain itself "
	    "must shrink";

	r->chain_bytes = bytes;
	if (p->chain_max != 0 && bytes > p->chain_max) {
		f = chk_add(r, "chain", CHK_FAIL, "the certificate message is "
		    "%zu bytes (%zu certificates); %s must hold it whole in "
		    "a %zu-byte buffer", bytes, rec->sent_certs, p->name,
		    p->chain_max);
		chk_remedy(f, "%s", fix);
	} else if (bytes > p->chain_warn && p->rx_first != 0) {
		/* Only a stack whose buffer grows (axTLS) reallocates. */
		f = chk_add(r, "chain", CHK_WARN, "the certificate message is "
		    "%zu bytes (%zu certificates), more than %zu: %s grows its "
		    "buffer past %zu bytes with realloc, which fails on a "
		    "fragmented heap", bytes, rec->sent_certs, p->chain_warn,
		    p->name, p->rx_first);
		chk_remedy(f, "%s", fix);
	} else if (bytes > p->chain_warn) {
		f = chk_add(r, "chain", CHK_WARN, "the certificate message is "
		    "%zu bytes (%zu certificates), more than %zu: every full "
		    "handshake carries it over the air", bytes, rec->sent_certs,
		    p->chain_warn);
		chk_remedy(f, "%s", fix);
	} else {
		chk_add(r, "chain", CHK_PASS, "the certificate message is %zu "
		    "bytes (%zu certificates)%s", bytes, rec->sent_certs,
		    p->chain_max != 0 ? ", within the device's buffer" : "");
	}
}

/* The three hashes a pin can be, of the leaf. */
static int
leaf_hashes(X509 *leaf, const unsigned char *der, size_t len,
    unsigned char spki[SHA256_LEN], unsigned char c256[SHA256_LEN],
    unsigned char c1[SHA1_LEN])
{
	unsigned char *kd = NULL;
	int klen, ok;

	if ((klen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &kd)) <= 0)
		return -1;
	ok = EVP_Digest(kd, (size_t)klen, spki, NULL, EVP_sha256(), NULL) &&
	    EVP_Digest(der, len, c256, NULL, EVP_sha256(), NULL) &&
	    EVP_Digest(der, len, c1, NULL, EVP_sha1(), NULL);
	OPENSSL_free(kd);
	return ok ? 0 : -1;
}

static void
pin_finding(const struct chk_options *o, struct chk_report *r, X509 *leaf,
    const unsigned char *der, size_t len)
{
	unsigned char spki[SHA256_LEN], c256[SHA256_LEN], c1[SHA1_LEN];
	uint8_t want[SHA256_LEN];
	struct pin_set pins;
	struct chk_finding *f;
	size_t n;
	const char *kind = NULL;

	if (pin_from_x509(leaf, &pins) != 0 ||
	    leaf_hashes(leaf, der, len, spki, c256, c1) != 0) {
		chk_add(r, "pin", CHK_WARN, "the leaf's pins cannot be "
		    "computed");
		return;
	}
	snprintf(r->leaf_spki, sizeof(r->leaf_spki), "%s",
	    pins.spki_sha256_b64);
	if (o->pin == NULL) {
		chk_add(r, "pin", CHK_PASS, "no --pin given; this ClientHello "
		    "gets the %s key, SPKI pin sha256//%s (SHA-1 %s)",
		    r->leaf_key, pins.spki_sha256_b64, pins.cert_sha1_colon);
		return;
	}
	n = strlen(o->pin);
	if (tether_pin_parse(TETHER_PIN_CERT_SHA1, o->pin, n, want) == 0) {
		if (CRYPTO_memcmp(want, c1, SHA1_LEN) == 0)
			kind = "the certificate's SHA-1";
	} else if (tether_pin_parse(TETHER_PIN_SPKI_SHA256, o->pin, n,
	    want) == 0) {
		if (CRYPTO_memcmp(want, spki, SHA256_LEN) == 0)
			kind = "the SPKI SHA-256";
		else if (CRYPTO_memcmp(want, c256, SHA256_LEN) == 0)
			kind = "the certificate's SHA-256";
	} else {
		chk_add(r, "pin", CHK_FAIL, "--pin '%s' is not a pin: base64 "
		    "(sha256//...) or hex of 32 or 20 bytes", o->pin);
		return;
	}
	/* An SPKI pin on the ESP8266 core is setKnownKey, and every core
	 * from 3.0.0 on fails it with an EC key: its BearSSL fork drops the
	 * key's leading 0x04 when it decodes it (error 27). */
	if (kind != NULL && strcmp(o->profile->name, "esp8266-bearssl") == 0 &&
	    strcmp(kind, "the SPKI SHA-256") == 0 &&
	    EVP_PKEY_get_base_id(X509_get0_pubkey(leaf)) == EVP_PKEY_EC) {
		f = chk_add(r, "pin", CHK_FAIL, "--pin matches the SPKI "
		    "SHA-256 of the %s certificate this ClientHello gets, but "
		    "the ESP8266 core pins a key with setKnownKey, which fails "
		    "with an EC key on the core 3.0.0 and later (BearSSL error "
		    "27)", r->leaf_key);
		chk_remedy(f, "pin this certificate with setFingerprint(\"%s\") "
		    "(tether fingerprint HOST --format arduino prints it)",
		    pins.cert_sha1_colon);
		return;
	}
	if (kind != NULL) {
		chk_add(r, "pin", CHK_PASS, "--pin matches %s of the %s "
		    "certificate this ClientHello gets", kind, r->leaf_key);
		return;
	}
	f = chk_add(r, "pin", CHK_FAIL, "--pin matches nothing the server "
	    "sends to this ClientHello: the %s leaf has SPKI sha256//%s, "
	    "SHA-1 %s", r->leaf_key, pins.spki_sha256_b64,
	    pins.cert_sha1_colon);
	chk_remedy(f, "if the server sends two certificates (RSA and ECDSA), "
	    "pin the one this stack gets; after a renewal with a new key, "
	    "update the devices (tether fingerprint HOST)");
}

/* The SPKI SHA-256 of a DER certificate; -1 if it does not decode. */
static int
der_spki(const unsigned char *der, size_t len, unsigned char spki[SHA256_LEN],
    X509 **out)
{
	unsigned char c256[SHA256_LEN], c1[SHA1_LEN];
	const unsigned char *p = der;
	X509 *x;

	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return -1;
	if (leaf_hashes(x, der, len, spki, c256, c1) != 0) {
		X509_free(x);
		return -1;
	}
	*out = x;
	return 0;
}

int
chk_cert_other(const struct chk_options *o,
    const struct chk_x509_recorder *dev, const struct chk_x509_recorder *rec,
    char *why, size_t wlen)
{
	unsigned char spki[SHA256_LEN], dspki[SHA256_LEN];
	unsigned char c256[SHA256_LEN], c1[SHA1_LEN];
	const unsigned char *der, *dder;
	size_t len, dlen, n;
	uint8_t want[SHA256_LEN];
	const char *name = o->sni != NULL ? o->sni : o->host;
	X509 *x = NULL, *dx = NULL;
	char cn[96] = "", pinwhy[96] = "";
	int pin_ok = 1, name_ok = 1;

	why[0] = '\0';
	if ((der = chk_x509_recorder_cert(rec, 0, &len)) == NULL)
		return 0;
	dder = dev != NULL ? chk_x509_recorder_cert(dev, 0, &dlen) : NULL;
	if (dder != NULL && dlen == len && memcmp(der, dder, len) == 0)
		return 0;
	if (der_spki(der, len, spki, &x) != 0)
		return 0;
	(void)X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn));
	if (o->pin != NULL) {
		n = strlen(o->pin);
		(void)leaf_hashes(x, der, len, spki, c256, c1);
		if (tether_pin_parse(TETHER_PIN_CERT_SHA1, o->pin, n, want) == 0)
			pin_ok = CRYPTO_memcmp(want, c1, SHA1_LEN) == 0;
		else if (tether_pin_parse(TETHER_PIN_SPKI_SHA256, o->pin, n,
		    want) == 0)
			pin_ok = CRYPTO_memcmp(want, spki, SHA256_LEN) == 0 ||
			    CRYPTO_memcmp(want, c256, SHA256_LEN) == 0;
		if (!pin_ok)
			snprintf(pinwhy, sizeof(pinwhy), "--pin does not match "
			    "it");
	} else if (dder != NULL && der_spki(dder, dlen, dspki, &dx) == 0) {
		pin_ok = CRYPTO_memcmp(spki, dspki, SHA256_LEN) == 0;
		if (!pin_ok)
			snprintf(pinwhy, sizeof(pinwhy), "its key is not the "
			    "one the device gets, so the device's pin does not "
			    "match it");
	}
	if (!chk_is_ip(name))
		name_ok = X509_check_host(x, name, 0, 0, NULL) == 1;
	X509_free(x);
	X509_free(dx);
	if (pin_ok && name_ok)
		return 0;
	snprintf(why, wlen, "another certificate (CN=%s): %s%s%s%s",
	    cn[0] ? cn : "none", pinwhy, pinwhy[0] && !name_ok ? ", and " :
	    "", name_ok ? "" : "it does not name ", name_ok ? "" : name);
	return 1;
}

void
chk_cert_findings(const struct chk_options *o, struct chk_report *r,
    const struct chk_x509_recorder *rec, const struct chk_wire *w)
{
	const unsigned char *der, *p;
	size_t len;
	X509 *leaf;

	if ((der = chk_x509_recorder_cert(rec, 0, &len)) == NULL) {
		chk_add(r, "certificate", CHK_FAIL, "no certificate came "
		    "with this profile's handshake, so none can be judged");
		return;
	}
	p = der;
	if ((leaf = d2i_X509(NULL, &p, (long)len)) == NULL) {
		chk_add(r, "certificate", CHK_FAIL, "the server's certificate "
		    "does not decode");
		return;
	}
	key_finding(o, r, leaf);
	dates_finding(o, r, leaf);
	name_finding(o, r, leaf);
	chain_finding(o, r, rec, w);
	pin_finding(o, r, leaf, der, len);
	X509_free(leaf);
}
