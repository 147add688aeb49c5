/* SPDX-License-Identifier: MIT */
/*
 * schema.h - the registry's SQL schema as a list of migrations. A database
 * records the migrations applied to it in its schema_migrations table;
 * reg_open applies the missing ones, in order, in one transaction.
 */
#ifndef REG_SCHEMA_H
#define REG_SCHEMA_H

#include <stddef.h>

struct reg_migration {
	int		 version;	/* 1, 2, ...: never renumbered */
	const char	*name;
	const char	*sql;		/* one or more statements */
};

/*
 * The parts of the schema both dialects spell alike, written once so the
 * backends' schemas (schema.c, postgres.c) cannot drift apart; each puts
 * them between its own types. Released text: never edited.
 */
#define REG_DDL_DEVICE_NAMES \
	"	id		TEXT NOT NULL PRIMARY KEY," \
	"	label		TEXT NOT NULL DEFAULT ''," \
	"	status		TEXT NOT NULL DEFAULT 'active'" \
	"			CHECK (status IN ('active', 'revoked'))," \
	"	scheme		TEXT NOT NULL DEFAULT 'plain'" \
	"			CHECK (scheme IN ('plain', 'interleave', 'hmac')),"
#define REG_DDL_AUDIT_TAIL \
	"	actor		TEXT NOT NULL," \
	"	device_id	TEXT," \
	"	action		TEXT NOT NULL," \
	"	detail		TEXT NOT NULL DEFAULT ''" \
	");" \
	"CREATE INDEX audit_device ON audit (device_id);"
#define REG_DDL_DEVICE_MAC \
	"ALTER TABLE devices ADD COLUMN mac TEXT" \
	"	CHECK (mac IS NULL OR length(mac) = 17);" \
	"CREATE UNIQUE INDEX devices_mac ON devices (mac) " \
	"	WHERE mac IS NOT NULL;"

/* Version 4: applications and their tokens, in the backend's blob and
 * integer types. */
#define REG_MIGRATION_4_NAME	"applications and their tokens"
#define REG_DDL_APPS(blob, integer) \
	"CREATE TABLE apps (" \
	"	name		TEXT NOT NULL PRIMARY KEY," \
	"	token_hash	" blob " NOT NULL UNIQUE" \
	"			CHECK (length(token_hash) = 32)," \
	"	scopes		TEXT NOT NULL DEFAULT 'read'," \
	"	created_at	" integer " NOT NULL," \
	"	revoked_at	" integer \
	");"

/* Version 5: webhook secrets of applications and the forwarders' cursors
 * (forwarders.c), in the backend's blob and integer types. A webhook's
 * secret is not stored: it is derived from its salt under the registry
 * key, so the database alone does not give it away. */
#define REG_MIGRATION_5_NAME	"webhook secrets, forwarders and their cursors"
#define REG_DDL_FORWARDERS(blob, integer) \
	"ALTER TABLE apps ADD COLUMN webhook_salt " blob \
	"	CHECK (webhook_salt IS NULL OR length(webhook_salt) = 16);" \
	"CREATE TABLE forwarders (" \
	"	name		TEXT NOT NULL PRIMARY KEY," \
	"	cursor		TEXT NOT NULL DEFAULT ''," \
	"	delivered	" integer " NOT NULL DEFAULT 0," \
	"	last_error	TEXT NOT NULL DEFAULT ''," \
	"	error_at	" integer "," \
	"	delivered_at	" integer "," \
	"	created_at	" integer " NOT NULL" \
	");"

/* Version 6: the gateway's lookup index holds active credentials only, so
 * a revoked credential misses it exactly as one never issued does: the
 * same index descent, no table row read, the same answer (#12, item 12;
 * DESIGN.md, "same body, same timing"). The UNIQUE on cred_hash stays: a
 * revoked device's credential is still never issued again. */
#define REG_MIGRATION_6_NAME	"lookup index of active credentials only"

/* Version 7: the gateways' TLS session ticket keys (tickets.c), each
 * sealed under a key derived from the registry key, so that every node of
 * one store opens the tickets of every other and the database alone does
 * not give them away. A SQLite gateway keeps its keys in its state
 * directory; the table is in both schemas so they stay one list. */
#define REG_MIGRATION_7_NAME	"TLS session ticket keys shared by the nodes"
#define REG_DDL_TICKET_KEYS(blob, integer) \
	"CREATE TABLE tls_ticket_keys (" \
	"	name		" blob " NOT NULL PRIMARY KEY" \
	"			CHECK (length(name) = 16)," \
	"	sealed		" blob " NOT NULL," \
	"	created_at	" integer " NOT NULL" \
	");"

/* Version 8: commands to devices (commands.c), in the backend's blob and
 * integer types and its spelling of an id that only grows. state is
 * queued until a device's answer carries the command, delivered until
 * the device acknowledges it; expired, cancelled and rejected (larger
 * than the device takes) are final, with the reason. The partial index
 * is the gateway's probe, "the oldest pending command of this device",
 * and holds only pending rows; the expiry sweep has its own. */
#define REG_MIGRATION_8_NAME	"commands to devices"
#define REG_DDL_COMMANDS(blob, integer, serial) \
	"CREATE TABLE commands (" \
	"	id		" serial "," \
	"	device_id	TEXT NOT NULL," \
	"	payload		" blob " NOT NULL" \
	"			CHECK (length(payload) <= 4096)," \
	"	app		TEXT NOT NULL," \
	"	created_at	" integer " NOT NULL," \
	"	expires_at	" integer " NOT NULL," \
	"	state		TEXT NOT NULL DEFAULT 'queued'" \
	"			CHECK (state IN ('queued', 'delivered', " \
	"			'acknowledged', 'expired', 'cancelled', " \
	"			'rejected'))," \
	"	delivered_at	" integer "," \
	"	acked_at	" integer "," \
	"	attempts	" integer " NOT NULL DEFAULT 0," \
	"	reason		TEXT NOT NULL DEFAULT ''" \
	");" \
	"CREATE INDEX commands_pending ON commands (device_id, id) " \
	"	WHERE state IN ('queued', 'delivered');" \
	"CREATE INDEX commands_expiry ON commands (expires_at) " \
	"	WHERE state IN ('queued', 'delivered');" \
	"CREATE INDEX commands_device ON commands (device_id, id);"

/* Version 9: presence (registry/presence.c). Each message row gets a kind
 * (0 a device's message, 1 connected, 2 disconnected: events readers
 * take in the same order as messages); nodes are the gateways writing
 * the store, each beating its seen_at every few seconds; presence holds
 * a row per device and node it holds a connection on, counted only
 * while its node's seen_at is fresh. `extra` ends presence's definition
 * (SQLite: WITHOUT ROWID). */
#define REG_MIGRATION_9_NAME	"presence: nodes, connections, event rows"
#define REG_DDL_PRESENCE(integer, extra) \
	"ALTER TABLE messages ADD COLUMN kind " integer " NOT NULL DEFAULT 0;" \
	"CREATE TABLE nodes (" \
	"	name		TEXT NOT NULL PRIMARY KEY," \
	"	started_at	" integer " NOT NULL," \
	"	seen_at		" integer " NOT NULL" \
	");" \
	"CREATE TABLE presence (" \
	"	device_id	TEXT NOT NULL," \
	"	node		TEXT NOT NULL," \
	"	since		" integer " NOT NULL," \
	"	PRIMARY KEY (device_id, node)" \
	")" extra ";"

/* Version 10: the gateways' TLS sessions for resumption by session id
 * (registry/sessions.c), shared by the nodes of one store so that a
 * device that lands on another node resumes there. Each row holds one
 * session sealed under a key derived from the registry key (it holds the
 * session's master secret); n orders the rows as they were written, for
 * the nodes' reads after a cursor. A SQLite gateway keeps its sessions
 * in its state directory; the table is in both schemas so they stay one
 * list. */
#define REG_MIGRATION_10_NAME	"TLS sessions shared by the nodes"
#define REG_DDL_SESSIONS(blob, integer, serial) \
	"CREATE TABLE tls_sessions (" \
	"	n		" serial "," \
	"	node		TEXT NOT NULL," \
	"	sealed		" blob " NOT NULL," \
	"	expires_at	" integer " NOT NULL" \
	");" \
	"CREATE INDEX tls_sessions_expiry ON tls_sessions (expires_at);"

/* Version 11: reading one device's messages through an index.
 * SQLite: message_blocks holds a row per device and block of
 * REG_BLOCK_IDS message ids (id / REG_BLOCK_IDS) that holds a message of
 * it, written with the device's first message in the block
 * (sqlite_seqs.c, "Blocks"); a read by device walks the device's blocks
 * and scans each as a range of ids (DESIGN.md, "Reading by device").
 * The migration records the blocks of the messages already stored.
 * PostgreSQL: an index (device_id, xid, id), the read's own order. */
#define REG_MIGRATION_11_NAME	"messages by device through an index"
/* The ids of a block: fixed by the schema (the stored rows are counted
 * in it); another width would be a migration of its own. */
#define REG_BLOCK_IDS		65536
#define REG_BLOCK_TEXT_(n)	#n
#define REG_BLOCK_TEXT(n)	REG_BLOCK_TEXT_(n)
#define REG_BLOCK_IDS_SQL	REG_BLOCK_TEXT(REG_BLOCK_IDS)

/*
 * A backend's schema: its migrations, oldest first, and what migrate.c
 * needs in its dialect: the table that records them; a query that gives
 * two integers, 1 if that table exists, and how many tables there are;
 * the error for a database of something else (after its name); and, if
 * not NULL, what serialises migrations at the start of the transaction.
 */
struct reg_schema {
	const struct reg_migration	*migrations;
	size_t				 count;
	const char			*table;
	const char			*tables;
	const char			*foreign;
	const char			*lock;
};

/* SQLite's (schema.c); PostgreSQL's are in postgres.c. */
extern const struct reg_schema reg_sqlite_schema;

#endif
