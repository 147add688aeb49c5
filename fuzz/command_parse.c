/* SPDX-License-Identifier: MIT */
/*
 * command_parse.c - libFuzzer target for the parsers of commands to
 * devices (src/gateway/command_parse.c). The input's first byte picks
 * one: a request head whose X-Tether-Commands and X-Tether-Command-Ack
 * are read (values within bounds, or a refusal with a sentence that
 * points into the head), or a request target of the application API
 * (a route with a canonical device id or a command id in bounds, a ttl
 * within 30 days, or a refusal with a sentence).
 */
#include "fuzz.h"
#include "gateway/commands.h"

static void
headers(const uint8_t *data, size_t size)
{
	char *head = fuzz_copy(data, size, 0);
	struct http_request req;
	struct http_error err;
	const char *why = NULL, *bad = NULL;
	size_t max;
	int64_t ack;

	if (http_parse_request(head, size, GW_MAX_HEAD, &req, &err) > 0) {
		if (gw_command_headers(&req, &max, &ack, &why, &bad) == 0) {
			require(max <= GW_COMMANDS_MAX);
			require(ack >= 0 && ack <= REG_COMMAND_ID_MAX);
		} else {
			require(why != NULL && why[0] != '\0');
			require(bad >= head && bad < head + size);
		}
	}
	free(head);
}

static void
target(const uint8_t *data, size_t size)
{
	char *t = fuzz_copy(data, size, 0);
	struct app_cmd_target out;
	char why[APP_CMD_WHY_LEN];

	if (app_command_target(t, size, &out, why) == 0) {
		require(out.route == APP_CMD_NONE || out.route == APP_CMD_DEVICE ||
		    out.route == APP_CMD_ONE);
		if (out.route == APP_CMD_DEVICE)
			require(reg_id_valid(out.device));
		if (out.route == APP_CMD_ONE)
			require(out.id >= 1 && out.id <= REG_COMMAND_ID_MAX);
		if (out.route != APP_CMD_NONE)
			require(out.ttl_ms >= 0 &&
			    out.ttl_ms <= REG_COMMAND_TTL_MAX);
	} else {
		require(memchr(why, '\0', sizeof(why)) != NULL &&
		    why[0] != '\0');
	}
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		headers(data + 1, size - 1);
	else
		target(data + 1, size - 1);
	return 0;
}
