/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the subcommands of `tether`.
 *
 * Adding a subcommand: write cmd_<name>(argc, argv) in src/cli/<name>.c
 * (argv[0] is the subcommand's name), declare it here, add a row to the
 * sorted table in main.c, add docs/cmd-<name>.md and a test. The return
 * value of cmd_<name>() becomes the exit status: 0 success, 1 failure,
 * 2 usage error. Messages go to stderr prefixed "error: " or "warning: ";
 * output meant for machines goes to stdout.
 */
#ifndef CLI_H
#define CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

int cmd_app(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_fingerprint(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_messages(int argc, char **argv);
int cmd_provision(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* "error: <message>\n" on stderr; returns 1. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "warning: <message>\n" on stderr. */
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "error: <message>\n" and a hint to run --help; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* What getopt_long's ':' (a value missing) or '?' (an unknown option)
 * means, as cli_usage_error says it; returns 2. */
int cli_getopt_refused(const char *cmd, int c, char **argv);
/* A subcommand's actions ("device list", "app add"), for cli_dispatch. */
struct cli_action {
	const char	*name;
	int		(*fn)(int argc, char **argv);
};

/*
 * Runs the action argv[1] names with argv from it; without one, usage to
 * stderr and 2; for -h, --help or help, usage to stdout and 0; for an
 * unknown one, a sentence that lists the actions and 2.
 */
int cli_dispatch(const char *cmd, const struct cli_action *actions,
    size_t n, void (*usage)(FILE *out), int argc, char **argv);

/* 1 if s is "-h" or "--help". */
int cli_is_help(const char *s);

#endif
