/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the parsers of commands to devices (command_parse.c),
 * both of untrusted bytes: a device's request headers
 * (X-Tether-Commands, X-Tether-Command-Ack) and the target of an
 * application's command route. fuzz/command_parse.c runs both.
 */
#ifndef GW_COMMANDS_H
#define GW_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/http.h"
#include "registry/registry.h"

/* The largest X-Tether-Commands a device may send. */
#define GW_COMMANDS_MAX		65535

/*
 * X-Tether-Commands (the largest payload the device takes, 1 ..
 * GW_COMMANDS_MAX) into *max and X-Tether-Command-Ack (a command id, 1 ..
 * REG_COMMAND_ID_MAX) into *ack, 0 for one absent. 0, or -1 with *why (a
 * sentence for the 400) and *bad (where in the request the fault is) for
 * a malformed or repeated one. The other headers cost a length test each.
 */
int gw_command_headers(const struct http_request *req, size_t *max,
    int64_t *ack, const char **why, const char **bad);

/* The routes of commands on the application listener. */
enum app_cmd_route {
	APP_CMD_NONE,		/* not a command route */
	APP_CMD_DEVICE,		/* /v1/devices/ID/commands */
	APP_CMD_ONE,		/* /v1/commands/CMDID */
};

struct app_cmd_target {
	enum app_cmd_route route;
	char		 device[REG_ID_MAX];	/* APP_CMD_DEVICE: canonical */
	int64_t		 id;			/* APP_CMD_ONE */
	int64_t		 ttl_ms;		/* ?ttl=SECONDS; 0: none */
	enum reg_command_state state;		/* ?state=STATE; 0: any */
};

#define APP_CMD_WHY_LEN	160

/*
 * Reads a request target (n bytes: path and query) into out: route
 * APP_CMD_NONE when the path is no command route (out otherwise
 * untouched), else the route and what its path and query name. 0, or -1
 * with a sentence in why (APP_CMD_WHY_LEN) for a command route with a
 * malformed device or command id, or an unknown, repeated or bad query
 * parameter (ttl: 1 .. 30 days in seconds; state: a state's name).
 */
int app_command_target(const char *target, size_t n,
    struct app_cmd_target *out, char *why);

#endif
