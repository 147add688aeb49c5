/* SPDX-License-Identifier: MIT */
/*
 * tls_error.c - why a handshake failed, in one line with the side that
 * caused it and what to try: alerts, suites the client offered, plain
 * HTTP on the TLS port, a socket that closed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "gateway/tls_int.h"

#define GW_ERR_LIST_MAX		4	/* suites named in a handshake error */

static const char *
version_name(int v)
{
	switch (v) {
	case SSL2_VERSION:
		return "SSL 2";
	case SSL3_VERSION:
		return "SSL 3";
	case TLS1_VERSION:
		return "TLS 1.0";
	case TLS1_1_VERSION:
		return "TLS 1.1";
	case TLS1_2_VERSION:
		return "TLS 1.2";
	case TLS1_3_VERSION:
		return "TLS 1.3";
	default:
		return "an unknown version";
	}
}

/* What an alert from the client usually means, as advice to the operator. */
static const char *
alert_hint(int desc)
{
	switch (desc) {
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNKNOWN_CA:
		return " (the client rejected the server's certificate: a pin "
		    "that no longer matches, or a CA it does not trust)";
	case SSL_AD_CERTIFICATE_EXPIRED:
		return " (the client finds the certificate expired or not yet "
		    "valid: is its clock set?)";
	case SSL_AD_HANDSHAKE_FAILURE:
		return " (the client accepts nothing the server chose: suite, "
		    "group or signature)";
	case SSL_AD_PROTOCOL_VERSION:
		return " (the client does not accept the server's TLS version)";
	case SSL_AD_DECODE_ERROR:
	case SSL_AD_ILLEGAL_PARAMETER:
		return " (the client could not parse the server's messages: "
		    "a certificate chain too big for its buffer, or a TLS bug)";
	case SSL_AD_INTERNAL_ERROR:
		return " (a failure inside the client, often out of memory)";
	default:
		return "";
	}
}

static int
has_kx(STACK_OF(SSL_CIPHER) *sk, int kx)
{
	int i;

	for (i = 0; sk != NULL && i < sk_SSL_CIPHER_num(sk); i++)
		if (SSL_CIPHER_get_kx_nid(sk_SSL_CIPHER_value(sk, i)) == kx)
			return 1;
	return 0;
}

static int
has_cipher(STACK_OF(SSL_CIPHER) *sk, const SSL_CIPHER *c)
{
	int i;

	for (i = 0; sk != NULL && i < sk_SSL_CIPHER_num(sk); i++)
		if (SSL_CIPHER_get_id(sk_SSL_CIPHER_value(sk, i)) ==
		    SSL_CIPHER_get_id(c))
			return 1;
	return 0;
}

/* "AES128-SHA, AES256-SHA and 3 more", the suites of sk, short. */
static void
list_suites(STACK_OF(SSL_CIPHER) *sk, char *buf, size_t len)
{
	size_t used = 0;
	int i, n = sk_SSL_CIPHER_num(sk);

	buf[0] = '\0';
	for (i = 0; i < n && i < GW_ERR_LIST_MAX && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    i > 0 ? ", " : "",
		    SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)));
	if (n > GW_ERR_LIST_MAX && used < len)
		snprintf(buf + used, len - used, " and %d more",
		    n - GW_ERR_LIST_MAX);
}

/*
 * No shared cipher, with what the client did offer: a device offering
 * only RSA key exchange needs the legacy profile; one that shares suites
 * with the profile lacks a certificate of the kind those suites need.
 */
static void
no_shared_cipher(SSL *ssl, char *buf, size_t len)
{
	STACK_OF(SSL_CIPHER) *client = SSL_get_client_ciphers(ssl);
	STACK_OF(SSL_CIPHER) *server = SSL_get_ciphers(ssl);
	char offered[GW_TLS_ERR_LEN];
	int i, shared = 0;

	if (client == NULL || sk_SSL_CIPHER_num(client) == 0) {
		snprintf(buf, len, "no shared cipher: the client offered none "
		    "of this profile's suites (is it an old device? try "
		    "--profile legacy-esp8266)");
		return;
	}
	for (i = 0; i < sk_SSL_CIPHER_num(client); i++)
		if (has_cipher(server, sk_SSL_CIPHER_value(client, i)))
			shared = 1;
	list_suites(client, offered, sizeof(offered));
	if (shared)
		snprintf(buf, len, "no shared cipher: the suites the client "
		    "shares with this profile need a certificate type this "
		    "name lacks (add an RSA or ECDSA --cert/--key; client "
		    "offered %s)", offered);
	else if (has_kx(client, NID_kx_rsa) && !has_kx(server, NID_kx_rsa))
		snprintf(buf, len, "no shared cipher: the client offered none "
		    "of this profile's suites, only RSA key exchange like %s "
		    "(is it an old device? try --profile legacy-esp8266)",
		    offered);
	else
		snprintf(buf, len, "no shared cipher: the client offered none "
		    "of this profile's suites (it offered %s)", offered);
}

static enum gw_hs_fail
ssl_reason(SSL *ssl, unsigned long e, char *buf, size_t len)
{
	int reason = ERR_GET_REASON(e);
	const char *s;

	if (ERR_GET_LIB(e) == ERR_LIB_SYS) {
		snprintf(buf, len, "socket error during the handshake: %s",
		    strerror(reason));
		return reason == ECONNRESET || reason == EPIPE ? GW_HS_CLOSED :
		    GW_HS_OTHER;
	}
	if (ERR_GET_LIB(e) == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET &&
	    reason < SSL_AD_REASON_OFFSET + 256) {
		int desc = reason - SSL_AD_REASON_OFFSET;

		snprintf(buf, len, "client sent alert: %s%s",
		    SSL_alert_desc_string_long(desc), alert_hint(desc));
		return GW_HS_CLIENT_ALERT;
	}
	if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
		switch (reason) {
		case SSL_R_NO_SHARED_CIPHER:
			no_shared_cipher(ssl, buf, len);
			return GW_HS_NO_SHARED_CIPHER;
		case SSL_R_HTTP_REQUEST:
			snprintf(buf, len, "client spoke plain HTTP to the TLS "
			    "port (use https://)");
			return GW_HS_NOT_TLS;
		case SSL_R_HTTPS_PROXY_REQUEST:
			snprintf(buf, len, "client sent an HTTP proxy CONNECT "
			    "to the TLS port (it takes the gateway for a "
			    "proxy)");
			return GW_HS_NOT_TLS;
		case SSL_R_UNSUPPORTED_PROTOCOL:
		case SSL_R_VERSION_TOO_LOW:
			snprintf(buf, len, "unsupported protocol version: the "
			    "client offered only %s; the gateway needs TLS 1.2 "
			    "or later", version_name(SSL_client_version(ssl)));
			return GW_HS_PROTOCOL_VERSION;
		case SSL_R_WRONG_VERSION_NUMBER:
		case SSL_R_PACKET_LENGTH_TOO_LONG:
		case SSL_R_UNKNOWN_PROTOCOL:
			snprintf(buf, len, "client did not speak TLS: its "
			    "first bytes are not a TLS record (%s)",
			    ERR_reason_error_string(e));
			return GW_HS_NOT_TLS;
		case SSL_R_UNEXPECTED_EOF_WHILE_READING:
			snprintf(buf, len, "client closed the connection "
			    "during the handshake");
			return GW_HS_CLOSED;
		case SSL_R_NO_SHARED_GROUPS:
		case SSL_R_NO_SUITABLE_KEY_SHARE:
			snprintf(buf, len, "no shared group: the client "
			    "offered none of the key exchange groups %s",
			    GW_GROUPS);
			return GW_HS_NO_SHARED_GROUP;
		case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
		case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
			snprintf(buf, len, "no shared signature algorithm: the "
			    "client accepts no signature the server's key can "
			    "make");
			return GW_HS_NO_SHARED_SIGNATURE;
		case SSL_R_INAPPROPRIATE_FALLBACK:
			snprintf(buf, len, "client retried with a lower TLS "
			    "version after a failed attempt (inappropriate "
			    "fallback): an earlier handshake failed, or "
			    "something on the path interferes");
			return GW_HS_OTHER;
		case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
			snprintf(buf, len, "client's record failed "
			    "authentication (bad record MAC): data damaged on "
			    "the path, or a client TLS bug");
			return GW_HS_OTHER;
		}
	}
	s = ERR_reason_error_string(e);
	if (s != NULL)
		snprintf(buf, len, "handshake failed: %s", s);
	else
		snprintf(buf, len, "handshake failed: OpenSSL error %lx", e);
	return GW_HS_OTHER;
}

/*
 * The entry of this thread's queue that names the cause: a system error
 * if there is one, else the earliest TLS entry (later ones only relay
 * it), else the earliest of all. Takes the entries off the queue.
 */
static unsigned long
first_cause(void)
{
	unsigned long e, first = 0, sys = 0, ssl = 0;

	while ((e = ERR_get_error()) != 0) {
		if (first == 0)
			first = e;
		if (sys == 0 && ERR_GET_LIB(e) == ERR_LIB_SYS)
			sys = e;
		if (ssl == 0 && ERR_GET_LIB(e) == ERR_LIB_SSL)
			ssl = e;
	}
	if (sys != 0)
		return sys;
	return ssl != 0 ? ssl : first;
}

enum gw_hs_fail
gw_tls_handshake_error(SSL *ssl, int ret, char *buf, size_t len)
{
	int saved = errno, kind;
	enum gw_hs_fail cls = GW_HS_OTHER;
	unsigned long e;
	char scratch[GW_TLS_ERR_LEN];

	if (buf == NULL || len == 0) {	/* the class alone */
		buf = scratch;
		len = sizeof(scratch);
	}
	kind = SSL_get_error(ssl, ret);
	e = first_cause();
	ERR_clear_error();

	switch (kind) {
	case SSL_ERROR_NONE:
		snprintf(buf, len, "handshake did not fail");
		break;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(buf, len, "client closed the connection during the "
		    "handshake");
		cls = GW_HS_CLOSED;
		break;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		snprintf(buf, len, "handshake not finished: it waits for the "
		    "socket");
		break;
	case SSL_ERROR_SYSCALL:
		cls = GW_HS_CLOSED;
		if (e != 0)
			cls = ssl_reason(ssl, e, buf, len);
		else if (ret == 0 || saved == 0)
			snprintf(buf, len, "client closed the connection "
			    "during the handshake");
		else if (saved == ECONNRESET)
			snprintf(buf, len, "client reset the connection during "
			    "the handshake");
		else if (saved == EPIPE)
			snprintf(buf, len, "client went away while the server "
			    "was answering its hello");
		else {
			snprintf(buf, len, "socket error during the handshake: "
			    "%s", strerror(saved));
			cls = GW_HS_OTHER;
		}
		break;
	case SSL_ERROR_SSL:
		if (e != 0)
			cls = ssl_reason(ssl, e, buf, len);
		else
			snprintf(buf, len, "handshake failed, and OpenSSL "
			    "recorded no reason");
		break;
	default:
		snprintf(buf, len, "handshake stopped: OpenSSL wants an "
		    "operation the gateway does not use (SSL_get_error %d)",
		    kind);
		break;
	}
	return cls;
}
