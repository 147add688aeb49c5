/*
 * device.c - `tether device`: administers registered devices. revoke
 * refuses a device's credential (gateways drop it within a second, through
 * the registry's change feed); restore accepts it again.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "registry/registry.h"

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether device revoke ID [--db PATH] [--key-file FILE]\n"
"       tether device restore ID [--db PATH] [--key-file FILE]\n"
"\n"
"revoke   refuse the device's credential: running gateways refuse it\n"
"         within a second and close its open connections\n"
"restore  accept a revoked device's credential again\n"
"\n"
"ID is the device id, like d7k3-m9q2-x; case and dashes do not matter,\n"
"and its last character is a check that catches a mistyped character.\n"
"\n"
"options:\n"
"  --db PATH        registry database (default %s)\n"
"  --key-file FILE  registry key file (default PATH.key)\n"
"  -h, --help       this text\n"
"\n"
"example:\n"
"  tether device revoke d7k3-m9q2-x --db ./tether.db\n"
"\n"
"docs/cmd-device.md has more.\n", CLI_DEFAULT_DB);
}

/* revoke and restore: the same steps towards a different status. */
static int
set_status(int argc, char **argv, enum reg_status status)
{
	static const struct option opts[] = {
		{ "db",		required_argument, NULL, 'd' },
		{ "key-file",	required_argument, NULL, 'k' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const int revoke = status == REG_REVOKED;
	const char *db = CLI_DEFAULT_DB, *key_file = NULL, *arg;
	char id[REG_ID_MAX], actor[CLI_ACTOR_MAX], label[REG_LABEL_MAX + 16];
	struct reg_store *st = NULL;
	struct reg_device dev;
	int c, rc = 1, r;

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
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return cli_usage_error("device", "%s needs a value",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				return cli_usage_error("device", "unknown "
				    "option '-%c'", optopt);
			return cli_usage_error("device", "unknown option "
			    "'%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("device", "%s needs a device id",
		    argv[0]);
	if (optind + 1 < argc)
		return cli_usage_error("device", "%s takes one device id; "
		    "'%s' is one too many", argv[0], argv[optind + 1]);
	arg = argv[optind];
	switch (reg_id_normalize(arg, id)) {
	case REG_ID_OK:
		break;
	case REG_ID_MISTYPED:
		cli_error("'%s' is not a device id: the check character does "
		    "not match; look for a mistyped character", arg);
		return 2;
	default:
		cli_error("'%s' is not a device id: an id is 9 characters "
		    "like d7k3-m9q2-x (the manifest's \"id\", not its "
		    "label or credential)", arg);
		return 2;
	}

	if (cli_open_registry(&st, db, key_file, 1) != 0)
		return 1;
	if ((r = reg_device_get(st, id, &dev)) < 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	if (r == 0) {
		cli_error("no device '%s' in %s", id, db);
		goto out;
	}
	label[0] = '\0';
	if (dev.label[0] != '\0')
		snprintf(label, sizeof(label), " (label %s)", dev.label);
	if (dev.status == status) {
		fprintf(stderr, "%s%s is already %s; nothing changed\n", id,
		    label, revoke ? "revoked" : "active");
		rc = 0;
		goto out;
	}
	cli_actor(actor);
	if ((r = reg_set_status(st, id, status, actor)) < 0) {
		cli_error("%s", reg_error(st));
		goto out;
	}
	if (r == 1) {
		/* removed by someone else since reg_device_get */
		cli_error("no device '%s' in %s", id, db);
		goto out;
	}
	if (revoke)
		fprintf(stderr, "revoked %s%s; gateways refuse it within a "
		    "second\n", id, label);
	else
		fprintf(stderr, "restored %s%s; gateways accept it again "
		    "within a second\n", id, label);
	rc = 0;
out:
	reg_close(st);
	return rc;
}

int
cmd_device(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "revoke") == 0)
		return set_status(argc - 1, argv + 1, REG_REVOKED);
	if (strcmp(argv[1], "restore") == 0)
		return set_status(argc - 1, argv + 1, REG_ACTIVE);
	return cli_usage_error("device", "'%s' is not a device subcommand "
	    "(revoke, restore)", argv[1]);
}
