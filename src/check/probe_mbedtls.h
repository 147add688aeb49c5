/* SPDX-License-Identifier: MIT */
/*
 * probe_mbedtls.h - the esp32-mbedtls device's own connection made by
 * mbedTLS 2.28 itself, configured as ESP-IDF's esp-tls configures it, so
 * that its real ClientHello (curves, extensions) meets the server.
 */
#ifndef CHK_PROBE_MBEDTLS_H
#define CHK_PROBE_MBEDTLS_H

#include <netdb.h>

#include "check/probe.h"

#define CHK_MBEDTLS_SUITES_MAX	64	/* ESP-IDF's defaults leave 38 */

/*
 * Connects to an address of ai and handshakes with mbedTLS as o says,
 * then sends o->request if given; fills out as chk_probe_run does
 * (out->mbed_err instead of out->br_err). Takes o->profile (versions and
 * max_fragment_length), o->sni, o->mfln, o->request and o->rec (the
 * chain as sent is recorded into it); the suites are mbedTLS's own list
 * filtered as ESP-IDF's Kconfig defaults filter it, so o->suites,
 * o->resume and o->hello_only are refused (-1, CHK_FAIL_LOCAL): the
 * per-suite and resumption probes are BearSSL's. Returns 0 when the
 * handshake completed, -1 otherwise with a sentence in out->err.
 */
int chk_probe_mbedtls_run(const struct chk_target *t,
    const struct addrinfo *ai, const struct chk_probe_opts *o,
    struct chk_probe *out);

/*
 * The suites the probe offers, in mbedTLS's order: ids into list (at most
 * max). Returns how many.
 */
size_t chk_mbedtls_suites(uint16_t *list, size_t max);

/* "mbedTLS 2.28.3": the library linked in, in buf (CHK_STACK_LEN). */
const char *chk_mbedtls_version(char *buf, size_t len);

#endif
