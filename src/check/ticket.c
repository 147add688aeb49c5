/* SPDX-License-Identifier: MIT */
/*
 * ticket.c - session-ticket resumption on OpenSSL, TLS 1.2 only (what an
 * mbedTLS device does with MBEDTLS_SSL_SESSION_TICKETS): two connections,
 * the second offering the first's ticket and no session id.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "check/ticket.h"

/* One handshake; *sess in is offered, out is the new session. */
static int
ticket_handshake(SSL_CTX *ctx, const struct chk_target *t,
    const struct addrinfo *ai, SSL_SESSION **sess, int *reused,
    char *err)
{
	struct chk_fetch conn;
	struct timeval tv;
	SSL *ssl = NULL;
	int fd, rc = -1, fl;

	memset(&conn, 0, sizeof(conn));
	if ((fd = chk_connect(t, ai, &conn)) < 0) {
		snprintf(err, CHK_ERR_LEN, "%s", conn.err);
		return -1;
	}
	/* Blocking from here, bounded by the time-out. */
	if ((fl = fcntl(fd, F_GETFL)) >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	tv.tv_sec = t->timeout_ms / 1000;
	tv.tv_usec = (t->timeout_ms % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		snprintf(err, CHK_ERR_LEN, "out of memory");
		goto out;
	}
	if (t->sni != NULL)
		(void)SSL_set_tlsext_host_name(ssl, t->sni);
	if (*sess != NULL)
		SSL_set_session(ssl, *sess);
	if (SSL_connect(ssl) != 1) {
		unsigned long e = ERR_peek_error();

		snprintf(err, CHK_ERR_LEN, "the TLS 1.2 handshake on OpenSSL "
		    "failed: %s", e ? ERR_reason_error_string(e) :
		    "the server closed the connection");
		goto out;
	}
	*reused = SSL_session_reused(ssl);
	/* The ticket comes before the Finished in TLS 1.2: it is here. */
	SSL_SESSION_free(*sess);
	*sess = SSL_get1_session(ssl);
	(void)SSL_shutdown(ssl);
	rc = 0;
out:
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	return rc;
}

int
chk_ticket_probe(const struct chk_target *t, const struct addrinfo *ai,
    struct chk_ticket *out)
{
	SSL_CTX *ctx;
	SSL_SESSION *sess = NULL;
	int reused = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(out->err, CHK_ERR_LEN, "out of memory");
		return -1;
	}
	SSL_CTX_set_security_level(ctx, 0);
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	(void)SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	(void)SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);

	if (ticket_handshake(ctx, t, ai, &sess, &reused, out->err) != 0)
		goto out;
	out->issued = sess != NULL && SSL_SESSION_has_ticket(sess);
	if (!out->issued) {
		snprintf(out->err, CHK_ERR_LEN, "the server sent no session "
		    "ticket");
		rc = 0;
		goto out;
	}
	out->lifetime = (long)SSL_SESSION_get_ticket_lifetime_hint(sess);
	/* OpenSSL has set the session id to a hash of the ticket, which
	 * no server cache holds: only the ticket can resume it. */
	if (ticket_handshake(ctx, t, ai, &sess, &reused, out->err) != 0)
		goto out;
	out->resumed = reused;
	if (!reused)
		snprintf(out->err, CHK_ERR_LEN, "the server sent a ticket but "
		    "did not take it back: a full handshake followed");
	rc = 0;
out:
	SSL_SESSION_free(sess);
	SSL_CTX_free(ctx);
	return rc;
}
