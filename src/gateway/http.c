/* SPDX-License-Identifier: MIT */
/*
 * http.c - the strict HTTP/1.1 request head parser (RFC 9112 sections 2-3,
 * field rules of RFC 9110 section 5): one pass, no allocation, views.
 */
#include <stdint.h>
#include <string.h>

#include "gateway/http.h"

/*
 * The answer depends only on the bytes, never on how they were split
 * across reads: http_parse_request walks the buffer from its start, and
 * http_parse_request_resume takes up the state (struct http_resume) where
 * the last call on the same bytes left it, which is the state the walk
 * from the start would have reached there. After each byte it knows the
 * fewest bytes that could still finish a valid head (min_rest); a head
 * that can no longer be valid, or no longer fit in max_head, is refused at
 * that byte, not when it ends. err->offset is that byte: the prefix before
 * it still returns 0.
 *
 * Most bytes of a head only lengthen a token: the target, a header name,
 * a header value. Where the head-size check cannot fire (far from
 * max_head, Host seen or not needed), such a run is taken at once
 * (take_run), which halves the parse; http_parse_request_bytewise skips
 * that step and is what the fuzz target compares against.
 *
 * Repeated fields: Host is refused with HTTP_R_HOST, a differing
 * Content-Length with HTTP_R_CONTENT_LENGTH, and a second Authorization or
 * X-Tether-Seq with HTTP_R_HEADER_VALUE, so req->authorization and req->seq
 * are never ambiguous.
 */

/* A method longer than this is refused: no route has one near it. */
#define HTTP_MAX_METHOD		16
/* 18 decimal digits always fit in a long long, so no overflow check. */
#define HTTP_MAX_CL_DIGITS	18
/* "HTTP/1.x" */
#define HTTP_VERSION_LEN	8
#define HTTP_CRLF_LEN		2
/* The shortest line that gives an HTTP/1.1 request its Host: "Host:" CRLF
 * (an empty value is valid, RFC 9110 section 7.2). */
#define HTTP_MIN_HOST_LINE	7
/* The only expectation defined (RFC 9110 section 10.1.1). */
#define HTTP_CONTINUE		"100-continue"
#define HTTP_CONTINUE_LEN	(sizeof(HTTP_CONTINUE) - 1)
/* min_rest() when no continuation can make the head valid. */
#define HTTP_IMPOSSIBLE		SIZE_MAX
/* An upper bound of every finite min_rest(), with room to spare: its
 * largest case is the 18 digits of a Content-Length to match, CRLF, then
 * a Host line and the blank line (tail(): 9), 18 + 2 + 9 = 29; where the
 * fast path uses it (no Host still needed) it is 18 + 2 + 2 = 22. */
#define HTTP_MAX_MIN_REST	64

#define HTTP_STR(x)		#x
#define HTTP_XSTR(x)		HTTP_STR(x)

enum state {
	ST_METHOD,	/* n: method bytes so far */
	ST_TARGET,	/* n: target bytes so far */
	ST_VERSION,	/* n: bytes of "HTTP/1.x" so far, 8 then CR */
	ST_RL_LF,	/* request line's CR seen */
	ST_LINE,	/* at the start of a header line or the blank line */
	ST_NAME,	/* n: header name bytes so far */
	ST_VALUE,	/* header value, leading OWS skipped while !in_value */
	ST_HDR_LF,	/* header line's CR seen */
	ST_END_LF	/* blank line's CR seen */
};

/* Header fields the parser derives something from. */
enum field {
	F_OTHER,
	F_HOST,
	F_CONTENT_LENGTH,
	F_TRANSFER_ENCODING,
	F_EXPECT,
	F_CONNECTION,
	F_AUTHORIZATION,
	F_SEQ
};

#define HTTP_FIELD(name, field)	{ name, sizeof(name) - 1, field }
static const struct {
	const char	*name;
	size_t		 len;
	enum field	 field;
} fields[] = {
	HTTP_FIELD("host", F_HOST),
	HTTP_FIELD("content-length", F_CONTENT_LENGTH),
	HTTP_FIELD("transfer-encoding", F_TRANSFER_ENCODING),
	HTTP_FIELD("expect", F_EXPECT),
	HTTP_FIELD("connection", F_CONNECTION),
	HTTP_FIELD("authorization", F_AUTHORIZATION),
	HTTP_FIELD("x-tether-seq", F_SEQ),
};

struct parser {
	struct http_request *req;
	struct http_scan s;	/* what a resumed parse takes up (http.h) */
};

static const char *const reason_text[HTTP_R_COUNT] = {
	[HTTP_R_NONE] = "the request head is valid",
	[HTTP_R_METHOD] = "the method is empty, longer than "
	    HTTP_XSTR(HTTP_MAX_METHOD) " bytes, or has a character that is "
	    "not allowed in a token",
	[HTTP_R_TARGET] = "the request target is not an absolute path "
	    "(origin-form) of visible ASCII characters without a fragment",
	[HTTP_R_TARGET_TOO_LONG] = "the request target is longer than "
	    HTTP_XSTR(GW_MAX_TARGET) " bytes",
	[HTTP_R_VERSION] = "the request asks for an HTTP version other than "
	    "HTTP/1.0 or HTTP/1.1",
	[HTTP_R_REQUEST_LINE] = "the request line is not \"METHOD target "
	    "HTTP/1.x\" with single spaces and CRLF, or empty lines precede "
	    "it",
	[HTTP_R_BARE_LF] = "a line ends with LF without CR",
	[HTTP_R_HEADER_NAME] = "a header name is empty or has a character "
	    "that is not allowed in a token, or a header line has no colon",
	[HTTP_R_HEADER_SPACE] = "a header name is followed by whitespace "
	    "before its colon",
	[HTTP_R_HEADER_VALUE] = "a header value has a control character "
	    "(NUL, a lone CR, DEL, ...), or Authorization or X-Tether-Seq "
	    "appears more than once",
	[HTTP_R_OBS_FOLD] = "a header line starts with whitespace "
	    "(obsolete line folding)",
	[HTTP_R_TOO_MANY_HEADERS] = "the request has more than "
	    HTTP_XSTR(GW_MAX_HEADERS) " header fields",
	[HTTP_R_HEAD_TOO_LARGE] = "the request line and headers are longer "
	    "than the gateway accepts",
	[HTTP_R_HOST] = "an HTTP/1.1 request must have exactly one Host "
	    "header",
	[HTTP_R_CONTENT_LENGTH] = "Content-Length is not a decimal number of "
	    "at most " HTTP_XSTR(HTTP_MAX_CL_DIGITS) " digits, or it appears "
	    "twice with different values",
	[HTTP_R_TRANSFER_ENCODING] = "Transfer-Encoding is not supported; "
	    "send the body with Content-Length",
	[HTTP_R_EXPECT] = "the Expect header has a value other than "
	    "100-continue",
};

static const int reason_status[HTTP_R_COUNT] = {
	[HTTP_R_NONE] = 0,
	[HTTP_R_METHOD] = 400,
	[HTTP_R_TARGET] = 400,
	[HTTP_R_TARGET_TOO_LONG] = 414,
	[HTTP_R_VERSION] = 505,
	[HTTP_R_REQUEST_LINE] = 400,
	[HTTP_R_BARE_LF] = 400,
	[HTTP_R_HEADER_NAME] = 400,
	[HTTP_R_HEADER_SPACE] = 400,
	[HTTP_R_HEADER_VALUE] = 400,
	[HTTP_R_OBS_FOLD] = 400,
	[HTTP_R_TOO_MANY_HEADERS] = 431,
	[HTTP_R_HEAD_TOO_LARGE] = 431,
	[HTTP_R_HOST] = 400,
	[HTTP_R_CONTENT_LENGTH] = 400,
	[HTTP_R_TRANSFER_ENCODING] = 501,
	[HTTP_R_EXPECT] = 417,
};

static const struct {
	int		 status;
	const char	*text;
} status_text[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 417, "Expectation Failed" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

/* ASCII only: the locale must not change what a header name matches. */
static int
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* tchar, RFC 9110 section 5.6.2. */
static int
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return 1;
	default:
		return 0;
	}
}

static int
is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* field-vchar / obs-text / SP / HTAB, RFC 9110 section 5.5. */
static int
is_value_char(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7e) || c >= 0x80 || is_ows(c);
}

static int
prefix_eq(const char *p, size_t n, const char *s)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || lower((unsigned char)p[i]) !=
		    lower((unsigned char)s[i]))
			return 0;
	return 1;
}

int
http_view_eq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && prefix_eq(p, n, s);
}

int
http_method_is(const struct http_request *req, const char *m)
{
	size_t n = strlen(m);

	return req->method_len == n && memcmp(req->method, m, n) == 0;
}

const char *
http_reason_text(enum http_reason reason)
{
	if ((unsigned)reason >= HTTP_R_COUNT)
		return "an unknown reason (not a value of enum http_reason)";
	return reason_text[reason];
}

const char *
http_status_text(int status)
{
	size_t	 i;

	for (i = 0; i < sizeof(status_text) / sizeof(status_text[0]); i++)
		if (status_text[i].status == status)
			return status_text[i].text;
	return "Error";
}

/*
 * The fewest digits still to append to a Content-Length of n digits read
 * so far (value w) so that it equals an earlier one, want; HTTP_IMPOSSIBLE
 * if no digits can. Leading zeros are allowed, so "0" can still become 5.
 * Since n + k <= 18, (w + 1) * 10^k <= 10^18 never overflows.
 */
static size_t
cl_digits_to(long long w, size_t n, long long want)
{
	long long	 scale = 1;
	size_t		 k;

	for (k = 0; n + k <= HTTP_MAX_CL_DIGITS; k++, scale *= 10) {
		if ((n > 0 || k > 0) && w * scale <= want &&
		    want < (w + 1) * scale)
			return k;
		if (n + k == HTTP_MAX_CL_DIGITS)
			break;
	}
	return HTTP_IMPOSSIBLE;
}

static int
needs_host(const struct parser *p)
{
	return p->s.version_known && p->req->minor == 1 && !p->s.host_seen;
}

/*
 * The fewest bytes of header section left once a header line ends, with
 * free_slots entries of req->headers still unused: the blank line, and a
 * Host line first if HTTP/1.1 still needs one.
 */
static size_t
tail(const struct parser *p, size_t free_slots)
{
	if (!needs_host(p))
		return HTTP_CRLF_LEN;
	if (free_slots == 0)
		return HTTP_IMPOSSIBLE;
	return HTTP_MIN_HOST_LINE + HTTP_CRLF_LEN;
}

static size_t
plus(size_t a, size_t b)
{
	return b == HTTP_IMPOSSIBLE ? HTTP_IMPOSSIBLE : a + b;
}

/*
 * The fewest bytes that, appended to what has been read, make a valid head;
 * HTTP_IMPOSSIBLE when none can (only an HTTP/1.1 request that has run out
 * of header slots before its Host: every other dead end is refused by the
 * byte that causes it).
 */
static size_t
min_rest(const struct parser *p)
{
	size_t	 used = p->req->num_headers;
	size_t	 value;

	switch (p->s.st) {
	case ST_METHOD:
		/* [method] SP "/" SP "HTTP/1.0" CRLF CRLF */
		return (p->s.n == 0) + 3 + HTTP_VERSION_LEN + 2 * HTTP_CRLF_LEN;
	case ST_TARGET:
		return (p->s.n == 0) + 1 + HTTP_VERSION_LEN + 2 * HTTP_CRLF_LEN;
	case ST_VERSION:
		/* Until the minor digit is read HTTP/1.0 is still possible. */
		return plus(HTTP_VERSION_LEN - p->s.n + HTTP_CRLF_LEN,
		    tail(p, GW_MAX_HEADERS));
	case ST_RL_LF:
		return plus(1, tail(p, GW_MAX_HEADERS));
	case ST_LINE:
		return tail(p, GW_MAX_HEADERS - used);
	case ST_NAME:
		/* This line takes slot "used"; if it can still become the
		 * Host line it needs, finishing it so is the shortest way. */
		if (needs_host(p) && p->s.n <= 4 &&
		    prefix_eq(p->req->headers[used].name, p->s.n, "host"))
			return 4 - p->s.n + 1 + 2 * HTTP_CRLF_LEN;
		return plus(1 + HTTP_CRLF_LEN,
		    tail(p, GW_MAX_HEADERS - used - 1));
	case ST_VALUE:
		value = 0;
		if (p->s.field == F_CONTENT_LENGTH)
			value = p->s.cl_more;
		else if (p->s.field == F_EXPECT)
			value = HTTP_CONTINUE_LEN - p->s.expect_n;
		return plus(value + HTTP_CRLF_LEN,
		    tail(p, GW_MAX_HEADERS - used));
	case ST_HDR_LF:
		return plus(1, tail(p, GW_MAX_HEADERS - used));
	case ST_END_LF:
		return needs_host(p) ? HTTP_IMPOSSIBLE : 1;
	}
	return HTTP_IMPOSSIBLE;
}

static enum field
classify(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].len == len &&
		    prefix_eq(name, len, fields[i].name))
			return fields[i].field;
	return F_OTHER;
}

/* The colon after a header name: what this field is, and whether it may
 * appear here at all. */
static enum http_reason
name_done(struct parser *p)
{
	struct http_request *req = p->req;
	struct http_header *h = &req->headers[req->num_headers];

	h->name_len = p->s.n;
	h->value = NULL;
	h->value_len = 0;
	p->s.field = classify(h->name, h->name_len);
	p->s.in_value = 0;
	switch (p->s.field) {
	case F_TRANSFER_ENCODING:
		/* Any coding means a body framed other than by
		 * Content-Length; refusing it closes the smuggling door. */
		return HTTP_R_TRANSFER_ENCODING;
	case F_HOST:
		if (p->s.host_seen)
			return HTTP_R_HOST;
		p->s.host_seen = 1;
		break;
	case F_AUTHORIZATION:
		/* Two credentials would leave "which one" to whoever reads
		 * the header last: refuse rather than guess. */
		if (req->authorization != NULL)
			return HTTP_R_HEADER_VALUE;
		req->authorization = h;
		break;
	case F_SEQ:
		if (req->seq != NULL)
			return HTTP_R_HEADER_VALUE;
		req->seq = h;
		break;
	case F_CONTENT_LENGTH:
		p->s.cl_digits = 0;
		p->s.cl_value = 0;
		p->s.cl_closed = 0;
		p->s.cl_more = p->s.cl_seen ?
		    cl_digits_to(0, 0, req->content_length) : 1;
		break;
	case F_EXPECT:
		p->s.expect_n = 0;
		break;
	case F_CONNECTION:
	case F_OTHER:
		break;
	}
	req->num_headers++;
	return HTTP_R_NONE;
}

/* One byte of a Content-Length value after its leading OWS: 1*DIGIT OWS,
 * equal to any earlier Content-Length. A list ("5, 5") is refused. */
static enum http_reason
cl_byte(struct parser *p, unsigned char c)
{
	long long	 want = p->req->content_length;

	if (c >= '0' && c <= '9') {
		if (p->s.cl_closed || p->s.cl_digits == HTTP_MAX_CL_DIGITS)
			return HTTP_R_CONTENT_LENGTH;
		p->s.cl_value = p->s.cl_value * 10 + (c - '0');
		p->s.cl_digits++;
		p->s.cl_more = p->s.cl_seen ?
		    cl_digits_to(p->s.cl_value, p->s.cl_digits, want) : 0;
		if (p->s.cl_more == HTTP_IMPOSSIBLE)
			return HTTP_R_CONTENT_LENGTH;
		return HTTP_R_NONE;
	}
	if (is_ows(c)) {
		if (!p->s.cl_closed && p->s.cl_seen && p->s.cl_value != want)
			return HTTP_R_CONTENT_LENGTH;
		p->s.cl_closed = 1;
		p->s.cl_more = 0;
		return HTTP_R_NONE;
	}
	return HTTP_R_CONTENT_LENGTH;
}

/* One byte of an Expect value after its leading OWS: "100-continue" in any
 * case, then only OWS. */
static enum http_reason
expect_byte(struct parser *p, unsigned char c)
{
	if (p->s.expect_n < HTTP_CONTINUE_LEN) {
		if (lower(c) != (unsigned char)HTTP_CONTINUE[p->s.expect_n])
			return HTTP_R_EXPECT;
		p->s.expect_n++;
		return HTTP_R_NONE;
	}
	return is_ows(c) ? HTTP_R_NONE : HTTP_R_EXPECT;
}

/* Connection is a list of tokens; only "close" and "keep-alive" matter. */
static void
connection_tokens(struct parser *p, const char *v, size_t len)
{
	size_t	 i = 0, s, e;

	while (i < len) {
		while (i < len && (is_ows((unsigned char)v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_ows((unsigned char)v[e - 1]))
			e--;
		if (http_view_eq(v + s, e - s, "close"))
			p->s.conn_close = 1;
		else if (http_view_eq(v + s, e - s, "keep-alive"))
			p->s.conn_keep_alive = 1;
	}
}

/* The CR ending a header line: store the value, check what needs the
 * whole of it. */
static enum http_reason
value_done(struct parser *p, const char *buf, size_t i)
{
	struct http_request *req = p->req;
	struct http_header *h = &req->headers[req->num_headers - 1];

	if (p->s.in_value) {
		h->value = buf + p->s.start;
		h->value_len = p->s.value_end - p->s.start;
	} else {
		h->value = buf + i;
		h->value_len = 0;
	}
	switch (p->s.field) {
	case F_CONTENT_LENGTH:
		if (p->s.cl_digits == 0 ||
		    (p->s.cl_seen && p->s.cl_value != req->content_length))
			return HTTP_R_CONTENT_LENGTH;
		req->content_length = p->s.cl_value;
		p->s.cl_seen = 1;
		break;
	case F_EXPECT:
		if (p->s.expect_n < HTTP_CONTINUE_LEN)
			return HTTP_R_EXPECT;
		/* A 1.0 client cannot wait for 100 Continue; RFC 9110
		 * section 10.1.1 says to ignore the expectation. */
		req->expect_continue = req->minor == 1;
		break;
	case F_CONNECTION:
		connection_tokens(p, h->value, h->value_len);
		break;
	default:
		break;
	}
	return HTTP_R_NONE;
}

/* One byte of the request line. */
static enum http_reason
request_line_byte(struct parser *p, const char *buf, size_t i)
{
	static const char version[] = "HTTP/1.";
	struct http_request *req = p->req;
	unsigned char c = (unsigned char)buf[i];

	if (c == '\n' && !(p->s.st == ST_METHOD && p->s.n == 0) &&
	    p->s.st != ST_RL_LF)
		return HTTP_R_BARE_LF;
	switch (p->s.st) {
	case ST_METHOD:
		if (p->s.n == 0 && (c == '\r' || c == '\n'))
			return HTTP_R_REQUEST_LINE;	/* leading empty line */
		if (p->s.n > 0 && c == ' ') {
			req->method = buf;
			req->method_len = p->s.n;
			p->s.st = ST_TARGET;
			p->s.start = i + 1;
			p->s.n = 0;
			return HTTP_R_NONE;
		}
		if (p->s.n > 0 && c == '\r')
			return HTTP_R_REQUEST_LINE;
		if (!is_tchar(c) || ++p->s.n > HTTP_MAX_METHOD)
			return HTTP_R_METHOD;
		return HTTP_R_NONE;
	case ST_TARGET:
		if (c == ' ' && p->s.n > 0) {
			req->target = buf + p->s.start;
			req->target_len = p->s.n;
			p->s.st = ST_VERSION;
			p->s.n = 0;
			return HTTP_R_NONE;
		}
		if (c == ' ' || c == '\r')
			return HTTP_R_REQUEST_LINE;
		if ((p->s.n == 0 && c != '/') || c < 0x21 || c > 0x7e ||
		    c == '#')
			return HTTP_R_TARGET;
		if (++p->s.n > GW_MAX_TARGET)
			return HTTP_R_TARGET_TOO_LONG;
		return HTTP_R_NONE;
	case ST_VERSION:
		if (p->s.n == HTTP_VERSION_LEN) {
			if (c != '\r')
				return HTTP_R_REQUEST_LINE;
			p->s.st = ST_RL_LF;
			return HTTP_R_NONE;
		}
		/* "HTTP/" DIGIT "." DIGIT naming another version is 505 from
		 * its first differing digit; anything else is malformed. */
		if ((p->s.n == 5 || p->s.n == 7) && c >= '0' && c <= '9') {
			if (p->s.n == 5 && c != '1')
				return HTTP_R_VERSION;
			if (p->s.n == 7) {
				if (c > '1')
					return HTTP_R_VERSION;
				req->minor = c - '0';
				p->s.version_known = 1;
			}
		} else if (p->s.n == 7 || c != (unsigned char)version[p->s.n])
			return HTTP_R_REQUEST_LINE;
		p->s.n++;
		return HTTP_R_NONE;
	case ST_RL_LF:
		if (c != '\n')
			return HTTP_R_REQUEST_LINE;
		p->s.st = ST_LINE;
		return HTTP_R_NONE;
	default:
		return HTTP_R_REQUEST_LINE;
	}
}

/* One byte of the header section. Sets *done at the blank line's LF. */
static enum http_reason
header_byte(struct parser *p, const char *buf, size_t i, int *done)
{
	struct http_request *req = p->req;
	unsigned char c = (unsigned char)buf[i];

	switch (p->s.st) {
	case ST_LINE:
		if (c == '\r') {
			p->s.st = ST_END_LF;
			return HTTP_R_NONE;
		}
		if (c == '\n')
			return HTTP_R_BARE_LF;
		if (is_ows(c))
			return HTTP_R_OBS_FOLD;
		if (!is_tchar(c))
			return HTTP_R_HEADER_NAME;
		if (req->num_headers == GW_MAX_HEADERS)
			return HTTP_R_TOO_MANY_HEADERS;
		req->headers[req->num_headers].name = buf + i;
		p->s.st = ST_NAME;
		p->s.n = 1;
		return HTTP_R_NONE;
	case ST_NAME:
		if (is_tchar(c)) {
			p->s.n++;
			return HTTP_R_NONE;
		}
		if (c == ':') {
			p->s.st = ST_VALUE;
			return name_done(p);
		}
		if (is_ows(c))
			return HTTP_R_HEADER_SPACE;
		if (c == '\n')
			return HTTP_R_BARE_LF;
		return HTTP_R_HEADER_NAME;
	case ST_VALUE:
		if (c == '\r') {
			p->s.st = ST_HDR_LF;
			return value_done(p, buf, i);
		}
		if (c == '\n')
			return HTTP_R_BARE_LF;
		if (!is_value_char(c))
			return HTTP_R_HEADER_VALUE;
		if (!p->s.in_value) {
			if (is_ows(c))
				return HTTP_R_NONE;	/* leading OWS */
			p->s.in_value = 1;
			p->s.start = i;
		}
		if (!is_ows(c))
			p->s.value_end = i + 1;
		if (p->s.field == F_CONTENT_LENGTH)
			return cl_byte(p, c);
		if (p->s.field == F_EXPECT)
			return expect_byte(p, c);
		return HTTP_R_NONE;
	case ST_HDR_LF:
		if (c != '\n')
			return HTTP_R_HEADER_VALUE;	/* lone CR */
		p->s.st = ST_LINE;
		return HTTP_R_NONE;
	case ST_END_LF:
		if (c != '\n')
			return HTTP_R_HEADER_NAME;
		if (req->minor == 1)
			req->keep_alive = !p->s.conn_close;
		else
			req->keep_alive = p->s.conn_keep_alive && !p->s.conn_close;
		*done = 1;
		return HTTP_R_NONE;
	default:
		return HTTP_R_HEADER_NAME;
	}
}

/*
 * The bytes from i to before end that would only lengthen the current
 * token (the target, a header name, a header value past its leading OWS),
 * taken at once; returns the first byte not taken. The caller makes sure
 * no byte before end needs the head-size check (see HTTP_MAX_MIN_REST).
 */
static size_t
take_run(struct parser *p, const char *buf, size_t i, size_t end)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t j = i;

	switch (p->s.st) {
	case ST_TARGET:
		if (p->s.n == 0)
			return i;	/* the first byte must be '/' */
		if (end - i > GW_MAX_TARGET - p->s.n)
			end = i + (GW_MAX_TARGET - p->s.n);
		while (j < end && b[j] >= 0x21 && b[j] <= 0x7e && b[j] != '#')
			j++;
		p->s.n += j - i;
		return j;
	case ST_NAME:
		while (j < end && is_tchar(b[j]))
			j++;
		p->s.n += j - i;
		return j;
	case ST_VALUE:
		if (!p->s.in_value || p->s.field == F_CONTENT_LENGTH ||
		    p->s.field == F_EXPECT)
			return i;
		while (j < end && is_value_char(b[j]) && !is_ows(b[j]))
			j++;
		if (j > i)
			p->s.value_end = j;
		return j;
	default:
		return i;
	}
}

static int
refuse(struct http_error *err, enum http_reason reason, size_t offset)
{
	err->reason = reason;
	err->status = reason_status[reason];
	err->offset = offset;
	return -1;
}

/* No view is this far into a head: the mark of a view not set yet. */
#define HTTP_NO_VIEW	UINT16_MAX
_Static_assert(GW_MAX_HEAD < HTTP_NO_VIEW, "views are kept as uint16_t");

static uint16_t
offset_of(const char *view, const char *buf)
{
	return view != NULL ? (uint16_t)(view - buf) : HTTP_NO_VIEW;
}

static const char *
view_at(uint16_t off, const char *buf)
{
	return off != HTTP_NO_VIEW ? buf + off : NULL;
}

/* Keeps where the parse of buf stands, views as offsets. The slot after
 * the last header is kept only while its name is being read (until then
 * it holds nothing). */
static void
save(struct http_resume *rs, const struct parser *p, const char *buf,
    size_t pos)
{
	const struct http_request *req = p->req;
	size_t slots = req->num_headers + (p->s.st == ST_NAME);

	rs->pos = pos;
	rs->scan = p->s;
	rs->method_len = (uint16_t)req->method_len;
	rs->target_off = offset_of(req->target, buf);
	rs->target_len = (uint16_t)req->target_len;
	rs->minor = req->minor;
	rs->num_headers = req->num_headers;
	rs->content_length = req->content_length;
	rs->keep_alive = req->keep_alive;
	rs->expect_continue = req->expect_continue;
	rs->auth_slot = req->authorization != NULL ?
	    (int)(req->authorization - req->headers) + 1 : 0;
	rs->seq_slot = req->seq != NULL ?
	    (int)(req->seq - req->headers) + 1 : 0;
	for (size_t k = 0; k < slots; k++) {
		rs->h[k].name = offset_of(req->headers[k].name, buf);
		rs->h[k].name_len = (uint16_t)req->headers[k].name_len;
		rs->h[k].value = k < req->num_headers ?
		    offset_of(req->headers[k].value, buf) : HTTP_NO_VIEW;
		rs->h[k].value_len = k < req->num_headers ?
		    (uint16_t)req->headers[k].value_len : 0;
	}
}

/* The request and the parser as save() left them, views into buf. */
static void
restore(const struct http_resume *rs, struct parser *p, const char *buf)
{
	struct http_request *req = p->req;
	size_t slots = rs->num_headers + (rs->scan.st == ST_NAME);

	p->s = rs->scan;
	req->method = rs->method_len > 0 ? buf : NULL;
	req->method_len = rs->method_len;
	req->target = view_at(rs->target_off, buf);
	req->target_len = rs->target_len;
	req->minor = rs->minor;
	req->num_headers = rs->num_headers;
	req->content_length = rs->content_length;
	req->keep_alive = rs->keep_alive;
	req->expect_continue = rs->expect_continue;
	req->authorization = rs->auth_slot > 0 ?
	    &req->headers[rs->auth_slot - 1] : NULL;
	req->seq = rs->seq_slot > 0 ? &req->headers[rs->seq_slot - 1] : NULL;
	for (size_t k = 0; k < slots; k++) {
		req->headers[k].name = view_at(rs->h[k].name, buf);
		req->headers[k].name_len = rs->h[k].name_len;
		req->headers[k].value = view_at(rs->h[k].value, buf);
		req->headers[k].value_len = rs->h[k].value_len;
	}
}

/*
 * The parse of buf[0, len), from the start, or (rs, rs->pos > 0) from
 * where the last call stopped; rs (if not NULL) is left where this one
 * stops.
 */
static int
parse(const char *buf, size_t len, size_t max_head,
    struct http_request *req, struct http_error *err, int fast,
    struct http_resume *rs)
{
	struct parser	 p;
	enum http_reason r;
	size_t		 i, rest, fast_end, from = 0;
	int		 done = 0;

	/* The header's contract caps max_head; a larger one is treated as
	 * the cap rather than trusted, so the head stays bounded. */
	if (max_head > GW_MAX_HEAD)
		max_head = GW_MAX_HEAD;
	fast_end = max_head > HTTP_MAX_MIN_REST ?
	    max_head - HTTP_MAX_MIN_REST : 0;
	if (fast_end > len)
		fast_end = len;

	memset(&p, 0, sizeof(p));
	p.req = req;
	err->reason = HTTP_R_NONE;
	err->status = 0;
	err->offset = 0;
	if (rs != NULL && rs->pos > 0 && rs->pos <= len) {
		restore(rs, &p, buf);
		from = rs->pos;
	} else {
		p.s.st = ST_METHOD;
		req->method = NULL;
		req->method_len = 0;
		req->target = NULL;
		req->target_len = 0;
		req->minor = 0;
		req->num_headers = 0;
		req->content_length = -1;
		req->keep_alive = 0;
		req->expect_continue = 0;
		req->authorization = NULL;
		req->seq = NULL;
		if (min_rest(&p) > max_head)
			return refuse(err, HTTP_R_HEAD_TOO_LARGE, 0);
	}

	for (i = from; i < len; i++) {
		if (fast && i < fast_end && !needs_host(&p) &&
		    (i = take_run(&p, buf, i, fast_end)) == len)
			break;
		if (p.s.st <= ST_RL_LF)
			r = request_line_byte(&p, buf, i);
		else
			r = header_byte(&p, buf, i, &done);
		if (r != HTTP_R_NONE)
			return refuse(err, r, i);
		if (done)
			break;
		/* Only an HTTP/1.1 head without Host can become impossible,
		 * and no finite min_rest exceeds HTTP_MAX_MIN_REST: far from
		 * the limit the answer is known without asking. */
		if (!needs_host(&p) && i + 1 + HTTP_MAX_MIN_REST <= max_head)
			continue;
		rest = min_rest(&p);
		if (rest == HTTP_IMPOSSIBLE)
			return refuse(err, HTTP_R_HOST, i);
		if (rest > max_head - (i + 1))
			return refuse(err, HTTP_R_HEAD_TOO_LARGE, i);
	}
	if (rs != NULL) {
		size_t end = done ? i + 1 : len;

		save(rs, &p, buf, end);
		rs->walked += end - from;
		rs->head_len = done ? end : 0;
	}
	return done ? (int)(i + 1) : 0;
}

int
http_parse_request(const char *buf, size_t len, size_t max_head,
    struct http_request *req, struct http_error *err)
{
	return parse(buf, len, max_head, req, err, 1, NULL);
}

int
http_parse_request_bytewise(const char *buf, size_t len, size_t max_head,
    struct http_request *req, struct http_error *err)
{
	return parse(buf, len, max_head, req, err, 0, NULL);
}

int
http_parse_request_resume(const char *buf, size_t len, size_t max_head,
    struct http_request *req, struct http_error *err,
    struct http_resume *rs)
{
	if (rs->head_len > 0 && rs->head_len <= len) {
		/* complete already: the views, no parse */
		struct parser p = { .req = req };

		restore(rs, &p, buf);
		err->reason = HTTP_R_NONE;
		err->status = 0;
		err->offset = 0;
		return (int)rs->head_len;
	}
	if (rs->pos > len) {	/* not the same bytes: start again */
		size_t walked = rs->walked;

		memset(rs, 0, sizeof(*rs));
		rs->walked = walked;
	}
	return parse(buf, len, max_head, req, err, 1, rs);
}
