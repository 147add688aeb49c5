/* SPDX-License-Identifier: MIT */
/*
 * inner.h - what the files of libtether share and the public header does
 * not show: the pin check's class, the response parser, the engine loop
 * and the helpers that write text without a heap.
 */
#ifndef TETHER_INNER_H
#define TETHER_INNER_H

#include <string.h>

#include "tether.h"

/* pin.c */

/* Prepares the check for one handshake: cert info is written to info. */
void tether_pin_check_init(struct tether_pin_check *pc,
    const struct tether_config *cfg, struct tether_cert_info *info);
/* Compares the hashes in info with cfg's pins, in constant time per pin;
 * 1 if any matches. */
int tether_pin_match(const struct tether_config *cfg,
    const struct tether_cert_info *info);
/* Hash length of a pin kind: 32 or 20. */
size_t tether_pin_len(unsigned kind);

/* anchor.c: the chain check hands its verdict to the engine as
 * TETHER_BR_ERR_BASE + a TETHER_E_* code. BearSSL passes whatever
 * end_chain returns on as the engine's error, and its own codes stay
 * under 1024 (alerts received and sent: 256..767). */
#define TETHER_BR_ERR_BASE	1024

/* http.c: a response parser fed any split of the bytes. */

enum tether_http_reason {
	TETHER_HTTP_R_NONE = 0,
	TETHER_HTTP_R_STATUS_LINE,	/* not "HTTP/1.x DDD ..." */
	TETHER_HTTP_R_VERSION,		/* not HTTP/1.0 or 1.1 */
	TETHER_HTTP_R_BARE_LF,		/* a line ended without CR */
	TETHER_HTTP_R_HEADER,		/* a field line without a colon */
	TETHER_HTTP_R_HEAD_TOO_LARGE,	/* over TETHER_HTTP_HEAD_MAX */
	TETHER_HTTP_R_CONTENT_LENGTH,	/* not a number, or two that differ */
	TETHER_HTTP_R_CHUNK,		/* a malformed chunk */
	TETHER_HTTP_R_TRANSFER_CODING,	/* a coding other than chunked */
	TETHER_HTTP_R_COMMAND_ID,	/* X-Tether-Command not an id */
	TETHER_HTTP_R_COMMAND_TOO_LARGE, /* over the command buffer */
	TETHER_HTTP_R_COUNT
};

#define TETHER_HTTP_F_CLOSE	0x01	/* the server closes after this */
#define TETHER_HTTP_F_LENGTH	0x02	/* Content-Length seen */
#define TETHER_HTTP_F_CHUNKED	0x04
#define TETHER_HTTP_F_LOCATION	0x08	/* keep holds the Location */
#define TETHER_HTTP_F_TO_CLOSE	0x10	/* body runs to the end of data */
#define TETHER_HTTP_F_COMMAND	0x20	/* the body is a command: cmd_buf */
#define TETHER_HTTP_F_TRUNC	0x80	/* the current line did not fit */

/* Clears h; a caller that takes commands sets header to
 * tether_command_header, and cmd_buf, cmd_cap and device, after it. A 200
 * or 201 with X-Tether-Command then streams its body into cmd_buf
 * (cmd_len bytes, never past cmd_cap) instead of keep. */
void tether_http_init(struct tether_http *h);
/* Feeds n bytes; *used is set to how many were taken. Returns 1 when the
 * response is complete (bytes after it are not taken), 0 when more are
 * needed, -1 when it is malformed (h->reason says why). */
int tether_http_feed(struct tether_http *h, const unsigned char *p,
    size_t n, size_t *used);
/* The server closed the connection: 1 if that ends the body (a response
 * without length), else 0. */
int tether_http_eof(struct tether_http *h);
const char *tether_http_reason_text(unsigned reason);

/* command.c: commands to the device, reached through pointers that only
 * tether_client_set_command_buffer() sets, so firmware that takes none
 * links none of this. */
enum {
	TETHER_CMD_REQUEST,	/* write the request's headers: 0 or -1 */
	TETHER_CMD_ANSWER,	/* set up the parser for the answer */
	TETHER_CMD_STORED,	/* a 200/201 without the gateway's body:
				 * 1 if it carries a command and names
				 * the device, else 0 */
	TETHER_CMD_DONE		/* the message was stored */
};
int tether_command_step(struct tether_client *c, int step, int *lost);
/* The parser's hook: a header line's name and value (name NULL: n bytes
 * of a command's body). 0, or -1 with h->reason set. */
int tether_command_header(struct tether_http *h, const char *name,
    size_t name_len, const char *v, size_t n);

/* client.c: request text into the engine. */
int tether_app_puts(struct tether_client *c, const char *s, int *lost);
int tether_app_uint(struct tether_client *c, unsigned long long v,
    int *lost);

/* profile.c: everything a client context needs (at init), and the
 * suites alone (at every connect, so a profile set later still counts) */
void tether_profile_apply(br_ssl_client_context *cc, unsigned profile);
void tether_profile_suites(br_ssl_client_context *cc, unsigned profile);

/* ecdsa.c: the small profiles' ECDSA verifier (a br_ecdsa_vrfy, "asn1"
 * signatures), P-256 only, its DER signature converted in a frame of its
 * own before BearSSL's raw verifier runs. */
uint32_t tether_ecdsa_p256_vrfy_asn1(const br_ec_impl *impl,
    const void *hash, size_t hash_len, const br_ec_public_key *pk,
    const void *sig, size_t sig_len);
/* The full profile's: that for P-256, BearSSL's default for P-384 and
 * P-521 (whose frames are sized for them). */
uint32_t tether_ecdsa_vrfy_asn1(const br_ec_impl *impl, const void *hash,
    size_t hash_len, const br_ec_public_key *pk, const void *sig,
    size_t sig_len);

/* error.c / client.c: failing with a code and detail numbers. */
int tether_fail(struct tether_client *c, int code);
/* Logs the client's sticky error with its detail (when logging is on);
 * tether_fail() does, unless c->quiet holds it back for the outcome. */
void tether_log_error(const struct tether_client *c);

/*
 * Constants in flash on the ESP8266 (TETHER_FLASH_STRINGS, tether.h).
 * TETHER_FLASH(name) puts an object in .irom.text.<name>, the section
 * family the core's PROGMEM and ICACHE_RODATA_ATTR use, which its linker
 * script (and tests/target/lx106/link.ld) keeps in flash; the name must be
 * the object's own (code and data sharing a section name conflict). Such an
 * object is 4-aligned and read only through tether_flash_word() and
 * tether_flash_strcpy(): a byte load from flash faults on the chip. Both
 * are plain loads, and TETHER_FLASH empty, on every other target.
 */
#if TETHER_FLASH_STRINGS && defined(__XTENSA__)
#define TETHER_FLASH(name)	\
	__attribute__((section(".irom.text." name), aligned(4)))
#else
#define TETHER_FLASH(name)	__attribute__((aligned(4)))
#endif
/* text.c: the 32-bit word at p (4-aligned), in one aligned load. */
uint32_t tether_flash_word(const void *p);
/* text.c: copies the string at src (4-aligned, in a TETHER_FLASH object
 * of max bytes, max a multiple of 4) into dst, NUL-terminated and cut to
 * len; reads whole aligned words, none past src + max. Returns dst. */
char *tether_flash_strcpy(char *dst, size_t len, const char *src,
    size_t max);

/* text.c: bounded text without a heap. */
struct tether_text {
	char	*buf;
	size_t	 len;
	size_t	 at;
};
void tether_text_init(struct tether_text *t, char *buf, size_t len);
void tether_text_put(struct tether_text *t, const char *s);
void tether_text_putn(struct tether_text *t, const char *s, size_t n);
void tether_text_uint(struct tether_text *t, unsigned long long v);
void tether_text_hex(struct tether_text *t, const uint8_t *p, size_t n,
    int colons);
void tether_text_base64(struct tether_text *t, const uint8_t *p, size_t n);

/* Constant-time equality of n bytes: 1 if equal. */
int tether_ct_equal(const void *a, const void *b, size_t n);
/* Wipes n bytes so the compiler cannot drop it. */
void tether_wipe(void *p, size_t n);

#endif /* TETHER_INNER_H */
