/* SPDX-License-Identifier: MIT */
/*
 * ca_bearssl.h - the chain a server sent, verified as libtether with trust
 * anchors verifies it (lib/anchor.c): BearSSL's br_x509_minimal, every
 * hash and the default RSA and ECDSA verifiers, the SNI (else the host) as
 * the name, DNS names only, the time given.
 */
#ifndef CHK_CA_BEARSSL_H
#define CHK_CA_BEARSSL_H

#include <stddef.h>
#include <stdint.h>

#include "check/x509_recorder.h"

/* Verifies rec's chain against the CA certificates of ca_file (PEM) for
 * name at days/seconds (since 1 January 0 AD, as BearSSL counts). Returns
 * 0 (trusted), BearSSL's BR_ERR_X509_* code, or -1 when ca_file holds no
 * certificate BearSSL can use (why says so). */
int chk_bearssl_verify(const char *ca_file,
    const struct chk_x509_recorder *rec, const char *name, uint32_t days,
    uint32_t seconds, char *why, size_t len);

/* BearSSL's name of an X.509 error ("X509_NOT_TRUSTED"), or NULL. */
const char *chk_bearssl_x509_name(int err);

#endif
