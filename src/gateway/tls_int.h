/* SPDX-License-Identifier: MIT */
/*
 * tls_int.h - what the files of the gateway's TLS share and tls.h does
 * not publish: tls.c (contexts, profiles, SNI), tls_devcert.c (the
 * development certificate) and tls_error.c (handshake failures in words).
 */
#ifndef GW_TLS_INT_H
#define GW_TLS_INT_H

#include <stdarg.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "gateway/tls.h"
#include "pin/pin.h"

/* The pin library's sentences land in the gateway's err buffers. */
_Static_assert(GW_TLS_ERR_LEN >= PIN_ERR_LEN,
    "an err buffer of tls.h holds a sentence of pin.h");

#define GW_GROUPS		"X25519:P-256:P-384"

/* Formats a sentence into err (GW_TLS_ERR_LEN bytes); nothing if NULL. */
static inline void __attribute__((format(printf, 2, 3)))
seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, GW_TLS_ERR_LEN, fmt, ap);
	va_end(ap);
}

/* The unencrypted private key of a PEM file, for the caller to free; NULL
 * with a sentence in err, which says how to decrypt an encrypted one. */
EVP_PKEY *gw_tls_read_key(const char *path, char *err);

#endif
