/* SPDX-License-Identifier: MIT */
/*
 * feed.c - what the registry remembers of changes, once for every
 * backend: the audit trail (who did what, read back per device) and the
 * change feed that tells running gateways to drop a device, polled or,
 * where the backend can announce, woken at commit.
 */
#include <string.h>

#include "registry/registry_int.h"

int
reg_audit(struct reg_store *st, int64_t at, const char *actor,
    const char *device_id, const char *action, const char *detail,
    int64_t *row_id)
{
	const char *what = "cannot write the audit trail";
	struct reg_stmt *s = reg_stmt(st, Q_INSERT_AUDIT);
	int r;

	reg_bind_int(st, s, 1, at);
	reg_bind_text(st, s, 2, actor != NULL ? actor : "");
	reg_bind_text(st, s, 3, device_id);
	reg_bind_text(st, s, 4, action);
	reg_bind_text(st, s, 5, detail);
	if ((r = reg_step(st, s, what)) == REG_ROW && row_id != NULL)
		*row_id = reg_col_int(st, s, 0);
	reg_reset(st, s);
	if (r == REG_DONE)
		return reg_fail(st, "%s: no row id", what);
	return r < 0 ? -1 : 0;
}

int
reg_feed(struct reg_store *st, const char *id, int64_t at, const char *what)
{
	struct reg_stmt *s = reg_stmt(st, Q_INSERT_EVENT);

	if (st->be->announce != NULL && st->be->announce(st, what) < 0)
		return -1;
	reg_bind_text(st, s, 1, id);
	reg_bind_int(st, s, 2, at);
	return reg_run(st, s, what);
}

/* see registry.h */
int
reg_changes(struct reg_store *st, int64_t *cursor,
    void (*fn)(void *arg, const char *id), void *arg)
{
	const char *what = "cannot read the change feed";
	struct reg_stmt *s;
	long long max;
	int r, n = 0;

	if (reg_ready(st, what) < 0)
		return -1;
	if (*cursor == 0) {
		if ((max = reg_query_int(st, reg_stmt(st, Q_MAX_EVENT),
		    what)) < 0)
			return -1;
		*cursor = max;
		return 0;
	}
	s = reg_stmt(st, Q_EVENTS_SINCE);
	reg_bind_int(st, s, 1, *cursor);
	while ((r = reg_step(st, s, what)) == REG_ROW) {
		const char *id = reg_col_text(st, s, 1);

		*cursor = reg_col_int(st, s, 0);
		if (id == NULL)		/* the feed's start marker */
			continue;
		fn(arg, id);
		n++;
	}
	reg_reset(st, s);
	return r < 0 ? -1 : n;
}

/* see registry.h */
int
reg_can_notify(const struct reg_store *st)
{
	return st->be->wait_changes != NULL;
}

/* see registry.h */
int
reg_wait_changes(struct reg_store *st, int timeout_ms)
{
	if (st->be->wait_changes == NULL)
		return 0;	/* the caller polls the feed on its clock */
	return st->be->wait_changes(st, timeout_ms);
}

/* see registry.h */
int
reg_audit_list(struct reg_store *st, const char *id, size_t limit,
    void (*fn)(void *arg, const struct reg_audit *a), void *arg)
{
	const char *what = "cannot read the audit trail";
	struct reg_stmt *s = reg_stmt(st, Q_AUDIT_OF);
	struct reg_audit a;
	int r, n = 0;

	if (reg_ready(st, what) < 0)
		return -1;
	reg_bind_text(st, s, 1, id);
	reg_bind_int(st, s, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	while ((r = reg_step(st, s, what)) == REG_ROW) {
		memset(&a, 0, sizeof(a));
		a.id = reg_col_int(st, s, 0);
		a.at = reg_col_int(st, s, 1);
		reg_copy(a.actor, sizeof(a.actor), reg_col_text(st, s, 2));
		reg_copy(a.device_id, sizeof(a.device_id),
		    reg_col_text(st, s, 3));
		reg_copy(a.action, sizeof(a.action), reg_col_text(st, s, 4));
		reg_copy(a.detail, sizeof(a.detail), reg_col_text(st, s, 5));
		fn(arg, &a);
		n++;
	}
	reg_reset(st, s);
	return r < 0 ? -1 : n;
}
