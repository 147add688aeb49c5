/* SPDX-License-Identifier: MIT */
/*
 * queries.c - the registry's SQL, one text per statement for every
 * backend; only the glob operator and the column that keeps devices in
 * the order they were provisioned are the backend's own words.
 */
#include <stdio.h>

#include "registry/backend.h"
#include "registry/queries.h"

/* The columns of a struct reg_device, in the order reg_read_device reads. */
#define DEVICE_COLUMNS "SELECT id, label, status, scheme, " \
	"coalesce(mac, ''), created_at, coalesce(credential_at, created_at), " \
	"coalesce(last_seen_at, 0), coalesce(last_seen_addr, '') "

/* The columns of a struct reg_command (commands.c, read_command); a
 * pending command past its expiry reads as expired whether or not the
 * sweep marked it yet (?3 or ?2: now). */
#define COMMAND_COLUMNS(now) "SELECT id, device_id, app, " \
	"CASE WHEN state IN ('queued', 'delivered') AND expires_at <= " now \
	" THEN 'expired' ELSE state END, created_at, expires_at, " \
	"coalesce(delivered_at, 0), coalesce(acked_at, 0), attempts, " \
	"reason, payload FROM commands "

static const char *const sql[Q__COUNT] = {
	/* Q_LOOKUP: the backend's (lookup_sql) */
	[Q_DEVICE_GET] = DEVICE_COLUMNS "FROM devices WHERE id = ?1",
	/* a taken id, credential or MAC inserts nothing: drawn again */
	[Q_INSERT_DEVICE] = "INSERT INTO devices "
	    "(id, label, status, scheme, cred_hash, created_at, mac, "
	    "credential_at, batch) "
	    "VALUES (?1, ?2, 'active', ?3, ?4, ?5, ?6, ?5, ?7) "
	    "ON CONFLICT DO NOTHING",
	[Q_SET_STATUS] = "UPDATE devices SET status = ?2 "
	    "WHERE id = ?1 AND status <> ?2",
	[Q_INSERT_EVENT] = "INSERT INTO device_events (device_id, at) "
	    "VALUES (?1, ?2)",
	[Q_INSERT_AUDIT] = "INSERT INTO audit "
	    "(at, actor, device_id, action, detail) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
	[Q_MAX_EVENT] = "SELECT coalesce(max(id), 0) FROM device_events",
	[Q_EVENTS_SINCE] = "SELECT id, device_id FROM device_events "
	    "WHERE id > ?1 ORDER BY id",
	[Q_INSERT_MSG] = "INSERT INTO messages "
	    "(device_id, seq, received_at, peer, body, kind) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_TOUCH] = "UPDATE devices SET last_seen_at = ?2, "
	    "last_seen_addr = ?3 WHERE id = ?1",
	/* devices' messages, not presence events */
	[Q_COUNT_ALL] = "SELECT count(*) FROM messages WHERE kind = 0",
	[Q_COUNT_DEV] = "SELECT count(*) FROM messages WHERE device_id = ?1 "
	    "AND kind = 0",
	[Q_DEVICE_BY_MAC] = "SELECT id FROM devices WHERE mac = ?1",
	[Q_SET_CREDENTIAL] = "UPDATE devices SET cred_hash = ?2, "
	    "credential_at = ?3 WHERE id = ?1",
	[Q_SET_LABEL] = "UPDATE devices SET label = ?2 WHERE id = ?1",
	[Q_DELETE_DEVICE] = "DELETE FROM devices WHERE id = ?1",
	[Q_DELETE_MESSAGES] = "DELETE FROM messages WHERE device_id = ?1",
	[Q_AUDIT_OF] = "SELECT id, at, actor, coalesce(device_id, ''), "
	    "action, detail FROM audit WHERE device_id = ?1 "
	    "OR id = (SELECT batch FROM devices WHERE id = ?1) "
	    "ORDER BY id DESC LIMIT ?2",
	[Q_ALL_IDS] = "SELECT id FROM devices",
	[Q_KEY_CHECK_GET] = "SELECT value FROM meta WHERE name = 'key_check'",
	/* of several processes making the key at once, the first wins */
	[Q_KEY_CHECK_PUT] = "INSERT INTO meta (name, value) "
	    "VALUES ('key_check', ?1) ON CONFLICT DO NOTHING",
	[Q_MIGRATIONS] = "SELECT version, name, applied_at "
	    "FROM schema_migrations ORDER BY version",
	/* a taken name inserts nothing (a token hash never collides) */
	[Q_APP_INSERT] = "INSERT INTO apps "
	    "(name, token_hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT DO NOTHING",
	[Q_APP_REVOKE] = "UPDATE apps SET revoked_at = ?2 "
	    "WHERE name = ?1 AND revoked_at IS NULL",
	[Q_APP_LOOKUP] = "SELECT name, scopes, created_at, "
	    "coalesce(revoked_at, 0) FROM apps WHERE token_hash = ?1",
	[Q_APP_LIST] = "SELECT name, scopes, created_at, "
	    "coalesce(revoked_at, 0) FROM apps ORDER BY created_at, name",
	/* forwarders.c */
	[Q_APP_WEBHOOK_SET] = "UPDATE apps SET webhook_salt = ?2 "
	    "WHERE name = ?1 AND revoked_at IS NULL",
	[Q_APP_WEBHOOK_GET] = "SELECT webhook_salt FROM apps "
	    "WHERE name = ?1 AND revoked_at IS NULL",
	[Q_FWD_INIT] = "INSERT INTO forwarders (name, created_at) "
	    "VALUES (?1, ?2) ON CONFLICT DO NOTHING",
	[Q_FWD_GET] = "SELECT cursor FROM forwarders WHERE name = ?1",
	[Q_FWD_ADVANCE] = "UPDATE forwarders SET cursor = ?2, "
	    "delivered = delivered + ?3, delivered_at = ?4, last_error = '' "
	    "WHERE name = ?1",
	[Q_FWD_ERROR] = "UPDATE forwarders SET last_error = ?2, "
	    "error_at = ?3 WHERE name = ?1",
	[Q_FWD_LIST] = "SELECT name, cursor, delivered, last_error, "
	    "coalesce(error_at, 0), coalesce(delivered_at, 0), created_at "
	    "FROM forwarders ORDER BY name",
	/* the oldest message's time */
	[Q_OLDEST] = "SELECT received_at FROM messages ORDER BY id LIMIT 1",
	/* tickets.c: the nodes' ticket keys, newest first */
	[Q_TKEY_PUT] = "INSERT INTO tls_ticket_keys (name, sealed, created_at) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
	[Q_TKEY_GET] = "SELECT name, sealed, created_at FROM tls_ticket_keys "
	    "WHERE created_at >= ?1 ORDER BY created_at DESC, name DESC "
	    "LIMIT ?2",
	[Q_TKEY_PRUNE] = "DELETE FROM tls_ticket_keys WHERE created_at < ?1",
	/* sessions.c: the nodes' sessions, read in the order written */
	[Q_SESS_PUT] = "INSERT INTO tls_sessions (node, sealed, expires_at) "
	    "VALUES (?1, ?2, ?3)",
	/* after ?1 up to ?2; another node's, or any up to ?4; live at ?5 */
	[Q_SESS_GET] = "SELECT n, sealed, expires_at, "
	    "CASE WHEN node = ?3 THEN 1 ELSE 0 END FROM tls_sessions "
	    "WHERE n > ?1 AND n <= ?2 AND (node <> ?3 OR n <= ?4) "
	    "AND expires_at > ?5 ORDER BY n LIMIT ?6",
	[Q_SESS_LAST] = "SELECT coalesce(max(n), 0) FROM tls_sessions",
	/* the position of node ?1's newest row but ?2 */
	[Q_SESS_BOUND] = "SELECT coalesce((SELECT n FROM tls_sessions "
	    "WHERE node = ?1 ORDER BY n DESC LIMIT 1 OFFSET ?2), 0)",
	/* a batch of anyone's expired and of node ?4's past its bound */
	[Q_SESS_PRUNE] = "DELETE FROM tls_sessions WHERE n IN (SELECT n "
	    "FROM tls_sessions WHERE expires_at <= ?1 OR (node = ?4 AND "
	    "n <= ?2) LIMIT ?3)",
	/* commands.c */
	[Q_CMD_INSERT] = "INSERT INTO commands "
	    "(device_id, payload, app, created_at, expires_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
	/* only a delivered one: an ack of anything else is a repeat */
	[Q_CMD_ACK] = "UPDATE commands SET state = 'acknowledged', "
	    "acked_at = ?3 WHERE id = ?1 AND device_id = ?2 "
	    "AND state = 'delivered'",
	/* the probe: commands_pending, the oldest first */
	[Q_CMD_NEXT] = "SELECT id, payload FROM commands "
	    "WHERE device_id = ?1 AND state IN ('queued', 'delivered') "
	    "AND expires_at > ?2 AND id <> ?3 ORDER BY id LIMIT 1",
	/* the probe's test again: on PostgreSQL a cancel (or another
	 * node's sweep) may commit between the probe and this, and the row
	 * this sees is the committed one; without it a cancelled command
	 * became delivered again and went to the device */
	[Q_CMD_DELIVER] = "UPDATE commands SET state = 'delivered', "
	    "delivered_at = coalesce(delivered_at, ?2), "
	    "attempts = attempts + 1 WHERE id = ?1 "
	    "AND state IN ('queued', 'delivered') AND expires_at > ?2",
	[Q_CMD_REJECT] = "UPDATE commands SET state = 'rejected', "
	    "reason = ?2 WHERE id = ?1 AND state IN ('queued', 'delivered')",
	/* the newest ?4, oldest first */
	[Q_CMD_LIST] = "SELECT * FROM (" COMMAND_COLUMNS("?3")
	    "WHERE device_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR "
	    "CASE WHEN state IN ('queued', 'delivered') AND expires_at <= ?3 "
	    "THEN 'expired' ELSE state END = ?2) ORDER BY id DESC LIMIT ?4) "
	    "AS c ORDER BY id",
	[Q_CMD_GET] = COMMAND_COLUMNS("?2") "WHERE id = ?1",
	[Q_CMD_CANCEL] = "UPDATE commands SET state = 'cancelled', "
	    "reason = ?3 WHERE id = ?1 AND state IN ('queued', 'delivered') "
	    "AND expires_at > ?2",
	/* a batch of the sweep; the outer test again, for a row another
	 * gateway's sweep changed meanwhile (PostgreSQL rechecks it) */
	[Q_CMD_EXPIRE] = "UPDATE commands SET state = 'expired', reason = "
	    "CASE WHEN delivered_at IS NULL THEN 'expired before it was "
	    "delivered' ELSE 'expired before the device acknowledged it' END "
	    "WHERE state IN ('queued', 'delivered') AND id IN (SELECT id "
	    "FROM commands WHERE state IN ('queued', 'delivered') "
	    "AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2) "
	    "RETURNING id, device_id",
	/* whether the sweep has work: a read takes no write lock */
	[Q_CMD_DUE] = "SELECT count(*) FROM (SELECT 1 FROM commands "
	    "WHERE state IN ('queued', 'delivered') AND expires_at <= ?1 "
	    "LIMIT 1) AS d",
	/* presence.c */
	[Q_PRESENCE_UP] = "INSERT INTO presence (device_id, node, since) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (device_id, node) "
	    "DO UPDATE SET since = excluded.since",
	[Q_PRESENCE_DOWN] = "DELETE FROM presence "
	    "WHERE device_id = ?1 AND node = ?2",
	/* online through another node whose beat is fresh (?3: since) */
	[Q_PRESENCE_ELSEWHERE] = "SELECT count(*) FROM presence p "
	    "JOIN nodes n ON n.name = p.node WHERE p.device_id = ?1 "
	    "AND p.node <> ?2 AND n.seen_at >= ?3",
	[Q_NODE_TOUCH] = "UPDATE nodes SET seen_at = ?2 WHERE name = ?1",
	[Q_NODE_START] = "INSERT INTO nodes (name, started_at, seen_at) "
	    "VALUES (?1, ?2, ?2) ON CONFLICT (name) DO UPDATE "
	    "SET started_at = excluded.started_at, seen_at = excluded.seen_at",
	[Q_NODE_ROWS_DROP] = "DELETE FROM presence WHERE (device_id, node) IN "
	    "(SELECT device_id, node FROM presence WHERE node = ?1 LIMIT ?2) "
	    "RETURNING device_id, node",
	/* a beat looks for the nodes lost first: the removal below scans
	 * presence (no index by node: it would cost every connection) */
	[Q_NODES_STALE] = "SELECT count(*) FROM nodes "
	    "WHERE seen_at < ?1 AND name <> ?2",
	/* of several nodes reaping at once, each row goes to one of them */
	[Q_NODE_REAP] = "DELETE FROM presence WHERE (device_id, node) IN "
	    "(SELECT p.device_id, p.node FROM presence p JOIN nodes n "
	    "ON n.name = p.node WHERE n.seen_at < ?1 AND n.name <> ?2 "
	    "LIMIT ?3) RETURNING device_id, node",
	[Q_NODES_GONE] = "DELETE FROM nodes WHERE seen_at < ?1 AND name <> ?2 "
	    "AND NOT EXISTS (SELECT 1 FROM presence p WHERE p.node = nodes.name)",
	[Q_NODE_DELETE] = "DELETE FROM nodes WHERE name = ?1",
};

/* A NULL parameter does not filter; the casts tell PostgreSQL its type. */
static const char list_sql[] = DEVICE_COLUMNS "FROM devices "
    "WHERE (CAST(?1 AS TEXT) IS NULL OR status = ?1) "
    "AND (CAST(?2 AS TEXT) IS NULL OR label %s ?2) "
    "AND (CAST(?3 AS BIGINT) IS NULL OR last_seen_at >= ?3) "
    "AND (CAST(?4 AS BIGINT) IS NULL OR last_seen_at IS NULL "
    "OR last_seen_at < ?4) ORDER BY %s";
/* Each device with its fresh connections (?1: a beat at or after it is
 * fresh), one row per node it is on, ordered by device; ?2 1: online
 * ones only. */
static const char presence_list_sql[] = "SELECT d.id, d.label, f.node, "
    "coalesce(f.since, 0) FROM devices d LEFT JOIN (SELECT p.device_id, "
    "p.node, p.since FROM presence p JOIN nodes n ON n.name = p.node "
    "WHERE n.seen_at >= ?1) f ON f.device_id = d.id "
    "WHERE (CAST(?2 AS BIGINT) = 0 OR f.node IS NOT NULL) "
    "ORDER BY d.%s, f.node";
static const char ids_by_label_sql[] = "SELECT id FROM devices "
    "WHERE label = ?1 ORDER BY %s LIMIT ?2";

const char reg_sql_version[] =
    "SELECT coalesce(max(version), 0) FROM schema_migrations";
const char reg_sql_migration_put[] = "INSERT INTO schema_migrations "
    "(version, name, applied_at) VALUES (?1, ?2, ?3)";

const char *
reg_query_text(const struct reg_backend *be, enum reg_query q,
    char buf[REG_QUERY_MAX])
{
	int n;

	if (q == Q_LIST)
		n = snprintf(buf, REG_QUERY_MAX, list_sql, be->glob_op,
		    be->row_order);
	else if (q == Q_IDS_BY_LABEL)
		n = snprintf(buf, REG_QUERY_MAX, ids_by_label_sql,
		    be->row_order);
	else if (q == Q_LOOKUP)
		return be->lookup_sql;
	else if (q == Q_PRESENCE_LIST)
		n = snprintf(buf, REG_QUERY_MAX, presence_list_sql,
		    be->row_order);
	else if (q == Q_READ)
		return be->read_sql;
	else if (q == Q_READ_DEVICE)
		return be->read_device_sql;
	else if (q == Q_BACKLOG)
		return be->backlog_sql;
	else if (q == Q_PRUNE)
		return be->prune_sql;
	else
		return sql[q];
	return n > 0 && n < REG_QUERY_MAX ? buf : NULL;
}
