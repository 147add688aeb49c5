/*
 * tether.h - the device library's whole public API.
 *
 * Memory allocation: libtether never allocates. The caller owns every
 * context and buffer it passes in (static, on the stack or from its own
 * heap) and there is nothing to free.
 *
 * Structure contents: fields of public structures are visible only so their
 * sizes are known at compile time; read and write them through the calls.
 *
 * This header grows with the device library (issue "Device library"); what
 * is here now is the credential text form shared by the device and by
 * `tether provision`, so both sides agree on the same bytes.
 */
#ifndef TETHER_H
#define TETHER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Credentials.
 *
 * A credential is 128 random bits written as text:
 *
 *     tth1_ + 26 Crockford base32 characters (the 128 bits, big-endian,
 *             lowercase, no padding)
 *           + 7 Crockford base32 characters (CRC-32 of the 16 raw bytes,
 *             big-endian, in 35 bits whose top 3 are zero)
 *
 * 38 characters in all. The prefix lets secret scanners find a leaked
 * credential; the checksum lets them (and a device at boot) tell a real one
 * from a typo or a bad flash without asking the server. The alphabet has no
 * i, l, o or u. docs/credentials.md specifies it with test vectors.
 */
#define TETHER_CREDENTIAL_PREFIX "tth1_"
#define TETHER_CREDENTIAL_RAW 16
#define TETHER_CREDENTIAL_LEN 38

/* Writes the text form of raw into out (TETHER_CREDENTIAL_LEN characters
 * and a NUL). raw is read only. */
void tether_credential_format(const uint8_t raw[TETHER_CREDENTIAL_RAW],
    char out[TETHER_CREDENTIAL_LEN + 1]);

/* Returns 1 if text (len bytes, no NUL needed) is a well-formed credential
 * with a correct checksum, and then writes its 16 bytes to raw (may be
 * NULL); returns 0 otherwise. Upper and lower case are both accepted. */
int tether_credential_parse(const char *text, size_t len,
    uint8_t raw[TETHER_CREDENTIAL_RAW]);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_H */
