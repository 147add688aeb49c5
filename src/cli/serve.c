/* SPDX-License-Identifier: MIT */
/*
 * serve.c - `tether serve`: reads options (a config file, then the command
 * line, which wins) and runs the gateway until SIGTERM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "gateway/gateway.h"

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether serve [options]\n"
"\n"
"Runs the gateway: TLS for devices, authentication through the registry,\n"
"durable message intake, the application API and metrics. With no\n"
"options it uses ./tether.db, makes a development certificate in\n"
"./tether-state/ and listens on 127.0.0.1:8443 (devices), 127.0.0.1:8444\n"
"(applications) and 127.0.0.1:9464 (metrics); it prints the pins devices\n"
"need. SIGTERM stops it after in-flight messages are answered.\n"
"\n"
"options:\n%s"
"\n"
"examples:\n"
"  tether serve\n"
"  tether serve --listen 0.0.0.0:443 --listen [::]:443 \\\n"
"      --cert rsa.crt --key rsa.key --cert ecdsa.crt --key ecdsa.key \\\n"
"      --profile legacy-esp8266 --db /var/lib/tether/tether.db\n"
"\n"
"See docs/cmd-serve.md.\n", gw_config_help);
}

/* Options that may repeat: the command line replaces the file's list. */
static int
repeatable(const char *name)
{
	return strcmp(name, "listen") == 0 || strcmp(name, "cert") == 0 ||
	    strcmp(name, "key") == 0;
}

/*
 * The configuration from argv: the config file first, so the command line
 * can override it. 0; -1 with err for a file that does not load; -2 with
 * err for a usage error. *storage holds the file's text (the caller frees
 * it, also on failure).
 */
static int
build(int argc, char **argv, struct gw_config *c, char **storage, char *err,
    size_t errlen)
{
	int cleared_listen = 0, cleared_certs = 0;

	gw_config_defaults(c);
	*storage = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 ||
		    strncmp(argv[i], "--config=", 9) == 0) {
			const char *path = argv[i][8] == '=' ? argv[i] + 9 :
			    i + 1 < argc ? argv[i + 1] : NULL;

			if (path == NULL) {
				snprintf(err, errlen, "--config needs a file");
				return -2;
			}
			if (gw_config_load(c, path, storage, err) < 0)
				return -1;
			break;
		}
	}
	for (int i = 1; i < argc; i++) {
		char name[64];
		const char *arg = argv[i], *value, *eq;

		if (strncmp(arg, "--", 2) != 0) {
			snprintf(err, errlen, "unexpected argument '%s'", arg);
			return -2;
		}
		arg += 2;
		eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s",
		    (int)(eq ? (size_t)(eq - arg) : strlen(arg)), arg);
		if (gw_config_is_flag(name) && eq == NULL) {
			value = "";
		} else if (eq != NULL) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			snprintf(err, errlen, "--%s needs a value", name);
			return -2;
		}
		if (strcmp(name, "config") == 0)
			continue;
		if (repeatable(name)) {
			if (strcmp(name, "listen") == 0 && !cleared_listen) {
				c->nlisten = 0;
				cleared_listen = 1;
			} else if (strcmp(name, "listen") != 0 && !cleared_certs) {
				c->ncerts = 0;
				memset(c->certs, 0, sizeof(c->certs));
				cleared_certs = 1;
			}
		}
		if (gw_config_set(c, name, value, err) < 0)
			return -2;
	}
	return gw_config_check(c, err) < 0 ? -2 : 0;
}

/* SIGHUP's: the same arguments, the config file read again. */
static int saved_argc;
static char **saved_argv;

static int
reread(struct gw_config *fresh, char **storage, char *err)
{
	return build(saved_argc, saved_argv, fresh, storage, err, 256) == 0 ?
	    0 : -1;
}

int
cmd_serve(int argc, char **argv)
{
	struct gw_config c;
	char err[256], *storage = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			usage(stdout);
			return 0;
		}
	}
	if ((rc = build(argc, argv, &c, &storage, err, sizeof(err))) < 0) {
		free(storage);
		return rc == -1 ? cli_error("%s", err) :
		    cli_usage_error("serve", "%s", err);
	}
	if (storage != NULL) {	/* a config file: SIGHUP reads it again */
		saved_argc = argc;
		saved_argv = argv;
		c.reread = reread;
	}
	rc = gw_serve(&c, err) < 0 ? cli_error("%s", err) : 0;
	free(storage);
	return rc;
}
