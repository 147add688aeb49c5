/* SPDX-License-Identifier: MIT */
/*
 * tether.h - the device library's whole public API: pinned TLS 1.2 to one
 * server on BearSSL (trust anchors too, for a device with a clock), the
 * credential a device sends, one short HTTP/1.1 exchange per message over
 * a kept-alive connection, errors in words.
 *
 * Memory allocation: libtether never allocates. The caller owns every
 * context and buffer it passes in (static, on the stack or from its own
 * heap) and there is nothing to free. No globals: two clients in two RTOS
 * tasks share nothing (the one exception: tether_strerror() on the
 * ESP8266, see TETHER_FLASH_STRINGS).
 *
 * Structure contents: fields of public structures are visible only so their
 * sizes are known at compile time; read and write them through the calls.
 *
 * Ownership of pointer arguments: each call says whether what it is given
 * is "copied" (the caller may reuse it at once) or "linked in" (the caller
 * keeps it unchanged and valid for as long as the text says).
 */
#ifndef TETHER_H
#define TETHER_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

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

/*
 * The identity blob: identity.bin as `tether provision` writes it for a
 * flash partition or an EEPROM (docs/credentials.md gives the layout), so
 * one firmware image serves every device.
 *
 * tether_identity_load() checks a blob of len bytes (read only, not
 * kept: copy it out of flash, EEPROM or a file into any buffer) and
 * copies its fields into *id. It trusts no field before the size, magic,
 * version and CRC-32 are right, and refuses a blob whose fields are not
 * what provision writes (an unknown scheme, an id or secret not
 * NUL-padded, a secret that is not a well-formed secret of its scheme).
 * Returns 0, or TETHER_E_BAD_IDENTITY (damaged: truncated, overwritten,
 * bit-flipped) or TETHER_E_IDENTITY_VERSION (a newer provision's layout).
 * On failure *id is wiped. *id holds the secret: wipe it after use.
 */
#define TETHER_IDENTITY_SIZE	84	/* identity.bin, version 1 */
#define TETHER_DEVICE_ID_MAX	17	/* a device id, with NUL */
#define TETHER_SECRET_MAX	49	/* a flashed secret, with NUL */

struct tether_identity {
	uint8_t	scheme;			/* enum tether_scheme */
	uint8_t	has_mac;		/* mac holds the MAC provisioned for */
	uint8_t	mac[TETHER_MAC_LEN];
	char	device[TETHER_DEVICE_ID_MAX];
	char	secret[TETHER_SECRET_MAX];
};

int tether_identity_load(struct tether_identity *id, const void *blob,
    size_t len);

/*
 * The credential of a loaded identity, derived in out as
 * tether_credential_derive() does (nothing else is written, no heap).
 * mac is the MAC the device reads at run time (WiFi.macAddress(),
 * /sys/class/net/IF/address; TETHER_MAC_LEN bytes, read only); it may be
 * NULL, and then the blob's MAC is used. Returns the credential's length,
 * or a negative code: -TETHER_E_NO_MAC (the scheme needs a MAC and
 * neither the caller nor the blob has one), -TETHER_E_WRONG_MAC (the
 * blob was provisioned for another MAC: an image on the wrong board).
 */
int tether_identity_credential(const struct tether_identity *id,
    const uint8_t *mac, char out[TETHER_CREDENTIAL_MAX]);

/*
 * The client.
 *
 * A device configures a struct tether_config once (server, pins,
 * credential), gives each struct tether_client a transport and a record
 * buffer, and then calls tether_send() in its loop: the first call
 * connects, later calls reuse the connection, and a connection the server
 * dropped is reopened with TLS session resumption. Calls that can fail
 * return 0 or -1; after -1, tether_last_error() says which error and
 * tether_strerror() says it in a sentence. There is no call that turns
 * server verification off.
 *
 *	static struct tether_config cfg;
 *	static struct tether_client client;
 *	static struct tether_posix tcp;
 *	static unsigned char buf[TETHER_BUFSIZE_MIN];
 *	struct tether_transport t;
 *	int status;
 *
 *	tether_config_init(&cfg);
 *	tether_config_set_host(&cfg, "gw.example", 443);
 *	tether_config_add_pin(&cfg, TETHER_PIN_SPKI_SHA256, pin);
 *	tether_config_set_credential(&cfg, cred, strlen(cred));
 *	tether_posix_init(&tcp, &t, 10000, 5000);
 *	tether_client_init(&client, &cfg, &t, buf, sizeof buf);
 *	if (tether_send(&client, "{\"t\":21}", 8, &status) != 0)
 *		puts(tether_strerror(tether_last_error(&client)));
 */

/* Record buffer sizes. BearSSL needs room for one record and its
 * overhead (325 bytes in the worst case); the library uses the buffer
 * half-duplex (one request, then its answer), so one buffer of
 * TETHER_BUFSIZE(n) carries records of n bytes both ways. Under 16 KiB
 * the client asks the server for smaller records (max_fragment_length,
 * RFC 6066); a server that ignores it fails with
 * TETHER_E_RECORD_TOO_LARGE, whose detail names the size it needs. */
#define TETHER_RECORD_OVERHEAD	325
#define TETHER_BUFSIZE(record)	((record) + TETHER_RECORD_OVERHEAD)
#define TETHER_BUFSIZE_MIN	TETHER_BUFSIZE(512)	/* 837 */
#define TETHER_BUFSIZE_MAX	TETHER_BUFSIZE(16384)	/* 16709 */

#define TETHER_MAX_PINS		4	/* current key, backup, two for a move */
#if defined(TETHER_ALGS_ECDSA_P256)
#define TETHER_MAX_SPKI		96	/* a P-256 key's SPKI is 91 */
#else
#define TETHER_MAX_SPKI		560	/* a 4096-bit RSA key's SPKI is 550 */
#endif
#define TETHER_HTTP_LINE_MAX	96	/* the part of a header line looked at */
#define TETHER_HTTP_KEEP	96	/* body or Location kept for the detail */
#define TETHER_HTTP_HEAD_MAX	8192	/* a longer response head is refused */
#define TETHER_DETAIL_LEN	512	/* enough for every tether_error_detail */
#define TETHER_SESSION_SIZE	120	/* tether_session_save() blob */
#define TETHER_CN_MAX		48	/* subject common name kept for the detail */

/* Pin kinds. The hash is over exactly what the server sends: the leaf
 * certificate's DER, or the DER SubjectPublicKeyInfo inside it. */
enum tether_pin_kind {
	TETHER_PIN_SPKI_SHA256 = 0,	/* survives renewal with the same key */
	TETHER_PIN_CERT_SHA256 = 1,	/* changes at every renewal */
	TETHER_PIN_CERT_SHA1 = 2,	/* ESP8266 core setFingerprint() */
};

/*
 * Algorithms linked, chosen when libtether is compiled (docs/device-library.md
 * "Algorithm profiles" has each one's flash and RAM on the targets):
 *   (neither macro)            every algorithm of BearSSL's client: the
 *                              full suite list, both runtime profiles
 *   -DTETHER_ALGS_ECDSA_P256   one suite, ECDHE-ECDSA-AES128-GCM-SHA256,
 *                              P-256 and SHA-256 only, no RSA code;
 *                              TETHER_PROFILE_LEGACY_AXTLS is refused
 *                              (TETHER_E_BAD_PROFILE)
 *   -DTETHER_ALGS_RSA_KX       that, plus ECDHE-RSA-AES128-GCM-SHA256 and
 *                              RSA key exchange with AES-128-CBC (SHA-1,
 *                              SHA-256): TETHER_PROFILE_LEGACY_AXTLS then
 *                              offers the axTLS suites of its kind
 * Compile libtether's files (and link BearSSL) with -ffunction-sections and
 * --gc-sections so what the profile does not name is dropped.
 */
#if defined(TETHER_ALGS_ECDSA_P256) || defined(TETHER_ALGS_RSA_KX)
#define TETHER_ALGS_FULL	0
#else
#define TETHER_ALGS_FULL	1
#endif
/* The macro changes struct tether_client's size (ECDSA_P256 keeps room
 * for a P-256 key only), so the library and every file that includes this
 * header must agree: define it for the whole firmware. A mismatch fails
 * at link time, not at run time, through the init function's name. */
#if defined(TETHER_ALGS_ECDSA_P256)
#define tether_client_init	tether_client_init_ecdsa_p256
#elif defined(TETHER_ALGS_RSA_KX)
#define tether_client_init	tether_client_init_rsa_kx
#endif

/* Cipher suite profiles (TLS 1.2 only in both). */
enum tether_profile {
	/* BearSSL's full client list: ECDHE with AEAD first, RSA key
	 * exchange and CBC last. */
	TETHER_PROFILE_DEFAULT = 0,
	/* Exactly the four suites of axTLS-era firmware:
	 * TLS_RSA_WITH_AES_{128,256}_CBC_SHA{,256}. */
	TETHER_PROFILE_LEGACY_AXTLS = 1,
};

/* Log levels, as the ESP8266 core's debug levels: each includes the
 * previous. */
enum tether_log_level {
	TETHER_LOG_NONE = 0,
	TETHER_LOG_CORE = 1,	/* connect, handshake kind, each message */
	TETHER_LOG_SSL = 2,	/* record sizes, MFLN, suite, certificate */
	TETHER_LOG_SSL_MEM = 3,	/* and the RAM the client holds */
};

/* Called with one line of text (no newline, NUL-terminated, valid only
 * during the call); never with a secret in it. */
typedef void tether_log_fn(void *ctx, enum tether_log_level level,
    const char *line);

/*
 * The transport: how bytes reach the server. Callbacks, all given ctx:
 *
 *   - open(ctx, host, port): connect (resolve the name, TCP connect).
 *     Returns 0, or a negative value: -TETHER_E_DNS, -TETHER_E_REFUSED,
 *     -TETHER_E_CONNECT_TIMEOUT, -TETHER_E_UNREACHABLE to say which, or
 *     -1 when the transport cannot tell (reported as TETHER_E_CONNECT,
 *     never as a read or write failure). May be NULL when the caller
 *     connects ctx itself; a dropped connection is then not reopened.
 *   - read(ctx, buf, len): len is never 0. Returns the number of bytes
 *     read (1 to len; fewer than len is normal), 0 when the server closed
 *     the connection, or a negative value: -1, or -TETHER_E_IO_TIMEOUT,
 *     -TETHER_E_RESET.
 *   - write(ctx, buf, len): len is never 0. Returns the number of bytes
 *     written (1 to len: partial writes are allowed and the rest is sent
 *     by another call), or a negative value as read.
 *   - close(ctx): drop the connection; may be NULL. Called before every
 *     open after the first and by tether_close().
 *
 * A call blocks until it can return; time-outs are the transport's
 * business. The struct is copied by tether_client_init(); ctx is linked
 * in and must stay valid while the client is used.
 */
struct tether_transport {
	int	(*open)(void *ctx, const char *host, uint16_t port);
	int	(*read)(void *ctx, unsigned char *buf, size_t len);
	int	(*write)(void *ctx, const unsigned char *buf, size_t len);
	void	(*close)(void *ctx);
	void	*ctx;
};

struct tether_pin {
	const uint8_t	*hash;
	uint8_t		 kind;
};

struct tether_client;

struct tether_config {
	/* the small fields first: Thumb loads them in 16-bit instructions */
	uint16_t		 port;
	uint16_t		 err;		/* first setter error, sticky */
	uint8_t			 npins;
	uint8_t			 sni_set;
	uint8_t			 profile;
	uint8_t			 log_level;
	const char		*host;
	const char		*sni;
	const char		*credential;
	const char		*device;	/* NULL: any device id */
	const void		*entropy;
	tether_log_fn		*log;
	void			*log_ctx;
	/* the detail writer for log lines, set with the log: firmware that
	 * neither logs nor calls tether_error_detail() does not link it */
	char			*(*describe)(const struct tether_client *,
				    char *, size_t);
	size_t			 credential_len;
	size_t			 entropy_len;
	struct tether_pin	 pins[TETHER_MAX_PINS];
};

/* Sets every field to its default: no host, port 443, SNI = the host
 * name (even an IP literal, as the ESP8266 core does), no pins, no
 * credential, TETHER_PROFILE_DEFAULT, TETHER_LOG_NONE. */
void tether_config_init(struct tether_config *cfg);

/*
 * The setters return 0, or a TETHER_E_* code (there is no context to keep
 * it in yet); the first error is also kept in cfg and reported again by
 * tether_client_init(), so a sketch that ignores the return values still
 * learns what was wrong. Strings and hashes are linked in: they must stay
 * valid and unchanged while any client uses cfg (string literals and
 * const arrays in flash are the usual case).
 */

/* host: a DNS name or an IP literal, linked in; port: TCP port. */
int tether_config_set_host(struct tether_config *cfg, const char *host,
    uint16_t port);

/* The name sent as SNI, linked in; NULL sends no SNI at all. */
int tether_config_set_sni(struct tether_config *cfg, const char *name);

/* Adds a pin (hash linked in: 32 bytes, 20 for TETHER_PIN_CERT_SHA1). A
 * server is accepted when its leaf certificate matches any pin, so add the
 * current key's pin and the backup key's. At most TETHER_MAX_PINS. Pins
 * need no clock: they are the right choice for a device without one. */
int tether_config_add_pin(struct tether_config *cfg,
    enum tether_pin_kind kind, const uint8_t *hash);

/* Parses a pin written as text into out (32 bytes, 20 for SHA-1):
 * base64 as `tether serve` and curl print it ("sha256//" prefix
 * optional), or hex with or without colons (any case, "SHA256:" or
 * "SHA1:" prefix optional). Returns 0 or TETHER_E_BAD_PIN. */
int tether_pin_parse(enum tether_pin_kind kind, const char *text,
    size_t len, uint8_t out[32]);

/* The credential text the device sends (already derived with
 * tether_credential_derive() for the interleave and hmac schemes),
 * linked in. Visible ASCII only, shorter than TETHER_CREDENTIAL_MAX. */
int tether_config_set_credential(struct tether_config *cfg,
    const char *credential, size_t len);

int tether_config_set_profile(struct tether_config *cfg,
    enum tether_profile profile);

/* The device's id as the registry knows it ("d7k3-m9q2-x", as
 * `tether provision` named it; tether_identity_load() reads it), linked
 * in. Optional: when set, an answer counts as "stored" only if the
 * gateway names this device in it (see tether_send()). Visible ASCII,
 * shorter than TETHER_DEVICE_ID_MAX. */
int tether_config_set_device(struct tether_config *cfg, const char *id);

/* Log lines at level and below go to fn (NULL: none). ctx linked in. */
void tether_config_set_log(struct tether_config *cfg,
    enum tether_log_level level, tether_log_fn *fn, void *ctx);

/* Seed for BearSSL's random generator, linked in and mixed in at every
 * connection. Needed only where BearSSL has no OS source (bare metal):
 * there, without it, connecting fails with TETHER_E_NO_RANDOM. At least
 * 16 bytes from a hardware generator. */
int tether_config_set_entropy(struct tether_config *cfg, const void *seed,
    size_t len);

/* What the client knows about its work so far. */
struct tether_stats {
	uint32_t	handshakes_full;
	uint32_t	handshakes_resumed;
	uint32_t	messages;
	uint32_t	bytes_out;	/* TLS bytes written to the transport */
	uint32_t	bytes_in;	/* TLS bytes read from the transport */
	uint16_t	suite;		/* of the current or last connection */
	uint16_t	record_max;	/* largest record asked for (MFLN) */
};

/* The server's certificate, as the pin check saw it. */
struct tether_cert_info {
	uint8_t	spki_sha256[32];
	uint8_t	cert_sha256[32];
	uint8_t	cert_sha1[20];
	char	cn[TETHER_CN_MAX];	/* subject CN, "" if none */
	char	not_before[11];		/* "YYYY-MM-DD", "" if unknown */
	char	not_after[11];
	uint8_t	key_type;		/* BR_KEYTYPE_RSA, BR_KEYTYPE_EC, 0 */
	uint16_t key_bits;
	uint8_t	valid;			/* 1 once the leaf was read whole */
};

/* The pin check: a br_x509_class of its own (lib/pin.c), alive during
 * the handshake only. */
struct tether_pin_check {
	const br_x509_class		*vtable;
	const struct tether_config	*cfg;
	struct tether_cert_info		*info;
	br_sha1_context			 sha1;
	br_sha256_context		 sha256;
	br_x509_pkey			 pkey;
	uint32_t			 left;	/* bytes of the element */
	uint16_t			 cap_len;
	uint8_t				 hdr[6];
	uint8_t				 hdr_len;
	uint8_t				 level;
	uint8_t				 child;
	uint8_t				 state;
	uint8_t				 ncert;
	uint8_t				 err;	/* TETHER_E_* - 300 */
	unsigned char			 cap[TETHER_MAX_SPKI];
};

/*
 * Trust anchors, for devices with a clock (lib/anchor.c). The chain the
 * server sends is checked by BearSSL's br_x509_minimal: it must lead to
 * one of the anchors, every certificate must be valid at the device's
 * time, and the leaf must carry the server's name (the SNI, or the host
 * when no SNI is sent; DNS names only: BearSSL matches no IP address).
 * When pins are configured too, both checks must pass: pin AND chain.
 * There is still no way to turn verification off.
 *
 * The minimal context is about 3 KiB, so it lives in this struct, which
 * only firmware that uses anchors declares and gives to its client with
 * tether_client_set_trust_anchors(): a pin-only device pays one pointer
 * in struct tether_client for the feature, and links none of its code.
 */
struct tether_anchor_ctx {
	const br_x509_class		*vtable;	/* pin AND chain */
	uint8_t				 time_set;	/* near the top: a short */
							/* load in tether_connect() */
	uint32_t			 days;		/* since 1 Jan 0 AD */
	uint32_t			 seconds;	/* since midnight UTC */
	struct tether_pin_check		*pin;		/* the client's */
	const struct tether_config	*cfg;
	const br_x509_trust_anchor	*tas;
	size_t				 ntas;
	br_x509_minimal_context		 minimal;
};

/* Days from 1 January 0 AD (proleptic Gregorian, as BearSSL counts) to
 * 1 January 1970: a Unix time t is day t / 86400 + this, second
 * t % 86400. */
#define TETHER_DAYS_TO_UNIX_EPOCH	719528u
#define TETHER_SECONDS_PER_DAY		86400u

/* The response parser (lib/http.c), alive while an answer is read; its
 * kept body (keep) is the answer's detail until the next connection. */
struct tether_http {
	uint32_t	chunk_left;	/* 32 bits: smaller code on a */
	uint32_t	body_left;	/* 32-bit MCU; no answer is 4 GB */
	uint32_t	head_len;
	uint16_t	status;
	uint16_t	retry_after;
	uint16_t	line_len;
	uint16_t	keep_len;
	uint8_t		state;
	uint8_t		flags;
	uint8_t		reason;
	uint8_t		named;		/* X-Tether-Device: 1 device, 2 other */
	char		line[TETHER_HTTP_LINE_MAX];
	char		keep[TETHER_HTTP_KEEP];
	/* a command (X-Tether-Command) streams its body into cmd_buf */
	uint64_t	cmd_id;		/* 0: none */
	int		(*header)(struct tether_http *, const char *, size_t,
			    const char *, size_t);	/* NULL: no commands */
	unsigned char	*cmd_buf;
	const char	*device;	/* the id X-Tether-Device must name */
	uint16_t	cmd_cap;
	uint16_t	cmd_len;
};

struct tether_client {
	br_ssl_client_context		 ssl;
	const struct tether_config	*cfg;
	struct tether_anchor_ctx	*anchor;	/* NULL: pins only */
	unsigned char			*buf;
	size_t				 buf_len;
	struct tether_transport		 io;
	union {
		struct tether_pin_check	 pin;
		struct tether_http	 http;
	} u;
	struct tether_cert_info		 cert;
	struct tether_stats		 stats;
	uint64_t			 seq;
	int				 err;		/* sticky TETHER_E_* */
	int				 br_err;	/* BearSSL's code */
	int				 sys;		/* detail number */
	uint16_t			 status;	/* last HTTP status */
	uint16_t			 retry_after;
	uint8_t				 connected;
	uint8_t				 seq_set;
	uint8_t				 resumed;
	uint8_t				 have_session;
	uint8_t				 http_reason;
	uint8_t				 quiet;		/* errors not logged */
	/* commands (tether_client_set_command_buffer()) */
	uint16_t			 cmd_cap;	/* 0: none taken */
	uint16_t			 cmd_len;
	uint8_t				 cmd_ready;	/* not handed over yet */
	int				(*cmd)(struct tether_client *, int,
					    int *);	/* NULL: no commands */
	unsigned char			*cmd_buf;
	uint64_t			 cmd_id;	/* of the last answer */
	uint64_t			 ack;		/* being acknowledged */
};

/* The RAM budget: client and config with a TETHER_BUFSIZE_MIN buffer stay
 * under 6 KiB on x86-64 (BearSSL's context alone is 3720 bytes there). */
#define TETHER_CLIENT_BUDGET	(6144 - TETHER_BUFSIZE_MIN - 256)
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct tether_client) <= TETHER_CLIENT_BUDGET,
    "struct tether_client outgrew its RAM budget");
_Static_assert(sizeof(struct tether_config) <= 256,
    "struct tether_config outgrew its RAM budget");
#else
typedef char tether_client_budget[
    sizeof(struct tether_client) <= TETHER_CLIENT_BUDGET ? 1 : -1];
#endif

/* Prepares client. cfg is linked in (valid while client is used); the
 * transport struct is copied (its ctx is linked in); buf (len bytes, at
 * least TETHER_BUFSIZE_MIN; bytes past TETHER_BUFSIZE_MAX are not used) is
 * linked in and the caller keeps it available while client is used.
 * Returns 0, or -1 with the error in client (a bad argument, or the first
 * error a setter reported). Does not connect. */
int tether_client_init(struct tether_client *client,
    const struct tether_config *cfg, const struct tether_transport *io,
    unsigned char *buf, size_t len);

/*
 * Trust anchors (see struct tether_anchor_ctx above), after
 * tether_client_init(). tas (n anchors, as BearSSL's `brssl ta` writes
 * them; several clients may share them) and ac (the chain check's work
 * area, one per client) are linked in: they must stay valid, tas
 * unchanged, while client is used. ac is cleared, so any time set before
 * is forgotten. From then on pins are optional, and
 * tether_client_set_time() must be called before connecting. Returns 0,
 * or -1 with TETHER_E_BAD_ARG (ac or tas NULL, n 0).
 */
int tether_client_set_trust_anchors(struct tether_client *client,
    struct tether_anchor_ctx *ac, const br_x509_trust_anchor *tas,
    size_t n);

/*
 * The device's time, UTC: days since 1 January 0 AD and seconds since
 * midnight (see TETHER_DAYS_TO_UNIX_EPOCH). Set it once the clock is
 * known (NTP, an RTC) and again before connecting whenever it may have
 * moved on. Until it is set, connecting with anchors fails with
 * TETHER_E_CLOCK_NOT_SET, whatever the certificate: a device does not
 * guess the date. Returns 0, or -1 with TETHER_E_NO_ANCHORS (the client
 * has no anchors: pins need no time) or TETHER_E_BAD_ARG (days 0,
 * seconds not under TETHER_SECONDS_PER_DAY).
 */
int tether_client_set_time(struct tether_client *client, uint32_t days,
    uint32_t seconds);

/* Opens the connection and does the TLS handshake (resumed when a session
 * is known), unless one is open. tether_send() calls it as needed; call it
 * to connect ahead of time or to see a handshake error early. 0 or -1. */
int tether_connect(struct tether_client *client);

/*
 * POSTs body (len bytes, read only, not kept) to /v1/messages with the
 * configured credential, and X-Tether-Seq when a sequence number is set;
 * reads the answer and stores its status in *status (may be NULL).
 * Returns 0 when the gateway stored the message, else -1:
 * tether_last_error() names the cause, and *status holds the HTTP status
 * when there was one. Stored means the gateway's own answer
 * (docs/protocol.md): 201, or 200 for a repeat of a stored sequence
 * number, with a body that opens {"stored":true, and names the device
 * ("device":"<id>", the configured id when tether_config_set_device()
 * was called). With a command buffer (below) an answer that carries a
 * command is stored too when it names the device in X-Tether-Device (the
 * configured id when there is one); its body is the command. Any other
 * 2xx (an empty 200 from another web server, a proxy's page) stored
 * nothing: TETHER_E_NOT_GATEWAY.
 *
 * The connection is reused for the next call. If the server dropped it
 * since the last message (idle time-out, restart), the message is sent
 * again once on a new connection; X-Tether-Seq makes that safe. Only the
 * outcome is reported (and logged): a drop that the new connection cures
 * is no error.
 * After a success the sequence number, when set, goes up by one.
 */
int tether_send(struct tether_client *client, const void *body, size_t len,
    int *status);

/* Sets the X-Tether-Seq of the next message. Keep it across reboots (the
 * session blob carries it), or the gateway takes a new message for a
 * repeat of an old one. Without this call no X-Tether-Seq is sent. */
void tether_set_seq(struct tether_client *client, uint64_t seq);
uint64_t tether_seq(const struct tether_client *client);

/*
 * Commands to the device (docs/device-library.md, "Commands"). The
 * gateway keeps the commands an application queued for a device and puts
 * the oldest in the answer to the device's next message: no extra round
 * trip and no open socket, so a device that sleeps between messages gets
 * them too.
 *
 * tether_client_set_command_buffer() gives the client buf (len bytes,
 * linked in: the caller keeps it while client is used) for the payloads.
 * From then on every message says so (X-Tether-Commands: len, at most
 * 65535 counted), and the gateway sends only commands that fit; an answer
 * whose command is larger all the same fails with TETHER_E_BAD_RESPONSE.
 * buf NULL and len 0 turn commands off again (an ack still owed is still
 * sent). Firmware that never calls this links none of the command code
 * and sends no ack, not even one a restored session blob holds. Returns
 * 0, or -1 with TETHER_E_BAD_ARG (buf NULL, len not 0).
 */
int tether_client_set_command_buffer(struct tether_client *client,
    unsigned char *buf, size_t len);

struct tether_command {
	uint64_t		 id;		/* 1 to 10^18 - 1 */
	const unsigned char	*payload;	/* in the command buffer */
	size_t			 len;		/* may be 0 */
};

/*
 * After a tether_send() that returned 0: returns 1 and fills *cmd when
 * that answer brought a command (the payload stays valid in the command
 * buffer until the next tether_send()), 0 when it brought none or the
 * command was handed over already. A command handed over is acknowledged
 * by the next message (X-Tether-Command-Ack), and again by each message
 * after it until one is stored: a 503 or a lost answer loses no ack. Take
 * the command after every successful send: one that was not taken is not
 * acknowledged and the gateway delivers it again. An answer that repeats
 * the command being acknowledged is not handed over twice; still, treat
 * commands as at-least-once (a device that lost its RAM and no session
 * blob kept the ack gets the command again) and act on the id. The ack
 * is kept in the session blob, so it survives deep sleep.
 */
int tether_command(struct tether_client *client, struct tether_command *cmd);

/* The id of the command being acknowledged (handed over, its ack not yet
 * in a stored message), 0 if none. */
uint64_t tether_command_ack(const struct tether_client *client);

/* Closes the connection (close_notify, then the transport's close). The
 * TLS session is kept, so the next connection resumes. */
void tether_close(struct tether_client *client);

/* Forgets the TLS session (and wipes its master secret). */
void tether_session_forget(struct tether_client *client);

/*
 * Session blob for deep sleep: tether_session_save() writes
 * TETHER_SESSION_SIZE bytes into blob (the session of the last connection,
 * the sequence number, the command being acknowledged, a check of the
 * server it belongs to and of the blob itself), returns 0, or -1 when
 * there is no session to save. A blob of the previous layout (112 bytes,
 * before commands) is still restored.
 * tether_session_restore() reads such a blob into a client made with the
 * same host, port and pins; returns 0, or -1 when the blob is damaged or
 * belongs to another server (then a full handshake happens: nothing is
 * lost). The blob holds the session's master secret: keep it where the
 * firmware keeps its credential (RTC memory is fine), never send it.
 * Lifetime: a blob is useful as long as the server keeps the session
 * (the gateway: 24 hours); a stale blob costs one full handshake.
 */
int tether_session_save(struct tether_client *client,
    uint8_t blob[TETHER_SESSION_SIZE]);
int tether_session_restore(struct tether_client *client,
    const uint8_t blob[TETHER_SESSION_SIZE]);

/* Statistics and the last certificate seen (copies). */
void tether_stats(const struct tether_client *client,
    struct tether_stats *out);
int tether_resumed(const struct tether_client *client);

/*
 * Errors: a sticky code in ranges by layer. tether_strerror() and
 * tether_strerror_copy() (their strings live in lib/strerror.c, linked
 * only if called; in flash on the ESP8266, below) give one sentence per
 * code: the cause, which side caused it, and what to do.
 * tether_error_detail() writes the particulars of the last error (pins
 * expected and received, the alert's name, the buffer size the server
 * needs, the HTTP status and body) into buf, NUL-terminated and cut to
 * len; TETHER_DETAIL_LEN is always enough. It returns buf.
 */
enum tether_error {
	TETHER_OK = 0,
	/* 1..99: the caller's configuration or call */
	TETHER_E_BAD_ARG = 1,
	TETHER_E_NO_HOST = 2,
	TETHER_E_NO_PIN = 3,
	TETHER_E_BAD_PIN = 4,
	TETHER_E_TOO_MANY_PINS = 5,
	TETHER_E_NO_CREDENTIAL = 6,
	TETHER_E_BAD_CREDENTIAL = 7,
	TETHER_E_BUFFER_SMALL = 8,
	TETHER_E_NO_TRANSPORT = 9,
	TETHER_E_NO_REOPEN = 10,
	TETHER_E_NO_SESSION = 11,
	TETHER_E_BAD_SESSION = 12,
	TETHER_E_OTHER_SESSION = 13,
	TETHER_E_BAD_PROFILE = 14,
	TETHER_E_NO_ANCHORS = 15,
	TETHER_E_BAD_IDENTITY = 16,
	TETHER_E_IDENTITY_VERSION = 17,
	TETHER_E_NO_MAC = 18,
	TETHER_E_WRONG_MAC = 19,
	/* 100..199: the transport */
	TETHER_E_DNS = 100,
	TETHER_E_REFUSED = 101,
	TETHER_E_CONNECT_TIMEOUT = 102,
	TETHER_E_UNREACHABLE = 103,
	TETHER_E_IO_TIMEOUT = 104,
	TETHER_E_RESET = 105,
	TETHER_E_CLOSED = 106,
	TETHER_E_TRANSPORT = 107,
	TETHER_E_CONNECT = 108,
	/* 200..299: TLS */
	TETHER_E_ALERT = 200,
	TETHER_E_NO_COMMON_SUITE = 201,
	TETHER_E_PROTOCOL_VERSION = 202,
	TETHER_E_RECORD_TOO_LARGE = 203,
	TETHER_E_BAD_MAC = 204,
	TETHER_E_TLS = 205,
	TETHER_E_NO_RANDOM = 206,
	TETHER_E_SERVER_BAD_CHOICE = 207,
	/* 300..399: the server's identity */
	TETHER_E_PIN_MISMATCH = 300,
	TETHER_E_CERT_MALFORMED = 301,
	TETHER_E_KEY_UNSUPPORTED = 302,
	TETHER_E_KEY_TOO_LARGE = 303,
	TETHER_E_NO_CERT = 304,
	TETHER_E_CLOCK_NOT_SET = 305,
	TETHER_E_CERT_EXPIRED = 306,
	TETHER_E_CERT_NOT_YET_VALID = 307,
	TETHER_E_UNKNOWN_ISSUER = 308,
	TETHER_E_NAME_MISMATCH = 309,
	TETHER_E_CHAIN_REJECTED = 310,
	/* 400..499: the HTTP answer */
	TETHER_E_UNAUTHORIZED = 400,
	TETHER_E_REDIRECT = 401,
	TETHER_E_REFUSED_REQUEST = 402,
	TETHER_E_RETRY_LATER = 403,
	TETHER_E_HTTP_STATUS = 404,
	TETHER_E_BAD_RESPONSE = 405,
	TETHER_E_NO_RESPONSE = 406,
	TETHER_E_NOT_GATEWAY = 407,
};

/*
 * The sentences on the ESP8266. There the chip reads flash only in aligned
 * 32-bit words and the Arduino core puts every other constant in its
 * scarce data RAM (80 KiB, shared with the Wi-Fi stack): 8.3 KiB of
 * sentences would sit there. With TETHER_FLASH_STRINGS (on by default
 * where ESP8266 or ARDUINO_ARCH_ESP8266 is defined; -DTETHER_FLASH_STRINGS=0
 * or =1 overrides) the table lives in flash instead (the section the core's
 * PROGMEM uses), each sentence in a TETHER_STRERROR_LEN slot so that it
 * starts on a word, and is read only with aligned 32-bit loads:
 *
 * tether_strerror_copy() copies code's sentence into buf, NUL-terminated
 * and cut to len (TETHER_STRERROR_LEN is always enough), and returns buf:
 * the same on every target, no RAM but the caller's buffer, safe in any
 * task. tether_strerror() keeps its contract everywhere; with
 * TETHER_FLASH_STRINGS it copies into one static buffer of
 * TETHER_STRERROR_LEN bytes (linked only with the call; the next call
 * overwrites it: the one global of the library, so RTOS tasks use
 * tether_strerror_copy()). Without TETHER_FLASH_STRINGS it returns the
 * constant itself.
 */
#define TETHER_STRERROR_LEN	300	/* longest sentence + NUL, rounded up to 4 */
#ifndef TETHER_FLASH_STRINGS
#if defined(ESP8266) || defined(ARDUINO_ARCH_ESP8266)
#define TETHER_FLASH_STRINGS	1
#else
#define TETHER_FLASH_STRINGS	0
#endif
#endif

int tether_last_error(const struct tether_client *client);
const char *tether_strerror(int code);
char *tether_strerror_copy(int code, char *buf, size_t len);
char *tether_error_detail(const struct tether_client *client, char *buf,
    size_t len);
/* The certificate the last full handshake saw (valid == 0 if none). */
const struct tether_cert_info *tether_cert(const struct tether_client *client);

/*
 * The POSIX socket transport (lib/posix.c): getaddrinfo, a non-blocking
 * connect bounded by connect_ms, then reads and writes each bounded by
 * io_ms. tether_posix_init() fills *io with callbacks whose ctx is sock
 * (linked in); nothing is opened until the client connects.
 */
struct tether_posix {
	int	fd;
	int	connect_ms;
	int	io_ms;
	int	sys;	/* errno or getaddrinfo code of the last failure */
};

void tether_posix_init(struct tether_posix *sock, struct tether_transport *io,
    int connect_ms, int io_ms);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_H */
