/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the seam between a connection (conn.c: TLS, buffers, the
 * order of answers, deadlines) and the protocol spoken on it: a small
 * table of calls. HTTP/1.1 (proto_http.c) is the first entry.
 */
#ifndef GW_PROTO_H
#define GW_PROTO_H

#include <sys/types.h>

#include "gateway/http.h"

struct gw_worker;
struct gw_conn;
struct gw_intake_item;

/* One parsed request, views into the connection's buffer `in`: valid
 * until its bytes are dropped. A protocol adds its own member. */
union gw_request {
	struct {
		struct http_request head;
		const char	*body;
		size_t		 body_len;
	} http;
};

struct gw_proto {
	const char	*name;
	/*
	 * Looks at the request at the start of c->in (c->in_len > 0): its
	 * length in bytes once whole, *req filled; 0 when more bytes are
	 * needed; -1 when refused (answered; the stream is dropped). May
	 * keep framing in c->head_len/body_len and queue an interim answer.
	 */
	ssize_t		(*parse)(struct gw_worker *w, struct gw_conn *c,
			    union gw_request *req);
	/*
	 * Answers req, or hands it over: to the intake (c->wait =
	 * WAIT_STORE, an item whose answer is the `answer` below) or, when
	 * gw_authenticate parks it (WAIT_REGISTRY), to the lookup thread:
	 * then its bytes are kept and it is parsed and routed again.
	 */
	void		(*route)(struct gw_worker *w, struct gw_conn *c,
			    const union gw_request *req);
	/* The intake's outcome for a message route handed over. */
	void		(*answer)(struct gw_worker *w, struct gw_conn *c,
			    const struct gw_intake_item *it);
	/* A request was half read when its deadline passed: a last word
	 * before the close (HTTP: 408). NULL: none. */
	void		(*on_timeout)(struct gw_worker *w, struct gw_conn *c);
	/* The connection is closing: free what the protocol holds. NULL:
	 * nothing. */
	void		(*on_close)(struct gw_worker *w, struct gw_conn *c);
	/* Everything queued is written and nothing is awaited: a stream
	 * sends more. NULL: nothing to do. */
	void		(*on_written)(struct gw_worker *w, struct gw_conn *c);
};

extern const struct gw_proto gw_proto_http;
/* HTTP/1.1 on the application listener: its routes (app.c). */
extern const struct gw_proto gw_proto_app;

#endif
