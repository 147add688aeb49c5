/* SPDX-License-Identifier: MIT */
/*
 * pin.h - a certificate's pins in the forms devices are given them, for
 * the gateway (printed at start), `tether check` and `tether fingerprint`,
 * so that no one of them links another's code. OpenSSL 3.
 */
#ifndef PIN_H
#define PIN_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define PIN_ERR_LEN	256	/* err buffers of this file, NUL included */

/* Pins of one certificate, as text. */
struct pin_set {
	char spki_sha256_b64[45];	/* what curl --pinnedpubkey sha256// takes */
	char spki_sha256_hex[65];
	char cert_sha256_hex[65];
	char cert_sha1_hex[41];
	char cert_sha1_colon[60];	/* AB:CD:..., as browsers show it */
	char subject[256];		/* one line */
	char key_type[32];		/* "ECDSA P-256", "RSA 2048" */
	char not_after[32];		/* "2027-11-25 06:30:00 UTC" */
};

/*
 * Computes the pins of cert (not taken: the caller still frees it).
 * Returns 0, or -1 with *out zeroed when OpenSSL cannot read the
 * certificate fully; the OpenSSL error queue is left empty then.
 */
int pin_from_x509(X509 *cert, struct pin_set *out);

/* The pins of the first certificate in a PEM file. 0, or -1 with a
 * sentence in err (PIN_ERR_LEN bytes; NULL for none). */
int pin_from_file(const char *cert_file, struct pin_set *out, char *err);

/*
 * The first certificate of a PEM file, for the caller to X509_free; NULL
 * with a sentence in err (PIN_ERR_LEN bytes; NULL for none) naming the
 * file and why.
 */
X509 *pin_read_cert(const char *path, char *err);

/* "RSA", "ECDSA", "Ed25519", ... for an EVP_PKEY base id; OpenSSL's short
 * name for others, NULL for an id OpenSSL does not know. */
const char *pin_key_kind(int id);

/*
 * The root cause OpenSSL recorded (the earliest entry of this thread's
 * queue: later entries only name the functions that passed it up) as
 * words in buf, which it returns; the queue is left empty, so the next
 * caller starts clean.
 */
const char *pin_openssl_why(char *buf, size_t len);

#endif
