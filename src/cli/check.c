/* SPDX-License-Identifier: MIT */
/*
 * check.c - `tether check`: handshakes with a server as one device stack
 * would (its ClientHello, its buffers, its request) and says whether that
 * device would connect, and if not exactly why and what to change.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "check/check.h"
#include "common/json.h"

#define CK_DEFAULT_PORT		"443"
#define CK_DEFAULT_PATH		"/v1/messages"
#define CK_DEFAULT_TIMEOUT	10	/* seconds, per handshake */
#define CK_MAX_TIMEOUT		600
#define CK_PATH_MAX		512
#define CK_WIDTH		100	/* text lines wrap here */
#define CK_INDENT		20	/* where a finding's text starts */
#define CK_ALL			"all"	/* --profile all */

/* Writes text from column col (the line already holds col characters)
 * cut at spaces so that no line passes column 79; continuation lines are
 * indented to col. A word longer than the room is written whole. */
static void
put_wrapped(FILE *out, const char *text, int col)
{
	const char *p = text, *end, *brk;
	int room = 79 - col;

	while (*p != '\0') {
		end = p + strlen(p);
		if (end - p > room) {
			for (brk = p + room; brk > p && *brk != ' '; brk--)
				;
			if (brk == p)
				brk = strchr(p + room, ' ');
			if (brk != NULL)
				end = brk;
		}
		fprintf(out, "%.*s\n", (int)(end - p), p);
		p = *end == ' ' ? end + 1 : end;
		if (*p != '\0')
			fprintf(out, "%*s", col, "");
	}
}

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out,
"usage: tether check HOST[:PORT] --profile P [--path PATH] [--sni NAME |\n"
"                    --no-sni] [--pin PIN] [--ca FILE] [--timeout S]\n"
"                    [--json]\n"
"\n"
"Handshakes with a server as one device TLS stack would: its ClientHello\n"
"(versions, suites, extensions), its record buffers, its SNI and its HTTP\n"
"request; then probes each version and suite alone, max fragment length\n"
"512 to 4096, SNI right / unknown / none, resumption by session id and by\n"
"ticket. Every finding is PASS, WARN or FAIL; a WARN or FAIL names the\n"
"server setting to change.\n"
"\n"
"HOST is a name or an IP address ([ADDR]:PORT for IPv6); PORT defaults to\n"
"%s. An https:// URL is taken too.\n"
"\n"
"options:\n"
"  --profile P    the device stack (required):\n", CK_DEFAULT_PORT);
	for (i = 0; i < chk_profile_count(); i++) {
		fprintf(out, "                   %-16s ",
		    chk_profile_at(i)->name);
		put_wrapped(out, chk_profile_at(i)->stack, 19 + 16 + 1);
	}
	fprintf(out,
"                   %-16s every profile above, one verdict each\n", CK_ALL);
	fprintf(out,
"  --path PATH    the path the device posts to (default %s)\n"
"  --sni NAME     the server name the device sends (default HOST, even an\n"
"                 IP address, as the ESP8266 core and libtether do)\n"
"  --no-sni       the device sends no server name\n"
"  --pin PIN      a pin the device holds (SPKI SHA-256 base64 or hex,\n"
"                 certificate SHA-256 or SHA-1 hex): must match\n"
"  --ca FILE      the CA certificates (PEM) an esp32-mbedtls device holds, or\n"
"                 a tether device's trust anchors: mbedTLS, or BearSSL as\n"
"                 libtether sets it up, verifies the chain and the name\n"
"  --timeout S    seconds for the DNS lookup and each handshake (default %d)\n"
"  --json         the report as JSON on stdout\n"
"  -h, --help     this text\n"
"\n"
"examples:\n"
"  tether check gw.example.com --profile esp8266-axtls\n"
"  tether check 127.0.0.1:8443 --profile tether --sni localhost\n"
"  tether check gw.example.com --profile esp32-mbedtls --json\n"
"\n"
"Exit status: 0 the device (with --profile all: every device) would\n"
"connect, 1 one would not, 2 usage error or the server cannot be reached\n"
"(with --json, a JSON document with \"error\" is printed then too).\n"
"docs/cmd-check.md has more.\n",
	    CK_DEFAULT_PATH, CK_DEFAULT_TIMEOUT);
}

/* One report's members, into the object j has open. */
static void
json_report(struct json *j, const struct chk_options *o,
    const struct chk_report *r)
{
	char nb[8];
	size_t i;

	json_str(j, "host", o->host);
	json_str(j, "port", o->port);
	json_str(j, "sni", o->sni);
	json_str(j, "path", o->path);
	json_str(j, "profile", r->profile->name);
	json_str(j, "stack", r->profile->stack);
	json_str(j, "engine", r->profile->engine);
	json_str(j, "handshake_stack", r->stack);
	json_bool(j, "would_connect", r->err[0] == '\0' && r->fails == 0);
	json_str(j, "error", r->err[0] != '\0' ? r->err : NULL);
	json_int(j, "fail", r->fails);
	json_int(j, "warn", r->warns);
	json_int(j, "handshakes", r->handshakes);
	json_int(j, "elapsed_ms", r->ms);
	json_str(j, "version", r->connected ?
	    chk_version_name(r->version) : NULL);
	json_str(j, "suite", r->connected ? chk_suite_iana(r->suite, nb) :
	    NULL);
	json_str(j, "leaf_key", r->leaf_key[0] ? r->leaf_key : NULL);
	json_str(j, "spki_sha256", r->leaf_spki[0] ? r->leaf_spki : NULL);
	json_int(j, "chain_bytes", (long long)r->chain_bytes);
	json_int(j, "http_status", r->http_status);
	json_int(j, "head_bytes", (long long)r->head_bytes);
	json_array(j, "findings", JSON_LINES_OPEN);
	for (i = 0; i < r->nfindings; i++) {
		const struct chk_finding *f = &r->findings[i];

		json_object(j, NULL, JSON_INLINE);
		json_str(j, "check", f->check);
		json_str(j, "verdict", chk_verdict_name(f->verdict));
		json_str(j, "summary", f->summary);
		json_str(j, "remedy", f->remedy[0] != '\0' ? f->remedy : NULL);
		json_end(j);
	}
	json_end(j);
}

/*
 * Prints text from its column to CK_WIDTH, breaking at spaces; lines
 * after the first start with indent spaces. A word longer than a line
 * stays whole.
 */
static void
print_wrapped(FILE *out, const char *text, size_t col, size_t indent)
{
	size_t room, n, cut;

	for (;;) {
		room = CK_WIDTH > col ? CK_WIDTH - col : 1;
		n = strlen(text);
		if (n <= room) {
			fprintf(out, "%s\n", text);
			return;
		}
		for (cut = room; cut > 0 && text[cut] != ' '; cut--)
			;
		if (cut == 0)
			for (cut = room; text[cut] != '\0' && text[cut] != ' ';
			    cut++)
				;
		fprintf(out, "%.*s\n", (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
		if (*text == '\0')
			return;
		fprintf(out, "%*s", (int)indent, "");
		col = indent;
	}
}

static void
print_text(const struct chk_options *o, const struct chk_report *r,
    FILE *out)
{
	size_t i;

	fprintf(out, "device   %s: ", r->profile->name);
	print_wrapped(out, r->profile->stack, 11 + strlen(r->profile->name),
	    CK_INDENT);
	fprintf(out, "probe    ");
	print_wrapped(out, r->profile->engine, 9, CK_INDENT);
	fprintf(out, "stack    %s made the device's handshake\n", r->stack);
	fprintf(out, "server   %s port %s, SNI %s, path %s\n\n", o->host,
	    o->port, o->sni != NULL ? o->sni : "none", o->path);
	for (i = 0; i < r->nfindings; i++) {
		const struct chk_finding *f = &r->findings[i];

		fprintf(out, "%s  %-13s ", chk_verdict_name(f->verdict),
		    f->check);
		print_wrapped(out, f->summary, CK_INDENT, CK_INDENT);
		if (f->remedy[0] != '\0') {
			fprintf(out, "      %-13s ", "fix:");
			print_wrapped(out, f->remedy, CK_INDENT, CK_INDENT);
		}
	}
	fprintf(out, "\nverdict: %s %s (%d FAIL, %d WARN; %d handshakes in "
	    "%.2f s)\n", r->profile->name, r->fails == 0 ? "would connect" :
	    "would NOT connect", r->fails, r->warns, r->handshakes,
	    r->ms / 1000.0);
}

static int
parse_timeout(const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 ||
	    v > CK_MAX_TIMEOUT)
		return -1;
	*ms = (int)(v * 1000);
	return *ms > 0 ? 0 : -1;
}

/*
 * Runs the check of o->profile, or of every profile when it is NULL (one
 * verdict each), and prints them. Exit status: 0 when every device would
 * connect, 1 when one would not, 2 when the server cannot be reached (a
 * JSON document is printed then too) or the output cannot be written.
 */
static int
run_checks(struct chk_options *o, int json)
{
	static struct chk_report report;
	struct json j;
	size_t i, n = o->profile != NULL ? 1 : chk_profile_count();
	int all = o->profile == NULL, rc = 0, bad = 0, unreachable = 0;
	const struct chk_profile *only = o->profile;
	long long post_deadline = 0;

	o->post_deadline = &post_deadline;
	json_init_heap(&j);
	json_object(&j, NULL, JSON_LINES);
	if (all) {
		json_str(&j, "host", o->host);
		json_str(&j, "port", o->port);
		json_array(&j, "reports", JSON_LINES);
	}
	for (i = 0; i < n; i++) {
		o->profile = all ? chk_profile_at(i) : only;
		if (chk_run(o, &report) != 0) {
			unreachable = 1;
			cli_error("%s", report.err);
		} else if (report.fails > 0)
			bad++;
		if (json) {
			if (all)
				json_object(&j, NULL, JSON_LINES);
			json_report(&j, o, &report);
			if (all)
				json_end(&j);
		} else if (!unreachable) {
			if (i > 0)
				fputc('\n', stdout);
			print_text(o, &report, stdout);
		}
		if (unreachable)
			break;
	}
	if (all && !unreachable && !json)
		printf("\nverdict: %zu of %zu profiles would connect\n",
		    n - (size_t)bad, n);
	errno = 0;
	if (json) {
		if (all) {
			json_end(&j);
			json_bool(&j, "would_connect", !unreachable && bad == 0);
		}
		rc = json_print(&j, stdout);
	} else
		json_free(&j);
	o->profile = only;
	/* A verdict nobody could read is no verdict: exit 2, as fingerprint. */
	if (rc < 0 || fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the output: %s",
		    errno != 0 ? strerror(errno) : "out of memory");
		return 2;
	}
	return unreachable ? 2 : bad == 0 ? 0 : 1;
}

int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile",	required_argument,	NULL, 'P' },
		{ "path",	required_argument,	NULL, 'p' },
		{ "sni",	required_argument,	NULL, 's' },
		{ "no-sni",	no_argument,		NULL, 'n' },
		{ "pin",	required_argument,	NULL, 'k' },
		{ "ca",		required_argument,	NULL, 'c' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	struct chk_options o;
	FILE *fp;
	char host[CHK_HOST_MAX], port[CHK_PORT_MAX], err[CHK_ERR_LEN];
	const char *profile = NULL, *sni = NULL;
	int c, json = 0, no_sni = 0;

	memset(&o, 0, sizeof(o));
	o.path = CK_DEFAULT_PATH;
	o.timeout_ms = CK_DEFAULT_TIMEOUT * 1000;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'P':
			profile = optarg;
			break;
		case 'p':
			if (optarg[0] != '/' || strlen(optarg) >= CK_PATH_MAX ||
			    strpbrk(optarg, " \r\n\t") != NULL)
				return cli_usage_error("check", "--path '%s' is "
				    "not a path: it starts with '/' and has no "
				    "spaces or line breaks", optarg);
			o.path = optarg;
			break;
		case 's':
			sni = optarg;
			break;
		case 'n':
			no_sni = 1;
			break;
		case 'k':
			if (strlen(optarg) >= CHK_PIN_TEXT_MAX)
				return cli_usage_error("check", "--pin is too "
				    "long to be a pin");
			o.pin = optarg;
			break;
		case 'c':
			if ((fp = fopen(optarg, "r")) == NULL)
				return cli_usage_error("check", "--ca '%s' cannot "
				    "be read: %s", optarg, strerror(errno));
			fclose(fp);
			o.ca_file = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &o.timeout_ms) != 0)
				return cli_usage_error("check", "--timeout '%s' "
				    "is not a number of seconds (up to %d)",
				    optarg, CK_MAX_TIMEOUT);
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (optopt != 0)
				return cli_usage_error("check", "option '-%c' "
				    "is not known, or needs a value", optopt);
			return cli_usage_error("check", "'%s' is not an option "
			    "of tether check, or needs a value",
			    argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("check", "name the server: tether check "
		    "HOST[:PORT] --profile P");
	if (argc - optind > 1)
		return cli_usage_error("check", "one server at a time: '%s' is "
		    "one too many", argv[optind + 1]);
	if (profile == NULL)
		return cli_usage_error("check", "--profile is required: one of "
		    "tether, esp8266-bearssl, esp8266-axtls, esp32-mbedtls, "
		    "all");
	if (strcmp(profile, CK_ALL) != 0 &&
	    (o.profile = chk_profile_find(profile)) == NULL)
		return cli_usage_error("check", "'%s' is not a profile: one of "
		    "tether, esp8266-bearssl, esp8266-axtls, esp32-mbedtls, "
		    "all", profile);
	if (sni != NULL && no_sni)
		return cli_usage_error("check", "--sni and --no-sni contradict "
		    "each other");
	if (chk_parse_target(argv[optind], CK_DEFAULT_PORT, host, port, err) !=
	    0)
		return cli_usage_error("check", "%s", err);
	o.host = host;
	o.port = port;
	o.sni = no_sni ? NULL : sni != NULL ? sni : host;
	return run_checks(&o, json);
}
