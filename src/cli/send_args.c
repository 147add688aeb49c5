/* SPDX-License-Identifier: MIT */
/*
 * send_args.c - the option arguments of `tether send` in words: a pin of
 * any form the tools print, the URL, whole numbers and seconds. Each
 * refusal names the option and what it wants.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/send.h"

static int
usage_error_pin(const char *arg, const char *why)
{
	return cli_usage_error("send", "--pin '%s': %s", arg, why);
}

/* Case-insensitive prefix match; advances *s past it. */
static int
take_prefix(const char **s, const char *pre)
{
	size_t n = strlen(pre);

	if (strncasecmp(*s, pre, n) != 0)
		return 0;
	*s += n;
	return 1;
}

/*
 * A pin as text, its kind named by a prefix or told by its shape. The
 * shapes are those the tools print: base64 is only ever an SPKI pin, colon
 * hex of 32 bytes is openssl's certificate fingerprint, 20 bytes are
 * SHA-1. Plain hex of 32 bytes is printed for both SHA-256 kinds, so it
 * needs its prefix. The bytes are parsed by the library's own parser.
 */
int
send_parse_pin(const char *arg, enum tether_pin_kind *kind,
    uint8_t out[SEND_PIN_LEN])
{
	const char *s = arg;
	size_t hex = 0, colons = 0, other = 0, i, len;
	int named = 1;

	if (take_prefix(&s, "spki:") || take_prefix(&s, "sha256//"))
		*kind = TETHER_PIN_SPKI_SHA256;
	else if (take_prefix(&s, "cert-sha256:") || take_prefix(&s, "sha256:"))
		*kind = TETHER_PIN_CERT_SHA256;
	else if (take_prefix(&s, "cert-sha1:") || take_prefix(&s, "sha1:"))
		*kind = TETHER_PIN_CERT_SHA1;
	else
		named = 0;
	len = strlen(s);
	if (len == 0)
		return usage_error_pin(arg, "no hash after the prefix");
	for (i = 0; i < len; i++) {
		if (strchr("0123456789abcdefABCDEF", s[i]) != NULL)
			hex++;
		else if (s[i] == ':')
			colons++;
		else
			other++;
	}
	if (!named) {
		if (other > 0 || len == 44)
			*kind = TETHER_PIN_SPKI_SHA256;	/* base64 */
		else if (hex == 40)
			*kind = TETHER_PIN_CERT_SHA1;
		else if (hex == 64 && colons > 0)
			*kind = TETHER_PIN_CERT_SHA256;
		else if (hex == 64)
			return usage_error_pin(arg, "64 hex digits may be an "
			    "SPKI SHA-256 or a certificate SHA-256 pin; write "
			    "spki:HEX or cert-sha256:HEX");
		else
			return usage_error_pin(arg, "not a pin: want base64 of "
			    "32 bytes (SPKI SHA-256), or hex of 32 bytes "
			    "(certificate SHA-256) or 20 bytes (SHA-1)");
	}
	if (tether_pin_parse(*kind, s, len, out) != 0)
		return usage_error_pin(arg, *kind == TETHER_PIN_CERT_SHA1 ?
		    "not a SHA-1 hash (20 bytes as hex, colons allowed)" :
		    *kind == TETHER_PIN_SPKI_SHA256 ? "not an SPKI SHA-256 "
		    "hash (32 bytes as base64, or as hex with spki:)" :
		    "not a SHA-256 hash (32 bytes as hex, colons allowed)");
	return 0;
}

/*
 * https://HOST[:PORT][/v1/messages] into host and *port. The library
 * POSTs to /v1/messages only, so another path is refused rather than
 * silently ignored.
 */
int
send_parse_url(const char *url, char host[SEND_HOST_MAX], uint16_t *port)
{
	const char *s = url, *h, *he, *p;
	size_t hlen;
	long v;
	char *end;

	if (take_prefix(&s, "http://"))
		return cli_usage_error("send", "'%s': devices speak TLS only; "
		    "write https://", url);
	(void)take_prefix(&s, "https://");
	if (*s == '[') {
		h = s + 1;
		he = strchr(h, ']');
		if (he == NULL)
			return cli_usage_error("send", "'%s': an IPv6 address "
			    "needs its closing ']'", url);
		p = he + 1;
	} else {
		h = s;
		he = s + strcspn(s, ":/");
		p = he;
	}
	hlen = (size_t)(he - h);
	if (hlen == 0)
		return cli_usage_error("send", "'%s' names no host", url);
	if (hlen >= SEND_HOST_MAX)
		return cli_usage_error("send", "'%s': the host name is longer "
		    "than %d characters", url, SEND_HOST_MAX - 1);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = SEND_DEFAULT_PORT;
	if (*p == ':') {
		errno = 0;
		v = strtol(p + 1, &end, 10);
		if (errno != 0 || end == p + 1 || v < 1 || v > 65535 ||
		    (*end != '\0' && *end != '/'))
			return cli_usage_error("send", "'%s': the port is not a "
			    "number from 1 to 65535", url);
		*port = (uint16_t)v;
		p = end;
	}
	if (*p != '\0' && strcmp(p, "/") != 0 && strcmp(p, SEND_PATH) != 0)
		return cli_usage_error("send", "'%s': devices post to %s only; "
		    "give the URL without a path or with %s", url, SEND_PATH,
		    SEND_PATH);
	return 0;
}

/* see send.h */
int
send_parse_num(const char *opt, const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		goto bad;
	*out = strtoull(s, &end, 10);
	if (errno == 0 && *end == '\0' && *out >= min && *out <= max)
		return 0;
bad:
	return cli_usage_error("send", "%s: '%s' is not a whole number from "
	    "%llu to %llu", opt, s, min, max);
}

/* see send.h */
int
send_parse_seconds(const char *opt, const char *s, double max,
    int zero_ok, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(*out >= 0) ||
	    *out > max || (!zero_ok && *out < 0.001))
		return cli_usage_error("send", "%s: '%s' is not a number of "
		    "seconds from %s to %.0f", opt, s, zero_ok ? "0" : "0.001",
		    max);
	return 0;
}
