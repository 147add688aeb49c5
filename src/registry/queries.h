/* SPDX-License-Identifier: MIT */
/*
 * queries.h - every statement the registry runs more than once, named:
 * one SQL text for all backends (queries.c), prepared once per handle.
 */
#ifndef REG_QUERIES_H
#define REG_QUERIES_H

#include <stddef.h>

struct reg_backend;

enum reg_query {
	Q_LOOKUP,
	Q_DEVICE_GET,
	Q_INSERT_DEVICE,
	Q_SET_STATUS,
	Q_INSERT_EVENT,
	Q_INSERT_AUDIT,
	Q_MAX_EVENT,
	Q_EVENTS_SINCE,
	Q_INSERT_MSG,
	Q_TOUCH,
	Q_COUNT_ALL,
	Q_COUNT_DEV,
	Q_DEVICE_BY_MAC,
	Q_SET_CREDENTIAL,
	Q_SET_LABEL,
	Q_DELETE_DEVICE,
	Q_DELETE_MESSAGES,
	Q_LIST,
	Q_AUDIT_OF,
	Q_ALL_IDS,
	Q_IDS_BY_LABEL,
	Q_KEY_CHECK_GET,
	Q_KEY_CHECK_PUT,
	Q_MIGRATIONS,
	Q_APP_INSERT,
	Q_APP_REVOKE,
	Q_APP_LOOKUP,
	Q_APP_LIST,
	Q_READ,
	Q_READ_DEVICE,
	Q_BACKLOG,
	Q_APP_WEBHOOK_SET,
	Q_APP_WEBHOOK_GET,
	Q_FWD_INIT,
	Q_FWD_GET,
	Q_FWD_ADVANCE,
	Q_FWD_ERROR,
	Q_FWD_LIST,
	Q_PRUNE,
	Q_OLDEST,
	Q_TKEY_PUT,
	Q_TKEY_GET,
	Q_TKEY_PRUNE,
	Q_SESS_PUT,
	Q_SESS_GET,
	Q_SESS_LAST,
	Q_SESS_BOUND,
	Q_SESS_PRUNE,
	Q_CMD_INSERT,
	Q_CMD_ACK,
	Q_CMD_NEXT,
	Q_CMD_DELIVER,
	Q_CMD_REJECT,
	Q_CMD_LIST,
	Q_CMD_GET,
	Q_CMD_CANCEL,
	Q_CMD_EXPIRE,
	Q_CMD_DUE,
	Q_PRESENCE_UP,
	Q_PRESENCE_DOWN,
	Q_PRESENCE_ELSEWHERE,
	Q_NODE_TOUCH,
	Q_NODE_START,
	Q_NODE_ROWS_DROP,
	Q_NODES_STALE,
	Q_NODE_REAP,
	Q_NODES_GONE,
	Q_NODE_DELETE,
	Q_PRESENCE_LIST,
	Q__COUNT
};

/* The longest statement text, with a backend's words put in. */
#define REG_QUERY_MAX	1024

/* The text of q for backend be, in buf (REG_QUERY_MAX) when it has to be
 * composed; NULL if it does not fit. */
const char *reg_query_text(const struct reg_backend *be, enum reg_query q,
    char buf[REG_QUERY_MAX]);

/* The schema version queries (migrate.c), run before statements are
 * prepared. */
extern const char reg_sql_version[];
extern const char reg_sql_migration_put[];

#endif
