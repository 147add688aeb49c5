/* SPDX-License-Identifier: MIT */
/*
 * forward_url.c - the two texts forwarding reads: a --forward URL (the
 * operator's, checked before the gateway starts) and the head of a
 * webhook receiver's answer (the receiver's bytes, not trusted).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/gateway.h"

static const struct {
	const char		*prefix;
	enum gw_fwd_scheme	 scheme;
	int			 port;
} schemes[] = {
	{ "http://",	GW_FWD_HTTP,	80 },
	{ "https://",	GW_FWD_HTTPS,	443 },
	{ "mqtt://",	GW_FWD_MQTT,	1883 },
	{ "mqtts://",	GW_FWD_MQTTS,	8883 },
};

/* see gateway.h */
int
gw_fwd_host_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static int
bad(char *err, const char *text, const char *why)
{
	snprintf(err, GW_ERR_LEN, "--forward: '%.120s': %s", text, why);
	return -1;
}

/* see gateway.h */
int
gw_fwd_url_parse(const char *text, struct gw_fwd_url *u, char *err)
{
	const char *p, *host, *hend, *end, *frag;
	size_t i, n;
	long port;

	memset(u, 0, sizeof(*u));
	if (strlen(text) >= GW_FORWARD_URL_MAX)
		return bad(err, text, "longer than " GW_STR(GW_FORWARD_URL_MAX)
		    " bytes");
	for (p = text; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return bad(err, text, "a space or control character");
	for (i = 0; i < sizeof(schemes) / sizeof(*schemes); i++)
		if (strncasecmp(text, schemes[i].prefix,
		    strlen(schemes[i].prefix)) == 0)
			break;
	if (i == sizeof(schemes) / sizeof(*schemes))
		return bad(err, text, "not a URL forwarding takes (https://, "
		    "http:// to loopback, mqtt://, mqtts://)");
	u->scheme = schemes[i].scheme;
	u->port = schemes[i].port;
	p = text + strlen(schemes[i].prefix);
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)) != NULL)
		return bad(err, text, "user and password in the URL are not "
		    "supported");
	/* host: a name, an IPv4 address or [an IPv6 address] */
	if (*p == '[') {
		host = p + 1;
		if ((hend = memchr(host, ']', (size_t)(end - host))) == NULL)
			return bad(err, text, "an IPv6 address without ']'");
		p = hend + 1;
	} else {
		host = p;
		hend = p + strcspn(p, ":/?#");
		p = hend;
	}
	n = (size_t)(hend - host);
	if (n == 0 || n >= sizeof(u->host))
		return bad(err, text, "no host, or one too long");
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)host[i]) && host[i] != '.' &&
		    host[i] != '-' && host[i] != '_' && host[i] != ':')
			return bad(err, text, "the host has a character no "
			    "host name or address has");
	memcpy(u->host, host, n);
	{
		struct in6_addr a6;
		struct in_addr a4;

		u->host_is_ip = inet_pton(AF_INET, u->host, &a4) == 1 ||
		    inet_pton(AF_INET6, u->host, &a6) == 1;
		if (strchr(u->host, ':') != NULL && !u->host_is_ip)
			return bad(err, text, "not an IPv6 address in []");
	}
	if (*p == ':') {
		char *e;

		port = strtol(p + 1, &e, 10);
		if (e == p + 1 || !isdigit((unsigned char)p[1]) ||
		    port < 1 || port > 65535 || (*e != '\0' && *e != '/' &&
		    *e != '?' && *e != '#'))
			return bad(err, text, "the port is not a number from "
			    "1 to 65535");
		u->port = (int)port;
		p = e;
	} else if (*p != '\0' && *p != '/' && *p != '?' && *p != '#') {
		return bad(err, text, "text after the host");
	}
	frag = strchr(p, '#');
	n = frag != NULL ? (size_t)(frag - p) : strlen(p);
	if (u->scheme == GW_FWD_HTTP || u->scheme == GW_FWD_HTTPS) {
		if (u->scheme == GW_FWD_HTTP && !gw_fwd_host_loopback(u->host))
			return bad(err, text, "http:// sends in the clear: it is "
			    "taken for a receiver on this machine only "
			    "(localhost, 127.0.0.1, [::1]); use https://");
		if (frag == NULL || strncmp(frag, "#app=", 5) != 0 ||
		    frag[5] == '\0')
			return bad(err, text, "name the application whose "
			    "webhook secret signs the posts: end the URL with "
			    "#app=NAME (tether app add NAME --webhook)");
		if (strlen(frag + 5) >= sizeof(u->app) ||
		    strspn(frag + 5, "abcdefghijklmnopqrstuvwxyz0123456789._-")
		    != strlen(frag + 5))
			return bad(err, text, "#app= takes an application name "
			    "(a-z, 0-9, '.', '_', '-')");
		snprintf(u->app, sizeof(u->app), "%s", frag + 5);
		if (n == 0)
			snprintf(u->path, sizeof(u->path), "/");
		else if (*p == '?')
			snprintf(u->path, sizeof(u->path), "/%.*s", (int)n, p);
		else
			snprintf(u->path, sizeof(u->path), "%.*s", (int)n, p);
		return 0;
	}
	/* mqtt(s): the path is the topic prefix */
	if (frag != NULL || strchr(p, '?') != NULL)
		return bad(err, text, "an MQTT URL takes no query or '#' (its "
		    "path is the topic prefix: mqtt://host:1883/PREFIX)");
	if (*p == '/')
		p++;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	if (memchr(p, '+', n) != NULL)
		return bad(err, text, "a topic prefix with '+', an MQTT "
		    "wildcard, which no topic may hold");
	if (n == 0)
		snprintf(u->path, sizeof(u->path), "tether");
	else
		snprintf(u->path, sizeof(u->path), "%.*s", (int)n, p);
	return 0;
}

/* 1 if the header line h[0..n) is name: (any case), with *value after
 * the colon and its spaces. */
static int
header_is(const char *h, size_t n, const char *name, const char **value,
    size_t *vlen)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(h, name, k) != 0 || h[k] != ':')
		return 0;
	h += k + 1;
	n -= k + 1;
	while (n > 0 && (*h == ' ' || *h == '\t')) {
		h++;
		n--;
	}
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	*value = h;
	*vlen = n;
	return 1;
}

/* see gateway.h */
long
gw_fwd_reply_parse(const char *buf, size_t len, struct gw_fwd_reply *r,
    char *err)
{
	const char *p = buf, *e = buf + len, *nl, *v;
	size_t vlen, head;
	int minor, close = 0, chunked = 0, found;

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	/* the blank line that ends the head: "\n\n" or "\n\r\n" */
	for (head = 0, found = 0; head < len && !found; head++) {
		if (buf[head] != '\n')
			continue;
		if (head + 1 < len && buf[head + 1] == '\n') {
			head += 1;
			found = 1;
		} else if (head + 2 < len && buf[head + 1] == '\r' &&
		    buf[head + 2] == '\n') {
			head += 2;
			found = 1;
		}
	}
	if (!found) {
		if (len >= GW_FORWARD_REPLY_MAX) {
			snprintf(err, GW_ERR_LEN, "the receiver's answer head "
			    "is longer than %d bytes", GW_FORWARD_REPLY_MAX);
			return -1;
		}
		return 0;
	}
	e = buf + head;
	/* "HTTP/1.1 200 OK" */
	if (head < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
	    !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
	    !isdigit((unsigned char)p[11]) || p[9] == '0' ||
	    (head > 12 && p[12] != ' ' && p[12] != '\r' && p[12] != '\n')) {
		snprintf(err, GW_ERR_LEN, "the receiver did not answer HTTP "
		    "(its first bytes are no HTTP/1.x status line)");
		return -1;
	}
	minor = p[7] - '0';
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	for (p = memchr(p, '\n', (size_t)(e - p)) + 1; p < e; p = nl + 1) {
		size_t n;

		nl = memchr(p, '\n', (size_t)(e - p));
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (header_is(p, n, "Content-Length", &v, &vlen)) {
			long long cl = 0;

			if (vlen == 0 || vlen > 15 || r->content_length >= 0) {
				snprintf(err, GW_ERR_LEN, "the receiver's "
				    "Content-Length is not one number");
				return -1;
			}
			for (size_t i = 0; i < vlen; i++) {
				if (!isdigit((unsigned char)v[i])) {
					snprintf(err, GW_ERR_LEN, "the receiver's "
					    "Content-Length is not a number");
					return -1;
				}
				cl = cl * 10 + (v[i] - '0');
			}
			r->content_length = cl;
		} else if (header_is(p, n, "Connection", &v, &vlen)) {
			close |= vlen == 5 && strncasecmp(v, "close", 5) == 0;
		} else if (header_is(p, n, "Transfer-Encoding", &v, &vlen)) {
			chunked = 1;
		}
	}
	/* Reused only when the answer's end is known without reading a
	 * chunked body: anything else is read no further and closed. */
	r->keep = minor == 1 && !close && !chunked && (r->content_length >= 0 ||
	    r->status == 204 || r->status == 304);
	if (chunked)
		r->content_length = -1;
	return (long)head;
}
