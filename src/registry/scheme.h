/* SPDX-License-Identifier: MIT */
/*
 * scheme.h - the registry's side of the credential schemes (tether.h):
 * writing a fresh secret in the text form of its scheme.
 */
#ifndef REG_SCHEME_H
#define REG_SCHEME_H

#include "registry/registry.h"

/* Writes the secret text of scheme for the 16 random bytes raw (read
 * only) into out; tether_credential_derive reads it back. */
void reg_secret_make(enum tether_scheme scheme,
    const uint8_t raw[TETHER_CREDENTIAL_RAW], char out[TETHER_CREDENTIAL_MAX]);

#endif
