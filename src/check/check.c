/* SPDX-License-Identifier: MIT */
/*
 * check.c - chk_run: the device's own handshake and HTTP request, then
 * the probes that explain it (each version, each suite, max fragment
 * length, SNI, resumption), turned into findings with remedies that name
 * the server setting: nginx, Apache httpd, or tether serve.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/x509.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check/ca_bearssl.h"
#include "check/check_int.h"
#include "check/probe.h"
#include "check/probe_mbedtls.h"
#include "check/ticket.h"
#include "check/fetch.h"

#define REQUEST_MAX	1024
#define MFLN_SIZES	4	/* 512, 1024, 2048, 4096 */
#define RESUME_PAUSE_MS	100	/* before the second try to resume */
#define ALERT_HANDSHAKE_FAILURE	40
#define ALERT_BAD_CERTIFICATE	42
#define ALERT_CERTIFICATE_REQUIRED	116
#define GW_AUTH_SCHEME	"Device"	/* the gateway's WWW-Authenticate */

/* axTLS's receive buffer (axtls-8266 ssl/tls1.c): RT_EXTRA bytes beside
 * the plaintext, the record header at BM_RECORD_OFFSET, grown in steps
 * of 1 KiB up to RT_MAX_PLAIN_LENGTH. */
#define AX_RT_EXTRA	1024
#define AX_RECORD_OFFSET	5
#define AX_GROW_STEP	1024
#define AX_PLAIN_MAX	16384

/* Remedies that recur. */
#define FIX_PROTOCOLS	"enable TLS 1.2: nginx ssl_protocols TLSv1.2 TLSv1.3; " \
	"Apache SSLProtocol -all +TLSv1.2 +TLSv1.3"
#define FIX_CACHE	"nginx ssl_session_cache shared:tls:1m; Apache " \
	"SSLSessionCache shmcb:/run/apache2/ssl_scache(512000); tether " \
	"serve resumes by default"
#define FIX_RSA_CERT	"add an RSA 2048 certificate beside the ECDSA one " \
	"(nginx: a second ssl_certificate/ssl_certificate_key; Apache: a " \
	"second SSLCertificateFile/SSLCertificateKeyFile; tether serve " \
	"--profile legacy-esp8266 has both)"
#define FIX_CLIENT_CERT	"stop asking devices for a client certificate on " \
	"this host: nginx ssl_verify_client off (or optional); Apache " \
	"SSLVerifyClient none; or give every device a client certificate"
#define FIX_KEEPALIVE	"nginx keepalive_timeout 75s (not 0); Apache " \
	"KeepAlive On; tether serve keeps connections open"

static const unsigned mfln_sizes[MFLN_SIZES] = { 512, 1024, 2048, 4096 };

const char *
chk_verdict_name(enum chk_verdict v)
{
	switch (v) {
	case CHK_PASS:
		return "PASS";
	case CHK_WARN:
		return "WARN";
	default:
		return "FAIL";
	}
}

struct chk_finding *
chk_add(struct chk_report *r, const char *check, enum chk_verdict v,
    const char *fmt, ...)
{
	struct chk_finding *f;
	va_list ap;

	if (r->nfindings >= CHK_FINDINGS_MAX)
		return NULL;
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->check = check;
	f->verdict = v;
	va_start(ap, fmt);
	vsnprintf(f->summary, sizeof(f->summary), fmt, ap);
	va_end(ap);
	if (v == CHK_FAIL)
		r->fails++;
	else if (v == CHK_WARN)
		r->warns++;
	return f;
}

void
chk_remedy(struct chk_finding *f, const char *fmt, ...)
{
	va_list ap;

	if (f == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(f->remedy, sizeof(f->remedy), fmt, ap);
	va_end(ap);
}

/* Appends s to a comma list in buf, or "..." once it is full. */
static void
list_add(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf), need = strlen(s) + 2;

	if (used + need + 4 >= len) {
		if (used + 4 < len && strcmp(buf + used - 3, "...") != 0)
			snprintf(buf + used, len - used, "%s...",
			    used ? ", " : "");
		return;
	}
	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", s);
}

/* What every probe of this check shares. */
struct run {
	const struct chk_options	*o;
	struct chk_report		*r;
	struct chk_target		 t;
	struct addrinfo			*ai;
	/* OpenSSL's probes of a failed handshake (diagnose) */
	int				 diag_done;
	int				 tls12, tls13;	/* handshakes at 1.2, 1.3 */
	int				 tls12_ecdsa;	/* 1.2 got an ECDSA leaf */
	int				 not_tls;	/* plain text */
	int				 ecdsa_only;	/* -1: not probed yet */
	char				 tls12_cipher[64];
	char				 tls12_err[CHK_ERR_LEN];
	const struct chk_x509_recorder	*dev_rec;	/* the device's chain */
	int				 post_grace;	/* POST waited the grace */
};

static int
probe(struct run *run, struct chk_probe_opts *po, struct chk_probe *out)
{
	po->profile = run->o->profile;
	run->r->handshakes++;
	return chk_probe_run(&run->t, run->ai, po, out);
}

/*
 * The device's own connection, on the library the profile names. When
 * mbedTLS stops inside a Certificate message too big for it, BearSSL
 * (which streams certificates) fetches the chain so that it can be judged.
 */
static void
device_probe(struct run *run, struct chk_probe_opts *po,
    struct chk_probe *dev)
{
	const struct chk_profile *p = run->o->profile;
	struct chk_probe_opts again;
	struct chk_probe *pr;

	if (p->device != CHK_STACK_MBEDTLS) {
		snprintf(run->r->stack, sizeof(run->r->stack), "BearSSL");
		(void)probe(run, po, dev);
		return;
	}
	chk_mbedtls_version(run->r->stack, sizeof(run->r->stack));
	po->profile = p;
	run->r->handshakes++;
	(void)chk_probe_mbedtls_run(&run->t, run->ai, po, dev);
	if (dev->done || po->rec == NULL || po->rec->sent_certs > 0 ||
	    !dev->wire.cert_seen || (pr = malloc(sizeof(*pr))) == NULL)
		return;
	memset(&again, 0, sizeof(again));
	again.sni = po->sni;
	again.rec = po->rec;
	(void)probe(run, &again, pr);
	free(pr);
}

/* The remedy for suites the server does not share with the profile. */
static void
suites_remedy(const struct chk_profile *p, struct chk_finding *f)
{
	chk_remedy(f, "nginx ssl_ciphers / Apache SSLCipherSuite: add %s; "
	    "tether serve: --profile %s", p->ciphers, p->gw_profile);
}

/* "TLS 1.2" or "TLS 1.0 to TLS 1.2": what the profile offers. */
static const char *
offered(const struct chk_profile *p, char *buf, size_t len)
{
	if (p->vmin == p->vmax)
		snprintf(buf, len, "%s", chk_version_name(p->vmin));
	else
		snprintf(buf, len, "%s to %s", chk_version_name(p->vmin),
		    chk_version_name(p->vmax));
	return buf;
}

/*
 * OpenSSL with every suite it has (DHE included) at TLS 1.2, then at
 * TLS 1.3: what isolates a failed handshake's cause from the profile's
 * suites. Fills run->diag.
 */
static void
diagnose(struct run *run)
{
	struct chk_target t = run->t;
	struct chk_fetch f;
	X509 *leaf;

	run->diag_done = 1;
	t.tls_min = t.tls_max = TLS1_2_VERSION;
	run->r->handshakes++;
	if (chk_fetch(&t, run->ai, CHK_OFFER_ALL, &f) == 0) {
		run->tls12 = 1;
		snprintf(run->tls12_cipher, sizeof(run->tls12_cipher), "%s",
		    f.cipher);
		leaf = sk_X509_value(f.chain, 0);
		run->tls12_ecdsa = leaf != NULL && X509_get0_pubkey(leaf) !=
		    NULL && EVP_PKEY_get_base_id(X509_get0_pubkey(leaf)) ==
		    EVP_PKEY_EC;
	} else {
		run->not_tls = f.not_tls;
		snprintf(run->tls12_err, sizeof(run->tls12_err), "%s", f.err);
	}
	chk_fetch_free(&f);
	if (run->tls12 || run->not_tls)
		return;
	t.tls_min = t.tls_max = TLS1_3_VERSION;
	run->r->handshakes++;
	run->tls13 = chk_fetch(&t, run->ai, CHK_OFFER_ALL, &f) == 0;
	chk_fetch_free(&f);
}

/* 1 if the server's only certificate is ECDSA and the profile cannot use
 * one (probes with RSA suites only). */
static int
ecdsa_only(struct run *run)
{
	struct chk_target t = run->t;
	struct chk_fetch f;
	int rc;

	if (!run->tls12 || !run->tls12_ecdsa || run->o->profile->ecdsa)
		return 0;
	if (run->ecdsa_only >= 0)
		return run->ecdsa_only;
	t.tls_min = t.tls_max = TLS1_2_VERSION;
	run->r->handshakes++;
	rc = chk_fetch(&t, run->ai, CHK_OFFER_RSA, &f) != 0;
	chk_fetch_free(&f);
	return run->ecdsa_only = rc;
}

static void
versions_check(struct run *run, int *none)
{
	const struct chk_profile *p = run->o->profile;
	const struct chk_profile *all = chk_profile_find("esp8266-bearssl");
	struct chk_probe_opts po;
	struct chk_probe pr;
	struct chk_finding *f;
	char yes[96] = "", no[96] = "", off[32];
	unsigned v;

	for (v = p->vmin; v <= p->vmax; v++) {
		/* Every suite BearSSL has, so that only the version can
		 * be refused. */
		memset(&po, 0, sizeof(po));
		po.vmin = po.vmax = v;
		po.suites = all->suites;
		po.nsuites = all->nsuites;
		po.sni = run->o->sni;
		po.hello_only = 1;
		if (probe(run, &po, &pr) == 0 && pr.version == v)
			list_add(yes, sizeof(yes), chk_version_name(v));
		else
			list_add(no, sizeof(no), chk_version_name(v));
	}
	/* BearSSL has no DHE: a DHE-only server refuses its every suite,
	 * not the version. OpenSSL's TLS 1.2 probe tells them apart. */
	if (yes[0] == '\0' && run->tls12 && p->vmax >= BR_TLS12) {
		snprintf(yes, sizeof(yes), "TLS 1.2 (with %s)",
		    run->tls12_cipher);
		no[0] = '\0';
	}
	*none = yes[0] == '\0';
	if (*none) {
		f = chk_add(run->r, "versions", CHK_FAIL, "%s offers %s; the "
		    "server accepts %s%s", p->name, offered(p, off,
		    sizeof(off)), p->vmin == p->vmax ? "not that version" :
		    "none of them", run->tls13 ? " (it takes TLS 1.3 only)" :
		    "");
		chk_remedy(f, FIX_PROTOCOLS);
	} else {
		chk_add(run->r, "versions", CHK_PASS, "%s offers %s; the "
		    "server accepts %s%s%s", p->name, offered(p, off,
		    sizeof(off)), yes, no[0] ? ", refuses " : "", no);
	}
}

static void
suites_check(struct run *run, const struct chk_probe *dev, int *none)
{
	const struct chk_profile *p = run->o->profile;
	struct chk_probe_opts po;
	struct chk_probe pr;
	struct chk_finding *f;
	char yes[CHK_TEXT_LEN / 2] = "", nb[8];
	size_t i, n = 0;

	for (i = 0; i < p->nsuites; i++) {
		memset(&po, 0, sizeof(po));
		po.suites = &p->suites[i];
		po.nsuites = 1;
		po.sni = run->o->sni;
		po.hello_only = 1;
		if (probe(run, &po, &pr) == 0 && pr.suite == p->suites[i]) {
			list_add(yes, sizeof(yes),
			    chk_suite_openssl(p->suites[i], nb));
			n++;
		}
	}
	*none = n == 0;
	if (n == 0 && ecdsa_only(run)) {
		/* The suites are there; the key is not: the key finding. */
		f = chk_add(run->r, "key", CHK_FAIL, "the server has only an "
		    "ECDSA certificate; %s can use RSA keys only, so it shares "
		    "no suite with the server", p->name);
		chk_remedy(f, FIX_RSA_CERT);
		return;
	}
	if (n == 0 && run->tls12 && strstr(run->tls12_cipher, "DHE-") ==
	    run->tls12_cipher) {
		f = chk_add(run->r, "suites", CHK_FAIL, "the server accepts "
		    "none of the %zu suites %s offers: given every suite, it "
		    "picks %s, a DHE suite (no device stack here offers DHE)",
		    p->nsuites, p->name, run->tls12_cipher);
		suites_remedy(p, f);
		return;
	}
	if (n == 0) {
		f = chk_add(run->r, "suites", CHK_FAIL, "the server accepts none "
		    "of the %zu suites %s offers", p->nsuites, p->name);
		suites_remedy(p, f);
		return;
	}
	if (dev->done && (dev->suite == BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA ||
	    dev->suite == BR_TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA ||
	    dev->suite == BR_TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA)) {
		f = chk_add(run->r, "suites", CHK_WARN, "the server picks %s "
		    "(3DES, open to Sweet32) from %zu it accepts: %s",
		    chk_suite_iana(dev->suite, nb), n, yes);
		suites_remedy(p, f);
		return;
	}
	chk_add(run->r, "suites", CHK_PASS, "the server accepts %zu of %zu "
	    "suites (%s) and picks %s", n, p->nsuites, yes, dev->done ?
	    chk_suite_iana(dev->suite, nb) : "none (see handshake)");
}

/* Why the device's handshake failed, as the probes isolate it. */
enum cause {
	CAUSE_NONE,		/* it did not fail */
	CAUSE_NOT_TLS,		/* the port answers in plain text */
	CAUSE_NAME,		/* unrecognized_name: the SNI */
	CAUSE_CLIENT_CERT,	/* it asked for a client certificate and
				   ended the handshake without one */
	CAUSE_VERSION,		/* OpenSSL takes TLS 1.3 only */
	CAUSE_TLS12,		/* OpenSSL handshakes at TLS 1.2: the
				   profile's suites, key or buffers */
	CAUSE_UNKNOWN,		/* OpenSSL fails as well */
};

static int
is_cert_alert(int a)
{
	return a == ALERT_HANDSHAKE_FAILURE || a == ALERT_BAD_CERTIFICATE ||
	    a == ALERT_CERTIFICATE_REQUIRED;
}

static enum cause
failure_cause(struct run *run, const struct chk_probe *dev)
{
	if (dev->done)
		return CAUSE_NONE;
	if (dev->wire.not_tls)
		return CAUSE_NOT_TLS;
	if (dev->alert == 112 || dev->wire.fatal_alert == 112)
		return CAUSE_NAME;
	/* handshake_failure, bad_certificate or certificate_required after
	 * a CertificateRequest: the empty Certificate the device sent. */
	if (dev->wire.cert_request && (is_cert_alert(dev->alert) ||
	    is_cert_alert(dev->wire.fatal_alert)))
		return CAUSE_CLIENT_CERT;
	diagnose(run);
	if (run->not_tls)
		return CAUSE_NOT_TLS;
	if (run->tls12)
		return CAUSE_TLS12;
	if (run->tls13)
		return CAUSE_VERSION;
	return CAUSE_UNKNOWN;
}

static void
handshake_finding(struct run *run, const struct chk_probe *dev,
    enum cause cause, int no_version, int no_suite)
{
	const struct chk_profile *p = run->o->profile;
	struct chk_finding *f;
	char nb[8];

	if (dev->done) {
		chk_add(run->r, "handshake", CHK_PASS, "%s connects with "
		    "%s: %s, %s, %zu bytes from the server, %ld ms", p->name,
		    run->r->stack, chk_version_name(dev->version),
		    chk_suite_iana(dev->suite, nb), dev->wire.bytes, dev->ms);
		return;
	}
	if (cause == CAUSE_NOT_TLS) {
		f = chk_add(run->r, "handshake", CHK_FAIL, "%s cannot connect: "
		    "port %s answers in plain text, not TLS (%s)", p->name,
		    run->o->port, dev->err);
		chk_remedy(f, "point the device at the server's TLS port "
		    "(nginx listen ... ssl; Apache SSLEngine on), or put TLS "
		    "on this one");
		return;
	}
	if (cause == CAUSE_CLIENT_CERT) {
		f = chk_add(run->r, "handshake", CHK_FAIL, "%s cannot connect: "
		    "%s: the server asked for a client certificate "
		    "(CertificateRequest) and ended the handshake when the "
		    "device sent none", p->name, dev->err);
		chk_remedy(f, FIX_CLIENT_CERT);
		return;
	}
	if (cause == CAUSE_UNKNOWN) {
		f = chk_add(run->r, "handshake", CHK_FAIL, "%s cannot connect: "
		    "%s; check cannot explain it: OpenSSL offering every "
		    "version and suite fails too (%s)", p->name, dev->err,
		    run->tls12_err);
		chk_remedy(f, "read the server's error log for this "
		    "handshake");
		return;
	}
	f = chk_add(run->r, "handshake", CHK_FAIL, "%s cannot connect: %s",
	    p->name, dev->err);
	if (cause == CAUSE_NAME)
		chk_remedy(f, "the server refuses the name the device sends "
		    "(SNI %s): serve it (nginx server_name, Apache "
		    "ServerName/ServerAlias), or make that server the default "
		    "one", run->o->sni != NULL ? run->o->sni : "none");
	else if (no_version)
		chk_remedy(f, FIX_PROTOCOLS);
	else if (no_suite && ecdsa_only(run))
		chk_remedy(f, FIX_RSA_CERT);
	else if (no_suite)
		suites_remedy(p, f);
	else if (dev->chain_too_big)
		chk_remedy(f, "send a shorter chain: leave the root and any "
		    "cross-signed certificate out of ssl_certificate (nginx) / "
		    "SSLCertificateFile (Apache)%s", p->ecdsa ? ", or use an "
		    "ECDSA key" : "");
	else if (dev->br_err == BR_ERR_X509_UNSUPPORTED ||
	    dev->br_err == BR_ERR_X509_WRONG_KEY_TYPE)
		chk_remedy(f, "install %s certificate", chk_key_advice(p));
	else
		chk_remedy(f, "read the server's error log for this "
		    "handshake; the other findings narrow it down");
}

/*
 * The tether profile with --ca: libtether with trust anchors, its chain
 * check run over the chain the device's handshake got, BearSSL set up as
 * lib/anchor.c sets it up (the SNI, else the host, DNS names only; SHA-1
 * signatures and RSA keys from 1024 bits accepted; the time now).
 */
static void
ca_check_tether(struct run *run, const char *name)
{
	struct chk_finding *f;
	char why[128];
	time_t now = time(NULL);
	int rc;

	rc = chk_bearssl_verify(run->o->ca_file, run->dev_rec, name,
	    (uint32_t)(now / 86400 + 719528), (uint32_t)(now % 86400), why,
	    sizeof(why));
	if (rc < 0) {
		f = chk_add(run->r, "ca", CHK_FAIL, "%s", why);
		chk_remedy(f, "give --ca the PEM certificates of the CA the "
		    "device holds as trust anchors");
		return;
	}
	if (rc == 0) {
		chk_add(run->r, "ca", CHK_PASS, "libtether with trust anchors "
		    "(BearSSL's br_x509_minimal) verifies the chain against "
		    "--ca and the name %s", name);
		return;
	}
	switch (rc) {
	case BR_ERR_X509_NOT_TRUSTED:
	case BR_ERR_X509_BAD_SIGNATURE:
	case BR_ERR_X509_DN_MISMATCH:
	case BR_ERR_X509_NOT_CA:
		f = chk_add(run->r, "ca", CHK_FAIL, "libtether with trust "
		    "anchors refuses the chain (BearSSL %s): the device fails "
		    "with TETHER_E_UNKNOWN_ISSUER", why);
		chk_remedy(f, "send the intermediate certificates with the leaf "
		    "(nginx ssl_certificate fullchain.pem; Apache "
		    "SSLCertificateFile with the chain), or give the device "
		    "the anchor of the CA that signed it");
		break;
	case BR_ERR_X509_BAD_SERVER_NAME:
		f = chk_add(run->r, "ca", CHK_FAIL, "libtether with trust "
		    "anchors refuses the chain (BearSSL %s): the certificate "
		    "does not carry the DNS name %s; the device fails with "
		    "TETHER_E_NAME_MISMATCH", why, name);
		if (chk_is_ip(name))
			chk_remedy(f, "BearSSL matches DNS names only, never an "
			    "IP address: give the device a DNS name the "
			    "certificate holds with tether_config_set_sni()");
		else
			chk_remedy(f, "issue the certificate with "
			    "subjectAltName DNS:%s", name);
		break;
	case BR_ERR_X509_EXPIRED:
		f = chk_add(run->r, "ca", CHK_FAIL, "libtether with trust "
		    "anchors refuses the chain (BearSSL %s): a certificate is "
		    "outside its dates today; the device fails with "
		    "TETHER_E_CERT_EXPIRED or TETHER_E_CERT_NOT_YET_VALID", why);
		chk_remedy(f, "renew the certificate (or the intermediate) "
		    "whose dates have passed");
		break;
	default:
		f = chk_add(run->r, "ca", CHK_FAIL, "libtether with trust "
		    "anchors refuses the chain (BearSSL %s, error %d): the "
		    "device fails with TETHER_E_CHAIN_REJECTED or a TLS error",
		    why, rc);
		chk_remedy(f, "reissue the certificate without the fault: "
		    "no unknown critical extension, key usage that allows TLS "
		    "(digitalSignature, serverAuth), a key of 2048 bits or "
		    "an EC key");
		break;
	}
}

/*
 * The first certificate of the chain signed with SHA-1 or MD5, its
 * subject in subj; 0 when none is. Self-signed ones are left out: a
 * root's own signature is not verified, the device holds it.
 */
static int
weak_signature(const struct chk_x509_recorder *rec, char *subj, size_t len)
{
	const unsigned char *der, *q;
	size_t i, n;
	X509 *x;
	int md, found = 0;

	for (i = 0; !found && (der = chk_x509_recorder_cert(rec, i, &n)) !=
	    NULL; i++) {
		q = der;
		if ((x = d2i_X509(NULL, &q, (long)n)) == NULL)
			continue;
		if (X509_check_issued(x, x) != X509_V_OK &&
		    OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, NULL) &&
		    (md == NID_sha1 || md == NID_md5)) {
			X509_NAME_oneline(X509_get_subject_name(x), subj,
			    (int)len);
			found = md;
		}
		X509_free(x);
	}
	return found;
}

/* The chain as a CA-mode device verifies it: mbedTLS itself, with --ca;
 * libtether's own check for the tether profile. */
static void
ca_check(struct run *run, const struct chk_probe *dev)
{
	const struct chk_profile *p = run->o->profile;
	const char *name = run->o->sni != NULL ? run->o->sni : run->o->host;
	struct chk_finding *f;
	uint32_t fl = dev->ca_flags;
	char subj[CHK_TEXT_LEN / 4];
	int md;

	if (strcmp(p->name, "tether") == 0 && run->o->ca_file != NULL &&
	    run->dev_rec != NULL && run->dev_rec->ncerts > 0) {
		ca_check_tether(run, name);
		return;
	}
	if (p->trust != CHK_TRUST_CA || !dev->done)
		return;
	if (run->o->ca_file == NULL && p->device == CHK_STACK_MBEDTLS &&
	    run->dev_rec != NULL && (md = weak_signature(run->dev_rec, subj,
	    sizeof(subj))) != 0) {
		/* mbedtls_x509_crt_profile_default: whatever CA the device
		 * holds, the chain fails verification. */
		f = chk_add(run->r, "ca", CHK_FAIL, "the certificate %s is "
		    "signed with %s: %s refuses it whatever CA the device holds "
		    "(mbedTLS's default X.509 profile takes SHA-2 signatures "
		    "only)", subj, md == NID_sha1 ? "SHA-1" : "MD5", p->name);
		chk_remedy(f, "reissue the certificate signed with SHA-256");
		return;
	}
	if (run->o->ca_file == NULL || p->device != CHK_STACK_MBEDTLS) {
		chk_add(run->r, "ca", CHK_PASS, "not verified: give --ca FILE, "
		    "the CA certificates the device holds, to verify the chain "
		    "as %s does", p->name);
		return;
	}
	if (!dev->ca_checked)
		return;
	if (fl == 0) {
		chk_add(run->r, "ca", CHK_PASS, "%s verifies the chain against "
		    "--ca and the name %s, as esp-tls has it verify", run->r->stack,
		    name);
		return;
	}
	f = chk_add(run->r, "ca", CHK_FAIL, "%s refuses the chain as esp-tls "
	    "would: %s", run->r->stack, dev->ca_why);
	if (fl & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		chk_remedy(f, "send the intermediate certificates with the leaf "
		    "(nginx ssl_certificate fullchain.pem; Apache "
		    "SSLCertificateFile with the chain), or give the device "
		    "the CA that signed it");
	else if (fl & MBEDTLS_X509_BADCERT_BAD_MD)
		chk_remedy(f, "reissue the certificate signed with SHA-256: "
		    "mbedTLS refuses SHA-1 signatures by default");
	else if (fl & MBEDTLS_X509_BADCERT_BAD_KEY)
		chk_remedy(f, "issue the certificate for %s key: mbedTLS's "
		    "default profile refuses RSA keys under 2048 bits",
		    chk_key_advice(p));
	else if ((fl & MBEDTLS_X509_BADCERT_CN_MISMATCH) && chk_is_ip(name))
		chk_remedy(f, "mbedTLS 2.28 matches names against DNS "
		    "subjectAltNames and the CN only, never IP SANs: point the "
		    "device at a DNS name the certificate holds");
	else if (fl & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		chk_remedy(f, "issue the certificate with subjectAltName DNS:%s",
		    name);
	else
		chk_remedy(f, "reissue the certificate for TLS server use (key "
		    "usage digitalSignature, extended key usage serverAuth)");
}

static void
mfln_check(struct run *run)
{
	const struct chk_profile *p = run->o->profile;
	struct chk_probe_opts po;
	struct chk_probe pr;
	struct chk_finding *f;
	char yes[64] = "", no[64] = "", num[16];
	int ok_own = 0, i;

	for (i = 0; i < MFLN_SIZES; i++) {
		memset(&po, 0, sizeof(po));
		po.sni = run->o->sni;
		po.mfln = mfln_sizes[i];
		snprintf(num, sizeof(num), "%u", mfln_sizes[i]);
		if (probe(run, &po, &pr) == 0 && pr.wire.mfln_echo == i + 1 &&
		    pr.wire.max_clear <= mfln_sizes[i]) {
			list_add(yes, sizeof(yes), num);
			if (mfln_sizes[i] == p->mfln)
				ok_own = 1;
		} else
			list_add(no, sizeof(no), num);
	}
	if (p->mfln == 0) {
		chk_add(run->r, "mfln", CHK_PASS, "%s does not ask for "
		    "max_fragment_length (it takes 16384-byte records); the "
		    "server honours %s%s%s", p->name, yes[0] ? yes : "none",
		    no[0] ? ", ignores " : "", no);
	} else if (ok_own) {
		chk_add(run->r, "mfln", CHK_PASS, "the server honours the "
		    "max_fragment_length %u that %s asks for (honoured: %s%s%s)",
		    p->mfln, p->name, yes, no[0] ? "; ignored: " : "", no);
	} else if (p->rx_record >= 16384) {
		chk_add(run->r, "mfln", CHK_PASS, "the server ignores the "
		    "max_fragment_length %u that %s asks for; its %zu-byte "
		    "receive buffer takes full records anyway (honoured: %s)",
		    p->mfln, p->name, p->rx_record, yes[0] ? yes : "none");
	} else {
		f = chk_add(run->r, "mfln", CHK_WARN, "the server ignores the "
		    "max_fragment_length %u that %s asks for: the device's "
		    "%zu-byte records hold only while every answer is that "
		    "small (honoured: %s)", p->mfln, p->name, p->rx_record,
		    yes[0] ? yes : "none");
		chk_remedy(f, "serve devices from tether serve or another "
		    "OpenSSL 1.1.1+ server (they grant it), or give the device "
		    "a TETHER_BUFSIZE_MAX buffer");
	}
}

/* One SNI case: the verdict on what the server did. */
static void
sni_case(struct run *run, const char *label, const char *sni, int own)
{
	const struct chk_profile *p = run->o->profile;
	struct chk_probe_opts po;
	struct chk_probe pr;
	struct chk_finding *f;
	char what[96], other[CHK_TEXT_LEN / 2];
	const char *fix = "let unknown names reach the device's site: nginx "
	    "make it the default_server (no ssl_reject_handshake there); "
	    "Apache: make its <VirtualHost> the first on the port; tether "
	    "serve answers every name";

	if (sni != NULL)
		snprintf(what, sizeof(what), "SNI %s (%s)", sni, label);
	else
		snprintf(what, sizeof(what), "no SNI (%s)", label);
	memset(&po, 0, sizeof(po));
	po.sni = sni;
	po.rec = malloc(sizeof(*po.rec));
	if (probe(run, &po, &pr) != 0 && !pr.wire.hello_done) {
		f = chk_add(run->r, own ? "sni" : sni ? "sni-unknown" :
		    "sni-none", own ? CHK_FAIL : CHK_WARN, "%s: %s", what,
		    pr.err);
		chk_remedy(f, "%s", fix);
		goto out;
	}
	if (pr.wire.warn_alert >= 0) {
		enum chk_verdict v = p->fatal_warnings ?
		    (own ? CHK_FAIL : CHK_WARN) : CHK_PASS;

		f = chk_add(run->r, own ? "sni" : sni ? "sni-unknown" :
		    "sni-none", v, "%s: the server sends a warning alert %d "
		    "(%s)%s", what, pr.wire.warn_alert,
		    chk_alert_name(pr.wire.warn_alert), p->fatal_warnings ?
		    "; axTLS ends the handshake on any alert" :
		    "; this stack ignores warning alerts");
		if (v != CHK_PASS)
			chk_remedy(f, "name the site after the device's SNI "
			    "(Apache ServerName/ServerAlias, nginx "
			    "server_name) so that no unrecognized_name alert "
			    "is sent");
		goto out;
	}
	/* Something answered; is it what the device takes? */
	if (!own && po.rec != NULL && pr.wire.cert_seen &&
	    chk_cert_other(run->o, run->dev_rec, po.rec, other,
	    sizeof(other))) {
		f = chk_add(run->r, sni ? "sni-unknown" : "sni-none", CHK_WARN,
		    "%s: the server answers with %s; a pinned device "
		    "connecting this way refuses it", what, other);
		chk_remedy(f, "make the device's site the default one (nginx "
		    "listen ... default_server; Apache: its <VirtualHost> "
		    "first on the port), or have every device send SNI %s",
		    run->o->sni != NULL ? run->o->sni : run->o->host);
		goto out;
	}
	chk_add(run->r, own ? "sni" : sni ? "sni-unknown" : "sni-none",
	    CHK_PASS, "%s: no alert, the server answers with %s", what,
	    pr.wire.cert_seen ? "the device's certificate" :
	    "its session");
out:
	free(po.rec);
}

static void
sni_check(struct run *run, const struct chk_probe *dev)
{
	const char *own = run->o->sni;

	if (dev->done && dev->wire.warn_alert < 0)
		chk_add(run->r, "sni", CHK_PASS, "SNI %s (the device's): no "
		    "alert", own != NULL ? own : "none");
	else if (dev->done)
		sni_case(run, "the device's", own, 1);
	if (own == NULL || strcmp(own, CHK_WRONG_SNI) != 0)
		sni_case(run, "a name the server does not serve", CHK_WRONG_SNI,
		    0);
	if (own != NULL)
		sni_case(run, "as a device connecting by address", NULL, 0);
}

static void
resume_check(struct run *run)
{
	const struct chk_profile *p = run->o->profile;
	struct chk_probe_opts po;
	struct chk_probe pr;
	struct chk_probe first;
	struct chk_ticket tk;
	struct chk_finding *f;
	int by_id = 0, by_ticket, tk_rc;

	/* A handshake of its own: a server may rightly drop the session of
	 * a connection whose request it refused (the device's went without
	 * a credential). */
	memset(&po, 0, sizeof(po));
	po.sni = run->o->sni;
	if (probe(run, &po, &first) == 0 && first.session.session_id_len > 0) {
		po.resume = &first.session;
		by_id = probe(run, &po, &pr) == 0 && pr.resumed;
		if (!by_id) {
			/* A server may file the session only once it has
			 * read the close_notify; a device comes back later. */
			struct timespec pause = { 0, RESUME_PAUSE_MS * 1000000L };

			nanosleep(&pause, NULL);
			by_id = probe(run, &po, &pr) == 0 && pr.resumed;
		}
	}
	run->r->handshakes += 2;
	tk_rc = chk_ticket_probe(&run->t, run->ai, &tk);
	by_ticket = tk_rc == 0 && tk.resumed && p->resume_ticket;
	if (by_id)
		chk_add(run->r, "resume-id", CHK_PASS, "the server resumes by "
		    "session id%s", p->resume_id ? "" :
		    " (not used by this stack)");
	else if (!p->resume_id)
		chk_add(run->r, "resume-id", CHK_PASS, "the server does not "
		    "resume by session id; %s does not try", p->name);
	else if (by_ticket)
		chk_add(run->r, "resume-id", CHK_PASS, "the server does not "
		    "resume by session id; %s resumes by ticket instead",
		    p->name);
	else {
		f = chk_add(run->r, "resume-id", CHK_WARN, "the server does "
		    "not resume by session id: every connection of %s pays a "
		    "full handshake", p->name);
		chk_remedy(f, FIX_CACHE);
	}

	if (tk_rc != 0) {
		f = chk_add(run->r, "resume-ticket", p->resume_ticket ?
		    CHK_WARN : CHK_PASS, "the ticket probe could not "
		    "handshake: %s", tk.err);
		return;
	}
	if (tk.resumed)
		chk_add(run->r, "resume-ticket", CHK_PASS, "the server resumes "
		    "by session ticket (lifetime hint %ld s)%s", tk.lifetime,
		    p->resume_ticket ? "" : "; this stack does not use "
		    "tickets");
	else if (!p->resume_ticket)
		chk_add(run->r, "resume-ticket", CHK_PASS, "no resumption by "
		    "ticket (%s); %s does not use tickets", tk.err, p->name);
	else {
		f = chk_add(run->r, "resume-ticket", by_id ? CHK_PASS :
		    CHK_WARN, "no resumption by ticket: %s%s", tk.err, by_id ?
		    "; session ids do the job" : "");
		if (!by_id)
			chk_remedy(f, "nginx ssl_session_tickets on; Apache "
			    "SSLSessionTickets on");
	}
}

/* 1 if a 401 is the gateway's own: WWW-Authenticate: Device
 * (docs/protocol.md), the answer to the device's request without a
 * credential. Any other scheme is a server in front asking for its own. */
static int
gateway_401(const struct chk_probe *dev)
{
	size_t n = strlen(GW_AUTH_SCHEME);

	return dev->status == 401 && strncasecmp(dev->www_auth,
	    GW_AUTH_SCHEME, n) == 0 && (dev->www_auth[n] == '\0' ||
	    dev->www_auth[n] == ' ' || dev->www_auth[n] == ',');
}

/*
 * A 4xx on the device path, other than the gateway's own 401 (the
 * device's request carries no credential, and the gateway answers it as
 * it would a made-up one), refuses every message the device will send: a
 * FAIL, with its cause.
 */
static void
client_error(struct run *run, const struct chk_probe *dev)
{
	const char *path = run->o->path;
	struct chk_finding *f;

	if (dev->wire.cert_request && (dev->status == 400 ||
	    dev->status == 403 || dev->status == 495 || dev->status == 496)) {
		f = chk_add(run->r, "http", CHK_FAIL, "POST %s answers %d: the "
		    "server asked for a client certificate in the handshake "
		    "(CertificateRequest) and refuses a device that sends "
		    "none", path, dev->status);
		chk_remedy(f, FIX_CLIENT_CERT);
	} else if (dev->status == 401) {
		char scheme[CHK_AUTH_MAX];

		snprintf(scheme, sizeof(scheme), "%.*s",
		    (int)strcspn(dev->www_auth, " ,"), dev->www_auth);
		f = chk_add(run->r, "http", CHK_FAIL, "POST %s answers 401: "
		    "the server asks for HTTP authentication (%s), not the "
		    "gateway's WWW-Authenticate: Device; the device's "
		    "credential never reaches the gateway", path,
		    scheme[0] ? scheme : "no WWW-Authenticate");
		chk_remedy(f, "let devices through to the gateway on %s: nginx "
		    "auth_basic off; in its location; Apache Require all "
		    "granted in its <Location>", path);
	} else if (dev->status == 421) {
		f = chk_add(run->r, "http", CHK_FAIL, "POST %s answers 421 "
		    "Misdirected Request: the virtual host chosen by SNI %s "
		    "does not serve the Host header the device sends", path,
		    run->o->sni != NULL ? run->o->sni : "(none)");
		chk_remedy(f, "serve the device's name in the same virtual "
		    "host as its SNI (nginx server_name, Apache ServerName/"
		    "ServerAlias), or point the device at that name");
	} else if (dev->status == 403) {
		f = chk_add(run->r, "http", CHK_FAIL, "POST %s answers 403 "
		    "Forbidden: an access rule covers the device path", path);
		chk_remedy(f, "allow devices on %s (nginx allow/deny, "
		    "Apache Require)", path);
	} else if (dev->status == 404) {
		f = chk_add(run->r, "http", CHK_FAIL, "POST %s answers 404: "
		    "there is no service on the device path", path);
		chk_remedy(f, "check --path, and the proxy or application "
		    "behind %s", path);
	} else {
		f = chk_add(run->r, "http", CHK_FAIL, "POST %s answers %d: the "
		    "server refuses the device's request", path, dev->status);
		chk_remedy(f, "read the server's error log for this request; "
		    "the device's request is a POST with Content-Length: 0 "
		    "and no credential");
	}
}

static void
http_check(struct run *run, const struct chk_probe *dev)
{
	const struct chk_profile *p = run->o->profile;
	const char *path = run->o->path;
	struct chk_finding *f;

	if (!dev->done)
		return;
	if (!dev->http_done) {
		f = chk_add(run->r, "http", CHK_FAIL, "POST %s: %s%s", path,
		    dev->http_err, dev->http_timeout && run->post_grace ?
		    "; an earlier profile's POST got no answer either, so this "
		    "one waited 0.5 s" : "");
		if (dev->br_err == BR_ERR_TOO_LARGE)
			chk_remedy(f, "the server ignored max_fragment_length: "
			    "serve devices from tether serve (it grants it), or "
			    "give the device a larger receive buffer");
		else
			chk_remedy(f, "read the server's error log for this "
			    "request");
		return;
	}
	run->r->http_status = dev->status;
	run->r->head_bytes = dev->head_len;
	if (dev->status >= 300 && dev->status < 400) {
		f = chk_add(run->r, "http", CHK_FAIL, "POST %s answers %d, a "
		    "redirect to %s: devices do not follow redirects (and a "
		    "POST body is lost on the way)", path, dev->status,
		    dev->location[0] ? dev->location : "(no Location)");
		chk_remedy(f, "serve %s itself: remove the return 301/302 "
		    "(nginx) or Redirect/RewriteRule [R] (Apache) that covers "
		    "it, and point devices at the final URL", path);
		return;
	}
	if (dev->head_too_big || (p->head_max != 0 &&
	    dev->head_len > p->head_max)) {
		f = chk_add(run->r, "http", CHK_FAIL, "POST %s answers %d with "
		    "a head of %s%zu bytes; %s takes at most %zu", path,
		    dev->status, dev->head_too_big ? "more than " : "",
		    dev->head_len, p->name, p->head_max ? p->head_max :
		    (size_t)CHK_HEAD_KEEP);
		chk_remedy(f, "drop headers on the device path: remove nginx "
		    "add_header lines there; Apache Header unset NAME");
		return;
	}
	if (dev->content_location[0] != '\0' &&
	    strcmp(dev->content_location, path) != 0) {
		f = chk_add(run->r, "http", CHK_WARN, "POST %s is answered from "
		    "%s (Content-Location): the server rewrites the device "
		    "path", path, dev->content_location);
		chk_remedy(f, "serve %s without a rewrite (nginx rewrite/"
		    "try_files, Apache RewriteRule)", path);
		return;
	}
	if (dev->status >= 400 && dev->status < 500 && !gateway_401(dev)) {
		client_error(run, dev);
		return;
	}
	if (dev->status >= 500) {
		f = chk_add(run->r, "http", CHK_WARN, "POST %s answers %d: "
		    "there is no working service on the device path", path,
		    dev->status);
		chk_remedy(f, "check --path, and the proxy or application "
		    "behind %s", path);
		return;
	}
	if (dev->conn_close) {
		f = chk_add(run->r, "http", CHK_WARN, "POST %s answers %d (%zu "
		    "bytes of head) but closes the connection: the device "
		    "must handshake again for every message", path,
		    dev->status, dev->head_len);
		chk_remedy(f, FIX_KEEPALIVE);
		return;
	}
	chk_add(run->r, "http", CHK_PASS, "POST %s answers %d, no redirect, "
	    "a %zu-byte head, connection kept open", path, dev->status,
	    dev->head_len);
}

/*
 * The plaintext size of axTLS's buffer after a record of rec bytes came
 * into one of cur: basic_read asks increase_bm_data_size for more when
 * the record (header excluded) exceeds cur + RT_EXTRA - BM_RECORD_OFFSET.
 */
static size_t
ax_grown(size_t cur, size_t rec)
{
	size_t need;

	if (rec <= cur + AX_RT_EXTRA - AX_RECORD_OFFSET)
		return cur;
	need = (rec + AX_RECORD_OFFSET - AX_RT_EXTRA + AX_GROW_STEP - 1) &
	    ~(size_t)(AX_GROW_STEP - 1);
	return need < AX_PLAIN_MAX ? need : AX_PLAIN_MAX;
}

/*
 * A stack whose receive buffer grows with realloc (axTLS: 5840 bytes,
 * then up to 16384): the answer's largest record against the buffer the
 * handshake left. The realloc of a connection already open is what a
 * fragmented ESP8266 heap refuses (SSL_ERROR_CONN_LOST): a WARN, as the
 * chain's size is, since it depends on the heap.
 */
static void
buffer_check(struct run *run, const struct chk_probe *dev)
{
	const struct chk_profile *p = run->o->profile;
	size_t hs = ax_grown(p->rx_first, dev->wire.max_clear);
	size_t rec = dev->wire.max_sealed, after = ax_grown(hs, rec);
	struct chk_finding *f;

	if (p->rx_first == 0 || !dev->done || !dev->http_done)
		return;
	if (after == hs) {
		chk_add(run->r, "buffer", CHK_PASS, "the answer's largest "
		    "record, %zu bytes, fits the %zu + %d bytes %s's buffer "
		    "holds%s: no realloc", rec, hs, AX_RT_EXTRA, p->name,
		    hs > p->rx_first ? " after the handshake grew it" : "");
		return;
	}
	f = chk_add(run->r, "buffer", CHK_WARN, "POST %s is answered in a "
	    "record of %zu bytes (a %zu-byte head): more than the %zu + %d "
	    "bytes %s's buffer holds, so it grows it with realloc to %zu + "
	    "%d on an open connection; on a fragmented ESP8266 heap that "
	    "fails and the connection is lost (SSL_ERROR_CONN_LOST)",
	    run->o->path, rec, dev->head_len, hs, AX_RT_EXTRA, p->name, after,
	    AX_RT_EXTRA);
	chk_remedy(f, "keep the answer on the device path under %zu bytes: "
	    "remove nginx add_header lines there, Apache Header unset NAME; "
	    "or have nginx send smaller records: ssl_buffer_size 4k",
	    p->rx_first);
}

/*
 * The device's request, with the Host its stack sends: libtether the
 * configured host (not the SNI, which it sets apart), the Arduino and
 * ESP-IDF HTTP clients the URL's host, which is also their SNI; each
 * adds ":port" when it is not 443 and brackets an IPv6 literal.
 */
static void
request_head(const struct chk_options *o, char *buf, size_t len)
{
	const char *host = o->profile->device == CHK_STACK_BEARSSL &&
	    strcmp(o->profile->name, "tether") == 0 ? o->host :
	    o->sni != NULL ? o->sni : o->host;
	int v6 = strchr(host, ':') != NULL;

	snprintf(buf, len, "POST %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\n"
	    "User-Agent: tether-check/%s\r\nContent-Length: 0\r\n\r\n",
	    o->path, v6 ? "[" : "", host, v6 ? "]" : "",
	    strcmp(o->port, "443") != 0 ? ":" : "",
	    strcmp(o->port, "443") != 0 ? o->port : "", o->profile->name);
}

int
chk_run(const struct chk_options *o, struct chk_report *r)
{
	long long start = chk_now_ms();
	struct run run;
	struct chk_probe_opts po;
	struct chk_probe *dev;
	struct chk_x509_recorder *rec;
	char request[REQUEST_MAX];
	enum chk_fail fail;
	enum cause cause;
	int no_version = 0, no_suite = 0, rc = -1;

	memset(r, 0, sizeof(*r));
	r->profile = o->profile;
	memset(&run, 0, sizeof(run));
	run.o = o;
	run.r = r;
	run.ecdsa_only = -1;
	run.t.host = o->host;
	run.t.port = o->port;
	run.t.sni = o->sni;
	run.t.timeout_ms = o->timeout_ms;
	dev = malloc(sizeof(*dev));
	rec = malloc(sizeof(*rec));
	if (dev == NULL || rec == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		goto out;
	}
	if (chk_resolve(&run.t, &run.ai, &fail, r->err) != 0)
		goto out;

	/* The device's own connection: its ClientHello, its buffers, its
	 * request. */
	request_head(o, request, sizeof(request));
	memset(&po, 0, sizeof(po));
	po.sni = o->sni;
	po.request = request;
	po.rec = rec;
	if (o->profile->trust == CHK_TRUST_CA &&
	    o->profile->device == CHK_STACK_MBEDTLS)
		po.ca_file = o->ca_file;
	/* A server that never answers the POST costs one time-out, not one
	 * a profile. */
	if (o->post_deadline != NULL && *o->post_deadline != 0) {
		po.http_deadline = chk_now_ms() + CHK_POST_GRACE_MS;
		run.post_grace = 1;
	}
	device_probe(&run, &po, dev);
	if (o->post_deadline != NULL && dev->http_timeout &&
	    *o->post_deadline == 0)
		*o->post_deadline = chk_now_ms();
	if (!dev->done && dev->fail != CHK_OK) {
		memcpy(r->err, dev->err, sizeof(r->err));
		goto out;
	}
	snprintf(r->addr, sizeof(r->addr), "%s", o->host);
	r->connected = dev->done;
	r->version = dev->version;
	r->suite = dev->suite;

	/* Findings are added in reading order; the probes that explain a
	 * failed handshake run first, and only those that isolate its
	 * cause report: a name refused, a plain-text port or a failure
	 * OpenSSL shares say nothing of versions and suites. */
	cause = failure_cause(&run, dev);
	run.dev_rec = rec;
	{
		struct chk_report tmp;
		size_t i;

		memset(&tmp, 0, sizeof(tmp));
		run.r = &tmp;
		if (cause == CAUSE_NONE || cause == CAUSE_TLS12 ||
		    cause == CAUSE_VERSION)
			versions_check(&run, &no_version);
		/* No version in common: no suite can be judged. */
		if ((cause == CAUSE_NONE || cause == CAUSE_TLS12) &&
		    !no_version)
			suites_check(&run, dev, &no_suite);
		run.r = r;
		handshake_finding(&run, dev, cause, no_version, no_suite);
		for (i = 0; i < tmp.nfindings && r->nfindings <
		    CHK_FINDINGS_MAX; i++)
			r->findings[r->nfindings++] = tmp.findings[i];
		r->fails += tmp.fails;
		r->warns += tmp.warns;
		r->handshakes += tmp.handshakes;
	}
	if (dev->done || rec->sent_certs > 0)
		chk_cert_findings(o, r, rec, &dev->wire);
	ca_check(&run, dev);
	if (dev->done) {
		mfln_check(&run);
		sni_check(&run, dev);
		resume_check(&run);
		http_check(&run, dev);
		buffer_check(&run, dev);
	} else if (cause == CAUSE_NAME || (cause == CAUSE_TLS12 &&
	    !no_version && !no_suite)) {
		/* Why it failed may be the name: try without the device's. */
		sni_check(&run, dev);
	}
	rc = 0;
out:
	if (run.ai != NULL)
		freeaddrinfo(run.ai);
	free(dev);
	free(rec);
	r->ms = (long)(chk_now_ms() - start);
	return rc;
}
