/* SPDX-License-Identifier: MIT */
/*
 * admin.c - helpers of the registry subcommands: the audit actor and
 * opening the registry, times for people (see admin.h).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/admin.h"
#include "cli/cli.h"

#define DURATION_MAX_S	(100LL * 365 * 86400)	/* an age, at most */

void
cli_actor(char actor[CLI_ACTOR_MAX])
{
	char name[64];
	const char *env;

	/* getlogin_r names who sat down at the terminal even under sudo;
	 * without a terminal (cron, containers) fall back to the account. */
	if (getlogin_r(name, sizeof(name)) == 0 && name[0] != '\0') {
		snprintf(actor, CLI_ACTOR_MAX, "cli:%s", name);
		return;
	}
	if ((env = getenv("USER")) != NULL && env[0] != '\0') {
		snprintf(actor, CLI_ACTOR_MAX, "cli:%.64s", env);
		return;
	}
	snprintf(actor, CLI_ACTOR_MAX, "cli:uid:%lu", (unsigned long)getuid());
}

int
cli_open_registry(struct reg_store **st, const char *db,
    const char *key_file, int must_exist)
{
	char err[REG_ERR_LEN];
	struct stat sb;

	if (must_exist && reg_db_file(db) != NULL && stat(db, &sb) != 0) {
		if (errno == ENOENT)
			cli_error("no database at %s (name one with --db PATH)",
			    db);
		else
			cli_error("cannot use the database %s: %s", db,
			    strerror(errno));
		return -1;
	}
	if (reg_open(st, db, key_file, err) != 0) {
		cli_error("%s", err);
		return -1;
	}
	return 0;
}

/* see admin.h */
void
cli_fmt_time(int64_t ms, char *buf, size_t size, int iso)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[REG_TIME_TEXT];

	if (iso) {
		reg_time_format(ms, s);
		snprintf(buf, size, "%s", s);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, size, "%s UTC", s);
}

/* see admin.h */
int64_t
cli_parse_age(const char *s)
{
	long long n = 0, unit;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > DURATION_MAX_S)
			return -1;
	}
	switch (*p) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -1;
	}
	if (p[1] != '\0' || n * unit > DURATION_MAX_S)
		return -1;
	return (int64_t)(n * unit) * 1000;
}
