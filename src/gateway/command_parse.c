/* SPDX-License-Identifier: MIT */
/*
 * command_parse.c - the parsers of commands to devices (commands.h): a
 * device's X-Tether-Commands and X-Tether-Command-Ack, strict as
 * X-Tether-Seq (decimal digits only, each header at most once), and the
 * target of /v1/devices/ID/commands and /v1/commands/CMDID.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/commands.h"

static const char why_max[] = "X-Tether-Commands must appear once, a "
    "decimal number of bytes from 1 to 65535";
static const char why_ack[] = "X-Tether-Command-Ack must be a decimal "
    "command id";

/* digits[0..n) as a number in 1..hi; -1 (and *bad at the first wrong
 * byte) when it is not one. */
static int64_t
decimal(const char *p, size_t n, size_t width, int64_t hi, const char **bad)
{
	int64_t v = 0;

	*bad = p;
	if (n == 0 || n > width)
		return -1;
	for (size_t i = 0; i < n; i++) {
		*bad = p + i;
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= hi ? v : -1;
}

/* A header name (a token, http.c) is lit, a lowercase literal of
 * letters and '-': setting bit 5 lowercases a letter and leaves '-'
 * (no other token character becomes '-' by it). http_view_eq costs
 * about 50 instructions a character; this, a few. */
static int
name_is(const char *p, size_t n, const char *lit, size_t len)
{
	if (n != len)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((p[i] | 0x20) != lit[i])
			return 0;
	return 1;
}

/* see commands.h */
int
gw_command_headers(const struct http_request *req, size_t *max,
    int64_t *ack, const char **why, const char **bad)
{
	static const char hmax[] = "x-tether-commands";
	static const char hack[] = "x-tether-command-ack";
	const struct http_header *hm = NULL, *ha = NULL;
	int64_t v;

	*max = 0;
	*ack = 0;
	for (size_t i = 0; i < req->num_headers; i++) {
		const struct http_header *h = &req->headers[i];

		if (name_is(h->name, h->name_len, hmax, sizeof(hmax) - 1)) {
			*why = why_max;
			*bad = h->name;
			if (hm != NULL)
				return -1;
			hm = h;
		} else if (name_is(h->name, h->name_len, hack,
		    sizeof(hack) - 1)) {
			*why = why_ack;
			*bad = h->name;
			if (ha != NULL)
				return -1;
			ha = h;
		}
	}
	if (hm != NULL) {
		*why = why_max;
		if ((v = decimal(hm->value, hm->value_len, 5, GW_COMMANDS_MAX,
		    bad)) < 0)
			return -1;
		*max = (size_t)v;
	}
	if (ha != NULL) {
		*why = why_ack;
		if ((v = decimal(ha->value, ha->value_len, 18,
		    REG_COMMAND_ID_MAX, bad)) < 0)
			return -1;
		*ack = v;
	}
	return 0;
}

/* p[0..n) is exactly s */
static int
is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* The query of a command route: ttl and state, each at most once, no
 * percent-escapes (no value needs one). 0, or -1 with why. */
static int
query(const char *q, size_t n, struct app_cmd_target *out, char *why)
{
	int seen_ttl = 0, seen_state = 0;
	size_t i = 0;

	while (i < n) {
		const char *pair = q + i, *amp = memchr(pair, '&', n - i);
		size_t plen = amp ? (size_t)(amp - pair) : n - i;
		const char *eq = memchr(pair, '=', plen);
		size_t klen = eq ? (size_t)(eq - pair) : plen;
		const char *val = eq ? eq + 1 : pair + plen;
		size_t vlen = eq ? plen - klen - 1 : 0;
		const char *bad;

		i += plen + (amp != NULL);
		if (plen == 0)
			continue;
		if (is(pair, klen, "ttl")) {
			int64_t s;

			if (seen_ttl++) {
				snprintf(why, APP_CMD_WHY_LEN, "query "
				    "parameter 'ttl' given twice");
				return -1;
			}
			if ((s = decimal(val, vlen, 7, REG_COMMAND_TTL_MAX /
			    1000, &bad)) < 0) {
				snprintf(why, APP_CMD_WHY_LEN, "ttl: give whole "
				    "seconds from 1 to %lld (30 days)",
				    REG_COMMAND_TTL_MAX / 1000);
				return -1;
			}
			out->ttl_ms = s * 1000;
		} else if (is(pair, klen, "state")) {
			char text[16];

			if (seen_state++) {
				snprintf(why, APP_CMD_WHY_LEN, "query "
				    "parameter 'state' given twice");
				return -1;
			}
			if (vlen < sizeof(text)) {	/* none is longer */
				memcpy(text, val, vlen);
				text[vlen] = '\0';
			}
			if (vlen >= sizeof(text) ||
			    reg_command_state_parse(text, &out->state) < 0) {
				snprintf(why, APP_CMD_WHY_LEN, "state: give "
				    "queued, delivered, acknowledged, expired, "
				    "cancelled or rejected");
				return -1;
			}
		} else {
			snprintf(why, APP_CMD_WHY_LEN, "unknown query "
			    "parameter '%.*s' (ttl, state)",
			    klen > 32 ? 32 : (int)klen, pair);
			return -1;
		}
	}
	return 0;
}

/* see commands.h */
int
app_command_target(const char *target, size_t n,
    struct app_cmd_target *out, char *why)
{
	static const char devices[] = "/v1/devices/";
	static const char commands[] = "/v1/commands/";
	static const char tail[] = "/commands";
	const char *q = memchr(target, '?', n);
	size_t plen = q ? (size_t)(q - target) : n;
	const char *bad;

	if (plen > sizeof(devices) - 1 + sizeof(tail) - 1 &&
	    memcmp(target, devices, sizeof(devices) - 1) == 0 &&
	    memcmp(target + plen - (sizeof(tail) - 1), tail,
	    sizeof(tail) - 1) == 0) {
		const char *id = target + sizeof(devices) - 1;
		size_t idlen = plen - (sizeof(devices) - 1) - (sizeof(tail) - 1);
		char text[REG_ID_MAX];

		memset(out, 0, sizeof(*out));
		out->route = APP_CMD_DEVICE;
		if (idlen >= sizeof(text) || memchr(id, '/', idlen) != NULL) {
			snprintf(why, APP_CMD_WHY_LEN, "the path names no "
			    "device: /v1/devices/ID/commands, ID like "
			    "d7k3-m9q2-x");
			return -1;
		}
		memcpy(text, id, idlen);
		text[idlen] = '\0';
		switch (reg_id_normalize(text, out->device)) {
		case REG_ID_OK:
			break;
		case REG_ID_MISTYPED:
			snprintf(why, APP_CMD_WHY_LEN, "'%s' is not a device "
			    "id: its check character does not match (a "
			    "mistyped character?)", text);
			return -1;
		default:
			snprintf(why, APP_CMD_WHY_LEN, "'%s' is not a device "
			    "id (9 characters like d7k3-m9q2-x)", text);
			return -1;
		}
	} else if (plen > sizeof(commands) - 1 &&
	    memcmp(target, commands, sizeof(commands) - 1) == 0) {
		memset(out, 0, sizeof(*out));
		out->route = APP_CMD_ONE;
		if ((out->id = decimal(target + sizeof(commands) - 1,
		    plen - (sizeof(commands) - 1), 18, REG_COMMAND_ID_MAX,
		    &bad)) < 0) {
			snprintf(why, APP_CMD_WHY_LEN, "the path names no "
			    "command: /v1/commands/CMDID, CMDID the decimal "
			    "id a queued command got");
			return -1;
		}
	} else {
		out->route = APP_CMD_NONE;
		return 0;
	}
	return q != NULL ? query(q + 1, n - plen - 1, out, why) : 0;
}
