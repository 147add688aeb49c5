/* SPDX-License-Identifier: MIT */
/*
 * db.c - `tether db`: migrate brings the database's schema to the version
 * this tether knows (every command does so when it opens the database;
 * this one does only that, for a deploy step) and lists the migrations
 * applied, marking those it applied now; `tether db prune`: deletes
 * old messages, never one a forwarder has not delivered; backup copies a
 * live SQLite database with SQLite's online backup API (one read
 * transaction: a consistent snapshot while the gateway writes); restore
 * makes a new database from such a copy and checks it against its key.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/admin.h"
#include "cli/cli.h"

#define DB_PATH_MAX	4096
#define DB_BUSY_MS	5000	/* a writer's lock on the source, at most */

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether db migrate [--db PATH|URI] [--key-file FILE]\n"
"       tether db prune --older-than DURATION [--db PATH|URI] [--key-file FILE]\n"
"       tether db backup  [--db PATH] --to FILE [--key-file KEY] [--with-key]\n"
"       tether db restore --from FILE --db PATH [--key-file KEY]\n"
"\n"
"Brings the database's schema to the newest version this tether knows\n"
"(making the database if missing) and lists every migration applied,\n"
"marking those applied now. Every tether command migrates the database\n"
"when it opens it; this one does only that, for a deploy step.\n"
"\n"
"  --db PATH|URI     SQLite file (default ./tether.db) or postgres:// URI\n"
"  --key-file FILE   registry key (default <db>.key; required for PostgreSQL)\n"
"\n"
"Migrations are applied in one transaction each run, under a lock, so\n"
"several gateways starting at once are safe.\n"
"\n"
"prune deletes the messages received more than DURATION ago (45s, 90m,\n"
"12h, 30d, 2w), in batches of 1000, but never one a forwarder has not\n"
"delivered (tether forward status) nor the newest message. Gateways may\n"
"be running.\n"
"\n"
"backup copies an SQLite database while gateways run and write (SQLite's\n"
"online backup: the copy holds every message stored before it began) to a\n"
"new FILE, and names the registry key the copy needs; --with-key copies the\n"
"key too, to FILE.key (mode 0600). restore makes the new database PATH from\n"
"FILE and its key (FILE.key, or --key-file) and checks that they match.\n"
"For PostgreSQL use pg_dump and pg_restore. See docs/cmd-db.md.\n");
}

struct listing {
	int64_t	 since;		/* ms: rows applied after this are "now" */
	int	 newest;
};

static void
print_row(void *arg, const struct reg_migration_row *m)
{
	struct listing *l = arg;
	time_t t = (time_t)(m->applied_at / 1000);
	struct tm tm;
	char when[32];

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("%7d  %-48s  %s%s\n", m->version, m->name, when,
	    m->applied_at >= l->since ? "  (applied now)" : "");
	if (m->version > l->newest)
		l->newest = m->version;
}

#define PRUNE_BATCH	1000

static int
db_prune(int argc, char **argv)
{
	const char *db = CLI_DEFAULT_DB, *key_file = NULL;
	char held[REG_FORWARDER_MAX], when[40];
	struct reg_store *st;
	int64_t age = -1, cutoff;
	long long n, total = 0;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc)
			key_file = argv[++i];
		else if (strcmp(argv[i], "--older-than") == 0 && i + 1 < argc) {
			if ((age = cli_parse_age(argv[++i])) <= 0)
				return cli_usage_error("db", "--older-than: '%s' is "
				    "not a duration (45s, 90m, 12h, 30d, 2w)",
				    argv[i]);
		} else
			return cli_usage_error("db", "unexpected argument '%s'",
			    argv[i]);
	}
	if (age < 0)
		return cli_usage_error("db", "prune needs --older-than DURATION");
	if (cli_open_registry(&st, db, key_file, 1) < 0)
		return 1;
	cutoff = reg_now_ms() - age;
	do {
		if ((n = reg_prune(st, cutoff, PRUNE_BATCH, held)) < 0) {
			cli_error("%s (%lld deleted before)", reg_error(st),
			    total);
			reg_close(st);
			return 1;
		}
		total += n;
	} while (n == PRUNE_BATCH);
	reg_close(st);
	cli_fmt_time(cutoff, when, sizeof(when), 0);
	printf("%lld\n", total);
	fprintf(stderr, "deleted %lld messages received before %s\n", total,
	    when);
	if (held[0] != '\0')
		cli_warning("older messages are kept: forwarder %s has not "
		    "delivered them (tether forward status)", held);
	return 0;
}

static int
db_migrate(int argc, char **argv)
{
	const char *db = CLI_DEFAULT_DB, *key_file = NULL;
	struct listing l = { .since = 0, .newest = 0 };
	struct reg_store *st;
	int n;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc)
			key_file = argv[++i];
		else
			return cli_usage_error("db", "unexpected argument '%s'",
			    argv[i]);
	}
	l.since = reg_now_ms();
	/* Opening the registry applies what is missing (registry.h). */
	if (cli_open_registry(&st, db, key_file, 0) < 0)
		return 1;
	printf("version  %-48s  applied\n", "migration");
	if ((n = reg_migrations_applied(st, print_row, &l)) < 0) {
		cli_error("%s", reg_error(st));
		reg_close(st);
		return 1;
	}
	reg_close(st);
	fprintf(stderr, "%s is at schema version %d, the newest this tether "
	    "knows (%d)\n", db, l.newest, reg_schema_latest());
	return l.newest == reg_schema_latest() ? 0 : 1;
}

/* 1 if path names something (a file, a link, a directory). */
static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0 || errno != ENOENT;
}

/* fsync a file, then the directory that holds it, so a rename lasts. */
static int
sync_path(const char *path)
{
	char dir[DB_PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (rc < 0 || (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Copies the SQLite database from to the new file to with the online
 * backup API, in one step: one read transaction on from, so the copy is
 * the database as of one commit, while writers carry on (WAL). Written to
 * "<to>.partial" and renamed, so a failed copy never looks like a backup.
 * Prints the error and returns -1 on failure; *pages is the copy's size.
 */
static int
copy_sqlite(const char *from, const char *to, int *pages)
{
	char tmp[DB_PATH_MAX];
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *q;
	int fd, rc, tether;

	if (snprintf(tmp, sizeof(tmp), "%s.partial", to) >= (int)sizeof(tmp))
		return cli_error("%s: the path is too long", to), -1;
	if (exists(to))
		return cli_error("%s already exists: a copy never overwrites "
		    "(remove it, or name another file)", to), -1;
	if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		cli_error("cannot open %s: %s", from, sqlite3_errmsg(src));
		goto fail;
	}
	sqlite3_busy_timeout(src, DB_BUSY_MS);
	rc = sqlite3_prepare_v2(src, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name IN ('devices', 'messages')", -1,
	    &q, NULL);
	tether = rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_int(q, 0) == 2;
	sqlite3_finalize(q);
	if (rc != SQLITE_OK) {
		cli_error("cannot read %s: %s", from, sqlite3_errmsg(src));
		goto fail;
	}
	if (!tether) {
		cli_error("%s is not a tether database (no devices and "
		    "messages tables)", from);
		goto fail;
	}
	unlink(tmp);	/* a .partial left by a copy that was killed */
	/* Made empty (a valid empty database) with mode 0600 first: it holds
	 * credential hashes, and SQLite would make it 0644. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		cli_error("cannot make %s: %s", tmp, strerror(errno));
		goto fail;
	}
	close(fd);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		cli_error("cannot make %s: %s", tmp, sqlite3_errmsg(dst));
		goto fail;
	}
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		cli_error("cannot copy %s: %s", from, sqlite3_errmsg(dst));
		goto fail;
	}
	/* Busy only while a writer holds the source in rollback mode; the
	 * busy handler of src waits DB_BUSY_MS for it each step. */
	do
		rc = sqlite3_backup_step(b, -1);
	while (rc == SQLITE_OK);
	*pages = sqlite3_backup_pagecount(b);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		cli_error("cannot copy %s to %s: %s", from, tmp,
		    sqlite3_errstr(rc));
		goto fail;
	}
	/* Back to a plain rollback-journal file: one file, nothing beside. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		cli_error("cannot finish %s: %s", tmp, sqlite3_errmsg(dst));
		goto fail;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		dst = NULL;
		cli_error("cannot close %s", tmp);
		goto fail;
	}
	dst = NULL;
	sqlite3_close(src);
	src = NULL;
	if (sync_path(tmp) < 0 || rename(tmp, to) < 0 || sync_path(to) < 0) {
		cli_error("cannot write %s: %s", to, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	sqlite3_close(dst);
	sqlite3_close(src);
	unlink(tmp);
	return -1;
}

/* Copies the key file from to the new file to, mode 0600, synced. */
static int
copy_key(const char *from, const char *to)
{
	char buf[4096];
	ssize_t n;
	int in, out, rc = 0;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return cli_error("cannot read the registry key %s: %s", from,
		    strerror(errno)), -1;
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		close(in);
		return cli_error("cannot make %s: %s", to, strerror(errno)), -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	if (n < 0 || fsync(out) < 0)
		rc = -1;
	explicit_bzero(buf, sizeof(buf));
	close(in);
	if (close(out) < 0 || rc < 0) {
		cli_error("cannot write %s: %s", to, strerror(errno));
		unlink(to);
		return -1;
	}
	return 0;
}

static int
is_uri(const char *db)
{
	return strncmp(db, "postgres://", 11) == 0 ||
	    strncmp(db, "postgresql://", 13) == 0;
}

static int
db_backup(int argc, char **argv)
{
	const char *db = CLI_DEFAULT_DB, *to = NULL, *key_file = NULL;
	char key[DB_PATH_MAX], to_key[DB_PATH_MAX];
	int with_key = 0, pages = 0;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc)
			key_file = argv[++i];
		else if (strcmp(argv[i], "--with-key") == 0)
			with_key = 1;
		else
			return cli_usage_error("db", "unexpected argument '%s'",
			    argv[i]);
	}
	if (to == NULL)
		return cli_usage_error("db", "backup needs --to FILE");
	if (is_uri(db))
		return cli_usage_error("db", "backup copies SQLite files; "
		    "back up PostgreSQL with pg_dump (docs/operations.md)");
	if (snprintf(key, sizeof(key), "%s%s", key_file ? key_file : db,
	    key_file ? "" : ".key") >= (int)sizeof(key) ||
	    snprintf(to_key, sizeof(to_key), "%s.key", to) >=
	    (int)sizeof(to_key))
		return cli_error("the path is too long");
	if (!exists(db))
		return cli_error("%s does not exist", db);
	if (with_key && exists(to_key))
		return cli_error("%s already exists: a copy never overwrites",
		    to_key);
	if (copy_sqlite(db, to, &pages) < 0)
		return 1;
	if (with_key && copy_key(key, to_key) < 0) {
		cli_error("%s was written without its key", to);
		return 1;
	}
	printf("backup %s: %d pages of %s\n", to, pages, db);
	if (with_key)
		printf("key    %s: a copy of %s (mode 0600)\n", to_key, key);
	else
		printf("key    %s: NOT copied; the backup is useless without "
		    "it: keep it apart, safely (or use --with-key)\n", key);
	return 0;
}

static int
db_restore(int argc, char **argv)
{
	const char *db = NULL, *from = NULL, *key_file = NULL;
	char key[DB_PATH_MAX], db_key[DB_PATH_MAX];
	struct reg_store *st;
	int pages = 0;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc)
			key_file = argv[++i];
		else
			return cli_usage_error("db", "unexpected argument '%s'",
			    argv[i]);
	}
	if (from == NULL || db == NULL)
		return cli_usage_error("db", "restore needs --from FILE and "
		    "--db PATH (a new file)");
	if (is_uri(db))
		return cli_usage_error("db", "restore makes SQLite files; "
		    "restore PostgreSQL with pg_restore (docs/operations.md)");
	if (snprintf(key, sizeof(key), "%s%s", key_file ? key_file : from,
	    key_file ? "" : ".key") >= (int)sizeof(key) ||
	    snprintf(db_key, sizeof(db_key), "%s.key", db) >=
	    (int)sizeof(db_key))
		return cli_error("the path is too long");
	if (!exists(from))
		return cli_error("%s does not exist", from);
	if (!exists(key))
		return cli_error("the registry key %s is missing: name the key "
		    "the backup was made with (--key-file KEY)", key);
	if (exists(db) || exists(db_key))
		return cli_error("%s or %s already exists: restore makes a new "
		    "database (stop the gateways, move the old one aside)", db,
		    db_key);
	if (copy_sqlite(from, db, &pages) < 0)
		return 1;
	if (copy_key(key, db_key) < 0)
		return 1;
	/* The database records a check value of its key: a wrong key file
	 * is refused here, not later by the gateway. */
	if (cli_open_registry(&st, db, NULL, 1) < 0) {
		char side[DB_PATH_MAX];

		unlink(db);
		unlink(db_key);
		/* what opening it in WAL mode left beside it */
		snprintf(side, sizeof(side), "%s-wal", db);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", db);
		unlink(side);
		return 1;
	}
	reg_close(st);
	printf("restored %s: %d pages from %s\n", db, pages, from);
	printf("key      %s: a copy of %s (mode 0600), checked\n", db_key,
	    key);
	return 0;
}

int
cmd_db(int argc, char **argv)
{
	static const struct cli_action actions[] = {
		{ "backup", db_backup },
		{ "migrate", db_migrate },
		{ "prune", db_prune },
		{ "restore", db_restore },
	};

	return cli_dispatch("db", actions, sizeof(actions) / sizeof(actions[0]),
	    usage, argc, argv);
}
