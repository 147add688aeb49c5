/* SPDX-License-Identifier: MIT */
/*
 * command.c - commands to the device: the buffer the caller gives, the
 * request headers that announce it and acknowledge the last command
 * handed over, the answer's X-Tether-Command and X-Tether-Device and the
 * command's body, and handing the command over once. client.c and http.c
 * reach this file only through the pointers that
 * tether_client_set_command_buffer() sets, so firmware that takes no
 * commands links none of it (docs/device-library.md, "Commands").
 */
#include "inner.h"

#define ID_DIGITS	18	/* a command id is under 10^18 */
#define CMD_CAP_MAX	65535	/* what X-Tether-Commands can say */

/* Case-insensitive: does s (n bytes) equal the lowercase word w? */
static int
is_name(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];

		if (ch >= 'A' && ch <= 'Z')
			ch += 'a' - 'A';
		if (w[i] == '\0' || ch != w[i])
			return 0;
	}
	return w[n] == '\0';
}

/* see inner.h */
int
tether_command_header(struct tether_http *h, const char *name,
    size_t name_len, const char *v, size_t n)
{
	uint64_t id = 0;
	size_t i;

	if (name == NULL) {	/* the command's body, never past the buffer */
		if (n > (size_t)(h->cmd_cap - h->cmd_len)) {
			h->reason = TETHER_HTTP_R_COMMAND_TOO_LARGE;
			return -1;
		}
		memcpy(h->cmd_buf + h->cmd_len, v, n);
		h->cmd_len = (uint16_t)(h->cmd_len + n);
		return 0;
	}
	/* a command comes in a 200 or 201 only: elsewhere it is ignored */
	if (is_name(name, name_len, "x-tether-command") &&
	    (h->status == 200 || h->status == 201)) {
		for (i = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++)
			id = id * 10 + (uint64_t)(v[i] - '0');
		/* 1 to 18 digits, not 0, and two must agree */
		if ((h->flags & TETHER_HTTP_F_TRUNC) || i != n ||
		    i > ID_DIGITS || id == 0 ||
		    (h->cmd_id != 0 && h->cmd_id != id)) {
			h->reason = TETHER_HTTP_R_COMMAND_ID;
			return -1;
		}
		h->cmd_id = id;
	} else if (is_name(name, name_len, "x-tether-device")) {
		/* names the device (any, when none is configured); one that
		 * does not spoils the others */
		if ((h->flags & TETHER_HTTP_F_TRUNC) || n == 0 ||
		    (h->device != NULL && (strlen(h->device) != n ||
		    memcmp(h->device, v, n) != 0)))
			h->named = 2;
		else if (h->named == 0)
			h->named = 1;
	}
	return 0;
}

/* see inner.h: what tether_send() asks of commands, step by step */
int
tether_command_step(struct tether_client *c, int step, int *lost)
{
	struct tether_http *h = &c->u.http;

	switch (step) {
	case TETHER_CMD_REQUEST:
		if (c->cmd_cap != 0 && (tether_app_puts(c,
		    "\r\nX-Tether-Commands: ", lost) < 0 ||
		    tether_app_uint(c, c->cmd_cap, lost) < 0))
			return -1;
		if (c->ack != 0 && (tether_app_puts(c,
		    "\r\nX-Tether-Command-Ack: ", lost) < 0 ||
		    tether_app_uint(c, c->ack, lost) < 0))
			return -1;
		return 0;
	case TETHER_CMD_ANSWER:
		c->cmd_id = 0;
		if (c->cmd_cap != 0) {
			h->header = tether_command_header;
			h->cmd_buf = c->cmd_buf;
			h->cmd_cap = c->cmd_cap;
			h->device = c->cfg->device;
		}
		return 0;
	case TETHER_CMD_STORED:
		/* a command answer is judged by its headers: it names the
		 * device */
		if (!(h->flags & TETHER_HTTP_F_COMMAND))
			return 0;
		c->cmd_id = h->cmd_id;
		c->cmd_len = h->cmd_len;
		return h->named == 1;
	default:	/* TETHER_CMD_DONE */
		/* stored: so is the ack this message carried; an answer that
		 * repeats that command does not hand it over again */
		c->cmd_ready = c->cmd_id != 0 && c->cmd_id != c->ack;
		c->ack = 0;
		return 0;
	}
}

/* see tether.h */
int
tether_client_set_command_buffer(struct tether_client *c, unsigned char *buf,
    size_t len)
{
	if (buf == NULL && len != 0)
		return tether_fail(c, TETHER_E_BAD_ARG);
	c->cmd = tether_command_step;
	c->cmd_buf = buf;
	c->cmd_cap = (uint16_t)(len > CMD_CAP_MAX ? CMD_CAP_MAX : len);
	c->cmd_ready = 0;
	return 0;
}

/* see tether.h */
int
tether_command(struct tether_client *c, struct tether_command *cmd)
{
	if (!c->cmd_ready)
		return 0;
	c->cmd_ready = 0;
	c->ack = c->cmd_id;
	cmd->id = c->cmd_id;
	cmd->payload = c->cmd_buf;
	cmd->len = c->cmd_len;
	return 1;
}

/* see tether.h */
uint64_t
tether_command_ack(const struct tether_client *c)
{
	return c->ack;
}
