/* SPDX-License-Identifier: MIT */
/*
 * messages.c - `tether messages`: the stored messages, oldest first, read
 * straight from the store (also while gateways write it) in the order and
 * with the cursors of the application API (docs/app-api.md), as JSON
 * lines or CSV; --follow keeps reading as messages arrive.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "common/json.h"
#include "registry/registry.h"

#define PAGE		1000	/* messages a read asks for */
#define FOLLOW_MS	200	/* --follow: how often it asks again */

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether messages [--device ID] [--since TIME | --after CURSOR]\n"
"                       [--follow] [--events] [--format jsonl|csv]\n"
"                       [--db PATH|URI] [--key-file FILE]\n"
"\n"
"The stored messages, oldest first, one a line, each with the cursor that\n"
"resumes after it (--after). Reads the store directly: the gateway may be\n"
"running. With several gateways on one PostgreSQL, a message appears once\n"
"every transaction that began before it has ended: none is ever skipped.\n"
"\n"
"options:\n"
"  --device ID      one device's messages\n"
"  --since TIME     received at or after TIME: 2026-12-02T06:00:00Z, or\n"
"                   an age like 30s, 15m, 24h, 7d\n"
"  --after CURSOR   after the message whose cursor this is\n"
"  --follow         keep reading new messages until interrupted\n"
"  --events         also the devices' connected and disconnected events, in\n"
"                   order with the messages: {\"event\": \"disconnected\",\n"
"                   \"presence\": {\"reason\", \"node\", \"online\"}, ...}; csv\n"
"                   gets an event column\n"
"  --format F       jsonl (default): one JSON object a line; csv: a header\n"
"                   line, then cursor,id,device,label,seq,received_at,\n"
"                   body,body_b64 (body when it is printable text)\n"
"  --db PATH|URI    registry database (default %s)\n"
"  --key-file FILE  registry key file (default PATH.key)\n"
"  -h, --help       this text\n"
"\n"
"docs/cmd-messages.md has more.\n", CLI_DEFAULT_DB);
}

/* "2026-12-02T06:00:00Z" or an age -> unix ms; -1 if neither. */
static int64_t
parse_since(const char *s)
{
	struct tm tm;
	const char *end;
	int64_t age;

	if ((age = cli_parse_age(s)) >= 0)
		return reg_now_ms() - age;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL ||
	    strcmp(end, "Z") != 0)
		return -1;
	return (int64_t)timegm(&tm) * 1000;
}

struct out {
	int		 csv;
	int		 events;
	int		 failed;
};

/* A CSV field: quoted, quotes doubled (RFC 4180). */
static void
csv_field(const char *s, size_t n, int last)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			putchar('"');
		putchar(s[i]);
	}
	putchar('"');
	putchar(last ? '\n' : ',');
}

static int
printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return json_utf8_valid(s, n, NULL);
}

static void
csv_row(const struct reg_read_row *row, int events)
{
	char cursor[REG_CURSOR_TEXT], when[REG_TIME_TEXT];
	const char *body = row->body != NULL ? row->body : "";
	char *b64;

	reg_cursor_format(&row->cursor, cursor);
	reg_time_format(row->received_at, when);
	printf("%s,%lld,%s,", cursor, (long long)row->id, row->device_id);
	csv_field(row->label, strlen(row->label), 0);
	if (row->seq >= 0)
		printf("%lld", (long long)row->seq);
	printf(",%s,", when);
	if (printable(body, row->len)) {
		csv_field(body, row->len, 0);
		b64 = NULL;
	} else {
		putchar(',');
		b64 = reg_base64(body, row->len);
		printf("%s", b64 != NULL ? b64 : "");
		free(b64);
	}
	/* with --events, what the row is: "" a message, else the event's
	 * name (its body the presence object) */
	if (events)
		printf(",%s", reg_kind_name(row->kind) != NULL ?
		    reg_kind_name(row->kind) : "");
	putchar('\n');
}

static void
print_row(void *arg, const struct reg_read_row *row)
{
	struct out *o = arg;
	struct json j;

	if (o->csv) {
		csv_row(row, o->events);
		return;
	}
	json_init_heap(&j);
	if (reg_row_json(&j, row) < 0 || json_print(&j, stdout) < 0)
		o->failed = 1;
}

int
cmd_messages(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db",		required_argument, NULL, 'd' },
		{ "key-file",	required_argument, NULL, 'k' },
		{ "device",	required_argument, NULL, 'D' },
		{ "since",	required_argument, NULL, 's' },
		{ "after",	required_argument, NULL, 'a' },
		{ "follow",	no_argument,	   NULL, 'f' },
		{ "events",	no_argument,	   NULL, 'e' },
		{ "format",	required_argument, NULL, 'F' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = CLI_DEFAULT_DB, *key_file = NULL, *after = NULL;
	struct reg_read q = { .limit = PAGE };
	struct reg_cursor cursor = { 0, 0 };
	struct out o = { 0, 0, 0 };
	struct reg_store *st;
	char id[REG_ID_MAX];
	int c, follow = 0, rc = 1;
	long long n;

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
		case 'D':
			if (reg_id_normalize(optarg, id) != REG_ID_OK)
				return cli_usage_error("messages", "--device: "
				    "'%s' is not a device id (like "
				    "d7k3-m9q2-x)", optarg);
			q.device_id = id;
			break;
		case 's':
			if ((q.since = parse_since(optarg)) < 0)
				return cli_usage_error("messages", "--since "
				    "takes a time like 2026-12-02T06:00:00Z "
				    "or an age like 15m, not '%s'", optarg);
			break;
		case 'a':
			after = optarg;
			if (reg_cursor_parse(after, &cursor) < 0)
				return cli_usage_error("messages", "--after: "
				    "'%s' is not a cursor (copy one from a "
				    "message's \"cursor\")", optarg);
			break;
		case 'f':
			follow = 1;
			break;
		case 'e':
			q.events = o.events = 1;
			break;
		case 'F':
			if (strcmp(optarg, "csv") == 0)
				o.csv = 1;
			else if (strcmp(optarg, "jsonl") != 0)
				return cli_usage_error("messages", "--format "
				    "takes jsonl or csv, not '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
		default:
			return cli_getopt_refused("messages", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("messages", "unexpected argument '%s'",
		    argv[optind]);
	if (after != NULL && q.since > 0)
		return cli_usage_error("messages", "--since and --after each "
		    "say where to start: give one");
	if (cli_open_registry(&st, db, key_file, 1) < 0)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (o.csv)
		printf("cursor,id,device,label,seq,received_at,body,body_b64%s\n",
		    o.events ? ",event" : "");
	while (!stop) {
		if ((n = reg_read_messages(st, &q, &cursor, print_row,
		    &o)) < 0) {
			cli_error("%s", reg_error(st));
			goto out;
		}
		if (fflush(stdout) != 0 || o.failed) {
			cli_error("cannot write the messages");
			goto out;
		}
		if (n == PAGE)
			continue;
		if (!follow)
			break;
		nanosleep(&(struct timespec){ 0, FOLLOW_MS * 1000000L }, NULL);
	}
	rc = 0;
out:
	reg_close(st);
	return rc;
}
