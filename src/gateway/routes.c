/* SPDX-License-Identifier: MIT */
/*
 * routes.c - what the gateway answers: POST /v1/messages (authenticate the
 * device, hand the message to the intake, answer after the commit, with
 * the device's next command when it asks for commands), GET /v1/health,
 * 404 for everything else. Never a redirect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/commands.h"
#include "gateway/worker.h"

static const char body_unauthorized[] =
    "{\"error\":\"unknown or revoked credential\"}";

/* A 401: the connection closes at the GW_MAX_AUTH_FAILURES-th. */
static void
unauthorized(struct gw_worker *w, struct gw_conn *c, const char *body)
{
	gw_count(&w->ctr, GW_C_AUTH_FAILED);
	if (++c->auth_failures >= GW_MAX_AUTH_FAILURES)
		c->keep_alive = 0;
	conn_respond_json(c, 401, "WWW-Authenticate: Device\r\n", body);
}

/* Extracts the credential of "Authorization: Device <credential>". */
static int
credential_of(const struct http_request *req, const char **cred, size_t *len)
{
	const struct http_header *h = req->authorization;

	if (h == NULL || h->value_len < 8 ||
	    !http_view_eq(h->value, 6, "Device") || h->value[6] != ' ')
		return -1;
	*cred = h->value + 7;
	*len = h->value_len - 7;
	return *len > 0 && memchr(*cred, ' ', *len) == NULL ? 0 : -1;
}

/* X-Tether-Seq: a decimal number in 0 .. 10^18-1; -1 absent, -2 invalid
 * (*bad: the first byte of the value that is wrong). */
static int64_t
seq_of(const struct http_request *req, const char **bad)
{
	const struct http_header *h = req->seq;
	int64_t n = 0;

	if (h == NULL)
		return -1;
	*bad = h->value;
	if (h->value_len == 0)
		return -2;
	for (size_t i = 0; i < h->value_len; i++) {
		*bad = h->value + i;
		if (h->value[i] < '0' || h->value[i] > '9' || i == 18)
			return -2;
		n = n * 10 + (h->value[i] - '0');
	}
	return n;
}

static void
post_message(struct gw_worker *w, struct gw_conn *c,
    const struct http_request *req, const char *body, size_t len)
{
	struct gw_intake_item *it;
	const char *cred, *bad = NULL, *why = NULL;
	size_t clen, cmd_max, room;
	int64_t seq, cmd_ack;

	if (credential_of(req, &cred, &clen) < 0) {
		gw_log(GW_LOG_INFO, "auth_failed", "peer", c->peer,
		    "reason", "no Authorization: Device <credential> header",
		    NULL);
		unauthorized(w, c,
		    "{\"error\":\"send Authorization: Device <credential>\"}");
		return;
	}
	if ((seq = seq_of(req, &bad)) == -2) {
		/* As every 400: the byte, the log line, and the connection
		 * closed (the request starts the buffer). */
		conn_refuse(w, c, 400, "X-Tether-Seq must be a decimal number "
		    "of at most 18 digits", (size_t)(bad - c->in));
		return;
	}
	if (gw_command_headers(req, &cmd_max, &cmd_ack, &why, &bad) < 0) {
		conn_refuse(w, c, 400, why, (size_t)(bad - c->in));
		return;
	}
	switch (gw_authenticate(w, c, cred, clen)) {
	case GW_AUTH_OK:
		break;
	case GW_AUTH_PENDING:
		return;		/* parked: routed again with the answer */
	case GW_AUTH_UNKNOWN:
		gw_log(GW_LOG_INFO, "auth_failed", "peer", c->peer,
		    "reason", "unknown or revoked credential", NULL);
		unauthorized(w, c, body_unauthorized);
		return;
	case GW_AUTH_OTHER:
		gw_log(GW_LOG_WARN, "auth_failed", "peer", c->peer,
		    "device", c->ident.device, "reason", "another credential "
		    "on a connection authenticated as this device; closed",
		    NULL);
		c->keep_alive = 0;
		conn_respond_json(c, 401, "WWW-Authenticate: Device\r\n",
		    "{\"error\":\"this connection is authenticated as another "
		    "device; open a new connection for this credential\"}");
		return;
	case GW_AUTH_BUSY:
		gw_log(GW_LOG_WARN, "overloaded", "peer", c->peer, "reason",
		    "too many credential lookups waiting for the registry",
		    NULL);
		conn_respond_json(c, 503, GW_RETRY_BUSY,
		    "{\"error\":\"gateway overloaded; retry in a second\"}");
		return;
	default:
		conn_respond_json(c, 503, GW_RETRY_UNAVAILABLE,
		    "{\"error\":\"registry unavailable; retry later\"}");
		return;
	}
	if (!gw_intake_healthy(w->sh->intake) &&
	    gw_intake_backlog(w->sh->intake) > GW_MAX_BATCH) {
		conn_respond_json(c, 503, GW_RETRY_UNAVAILABLE,
		    "{\"error\":\"message store unavailable; retry later\"}");
		return;
	}
	if (gw_intake_backlog(w->sh->intake) >= GW_MAX_BACKLOG) {
		gw_log(GW_LOG_WARN, "overloaded", "peer", c->peer,
		    "device", c->ident.device, NULL);
		conn_respond_json(c, 503, GW_RETRY_BUSY,
		    "{\"error\":\"gateway overloaded; retry in a second\"}");
		return;
	}
	/* room for the command after the body, only for who asks */
	room = cmd_max > REG_COMMAND_LIMIT ? REG_COMMAND_LIMIT : cmd_max;
	if ((it = malloc(sizeof(*it) + len + room)) == NULL) {
		conn_respond_json(c, 503, GW_RETRY_BUSY,
		    "{\"error\":\"gateway out of memory; retry later\"}");
		return;
	}
	it->worker = w;
	it->answer = c->proto->answer;
	it->fd = c->fd;
	it->gen = c->gen;
	it->outcome = GW_UNAVAILABLE;
	memcpy(it->device, c->ident.device, sizeof(it->device));
	memcpy(it->peer, c->peer, sizeof(it->peer));
	it->seq = seq;
	it->cmd_ack = cmd_ack;
	it->cmd_max = cmd_max;
	it->cmd_id = 0;
	it->cmd_len = 0;
	it->cmd_acked = 0;
	it->cmd_rejected = 0;
	it->len = len;
	memcpy(it->body, body, len);
	c->wait = WAIT_STORE;
	it->next = NULL;
	*w->pending_tail = it;
	w->pending_tail = &it->next;
	w->npending++;
}

/*
 * A stored message (or a duplicate) whose answer carries the device's
 * command: the status as without one, X-Tether-Device in place of the
 * body's "device", X-Tether-Command, and the payload as the body.
 */
static void
command_answer(struct gw_worker *w, struct gw_conn *c,
    const struct gw_intake_item *it, const char *seq)
{
	char hdr[128 + REG_ID_MAX], id[24];
	int dup = it->outcome == GW_DUPLICATE;

	gw_count(&w->ctr, dup ? GW_C_MSG_DUPLICATE : GW_C_MSG_STORED);
	gw_count(&w->ctr, GW_C_CMD_DELIVERED);
	snprintf(id, sizeof(id), "%lld", (long long)it->cmd_id);
	gw_log(GW_LOG_DEBUG, dup ? "duplicate" : "stored", "peer", c->peer,
	    "device", it->device, "seq", it->seq >= 0 ? seq : NULL,
	    "command", id, NULL);
	/* conn_respond leaves the type out of an empty body: said here */
	snprintf(hdr, sizeof(hdr), "X-Tether-Device: %s\r\n"
	    "X-Tether-Command: %s\r\n%s", it->device, id, it->cmd_len > 0 ?
	    "" : "Content-Type: application/octet-stream\r\n");
	conn_respond(c, dup ? 200 : 201, hdr, "application/octet-stream",
	    it->body + it->len, it->cmd_len);
}

void
route_message_done(struct gw_worker *w, struct gw_conn *c,
    const struct gw_intake_item *it)
{
	static const char stored[] = "{\"stored\":true,\"device\":\"";
	char body[128], seq[24] = "";
	size_t n;
	_Static_assert(sizeof(stored) - 1 + REG_ID_MAX - 1 + 3 <= sizeof(body),
	    "a 201's body fits");

	/* Every message passes here: no snprintf unless a line is wanted. */
	if (gw_log_enabled(GW_LOG_DEBUG))
		snprintf(seq, sizeof(seq), "%lld", (long long)it->seq);
	if (it->outcome == GW_STORED || it->outcome == GW_DUPLICATE) {
		if (it->cmd_acked)
			gw_count(&w->ctr, GW_C_CMD_ACKED);
		for (int i = 0; i < it->cmd_rejected; i++)
			gw_count(&w->ctr, GW_C_CMD_REJECTED);
		if (it->cmd_id != 0) {
			command_answer(w, c, it, seq);
			return;
		}
	}
	switch (it->outcome) {
	case GW_STORED:
		gw_count(&w->ctr, GW_C_MSG_STORED);
		gw_log(GW_LOG_DEBUG, "stored", "peer", c->peer,
		    "device", it->device, "seq", it->seq >= 0 ? seq : NULL,
		    NULL);
		n = strnlen(it->device, REG_ID_MAX - 1);
		memcpy(body, stored, sizeof(stored) - 1);
		memcpy(body + sizeof(stored) - 1, it->device, n);
		memcpy(body + sizeof(stored) - 1 + n, "\"}", 3);
		conn_respond_json(c, 201, NULL, body);
		break;
	case GW_DUPLICATE:
		gw_count(&w->ctr, GW_C_MSG_DUPLICATE);
		gw_log(GW_LOG_DEBUG, "duplicate", "peer", c->peer,
		    "device", it->device, "seq", seq, NULL);
		snprintf(body, sizeof(body), "{\"stored\":true,\"duplicate\":true,"
		    "\"device\":\"%s\"}", it->device);
		conn_respond_json(c, 200, NULL, body);
		break;
	case GW_RATE_LIMITED: {
		char hdr[40];

		gw_count(&w->ctr, GW_C_MSG_RATE_LIMITED);
		snprintf(hdr, sizeof(hdr), "Retry-After: %d\r\n",
		    it->retry_after);
		snprintf(body, sizeof(body), "{\"error\":\"this device sends "
		    "more messages than the gateway allows; not stored, "
		    "retry in %d s\"}", it->retry_after);
		conn_respond_json(c, 429, hdr, body);
		break;
	}
	default:
		gw_count(&w->ctr, GW_C_MSG_UNAVAILABLE);
		conn_respond_json(c, 503, GW_RETRY_UNAVAILABLE,
		    "{\"error\":\"message store unavailable; not stored, "
		    "retry later\"}");
		break;
	}
}

int
route_path_is(const struct http_request *req, const char *path)
{
	size_t n = strlen(path);
	const char *q = memchr(req->target, '?', req->target_len);
	size_t plen = q ? (size_t)(q - req->target) : req->target_len;

	return plen == n && memcmp(req->target, path, n) == 0;
}

void
route_health(struct gw_worker *w, struct gw_conn *c,
    const struct http_request *req)
{
	int ok = gw_intake_healthy(w->sh->intake) && !w->draining;
	int head = http_method_is(req, "HEAD");

	if (http_method_is(req, "GET") || head)
		conn_respond_json(c, ok ? 200 : 503, NULL, head ? NULL :
		    ok ? "{\"status\":\"ok\"}" :
		    "{\"status\":\"unavailable\"}");
	else
		conn_respond_json(c, 405, "Allow: GET, HEAD\r\n",
		    "{\"error\":\"use GET\"}");
}

void
route_request(struct gw_worker *w, struct gw_conn *c,
    const struct http_request *req, const char *body, size_t len)
{
	int post = http_method_is(req, "POST");

	if (route_path_is(req, "/v1/messages")) {
		if (post)
			post_message(w, c, req, body, len);
		else
			conn_respond_json(c, 405, "Allow: POST\r\n",
			    "{\"error\":\"use POST\"}");
	} else if (route_path_is(req, "/v1/health")) {
		route_health(w, c, req);
	} else {
		conn_respond_json(c, 404, NULL, "{\"error\":\"no such path\"}");
	}
}
