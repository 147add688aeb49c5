/* SPDX-License-Identifier: MIT */
/*
 * fetch.c - one TLS handshake with a server, to see what it sends, on
 * OpenSSL 3: DNS (getaddrinfo_a, so the deadline covers it too), a
 * non-blocking connect, the handshake, and failures in words.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "check/fetch.h"

#define CHK_URL_MAX	1024	/* a HOST:PORT argument, or a URL */
#define CHK_TRIED_MAX	160	/* addresses listed in a connect error */

/*
 * Everything OpenSSL still implements is offered: this is a tool to look
 * at a server, old or new, not to trust it, so security level 0 and TLS
 * 1.0 as the floor. The key-type offers leave out the other type's
 * suites (TLS 1.2) and signature algorithms (TLS 1.3 picks the
 * certificate by those alone).
 */
#define CHK_SUITES_ALL		"ALL:@SECLEVEL=0"
#define CHK_SUITES_ECDSA	"aECDSA:@SECLEVEL=0"
#define CHK_SUITES_RSA		"aRSA:@SECLEVEL=0"
#define CHK_SIGALGS_ECDSA						\
	"ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384:"		\
	"ecdsa_secp521r1_sha512:ECDSA+SHA224:ECDSA+SHA1"
#define CHK_SIGALGS_RSA							\
	"rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:"	\
	"rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:"	\
	"rsa_pkcs1_sha256:rsa_pkcs1_sha384:rsa_pkcs1_sha512:"		\
	"RSA+SHA224:RSA+SHA1"

static const struct {
	const char	*scheme;
	const char	*port;
} chk_schemes[] = {
	{ "https",	"443" },
	{ "mqtts",	"8883" },
	{ "wss",	"443" },
};

/* see fetch.h */
void
chk_seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, CHK_ERR_LEN, fmt, ap);
	va_end(ap);
}

/* see fetch.h */
long long
chk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* see fetch.h */
int
chk_left_ms(long long deadline)
{
	long long left = deadline - chk_now_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* "10 s", "1.5 s": a timeout as the user gave it. */
static void
secs_text(int ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%d s", ms / 1000);
	else
		snprintf(buf, len, "%.1f s", ms / 1000.0);
}

const char *
chk_offer_name(enum chk_offer offer)
{
	switch (offer) {
	case CHK_OFFER_ECDSA:
		return "ECDSA";
	case CHK_OFFER_RSA:
		return "RSA";
	default:
		return "all";
	}
}

int
chk_is_ip(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1;
}

static int
parse_port(const char *s, char port[CHK_PORT_MAX], char *err)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9') {
		chk_seterr(err, "'%s' is not a port number (1 to 65535)", s);
		return -1;
	}
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > 65535) {
		chk_seterr(err, "'%s' is not a port number (1 to 65535)", s);
		return -1;
	}
	snprintf(port, CHK_PORT_MAX, "%ld", n);
	return 0;
}

int
chk_parse_target(const char *arg, const char *defport,
    char host[CHK_HOST_MAX], char port[CHK_PORT_MAX], char *err)
{
	char buf[CHK_URL_MAX], *h, *p = NULL, *end;
	const char *s = arg, *sep;
	size_t i, n;

	if ((sep = strstr(s, "://")) != NULL) {
		n = (size_t)(sep - s);
		for (i = 0; i < sizeof(chk_schemes) / sizeof(chk_schemes[0]);
		    i++)
			if (strlen(chk_schemes[i].scheme) == n &&
			    strncasecmp(s, chk_schemes[i].scheme, n) == 0)
				break;
		if (i == sizeof(chk_schemes) / sizeof(chk_schemes[0])) {
			chk_seterr(err, "'%.*s://' is not a scheme tether knows "
			    "(https, wss, mqtts); give HOST:PORT instead",
			    (int)n, s);
			return -1;
		}
		defport = chk_schemes[i].port;
		s = sep + 3;
	}
	/* A URL's path, query and user part say nothing about the server. */
	n = strcspn(s, "/?#");
	if (n >= sizeof(buf)) {
		chk_seterr(err, "'%.40s...' is too long for a host and port", s);
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	h = strrchr(buf, '@') != NULL ? strrchr(buf, '@') + 1 : buf;

	if (*h == '[') {
		if ((end = strchr(h, ']')) == NULL) {
			chk_seterr(err, "'%s' opens a '[' it does not close: write "
			    "an IPv6 address as [ADDR]:PORT", arg);
			return -1;
		}
		*end = '\0';
		h++;
		if (end[1] == ':')
			p = end + 2;
		else if (end[1] != '\0') {
			chk_seterr(err, "'%s': only ':PORT' may follow ']'", arg);
			return -1;
		}
	} else if ((end = strchr(h, ':')) != NULL) {
		if (strchr(end + 1, ':') != NULL) {
			/* Several colons and no brackets: an IPv6 literal. */
			unsigned char a6[sizeof(struct in6_addr)];

			if (inet_pton(AF_INET6, h, a6) != 1) {
				chk_seterr(err, "'%s' is neither HOST:PORT nor an "
				    "IPv6 address; write an IPv6 address "
				    "with a port as [ADDR]:PORT", arg);
				return -1;
			}
		} else {
			*end = '\0';
			p = end + 1;
		}
	}
	if (*h == '\0') {
		chk_seterr(err, "'%s' names no host", arg);
		return -1;
	}
	if (strlen(h) >= CHK_HOST_MAX) {
		chk_seterr(err, "the host name in '%.40s...' is longer than DNS "
		    "allows (253 characters)", arg);
		return -1;
	}
	if (p != NULL && *p == '\0') {
		chk_seterr(err, "'%s' ends in ':' but gives no port", arg);
		return -1;
	}
	if (parse_port(p != NULL ? p : defport, port, err) != 0)
		return -1;
	memcpy(host, h, strlen(h) + 1);
	return 0;
}

/* DNS */

/*
 * getaddrinfo_a keeps reading the request from its own thread after a
 * time-out until the resolver gives up, so the request lives here and
 * not on a stack; busy says whether that thread may still use it.
 */
static struct {
	int		 busy;
	char		 host[CHK_HOST_MAX];
	char		 port[CHK_PORT_MAX];
	struct addrinfo	 hints;
	struct gaicb	 req;
} chk_dns;

static void
dns_error(int rc, const char *host, int saved, char *err)
{
	switch (rc) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		chk_seterr(err, "cannot resolve '%s': no such host in DNS (check "
		    "the spelling)", host);
		break;
	case EAI_AGAIN:
		chk_seterr(err, "cannot resolve '%s': the DNS server answered "
		    "with a temporary failure (try again; check "
		    "/etc/resolv.conf if it persists)", host);
		break;
	case EAI_FAIL:
		chk_seterr(err, "cannot resolve '%s': the DNS server failed to "
		    "answer", host);
		break;
	case EAI_MEMORY:
		chk_seterr(err, "cannot resolve '%s': out of memory", host);
		break;
	case EAI_SYSTEM:
		chk_seterr(err, "cannot resolve '%s': %s", host, strerror(saved));
		break;
	default:
		chk_seterr(err, "cannot resolve '%s': %s", host, gai_strerror(rc));
		break;
	}
}

int
chk_resolve(const struct chk_target *t, struct addrinfo **out,
    enum chk_fail *fail, char *err)
{
	struct gaicb *list[1];
	struct timespec ts;
	long long deadline = chk_now_ms() + t->timeout_ms;
	char secs[16];
	int rc, left;

	*out = NULL;
	if (chk_dns.busy) {
		if (gai_error(&chk_dns.req) == EAI_INPROGRESS) {
			*fail = CHK_FAIL_LOCAL;
			chk_seterr(err, "an earlier DNS lookup of '%s' is still "
			    "running", chk_dns.host);
			return -1;
		}
		if (chk_dns.req.ar_result != NULL)
			freeaddrinfo(chk_dns.req.ar_result);
		chk_dns.busy = 0;
	}
	memset(&chk_dns, 0, sizeof(chk_dns));
	snprintf(chk_dns.host, sizeof(chk_dns.host), "%s", t->host);
	snprintf(chk_dns.port, sizeof(chk_dns.port), "%s", t->port);
	chk_dns.hints.ai_family = AF_UNSPEC;
	chk_dns.hints.ai_socktype = SOCK_STREAM;
	chk_dns.hints.ai_flags = AI_NUMERICSERV |
	    (chk_is_ip(t->host) ? AI_NUMERICHOST : 0);
	chk_dns.req.ar_name = chk_dns.host;
	chk_dns.req.ar_service = chk_dns.port;
	chk_dns.req.ar_request = &chk_dns.hints;
	list[0] = &chk_dns.req;

	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		*fail = CHK_FAIL_LOCAL;
		dns_error(rc, t->host, errno, err);
		return -1;
	}
	chk_dns.busy = 1;
	while ((rc = gai_error(&chk_dns.req)) == EAI_INPROGRESS &&
	    (left = chk_left_ms(deadline)) > 0) {
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		(void)gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (rc == EAI_INPROGRESS) {
		if (gai_cancel(&chk_dns.req) == EAI_CANCELED)
			chk_dns.busy = 0;
		*fail = CHK_FAIL_TIMEOUT;
		secs_text(t->timeout_ms, secs, sizeof(secs));
		chk_seterr(err, "cannot resolve '%s': no answer from DNS within "
		    "%s (--timeout)", t->host, secs);
		return -1;
	}
	chk_dns.busy = 0;
	if (rc != 0) {
		*fail = CHK_FAIL_DNS;
		dns_error(rc, t->host, errno, err);
		return -1;
	}
	*out = chk_dns.req.ar_result;
	chk_dns.req.ar_result = NULL;
	return 0;
}

/* Connect */

static void
addr_text(const struct addrinfo *a, char *buf, size_t len)
{
	const void *p;

	if (a->ai_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
	else
		p = &((const struct sockaddr_in *)a->ai_addr)->sin_addr;
	if (inet_ntop(a->ai_family, p, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "an address of family %d", a->ai_family);
}

/* Appends addr to the comma list in tried, for messages. */
static void
add_tried(char *tried, size_t len, const char *addr)
{
	size_t used = strlen(tried);

	if (used < len)
		snprintf(tried + used, len - used, "%s%s", used ? ", " : "",
		    addr);
}

/*
 * Tries the addresses in order until one accepts, within the deadline.
 * Returns the connected socket (non-blocking), or -1 with out->fail and
 * out->err set from the last address's failure.
 */
static int
connect_any(const struct chk_target *t, const struct addrinfo *ai,
    long long deadline, struct chk_fetch *out)
{
	const struct addrinfo *a;
	struct pollfd pfd;
	char addr[CHK_ADDR_MAX], tried[CHK_TRIED_MAX] = "", secs[16];
	socklen_t elen;
	int fd, r, e, last = 0, timed_out = 0;

	for (a = ai; a != NULL && !timed_out; a = a->ai_next) {
		addr_text(a, addr, sizeof(addr));
		add_tried(tried, sizeof(tried), addr);
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			goto connected;
		if (errno != EINPROGRESS) {
			last = errno;
			close(fd);
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			r = poll(&pfd, 1, chk_left_ms(deadline));
		} while (r < 0 && errno == EINTR);
		if (r == 0) {
			timed_out = 1;
			close(fd);
			break;
		}
		elen = sizeof(e);
		if (r < 0)
			e = errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
			e = errno;
		if (e == 0)
			goto connected;
		last = e;
		close(fd);
	}

	if (timed_out) {
		out->fail = CHK_FAIL_TIMEOUT;
		secs_text(t->timeout_ms, secs, sizeof(secs));
		chk_seterr(out->err, "no answer from %s port %s (%s) within %s "
		    "(--timeout): the host is down, or a firewall drops the "
		    "connection", t->host, t->port, tried, secs);
		return -1;
	}
	out->fail = CHK_FAIL_CONNECT;
	switch (last) {
	case ECONNREFUSED:
		chk_seterr(out->err, "%s refused the connection on port %s (%s): "
		    "nothing listens there; is the server running, and is %s "
		    "its TLS port?", t->host, t->port, tried, t->port);
		break;
	case ENETUNREACH:
	case EHOSTUNREACH:
		chk_seterr(out->err, "cannot reach %s port %s (%s): %s; check the "
		    "address and this machine's network", t->host, t->port,
		    tried, strerror(last));
		break;
	case ETIMEDOUT:
		out->fail = CHK_FAIL_TIMEOUT;
		chk_seterr(out->err, "no answer from %s port %s (%s): the "
		    "connection timed out; the host is down, or a firewall "
		    "drops the connection", t->host, t->port, tried);
		break;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		out->fail = CHK_FAIL_LOCAL;
		chk_seterr(out->err, "cannot open a socket: %s", strerror(last));
		break;
	default:
		chk_seterr(out->err, "cannot connect to %s port %s (%s): %s",
		    t->host, t->port, tried, strerror(last));
		break;
	}
	return -1;

connected:
	snprintf(out->addr, sizeof(out->addr), "%s", addr);
	return fd;
}

int
chk_connect(const struct chk_target *t, const struct addrinfo *ai,
    struct chk_fetch *out)
{
	return connect_any(t, ai, chk_now_ms() + t->timeout_ms, out);
}

/* Handshake */

/* Records the alerts the server sends; the first of each level counts. */
static void
on_info(const SSL *ssl, int where, int ret)
{
	struct chk_fetch *f = SSL_get_app_data(ssl);
	int level = (ret >> 8) & 0xff, desc = ret & 0xff;

	if (f == NULL || !(where & SSL_CB_READ_ALERT))
		return;
	if (level == SSL3_AL_FATAL && f->alert < 0)
		f->alert = desc;
	else if (level == SSL3_AL_WARNING && desc != SSL_AD_CLOSE_NOTIFY &&
	    f->warn_alert < 0)
		f->warn_alert = desc;
}

/* What a fatal alert from the server means, for this offer and SNI. */
static void
alert_error(const struct chk_target *t, enum chk_offer offer,
    struct chk_fetch *out)
{
	char hint[CHK_ERR_LEN];
	int desc = out->alert;

	hint[0] = '\0';
	switch (desc) {
	case SSL_AD_HANDSHAKE_FAILURE:
	case SSL_AD_INSUFFICIENT_SECURITY:
		if (offer == CHK_OFFER_ALL)
			snprintf(hint, sizeof(hint), ": it accepts none of the "
			    "suites, groups and signature algorithms offered");
		else
			snprintf(hint, sizeof(hint), ": it has no %s "
			    "certificate, or accepts none of the %s suites "
			    "offered", chk_offer_name(offer),
			    chk_offer_name(offer));
		break;
	case SSL_AD_PROTOCOL_VERSION:
		snprintf(hint, sizeof(hint), ": it accepts none of TLS 1.0 "
		    "to 1.3");
		break;
	case SSL_AD_UNRECOGNIZED_NAME:
		if (t->sni != NULL)
			snprintf(hint, sizeof(hint), ": it serves no site "
			    "named '%s'; name one it serves with --sni NAME, "
			    "or try --no-sni", t->sni);
		else
			snprintf(hint, sizeof(hint), ": it wants SNI; give the "
			    "name it serves with --sni NAME");
		break;
	case SSL_AD_DECODE_ERROR:
	case SSL_AD_ILLEGAL_PARAMETER:
		snprintf(hint, sizeof(hint), ": it could not parse the "
		    "ClientHello");
		break;
	case SSL_AD_INTERNAL_ERROR:
		snprintf(hint, sizeof(hint), ": a failure inside the server; "
		    "its log says more");
		break;
	case SSL_AD_CERTIFICATE_REQUIRED:
	case SSL_AD_ACCESS_DENIED:
		snprintf(hint, sizeof(hint), ": it wants a client "
		    "certificate");
		break;
	}
	out->fail = CHK_FAIL_ALERT;
	chk_seterr(out->err, "%s port %s refused the TLS handshake: the server "
	    "sent alert %d (%s)%s", t->host, t->port, desc,
	    SSL_alert_desc_string_long(desc), hint);
}

/*
 * The entry of this thread's OpenSSL error queue that names the cause
 * (the earliest: later ones only pass it up), then an empty queue.
 */
static unsigned long
first_error(void)
{
	unsigned long e = ERR_peek_error();

	ERR_clear_error();
	return e;
}

static void
handshake_error(const struct chk_target *t, enum chk_offer offer,
    int kind, int saved, unsigned long e, struct chk_fetch *out)
{
	const char *why;
	int reason = ERR_GET_REASON(e);

	if (out->alert < 0 && e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    reason >= SSL_AD_REASON_OFFSET &&
	    reason < SSL_AD_REASON_OFFSET + 256)
		out->alert = reason - SSL_AD_REASON_OFFSET;
	if (out->alert >= 0) {
		alert_error(t, offer, out);
		return;
	}
	out->fail = CHK_FAIL_TLS;
	if (e == 0 || ERR_GET_LIB(e) == ERR_LIB_SYS ||
	    (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SYS)
			saved = reason;
		if (kind == SSL_ERROR_ZERO_RETURN || saved == 0 ||
		    reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			chk_seterr(out->err, "%s port %s closed the connection "
			    "during the TLS handshake without an alert: it "
			    "refuses this ClientHello silently, or does not "
			    "speak TLS on this port", t->host, t->port);
		else if (saved == ECONNRESET)
			chk_seterr(out->err, "%s port %s reset the connection "
			    "during the TLS handshake: it refuses this "
			    "ClientHello, or does not speak TLS on this port",
			    t->host, t->port);
		else
			chk_seterr(out->err, "the TLS handshake with %s port %s "
			    "failed: %s", t->host, t->port, strerror(saved));
		return;
	}
	why = ERR_reason_error_string(e);
	if (why == NULL)
		why = "no reason recorded by OpenSSL";
	if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
		switch (reason) {
		case SSL_R_WRONG_VERSION_NUMBER:
		case SSL_R_PACKET_LENGTH_TOO_LONG:
		case SSL_R_UNKNOWN_PROTOCOL:
		case SSL_R_RECORD_LENGTH_MISMATCH:
		case SSL_R_HTTP_REQUEST:
			out->not_tls = 1;
			chk_seterr(out->err, "%s port %s does not answer in TLS "
			    "(%s): is %s its TLS port? (a plain HTTP port, or "
			    "a protocol that needs STARTTLS)", t->host,
			    t->port, why, t->port);
			return;
		case SSL_R_UNSUPPORTED_PROTOCOL:
		case SSL_R_NO_PROTOCOLS_AVAILABLE:
		case SSL_R_VERSION_TOO_LOW:
			chk_seterr(out->err, "%s port %s chose a protocol version "
			    "older than TLS 1.0 (%s), which no device should "
			    "use", t->host, t->port, why);
			return;
		case SSL_R_NO_CIPHERS_AVAILABLE:
			out->fail = CHK_FAIL_LOCAL;
			chk_seterr(out->err, "this OpenSSL has no %s suites to "
			    "offer", chk_offer_name(offer));
			return;
		}
	}
	chk_seterr(out->err, "the TLS handshake with %s port %s failed: %s",
	    t->host, t->port, why);
}

static SSL_CTX *
client_ctx(enum chk_offer offer, int *have_cas, char *err)
{
	const char *suites = CHK_SUITES_ALL, *sigalgs = NULL, *what = NULL;
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		chk_seterr(err, "cannot make an OpenSSL client: out of memory");
		return NULL;
	}
	if (offer == CHK_OFFER_ECDSA) {
		suites = CHK_SUITES_ECDSA;
		sigalgs = CHK_SIGALGS_ECDSA;
	} else if (offer == CHK_OFFER_RSA) {
		suites = CHK_SUITES_RSA;
		sigalgs = CHK_SIGALGS_RSA;
	}
	SSL_CTX_set_security_level(ctx, 0);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1)
		what = "TLS 1.0 as the lowest version";
	else if (SSL_CTX_set_cipher_list(ctx, suites) != 1)
		what = suites;
	else if (sigalgs != NULL && SSL_CTX_set1_sigalgs_list(ctx, sigalgs) !=
	    1)
		what = sigalgs;
	if (what != NULL) {
		chk_seterr(err, "this OpenSSL refuses to offer %s", what);
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	/* Nothing is refused: the verdict is only reported. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	*have_cas = SSL_CTX_set_default_verify_paths(ctx) == 1;
	ERR_clear_error();
	return ctx;
}

int
chk_fetch(const struct chk_target *t, const struct addrinfo *ai,
    enum chk_offer offer, struct chk_fetch *out)
{
	long long deadline = chk_now_ms() + t->timeout_ms;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	STACK_OF(X509) *sk;
	struct pollfd pfd;
	const SSL_CIPHER *c;
	char secs[16];
	long vr;
	int fd = -1, r, kind, saved, have_cas = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	out->alert = -1;
	out->warn_alert = -1;
	ERR_clear_error();

	if ((ctx = client_ctx(offer, &have_cas, out->err)) == NULL) {
		out->fail = CHK_FAIL_LOCAL;
		goto out;
	}
	if ((ssl = SSL_new(ctx)) == NULL) {
		out->fail = CHK_FAIL_LOCAL;
		chk_seterr(out->err, "cannot make an OpenSSL client: out of "
		    "memory");
		goto out;
	}
	SSL_set_app_data(ssl, out);
	SSL_set_info_callback(ssl, on_info);
	if (t->sni != NULL && SSL_set_tlsext_host_name(ssl, t->sni) != 1) {
		out->fail = CHK_FAIL_LOCAL;
		chk_seterr(out->err, "OpenSSL refuses '%s' as SNI (a DNS name of "
		    "at most 255 bytes)", t->sni);
		ERR_clear_error();
		goto out;
	}
	if ((t->tls_min != 0 && SSL_set_min_proto_version(ssl, t->tls_min) !=
	    1) || (t->tls_max != 0 && SSL_set_max_proto_version(ssl,
	    t->tls_max) != 1)) {
		out->fail = CHK_FAIL_LOCAL;
		chk_seterr(out->err, "this OpenSSL refuses the versions asked "
		    "for");
		ERR_clear_error();
		goto out;
	}
	if (t->verify_name != NULL) {
		if (chk_is_ip(t->verify_name))
			r = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
			    t->verify_name);
		else
			r = SSL_set1_host(ssl, t->verify_name);
		if (r != 1)
			ERR_clear_error();
	}

	if ((fd = connect_any(t, ai, deadline, out)) < 0)
		goto out;
	if (SSL_set_fd(ssl, fd) != 1) {
		out->fail = CHK_FAIL_LOCAL;
		chk_seterr(out->err, "OpenSSL cannot use the socket: out of "
		    "memory");
		goto out;
	}

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_connect(ssl)) == 1)
			break;
		saved = errno;
		kind = SSL_get_error(ssl, r);
		if (kind != SSL_ERROR_WANT_READ &&
		    kind != SSL_ERROR_WANT_WRITE) {
			handshake_error(t, offer, kind, saved, first_error(),
			    out);
			goto out;
		}
		pfd.fd = fd;
		pfd.events = kind == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		do {
			r = poll(&pfd, 1, chk_left_ms(deadline));
		} while (r < 0 && errno == EINTR);
		if (r == 0) {
			out->fail = CHK_FAIL_TIMEOUT;
			secs_text(t->timeout_ms, secs, sizeof(secs));
			chk_seterr(out->err, "%s port %s (%s) accepted the "
			    "connection but did not finish the TLS handshake "
			    "within %s (--timeout): does it speak TLS on this "
			    "port?", t->host, t->port, out->addr, secs);
			goto out;
		}
	}

	if ((sk = SSL_get_peer_cert_chain(ssl)) == NULL ||
	    sk_X509_num(sk) == 0) {
		out->fail = CHK_FAIL_TLS;
		chk_seterr(out->err, "%s port %s sent no certificate (an anonymous "
		    "or PSK suite): there is nothing to pin", t->host,
		    t->port);
		goto out;
	}
	if ((out->chain = X509_chain_up_ref(sk)) == NULL) {
		out->fail = CHK_FAIL_LOCAL;
		chk_seterr(out->err, "out of memory");
		goto out;
	}
	snprintf(out->protocol, sizeof(out->protocol), "%s",
	    SSL_get_version(ssl));
	c = SSL_get_current_cipher(ssl);
	snprintf(out->cipher, sizeof(out->cipher), "%s",
	    c != NULL ? SSL_CIPHER_get_name(c) : "unknown");
	vr = SSL_get_verify_result(ssl);
	out->trusted = have_cas && vr == X509_V_OK;
	if (!have_cas)
		snprintf(out->trust_why, sizeof(out->trust_why), "this "
		    "system's CA store could not be read");
	else
		snprintf(out->trust_why, sizeof(out->trust_why), "%s",
		    vr == X509_V_OK ? "ok" : X509_verify_cert_error_string(vr));
	/* A polite close_notify; the answer is not waited for. */
	(void)SSL_shutdown(ssl);
	out->fail = CHK_OK;
	rc = 0;
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return rc;
}

void
chk_fetch_free(struct chk_fetch *f)
{
	if (f->chain != NULL)
		sk_X509_pop_free(f->chain, X509_free);
	f->chain = NULL;
}
