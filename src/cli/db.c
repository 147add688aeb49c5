/* SPDX-License-Identifier: MIT */
/*
 * db.c - `tether db migrate`: brings the database's schema to the version
 * this tether knows (every command does so when it opens the database;
 * this one does only that, for a deploy step) and lists the migrations
 * applied, marking those it applied now; `tether db prune`: deletes
 * old messages, never one a forwarder has not delivered.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/admin.h"
#include "cli/cli.h"

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether db migrate [--db PATH|URI] [--key-file FILE]\n"
"       tether db prune --older-than DURATION [--db PATH|URI] [--key-file FILE]\n"
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
"be running. See docs/cmd-db.md.\n");
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

	for (int i = 2; i < argc; i++) {
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

int
cmd_db(int argc, char **argv)
{
	const char *db = CLI_DEFAULT_DB, *key_file = NULL, *action;
	struct listing l = { .since = 0, .newest = 0 };
	struct reg_store *st;
	int n;

	if (argc < 2 || cli_is_help(argv[1])) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	action = argv[1];
	if (strcmp(action, "prune") == 0)
		return db_prune(argc, argv);
	if (strcmp(action, "migrate") != 0)
		return cli_usage_error("db", "'%s' is not a db action "
		    "(migrate, prune)", action);
	for (int i = 2; i < argc; i++) {
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
