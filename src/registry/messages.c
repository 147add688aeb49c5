/* SPDX-License-Identifier: MIT */
/*
 * messages.c - the message store's frame, once for every backend: a batch
 * is one transaction (group commit), each device's last-seen time is
 * written at most every REG_TOUCH_MS; how one message is stored and its
 * duplicates found is the backend's (backend.h, store_one).
 */
#include <stdint.h>
#include <stdio.h>

#include "registry/registry_int.h"

/*
 * Last seen: returns 1 when the device's last-seen time and address are
 * due to be written in this batch (and remembers it in done, which holds
 * REG_TOUCH_BATCH), 0 when written recently enough.
 */
static int
touch_due(struct reg_store *st, struct reg_touch *done, size_t *ndone,
    const char *id, const char *peer, int64_t now)
{
	uint64_t h = reg_hash_id(id), ph = reg_hash_id(peer);
	const struct reg_touch *t = &st->touched[h & (REG_TOUCH_SLOTS - 1)];

	if (t->id_hash == h && t->peer_hash == ph && now - t->at < REG_TOUCH_MS)
		return 0;
	for (size_t j = 0; j < *ndone; j++)
		if (done[j].id_hash == h && done[j].peer_hash == ph)
			return 0;
	if (*ndone == REG_TOUCH_BATCH)
		return 0;
	done[(*ndone)++] = (struct reg_touch){ .id_hash = h,
	    .peer_hash = ph, .at = now };
	return 1;
}

static int
touch(struct reg_store *st, const char *id, const char *peer, int64_t now,
    const char *what)
{
	struct reg_stmt *s = reg_stmt(st, Q_TOUCH);

	reg_bind_text(st, s, 1, id);
	reg_bind_int(st, s, 2, now);
	reg_bind_text(st, s, 3, peer);
	return reg_run_later(st, s, what);
}

/* see registry.h */
int
reg_store_messages(struct reg_store *st, struct reg_message *msgs, size_t n)
{
	const char *what = "cannot store the messages";
	const struct reg_backend *be = st->be;
	struct reg_touch done[REG_TOUCH_BATCH];
	size_t ndone = 0;
	int64_t now = reg_now_ms();

	for (size_t i = 0; i < n; i++) {
		msgs[i].duplicate = 0;
		msgs[i].cmd_id = 0;
		msgs[i].cmd_len = 0;
		if (msgs[i].len > INT32_MAX)
			return reg_fail(st, "%s: a message of %zu bytes is "
			    "too large", what, msgs[i].len);
	}
	if (n == 0)
		return 0;
	if (reg_begin(st, what) < 0)
		return -1;
	if (be->store_begin != NULL && be->store_begin(st) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct reg_message *m = &msgs[i];
		const char *peer = m->peer != NULL ? m->peer : "";

		if (m->kind != REG_KIND_MESSAGE) {
			/* an event: presence.c keeps its table and body */
			if (reg_presence_event(st, m, what) < 0)
				goto fail;
			continue;
		}
		if (be->store_one(st, m, peer, now, what) < 0)
			goto fail;
		/* only a device that asks costs a query */
		if ((m->cmd_max > 0 || m->cmd_ack > 0) &&
		    reg_command_exchange(st, m, now, what) < 0)
			goto fail;
		/* remembered only once the commit is done */
		if (touch_due(st, done, &ndone, m->device_id, peer, now) &&
		    touch(st, m->device_id, peer, now, what) < 0)
			goto fail;
	}
	if ((be->store_end != NULL && be->store_end(st) < 0) ||
	    reg_commit(st, what) < 0)
		goto fail;
	for (size_t j = 0; j < ndone; j++)
		st->touched[done[j].id_hash & (REG_TOUCH_SLOTS - 1)] = done[j];
	return 0;
fail:
	reg_rollback(st);
	if (be->store_abort != NULL)
		be->store_abort(st);
	for (size_t i = 0; i < n; i++) {
		msgs[i].duplicate = 0;
		msgs[i].cmd_id = 0;
		msgs[i].cmd_len = 0;
		msgs[i].cmd_acked = 0;
		msgs[i].cmd_rejected = 0;
	}
	return -1;
}

/* see registry.h */
int
reg_store_prepare(struct reg_store *st)
{
	return st->be->store_prepare != NULL ? st->be->store_prepare(st) : 0;
}

/* see registry.h */
int
reg_store_defer_sync(struct reg_store *st, int *fd)
{
	*fd = -1;
	return st->be->defer_sync != NULL ? st->be->defer_sync(st, fd) : 0;
}

/* see registry.h */
long long
reg_count_messages(struct reg_store *st, const char *device_id)
{
	const char *what = "cannot count the messages";
	struct reg_stmt *s;

	if (reg_ready(st, what) < 0)
		return -1;
	if (device_id == NULL) {
		s = reg_stmt(st, Q_COUNT_ALL);
	} else {
		s = reg_stmt(st, Q_COUNT_DEV);
		reg_bind_text(st, s, 1, device_id);
	}
	return reg_query_int(st, s, what);
}
