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

/*
 * Credential schemes: how the credential a device sends is made from the
 * secret flashed into it. docs/credentials.md specifies each scheme to the
 * byte, with test vectors; `tether provision` computes the same bytes with
 * this same code.
 *
 *   plain       the flashed secret is the credential
 *   interleave  the article's: the flashed secret interleaved with the
 *               device's MAC address at run time
 *   hmac        HMAC-SHA256(secret, MAC), so the flash alone is not enough
 */
enum tether_scheme {
	TETHER_SCHEME_PLAIN = 0,
	TETHER_SCHEME_INTERLEAVE = 1,
	TETHER_SCHEME_HMAC = 2,
};

#define TETHER_MAC_LEN		6	/* an Ethernet / Wi-Fi MAC address */
#define TETHER_CREDENTIAL_MAX	64	/* any scheme's credential text, with NUL */

/*
 * Computes the credential text a device sends (NUL-terminated, at most
 * TETHER_CREDENTIAL_MAX bytes with the NUL) from its flashed secret
 * (secret_len bytes of text, as `tether provision` wrote it) and its MAC
 * (TETHER_MAC_LEN bytes; not read for TETHER_SCHEME_PLAIN, may be NULL
 * then). Returns the credential's length, or -1 when the secret is not a
 * well-formed secret of that scheme (a bad flash or a typo).
 * secret and mac are read only; nothing is kept.
 */
int tether_credential_derive(enum tether_scheme scheme, const char *secret,
    size_t secret_len, const uint8_t *mac, char out[TETHER_CREDENTIAL_MAX]);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_H */
