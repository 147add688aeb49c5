/* SPDX-License-Identifier: MIT */
/*
 * forward.c - `tether forward status`: each forwarder the store knows
 * (the gateway's --forward URLs), with its cursor, what it delivered,
 * its backlog and its last error, read straight from the store (also
 * while gateways run).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "common/json.h"
#include "registry/registry.h"

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether forward status [--json] [--db PATH|URI] [--key-file FILE]\n"
"\n"
"status   every forwarder the store knows (each --forward URL a gateway\n"
"         ran with): the cursor after the last message its receiver\n"
"         acknowledged, how many it delivered, its backlog (messages\n"
"         stored after the cursor, not yet delivered) and its last\n"
"         error (\"-\" once a delivery succeeded after it)\n"
"\n"
"options:\n"
"  --json           output for machines: one JSON array\n"
"  --db PATH|URI    registry database (default %s)\n"
"  --key-file FILE  registry key file (default PATH.key)\n"
"  -h, --help       this text\n"
"\n"
"docs/cmd-forward.md has more; docs/forwarding.md describes forwarding.\n",
	    CLI_DEFAULT_DB);
}

struct listing {
	struct json	 j;
	int		 json;
};

static void
status_row(void *arg, const struct reg_forwarder *f)
{
	struct listing *l = arg;
	char delivered_at[40], error_at[40];

	cli_fmt_time(f->delivered_at, delivered_at, sizeof(delivered_at),
	    l->json);
	cli_fmt_time(f->error_at, error_at, sizeof(error_at), l->json);
	if (l->json) {
		json_object(&l->j, NULL, JSON_INLINE);
		json_str(&l->j, "forwarder", f->name);
		json_str(&l->j, "cursor", f->cursor);
		json_int(&l->j, "delivered", f->delivered);
		if (f->backlog >= 0)
			json_int(&l->j, "backlog", f->backlog);
		else
			json_null(&l->j, "backlog");
		json_str(&l->j, "delivered_at",
		    f->delivered_at != 0 ? delivered_at : NULL);
		json_str(&l->j, "last_error",
		    f->last_error[0] != '\0' ? f->last_error : NULL);
		json_str(&l->j, "error_at", f->last_error[0] != '\0' &&
		    f->error_at != 0 ? error_at : NULL);
		json_end(&l->j);
		return;
	}
	printf("%s\n", f->name);
	printf("  cursor        %s\n", f->cursor[0] != '\0' ? f->cursor :
	    "(start: nothing delivered yet)");
	printf("  delivered     %lld%s%s\n", f->delivered,
	    f->delivered_at != 0 ? ", last at " : "",
	    f->delivered_at != 0 ? delivered_at : "");
	if (f->backlog >= 0)
		printf("  backlog       %lld\n", f->backlog);
	else
		printf("  backlog       unknown\n");
	if (f->last_error[0] != '\0')
		printf("  last error    %s (%s)\n", f->last_error, error_at);
	else
		printf("  last error    -\n");
}

static int
forward_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db",		required_argument, NULL, 'd' },
		{ "key-file",	required_argument, NULL, 'k' },
		{ "json",	no_argument,	   NULL, 'j' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = CLI_DEFAULT_DB, *key_file = NULL;
	struct listing l = { .json = 0 };
	struct reg_store *st;
	long long n;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'k':
			key_file = optarg;
			break;
		case 'j':
			l.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
		default:
			return cli_getopt_refused("forward", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("forward", "unexpected argument '%s'",
		    argv[optind]);
	if (cli_open_registry(&st, db, key_file, 1) < 0)
		return 1;
	if (l.json) {
		json_init_heap(&l.j);
		json_array(&l.j, NULL, JSON_LINES);
	}
	n = reg_forwarder_list(st, status_row, &l);
	if (l.json) {
		json_end(&l.j);
		if (n >= 0 && json_print(&l.j, stdout) < 0)
			n = -1;
		json_free(&l.j);
	} else if (n == 0) {
		fprintf(stderr, "no forwarder has run on this database (tether "
		    "serve --forward URL)\n");
	}
	if (n < 0) {
		cli_error("%s", reg_error(st));
		reg_close(st);
		return 1;
	}
	reg_close(st);
	return 0;
}

int
cmd_forward(int argc, char **argv)
{
	static const struct cli_action actions[] = {
		{ "status",	forward_status },
	};

	return cli_dispatch("forward", actions,
	    sizeof(actions) / sizeof(*actions), usage, argc, argv);
}
