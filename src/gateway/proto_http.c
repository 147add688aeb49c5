/* SPDX-License-Identifier: MIT */
/*
 * proto_http.c - HTTP/1.1 as a gateway protocol (proto.h): framing a
 * request (http.c parses the head), the checks made before a body is
 * read, 100 Continue, and the hand-off to routes.c (devices) or app.c
 * (the application listener).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/worker.h"

/* Frees the incomplete head's parse state (the connection closes, or
 * the head is whole). */
static void
http_close(struct gw_worker *w, struct gw_conn *c)
{
	(void)w;
	free(c->resume);
	c->resume = NULL;
}

/* The request is not whole yet: keep where the head's parse stands, if
 * nothing does (out of memory: the next read parses from byte 0). */
static void
keep_state(struct gw_conn *c, struct http_request *req,
    struct http_error *err)
{
	if (c->resume != NULL ||
	    (c->resume = calloc(1, sizeof(*c->resume))) == NULL)
		return;
	(void)http_parse_request_resume(c->in, c->in_len, GW_MAX_HEAD, req,
	    err, c->resume);
}

static ssize_t
http_parse(struct gw_worker *w, struct gw_conn *c, union gw_request *out)
{
	struct http_request *req = &out->http.head;
	struct http_error err;
	size_t max_body = w->sh->config->max_body;
	size_t total;
	int r;

	/* A head that came whole is parsed once, with no state kept. One
	 * that is still incomplete keeps where its parse stopped, so each
	 * later read parses only its own bytes: an 8 KiB head sent a byte
	 * at a time was otherwise parsed from byte 0 8,192 times. */
	if (c->resume != NULL)
		r = http_parse_request_resume(c->in, c->in_len, GW_MAX_HEAD,
		    req, &err, c->resume);
	else
		r = http_parse_request(c->in, c->in_len, GW_MAX_HEAD, req,
		    &err);
	if (r < 0) {
		http_close(w, c);
		conn_refuse(w, c, err.status, http_reason_text(err.reason),
		    err.offset);
		return -1;
	}
	if (r == 0) {
		keep_state(c, req, &err);
		if (c->timer != TIMER_HEAD)
			conn_set_timer(w, c, TIMER_HEAD);
		return 0;
	}
	if (c->head_len == 0) {
		/* The head just completed: check the body before reading it. */
		c->head_len = (size_t)r;
		c->keep_alive = req->keep_alive;
		if (http_method_is(req, "POST") &&
		    req->content_length < 0) {
			http_close(w, c);
			conn_refuse(w, c, 411, "a POST needs a Content-Length "
			    "header (chunked bodies are not accepted)",
			    (size_t)r);
			return -1;
		}
		if (req->content_length > (long long)max_body) {
			char why[128];

			snprintf(why, sizeof(why), "the body is %lld bytes; "
			    "this gateway accepts at most %zu",
			    req->content_length, max_body);
			http_close(w, c);
			conn_refuse(w, c, 413, why, (size_t)r);
			return -1;
		}
		c->body_len = req->content_length < 0 ? 0 : req->content_length;
		conn_set_timer(w, c, TIMER_BODY);
	}
	total = c->head_len + (size_t)c->body_len;
	if (c->in_len < total) {
		if (req->expect_continue && !c->continue_sent) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

			c->continue_sent = 1;
			if (conn_out(c, cont, sizeof(cont) - 1) < 0)
				c->close_after = 1;
		}
		keep_state(c, req, &err);	/* the head: not again */
		return 0;
	}
	http_close(w, c);	/* the request is whole */
	c->keep_alive = req->keep_alive && !w->draining;
	out->http.body = c->in + c->head_len;
	out->http.body_len = (size_t)c->body_len;
	return (ssize_t)total;
}

static void
http_route(struct gw_worker *w, struct gw_conn *c, const union gw_request *req)
{
	route_request(w, c, &req->http.head, req->http.body,
	    req->http.body_len);
}

static void
http_timeout(struct gw_worker *w, struct gw_conn *c)
{
	(void)w;
	conn_respond_json(c, 408, NULL, "{\"error\":\"request not received "
	    "in time\"}");
}

const struct gw_proto gw_proto_http = {
	.name = "HTTP/1.1",
	.parse = http_parse,
	.route = http_route,
	.answer = route_message_done,
	.on_timeout = http_timeout,
	.on_close = http_close,	/* an incomplete head's parse state */
	.on_written = NULL,
};

/* Once a stream's answer is going, the request stream is over: what
 * the client sends is read (to see it close) and dropped. */
static ssize_t
app_parse(struct gw_worker *w, struct gw_conn *c, union gw_request *out)
{
	if (c->app != NULL && app_streaming(c)) {
		explicit_bzero(c->in, c->in_len);
		c->in_len = 0;
		return 0;
	}
	return http_parse(w, c, out);
}

static void
app_route_http(struct gw_worker *w, struct gw_conn *c,
    const union gw_request *req)
{
	app_route(w, c, &req->http.head, req->http.body, req->http.body_len);
}

/* What http_parse keeps, then what the application API holds. */
static void
app_http_close(struct gw_worker *w, struct gw_conn *c)
{
	http_close(w, c);
	app_close(w, c);
}

const struct gw_proto gw_proto_app = {
	.name = "HTTP/1.1 (application API)",
	.parse = app_parse,
	.route = app_route_http,
	.answer = NULL,		/* hands nothing to the intake */
	.on_timeout = http_timeout,
	.on_close = app_http_close,
	.on_written = app_written,
};
