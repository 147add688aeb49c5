/* SPDX-License-Identifier: MIT */
/*
 * send_report.c - what `tether send` says: a line per message and, with
 * --stats, how it went (handshake, suite by IANA name, bytes, time) and
 * the totals; the commands the answers brought; the library's errors and
 * log lines.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/send.h"
#include "common/json.h"
#include "registry/registry.h"

/* The cipher suites BearSSL offers, by IANA name, for --stats. */
static const struct {
	uint16_t	 id;
	const char	*name;
} suite_names[] = {
	{ BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM,
	    "TLS_ECDHE_ECDSA_WITH_AES_256_CCM" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8,
	    "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
	    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
	    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256,
	    "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256,
	    "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384,
	    "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384,
	    "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256,
	    "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256,
	    "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384,
	    "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384,
	    "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA,
	    "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA,
	    "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA,
	    "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA,
	    "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
	    "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
	    "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_RSA_WITH_AES_128_CCM, "TLS_RSA_WITH_AES_128_CCM" },
	{ BR_TLS_RSA_WITH_AES_256_CCM, "TLS_RSA_WITH_AES_256_CCM" },
	{ BR_TLS_RSA_WITH_AES_128_CCM_8, "TLS_RSA_WITH_AES_128_CCM_8" },
	{ BR_TLS_RSA_WITH_AES_256_CCM_8, "TLS_RSA_WITH_AES_256_CCM_8" },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
	    "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
	    "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_RSA_WITH_AES_256_CBC_SHA, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA,
	    "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA" },
	{ BR_TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ BR_TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA,
	    "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA" },
	{ BR_TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA,
	    "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
};

/* see send.h: --verbose, the library's log lines */
void
send_debug_line(void *ctx, enum tether_log_level level, const char *line)
{
	(void)ctx;
	(void)level;
	fprintf(stderr, "debug: %s\n", line);
}

static const char *
suite_name(uint16_t id)
{
	size_t i;

	for (i = 0; i < sizeof(suite_names) / sizeof(suite_names[0]); i++)
		if (suite_names[i].id == id)
			return suite_names[i].name;
	return "an unnamed suite";
}

/* The library's error as one line: its sentence, then its detail. */
int
send_library_error(struct send_state *s, const char *what)
{
	char detail[SEND_DETAIL_MAX];
	int code = tether_last_error(&s->client);

	tether_error_detail(&s->client, detail, sizeof(detail));
	return cli_error("%s%s (%s)", what, tether_strerror(code), detail);
}

/* One message's line on stdout: what happened, and with --stats how. */
void
send_report(unsigned long long i, unsigned long long count, int status,
    const struct tether_stats *before, const struct tether_stats *after,
    double ms, int stats, uint64_t acked)
{
	printf("message %llu of %llu: stored (%d)", i, count, status);
	if (acked != 0)
		printf(", acknowledged command %llu",
		    (unsigned long long)acked);
	if (stats) {
		if (after->handshakes_full > before->handshakes_full)
			printf(", handshake full");
		else if (after->handshakes_resumed >
		    before->handshakes_resumed)
			printf(", handshake resumed");
		else
			printf(", kept alive");
		if (after->handshakes_full + after->handshakes_resumed >
		    before->handshakes_full + before->handshakes_resumed)
			printf(" (%s, records of up to %u bytes)",
			    suite_name(after->suite),
			    (unsigned)after->record_max);
		printf(", %lu bytes out, %lu bytes in, %.1f ms",
		    (unsigned long)(after->bytes_out - before->bytes_out),
		    (unsigned long)(after->bytes_in - before->bytes_in), ms);
	}
	putchar('\n');
}

/* The totals of --stats: messages, handshakes, bytes, RAM. */
void
send_report_total(struct send_state *run, size_t buf_len)
{
	struct tether_stats s;

	tether_stats(&run->client, &s);
	printf("total: %lu message%s stored, %lu full handshake%s, %lu "
	    "resumed, %lu bytes out, %lu bytes in\n",
	    (unsigned long)s.messages, s.messages == 1 ? "" : "s",
	    (unsigned long)s.handshakes_full,
	    s.handshakes_full == 1 ? "" : "s",
	    (unsigned long)s.handshakes_resumed, (unsigned long)s.bytes_out,
	    (unsigned long)s.bytes_in);
	/* This host's sizes, not a device's: the stack and BearSSL's code
	 * are what a device pays on top, and only the target images measure
	 * them (make target-test, docs/device-library.md). */
	printf("RAM: this host's sizes (%zu-bit), client %zu + config %zu + "
	    "record buffer %zu + transport %zu = %zu bytes, no heap\n",
	    sizeof(void *) * 8, sizeof(run->client),
	    sizeof(run->cfg), buf_len, sizeof(run->sock), sizeof(run->client) +
	    sizeof(run->cfg) + buf_len + sizeof(run->sock));
	printf("device: not this figure; add the handshake's stack, and "
	    "BearSSL in flash: make target-test measures both on Cortex-M4 "
	    "and lx106 images (docs/device-library.md, \"Footprint\")\n");
}

/* A payload is shown as text when it is UTF-8 without control
 * characters (tabs aside), as the application API does; else base64. */
static int
printable(const unsigned char *p, size_t n)
{
	size_t i;

	if (!json_utf8_valid((const char *)p, n, NULL))
		return 0;
	for (i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return 0;
	return 1;
}

/* see send.h */
int
send_report_command(const struct tether_command *cmd)
{
	char *b64;

	if (cmd->len == 0) {
		printf("command %llu (0 bytes)\n", (unsigned long long)cmd->id);
		return 0;
	}
	if (printable(cmd->payload, cmd->len)) {
		printf("command %llu (%zu byte%s): %.*s\n",
		    (unsigned long long)cmd->id, cmd->len,
		    cmd->len == 1 ? "" : "s", (int)cmd->len,
		    (const char *)cmd->payload);
		return 0;
	}
	if ((b64 = reg_base64(cmd->payload, cmd->len)) == NULL)
		return cli_error("out of memory for command %llu's payload",
		    (unsigned long long)cmd->id);
	printf("command %llu (%zu byte%s, base64): %s\n",
	    (unsigned long long)cmd->id, cmd->len, cmd->len == 1 ? "" : "s",
	    b64);
	free(b64);
	return 0;
}

/* see send.h */
int
send_report_json(unsigned long long i, unsigned long long count, int status,
    uint64_t acked, const struct tether_command *cmd)
{
	struct json j;
	char *b64;

	json_init_heap(&j);
	json_object(&j, NULL, JSON_COMPACT);
	json_int(&j, "message", (long long)i);
	json_int(&j, "of", (long long)count);
	json_bool(&j, "stored", 1);
	json_int(&j, "status", status);
	if (acked != 0)
		json_int(&j, "acknowledged", (long long)acked);
	else
		json_null(&j, "acknowledged");
	if (cmd == NULL) {
		json_null(&j, "command");
	} else {
		json_object(&j, "command", JSON_COMPACT);
		json_int(&j, "id", (long long)cmd->id);
		json_int(&j, "size", (long long)cmd->len);
		if (printable(cmd->payload, cmd->len)) {
			json_strn(&j, "payload", (const char *)cmd->payload,
			    cmd->len);
		} else {
			if ((b64 = reg_base64(cmd->payload, cmd->len)) ==
			    NULL) {
				json_free(&j);
				return cli_error("out of memory for command "
				    "%llu's payload",
				    (unsigned long long)cmd->id);
			}
			json_str(&j, "payload_b64", b64);
			free(b64);
		}
		json_end(&j);
	}
	if (json_print(&j, stdout) < 0)
		return cli_error("stdout: cannot write the JSON line");
	return 0;
}
