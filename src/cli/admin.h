/* SPDX-License-Identifier: MIT */
/*
 * admin.h - what the registry subcommands (provision, device) share:
 * who is acting, for the audit trail, and opening the registry with
 * errors worded for the command line.
 */
#ifndef CLI_ADMIN_H
#define CLI_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"

#define CLI_DEFAULT_DB	"./tether.db"
#define CLI_ACTOR_MAX	80

/* Writes "cli:<login name>" (or "cli:uid:<n>" when there is no name)
 * into actor (CLI_ACTOR_MAX bytes), for the audit trail. */
void cli_actor(char actor[CLI_ACTOR_MAX]);

/*
 * Opens the registry at db with key_file (NULL: "<db>.key"). With
 * must_exist, a missing database is an error instead of a new one, so a
 * typo in --db does not quietly make an empty registry. Prints the error
 * and returns -1 on failure.
 */
int cli_open_registry(struct reg_store **st, const char *db,
    const char *key_file, int must_exist);

/* A time (unix milliseconds) for people, "2026-12-02 06:10:00 UTC", or
 * with iso RFC 3339 with milliseconds, "2026-12-02T06:10:00.123Z". */
void cli_fmt_time(int64_t ms, char *buf, size_t size, int iso);

/* "30s", "15m", "24h", "7d", "2w" -> milliseconds; -1 if not one. */
int64_t cli_parse_age(const char *s);

/*
 * The device an argument names (device.c), as every `tether device`
 * subcommand reads it: 0 with *st open and id set; otherwise prints why
 * (with "did you mean") and returns the exit status, 2 for a text that
 * is not an id, 1 for an unknown device or a registry that cannot open.
 */
int cli_device_resolve(const char *db, const char *key_file, const char *arg,
    struct reg_store **st, char id[REG_ID_MAX]);

/* `tether device command` and `tether device commands` (device_command.c). */
int cmd_device_command(int argc, char **argv);
int cmd_device_commands(int argc, char **argv);

#endif
