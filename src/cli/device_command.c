/* SPDX-License-Identifier: MIT */
/*
 * device_command.c - `tether device command` (queue a command for a
 * device, or cancel one) and `tether device commands` (list them with
 * their state), straight on the store, as the application API does
 * through the gateway (docs/cmd-device.md, docs/protocol.md "Commands").
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "common/hex.h"
#include "common/json.h"
#include "registry/registry.h"

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether device command ID PAYLOAD [--ttl AGE] [--hex] [--json]\n"
"       tether device command ID --file FILE [--ttl AGE] [--json]\n"
"       tether device command ID --cancel CMDID\n"
"       tether device commands ID [--state STATE] [--json]\n"
"  each also takes [--db PATH] [--key-file FILE]\n"
"\n"
"command   queue PAYLOAD for the device and print the command's id. The\n"
"          device gets its oldest pending command in the answer to its\n"
"          next message (when it asks for commands: X-Tether-Commands),\n"
"          again with each message until it acknowledges it; at-least-\n"
"          once, so a device may see an id twice\n"
"commands  the device's commands, oldest first (the newest %d), with\n"
"          their state: queued, delivered, acknowledged, expired,\n"
"          cancelled, rejected (larger than the device takes)\n"
"\n"
"options:\n"
"  --ttl AGE        expire the command if not acknowledged within AGE,\n"
"                   like 30s, 15m, 24h, 7d (default 24h, at most 30d)\n"
"  --hex            PAYLOAD is hexadecimal: the bytes it spells\n"
"  --file FILE      the payload is FILE's bytes ('-': standard input)\n"
"  --max-size N     refuse a payload over N bytes (default %d, at most\n"
"                   %d; a device takes what fits its own buffer)\n"
"  --cancel CMDID   cancel a queued or delivered command\n"
"  --state STATE    commands: only those in STATE\n"
"  --json           output for machines\n"
"  --db PATH        registry database (default %s)\n"
"  --key-file FILE  registry key file (default PATH.key)\n"
"  -h, --help       this text\n"
"\n"
"examples:\n"
"  tether device command d7k3-m9q2-x reboot --ttl 1h\n"
"  tether device command d7k3-m9q2-x --hex 01ff00\n"
"  tether device commands d7k3-m9q2-x --state delivered\n"
"  tether device command d7k3-m9q2-x --cancel 17\n"
"\n"
"docs/cmd-device.md has more.\n", REG_COMMAND_LIST_MAX,
	    REG_COMMAND_DEFAULT_MAX, REG_COMMAND_LIMIT, CLI_DEFAULT_DB);
}

struct args {
	const char	*db;
	const char	*key_file;
	const char	*file;
	const char	*state_text;
	enum reg_command_state state;
	int64_t		 ttl_ms;
	int64_t		 cancel;	/* 0: none */
	size_t		 max;
	int		 hex;
	int		 json;
	char		*pos[2];
	int		 npos;
};

/* A command id as typed: 1 .. 10^18-1; -1 when it is not one. */
static int64_t
parse_id(const char *s)
{
	int64_t n = 0;
	size_t len = strlen(s);

	if (len == 0 || len > 18 || strspn(s, "0123456789") != len)
		return -1;
	for (const char *p = s; *p != '\0'; p++)
		n = n * 10 + (*p - '0');
	return n > 0 ? n : -1;
}

/* Parses argv for `command` (list 0) or `commands` (list 1). 0, or the
 * exit status (-1 for --help: 0). */
static int
parse(int argc, char **argv, int list, struct args *a)
{
	static const struct option opts[] = {
		{ "db",		required_argument, NULL, 'd' },
		{ "key-file",	required_argument, NULL, 'k' },
		{ "json",	no_argument,	   NULL, 'j' },
		{ "ttl",	required_argument, NULL, 't' },
		{ "hex",	no_argument,	   NULL, 'x' },
		{ "file",	required_argument, NULL, 'f' },
		{ "max-size",	required_argument, NULL, 'm' },
		{ "cancel",	required_argument, NULL, 'c' },
		{ "state",	required_argument, NULL, 's' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub = argv[0];
	int c, idx;
	int64_t v;

	memset(a, 0, sizeof(*a));
	a->db = CLI_DEFAULT_DB;
	a->max = REG_COMMAND_DEFAULT_MAX;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
		if (c != 'd' && c != 'k' && c != 'j' && c != 'h' &&
		    c != ':' && c != '?' && list != (c == 's'))
			return cli_usage_error("device", "%s does not take "
			    "--%s", sub, opts[idx].name);
		switch (c) {
		case 'd':
			a->db = optarg;
			break;
		case 'k':
			a->key_file = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 't':
			if ((v = cli_parse_age(optarg)) <= 0 ||
			    v > REG_COMMAND_TTL_MAX)
				return cli_usage_error("device", "--ttl takes "
				    "an age from 1s to 30d, like 30s, 15m, 24h "
				    "or 7d, not '%s'", optarg);
			a->ttl_ms = v;
			break;
		case 'x':
			a->hex = 1;
			break;
		case 'f':
			a->file = optarg;
			break;
		case 'm':
			if ((v = parse_id(optarg)) < 0 ||
			    v > REG_COMMAND_LIMIT)
				return cli_usage_error("device", "--max-size "
				    "takes a number of bytes from 1 to %d, not "
				    "'%s'", REG_COMMAND_LIMIT, optarg);
			a->max = (size_t)v;
			break;
		case 'c':
			if ((a->cancel = parse_id(optarg)) < 0)
				return cli_usage_error("device", "--cancel "
				    "takes a command id (the number `tether "
				    "device command` printed), not '%s'",
				    optarg);
			break;
		case 's':
			if (reg_command_state_parse(optarg, &a->state) < 0)
				return cli_usage_error("device", "--state takes "
				    "queued, delivered, acknowledged, expired, "
				    "cancelled or rejected, not '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
		default:
			return cli_getopt_refused("device", c, argv);
		}
	}
	for (; optind < argc; optind++) {
		if (a->npos == 2)
			return cli_usage_error("device", "%s: '%s' is one "
			    "argument too many (quote a payload with spaces)",
			    sub, argv[optind]);
		a->pos[a->npos++] = argv[optind];
	}
	if (a->npos == 0)
		return cli_usage_error("device", "%s needs a device id", sub);
	if (list && a->npos > 1)
		return cli_usage_error("device", "commands takes one device "
		    "id; '%s' is one too many", a->pos[1]);
	if (!list && a->cancel != 0 && (a->npos > 1 || a->file != NULL ||
	    a->hex || a->ttl_ms != 0))
		return cli_usage_error("device", "command --cancel takes only "
		    "the device id and the command id");
	if (!list && a->cancel == 0 && (a->npos == 2) == (a->file != NULL))
		return cli_usage_error("device", "command needs the payload: "
		    "an argument or --file FILE (one of them)");
	if (a->hex && a->file != NULL)
		return cli_usage_error("device", "--hex is for a payload "
		    "given as an argument, not with --file");
	return 0;
}

/* The payload the arguments give, into buf (REG_COMMAND_LIMIT + 1); its
 * length, or -1 (said). */
static long
payload_of(const struct args *a, unsigned char *buf)
{
	const size_t cap = REG_COMMAND_LIMIT + 1;
	size_t n = 0;

	if (a->file != NULL) {
		FILE *fp = strcmp(a->file, "-") == 0 ? stdin :
		    fopen(a->file, "rb");

		if (fp == NULL)
			return cli_error("cannot read %s: %s", a->file,
			    strerror(errno)) * -1L;
		n = fread(buf, 1, cap, fp);
		if (ferror(fp)) {
			cli_error("cannot read %s: %s", a->file,
			    strerror(errno));
			n = (size_t)-1;
		}
		if (fp != stdin)
			fclose(fp);
		return n == (size_t)-1 ? -1 : (long)n;
	}
	if (a->hex) {
		const char *h = a->pos[1];
		size_t len = strlen(h);

		if (len % 2 != 0)
			return cli_error("--hex: '%s' has an odd number of "
			    "digits; each byte is two", h) * -1L;
		for (size_t i = 0; i < len; i += 2) {
			int hi = hex_value(h[i]), lo = hex_value(h[i + 1]);

			if (hi < 0 || lo < 0)
				return cli_error("--hex: '%c' at %zu is not a "
				    "hexadecimal digit", hi < 0 ? h[i] :
				    h[i + 1], hi < 0 ? i : i + 1) * -1L;
			if (n == cap)
				break;
			buf[n++] = (unsigned char)(hi << 4 | lo);
		}
		return (long)n;
	}
	n = strlen(a->pos[1]);
	if (n > cap)
		n = cap;
	memcpy(buf, a->pos[1], n);
	return (long)n;
}

static int
print_json(struct json *j)
{
	int bad;

	bad = json_print(j, stdout) < 0;
	json_free(j);
	if (bad || fflush(stdout) != 0 || ferror(stdout))
		return cli_error("cannot write the output: %s",
		    strerror(errno));
	return 0;
}

static int
cancel(struct reg_store *st, const struct args *a, const char *device)
{
	struct reg_command c;
	char actor[CLI_ACTOR_MAX];
	int r;

	/* the id must be this device's: a slip of the finger must not
	 * cancel another device's command */
	if ((r = reg_command_get(st, a->cancel, &c)) < 0)
		return cli_error("%s", reg_error(st));
	if (r == REG_NOT_FOUND || strcmp(c.device_id, device) != 0)
		return cli_error("device %s has no command %lld (`tether device "
		    "commands %s` lists them)", device, (long long)a->cancel,
		    device);
	cli_actor(actor);
	if ((r = reg_command_cancel(st, a->cancel, actor)) < 0 ||
	    r == REG_CONFLICT)
		return cli_error("%s", reg_error(st));
	if (r == REG_NOT_FOUND)
		return cli_error("no command %lld", (long long)a->cancel);
	fprintf(stderr, "cancelled command %lld of %s%s\n",
	    (long long)a->cancel, device, c.state == REG_CMD_DELIVERED ?
	    " (it was delivered already: the device may still act on it)" :
	    "");
	return 0;
}

/* see admin.h */
int
cmd_device_command(int argc, char **argv)
{
	static unsigned char buf[REG_COMMAND_LIMIT + 1];
	struct args a;
	struct reg_store *st;
	char id[REG_ID_MAX], when[REG_TIME_TEXT];
	int64_t cmd, expires;
	long n = 0;
	int r, rc = 1;

	if ((r = parse(argc, argv, 0, &a)) != 0)
		return r < 0 ? 0 : r;
	if (a.cancel == 0 && (n = payload_of(&a, buf)) < 0)
		return 1;
	if ((size_t)n > a.max)
		return cli_error("the payload is %s%ld bytes; a command holds at "
		    "most %zu%s", (size_t)n > REG_COMMAND_LIMIT ? "over " : "",
		    (size_t)n > REG_COMMAND_LIMIT ? (long)REG_COMMAND_LIMIT : n,
		    a.max, a.max < REG_COMMAND_LIMIT ? " (--max-size raises "
		    "it up to 4096, for devices that take that much)" : "");
	if ((r = cli_device_resolve(a.db, a.key_file, a.pos[0], &st, id)) != 0)
		return r;
	if (a.cancel != 0) {
		rc = cancel(st, &a, id);
		reg_close(st);
		return rc;
	}
	r = reg_command_queue(st, id, buf, (size_t)n, a.max, a.ttl_ms, "cli",
	    &cmd, &expires);
	if (r != 0) {
		if (r == REG_NOT_FOUND)
			cli_error("no device '%s' in %s", id, a.db);
		else
			cli_error("%s", reg_error(st));
		goto out;
	}
	reg_time_format(expires, when);
	if (a.json) {
		struct json j;

		json_init_heap(&j);
		json_object(&j, NULL, JSON_COMPACT);
		json_int(&j, "id", cmd);
		json_str(&j, "device", id);
		json_str(&j, "state", "queued");
		json_str(&j, "expires_at", when);
		json_end(&j);
		rc = print_json(&j);
		goto out;
	}
	printf("%lld\n", (long long)cmd);
	fprintf(stderr, "queued command %lld for %s (%ld bytes), expires "
	    "%s\n", (long long)cmd, id, n, when);
	rc = fflush(stdout) != 0 ? cli_error("cannot write the id: %s",
	    strerror(errno)) : 0;
out:
	reg_close(st);
	return rc;
}

struct lister {
	int		 json;
	struct json	 j;
	int		 failed;
	long long	 n;
};

/* A payload for a table: text as it is (cut at 24), else hex. */
static void
preview(const struct reg_command *c, char *out, size_t size)
{
	size_t at = 0, shown = c->len > 24 ? 24 : c->len;
	int text = 1;

	for (size_t i = 0; i < shown; i++)
		if (c->payload[i] < 0x20 || c->payload[i] > 0x7e)
			text = 0;
	if (c->len == 0) {
		snprintf(out, size, "(empty)");
		return;
	}
	if (text)
		at = (size_t)snprintf(out, size, "%.*s", (int)shown,
		    (const char *)c->payload);
	else
		for (size_t i = 0; i < shown && i < 12 && at + 3 < size; i++)
			at += (size_t)snprintf(out + at, size - at, "%02x",
			    c->payload[i]);
	if ((text ? shown : 12) < c->len && at + 4 < size)
		snprintf(out + at, size - at, "...");
}

static void
list_one(void *arg, const struct reg_command *c)
{
	struct lister *l = arg;
	char created[REG_TIME_TEXT], what[64];

	if (l->json) {
		if (reg_command_json(&l->j, c) < 0)
			l->failed = 1;
		l->n++;
		return;
	}
	if (l->n++ == 0)
		printf("%-8s  %-12s  %-8s  %-5s  %-24s  %-24s  %s\n", "ID",
		    "STATE", "ATTEMPTS", "SIZE", "CREATED", "PAYLOAD", "REASON");
	reg_time_format(c->created_at, created);
	preview(c, what, sizeof(what));
	printf("%-8lld  %-12s  %-8lld  %-5zu  %-24s  %-24s  %s\n",
	    (long long)c->id, reg_command_state_name(c->state), c->attempts,
	    c->len, created, what, c->reason);
}

/* see admin.h */
int
cmd_device_commands(int argc, char **argv)
{
	struct args a;
	struct reg_store *st;
	struct lister l = { 0 };
	char id[REG_ID_MAX];
	long long n;
	int r;

	if ((r = parse(argc, argv, 1, &a)) != 0)
		return r < 0 ? 0 : r;
	if ((r = cli_device_resolve(a.db, a.key_file, a.pos[0], &st, id)) != 0)
		return r;
	l.json = a.json;
	if (a.json) {
		json_init_heap(&l.j);
		json_array(&l.j, NULL, JSON_LINES);
	}
	n = reg_command_list(st, id, a.state, list_one, &l);
	if (n < 0 || l.failed) {
		cli_error("%s", n < 0 ? reg_error(st) : "out of memory");
		reg_close(st);
		if (a.json)
			json_free(&l.j);
		return 1;
	}
	reg_close(st);
	if (a.json)
		return print_json(&l.j);
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_error("cannot write the list: %s", strerror(errno));
	if (n == 0)
		fprintf(stderr, "%s has no command%s%s\n", id,
		    a.state != 0 ? " in state " : "",
		    a.state != 0 ? reg_command_state_name(a.state) : "");
	return 0;
}
