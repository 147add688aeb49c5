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

/* Findings on the chain the device's handshake got: key, dates, name,
 * size, and the pin (o->pin). */
void chk_cert_findings(const struct chk_options *o, struct chk_report *r,
    const struct chk_x509_recorder *rec, const struct chk_wire *w);

#endif
