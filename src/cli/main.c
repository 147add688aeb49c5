/* SPDX-License-Identifier: MIT */
/*
 * main.c - `tether`: one binary, one subcommand per file, dispatched from
 * a sorted table (the shape of git's git.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tether_version.h"

static int cmd_version(int argc, char **argv);

struct command {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*summary;
};

/* Keep sorted by name. */
static const struct command commands[] = {
	{ "app",	cmd_app,	"add, list, revoke applications and their tokens" },
	{ "check",	cmd_check,	"will a device stack talk to a server, and if not, why" },
	{ "db",		cmd_db,		"migrate the schema, prune old messages, back up and restore" },
	{ "device",	cmd_device,	"list, show, rename, revoke, restore, rotate, forget devices; commands to them" },
	{ "fingerprint", cmd_fingerprint, "print the pins of a server or certificate for devices" },
	{ "forward",	cmd_forward,	"the forwarders' cursors, backlogs and last errors (status)" },
	{ "messages",	cmd_messages,	"read the stored messages, oldest first, or follow them" },
	{ "provision",	cmd_provision,	"register new devices and write their credentials" },
	{ "send",	cmd_send,	"send messages as a device would, with libtether" },
	{ "serve",	cmd_serve,	"run the gateway" },
	{ "version",	cmd_version,	"print tether's version (also tether --version)" },
};

/* `tether version`, `tether --version`: one line, for scripts and reports. */
static int
cmd_version(int argc, char **argv)
{
	if (argc > 1 && cli_is_help(argv[1])) {
		printf("usage: tether version\n\nPrints \"tether VERSION\" "
		    "(the same as tether --version). See docs/cmd-version.md.\n");
		return 0;
	}
	if (argc > 1)
		return cli_usage_error("version", "unexpected argument '%s'",
		    argv[1]);
	printf("tether %s\n", TETHER_VERSION);
	return 0;
}


static void
usage(FILE *out)
{
	fprintf(out, "usage: tether <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(out, "\n'tether <command> --help' describes a command; "
	    "docs/cmd-<command>.md has more.\n");
}

/* "<prefix>: <message>\n" on stderr, then the hint line if any. */
static void
message(const char *prefix, const char *hint, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (hint != NULL)
		fprintf(stderr, "(run 'tether %s --help' for usage)\n", hint);
}

int
cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("error", NULL, fmt, ap);
	va_end(ap);
	return 1;
}

void
cli_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("warning", NULL, fmt, ap);
	va_end(ap);
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("error", cmd, fmt, ap);
	va_end(ap);
	return 2;
}

/* see cli.h */
int
cli_getopt_refused(const char *cmd, int c, char **argv)
{
	if (c == ':')
		return cli_usage_error(cmd, "%s needs a value",
		    argv[optind - 1]);
	if (optopt != 0)
		return cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

int
cli_is_help(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

int
cli_dispatch(const char *cmd, const struct cli_action *actions, size_t n,
    void (*usage_of)(FILE *out), int argc, char **argv)
{
	char list[256];
	size_t at = 0;

	if (argc < 2) {
		usage_of(stderr);
		return 2;
	}
	if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		usage_of(stdout);
		return 0;
	}
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[1], actions[i].name) == 0)
			return actions[i].fn(argc - 1, argv + 1);
		if (at < sizeof(list))
			at += (size_t)snprintf(list + at, sizeof(list) - at,
			    "%s%s", i > 0 ? ", " : "", actions[i].name);
	}
	return cli_usage_error(cmd, "'%s' is not an action of tether %s (%s)",
	    argv[1], cmd, list);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "error: '%s' is not a tether command\n", argv[1]);
	usage(stderr);
	return 2;
}
