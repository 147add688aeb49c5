/* SPDX-License-Identifier: MIT */
/*
 * app.c - `tether app`: adds, lists and revokes the applications that
 * read the devices' messages on the gateway's application listener. The
 * token is printed once, by add; the registry keeps only its keyed hash.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "common/json.h"
#include "registry/registry.h"

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether app add NAME [--scope read[,command]] [--webhook]\n"
"       tether app list [--json]\n"
"       tether app revoke NAME\n"
"       tether app webhook NAME\n"
"  each also takes [--db PATH|URI] [--key-file FILE]\n"
"\n"
"add      register an application and print its new token (tta1_...) on\n"
"         stdout, once: it is not stored, only its keyed hash is\n"
"list     the applications, oldest first, with their scopes and whether\n"
"         their token was revoked (never the token)\n"
"revoke   refuse the application's token from now on (401); the name\n"
"         is never reused\n"
"webhook  give the application a new webhook secret (ttw1_...) and print\n"
"         it once; the old one no longer signs (docs/forwarding.md)\n"
"\n"
"NAME is 1 to %d characters of a-z, 0-9, '.', '_', '-'.\n"
"\n"
"options:\n"
"  --scope LIST     add: what the token may do (default read)\n"
"  --webhook        add: also print a webhook secret (ttw1_...) on a second\n"
"                   line, which signs what --forward https://...#app=NAME\n"
"                   posts to the application's receiver\n"
"  --db PATH|URI    registry database (default %s)\n"
"  --key-file FILE  registry key file (default PATH.key)\n"
"  --json           list: output for machines\n"
"  -h, --help       this text\n"
"\n"
"example:\n"
"  tether app add dashboard > dashboard.token\n"
"  curl --cacert ca.pem -H \"Authorization: Bearer $(cat dashboard.token)\" \\\n"
"      https://127.0.0.1:8444/v1/messages\n"
"\n"
"docs/cmd-app.md has more.\n", REG_APP_NAME_MAX - 1, CLI_DEFAULT_DB);
}

struct args {
	const char	*db;
	const char	*key_file;
	const char	*name;
	unsigned	 scopes;
	int		 json;
	int		 webhook;
};

/* Parses argv (argv[0] the action); takes NAME when want_name. Returns
 * 0, -1 after --help, or 2 for a usage error. */
static int
parse(int argc, char **argv, int want_name, int takes_scope, int takes_json,
    struct args *a)
{
	static const struct option opts[] = {
		{ "db",		required_argument, NULL, 'd' },
		{ "key-file",	required_argument, NULL, 'k' },
		{ "scope",	required_argument, NULL, 's' },
		{ "json",	no_argument,	   NULL, 'j' },
		{ "webhook",	no_argument,	   NULL, 'w' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[REG_ERR_LEN];
	int c;

	memset(a, 0, sizeof(*a));
	a->db = CLI_DEFAULT_DB;
	a->scopes = REG_SCOPE_READ;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->db = optarg;
			break;
		case 'k':
			a->key_file = optarg;
			break;
		case 's':
			if (!takes_scope)
				return cli_usage_error("app", "%s does not "
				    "take --scope", argv[0]);
			if (reg_scopes_parse(optarg, &a->scopes, why) < 0)
				return cli_usage_error("app", "%s", why);
			break;
		case 'j':
			if (!takes_json)
				return cli_usage_error("app", "%s does not "
				    "take --json", argv[0]);
			a->json = 1;
			break;
		case 'w':
			if (!takes_scope)
				return cli_usage_error("app", "%s does not "
				    "take --webhook", argv[0]);
			a->webhook = 1;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
		default:
			return cli_getopt_refused("app", c, argv);
		}
	}
	if (want_name && optind < argc)
		a->name = argv[optind++];
	if (want_name && a->name == NULL)
		return cli_usage_error("app", "%s needs the application's "
		    "name", argv[0]);
	if (optind < argc)
		return cli_usage_error("app", "unexpected argument '%s'",
		    argv[optind]);
	return 0;
}

static int
app_add(int argc, char **argv)
{
	struct reg_store *st;
	struct args a;
	char token[REG_APP_TOKEN_LEN + 1], actor[CLI_ACTOR_MAX];
	char list[REG_SCOPES_TEXT], secret[REG_WEBHOOK_SECRET_LEN + 1];
	int r, rc = 1;

	if ((r = parse(argc, argv, 1, 1, 0, &a)) != 0)
		return r < 0 ? 0 : r;
	if (cli_open_registry(&st, a.db, a.key_file, 0) < 0)
		return 1;
	cli_actor(actor);
	if (reg_app_add(st, a.name, a.scopes, actor, token) < 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	printf("%s\n", token);
	OPENSSL_cleanse(token, sizeof(token));
	reg_scopes_format(a.scopes, list);
	fprintf(stderr, "added application %s (scopes %s); its token is "
	    "above and is shown only now: keep it where the application "
	    "reads it\n", a.name, list);
	if (a.webhook) {
		if (reg_app_webhook_new(st, a.name, actor, secret) != 0) {
			cli_error("%s (the application was added without one: "
			    "run 'tether app webhook %s')", reg_error(st),
			    a.name);
			goto out;
		}
		printf("%s\n", secret);
		OPENSSL_cleanse(secret, sizeof(secret));
		fprintf(stderr, "its webhook secret is on the second line, "
		    "shown only now: the receiver checks X-Tether-Signature "
		    "with it\n");
	}
	rc = fflush(stdout) == 0 ? 0 : cli_error("cannot write the token");
out:
	reg_close(st);
	return rc;
}

struct listing {
	struct json	 j;
	int		 json;
};

static void
list_row(void *arg, const struct reg_app *app)
{
	struct listing *l = arg;
	char list[REG_SCOPES_TEXT], created[40], revoked[40];

	reg_scopes_format(app->scopes, list);
	cli_fmt_time(app->created_at, created, sizeof(created), l->json);
	if (app->revoked_at != 0)
		cli_fmt_time(app->revoked_at, revoked, sizeof(revoked),
		    l->json);
	if (l->json) {
		json_object(&l->j, NULL, JSON_INLINE);
		json_str(&l->j, "name", app->name);
		json_str(&l->j, "scopes", list);
		json_str(&l->j, "created_at", created);
		json_str(&l->j, "revoked_at",
		    app->revoked_at != 0 ? revoked : NULL);
		json_end(&l->j);
		return;
	}
	printf("%-24s %-13s %-23s %s\n", app->name, list, created,
	    app->revoked_at != 0 ? revoked : "-");
}

static int
app_list(int argc, char **argv)
{
	struct reg_store *st;
	struct listing l = { .json = 0 };
	struct args a;
	long long n;
	int r, rc = 1;

	if ((r = parse(argc, argv, 0, 0, 1, &a)) != 0)
		return r < 0 ? 0 : r;
	if (cli_open_registry(&st, a.db, a.key_file, 1) < 0)
		return 1;
	l.json = a.json;
	if (l.json) {
		json_init_heap(&l.j);
		json_array(&l.j, NULL, JSON_LINES);
	} else
		printf("%-24s %-13s %-23s %s\n", "name", "scopes", "created",
		    "revoked");
	n = reg_app_list(st, list_row, &l);
	if (l.json) {
		json_end(&l.j);
		if (n >= 0 && json_print(&l.j, stdout) < 0)
			n = -1;
		json_free(&l.j);
	}
	if (n < 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	rc = 0;
out:
	reg_close(st);
	return rc;
}

static int
app_revoke(int argc, char **argv)
{
	struct reg_store *st;
	struct args a;
	char actor[CLI_ACTOR_MAX];
	int r, rc = 1;

	if ((r = parse(argc, argv, 1, 0, 0, &a)) != 0)
		return r < 0 ? 0 : r;
	if (cli_open_registry(&st, a.db, a.key_file, 1) < 0)
		return 1;
	cli_actor(actor);
	if ((r = reg_app_revoke(st, a.name, actor)) != 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	fprintf(stderr, "revoked application %s: its token is refused from "
	    "now on\n", a.name);
	rc = 0;
out:
	reg_close(st);
	return rc;
}

static int
app_webhook(int argc, char **argv)
{
	struct reg_store *st;
	struct args a;
	char actor[CLI_ACTOR_MAX], secret[REG_WEBHOOK_SECRET_LEN + 1];
	int r, rc = 1;

	if ((r = parse(argc, argv, 1, 0, 0, &a)) != 0)
		return r < 0 ? 0 : r;
	if (cli_open_registry(&st, a.db, a.key_file, 1) < 0)
		return 1;
	cli_actor(actor);
	if (reg_app_webhook_new(st, a.name, actor, secret) != 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	printf("%s\n", secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	fprintf(stderr, "application %s has a new webhook secret, above and "
	    "shown only now; the old one no longer signs (running gateways "
	    "sign with the new one from their next post)\n", a.name);
	rc = fflush(stdout) == 0 ? 0 : cli_error("cannot write the secret");
out:
	reg_close(st);
	return rc;
}

int
cmd_app(int argc, char **argv)
{
	static const struct cli_action actions[] = {
		{ "add",	app_add },
		{ "list",	app_list },
		{ "revoke",	app_revoke },
		{ "webhook",	app_webhook },
	};

	return cli_dispatch("app", actions, sizeof(actions) / sizeof(*actions),
	    usage, argc, argv);
}
