/* SPDX-License-Identifier: MIT */
/*
 * send.c - `tether send`: a device on the command line. It is built on
 * libtether alone (BearSSL and the library's POSIX transport, no OpenSSL),
 * so it pins, buffers, resumes and fails exactly as a device does. This
 * file reads the command line into options, then runs them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/send.h"
#include "registry/registry.h"

#define SEND_RUN	(-1)	/* parse_options: go on and run */

static struct send_opts opts;
static struct send_state st;

static void
usage(FILE *out)
{
	fprintf(out,
"usage: tether send URL --pin PIN [--pin PIN]...\n"
"                   (--credential CRED | --credential-file FILE |\n"
"                    --identity FILE [--mac MAC]) [--device ID]\n"
"                   [--buffer N] [--profile default|legacy-axtls]\n"
"                   [--count N] [--interval S] [--seq N]\n"
"                   [--save-session FILE] [--sni NAME | --no-sni]\n"
"                   [--commands] [--command-buffer N] [--json]\n"
"                   [--timeout S] [-v...] [--stats] BODY\n"
"\n"
"A device on the command line: POSTs BODY to the gateway's /v1/messages\n"
"with libtether, the device library, exactly as a device would: pinned\n"
"TLS 1.2 on BearSSL, the device's record buffer and cipher profile, one\n"
"kept-alive connection for every message, session resumption. No system\n"
"CA is consulted: the pins are the trust.\n"
"\n"
"URL is https://HOST[:PORT][/v1/messages] (PORT defaults to %d; an IPv6\n"
"address goes in brackets). BODY is the message; - reads it from stdin.\n"
"\n"
"options:\n"
"  --pin PIN              a pin of the server, as `tether serve` and\n"
"                         `tether fingerprint` print them: base64 or\n"
"                         sha256//base64 (SPKI SHA-256), colon hex of 32\n"
"                         bytes (certificate SHA-256), hex of 20 bytes\n"
"                         (certificate SHA-1); or name the kind: spki:,\n"
"                         cert-sha256:, sha1:. Up to %d; any may match\n"
"  --credential CRED      the device credential (visible to other users in\n"
"                         the process list: prefer --credential-file)\n"
"  --credential-file FILE read the credential from the first line of FILE\n"
"  --identity FILE        the device's identity.bin from `tether provision`,\n"
"                         read by the library as a device reads its flash:\n"
"                         the credential is derived from its secret (and\n"
"                         the MAC, for the interleave and hmac schemes), and\n"
"                         the answer must name its device id\n"
"  --mac MAC              the board's MAC (aa:bb:cc:dd:ee:ff) for --identity;\n"
"                         default: the MAC the blob was provisioned for\n"
"  --device ID            count a message stored only when the gateway's\n"
"                         answer names device ID\n"
"  --buffer N             the device's TLS record size, %d to %d bytes\n"
"                         (default %d); under 16384 the device asks the\n"
"                         server for smaller records (max_fragment_length)\n"
"  --profile P            default (BearSSL's suites) or legacy-axtls (the\n"
"                         four TLS_RSA_WITH_AES_*_CBC_* suites of old\n"
"                         firmware)\n"
"  --count N              send BODY N times over one connection (default 1)\n"
"  --interval S           seconds between messages (decimals allowed)\n"
"  --seq N                X-Tether-Seq of the first message; it goes up by\n"
"                         one after each stored message\n"
"  --save-session FILE    resume the TLS session kept in FILE, if any, and\n"
"                         keep the session (and the sequence number) in\n"
"                         FILE afterwards: a device waking from deep sleep\n"
"  --commands             take commands to the device in the answers, as\n"
"                         a device with a command buffer does: print each\n"
"                         one and acknowledge it with the next message (or\n"
"                         the next run's, through --save-session)\n"
"  --command-buffer N     the device's command buffer, 1 to %d bytes\n"
"                         (default %d); implies --commands\n"
"  --json                 one JSON object per stored message on stdout,\n"
"                         with the command its answer brought\n"
"  --sni NAME, --no-sni   the name sent as SNI (default HOST, even an IP\n"
"                         address, as the ESP8266 core does), or none\n"
"  --timeout S            seconds for the TCP connect and for each read or\n"
"                         write (default %d)\n"
"  -v, -vv, -vvv          the library's debug levels on stderr (also\n"
"                         --verbose, repeated): core (each connection and\n"
"                         message), ssl (suite, certificate), ssl + memory\n"
"  --stats                per message: handshake kind, suite, TLS bytes on\n"
"                         the wire and time; at the end the RAM the\n"
"                         library held (client, config, buffers)\n"
"  -h, --help             this text\n"
"\n"
"exit status: 0 when every message was stored (201, or 200 for a repeated\n"
"sequence number), 1 when one was not (the library's sentence and detail\n"
"follow \"error: \"), 2 for a usage error.\n"
"\n"
"examples:\n"
"  tether send https://gw.example:8443 --pin 2O8shB8OCH+uoT/fdTnucMZDbYIjDC1JFxevvtklQYI= \\\n"
"      --credential-file kitchen-1.cred '{\"t\":21.5}'\n"
"  tether send https://10.0.0.5:8443 \\\n"
"      --pin sha1:C4:29:D8:2A:1F:5D:01:7F:22:DD:4C:7B:69:DB:17:F6:4B:94:EC:0E \\\n"
"      --credential-file kitchen-1.cred --buffer 512 --profile legacy-axtls \\\n"
"      --count 10 --interval 5 --stats '{\"t\":21.5}'\n"
"\n"
"docs/cmd-send.md has more; docs/device-library.md describes the library.\n",
	    SEND_DEFAULT_PORT, TETHER_MAX_PINS, SEND_RECORD_MIN,
	    SEND_RECORD_MAX, SEND_RECORD_DEFAULT, SEND_COMMAND_MAX,
	    SEND_COMMAND_DEFAULT, SEND_DEFAULT_TIMEOUT);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
sleep_seconds(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * The command line into o, the pins, host and credential into s. Returns
 * SEND_RUN, or the exit status when there is nothing to run: 0 after
 * --help, 2 for a usage error, 1 for an unreadable credential file.
 */
static int
parse_options(int argc, char **argv, struct send_opts *o,
    struct send_state *s)
{
	enum { O_PIN = 256, O_CRED, O_CRED_FILE, O_BUFFER, O_PROFILE, O_COUNT,
	    O_INTERVAL, O_SEQ, O_SAVE, O_SNI, O_NO_SNI, O_TIMEOUT, O_STATS,
	    O_IDENTITY, O_MAC, O_DEVICE, O_COMMANDS, O_COMMAND_BUF, O_JSON };
	static const struct option longopts[] = {
		{ "pin",		required_argument, NULL, O_PIN },
		{ "credential",		required_argument, NULL, O_CRED },
		{ "credential-file",	required_argument, NULL, O_CRED_FILE },
		{ "buffer",		required_argument, NULL, O_BUFFER },
		{ "profile",		required_argument, NULL, O_PROFILE },
		{ "count",		required_argument, NULL, O_COUNT },
		{ "interval",		required_argument, NULL, O_INTERVAL },
		{ "seq",		required_argument, NULL, O_SEQ },
		{ "save-session",	required_argument, NULL, O_SAVE },
		{ "sni",		required_argument, NULL, O_SNI },
		{ "no-sni",		no_argument,	   NULL, O_NO_SNI },
		{ "timeout",		required_argument, NULL, O_TIMEOUT },
		{ "stats",		no_argument,	   NULL, O_STATS },
		{ "identity",		required_argument, NULL, O_IDENTITY },
		{ "mac",		required_argument, NULL, O_MAC },
		{ "device",		required_argument, NULL, O_DEVICE },
		{ "commands",		no_argument,	   NULL, O_COMMANDS },
		{ "command-buffer",	required_argument, NULL, O_COMMAND_BUF },
		{ "json",		no_argument,	   NULL, O_JSON },
		{ "verbose",		no_argument,	   NULL, 'v' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cred_file = NULL;
	char *cred_arg = NULL;
	char why[REG_ERR_LEN];
	int c, interval_set = 0;

	memset(o, 0, sizeof(*o));
	o->profile = TETHER_PROFILE_DEFAULT;
	o->record = SEND_RECORD_DEFAULT;
	o->count = 1;
	o->timeout = SEND_DEFAULT_TIMEOUT;
	o->port = SEND_DEFAULT_PORT;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", longopts, NULL)) != -1) {
		switch (c) {
		case O_PIN:
			if (o->npins == TETHER_MAX_PINS)
				return cli_usage_error("send", "--pin given more "
				    "than %d times (TETHER_MAX_PINS)",
				    TETHER_MAX_PINS);
			if (send_parse_pin(optarg, &o->kinds[o->npins],
			    s->pins[o->npins]))
				return 2;
			o->npins++;
			break;
		case O_CRED:
			cred_arg = optarg;
			break;
		case O_CRED_FILE:
			cred_file = optarg;
			break;
		case O_BUFFER:
			if (send_parse_num("--buffer", optarg, SEND_RECORD_MIN,
			    SEND_RECORD_MAX, &o->record))
				return 2;
			break;
		case O_PROFILE:
			if (strcmp(optarg, "default") == 0)
				o->profile = TETHER_PROFILE_DEFAULT;
			else if (strcmp(optarg, "legacy-axtls") == 0)
				o->profile = TETHER_PROFILE_LEGACY_AXTLS;
			else
				return cli_usage_error("send", "--profile: '%s' "
				    "is not a profile (default, legacy-axtls)",
				    optarg);
			break;
		case O_COUNT:
			if (send_parse_num("--count", optarg, 1, SEND_MAX_COUNT,
			    &o->count))
				return 2;
			break;
		case O_INTERVAL:
			if (send_parse_seconds("--interval", optarg,
			    SEND_MAX_INTERVAL, 1, &o->interval))
				return 2;
			interval_set = 1;
			break;
		case O_SEQ:
			if (send_parse_num("--seq", optarg, 0, UINT64_MAX - 1,
			    &o->seq))
				return 2;
			o->seq_set = 1;
			break;
		case O_SAVE:
			if (*optarg == '\0')
				return cli_usage_error("send", "--save-session "
				    "needs a file name");
			o->session = optarg;
			break;
		case O_SNI:
			if (*optarg == '\0')
				return cli_usage_error("send", "--sni needs a "
				    "name (--no-sni sends none)");
			o->sni = optarg;
			break;
		case O_NO_SNI:
			o->no_sni = 1;
			break;
		case O_TIMEOUT:
			if (send_parse_seconds("--timeout", optarg,
			    SEND_MAX_TIMEOUT, 0, &o->timeout))
				return 2;
			break;
		case O_STATS:
			o->stats = 1;
			break;
		case O_IDENTITY:
			o->identity = optarg;
			break;
		case O_MAC:
			if (reg_mac_parse(optarg, o->mac, why) != 0)
				return cli_usage_error("send", "--mac '%s': %s",
				    optarg, why);
			o->mac_set = 1;
			break;
		case O_DEVICE:
			o->device = optarg;
			break;
		case O_COMMANDS:
			if (o->commands == 0)
				o->commands = SEND_COMMAND_DEFAULT;
			break;
		case O_COMMAND_BUF:
			if (send_parse_num("--command-buffer", optarg, 1,
			    SEND_COMMAND_MAX, &o->commands))
				return 2;
			break;
		case O_JSON:
			o->json = 1;
			break;
		case 'v':
			if (o->verbose < TETHER_LOG_SSL_MEM)
				o->verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
		default:
			return cli_getopt_refused("send", c, argv);
		}
	}
	if (optind == argc)
		return cli_usage_error("send", "name the server "
		    "(https://HOST[:PORT]) and give a BODY");
	if (optind + 1 == argc)
		return cli_usage_error("send", "give the message BODY after the "
		    "URL (- reads it from stdin)");
	if (optind + 2 < argc)
		return cli_usage_error("send", "one URL and one BODY: '%s' is "
		    "one too many", argv[optind + 2]);
	if (send_parse_url(argv[optind], s->host, &o->port) != 0)
		return 2;
	o->body = argv[optind + 1];
	if (o->npins == 0)
		return cli_usage_error("send", "give the server's pin with "
		    "--pin (`tether serve` and `tether fingerprint` print "
		    "it): a device never connects unverified");
	if ((cred_arg != NULL) + (cred_file != NULL) + (o->identity != NULL)
	    != 1)
		return cli_usage_error("send", cred_arg == NULL &&
		    cred_file == NULL ? "give the device credential with "
		    "--credential-file FILE (or --credential), or its "
		    "identity.bin with --identity FILE" : "--credential, "
		    "--credential-file and --identity contradict each other");
	if (o->mac_set && o->identity == NULL)
		return cli_usage_error("send", "--mac applies to --identity "
		    "(the credential of a file or --credential is already "
		    "derived)");
	if (o->device != NULL && o->identity != NULL)
		return cli_usage_error("send", "--device and --identity "
		    "contradict each other (the identity names the device)");
	if (o->sni != NULL && o->no_sni)
		return cli_usage_error("send", "--sni and --no-sni contradict "
		    "each other");
	if (o->json && o->stats)
		return cli_usage_error("send", "--json and --stats contradict "
		    "each other (--stats writes text)");
	if (interval_set && o->count == 1)
		return cli_usage_error("send", "--interval applies to "
		    "--count N with N > 1");

	if (cred_arg != NULL) {
		size_t n = strlen(cred_arg);

		if (n == 0 || n >= sizeof(s->cred))
			return cli_usage_error("send", "--credential: %s",
			    tether_strerror(n == 0 ? TETHER_E_NO_CREDENTIAL :
			    TETHER_E_BAD_CREDENTIAL));
		memcpy(s->cred, cred_arg, n + 1);
		/* hide it from the process list from now on */
		memset(cred_arg, 'x', n);
	} else if (cred_file != NULL) {
		if (send_read_credential(cred_file, s->cred) != 0)
			return 1;
	} else if (send_read_identity(s, o->identity,
	    o->mac_set ? o->mac : NULL) != 0) {
		return 1;
	}
	return SEND_RUN;
}

/*
 * Sets up the client as a device would, then sends: o->count messages,
 * o->interval apart. Returns the exit status; wipes the credential and
 * the client whatever happened.
 */
static int
run(const struct send_opts *o, struct send_state *s)
{
	struct tether_transport io;
	struct tether_stats before, after;
	struct tether_command cmd;
	uint64_t acked;
	const char *body = NULL;
	char *owned = NULL;
	unsigned long long i;
	double t0;
	size_t body_len = 0, buf_len, j;
	int status, got, rc = 2;

	tether_config_init(&s->cfg);
	tether_config_set_host(&s->cfg, s->host, o->port);
	for (j = 0; j < o->npins; j++)
		tether_config_add_pin(&s->cfg, o->kinds[j], s->pins[j]);
	if (tether_config_set_credential(&s->cfg, s->cred,
	    strlen(s->cred)) != 0) {
		rc = cli_usage_error("send", "the credential: %s",
		    tether_strerror(TETHER_E_BAD_CREDENTIAL));
		goto out;
	}
	tether_config_set_profile(&s->cfg, o->profile);
	if ((o->device != NULL || o->identity != NULL) &&
	    tether_config_set_device(&s->cfg, o->identity != NULL ?
	    s->id.device : o->device) != 0) {
		rc = cli_usage_error("send", "'%s': not a device id",
		    o->device != NULL ? o->device : s->id.device);
		goto out;
	}
	if (o->sni != NULL || o->no_sni)
		tether_config_set_sni(&s->cfg, o->no_sni ? NULL : o->sni);
	if (o->verbose > 0)
		tether_config_set_log(&s->cfg,
		    (enum tether_log_level)o->verbose, send_debug_line, NULL);
	tether_posix_init(&s->sock, &io, (int)(o->timeout * 1000),
	    (int)(o->timeout * 1000));
	buf_len = TETHER_BUFSIZE(o->record);
	if (tether_client_init(&s->client, &s->cfg, &io, s->buf,
	    buf_len) != 0) {
		rc = send_library_error(s, "");
		goto out;
	}
	if (o->commands != 0)
		(void)tether_client_set_command_buffer(&s->client, s->cmd,
		    (size_t)o->commands);
	rc = 1;
	if (o->session != NULL && send_restore_session(s, o->session) != 0)
		goto out;
	if (o->seq_set)
		tether_set_seq(&s->client, o->seq);
	if (send_read_body(o->body, &body, &body_len, &owned) != 0)
		goto out;

	rc = 0;
	for (i = 1; i <= o->count && rc == 0; i++) {
		if (i > 1 && o->interval > 0) {
			fflush(stdout);
			sleep_seconds(o->interval);
		}
		tether_stats(&s->client, &before);
		acked = tether_command_ack(&s->client);
		t0 = now_ms();
		if (tether_send(&s->client, body, body_len, &status) != 0) {
			rc = send_library_error(s, "");
			break;
		}
		tether_stats(&s->client, &after);
		got = tether_command(&s->client, &cmd);
		if (o->json) {
			rc = send_report_json(i, o->count, status, acked,
			    got ? &cmd : NULL);
		} else {
			send_report(i, o->count, status, &before, &after,
			    now_ms() - t0, o->stats, acked);
			if (got)
				rc = send_report_command(&cmd);
		}
	}
	/* a command handed over is acknowledged by the next message: the
	 * session file carries the ack to the next run, else it is lost */
	if (tether_command_ack(&s->client) != 0 && o->session == NULL)
		cli_warning("command %llu is acknowledged by the next message, "
		    "and this run sends none: the gateway delivers it again "
		    "(--save-session FILE keeps the acknowledgement for the "
		    "next run)",
		    (unsigned long long)tether_command_ack(&s->client));
	tether_stats(&s->client, &after);
	/* save what a device would keep in RTC memory, even after a failed
	 * message: the session and the sequence number still hold */
	if (o->session != NULL && after.handshakes_full +
	    after.handshakes_resumed > 0 &&
	    send_save_session(s, o->session) != 0)
		rc = 1;
	tether_close(&s->client);
	if (o->stats)
		send_report_total(s, buf_len);
out:
	free(owned);
	explicit_bzero(s->cred, sizeof(s->cred));
	explicit_bzero(&s->id, sizeof(s->id));
	explicit_bzero(&s->client, sizeof(s->client));
	fflush(stdout);
	return rc;
}

int
cmd_send(int argc, char **argv)
{
	int rc;

	if ((rc = parse_options(argc, argv, &opts, &st)) != SEND_RUN)
		return rc;
	return run(&opts, &st);
}
