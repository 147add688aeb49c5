/* SPDX-License-Identifier: MIT */
/*
 * provision.c - `tether provision`: registers a batch of new devices and
 * writes what flashing them takes (artifacts.h), all or nothing: every
 * file is written and flushed before the registry commits, and put in
 * place after, so no device is registered without its secret written down
 * and no manifest names unregistered devices.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/admin.h"
#include "cli/artifacts.h"
#include "cli/cli.h"
#include "registry/registry.h"

#define MAX_COUNT	1000000	/* about 300 MB of devices in memory */
#define MAX_REPORTED	10	/* bad lines of a MAC file shown, at most */

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether provision [--db PATH] [--key-file FILE] --out DIR\n"
"                        (--count N | --mac-file FILE)\n"
"                        [--scheme plain|interleave|hmac]\n"
"                        [--label-prefix PREFIX] [--no-per-device-files]\n"
"\n"
"Registers new devices, each with a fresh id and a 128-bit secret, and\n"
"writes into DIR what flashing them takes: per device DIR/<id>/\n"
"tether_identity.h (a C header) and DIR/<id>/identity.bin (a flash\n"
"blob); for the batch manifest.json and manifest.csv (with the secrets)\n"
"and labels.txt (ids and labels to print; no secrets). The registry keeps\n"
"only a keyed hash of each credential: DIR holds the only copy of the\n"
"secrets. Nothing is registered unless every file was written.\n"
"\n"
"options:\n"
"  --db PATH             registry database (default %s)\n"
"  --key-file FILE       registry key file (default PATH.key; made if new)\n"
"  --count N             number of devices, 1 to %d\n"
"  --mac-file FILE       one device per MAC address in FILE, one a line\n"
"                        (aa:bb:cc:dd:ee:ff or aabbccddeeff; # comments)\n"
"  --scheme SCHEME       plain (default): the secret is the credential;\n"
"                        interleave, hmac: the credential is derived from\n"
"                        the secret and the device's MAC (need --mac-file)\n"
"  --out DIR             output directory (made with mode 0700; refused if\n"
"                        it already holds a batch)\n"
"  --label-prefix PREFIX label the devices PREFIX-1 .. PREFIX-N\n"
"  --no-per-device-files only the batch files, no DIR/<id>/\n"
"  -h, --help            this text\n"
"\n"
"examples:\n"
"  tether provision --count 10 --out batch-1 --label-prefix kitchen\n"
"  tether provision --mac-file macs.txt --scheme hmac --out batch-2\n"
"\n"
"docs/cmd-provision.md has more; docs/credentials.md defines the schemes.\n",
	    CLI_DEFAULT_DB, MAX_COUNT);
}

struct mac_line {
	uint8_t		mac[TETHER_MAC_LEN];
	unsigned	line;
};

static int
by_mac(const void *a, const void *b)
{
	const struct mac_line *x = a, *y = b;
	int c = memcmp(x->mac, y->mac, TETHER_MAC_LEN);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
by_line(const void *a, const void *b)
{
	const struct mac_line *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

/* Strips a comment and surrounding blanks in place; returns the text. */
static char *
mac_text(char *line)
{
	char *p, *end;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return p;
}

/*
 * Reads a MAC file: one MAC a line, blank lines and # comments allowed.
 * Malformed and repeated lines are refused with file:line (the first
 * MAX_REPORTED of them). Returns 0 with *out (malloc'd, in file order)
 * and *n set, or -1 after printing why.
 */
static int
read_mac_file(const char *path, uint8_t (**out)[TETHER_MAC_LEN], size_t *n)
{
	struct mac_line *ml = NULL;
	size_t count = 0, cap = 0, linecap = 0;
	unsigned lineno = 0, bad = 0;
	char *line = NULL, why[REG_ERR_LEN];
	FILE *fp;
	uint8_t (*macs)[TETHER_MAC_LEN];

	if ((fp = fopen(path, "r")) == NULL) {
		cli_error("cannot read the MAC file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (getline(&line, &linecap, fp) >= 0) {
		char *t = mac_text(line);

		lineno++;
		if (*t == '\0')
			continue;
		if (count == MAX_COUNT) {
			cli_error("%s:%u: more than %d MAC addresses; split "
			    "the file into batches", path, lineno, MAX_COUNT);
			goto fail;
		}
		if (count == cap) {
			struct mac_line *bigger;

			cap = cap ? cap * 2 : 1024;
			if ((bigger = realloc(ml, cap * sizeof(*ml))) == NULL) {
				cli_error("out of memory reading %s", path);
				goto fail;
			}
			ml = bigger;
		}
		if (reg_mac_parse(t, ml[count].mac, why) != 0) {
			if (++bad <= MAX_REPORTED)
				cli_error("%s:%u: %s", path, lineno, why);
			continue;
		}
		ml[count++].line = lineno;
	}
	if (ferror(fp)) {
		cli_error("cannot read the MAC file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	/* repeats: sorted by MAC, then line, the first is the original
	 * (qsort wants an array even of none: ml is NULL then) */
	if (count > 1)
		qsort(ml, count, sizeof(*ml), by_mac);
	for (size_t i = 1; i < count; i++) {
		size_t first = i - 1;
		char mac[REG_MAC_TEXT];

		while (first > 0 && memcmp(ml[first - 1].mac, ml[i].mac,
		    TETHER_MAC_LEN) == 0)
			first--;
		if (memcmp(ml[first].mac, ml[i].mac, TETHER_MAC_LEN) != 0)
			continue;
		reg_mac_format(ml[i].mac, mac);
		if (++bad <= MAX_REPORTED)
			cli_error("%s:%u: %s is listed twice (first on line "
			    "%u); a MAC address is one device", path,
			    ml[i].line, mac, ml[first].line);
	}
	if (bad > MAX_REPORTED)
		cli_error("%s: %u more bad lines", path, bad - MAX_REPORTED);
	if (bad > 0) {
		cli_error("%s has %u bad line%s; nothing was registered",
		    path, bad, bad == 1 ? "" : "s");
		goto fail;
	}
	if (count == 0) {
		cli_error("%s holds no MAC address (only blank lines and "
		    "comments)", path);
		goto fail;
	}
	qsort(ml, count, sizeof(*ml), by_line);
	if ((macs = malloc(count * sizeof(*macs))) == NULL) {
		cli_error("out of memory reading %s", path);
		goto fail;
	}
	for (size_t i = 0; i < count; i++)
		memcpy(macs[i], ml[i].mac, TETHER_MAC_LEN);
	*out = macs;
	*n = count;
	free(ml);
	free(line);
	fclose(fp);
	return 0;
fail:
	free(ml);
	free(line);
	fclose(fp);
	return -1;
}

static int
parse_count(const char *s, size_t *count)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > MAX_COUNT)
		return -1;
	*count = (size_t)v;
	return 0;
}

int
cmd_provision(int argc, char **argv)
{
	enum { O_NO_FILES = 256 };
	static const struct option opts[] = {
		{ "db",			required_argument, NULL, 'd' },
		{ "key-file",		required_argument, NULL, 'k' },
		{ "count",		required_argument, NULL, 'n' },
		{ "mac-file",		required_argument, NULL, 'm' },
		{ "scheme",		required_argument, NULL, 's' },
		{ "out",		required_argument, NULL, 'o' },
		{ "label-prefix",	required_argument, NULL, 'l' },
		{ "no-per-device-files", no_argument,	   NULL, O_NO_FILES },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = CLI_DEFAULT_DB, *key_file = NULL, *prefix = NULL;
	const char *count_arg = NULL, *mac_file = NULL, *dir = NULL;
	const char *scheme_arg = "plain";
	struct reg_batch b = { .scheme = TETHER_SCHEME_PLAIN };
	struct cli_out out;
	struct reg_new_device *devs = NULL;
	uint8_t (*macs)[TETHER_MAC_LEN] = NULL;
	struct reg_store *st = NULL;
	char actor[CLI_ACTOR_MAX], keypath[4096];
	int c, rc = 1, key_existed, per_device = 1;
	struct stat sb;

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
		case 'n':
			count_arg = optarg;
			break;
		case 'm':
			mac_file = optarg;
			break;
		case 's':
			scheme_arg = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'l':
			prefix = optarg;
			break;
		case O_NO_FILES:
			per_device = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
		default:
			return cli_getopt_refused("provision", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("provision", "unexpected argument "
		    "'%s'", argv[optind]);
	if (reg_scheme_parse(scheme_arg, &b.scheme) != 0)
		return cli_usage_error("provision", "--scheme takes plain, "
		    "interleave or hmac, not '%s'", scheme_arg);
	if (count_arg != NULL && mac_file != NULL)
		return cli_usage_error("provision", "--count and --mac-file "
		    "exclude each other: a MAC file provisions one device "
		    "per line");
	if (count_arg == NULL && mac_file == NULL)
		return cli_usage_error("provision", "--count N or --mac-file "
		    "FILE is required");
	if (b.scheme != TETHER_SCHEME_PLAIN && mac_file == NULL)
		return cli_usage_error("provision", "--scheme %s needs "
		    "--mac-file FILE: its credentials are bound to each "
		    "device's MAC address", scheme_arg);
	if (count_arg != NULL && parse_count(count_arg, &b.count) != 0)
		return cli_usage_error("provision", "--count takes a whole "
		    "number from 1 to %d, not '%s'", MAX_COUNT, count_arg);
	if (dir == NULL)
		return cli_usage_error("provision", "--out DIR is required");
	if (strlen(dir) > PATH_MAX - 64)
		return cli_usage_error("provision", "the --out path is too "
		    "long");
	if (prefix != NULL && prefix[0] == '\0')
		return cli_usage_error("provision", "--label-prefix is empty");
	snprintf(keypath, sizeof(keypath), "%s%s",
	    key_file != NULL ? key_file : db, key_file != NULL ? "" : ".key");
	key_existed = stat(keypath, &sb) == 0;

	if (mac_file != NULL) {
		if (read_mac_file(mac_file, &macs, &b.count) != 0)
			return 1;
		b.macs = (const uint8_t (*)[TETHER_MAC_LEN])macs;
	}
	if ((devs = calloc(b.count, sizeof(*devs))) == NULL) {
		cli_error("not enough memory for %zu devices", b.count);
		goto out;
	}
	if (cli_out_prepare(&out, dir, per_device) != 0)
		goto out;
	if (cli_open_registry(&st, db, key_file, 0) != 0) {
		cli_out_abort(&out);
		goto out;
	}
	cli_actor(actor);
	b.label_prefix = prefix;
	b.actor = actor;
	b.before_commit = cli_out_write;
	b.arg = &out;
	if (reg_provision_batch(st, &b, devs) != 0) {
		cli_error("%s; nothing was registered", out.err[0] != '\0' ?
		    out.err : reg_error(st));
		cli_out_abort(&out);
		goto out;
	}
	if (cli_out_publish(&out, devs, b.count) != 0) {
		cli_out_close(&out);
		goto out;
	}
	cli_out_close(&out);
	if (!key_existed && stat(keypath, &sb) == 0)
		cli_warning("made a new registry key, %s: back it up; without "
		    "it no device of %s can authenticate", keypath, db);
	fprintf(stderr, "provisioned %zu devices (scheme %s) into %s; their "
	    "secrets are in %s (keep it secret)\n", b.count,
	    reg_scheme_name(b.scheme), db, dir);
	rc = 0;
out:
	reg_close(st);
	if (devs != NULL) {
		explicit_bzero(devs, b.count * sizeof(*devs));
		free(devs);
	}
	free(macs);
	return rc;
}
