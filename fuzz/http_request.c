/* SPDX-License-Identifier: MIT */
/*
 * http_request.c - libFuzzer target for the request head parser: any bytes
 * must give a bounded answer, views inside the head, a status for every
 * refusal, the same answer for a prefix as the parser promised, and the
 * same answer as the parser taking one byte at a time, and as the parse
 * resumed piece by piece.
 */
#include "fuzz.h"
#include "gateway/http.h"
#include "../tests/http_agree.h"

/* The prefix is copied to a buffer of exactly its size, so that an
 * over-read past len is caught by ASan rather than landing in data. */
static int
parse_prefix(const uint8_t *data, size_t len, struct http_request *req,
    struct http_error *err)
{
	char	*copy;
	int	 r;

	copy = fuzz_copy(data, len, 0);
	r = http_parse_request(copy, len, GW_MAX_HEAD, req, err);
	free(copy);
	return r;
}

static int
inside(const char *p, size_t n, const char *base, size_t len)
{
	return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

static int
is_header(const struct http_request *req, const struct http_header *h)
{
	return h == NULL || (h >= req->headers &&
	    h < req->headers + req->num_headers);
}

static void
check_head(const char *buf, int r, const struct http_request *req)
{
	size_t	 i, head = (size_t)r;

	require(head <= GW_MAX_HEAD && head >= 4);
	require(buf[head - 2] == '\r' && buf[head - 1] == '\n');
	require(inside(req->method, req->method_len, buf, head));
	require(req->method_len >= 1 && req->method_len <= 16);
	require(inside(req->target, req->target_len, buf, head));
	require(req->target_len >= 1 && req->target_len <= GW_MAX_TARGET);
	require(req->target[0] == '/');
	require(req->minor == 0 || req->minor == 1);
	require(req->num_headers <= GW_MAX_HEADERS);
	for (i = 0; i < req->num_headers; i++) {
		require(req->headers[i].name_len >= 1);
		require(inside(req->headers[i].name, req->headers[i].name_len,
		    buf, head));
		require(inside(req->headers[i].value,
		    req->headers[i].value_len, buf, head));
	}
	require(req->content_length >= -1);
	require(req->keep_alive == 0 || req->keep_alive == 1);
	require(req->expect_continue == 0 || req->expect_continue == 1);
	require(is_header(req, req->authorization));
	require(is_header(req, req->seq));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request	 req, again;
	struct http_error	 err, err2;
	const char		*buf = (const char *)data;
	int			 r;

	/* Also a small limit the input chooses, so that the point where the
	 * fast parse stops taking runs falls inside the head. */
	require(http_agree(buf, size, GW_MAX_HEAD) == NULL);
	require(http_agree(buf, size, size > 0 ? (size_t)data[0] * 4 : 0) ==
	    NULL);
	/* Resumed: a byte at a time, and in pieces the input chooses, the
	 * last piece parsed in a copy elsewhere (a buffer that moved). */
	require(http_agree_resume(buf, size, GW_MAX_HEAD, 1) == NULL);
	require(http_agree_resume(buf, size, GW_MAX_HEAD,
	    size > 1 ? 1 + (size_t)data[size - 1] % 61 : 1) == NULL);

	r = http_parse_request(buf, size, GW_MAX_HEAD, &req, &err);
	require(r >= -1 && (r < 0 || (size_t)r <= size));
	if (r > 0) {
		check_head(buf, r, &req);
		/* One byte short of the head is still incomplete. */
		require(parse_prefix(data, (size_t)r - 1, &again, &err2) == 0);
	} else if (r == 0) {
		require(size < GW_MAX_HEAD);
		require(err.reason == HTTP_R_NONE);
	} else {
		require(err.reason > HTTP_R_NONE && err.reason < HTTP_R_COUNT);
		require(err.status >= 400 && err.status <= 505);
		require(strcmp(http_status_text(err.status), "Error") != 0);
		require(http_reason_text(err.reason)[0] != '\0');
		require(err.offset < size);
		/* The refusal is at the first byte that proves it: before it,
		 * incomplete; through it, the same refusal. */
		require(parse_prefix(data, err.offset, &again, &err2) == 0);
		require(parse_prefix(data, err.offset + 1, &again, &err2) ==
		    -1);
		require(err2.reason == err.reason &&
		    err2.status == err.status && err2.offset == err.offset);
	}
	return 0;
}
