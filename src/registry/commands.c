/* SPDX-License-Identifier: MIT */
/*
 * commands.c - commands to devices, once for every backend: queue, list,
 * get, cancel (applications and the command line); the exchange in the
 * intake's transaction (a device's ack, then its oldest pending command
 * that fits, marked delivered); the expiry sweep.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "registry/registry_int.h"

static const char *const state_names[] = {
	[REG_CMD_QUEUED] = "queued",
	[REG_CMD_DELIVERED] = "delivered",
	[REG_CMD_ACKNOWLEDGED] = "acknowledged",
	[REG_CMD_EXPIRED] = "expired",
	[REG_CMD_CANCELLED] = "cancelled",
	[REG_CMD_REJECTED] = "rejected",
};
#define NSTATES	(sizeof(state_names) / sizeof(state_names[0]))

/* see registry.h */
const char *
reg_command_state_name(enum reg_command_state s)
{
	return (size_t)s < NSTATES && state_names[s] != NULL ?
	    state_names[s] : "unknown";
}

/* see registry.h */
int
reg_command_state_parse(const char *text, enum reg_command_state *s)
{
	for (size_t i = 1; i < NSTATES; i++)
		if (strcmp(text, state_names[i]) == 0) {
			*s = (enum reg_command_state)i;
			return 0;
		}
	return -1;
}

/* see registry.h */
int
reg_command_queue(struct reg_store *st, const char *device_id,
    const void *payload, size_t len, size_t max, int64_t ttl_ms,
    const char *app, int64_t *id, int64_t *expires_at)
{
	const char *what = "cannot queue the command";
	struct reg_stmt *s = reg_stmt(st, Q_CMD_INSERT);
	struct reg_device dev;
	int64_t now = reg_now_ms(), expires;
	int r;

	if (max == 0)
		max = REG_COMMAND_DEFAULT_MAX;
	if (max > REG_COMMAND_LIMIT)
		max = REG_COMMAND_LIMIT;
	if (len > max)
		return reg_fail(st, "the payload is %zu bytes; a command holds "
		    "at most %zu", len, max);
	if (ttl_ms == 0)
		ttl_ms = REG_COMMAND_TTL_DEFAULT;
	if (ttl_ms < 0 || ttl_ms > REG_COMMAND_TTL_MAX)
		return reg_fail(st, "a command lives from 1 second to 30 days "
		    "(--ttl)");
	expires = now + ttl_ms;
	if (reg_ready(st, what) < 0 || reg_begin(st, what) < 0)
		return -1;
	if ((r = reg_device_in_txn(st, device_id, &dev)) != 0) {
		reg_rollback(st);
		return r;
	}
	reg_bind_text(st, s, 1, device_id);
	/* an empty payload is a blob of 0 bytes, not NULL */
	reg_bind_blob(st, s, 2, len > 0 ? payload : "", len);
	reg_bind_text(st, s, 3, app);
	reg_bind_int(st, s, 4, now);
	reg_bind_int(st, s, 5, expires);
	if ((r = reg_step(st, s, what)) == REG_ROW && id != NULL)
		*id = reg_col_int(st, s, 0);
	reg_reset(st, s);
	if (r != REG_ROW) {
		if (r == REG_DONE)
			reg_fail(st, "%s: the store gave no id", what);
		reg_rollback(st);
		return -1;
	}
	if (reg_commit(st, what) < 0)
		return -1;
	if (expires_at != NULL)
		*expires_at = expires;
	return 0;
}

/* A row of COMMAND_COLUMNS (queries.c) into c. */
static void
read_command(struct reg_store *st, struct reg_stmt *s, struct reg_command *c)
{
	const char *state = reg_col_text(st, s, 3);
	const void *p;
	size_t len = 0;

	memset(c, 0, offsetof(struct reg_command, payload));
	c->id = reg_col_int(st, s, 0);
	reg_copy(c->device_id, sizeof(c->device_id), reg_col_text(st, s, 1));
	reg_copy(c->app, sizeof(c->app), reg_col_text(st, s, 2));
	if (state == NULL || reg_command_state_parse(state, &c->state) < 0)
		c->state = REG_CMD_EXPIRED;	/* a damaged row: never sent */
	c->created_at = reg_col_int(st, s, 4);
	c->expires_at = reg_col_int(st, s, 5);
	c->delivered_at = reg_col_int(st, s, 6);
	c->acked_at = reg_col_int(st, s, 7);
	c->attempts = reg_col_int(st, s, 8);
	reg_copy(c->reason, sizeof(c->reason), reg_col_text(st, s, 9));
	/* expired by the clock, not yet by the sweep */
	if (c->state == REG_CMD_EXPIRED && c->reason[0] == '\0')
		reg_copy(c->reason, sizeof(c->reason), c->delivered_at == 0 ?
		    "expired before it was delivered" :
		    "expired before the device acknowledged it");
	p = st->be->col_blob(s, 10, &len);
	if (p == NULL || len > sizeof(c->payload))
		len = 0;
	if (len > 0)
		memcpy(c->payload, p, len);
	c->len = len;
}

/* see registry.h */
long long
reg_command_list(struct reg_store *st, const char *device_id,
    enum reg_command_state state,
    void (*fn)(void *arg, const struct reg_command *c), void *arg)
{
	const char *what = "cannot list the commands";
	struct reg_stmt *s = reg_stmt(st, Q_CMD_LIST);
	struct reg_command c;
	long long n = 0;
	int r;

	if (reg_ready(st, what) < 0)
		return -1;
	reg_bind_text(st, s, 1, device_id);
	if (state != 0)
		reg_bind_text(st, s, 2, reg_command_state_name(state));
	reg_bind_int(st, s, 3, reg_now_ms());
	reg_bind_int(st, s, 4, REG_COMMAND_LIST_MAX);
	while ((r = reg_step(st, s, what)) == REG_ROW) {
		read_command(st, s, &c);
		fn(arg, &c);
		n++;
	}
	reg_reset(st, s);
	return r < 0 ? -1 : n;
}

/* see registry.h */
int
reg_command_get(struct reg_store *st, int64_t id, struct reg_command *c)
{
	const char *what = "cannot read the command";
	struct reg_stmt *s = reg_stmt(st, Q_CMD_GET);
	int r;

	if (reg_ready(st, what) < 0)
		return -1;
	reg_bind_int(st, s, 1, id);
	reg_bind_int(st, s, 2, reg_now_ms());
	if ((r = reg_step(st, s, what)) == REG_ROW)
		read_command(st, s, c);
	reg_reset(st, s);
	if (r == REG_DONE)
		reg_fail(st, "no command has the id %lld", (long long)id);
	return r < 0 ? -1 : r == REG_ROW ? 0 : REG_NOT_FOUND;
}

/* see registry.h */
int
reg_command_cancel(struct reg_store *st, int64_t id, const char *actor)
{
	const char *what = "cannot cancel the command";
	struct reg_stmt *s = reg_stmt(st, Q_CMD_CANCEL);
	struct reg_command c;
	char reason[REG_COMMAND_REASON_MAX];
	int64_t now = reg_now_ms();
	long long n = 0;
	int r;

	if ((r = reg_command_get(st, id, &c)) != 0)
		return r;
	if (c.state != REG_CMD_QUEUED && c.state != REG_CMD_DELIVERED)
		goto conflict;
	snprintf(reason, sizeof(reason), "cancelled by %.64s", actor);
	if (reg_begin(st, what) < 0)
		return -1;
	reg_bind_int(st, s, 1, id);
	reg_bind_int(st, s, 2, now);
	reg_bind_text(st, s, 3, reason);
	if ((r = reg_step(st, s, what)) >= 0)
		n = st->be->changed(st, s);
	reg_reset(st, s);
	if (r < 0) {
		reg_rollback(st);
		return -1;
	}
	if (reg_commit(st, what) < 0)
		return -1;
	if (n > 0)
		return 0;
	/* acknowledged (or expired) between the look and the change */
	if ((r = reg_command_get(st, id, &c)) != 0)
		return r;
conflict:
	reg_fail(st, "command %lld is already %s; only a queued or delivered "
	    "command can be cancelled", (long long)id,
	    reg_command_state_name(c.state));
	return REG_CONFLICT;
}

/* see registry.h */
long long
reg_command_expire(struct reg_store *st, int64_t now, size_t limit,
    void (*fn)(void *arg, int64_t id, const char *device_id), void *arg)
{
	const char *what = "cannot expire the commands";
	struct reg_stmt *s = reg_stmt(st, Q_CMD_EXPIRE);
	/* fn after the commit: a line about a change rolled back would lie */
	struct {
		int64_t	 id;
		char	 dev[REG_ID_MAX];
	} done[REG_COMMAND_SWEEP_MAX];
	size_t nd = 0;
	long long n = 0;
	int r;

	if (limit == 0 || limit > REG_COMMAND_SWEEP_MAX)
		limit = REG_COMMAND_SWEEP_MAX;
	if (reg_ready(st, what) < 0)
		return -1;
	/* most rounds find nothing: they take no write lock */
	s = reg_stmt(st, Q_CMD_DUE);
	reg_bind_int(st, s, 1, now);
	if ((n = reg_query_int(st, s, what)) <= 0)
		return n;
	n = 0;
	s = reg_stmt(st, Q_CMD_EXPIRE);
	if (reg_begin(st, what) < 0)
		return -1;
	reg_bind_int(st, s, 1, now);
	reg_bind_int(st, s, 2, (int64_t)limit);

	while ((r = reg_step(st, s, what)) == REG_ROW) {
		if (nd < sizeof(done) / sizeof(done[0])) {
			done[nd].id = reg_col_int(st, s, 0);
			reg_copy(done[nd].dev, REG_ID_MAX,
			    reg_col_text(st, s, 1));
			nd++;
		}
		n++;
	}
	reg_reset(st, s);
	if (r < 0) {
		reg_rollback(st);
		return -1;
	}
	if (reg_commit(st, what) < 0)
		return -1;
	for (size_t i = 0; fn != NULL && i < nd; i++)
		fn(arg, done[i].id, done[i].dev);
	return n;
}

/* A time member, null for "not yet". */
static void
json_time(struct json *j, const char *key, int64_t ms)
{
	char when[REG_TIME_TEXT];

	if (ms == 0) {
		json_null(j, key);
		return;
	}
	reg_time_format(ms, when);
	json_str(j, key, when);
}

/* see registry.h */
int
reg_command_json(struct json *j, const struct reg_command *c)
{
	json_object(j, NULL, JSON_COMPACT);
	json_int(j, "id", c->id);
	json_str(j, "device", c->device_id);
	json_str(j, "state", reg_command_state_name(c->state));
	json_str(j, "app", c->app);
	json_time(j, "created_at", c->created_at);
	json_time(j, "expires_at", c->expires_at);
	json_time(j, "delivered_at", c->delivered_at);
	json_time(j, "acked_at", c->acked_at);
	json_int(j, "attempts", c->attempts);
	json_int(j, "size", (long long)c->len);
	/* text as it is; other bytes (or text with a NUL) in base64 */
	if (json_utf8_valid((const char *)c->payload, c->len, NULL) &&
	    memchr(c->payload, '\0', c->len) == NULL) {
		json_strn(j, "payload", (const char *)c->payload, c->len);
	} else {
		char *b64 = reg_base64(c->payload, c->len);

		if (b64 == NULL)
			return -1;
		json_str(j, "payload_b64", b64);
		free(b64);
	}
	json_str(j, "reason", c->reason[0] != '\0' ? c->reason : NULL);
	json_end(j);
	return 0;
}

/* see registry_int.h */
int
reg_command_exchange(struct reg_store *st, struct reg_message *m,
    int64_t now, const char *what)
{
	struct reg_stmt *s;
	size_t max = m->cmd_max > REG_COMMAND_LIMIT ? REG_COMMAND_LIMIT :
	    m->cmd_max;
	long long n = 0;
	int r;

	m->cmd_id = 0;
	m->cmd_len = 0;
	m->cmd_acked = 0;
	m->cmd_rejected = 0;
	if (m->cmd_ack > 0) {
		s = reg_stmt(st, Q_CMD_ACK);
		reg_bind_int(st, s, 1, m->cmd_ack);
		reg_bind_text(st, s, 2, m->device_id);
		reg_bind_int(st, s, 3, now);
		if ((r = reg_step(st, s, what)) >= 0)
			m->cmd_acked = st->be->changed(st, s) > 0;
		reg_reset(st, s);
		if (r < 0)
			return -1;
	}
	if (m->cmd_max == 0 || m->cmd_buf == NULL)
		return 0;
	/* Too large ones are rejected on the way; a bounded number per
	 * message, so one device's backlog cannot stall a batch. */
	for (int tries = 0; tries < REG_COMMAND_PROBES; tries++) {
		const void *p;
		size_t len = 0;
		int64_t id;

		s = reg_stmt(st, Q_CMD_NEXT);
		reg_bind_text(st, s, 1, m->device_id);
		reg_bind_int(st, s, 2, now);
		reg_bind_int(st, s, 3, m->cmd_ack);
		if ((r = reg_step(st, s, what)) != REG_ROW) {
			reg_reset(st, s);
			return r < 0 ? -1 : 0;
		}
		id = reg_col_int(st, s, 0);
		p = st->be->col_blob(s, 1, &len);
		if (len <= max && len > 0)
			memcpy(m->cmd_buf, p, len);
		reg_reset(st, s);
		if (len > max) {
			char reason[REG_COMMAND_REASON_MAX];

			snprintf(reason, sizeof(reason), "larger than the "
			    "device takes (%zu > %zu bytes)", len, max);
			s = reg_stmt(st, Q_CMD_REJECT);
			reg_bind_int(st, s, 1, id);
			reg_bind_text(st, s, 2, reason);
			if ((r = reg_step(st, s, what)) >= 0 &&
			    st->be->changed(st, s) > 0)
				m->cmd_rejected++;
			reg_reset(st, s);
			if (r < 0)
				return -1;
			continue;
		}
		/* none changed: cancelled (or expired) since the probe,
		 * never sent; the next is looked at */
		s = reg_stmt(st, Q_CMD_DELIVER);
		reg_bind_int(st, s, 1, id);
		reg_bind_int(st, s, 2, now);
		n = 0;
		if ((r = reg_step(st, s, what)) >= 0)
			n = st->be->changed(st, s);
		reg_reset(st, s);
		if (r < 0)
			return -1;
		if (n == 0)
			continue;
		m->cmd_id = id;
		m->cmd_len = len;
		return 0;
	}
	return 0;
}
