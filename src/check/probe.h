/* SPDX-License-Identifier: MIT */
/*
 * probe.h - one TLS 1.2 handshake as a device stack would make it, on
 * BearSSL configured from a chk_profile (suites, versions, buffers and so
 * max_fragment_length), optionally followed by one HTTP request: what the
 * server answered, in numbers and in words. For `tether check`.
 */
#ifndef CHK_PROBE_H
#define CHK_PROBE_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#include "check/fetch.h"
#include "check/profile.h"
#include "check/wire.h"
#include "check/x509_recorder.h"

#define CHK_HEAD_KEEP	16384	/* response head bytes read and kept */
#define CHK_LOCATION_MAX	256
#define CHK_AUTH_MAX	64	/* WWW-Authenticate bytes kept, NUL */

/* What one handshake should offer; zero fields take the profile's. */
struct chk_probe_opts {
	const struct chk_profile	*profile;
	const uint16_t	*suites;	/* NULL: the profile's */
	size_t		 nsuites;
	unsigned	 vmin, vmax;	/* 0: the profile's */
	const char	*sni;		/* NULL: none */
	unsigned	 mfln;		/* 512..4096: buffers sized to ask for
					   it; 0: the profile's buffers */
	const br_ssl_session_parameters *resume;	/* offer this session */
	int		 hello_only;	/* stop at the ServerHello */
	const char	*request;	/* an HTTP request to send after */
	struct chk_x509_recorder *rec;	/* where the chain goes, or NULL */
	const char	*ca_file;	/* the device's CAs (PEM): mbedTLS
					   verifies against them, or NULL */
	long long	 http_deadline;	/* chk_now_ms() by which the answer
					   must have come; 0: the handshake's */
};

struct chk_probe {
	int		 done;		/* the handshake completed */
	enum chk_fail	 fail;		/* network failures; CHK_OK else */
	char		 err[CHK_ERR_LEN];	/* why it did not complete */
	int		 br_err;	/* BearSSL's error code, 0 none */
	int		 mbed_err;	/* mbedTLS's (negative), 0 none */
	int		 chain_too_big;	/* the Certificate message did not
					   fit the stack's input buffer */
	int		 alert;		/* fatal alert the server sent, or -1 */
	int		 closed;	/* the server closed without an alert */
	struct chk_wire	 wire;		/* what it sent in the clear */
	unsigned	 version;
	uint16_t	 suite;
	int		 resumed;
	br_ssl_session_parameters session;
	long		 ms;		/* time taken */
	/* HTTP, when a request was given */
	int		 http_done;	/* a whole head was read */
	int		 status;
	int		 http_minor;	/* HTTP/1.x */
	size_t		 head_len;
	int		 head_too_big;	/* more than CHK_HEAD_KEEP */
	int		 conn_close;	/* "Connection: close" */
	char		 location[CHK_LOCATION_MAX];
	char		 content_location[CHK_LOCATION_MAX];
	char		 www_auth[CHK_AUTH_MAX];	/* WWW-Authenticate */
	char		 http_err[CHK_ERR_LEN];
	int		 http_timeout;	/* no answer by the deadline */
	/* the chain verified as the device does (ca_file given) */
	int		 ca_checked;
	uint32_t	 ca_flags;	/* mbedTLS's MBEDTLS_X509_BADCERT_* */
	char		 ca_why[CHK_ERR_LEN];	/* its words for them */
};

/*
 * Connects to an address of ai (t's timeout for the connection and again
 * for the handshake and the exchange), handshakes as o says and fills
 * out. Returns 0 when the handshake completed (or, with hello_only, when
 * the server answered with a ServerHello); -1 otherwise, with out->fail
 * (network or local failures) or out->alert / out->br_err set and a
 * sentence in out->err.
 */
int chk_probe_run(const struct chk_target *t, const struct addrinfo *ai,
    const struct chk_probe_opts *o, struct chk_probe *out);

/* Reads an HTTP/1.x response head (status, Location, Content-Location,
 * WWW-Authenticate, Connection) into out's HTTP fields; head holds len bytes and a NUL
 * after them. */
void chk_http_head_parse(struct chk_probe *out, const char *head,
    size_t len);

/* A BearSSL error code in words ("the server's key is not one BearSSL can
 * use"). */
const char *chk_br_error_text(int err);
/* An alert number's name ("unrecognized_name"). */
const char *chk_alert_name(int desc);

#endif
