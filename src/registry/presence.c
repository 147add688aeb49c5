/* SPDX-License-Identifier: MIT */
/*
 * presence.c - which devices hold a connection to a gateway now, once for
 * every backend: the presence table kept in the transaction of the event
 * rows that tell readers about it (messages.c stores them with the
 * messages), the nodes' beats, and what is left when a node stops, starts
 * again or is lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "registry/registry_int.h"

/* An event's body: {"reason", "node", "online"}, and room to spare. */
#define EVENT_BODY_MAX	(REG_NODE_MAX + 160)

const char *
reg_kind_name(enum reg_kind kind)
{
	switch (kind) {
	case REG_KIND_CONNECTED: return "connected";
	case REG_KIND_DISCONNECTED: return "disconnected";
	default: return NULL;
	}
}

/* 1 if device id holds a connection through another node whose beat is
 * fresh at now, 0 if not, -1 on an error. */
static int
online_elsewhere(struct reg_store *st, const char *id, const char *node,
    int64_t now, const char *what)
{
	struct reg_stmt *s = reg_stmt(st, Q_PRESENCE_ELSEWHERE);
	long long n;

	reg_bind_text(st, s, 1, id);
	reg_bind_text(st, s, 2, node);
	reg_bind_int(st, s, 3, now - REG_NODE_STALE_MS);
	if ((n = reg_query_int(st, s, what)) < 0)
		return -1;
	return n > 0;
}

/*
 * An event row, inside the caller's transaction (and, for SQLite, between
 * the backend's store_begin and store_end): the presence table changes,
 * then the row goes in with its body, whose "online" says whether the
 * device is still online anywhere once this change is made.
 */
int
reg_presence_event(struct reg_store *st, struct reg_message *m,
    const char *what)
{
	struct reg_stmt *s;
	struct reg_message e = *m;
	char body[EVENT_BODY_MAX];
	struct json j;
	int64_t at = m->at > 0 ? m->at : reg_now_ms();
	int online = 1;

	if (m->node == NULL || strlen(m->node) >= REG_NODE_MAX)
		return reg_fail(st, "%s: an event without its node", what);
	if (m->kind == REG_KIND_CONNECTED) {
		s = reg_stmt(st, Q_PRESENCE_UP);
		reg_bind_text(st, s, 1, m->device_id);
		reg_bind_text(st, s, 2, m->node);
		reg_bind_int(st, s, 3, at);
	} else {
		s = reg_stmt(st, Q_PRESENCE_DOWN);
		reg_bind_text(st, s, 1, m->device_id);
		reg_bind_text(st, s, 2, m->node);
	}
	/* read back by nobody: it may travel with the batch's next step */
	if (reg_run_later(st, s, what) < 0)
		return -1;
	if (m->kind == REG_KIND_DISCONNECTED &&
	    (online = online_elsewhere(st, m->device_id, m->node, at,
	    what)) < 0)
		return -1;
	json_init(&j, body, sizeof(body));
	json_object(&j, NULL, JSON_COMPACT);
	if (m->reason != NULL)
		json_str(&j, "reason", m->reason);
	json_str(&j, "node", m->node);
	json_bool(&j, "online", online);
	if (json_finish(&j) == NULL || j.failed)
		return reg_fail(st, "%s: an event's reason is too long", what);
	e.seq = -1;
	e.body = j.buf;
	e.len = j.len;
	e.peer = "";
	if (st->be->store_one(st, &e, "", at, what) < 0)
		return -1;
	m->duplicate = 0;
	return 0;
}

/* A row taken out of the presence table, to be told as an event. */
struct gone {
	char	 id[REG_ID_MAX];
	char	 node[REG_NODE_MAX];
};

/* Steps a DELETE ... RETURNING device_id, node into out (at most max):
 * how many, or -1. The rows are read before any is written about. */
static long long
take_rows(struct reg_store *st, struct reg_stmt *s, struct gone *out,
    size_t max, const char *what)
{
	long long n = 0;
	int r;

	while ((r = reg_step(st, s, what)) == REG_ROW) {
		if ((size_t)n == max)
			continue;
		reg_copy(out[n].id, sizeof(out[n].id), reg_col_text(st, s, 0));
		reg_copy(out[n].node, sizeof(out[n].node),
		    reg_col_text(st, s, 1));
		n++;
	}
	reg_reset(st, s);
	return r < 0 ? -1 : n;
}

/* Writes a disconnected event for each of n rows taken; 0 or -1. */
static int
tell_gone(struct reg_store *st, const struct gone *g, long long n,
    const char *reason, int64_t now, const char *what)
{
	for (long long i = 0; i < n; i++) {
		struct reg_message m = { .device_id = g[i].id, .seq = -1,
		    .kind = REG_KIND_DISCONNECTED, .node = g[i].node,
		    .reason = reason, .at = now };

		if (reg_presence_event(st, &m, what) < 0)
			return -1;
	}
	return 0;
}

/* Runs a removal (Q_NODE_ROWS_DROP or Q_NODE_REAP, bound by the caller)
 * and tells what it removed; the count, or -1. */
static long long
remove_rows(struct reg_store *st, struct reg_stmt *s, struct gone *g,
    const char *reason, int64_t now, int *begun, const char *what)
{
	long long n = take_rows(st, s, g, REG_PRESENCE_BATCH, what);

	if (n <= 0)
		return n;
	if (!*begun && st->be->store_begin != NULL &&
	    st->be->store_begin(st) < 0)
		return -1;
	*begun = 1;
	return tell_gone(st, g, n, reason, now, what) < 0 ? -1 : n;
}

static int
finish(struct reg_store *st, int begun, const char *what)
{
	if ((begun && st->be->store_end != NULL && st->be->store_end(st) < 0) ||
	    reg_commit(st, what) < 0) {
		reg_rollback(st);
		if (begun && st->be->store_abort != NULL)
			st->be->store_abort(st);
		return -1;
	}
	return 0;
}

static void
fail_txn(struct reg_store *st, int begun)
{
	reg_rollback(st);
	if (begun && st->be->store_abort != NULL)
		st->be->store_abort(st);
}

/* see registry.h */
long long
reg_node_beat(struct reg_store *st, const char *node, int start, int *lost)
{
	const char *what = start ? "cannot record the gateway's start" :
	    "cannot record that the gateway is alive";
	struct gone *g;
	struct reg_stmt *s;
	int64_t now = reg_now_ms();
	long long n = 0, k;
	int begun = 0, r;

	if (lost != NULL)
		*lost = 0;
	if (strlen(node) >= REG_NODE_MAX)
		return reg_fail(st, "%s: the node name is longer than %d "
		    "bytes", what, REG_NODE_MAX - 1);
	if (reg_ready(st, what) < 0)
		return -1;
	if ((g = malloc(REG_PRESENCE_BATCH * sizeof(*g))) == NULL)
		return reg_fail(st, "%s: out of memory", what);
	if (reg_begin(st, what) < 0) {
		free(g);
		return -1;
	}
	if (start) {
		s = reg_stmt(st, Q_NODE_START);
		reg_bind_text(st, s, 1, node);
		reg_bind_int(st, s, 2, now);
		if (reg_run(st, s, what) < 0)
			goto fail;
		/* what an earlier run left: it cannot hold them any more */
		do {
			s = reg_stmt(st, Q_NODE_ROWS_DROP);
			reg_bind_text(st, s, 1, node);
			reg_bind_int(st, s, 2, REG_PRESENCE_BATCH);
			if ((k = remove_rows(st, s, g, "gateway restarted", now,
			    &begun, what)) < 0)
				goto fail;
			n += k;
		} while (k == REG_PRESENCE_BATCH);
	} else {
		s = reg_stmt(st, Q_NODE_TOUCH);
		reg_bind_text(st, s, 1, node);
		reg_bind_int(st, s, 2, now);
		if ((r = reg_step(st, s, what)) < 0) {
			reg_reset(st, s);
			goto fail;
		}
		k = st->be->changed(st, s);
		reg_reset(st, s);
		if (k == 0) {
			/* another node took this one for lost and removed its
			 * rows: back, and the caller records them again */
			if (lost != NULL)
				*lost = 1;
			s = reg_stmt(st, Q_NODE_START);
			reg_bind_text(st, s, 1, node);
			reg_bind_int(st, s, 2, now);
			if (reg_run(st, s, what) < 0)
				goto fail;
		}
	}
	/* nodes not seen for a while: their devices are offline */
	s = reg_stmt(st, Q_NODES_STALE);
	reg_bind_int(st, s, 1, now - REG_NODE_STALE_MS);
	reg_bind_text(st, s, 2, node);
	if ((k = reg_query_int(st, s, what)) < 0)
		goto fail;
	if (k == 0) {
		if (finish(st, begun, what) < 0)
			goto failed;
		free(g);
		return n;
	}
	s = reg_stmt(st, Q_NODE_REAP);
	reg_bind_int(st, s, 1, now - REG_NODE_STALE_MS);
	reg_bind_text(st, s, 2, node);
	reg_bind_int(st, s, 3, REG_PRESENCE_BATCH);
	if ((k = remove_rows(st, s, g, "node lost", now, &begun, what)) < 0)
		goto fail;
	n += k;
	s = reg_stmt(st, Q_NODES_GONE);
	reg_bind_int(st, s, 1, now - REG_NODE_STALE_MS);
	reg_bind_text(st, s, 2, node);
	if (reg_run(st, s, what) < 0 || finish(st, begun, what) < 0)
		goto failed;
	free(g);
	return n;
fail:
	fail_txn(st, begun);
failed:
	free(g);
	return -1;
}

/* see registry.h */
long long
reg_node_stop(struct reg_store *st, const char *node, const char *reason)
{
	const char *what = "cannot record the gateway's stop";
	struct gone *g;
	struct reg_stmt *s;
	int64_t now = reg_now_ms();
	long long n = 0, k;
	int begun = 0;

	if (reg_ready(st, what) < 0)
		return -1;
	if ((g = malloc(REG_PRESENCE_BATCH * sizeof(*g))) == NULL)
		return reg_fail(st, "%s: out of memory", what);
	if (reg_begin(st, what) < 0) {
		free(g);
		return -1;
	}
	do {
		s = reg_stmt(st, Q_NODE_ROWS_DROP);
		reg_bind_text(st, s, 1, node);
		reg_bind_int(st, s, 2, REG_PRESENCE_BATCH);
		if ((k = remove_rows(st, s, g, reason, now, &begun, what)) < 0)
			goto fail;
		n += k;
	} while (k == REG_PRESENCE_BATCH);
	s = reg_stmt(st, Q_NODE_DELETE);
	reg_bind_text(st, s, 1, node);
	if (reg_run(st, s, what) < 0)
		goto fail;
	if (finish(st, begun, what) < 0) {
		free(g);
		return -1;
	}
	free(g);
	return n;
fail:
	fail_txn(st, begun);
	free(g);
	return -1;
}

/* A device's rows gathered: its nodes joined by commas. */
struct gathered {
	char	 id[REG_ID_MAX];
	char	 label[REG_LABEL_MAX];
	char	 nodes[4 * REG_NODE_MAX];
	int64_t	 since;
	int	 online;
};

static int
give(struct gathered *d, int (*fn)(void *, const struct reg_presence *),
    void *arg)
{
	struct reg_presence p = { .id = d->id, .label = d->label,
	    .online = d->online, .since = d->since, .nodes = d->nodes };

	return fn(arg, &p);
}

/* see registry.h */
long long
reg_presence_list(struct reg_store *st, int online_only,
    int (*fn)(void *arg, const struct reg_presence *p), void *arg)
{
	const char *what = "cannot list the devices online";
	struct reg_stmt *s = reg_stmt(st, Q_PRESENCE_LIST);
	struct gathered d;
	long long n = 0;
	int r, have = 0, stop = 0;

	if (reg_ready(st, what) < 0)
		return -1;
	reg_bind_int(st, s, 1, reg_now_ms() - REG_NODE_STALE_MS);
	reg_bind_int(st, s, 2, online_only ? 1 : 0);
	while (!stop && (r = reg_step(st, s, what)) == REG_ROW) {
		const char *id = reg_col_text(st, s, 0);
		const char *node = reg_col_text(st, s, 2);
		int64_t since = reg_col_int(st, s, 3);

		if (id == NULL)
			continue;
		if (have && strcmp(d.id, id) != 0) {
			n++;
			stop = give(&d, fn, arg) != 0;
			have = 0;
			if (stop)
				break;
		}
		if (!have) {
			memset(&d, 0, sizeof(d));
			reg_copy(d.id, sizeof(d.id), id);
			reg_copy(d.label, sizeof(d.label),
			    reg_col_text(st, s, 1));
			have = 1;
		}
		if (node != NULL) {
			size_t len = strlen(d.nodes);

			/* a device on more nodes than fit: the first ones */
			if (len + strlen(node) + 2 <= sizeof(d.nodes))
				snprintf(d.nodes + len, sizeof(d.nodes) - len,
				    "%s%s", len ? "," : "", node);
			if (!d.online || since < d.since)
				d.since = since;
			d.online = 1;
		}
	}
	reg_reset(st, s);
	if (!stop && r < 0)
		return -1;
	if (have && !stop) {
		n++;
		(void)give(&d, fn, arg);
	}
	return n;
}
