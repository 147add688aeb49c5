/* SPDX-License-Identifier: MIT */
/*
 * check_int.h - what the files of `tether check` share and chk_run's
 * callers do not see: adding findings, and the certificate checks.
 */
#ifndef CHK_CHECK_INT_H
#define CHK_CHECK_INT_H

#include "check/check.h"
#include "check/wire.h"
#include "check/x509_recorder.h"

/* Adds a finding with a summary; NULL when the report is full. */
struct chk_finding *chk_add(struct chk_report *r, const char *check,
    enum chk_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sets the remedy of f (f may be NULL). */
void chk_remedy(struct chk_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "an RSA 2048 or ECDSA P-256" or, for a stack without ECDSA, "an RSA
 * 2048": the certificate a remedy may tell this profile to install. */
const char *chk_key_advice(const struct chk_profile *p);

/* Findings on the chain the device's handshake got: key, dates, name,
 * size, and the pin (o->pin). */
void chk_cert_findings(const struct chk_options *o, struct chk_report *r,
    const struct chk_x509_recorder *rec, const struct chk_wire *w);

/*
 * 1 if the leaf in rec is not what the device accepts: --pin (or, with
 * none, the key of the leaf in dev, the device's own) does not match it,
 * or it does not name the device's DNS name; why says so (wlen bytes).
 * 0 when it matches or there is no leaf to compare.
 */
int chk_cert_other(const struct chk_options *o,
    const struct chk_x509_recorder *dev, const struct chk_x509_recorder *rec,
    char *why, size_t wlen);

#endif
