/* SPDX-License-Identifier: MIT */
/*
 * suites.h - BearSSL's full client suite list, as libtether's default
 * profile offers it. `tether check` emulates that profile (and the ESP8266
 * core's WiFiClientSecure, which offers the same list) from this one table,
 * so the checker cannot drift from the library. C99.
 */
#ifndef TETHER_SUITES_H
#define TETHER_SUITES_H

#include <stdint.h>

#define TETHER_SUITES_FULL_COUNT	45

/* In lib/profile.c, in BearSSL's order: forward secrecy and AEAD first. */
extern const uint16_t tether_suites_full[TETHER_SUITES_FULL_COUNT];

#endif
