/* SPDX-License-Identifier: MIT */
/*
 * http_agree.h - the comparison of the request parser's two paths that
 * fuzz/http_request.c and tests/unit/test_http.c both make: parse the same
 * bytes with http_parse_request and http_parse_request_bytewise and name
 * the first thing that differs (the answer, the error, a view, a field),
 * or NULL. Header-only: two test programs include it, and a field added
 * to struct http_request is compared once, here. http_agree_resume holds
 * the resumed parse (pieces of `step` bytes, the last call on a copy
 * elsewhere in memory) to the whole parse the same way.
 */
#ifndef TETHER_TESTS_HTTP_AGREE_H
#define TETHER_TESTS_HTTP_AGREE_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http.h"

static int
http_agree_view(const char *a, size_t alen, const char *b, size_t blen)
{
	return a == b && alen == blen;
}

/* The index of a header slot, -1 for none (each parse has its own array). */
static ptrdiff_t
http_agree_slot(const struct http_request *r, const struct http_header *h)
{
	return h != NULL ? h - r->headers : -1;
}

/* Views of two parses of the same bytes at abuf and bbuf: the same
 * offsets and lengths. */
static int
http_agree_at(const char *a, size_t alen, const char *abuf, const char *b,
    size_t blen, const char *bbuf)
{
	if (a == NULL || b == NULL)
		return a == b && alen == blen;
	return a - abuf == b - bbuf && alen == blen;
}

/* The views, fields and slots of two complete parses, or NULL. */
static const char *
http_agree_heads(const struct http_request *a, const char *abuf,
    const struct http_request *b, const char *bbuf)
{
	size_t i;

	if (!http_agree_at(a->method, a->method_len, abuf, b->method,
	    b->method_len, bbuf))
		return "the method";
	if (!http_agree_at(a->target, a->target_len, abuf, b->target,
	    b->target_len, bbuf))
		return "the target";
	if (a->minor != b->minor)
		return "the minor version";
	if (a->num_headers != b->num_headers)
		return "the number of headers";
	for (i = 0; i < a->num_headers; i++)
		if (!http_agree_at(a->headers[i].name, a->headers[i].name_len,
		    abuf, b->headers[i].name, b->headers[i].name_len, bbuf) ||
		    !http_agree_at(a->headers[i].value,
		    a->headers[i].value_len, abuf, b->headers[i].value,
		    b->headers[i].value_len, bbuf))
			return "a header's name or value";
	if (a->content_length != b->content_length)
		return "Content-Length";
	if (a->keep_alive != b->keep_alive)
		return "keep-alive";
	if (a->expect_continue != b->expect_continue)
		return "Expect: 100-continue";
	if (http_agree_slot(a, a->authorization) !=
	    http_agree_slot(b, b->authorization))
		return "the Authorization slot";
	if (http_agree_slot(a, a->seq) != http_agree_slot(b, b->seq))
		return "the X-Tether-Seq slot";
	return NULL;
}

/* The whole parse against the resumed one: buf fed in pieces of step
 * bytes (at least 1), and the last call made on a copy of buf elsewhere
 * in memory, as when a connection's buffer moves. */
static const char *
http_agree_resume(const char *buf, size_t len, size_t max_head, size_t step)
{
	struct http_request	 a, b;
	struct http_error	 ea, eb;
	struct http_resume	 rs = HTTP_RESUME_INIT;
	const char		*why = NULL, *where = buf;
	char			*copy;
	int			 ra, rb = 0;
	size_t			 k;

	ra = http_parse_request(buf, len, max_head, &a, &ea);
	if ((copy = malloc(len + 1)) == NULL)
		return NULL;	/* nothing to compare with */
	memcpy(copy, buf, len);
	for (k = step; k < len && rb == 0; k += step)
		rb = http_parse_request_resume(buf, k, max_head, &b, &eb, &rs);
	if (rb == 0) {
		where = copy;
		rb = http_parse_request_resume(copy, len, max_head, &b, &eb,
		    &rs);
	}
	if (ra != rb)
		why = "the return value (resumed)";
	else if (ea.reason != eb.reason || ea.status != eb.status ||
	    ea.offset != eb.offset)
		why = "the error (resumed)";
	else if (ra > 0 && (why = http_agree_heads(&a, buf, &b, where)) !=
	    NULL)
		;
	else if (ra >= 0 && rs.walked > len)
		why = "bytes parsed twice (resumed)";
	free(copy);
	return why;
}

static const char *
http_agree(const char *buf, size_t len, size_t max_head)
{
	struct http_request	 a, b;
	struct http_error	 ea, eb;
	int			 ra, rb;
	size_t			 i;

	ra = http_parse_request(buf, len, max_head, &a, &ea);
	rb = http_parse_request_bytewise(buf, len, max_head, &b, &eb);
	if (ra != rb)
		return "the return value";
	if (ea.reason != eb.reason || ea.status != eb.status ||
	    ea.offset != eb.offset)
		return "the error";
	if (ra <= 0)
		return NULL;
	if (!http_agree_view(a.method, a.method_len, b.method, b.method_len))
		return "the method";
	if (!http_agree_view(a.target, a.target_len, b.target, b.target_len))
		return "the target";
	if (a.minor != b.minor)
		return "the minor version";
	if (a.num_headers != b.num_headers)
		return "the number of headers";
	for (i = 0; i < a.num_headers; i++)
		if (!http_agree_view(a.headers[i].name, a.headers[i].name_len,
		    b.headers[i].name, b.headers[i].name_len) ||
		    !http_agree_view(a.headers[i].value, a.headers[i].value_len,
		    b.headers[i].value, b.headers[i].value_len))
			return "a header's name or value";
	if (a.content_length != b.content_length)
		return "Content-Length";
	if (a.keep_alive != b.keep_alive)
		return "keep-alive";
	if (a.expect_continue != b.expect_continue)
		return "Expect: 100-continue";
	if (http_agree_slot(&a, a.authorization) !=
	    http_agree_slot(&b, b.authorization))
		return "the Authorization slot";
	if (http_agree_slot(&a, a.seq) != http_agree_slot(&b, b.seq))
		return "the X-Tether-Seq slot";
	return NULL;
}

#endif
