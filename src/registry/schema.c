/* SPDX-License-Identifier: MIT */
/*
 * schema.c - the registry's schema, one migration per step. A released
 * migration is never edited: a change to the schema is a new entry at the
 * end, so every database, however old, reaches the same schema.
 *
 * Times are INTEGER unix milliseconds, UTC: they sort, compare and
 * subtract without parsing, and tools format them for people.
 */
#include "registry/schema.h"

#define NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

static const char schema_v1[] =
	/* Facts about the database itself, such as key_check: a keyed hash
	 * of a fixed text, so a wrong registry key is refused at open
	 * instead of quietly refusing every device. */
	"CREATE TABLE meta ("
	"	name		TEXT NOT NULL PRIMARY KEY,"
	"	value		BLOB NOT NULL"
	") WITHOUT ROWID;"

	/* The mapper. cred_hash is HMAC-SHA256(registry key, credential);
	 * the credential itself is never stored. */
	"CREATE TABLE devices ("
	REG_DDL_DEVICE_NAMES
	"	cred_hash	BLOB NOT NULL UNIQUE"
	"			CHECK (length(cred_hash) = 32),"
	"	created_at	INTEGER NOT NULL,"
	"	last_seen_at	INTEGER,"
	"	last_seen_addr	TEXT"
	");"

	/* Who changed what. device_id is NULL for batch actions (one row
	 * per provisioned batch, not per device). No foreign key: the
	 * trail outlives a device that is forgotten. */
	"CREATE TABLE audit ("
	"	id		INTEGER PRIMARY KEY AUTOINCREMENT,"
	"	at		INTEGER NOT NULL,"
	REG_DDL_AUDIT_TAIL

	/* The change feed read by reg_changes: a row per change of a
	 * device's status or credential. AUTOINCREMENT so an id is never
	 * reused after rows are pruned; the first row (device_id NULL)
	 * marks the start of the feed, so a reader starting at cursor 0
	 * always finds a position and never skips the first change. */
	"CREATE TABLE device_events ("
	"	id		INTEGER PRIMARY KEY AUTOINCREMENT,"
	"	device_id	TEXT,"
	"	at		INTEGER NOT NULL"
	");"
	"INSERT INTO device_events (device_id, at) VALUES (NULL, " NOW_MS ");"

	/* The message store. seq is the device's X-Tether-Seq or NULL;
	 * the unique index stores a retried (device, seq) once, and NULLs
	 * never collide. No foreign key on device_id: a batch of many
	 * devices' messages must not fail because one device was removed
	 * while its message was in flight. */
	"CREATE TABLE messages ("
	"	id		INTEGER PRIMARY KEY,"
	"	device_id	TEXT NOT NULL,"
	"	seq		INTEGER,"
	"	received_at	INTEGER NOT NULL,"
	"	peer		TEXT NOT NULL DEFAULT '',"
	"	body		BLOB NOT NULL"
	");"
	"CREATE UNIQUE INDEX messages_device_seq ON messages (device_id, seq);";

static const char schema_v2[] =
	/* The MAC address a device's credential is bound to, written
	 * "aa:bb:cc:dd:ee:ff"; NULL when provisioned without one (plain).
	 * Unique: two devices with one MAC would derive credentials from
	 * the same address, and one of them is a mistake. */
	REG_DDL_DEVICE_MAC

	/* When the current credential was issued (provisioning or the last
	 * rotation); NULL for devices made before this column: read as
	 * created_at. */
	"ALTER TABLE devices ADD COLUMN credential_at INTEGER;"

	/* The audit row of the batch that provisioned the device, so its
	 * history starts with who provisioned it, without a row per device
	 * in a batch of 100,000. */
	"ALTER TABLE devices ADD COLUMN batch INTEGER;"

	/* `tether device list --seen-since / --not-seen-since` */
	"CREATE INDEX devices_last_seen ON devices (last_seen_at);";

static const char schema_v3[] =
	/* Duplicates are found in memory (sqlite_seqs.c, "Duplicates"), not
	 * by a unique index: inserting into an index ordered by device wrote
	 * a random page per message and cost ~20 µs of the gateway's time
	 * per message (bench/RESULTS.md). Messages are now appended in id
	 * order only. */
	"DROP INDEX messages_device_seq;"

	/* A snapshot of that state: per device the ranges of seqs stored
	 * (16 bytes per range: lo, hi, little-endian), valid for messages
	 * up to meta.message_seqs_upto; later ones are read back from
	 * messages. meta.message_seqs_epoch changes when messages are
	 * deleted, so gateways rebuild the state. */
	"CREATE TABLE message_seqs ("
	"	device_id	TEXT NOT NULL PRIMARY KEY,"
	"	ranges		BLOB NOT NULL"
	") WITHOUT ROWID;";

static const char schema_v4[] =
	/* Applications that read the devices' messages (apps.c). As for
	 * devices, only a keyed hash of the token is stored, in a domain of
	 * its own (registry.h, reg_app_token_hash): a device credential never
	 * matches an application token, nor the reverse. scopes is a comma
	 * list ("read", "read,command"); revoked_at NULL while the token is
	 * valid. A name is never reused, so the audit trail stays readable. */
	REG_DDL_APPS("BLOB", "INTEGER");

static const char schema_v5[] =
	/* Forwarding (forwarders.c): an application's webhook secret is
	 * HMAC(registry key, domain, salt), so only the salt is stored; each
	 * forwarder (its URL) keeps the cursor after the last message its
	 * receiver acknowledged, what it delivered and its last error. */
	REG_DDL_FORWARDERS("BLOB", "INTEGER");

static const char schema_v6[] =
	/* id and status in the index: a found device is read from the index
	 * alone (a covering index; SQLite 3.40 reads the row for a column
	 * of the WHERE otherwise). The SQLite backend names this index
	 * (INDEXED BY, sqlite.c): the planner would take the UNIQUE one,
	 * which holds revoked rows. */
	"CREATE UNIQUE INDEX devices_active_cred ON devices "
	"	(cred_hash, id, status) WHERE status = 'active';";

static const char schema_v8[] =
	/* Commands to devices (commands.c, schema.h). AUTOINCREMENT: a
	 * command id is never given twice, also after rows are deleted, so
	 * a device's acknowledgement never names another command. */
	REG_DDL_COMMANDS("BLOB", "INTEGER",
	    "INTEGER PRIMARY KEY AUTOINCREMENT");

static const char schema_v9[] =
	/* Presence (schema.h): one row per device and node, keyed by
	 * device first so "is it online elsewhere" is a prefix lookup. */
	REG_DDL_PRESENCE("INTEGER", " WITHOUT ROWID");

static const char schema_v11[] =
	/* A device's blocks of ids (schema.h): keyed by device first, so a
	 * read finds its blocks in order by a prefix of the key; a row is
	 * written once per device and block, not per message (the index
	 * that was, schema_v3, wrote a random page per message). */
	"CREATE TABLE message_blocks ("
	"	device_id	TEXT NOT NULL,"
	"	block		INTEGER NOT NULL,"
	"	PRIMARY KEY (device_id, block)"
	") WITHOUT ROWID;"
	"INSERT OR IGNORE INTO message_blocks (device_id, block) "
	"	SELECT device_id, id / " REG_BLOCK_IDS_SQL " FROM messages;";

static const struct reg_migration migrations[] = {
	{ 1, "devices, audit, change feed, messages", schema_v1 },
	{ 2, "device MAC, credential time, provisioning batch", schema_v2 },
	{ 3, "message duplicates checked in memory, no index", schema_v3 },
	{ 4, REG_MIGRATION_4_NAME, schema_v4 },
	{ 5, REG_MIGRATION_5_NAME, schema_v5 },
	{ 6, REG_MIGRATION_6_NAME, schema_v6 },
	{ 7, REG_MIGRATION_7_NAME, REG_DDL_TICKET_KEYS("BLOB", "INTEGER") },
	{ 8, REG_MIGRATION_8_NAME, schema_v8 },
	{ 9, REG_MIGRATION_9_NAME, schema_v9 },
	{ 10, REG_MIGRATION_10_NAME, REG_DDL_SESSIONS("BLOB", "INTEGER",
	  "INTEGER PRIMARY KEY AUTOINCREMENT") },
	{ 11, REG_MIGRATION_11_NAME, schema_v11 },
};

const struct reg_schema reg_sqlite_schema = {
	.migrations = migrations,
	.count = sizeof(migrations) / sizeof(migrations[0]),
	.table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	    "applied_at INTEGER NOT NULL)",
	.tables = "SELECT (SELECT count(*) FROM sqlite_schema "
	    "WHERE type = 'table' AND name = 'schema_migrations'), "
	    "(SELECT count(*) FROM sqlite_schema)",
	.foreign = " is an SQLite database of something else (it has "
	    "tables, but not tether's); name another file",
};
