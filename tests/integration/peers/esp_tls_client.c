/* SPDX-License-Identifier: MIT */
/*
 * esp_tls_client.c - an ESP32 beside `tether check`, for t_check_truth.sh:
 * mbedTLS 2.28 (Debian's) set up as ESP-IDF's esp-tls sets up a device
 * that holds a CA (MBEDTLS_SSL_VERIFY_REQUIRED, the default X.509
 * profile, the host name checked, TLS 1.2, ESP-IDF's default suites),
 * then the POST esp_http_client sends. It shares nothing with check's
 * findings: only the suite list, which docs/profiles.md sources.
 *
 * esp_tls_client HOST PORT NAME CAFILE PATH [resume]
 *
 * NAME is the SNI and the name verified (mbedtls_ssl_set_hostname, as
 * esp-tls does with its host); "resume" connects a second time offering
 * the first session (mbedTLS resumes by ticket or by id) and says which.
 * Prints one line, "connects STATUS" or "fails WHY"; exits 0 for a
 * handshake and a 2xx answer or the gateway's 401 (WWW-Authenticate:
 * Device, the answer to a made-up credential), 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "check/probe_mbedtls.h"

#define TIMEOUT_MS	5000
#define HEAD_MAX	16384

/* The transport, counting what the handshake receives: a resumed one
 * gets no Certificate message, so well under half a full one's bytes. */
struct conn {
	mbedtls_net_context	 net;
	size_t			 got;
};

static int
conn_recv(void *ctx, unsigned char *buf, size_t len, uint32_t ms)
{
	struct conn *c = ctx;
	int n = mbedtls_net_recv_timeout(&c->net, buf, len, ms);

	if (n > 0)
		c->got += (size_t)n;
	return n;
}

static int
conn_send(void *ctx, const unsigned char *buf, size_t len)
{
	return mbedtls_net_send(&((struct conn *)ctx)->net, buf, len);
}

struct client {
	mbedtls_ssl_config	 conf;
	mbedtls_entropy_context	 entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt	 ca;
	int			 suites[CHK_MBEDTLS_SUITES_MAX + 1];
};

static void
say(int rc, const char *what)
{
	char e[128];

	mbedtls_strerror(rc, e, sizeof(e));
	printf("fails %s: %s (-0x%04X)\n", what, e, (unsigned)-rc);
}

/* 1 if the head has the gateway's WWW-Authenticate: Device. */
static int
device_401(const char *head)
{
	const char *p = head, *want = "\r\nWWW-Authenticate: Device";
	size_t n = strlen(want);

	for (; *p != '\0'; p++)
		if (strncasecmp(p, want, n) == 0)
			return 1;
	return 0;
}

/* One connection: handshake, POST, status. 0, or 1 with a line said. */
static int
one(struct client *cl, const char *host, const char *port, const char *name,
    const char *path, mbedtls_ssl_session *sess, int *status, int *resumed,
    size_t *hs_bytes)
{
	struct conn net = { .got = 0 };
	mbedtls_ssl_context ssl;
	char req[512], head[HEAD_MAX + 1];
	size_t got = 0;
	int rc, ret = 1;

	head[0] = '\0';
	mbedtls_net_init(&net.net);
	mbedtls_ssl_init(&ssl);
	if ((rc = mbedtls_net_connect(&net.net, host, port,
	    MBEDTLS_NET_PROTO_TCP)) != 0) {
		say(rc, "connect");
		goto out;
	}
	if ((rc = mbedtls_ssl_setup(&ssl, &cl->conf)) != 0 ||
	    (rc = mbedtls_ssl_set_hostname(&ssl, name)) != 0) {
		say(rc, "setup");
		goto out;
	}
	if (*resumed >= 0 && (rc = mbedtls_ssl_set_session(&ssl, sess)) != 0) {
		say(rc, "set_session");
		goto out;
	}
	mbedtls_ssl_set_bio(&ssl, &net, conn_send, NULL, conn_recv);
	while ((rc = mbedtls_ssl_handshake(&ssl)) != 0)
		if (rc != MBEDTLS_ERR_SSL_WANT_READ &&
		    rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
				char v[256];

				mbedtls_x509_crt_verify_info(v, sizeof(v), "",
				    mbedtls_ssl_get_verify_result(&ssl));
				v[strcspn(v, "\n")] = '\0';
				printf("fails verify: %s\n", v);
			} else
				say(rc, "handshake");
			goto out;
		}
	if (*resumed >= 0)
		*resumed = net.got < *hs_bytes / 2;
	else if (mbedtls_ssl_get_session(&ssl, sess) != 0)
		printf("(no session to resume)\n");
	*hs_bytes = net.got;
	/* esp_http_client: the URL's host (the name) and the port */
	snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: %s%s%s\r\n"
	    "User-Agent: ESP32 HTTP Client/1.0\r\nContent-Length: 0\r\n\r\n",
	    path, name, strcmp(port, "443") ? ":" : "",
	    strcmp(port, "443") ? port : "");
	if ((rc = mbedtls_ssl_write(&ssl, (const unsigned char *)req,
	    strlen(req))) < 0) {
		say(rc, "write");
		goto out;
	}
	while (got < HEAD_MAX && strstr(head, "\r\n\r\n") == NULL) {
		rc = mbedtls_ssl_read(&ssl, (unsigned char *)head + got,
		    HEAD_MAX - got);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ)
			continue;
		if (rc <= 0) {
			say(rc, got ? "read (head cut)" : "read");
			goto out;
		}
		got += (size_t)rc;
		head[got] = '\0';
	}
	if (sscanf(head, "HTTP/1.%*d %d", status) != 1) {
		printf("fails the answer is no HTTP status line\n");
		goto out;
	}
	if (*status == 401 && !device_401(head)) {
		printf("fails 401 from a server that asks for its own "
		    "authentication\n");
		goto out;
	}
	ret = 0;
	(void)mbedtls_ssl_close_notify(&ssl);
out:
	mbedtls_ssl_free(&ssl);
	mbedtls_net_free(&net.net);
	return ret;
}

int
main(int argc, char **argv)
{
	static struct client cl;
	mbedtls_ssl_session sess;
	uint16_t ids[CHK_MBEDTLS_SUITES_MAX];
	size_t n, i;
	size_t hs_bytes = 0;
	int rc, status = 0, resumed = -1;

	if (argc < 6 || argc > 7 || (argc == 7 && strcmp(argv[6], "resume"))) {
		fprintf(stderr, "usage: esp_tls_client HOST PORT NAME CAFILE "
		    "PATH [resume]\n");
		return 2;
	}
	mbedtls_ssl_config_init(&cl.conf);
	mbedtls_entropy_init(&cl.entropy);
	mbedtls_ctr_drbg_init(&cl.drbg);
	mbedtls_x509_crt_init(&cl.ca);
	mbedtls_ssl_session_init(&sess);
	if ((rc = mbedtls_ctr_drbg_seed(&cl.drbg, mbedtls_entropy_func,
	    &cl.entropy, (const unsigned char *)"esp_tls_client", 14)) != 0 ||
	    (rc = mbedtls_x509_crt_parse_file(&cl.ca, argv[4])) != 0 ||
	    (rc = mbedtls_ssl_config_defaults(&cl.conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
		say(rc, "setup");
		return 1;
	}
	n = chk_mbedtls_suites(ids, CHK_MBEDTLS_SUITES_MAX);
	for (i = 0; i < n; i++)
		cl.suites[i] = ids[i];
	cl.suites[n] = 0;
	mbedtls_ssl_conf_ciphersuites(&cl.conf, cl.suites);
	mbedtls_ssl_conf_min_version(&cl.conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&cl.conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_authmode(&cl.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&cl.conf, &cl.ca, NULL);
	mbedtls_ssl_conf_rng(&cl.conf, mbedtls_ctr_drbg_random, &cl.drbg);
	mbedtls_ssl_conf_read_timeout(&cl.conf, TIMEOUT_MS);
	rc = one(&cl, argv[1], argv[2], argv[3], argv[5], &sess, &status,
	    &resumed, &hs_bytes);
	if (rc == 0 && argc == 7) {
		resumed = 0;
		rc = one(&cl, argv[1], argv[2], argv[3], argv[5], &sess,
		    &status, &resumed, &hs_bytes);
	}
	if (rc == 0) {
		rc = !((status >= 200 && status < 300) || status == 401);
		printf("%s %d%s\n", rc ? "fails" : "connects", status,
		    resumed < 0 ? "" : resumed ? " resumed" : " not-resumed");
	}
	mbedtls_ssl_session_free(&sess);
	mbedtls_x509_crt_free(&cl.ca);
	mbedtls_ssl_config_free(&cl.conf);
	mbedtls_ctr_drbg_free(&cl.drbg);
	mbedtls_entropy_free(&cl.entropy);
	return rc;
}
