/* SPDX-License-Identifier: MIT */
/*
 * test_http.c - the request head parser: valid heads and what it derives
 * from them, every refusal reason with its status and offset, every split
 * position against a guard page, and the reason and status texts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "gateway/app.h"
#include "gateway/http.h"
#include "../http_agree.h"

/* Repeat a string literal at compile time, for heads at the limits. */
#define R2(s)		s s
#define R4(s)		R2(R2(s))
#define R8(s)		R2(R4(s))
#define R16(s)		R4(R4(s))
#define R31(s)		R16(s) R8(s) R4(s) R2(s) s
#define R32(s)		R2(R16(s))
#define R256(s)		R16(R16(s))

/* A literal's length, NULs inside included. */
#define LIT(s)		.input = s, .len = sizeof(s) - 1

#define RL11		"GET / HTTP/1.1\r\n"	/* 16 bytes */
#define HOST		"Host: a\r\n"		/* 9 bytes: 16..24 */
#define MAX_EXPECTED	6
/* Room before the guard page: a head at GW_MAX_HEAD plus what follows. */
#define GUARD_ROOM	(4 * GW_MAX_HEAD)

struct expected_header {
	const char	*name;
	const char	*value;
};

struct valid_case {
	const char	*name;
	const char	*head;
	const char	*after;		/* body or next request, not parsed */
	const char	*method;
	const char	*target;
	int		 minor;
	size_t		 num_headers;
	struct expected_header headers[MAX_EXPECTED];	/* all, in order,
						 * unless headers[0].name is NULL */
	long long	 content_length;
	int		 keep_alive;
	int		 expect_continue;
	const char	*authorization;	/* value; NULL: absent */
	const char	*seq;
};

static const struct valid_case valid_cases[] = {
	{
		.name = "GET on keep-alive by default",
		.head = "GET /v1/health HTTP/1.1\r\nHost: gw.example\r\n\r\n",
		.method = "GET", .target = "/v1/health", .minor = 1,
		.num_headers = 1,
		.headers = { { "Host", "gw.example" } },
		.content_length = -1, .keep_alive = 1,
	},
	{
		.name = "POST a message with a body",
		.head = "POST /v1/messages HTTP/1.1\r\nHost: gw\r\n"
		    "Authorization: Device tth_abc\r\nX-Tether-Seq: 42\r\n"
		    "Content-Length: 5\r\n\r\n",
		.after = "hello",
		.method = "POST", .target = "/v1/messages", .minor = 1,
		.num_headers = 4,
		.headers = { { "Host", "gw" },
		    { "Authorization", "Device tth_abc" },
		    { "X-Tether-Seq", "42" }, { "Content-Length", "5" } },
		.content_length = 5, .keep_alive = 1,
		.authorization = "Device tth_abc", .seq = "42",
	},
	{
		.name = "OWS around values is stripped, inner kept",
		.head = RL11 "Host:  \t gw \t \r\nX-A:\t\tv  a\t\r\nX-Empty:\r\n"
		    "X-Blank: \t \r\nx-tether-seq:7\r\n\r\n",
		.method = "GET", .target = "/", .minor = 1,
		.num_headers = 5,
		.headers = { { "Host", "gw" }, { "X-A", "v  a" },
		    { "X-Empty", "" }, { "X-Blank", "" },
		    { "x-tether-seq", "7" } },
		.content_length = -1, .keep_alive = 1, .seq = "7",
	},
	{
		.name = "obs-text in a value, query in the target",
		.head = "GET /caf%C3%A9?q=1&r=/x HTTP/1.1\r\nHost: gw\r\n"
		    "X-Name: caf\xc3\xa9 \xff\r\n\r\n",
		.method = "GET", .target = "/caf%C3%A9?q=1&r=/x", .minor = 1,
		.num_headers = 2,
		.headers = { { "Host", "gw" },
		    { "X-Name", "caf\xc3\xa9 \xff" } },
		.content_length = -1, .keep_alive = 1,
	},
	{
		.name = "HTTP/1.0 with keep-alive, no Host needed",
		.head = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		.method = "GET", .target = "/", .minor = 0,
		.num_headers = 1,
		.headers = { { "Connection", "Keep-Alive" } },
		.content_length = -1, .keep_alive = 1,
	},
	{
		.name = "HTTP/1.0 closes by default",
		.head = "GET / HTTP/1.0\r\n\r\n",
		.method = "GET", .target = "/", .minor = 0,
		.content_length = -1, .keep_alive = 0,
	},
	{
		.name = "HTTP/1.1 close in a token list",
		.head = RL11 "Host: gw\r\nConnection: upgrade ,CLOSE\r\n\r\n",
		.method = "GET", .target = "/", .minor = 1, .num_headers = 2,
		.content_length = -1, .keep_alive = 0,
	},
	{
		.name = "HTTP/1.0 keep-alive then close: close wins",
		.head = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
		    "Connection: close\r\n\r\n",
		.method = "GET", .target = "/", .minor = 0, .num_headers = 2,
		.content_length = -1, .keep_alive = 0,
	},
	{
		.name = "Expect 100-continue, same Content-Length twice",
		.head = "POST /v1/messages HTTP/1.1\r\nHost: gw\r\n"
		    "Expect: 100-Continue \r\nContent-Length: 16\r\n"
		    "Content-Length:016 \r\n\r\n",
		.after = "0123456789abcdef",
		.method = "POST", .target = "/v1/messages", .minor = 1,
		.num_headers = 4,
		.headers = { { "Host", "gw" }, { "Expect", "100-Continue" },
		    { "Content-Length", "16" }, { "Content-Length", "016" } },
		.content_length = 16, .keep_alive = 1, .expect_continue = 1,
	},
	{
		.name = "HTTP/1.0 Expect is ignored",
		.head = "POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
		    "Content-Length: 0\r\n\r\n",
		.method = "POST", .target = "/", .minor = 0, .num_headers = 2,
		.content_length = 0, .keep_alive = 0, .expect_continue = 0,
	},
	{
		.name = "empty Host value",
		.head = RL11 "Host:\r\n\r\n",
		.method = "GET", .target = "/", .minor = 1, .num_headers = 1,
		.headers = { { "Host", "" } },
		.content_length = -1, .keep_alive = 1,
	},
	{
		.name = "pipelined pair: the first head only",
		.head = "GET /a HTTP/1.1\r\nHost: gw\r\n\r\n",
		.after = "GET /b HTTP/1.1\r\nHost: gw\r\n\r\n",
		.method = "GET", .target = "/a", .minor = 1, .num_headers = 1,
		.content_length = -1, .keep_alive = 1,
	},
	{
		.name = "16-byte method of tchars, 18-digit Content-Length",
		.head = "M-SEARCH!#$%&'*+ /x HTTP/1.1\r\nHost: gw\r\n"
		    "Content-Length: 999999999999999999\r\n\r\n",
		.method = "M-SEARCH!#$%&'*+", .target = "/x", .minor = 1,
		.num_headers = 2,
		.content_length = 999999999999999999LL, .keep_alive = 1,
	},
	{
		.name = "request-target of exactly GW_MAX_TARGET bytes",
		.head = "GET " R256("/abc") " HTTP/1.1\r\nHost: gw\r\n\r\n",
		.method = "GET", .target = R256("/abc"), .minor = 1,
		.num_headers = 1, .content_length = -1, .keep_alive = 1,
	},
	{
		.name = "exactly GW_MAX_HEADERS fields",
		.head = "GET / HTTP/1.0\r\n" R32("X: v\r\n") "\r\n",
		.method = "GET", .target = "/", .minor = 0,
		.num_headers = GW_MAX_HEADERS, .content_length = -1,
	},
	{
		.name = "HTTP/1.1 whose last free field is its Host",
		.head = RL11 R31("X: v\r\n") "Host: gw\r\n\r\n",
		.method = "GET", .target = "/", .minor = 1,
		.num_headers = GW_MAX_HEADERS, .content_length = -1,
		.keep_alive = 1,
	},
};

struct error_case {
	const char	*name;
	const char	*input;
	size_t		 len;		/* input's length */
	size_t		 max_head;	/* 0: GW_MAX_HEAD */
	enum http_reason reason;
	int		 status;
	size_t		 offset;
};

static const struct error_case error_cases[] = {
	{ .name = "method with a non-token character",
	  LIT("G@T / HTTP/1.1\r\n" HOST "\r\n"),
	  .reason = HTTP_R_METHOD, .status = 400, .offset = 1 },
	{ .name = "method of 17 bytes",
	  LIT("ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n"),
	  .reason = HTTP_R_METHOD, .status = 400, .offset = 16 },
	{ .name = "leading space before the method",
	  LIT(" GET / HTTP/1.1\r\n"),
	  .reason = HTTP_R_METHOD, .status = 400, .offset = 0 },
	{ .name = "absolute-form target",
	  LIT("GET http://gw/ HTTP/1.1\r\n"),
	  .reason = HTTP_R_TARGET, .status = 400, .offset = 4 },
	{ .name = "asterisk-form target",
	  LIT("OPTIONS * HTTP/1.1\r\n"),
	  .reason = HTTP_R_TARGET, .status = 400, .offset = 8 },
	{ .name = "fragment in the target",
	  LIT("GET /a#b HTTP/1.1\r\n"),
	  .reason = HTTP_R_TARGET, .status = 400, .offset = 6 },
	{ .name = "control character in the target",
	  LIT("GET /a\x01 HTTP/1.1\r\n"),
	  .reason = HTTP_R_TARGET, .status = 400, .offset = 6 },
	{ .name = "non-ASCII byte in the target",
	  LIT("GET /caf\xc3\xa9 HTTP/1.1\r\n"),
	  .reason = HTTP_R_TARGET, .status = 400, .offset = 8 },
	{ .name = "target one byte over GW_MAX_TARGET",
	  LIT("GET " R256("/abc") "d HTTP/1.1\r\n"),
	  .reason = HTTP_R_TARGET_TOO_LONG, .status = 414,
	  .offset = 4 + GW_MAX_TARGET },
	{ .name = "HTTP/2.0",
	  LIT("GET / HTTP/2.0\r\n"),
	  .reason = HTTP_R_VERSION, .status = 505, .offset = 11 },
	{ .name = "HTTP/1.2",
	  LIT("GET / HTTP/1.2\r\n"),
	  .reason = HTTP_R_VERSION, .status = 505, .offset = 13 },
	{ .name = "empty line before the request line",
	  LIT("\r\nGET / HTTP/1.1\r\n"),
	  .reason = HTTP_R_REQUEST_LINE, .status = 400, .offset = 0 },
	{ .name = "bare LF line before the request line",
	  LIT("\nGET / HTTP/1.1\r\n"),
	  .reason = HTTP_R_REQUEST_LINE, .status = 400, .offset = 0 },
	{ .name = "two spaces after the method",
	  LIT("GET  / HTTP/1.1\r\n"),
	  .reason = HTTP_R_REQUEST_LINE, .status = 400, .offset = 4 },
	{ .name = "space after the version",
	  LIT("GET / HTTP/1.1 \r\n"),
	  .reason = HTTP_R_REQUEST_LINE, .status = 400, .offset = 14 },
	{ .name = "lower-case protocol name",
	  LIT("GET / http/1.1\r\n"),
	  .reason = HTTP_R_REQUEST_LINE, .status = 400, .offset = 6 },
	{ .name = "no version (HTTP/0.9 style)",
	  LIT("GET /\r\n"),
	  .reason = HTTP_R_REQUEST_LINE, .status = 400, .offset = 5 },
	{ .name = "method alone",
	  LIT("GET\r\n"),
	  .reason = HTTP_R_REQUEST_LINE, .status = 400, .offset = 3 },
	{ .name = "two-digit minor version",
	  LIT("GET / HTTP/1.10\r\n"),
	  .reason = HTTP_R_REQUEST_LINE, .status = 400, .offset = 14 },
	{ .name = "minor version not a digit",
	  LIT("GET / HTTP/1.x\r\n"),
	  .reason = HTTP_R_REQUEST_LINE, .status = 400, .offset = 13 },
	{ .name = "request line CR without LF",
	  LIT("GET / HTTP/1.1\rX"),
	  .reason = HTTP_R_REQUEST_LINE, .status = 400, .offset = 15 },
	{ .name = "request line ends with bare LF",
	  LIT("GET / HTTP/1.1\n" HOST "\r\n"),
	  .reason = HTTP_R_BARE_LF, .status = 400, .offset = 14 },
	{ .name = "LF inside the method",
	  LIT("GET\n"),
	  .reason = HTTP_R_BARE_LF, .status = 400, .offset = 3 },
	{ .name = "header line ends with bare LF",
	  LIT(RL11 "Host: a\n\r\n"),
	  .reason = HTTP_R_BARE_LF, .status = 400, .offset = 23 },
	{ .name = "blank line is a bare LF",
	  LIT(RL11 HOST "\n"),
	  .reason = HTTP_R_BARE_LF, .status = 400, .offset = 25 },
	{ .name = "empty header name",
	  LIT(RL11 ": x\r\n"),
	  .reason = HTTP_R_HEADER_NAME, .status = 400, .offset = 16 },
	{ .name = "non-token character in a header name",
	  LIT(RL11 "Ho(st: a\r\n"),
	  .reason = HTTP_R_HEADER_NAME, .status = 400, .offset = 18 },
	{ .name = "header line without a colon",
	  LIT(RL11 HOST "X-A\r\n\r\n"),
	  .reason = HTTP_R_HEADER_NAME, .status = 400, .offset = 28 },
	{ .name = "blank line CR without LF",
	  LIT(RL11 HOST "\rX"),
	  .reason = HTTP_R_HEADER_NAME, .status = 400, .offset = 26 },
	{ .name = "space before the colon",
	  LIT(RL11 "Host : a\r\n\r\n"),
	  .reason = HTTP_R_HEADER_SPACE, .status = 400, .offset = 20 },
	{ .name = "tab before the colon",
	  LIT(RL11 "Host\t: a\r\n\r\n"),
	  .reason = HTTP_R_HEADER_SPACE, .status = 400, .offset = 20 },
	{ .name = "NUL in a header value",
	  LIT(RL11 "Host: a\0b\r\n\r\n"),
	  .reason = HTTP_R_HEADER_VALUE, .status = 400, .offset = 23 },
	{ .name = "lone CR in a header value",
	  LIT(RL11 "Host: a\rb\r\n\r\n"),
	  .reason = HTTP_R_HEADER_VALUE, .status = 400, .offset = 24 },
	{ .name = "DEL in a header value",
	  LIT(RL11 "Host: a\x7f\r\n\r\n"),
	  .reason = HTTP_R_HEADER_VALUE, .status = 400, .offset = 23 },
	{ .name = "Authorization twice",
	  LIT(RL11 HOST "Authorization: Device x\r\n"
	      "Authorization: Device y\r\n\r\n"),
	  .reason = HTTP_R_HEADER_VALUE, .status = 400, .offset = 63 },
	{ .name = "X-Tether-Seq twice",
	  LIT(RL11 "X-Tether-Seq: 1\r\nx-tether-seq: 2\r\n" HOST "\r\n"),
	  .reason = HTTP_R_HEADER_VALUE, .status = 400, .offset = 45 },
	{ .name = "continuation line",
	  LIT(RL11 HOST " b\r\n\r\n"),
	  .reason = HTTP_R_OBS_FOLD, .status = 400, .offset = 25 },
	{ .name = "whitespace before the first header",
	  LIT(RL11 "\tHost: a\r\n\r\n"),
	  .reason = HTTP_R_OBS_FOLD, .status = 400, .offset = 16 },
	{ .name = "one field over GW_MAX_HEADERS",
	  LIT(RL11 HOST R32("X: v\r\n") "\r\n"),
	  .reason = HTTP_R_TOO_MANY_HEADERS, .status = 431,
	  .offset = 16 + 9 + 31 * 6 },
	{ .name = "HTTP/1.1 known too large once its minor is read",
	  LIT(RL11 HOST "\r\n"), .max_head = 20,
	  .reason = HTTP_R_HEAD_TOO_LARGE, .status = 431, .offset = 13 },
	{ .name = "HTTP/1.0 known too large in the method",
	  LIT("GET / HTTP/1.0\r\n\r\n"), .max_head = 16,
	  .reason = HTTP_R_HEAD_TOO_LARGE, .status = 431, .offset = 1 },
	{ .name = "limit below any request",
	  LIT("GET / HTTP/1.0\r\n\r\n"), .max_head = 15,
	  .reason = HTTP_R_HEAD_TOO_LARGE, .status = 431, .offset = 0 },
	{ .name = "HTTP/1.1 without Host",
	  LIT(RL11 "\r\n"),
	  .reason = HTTP_R_HOST, .status = 400, .offset = 16 },
	{ .name = "Host twice",
	  LIT(RL11 HOST "host: b\r\n\r\n"),
	  .reason = HTTP_R_HOST, .status = 400, .offset = 29 },
	{ .name = "HTTP/1.1 out of fields before its Host",
	  LIT(RL11 R31("X: v\r\n") "X: v\r\n" HOST "\r\n"),
	  .reason = HTTP_R_HOST, .status = 400, .offset = 16 + 31 * 6 },
	{ .name = "Content-Length as a list",
	  LIT(RL11 HOST "Content-Length: 5, 5\r\n\r\n"),
	  .reason = HTTP_R_CONTENT_LENGTH, .status = 400, .offset = 42 },
	{ .name = "negative Content-Length",
	  LIT(RL11 HOST "Content-Length: -1\r\n\r\n"),
	  .reason = HTTP_R_CONTENT_LENGTH, .status = 400, .offset = 41 },
	{ .name = "empty Content-Length",
	  LIT(RL11 HOST "Content-Length: \r\n\r\n"),
	  .reason = HTTP_R_CONTENT_LENGTH, .status = 400, .offset = 41 },
	{ .name = "two different Content-Lengths",
	  LIT(RL11 HOST "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
	  .reason = HTTP_R_CONTENT_LENGTH, .status = 400, .offset = 60 },
	{ .name = "second Content-Length extends the first",
	  LIT(RL11 HOST "Content-Length: 1\r\nContent-Length: 12\r\n\r\n"),
	  .reason = HTTP_R_CONTENT_LENGTH, .status = 400, .offset = 61 },
	{ .name = "second Content-Length stops short",
	  LIT(RL11 HOST "Content-Length: 12\r\nContent-Length: 1\r\n\r\n"),
	  .reason = HTTP_R_CONTENT_LENGTH, .status = 400, .offset = 62 },
	{ .name = "Content-Length of 19 digits",
	  LIT(RL11 HOST "Content-Length: 1234567890123456789\r\n\r\n"),
	  .reason = HTTP_R_CONTENT_LENGTH, .status = 400, .offset = 59 },
	{ .name = "space inside Content-Length",
	  LIT(RL11 HOST "Content-Length: 5 6\r\n\r\n"),
	  .reason = HTTP_R_CONTENT_LENGTH, .status = 400, .offset = 43 },
	{ .name = "Transfer-Encoding",
	  LIT(RL11 HOST "Transfer-Encoding: chunked\r\n\r\n"),
	  .reason = HTTP_R_TRANSFER_ENCODING, .status = 501, .offset = 42 },
	{ .name = "Expect other than 100-continue",
	  LIT(RL11 HOST "Expect: 200-ok\r\n\r\n"),
	  .reason = HTTP_R_EXPECT, .status = 417, .offset = 33 },
	{ .name = "empty Expect",
	  LIT(RL11 HOST "Expect:\r\n\r\n"),
	  .reason = HTTP_R_EXPECT, .status = 417, .offset = 32 },
	{ .name = "Expect 100-continue and more",
	  LIT(RL11 HOST "Expect: 100-continue, x\r\n\r\n"),
	  .reason = HTTP_R_EXPECT, .status = 417, .offset = 45 },
};

/* Inputs end exactly at a PROT_NONE page, so reading past len faults. */
static char	*guard_base;
static size_t	 guard_map_len;

static int
guard_setup(void **state)
{
	size_t	 page = (size_t)sysconf(_SC_PAGESIZE);
	size_t	 room = (GUARD_ROOM + page - 1) / page * page;
	void	*m;

	m = mmap(NULL, room + page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	if (mprotect((char *)m + room, page, PROT_NONE) != 0) {
		munmap(m, room + page);
		return -1;
	}
	guard_base = (char *)m + room;
	guard_map_len = room + page;
	return 0;
}

static int
guard_teardown(void **state)
{
	munmap(guard_base - (guard_map_len - (size_t)sysconf(_SC_PAGESIZE)),
	    guard_map_len);
	return 0;
}

/* Copies len bytes so that they end at the guard page. */
static const char *
guarded(const char *data, size_t len)
{
	assert_true(len <= GUARD_ROOM);
	memcpy(guard_base - len, data, len);
	return guard_base - len;
}

static void
check_view(const char *what, const char *p, size_t n, const char *want)
{
	if (n != strlen(want) || (n > 0 && memcmp(p, want, n) != 0))
		fail_msg("%s: got \"%.*s\", want \"%s\"", what, (int)n, p,
		    want);
}

static void
check_int(const char *name, const char *what, long long got, long long want)
{
	if (got != want)
		fail_msg("%s: %s is %lld, want %lld", name, what, got, want);
}

static void
check_valid(const struct valid_case *c, const struct http_request *req)
{
	size_t	 i;

	check_view(c->name, req->method, req->method_len, c->method);
	check_view(c->name, req->target, req->target_len, c->target);
	check_int(c->name, "minor", req->minor, c->minor);
	check_int(c->name, "num_headers", (long long)req->num_headers,
	    (long long)c->num_headers);
	for (i = 0; c->headers[0].name != NULL && i < c->num_headers; i++) {
		check_view(c->name, req->headers[i].name,
		    req->headers[i].name_len, c->headers[i].name);
		check_view(c->name, req->headers[i].value,
		    req->headers[i].value_len, c->headers[i].value);
	}
	check_int(c->name, "content_length", req->content_length,
	    c->content_length);
	check_int(c->name, "keep_alive", req->keep_alive, c->keep_alive);
	check_int(c->name, "expect_continue", req->expect_continue,
	    c->expect_continue);
	check_int(c->name, "authorization present",
	    req->authorization != NULL, c->authorization != NULL);
	if (c->authorization != NULL)
		check_view(c->name, req->authorization->value,
		    req->authorization->value_len, c->authorization);
	check_int(c->name, "seq present", req->seq != NULL, c->seq != NULL);
	if (c->seq != NULL)
		check_view(c->name, req->seq->value, req->seq->value_len,
		    c->seq);
}

static void
test_valid(void **state)
{
	char			 input[GUARD_ROOM];
	struct http_request	 req;
	struct http_error	 err;
	const struct valid_case	*c;
	size_t			 i, head_len, after_len;
	int			 r;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		c = &valid_cases[i];
		head_len = strlen(c->head);
		after_len = c->after != NULL ? strlen(c->after) : 0;
		assert_true(head_len + after_len <= sizeof(input));
		memcpy(input, c->head, head_len);
		if (after_len > 0)
			memcpy(input + head_len, c->after, after_len);
		r = http_parse_request(guarded(input, head_len + after_len),
		    head_len + after_len, GW_MAX_HEAD, &req, &err);
		if (r != (int)head_len)
			fail_msg("%s: returned %d (%s at %zu), want %zu",
			    c->name, r, http_reason_text(err.reason),
			    err.offset, head_len);
		check_valid(c, &req);
	}
}

/* Every prefix of a valid head is incomplete; from the head's last byte
 * on, the answer is the head, whatever follows. */
static void
test_valid_splits(void **state)
{
	char			 input[GUARD_ROOM];
	struct http_request	 req;
	struct http_error	 err;
	const struct valid_case	*c;
	size_t			 i, k, head_len, total;
	int			 r, want;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		c = &valid_cases[i];
		head_len = strlen(c->head);
		total = head_len + (c->after != NULL ? strlen(c->after) : 0);
		memcpy(input, c->head, head_len);
		if (total > head_len)
			memcpy(input + head_len, c->after, total - head_len);
		for (k = 0; k <= total; k++) {
			r = http_parse_request(guarded(input, k), k,
			    GW_MAX_HEAD, &req, &err);
			want = k < head_len ? 0 : (int)head_len;
			if (r != want)
				fail_msg("%s: prefix %zu returned %d (%s at "
				    "%zu), want %d", c->name, k, r,
				    http_reason_text(err.reason), err.offset,
				    want);
			if (r > 0)
				check_valid(c, &req);
		}
	}
}

/* The refusal comes at its offset: every shorter prefix is incomplete,
 * every longer one gets the same refusal. */
static void
test_errors(void **state)
{
	struct http_request	 req;
	struct http_error	 err;
	const struct error_case	*c;
	size_t			 i, k, max_head;
	int			 r;

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		c = &error_cases[i];
		max_head = c->max_head != 0 ? c->max_head : GW_MAX_HEAD;
		for (k = 0; k <= c->len; k++) {
			r = http_parse_request(guarded(c->input, k), k,
			    max_head, &req, &err);
			if (k <= c->offset && !(k == 0 && c->offset == 0 &&
			    c->reason == HTTP_R_HEAD_TOO_LARGE)) {
				if (r != 0)
					fail_msg("%s: prefix %zu returned %d "
					    "(%s at %zu), want 0", c->name, k,
					    r, http_reason_text(err.reason),
					    err.offset);
				continue;
			}
			if (r != -1 || err.reason != c->reason ||
			    err.status != c->status || err.offset != c->offset)
				fail_msg("%s: prefix %zu returned %d, %s (%d) "
				    "at %zu; want -1, %s (%d) at %zu", c->name,
				    k, r, http_reason_text(err.reason),
				    err.status, err.offset,
				    http_reason_text(c->reason), c->status,
				    c->offset);
		}
	}
}

/* Each reason has at least one case above. */
static void
test_errors_cover_reasons(void **state)
{
	int	 seen[HTTP_R_COUNT] = { 0 };
	size_t	 i;
	int	 r;

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		seen[error_cases[i].reason] = 1;
	for (r = HTTP_R_NONE + 1; r < HTTP_R_COUNT; r++)
		if (!seen[r])
			fail_msg("no error case for reason %d (%s)", r,
			    http_reason_text((enum http_reason)r));
}

/* A head at the size limit is accepted; one byte more is refused as soon
 * as the blank line can no longer fit, and a larger max_head than the
 * contract allows does not raise the limit. */
static void
test_head_limit(void **state)
{
	static const char prefix[] = RL11 HOST "X-Pad: ";
	static const char end[] = "\r\n\r\n";
	static const struct {
		const char	*name;
		size_t		 len;
		size_t		 max_head;
		int		 want;
	} cases[] = {
		{ .name = "exactly GW_MAX_HEAD", .len = GW_MAX_HEAD,
		  .max_head = GW_MAX_HEAD, .want = GW_MAX_HEAD },
		{ .name = "one over GW_MAX_HEAD", .len = GW_MAX_HEAD + 1,
		  .max_head = GW_MAX_HEAD, .want = -1 },
		{ .name = "one over, max_head above the cap",
		  .len = GW_MAX_HEAD + 1, .max_head = 2 * GW_MAX_HEAD,
		  .want = -1 },
		{ .name = "a caller's smaller limit", .len = 1025,
		  .max_head = 1024, .want = -1 },
	};
	char			 input[GUARD_ROOM];
	struct http_request	 req;
	struct http_error	 err;
	size_t			 i, pad;
	int			 r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pad = cases[i].len - (sizeof(prefix) - 1) - (sizeof(end) - 1);
		memcpy(input, prefix, sizeof(prefix) - 1);
		memset(input + sizeof(prefix) - 1, 'p', pad);
		memcpy(input + cases[i].len - (sizeof(end) - 1), end,
		    sizeof(end) - 1);
		r = http_parse_request(guarded(input, cases[i].len),
		    cases[i].len, cases[i].max_head, &req, &err);
		if (r != cases[i].want)
			fail_msg("%s: returned %d, want %d", cases[i].name, r,
			    cases[i].want);
		if (r == -1) {
			assert_int_equal(err.reason, HTTP_R_HEAD_TOO_LARGE);
			assert_int_equal(err.status, 431);
			/* The last pad byte leaves no room for CRLF CRLF. */
			assert_int_equal(err.offset, cases[i].len - 5);
		}
	}

	/* A value that never ends: incomplete while CRLF CRLF still fits,
	 * refused at the byte after which it cannot. */
	memcpy(input, prefix, sizeof(prefix) - 1);
	memset(input + sizeof(prefix) - 1, 'p', GW_MAX_HEAD);
	r = http_parse_request(guarded(input, GW_MAX_HEAD - 4),
	    GW_MAX_HEAD - 4, GW_MAX_HEAD, &req, &err);
	assert_int_equal(r, 0);
	r = http_parse_request(guarded(input, GW_MAX_HEAD - 3),
	    GW_MAX_HEAD - 3, GW_MAX_HEAD, &req, &err);
	assert_int_equal(r, -1);
	assert_int_equal(err.reason, HTTP_R_HEAD_TOO_LARGE);
	assert_int_equal(err.offset, GW_MAX_HEAD - 4);
}

/* The parse that takes runs of token bytes at once agrees with the one
 * that takes every byte alone: same answer, views and error, for every
 * prefix of every case and for limits around where the runs stop. */
static void
agree(const char *name, const char *input, size_t len, size_t max_head)
{
	const char *what = http_agree(input, len, max_head);

	if (what != NULL)
		fail_msg("%s, %zu bytes, max_head %zu: %s differs byte by byte",
		    name, len, max_head, what);
}

static void
test_fast_agrees(void **state)
{
	static const size_t limits[] = { 0, 63, 64, 65, 66, 80, 100, 128,
	    200, 1024, GW_MAX_HEAD };
	char	 input[GUARD_ROOM];
	size_t	 i, k, l, len;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		len = strlen(valid_cases[i].head);
		memcpy(input, valid_cases[i].head, len);
		for (k = 0; k <= len; k++)
			for (l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
				agree(valid_cases[i].name, guarded(input, k),
				    k, limits[l]);
	}
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		for (k = 0; k <= error_cases[i].len; k++)
			for (l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
				agree(error_cases[i].name,
				    guarded(error_cases[i].input, k), k,
				    limits[l]);
}

/*
 * The resumed parse agrees with the whole one for every case, fed in
 * pieces of every size and with the buffer moved for the last piece; two
 * pieces split at every position; and an 8 KiB head fed a byte at a time
 * parses each byte once (before, every read parsed the head again from
 * byte 0: its 8,069 bytes cost 32.6 million byte steps).
 */
static void
resumed(const char *name, const char *input, size_t len, size_t max_head,
    size_t step)
{
	const char *what = http_agree_resume(input, len, max_head, step);

	if (what != NULL)
		fail_msg("%s, %zu bytes, max_head %zu, pieces of %zu: %s "
		    "differs", name, len, max_head, step, what);
}

static void
test_resume_agrees(void **state)
{
	static const size_t limits[] = { 0, 64, 100, GW_MAX_HEAD };
	char	 input[GUARD_ROOM];
	size_t	 i, k, l, len;

	(void)state;
	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		len = strlen(valid_cases[i].head);
		memcpy(input, valid_cases[i].head, len);
		for (k = 1; k <= len; k++)
			for (l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
				resumed(valid_cases[i].name,
				    guarded(input, len), len, limits[l], k);
	}
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		for (k = 1; k <= error_cases[i].len; k++)
			for (l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
				resumed(error_cases[i].name,
				    guarded(error_cases[i].input,
				    error_cases[i].len), error_cases[i].len,
				    limits[l], k);
}

static void
test_resume_two_pieces(void **state)
{
	struct http_request	 req;
	struct http_error	 err;
	char			 input[GUARD_ROOM];
	size_t			 i, k, len;

	(void)state;
	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		const struct valid_case *c = &valid_cases[i];

		len = strlen(c->head);
		memcpy(input, c->head, len);
		for (k = 0; k <= len; k++) {
			struct http_resume rs = HTTP_RESUME_INIT;
			const char *buf = guarded(input, len);
			int r = http_parse_request_resume(buf, k, GW_MAX_HEAD,
			    &req, &err, &rs);

			if (r == 0)
				r = http_parse_request_resume(buf, len,
				    GW_MAX_HEAD, &req, &err, &rs);
			check_int(c->name, "split parse", r, (long long)len);
			check_valid(c, &req);
			/* more bytes (the body) give the same at once */
			r = http_parse_request_resume(buf, len, GW_MAX_HEAD,
			    &req, &err, &rs);
			check_int(c->name, "again", r, (long long)len);
			check_valid(c, &req);
			check_int(c->name, "bytes parsed", (long long)rs.walked,
			    (long long)len);
		}
	}
}

static void
test_resume_bytewise_8k(void **state)
{
	static char head[2 * GW_MAX_HEAD];
	struct http_resume rs = HTTP_RESUME_INIT;
	struct http_request req;
	struct http_error err;
	size_t len = 0, k;
	int r = 0;

	(void)state;
	len += (size_t)snprintf(head, sizeof(head), "POST /v1/messages "
	    "HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n");
	for (k = 0; k < GW_MAX_HEADERS - 2; k++)	/* 30 of 267 bytes */
		len += (size_t)snprintf(head + len, sizeof(head) - len,
		    "X-Pad-%02zu: %0*d\r\n", k, 255, 0);
	len += (size_t)snprintf(head + len, sizeof(head) - len, "\r\n");
	assert_true(len <= GW_MAX_HEAD);
	for (k = 1; k <= len && r == 0; k++)
		r = http_parse_request_resume(head, k, GW_MAX_HEAD, &req, &err,
		    &rs);
	if (r < 0)
		fail_msg("refused at %zu: %s", err.offset,
		    http_reason_text(err.reason));
	assert_int_equal(r, (int)len);
	assert_int_equal(rs.walked, len);
	assert_int_equal(req.content_length, 0);
}

static void
test_reason_text(void **state)
{
	const char	*text[HTTP_R_COUNT];
	int		 r, q;

	for (r = 0; r < HTTP_R_COUNT; r++) {
		text[r] = http_reason_text((enum http_reason)r);
		assert_non_null(text[r]);
		assert_true(strlen(text[r]) > 0);
		for (q = 0; q < r; q++)
			if (strcmp(text[q], text[r]) == 0)
				fail_msg("reasons %d and %d share \"%s\"", q,
				    r, text[r]);
	}
	assert_true(strlen(http_reason_text(HTTP_R_COUNT)) > 0);
}

static void
test_status_text(void **state)
{
	static const struct {
		int		 status;
		const char	*text;
	} cases[] = {
		{ .status = 100, .text = "Continue" },
		{ .status = 200, .text = "OK" },
		{ .status = 201, .text = "Created" },
		{ .status = 204, .text = "No Content" },
		{ .status = 400, .text = "Bad Request" },
		{ .status = 401, .text = "Unauthorized" },
		{ .status = 404, .text = "Not Found" },
		{ .status = 405, .text = "Method Not Allowed" },
		{ .status = 408, .text = "Request Timeout" },
		{ .status = 411, .text = "Length Required" },
		{ .status = 413, .text = "Content Too Large" },
		{ .status = 414, .text = "URI Too Long" },
		{ .status = 417, .text = "Expectation Failed" },
		{ .status = 429, .text = "Too Many Requests" },
		{ .status = 431, .text = "Request Header Fields Too Large" },
		{ .status = 500, .text = "Internal Server Error" },
		{ .status = 501, .text = "Not Implemented" },
		{ .status = 503, .text = "Service Unavailable" },
		{ .status = 505, .text = "HTTP Version Not Supported" },
		{ .status = 302, .text = "Error" },
		{ .status = 0, .text = "Error" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(http_status_text(cases[i].status),
		    cases[i].text);
}

static void
test_view_eq(void **state)
{
	static const struct {
		const char	*view;
		size_t		 len;
		const char	*s;
		int		 want;
	} cases[] = {
		{ .view = "Content-Length", .len = 14, .s = "content-length",
		  .want = 1 },
		{ .view = "HOST", .len = 4, .s = "host", .want = 1 },
		{ .view = "Hostname", .len = 4, .s = "host", .want = 1 },
		{ .view = "Host", .len = 4, .s = "hostname", .want = 0 },
		{ .view = "Hos", .len = 3, .s = "host", .want = 0 },
		{ .view = "", .len = 0, .s = "", .want = 1 },
		{ .view = "[", .len = 1, .s = "{", .want = 0 },
		{ .view = "\xc9", .len = 1, .s = "\xe9", .want = 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(http_view_eq(cases[i].view, cases[i].len,
		    cases[i].s), cases[i].want);
}


/* The application API's query: events= and online= (presence), what was
 * given, and the defaults when they are not. */
static void
test_app_query_presence(void **state)
{
	struct app_query q;
	char why[APP_WHY_LEN];

	(void)state;
	assert_int_equal(app_query_parse("", 0, &q, why), 0);
	assert_int_equal(q.events, -1);
	assert_int_equal(q.online, 0);
	assert_int_equal(q.given, 0);
	assert_int_equal(app_query_parse("events=1&limit=3", 16, &q, why), 0);
	assert_int_equal(q.events, 1);
	assert_int_equal(q.given, APP_Q_EVENTS | APP_Q_LIMIT);
	assert_int_equal(app_query_parse("events=0", 8, &q, why), 0);
	assert_int_equal(q.events, 0);
	assert_int_equal(app_query_parse("online=1", 8, &q, why), 0);
	assert_int_equal(q.online, 1);
	assert_int_equal(q.given, APP_Q_ONLINE);
	assert_int_equal(app_query_parse("online=yes", 10, &q, why), -1);
	assert_string_equal(why, "online: give 1 or 0");
	assert_int_equal(app_query_parse("events=1&events=1", 17, &q, why), -1);
	assert_non_null(strstr(why, "given twice"));
	assert_int_equal(app_query_parse("evnts=1", 7, &q, why), -1);
	assert_non_null(strstr(why, "events, online"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_valid_splits),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_cover_reasons),
		cmocka_unit_test(test_head_limit),
		cmocka_unit_test(test_fast_agrees),
		cmocka_unit_test(test_resume_agrees),
		cmocka_unit_test(test_resume_two_pieces),
		cmocka_unit_test(test_resume_bytewise_8k),
		cmocka_unit_test(test_reason_text),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_view_eq),
		cmocka_unit_test(test_app_query_presence),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
