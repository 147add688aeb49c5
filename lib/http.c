/* SPDX-License-Identifier: MIT */
/*
 * http.c - the HTTP/1.1 response parser of the device: one pass over bytes
 * split anyhow, a fixed struct and no copy of the response. It keeps only
 * what a device acts on: the status, Content-Length or chunked framing,
 * Connection: close, Retry-After, and the first bytes of the body or the
 * Location (for the error detail); and a command to the device
 * (X-Tether-Command, X-Tether-Device), whose body it streams into the
 * caller's command buffer.
 */
#include "inner.h"

enum {
	H_STATUS,	/* the status line */
	H_HEADER,	/* field lines, up to the empty line */
	H_BODY,		/* body_left bytes */
	H_TO_CLOSE,	/* the body runs to the end of the connection */
	H_CHUNK_SIZE,	/* a chunk-size line */
	H_CHUNK_DATA,	/* chunk_left bytes */
	H_CHUNK_END,	/* the CRLF after a chunk's data */
	H_TRAILER,	/* trailer lines, up to the empty line */
	H_DONE
};

#define F_CR		0x40	/* the previous byte was CR */
#define F_TRUNC		TETHER_HTTP_F_TRUNC
#define CHUNK_DIGITS	8	/* hex digits of a chunk size: 32 bits */
#define MAX_DIGITS	9	/* a length past 10^9 is no device's answer */

static const char *const reasons[TETHER_HTTP_R_COUNT] = {
	[TETHER_HTTP_R_NONE] = "no error",
	[TETHER_HTTP_R_STATUS_LINE] = "the status line is not "
	    "\"HTTP/1.1 <3 digits> <reason>\"",
	[TETHER_HTTP_R_VERSION] = "the server answered in an HTTP version "
	    "other than 1.0 or 1.1",
	[TETHER_HTTP_R_BARE_LF] = "a line ended in LF without CR",
	[TETHER_HTTP_R_HEADER] = "a header line has no colon",
	[TETHER_HTTP_R_HEAD_TOO_LARGE] = "the response head is longer than "
	    "the device accepts (8192 bytes)",
	[TETHER_HTTP_R_CONTENT_LENGTH] = "Content-Length is not a number, or "
	    "two differ",
	[TETHER_HTTP_R_CHUNK] = "a chunk of the chunked body is malformed",
	[TETHER_HTTP_R_TRANSFER_CODING] = "the body has a transfer coding "
	    "other than chunked",
	[TETHER_HTTP_R_COMMAND_ID] = "X-Tether-Command is not a command id",
	[TETHER_HTTP_R_COMMAND_TOO_LARGE] = "the command is larger than the "
	    "command buffer",
};

/* see inner.h */
const char *
tether_http_reason_text(unsigned reason)
{
	return reason < TETHER_HTTP_R_COUNT ? reasons[reason] : "unknown";
}

/* see inner.h */
void
tether_http_init(struct tether_http *h)
{
	memset(h, 0, sizeof(*h));
	h->state = H_STATUS;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive: does s (n bytes) equal the lowercase word w? */
static int
is_word(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || lower((unsigned char)s[i]) != w[i])
			return 0;
	return w[n] == '\0';
}

/* Does the comma list s (n bytes) hold the token w? */
static int
has_token(const char *s, size_t n, const char *w)
{
	size_t i = 0, a, b;

	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		a = i;
		while (i < n && s[i] != ',')
			i++;
		b = i;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		if (b > a && is_word(s + a, b - a, w))
			return 1;
	}
	return 0;
}

static int
fail(struct tether_http *h, unsigned reason)
{
	h->reason = (uint8_t)reason;
	return -1;
}

/* Decimal digits only, at most MAX_DIGITS. -1 if not. */
static int32_t
decimal(const char *s, size_t n)
{
	int32_t v = 0;
	size_t i;

	if (n == 0 || n > MAX_DIGITS)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static void
keep(struct tether_http *h, const char *s, size_t n)
{
	while (n-- > 0 && (size_t)h->keep_len + 1 < sizeof(h->keep))
		h->keep[h->keep_len++] = *s++;
	h->keep[h->keep_len] = '\0';
}

static int
status_line(struct tether_http *h, const char *s, size_t n)
{
	int i;

	if (n < 12 || memcmp(s, "HTTP/", 5) != 0 || s[6] != '.' ||
	    s[8] != ' ' || (n > 12 && s[12] != ' '))
		return fail(h, TETHER_HTTP_R_STATUS_LINE);
	if (s[5] != '1' || (s[7] != '0' && s[7] != '1'))
		return fail(h, TETHER_HTTP_R_VERSION);
	h->status = 0;
	for (i = 9; i < 12; i++) {
		if (s[i] < '0' || s[i] > '9')
			return fail(h, TETHER_HTTP_R_STATUS_LINE);
		h->status = (uint16_t)(h->status * 10 + (s[i] - '0'));
	}
	if (h->status < 100)
		return fail(h, TETHER_HTTP_R_STATUS_LINE);
	/* HTTP/1.0 closes unless it says keep-alive */
	h->flags = s[7] == '0' ? TETHER_HTTP_F_CLOSE : 0;
	h->keep_len = 0;
	h->keep[0] = '\0';
	h->named = 0;		/* an interim answer's does not count (its
				 * X-Tether-Command is ignored: not 200/201) */
	h->state = H_HEADER;
	return 0;
}

static int
header_line(struct tether_http *h, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t name_len, vlen;
	const char *v;
	int32_t cl;

	if (colon == NULL || colon == s)
		return fail(h, TETHER_HTTP_R_HEADER);
	name_len = (size_t)(colon - s);
	v = colon + 1;
	vlen = n - name_len - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (is_word(s, name_len, "content-length")) {
		if ((h->flags & F_TRUNC) || (cl = decimal(v, vlen)) < 0 ||
		    ((h->flags & TETHER_HTTP_F_LENGTH) &&
		    (uint32_t)cl != h->body_left))
			return fail(h, TETHER_HTTP_R_CONTENT_LENGTH);
		h->body_left = (uint32_t)cl;
		h->flags |= TETHER_HTTP_F_LENGTH;
	} else if (is_word(s, name_len, "transfer-encoding")) {
		if (!is_word(v, vlen, "chunked"))
			return fail(h, TETHER_HTTP_R_TRANSFER_CODING);
		h->flags |= TETHER_HTTP_F_CHUNKED;
	} else if (is_word(s, name_len, "connection")) {
		if (has_token(v, vlen, "close"))
			h->flags |= TETHER_HTTP_F_CLOSE;
		else if (has_token(v, vlen, "keep-alive"))
			h->flags &= (uint8_t)~TETHER_HTTP_F_CLOSE;
	} else if (is_word(s, name_len, "location")) {
		h->keep_len = 0;
		keep(h, v, vlen);
		h->flags |= TETHER_HTTP_F_LOCATION;
	} else if (is_word(s, name_len, "retry-after")) {
		cl = decimal(v, vlen);
		h->retry_after = cl < 0 ? 0 : cl > 65535 ? 65535 : (uint16_t)cl;
	} else if (h->header != NULL) {
		return h->header(h, s, name_len, v, vlen);
	}
	return 0;
}

/* The empty line after the head: how the body is framed (RFC 9112 6.3),
 * and whether it is a command. */
static void
head_done(struct tether_http *h)
{
	if (h->status < 200 && h->status != 101) {
		h->state = H_STATUS;	/* an interim answer: another follows */
		return;
	}
	/* set only by the hook, in a 200 or 201: the body goes to it */
	if (h->cmd_id != 0)
		h->flags |= TETHER_HTTP_F_COMMAND;
	if (h->status == 204 || h->status == 304 || h->status == 101)
		h->state = H_DONE;
	else if (h->flags & TETHER_HTTP_F_CHUNKED)
		h->state = H_CHUNK_SIZE;
	else if (h->flags & TETHER_HTTP_F_LENGTH)
		h->state = h->body_left > 0 ? H_BODY : H_DONE;
	else {
		h->flags |= TETHER_HTTP_F_CLOSE | TETHER_HTTP_F_TO_CLOSE;
		h->state = H_TO_CLOSE;
	}
}

static int
chunk_size(struct tether_http *h, const char *s, size_t n)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t';
	    i++) {
		int d = lower((unsigned char)s[i]);

		if (i == CHUNK_DIGITS)
			return fail(h, TETHER_HTTP_R_CHUNK);
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'a' && d <= 'f')
			d = d - 'a' + 10;
		else
			return fail(h, TETHER_HTTP_R_CHUNK);
		v = v << 4 | (uint32_t)d;
	}
	if (i == 0)
		return fail(h, TETHER_HTTP_R_CHUNK);
	h->chunk_left = v;
	h->state = v > 0 ? H_CHUNK_DATA : H_TRAILER;
	return 0;
}

/* A whole line (without CRLF) in h->line, h->line_len bytes kept. */
static int
line_done(struct tether_http *h)
{
	const char *s = h->line;
	size_t n = h->line_len;
	int r = 0;

	switch (h->state) {
	case H_STATUS:
		r = status_line(h, s, n);
		break;
	case H_HEADER:
		if (n == 0 && !(h->flags & F_TRUNC))
			head_done(h);
		else
			r = header_line(h, s, n);
		break;
	case H_CHUNK_SIZE:
		r = chunk_size(h, s, n);
		break;
	case H_CHUNK_END:
		if (n != 0)
			return fail(h, TETHER_HTTP_R_CHUNK);
		h->state = H_CHUNK_SIZE;
		break;
	case H_TRAILER:
		if (n == 0 && !(h->flags & F_TRUNC))
			h->state = H_DONE;
		break;
	}
	h->line_len = 0;
	h->flags &= (uint8_t)~(F_TRUNC | F_CR);
	return r;
}

/* n bytes of the body: the command's, or the first ones kept. */
static int
body(struct tether_http *h, const unsigned char *p, size_t n)
{
	if (h->flags & TETHER_HTTP_F_COMMAND)
		return h->header(h, NULL, 0, (const char *)p, n);
	if (!(h->flags & TETHER_HTTP_F_LOCATION)) {
		keep(h, (const char *)p, n);
	}
	return 0;
}

/* see inner.h */
int
tether_http_feed(struct tether_http *h, const unsigned char *p, size_t n,
    size_t *used)
{
	size_t i = 0, k;

	while (i < n && h->state != H_DONE) {
		switch (h->state) {
		case H_BODY:
			k = n - i < h->body_left ? n - i : (size_t)h->body_left;
			if (body(h, p + i, k) < 0)
				goto refused;
			i += k;
			h->body_left -= k;
			if (h->body_left == 0)
				h->state = H_DONE;
			continue;
		case H_CHUNK_DATA:
			k = n - i < h->chunk_left ? n - i :
			    (size_t)h->chunk_left;
			if (body(h, p + i, k) < 0)
				goto refused;
			i += k;
			h->chunk_left -= k;
			if (h->chunk_left == 0)
				h->state = H_CHUNK_END;
			continue;
		case H_TO_CLOSE:
			if (body(h, p + i, n - i) < 0)
				goto refused;
			i = n;
			continue;
		}
		/* a line: status, field, chunk size, chunk end, trailer */
		if (h->state == H_STATUS || h->state == H_HEADER) {
			if (h->head_len >= TETHER_HTTP_HEAD_MAX) {
				*used = i;
				return fail(h, TETHER_HTTP_R_HEAD_TOO_LARGE);
			}
			h->head_len++;
		}
		if (p[i] == '\n') {
			i++;
			if (!(h->flags & F_CR)) {
				*used = i;
				return fail(h, TETHER_HTTP_R_BARE_LF);
			}
			if (line_done(h) < 0) {
				*used = i;
				return -1;
			}
			continue;
		}
		if (h->flags & F_CR) {
			/* a CR inside a line: keep it as data */
			if ((size_t)h->line_len + 1 < sizeof(h->line))
				h->line[h->line_len++] = '\r';
			else
				h->flags |= F_TRUNC;
		}
		if (p[i] == '\r') {
			h->flags |= F_CR;
		} else {
			h->flags &= (uint8_t)~F_CR;
			if ((size_t)h->line_len + 1 < sizeof(h->line))
				h->line[h->line_len++] = (char)p[i];
			else
				h->flags |= F_TRUNC;
		}
		i++;
	}
	*used = i;
	return h->state == H_DONE ? 1 : 0;
refused:	/* the command's body is larger than its buffer */
	*used = i;
	return -1;
}

/* see inner.h */
int
tether_http_eof(struct tether_http *h)
{
	if (h->state != H_TO_CLOSE)
		return 0;
	h->state = H_DONE;
	return 1;
}
