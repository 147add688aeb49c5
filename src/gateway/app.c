/* SPDX-License-Identifier: MIT */
/*
 * app.c - what the application listener answers (docs/app-api.md):
 * GET /v1/messages (NDJSON, long poll with wait=), GET /v1/messages/stream
 * (Server-Sent Events, resumable with Last-Event-ID), GET /v1/devices
 * (who is online), the commands to devices (POST and GET
 * /v1/devices/ID/commands, GET and DELETE /v1/commands/CMDID),
 * GET /v1/health.
 * Each read goes to the reader thread (reader.c) with the token; the
 * connection waits (WAIT_READER) and is answered when it comes back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/json.h"
#include "gateway/app.h"
#include "gateway/commands.h"
#include "gateway/worker.h"

/* What an application connection keeps between its reads. */
struct app_conn {
	uint32_t	 read_seq;	/* of the last read sent */
	unsigned	 streaming:1;	/* the stream's head is written */
	/* The stream's next read. */
	uint8_t		 token_hash[REG_HASH_LEN];
	char		 device[REG_ID_MAX];
	struct reg_cursor cursor;
	size_t		 limit;
	int		 events;	/* connected/disconnected too */
	int		 online;	/* GET /v1/devices?online=1 */
};

static const char stream_head[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream\r\n"
    "Cache-Control: no-store\r\n"
    "Connection: close\r\n"
    "\r\n"
    "retry: 1000\n\n";

static struct app_conn *
app_of(struct gw_conn *c)
{
	if (c->app == NULL)
		c->app = calloc(1, sizeof(*c->app));
	return c->app;
}

void
app_close(struct gw_worker *w, struct gw_conn *c)
{
	/* A read still out (a long poll, say) ends with its client: it
	 * would hold a place in GW_READ_QUEUE until its wait ended. */
	if (c->wait == WAIT_READER)
		gw_reader_cancel(w->sh->reader, w, c->fd, c->gen);
	if (c->app != NULL) {
		OPENSSL_cleanse(c->app, sizeof(*c->app));
		free(c->app);
		c->app = NULL;
	}
}

int
app_streaming(const struct gw_conn *c)
{
	return c->app != NULL && c->app->streaming;
}

/* A 401: the connection closes at the GW_MAX_AUTH_FAILURES-th. */
static void
unauthorized(struct gw_worker *w, struct gw_conn *c, const char *why)
{
	gw_count(&w->ctr, GW_C_APP_AUTH_FAILED);
	gw_log(GW_LOG_INFO, "app_auth_failed", "peer", c->peer, "reason", why,
	    NULL);
	if (++c->auth_failures >= GW_MAX_AUTH_FAILURES)
		c->keep_alive = 0;
	conn_respond_json(c, 401, "WWW-Authenticate: Bearer\r\n",
	    "{\"error\":\"send Authorization: Bearer <application token> "
	    "(tether app add NAME prints one); unknown or revoked tokens are "
	    "refused\"}");
}

/* An application token is the credential text form with its own prefix
 * (registry.h): the same length, alphabet and checksum. */
static int
well_formed(const char *tok, size_t len)
{
	char text[TETHER_CREDENTIAL_LEN];
	size_t plen = sizeof(TETHER_CREDENTIAL_PREFIX) - 1;
	int ok;

	_Static_assert(sizeof(REG_APP_TOKEN_PREFIX) ==
	    sizeof(TETHER_CREDENTIAL_PREFIX), "the prefixes' lengths");
	if (len != REG_APP_TOKEN_LEN)
		return 0;
	memcpy(text, TETHER_CREDENTIAL_PREFIX, plen);
	memcpy(text + plen, tok + plen, len - plen);
	ok = tether_credential_parse(text, len, NULL);
	OPENSSL_cleanse(text, sizeof(text));
	return ok;
}

/* The token of "Authorization: Bearer tta1_...": 0, or -1 (answered). */
static int
token_of(struct gw_worker *w, struct gw_conn *c,
    const struct http_request *req, uint8_t hash[REG_HASH_LEN])
{
	const struct http_header *h = req->authorization;
	const char *tok;
	size_t len, plen = sizeof(REG_APP_TOKEN_PREFIX) - 1;

	if (h == NULL || h->value_len < 8 ||
	    !http_view_eq(h->value, 6, "Bearer") || h->value[6] != ' ') {
		unauthorized(w, c, "no Authorization: Bearer <token> header");
		return -1;
	}
	tok = h->value + 7;
	len = h->value_len - 7;
	/* A device credential is never an application's token: say so
	 * without asking the registry. */
	if (len <= plen || memcmp(tok, REG_APP_TOKEN_PREFIX, plen) != 0) {
		unauthorized(w, c, "not an application token (tta1_...)");
		return -1;
	}
	/* Nor is a token whose checksum fails (a typo, junk): one that the
	 * registry issued passes (credentials.md). */
	if (!well_formed(tok, len)) {
		unauthorized(w, c, "not a well-formed application token "
		    "(its length or checksum is wrong)");
		return -1;
	}
	reg_app_token_hash(w->store, tok, len, hash);
	/* Refused lately (unknown or revoked): no store lookup again. */
	if (gw_reader_refused(w->sh->reader, hash, w->now)) {
		OPENSSL_cleanse(hash, REG_HASH_LEN);
		unauthorized(w, c, "unknown or revoked application token");
		return -1;
	}
	return 0;
}

/* No room for another read: 503 (a stream just ends). Returns -1. */
static int
busy(struct gw_conn *c, struct app_conn *a)
{
	gw_log(GW_LOG_WARN, "overloaded", "peer", c->peer, "reason",
	    "too many application reads waiting", NULL);
	if (a->streaming)
		c->close_after = 1;
	else
		conn_respond_json(c, 503, GW_RETRY_BUSY,
		    "{\"error\":\"gateway overloaded; retry in a second\"}");
	return -1;
}

/* Sends a read to the reader and parks the connection until it comes
 * back (or its deadline); 0, or -1 (answered). */
static int
start_read(struct gw_worker *w, struct gw_conn *c, struct app_conn *a,
    enum gw_read_kind kind, int wait_ms)
{
	struct gw_read *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return busy(c, a);
	r->worker = w;
	r->fd = c->fd;
	r->gen = c->gen;
	r->seq = ++a->read_seq;
	r->kind = kind;
	r->until = w->now + wait_ms;
	r->deadline = r->until + w->sh->config->registry_ms;
	memcpy(r->token_hash, a->token_hash, REG_HASH_LEN);
	memcpy(r->device, a->device, REG_ID_MAX);
	r->cursor = a->cursor;
	r->limit = a->limit;
	r->events = a->events;
	r->online = a->online;
	if (gw_reader_submit(w->sh->reader, r) < 0) {
		gw_read_free(r);
		return busy(c, a);
	}
	c->wait = WAIT_READER;
	c->answer_half_closed = 0;	/* a half-close ends a wait (app-api.md) */
	c->timer = TIMER_READER;
	c->deadline = r->deadline;
	if (!a->streaming)	/* a stream's every heartbeat: not a line */
		gw_log(GW_LOG_DEBUG, "read_queued", "peer", c->peer, NULL);
	return 0;
}

/* The value of header name, or NULL. */
static const struct http_header *
header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->num_headers; i++)
		if (http_view_eq(req->headers[i].name,
		    req->headers[i].name_len, name))
			return &req->headers[i];
	return NULL;
}

static void
read_messages(struct gw_worker *w, struct gw_conn *c,
    const struct http_request *req, enum gw_read_kind kind)
{
	const char *q = memchr(req->target, '?', req->target_len);
	size_t qlen = q ? req->target_len - (size_t)(q - req->target) - 1 : 0;
	const struct http_header *last;
	struct app_query aq;
	struct app_conn *a;
	char why[APP_WHY_LEN];
	uint8_t hash[REG_HASH_LEN];

	if (token_of(w, c, req, hash) < 0)
		return;
	if (app_query_parse(q ? q + 1 : "", qlen, &aq, why) < 0) {
		struct json j;
		char body[256];

		json_init(&j, body, sizeof(body));
		json_object(&j, NULL, JSON_COMPACT);
		json_str(&j, "error", why);
		json_finish(&j);
		OPENSSL_cleanse(hash, sizeof(hash));
		conn_respond_json(c, 400, NULL, body);
		return;
	}
	if ((kind == GW_READ_DEVICES && (aq.given & ~APP_Q_ONLINE)) ||
	    (kind != GW_READ_DEVICES && (aq.given & APP_Q_ONLINE))) {
		OPENSSL_cleanse(hash, sizeof(hash));
		conn_respond_json(c, 400, NULL, kind == GW_READ_DEVICES ?
		    "{\"error\":\"GET /v1/devices takes one query parameter, "
		    "online=1 (or 0)\"}" : "{\"error\":\"online= is a "
		    "parameter of GET /v1/devices, not of the messages\"}");
		return;
	}
	/* A stream that reconnects resumes where its last event was. */
	if (kind == GW_READ_EVENTS &&
	    (last = header(req, "Last-Event-ID")) != NULL) {
		char text[REG_CURSOR_TEXT];
		struct reg_cursor lc;
		size_t n = last->value_len;

		if (n < sizeof(text)) {
			memcpy(text, last->value, n);
			text[n] = '\0';
		}
		if (n >= sizeof(text) || reg_cursor_parse(text, &lc) < 0) {
			OPENSSL_cleanse(hash, sizeof(hash));
			conn_respond_json(c, 400, NULL, "{\"error\":"
			    "\"Last-Event-ID: not an event id this gateway "
			    "gave\"}");
			return;
		}
		memcpy(aq.after, text, n + 1);
	}
	if ((a = app_of(c)) == NULL) {
		OPENSSL_cleanse(hash, sizeof(hash));
		conn_respond_json(c, 503, GW_RETRY_BUSY,
		    "{\"error\":\"gateway out of memory; retry later\"}");
		return;
	}
	memcpy(a->token_hash, hash, sizeof(hash));
	OPENSSL_cleanse(hash, sizeof(hash));
	memcpy(a->device, aq.device, sizeof(a->device));
	(void)reg_cursor_parse(aq.after, &a->cursor);	/* parsed above */
	a->limit = (size_t)aq.limit;
	/* a stream names events apart (EventSource's onmessage skips them):
	 * it has them unless events=0; lines only with events=1 */
	a->events = aq.events < 0 ? kind == GW_READ_EVENTS : aq.events;
	a->online = aq.online;
	if (kind == GW_READ_EVENTS)
		c->keep_alive = 0;	/* the stream ends with the connection */
	(void)start_read(w, c, a, kind, kind == GW_READ_EVENTS ? 0 :
	    aq.wait_ms);
}

/* A 400, 405 or 413 of a command route, as JSON. */
static void
refuse(struct gw_conn *c, int status, const char *hdr, const char *why)
{
	struct json j;
	char text[APP_CMD_WHY_LEN + 64];

	json_init(&j, text, sizeof(text));
	json_object(&j, NULL, JSON_COMPACT);
	json_str(&j, "error", why);
	json_finish(&j);
	conn_respond_json(c, status, hdr, text);
}

/* The command routes (t parsed): the method's operation, handed to the
 * reader with the token (it checks the scope) and the payload. */
static void
command_route(struct gw_worker *w, struct gw_conn *c,
    const struct http_request *req, const struct app_cmd_target *t,
    const char *body, size_t len)
{
	int get = http_method_is(req, "GET");
	int post = http_method_is(req, "POST");
	int del = http_method_is(req, "DELETE");
	uint8_t hash[REG_HASH_LEN];
	struct app_conn *a;
	struct gw_read *r = NULL;
	enum gw_cmd_op op;
	char why[128];

	if (t->route == APP_CMD_DEVICE && !get && !post) {
		refuse(c, 405, "Allow: GET, POST\r\n", "use POST to queue a "
		    "command, GET to list the device's commands");
		return;
	}
	if (t->route == APP_CMD_ONE && !get && !del) {
		refuse(c, 405, "Allow: GET, DELETE\r\n", "use GET to read the "
		    "command, DELETE to cancel it");
		return;
	}
	op = t->route == APP_CMD_ONE ? (get ? GW_CMD_GET : GW_CMD_CANCEL) :
	    post ? GW_CMD_QUEUE : GW_CMD_LIST;
	if (t->ttl_ms != 0 && op != GW_CMD_QUEUE) {
		refuse(c, 400, NULL, "ttl is for POST (queueing a command)");
		return;
	}
	if (t->state != 0 && op != GW_CMD_LIST) {
		refuse(c, 400, NULL, "state is for GET "
		    "/v1/devices/ID/commands");
		return;
	}
	if (token_of(w, c, req, hash) < 0)
		return;
	/* checked before the store is asked (so before the token's scope
	 * is known, app-api.md): the size is no secret */
	if (op == GW_CMD_QUEUE && len > REG_COMMAND_DEFAULT_MAX) {
		OPENSSL_cleanse(hash, sizeof(hash));
		snprintf(why, sizeof(why), "the payload is %zu bytes; a command "
		    "holds at most %d", len, REG_COMMAND_DEFAULT_MAX);
		refuse(c, 413, NULL, why);
		return;
	}
	if ((a = app_of(c)) == NULL || (r = calloc(1, sizeof(*r))) == NULL ||
	    (op == GW_CMD_QUEUE && len > 0 &&
	    (r->payload = malloc(len)) == NULL)) {
		free(r);
		OPENSSL_cleanse(hash, sizeof(hash));
		conn_respond_json(c, 503, GW_RETRY_BUSY,
		    "{\"error\":\"gateway out of memory; retry later\"}");
		return;
	}
	r->worker = w;
	r->fd = c->fd;
	r->gen = c->gen;
	r->seq = ++a->read_seq;
	r->kind = GW_READ_COMMAND;
	r->cmd_op = op;
	r->until = w->now;
	r->deadline = w->now + w->sh->config->registry_ms;
	memcpy(r->token_hash, hash, REG_HASH_LEN);
	OPENSSL_cleanse(hash, sizeof(hash));
	memcpy(r->device, t->device, REG_ID_MAX);
	r->cmd_id = t->id;
	r->ttl_ms = t->ttl_ms;
	r->cmd_state = t->state;
	if (op == GW_CMD_QUEUE && len > 0)
		memcpy(r->payload, body, len);
	r->payload_len = op == GW_CMD_QUEUE ? len : 0;
	if (gw_reader_submit(w->sh->reader, r) < 0) {
		gw_read_free(r);
		(void)busy(c, a);
		return;
	}
	c->wait = WAIT_READER;
	c->answer_half_closed = 1;	/* a change is answered all the same */
	c->timer = TIMER_READER;
	c->deadline = r->deadline;
}

void
app_route(struct gw_worker *w, struct gw_conn *c,
    const struct http_request *req, const char *body, size_t len)
{
	int get = http_method_is(req, "GET");
	struct app_cmd_target t;
	char why[APP_CMD_WHY_LEN];

	if (app_command_target(req->target, req->target_len, &t, why) < 0) {
		refuse(c, 400, NULL, why);
		return;
	}
	if (t.route != APP_CMD_NONE) {
		command_route(w, c, req, &t, body, len);
		return;
	}
	if (route_path_is(req, "/v1/messages") ||
	    route_path_is(req, "/v1/messages/stream")) {
		if (get)
			read_messages(w, c, req, route_path_is(req,
			    "/v1/messages") ? GW_READ_LINES : GW_READ_EVENTS);
		else
			conn_respond_json(c, 405, "Allow: GET\r\n",
			    "{\"error\":\"use GET\"}");
	} else if (route_path_is(req, "/v1/devices")) {
		if (get)
			read_messages(w, c, req, GW_READ_DEVICES);
		else
			conn_respond_json(c, 405, "Allow: GET\r\n",
			    "{\"error\":\"use GET\"}");
	} else if (route_path_is(req, "/v1/health")) {
		route_health(w, c, req);
	} else {
		conn_respond_json(c, 404, NULL, "{\"error\":\"no such path on "
		    "the application API (GET /v1/messages, "
		    "/v1/messages/stream, /v1/devices, /v1/health; POST and "
		    "GET /v1/devices/ID/commands; GET and DELETE "
		    "/v1/commands/CMDID)\"}");
	}
}

/* An error once the stream's head is out: an event, then the end. */
static void
stream_error(struct gw_conn *c, const char *json)
{
	static const char ev[] = "event: error\ndata: ";

	/* Out of memory, the close alone says it. */
	if (conn_out(c, ev, sizeof(ev) - 1) == 0 &&
	    conn_out(c, json, strlen(json)) == 0)
		(void)conn_out(c, "\n\n", 2);
	c->close_after = 1;
}

static void
answer(struct gw_worker *w, struct gw_conn *c, struct gw_read *r)
{
	struct app_conn *a = c->app;
	const char *err = NULL, *hdr = NULL;

	if (r->kind == GW_READ_COMMAND) {
		if (r->status == 401)
			unauthorized(w, c, "unknown or revoked application "
			    "token");
		else if (r->body == NULL)
			conn_respond_json(c, 503, GW_RETRY_BUSY, "{\"error\":"
			    "\"gateway out of memory; retry later\"}");
		else
			conn_respond(c, r->status, r->status == 503 ?
			    GW_RETRY_UNAVAILABLE : NULL, "application/json",
			    r->body, r->len);
		return;
	}
	switch (r->status) {
	case 200:
		break;
	case 401:
		if (a->streaming) {
			stream_error(c, "{\"error\":\"the application's token "
			    "is revoked\"}");
			return;
		}
		unauthorized(w, c, "unknown or revoked application token");
		return;
	case 403:
		err = "{\"error\":\"this application's token has no read "
		    "scope\"}";
		break;
	default:
		gw_log(GW_LOG_WARN, "read_unavailable", "peer", c->peer, NULL);
		err = "{\"error\":\"message store unavailable; retry later\"}";
		hdr = GW_RETRY_UNAVAILABLE;
		break;
	}
	if (err != NULL) {
		if (a->streaming)
			stream_error(c, err);
		else
			conn_respond_json(c, r->status, hdr, err);
		return;
	}
	if (r->kind == GW_READ_LINES) {
		conn_respond(c, 200, "Cache-Control: no-store\r\n",
		    "application/x-ndjson", r->body, r->len);
		return;
	}
	if (r->kind == GW_READ_DEVICES) {
		conn_respond(c, 200, "Cache-Control: no-store\r\n",
		    "application/json", r->body, r->len);
		return;
	}
	if (!a->streaming) {
		if (conn_out(c, stream_head, sizeof(stream_head) - 1) < 0) {
			c->close_after = 1;
			return;
		}
		a->streaming = 1;
	}
	a->cursor = r->cursor;
	if (r->len > 0 && conn_out(c, r->body, r->len) < 0)
		c->close_after = 1;
}

void
gw_app_read_done(struct gw_worker *w, struct gw_read *r)
{
	struct gw_conn *c = r->fd < w->maxfd ? w->conns[r->fd] : NULL;

	if (c != NULL && c->gen == r->gen && c->wait == WAIT_READER &&
	    c->app != NULL && c->app->read_seq == r->seq) {
		c->wait = WAIT_NONE;
		conn_set_timer(w, c, TIMER_IDLE);
		gw_count(&w->ctr, GW_C_APP_READS);
		answer(w, c, r);
		conn_run(w, c);
	}
	gw_read_free(r);
}

void
app_written(struct gw_worker *w, struct gw_conn *c)
{
	struct app_conn *a = c->app;

	if (a == NULL || !a->streaming || c->close_after)
		return;
	if (w->draining) {
		c->close_after = 1;	/* the client reconnects elsewhere */
		return;
	}
	(void)start_read(w, c, a, GW_READ_EVENTS, GW_APP_HEARTBEAT_MS);
}

void
app_read_timeout(struct gw_worker *w, struct gw_conn *c)
{
	gw_log(GW_LOG_WARN, "read_timeout", "peer", c->peer, "reason",
	    "the store did not answer a read in time", NULL);
	c->wait = WAIT_NONE;
	if (c->app != NULL && c->app->streaming) {
		conn_close(w, c, "the store did not answer a read in time");
		return;
	}
	conn_set_timer(w, c, TIMER_IDLE);	/* not the passed read's */
	conn_respond_json(c, 503, GW_RETRY_UNAVAILABLE,
	    "{\"error\":\"message store did not answer in time; retry "
	    "later\"}");
	conn_run(w, c);
}
