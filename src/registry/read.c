/* SPDX-License-Identifier: MIT */
/*
 * read.c - reading stored messages after a cursor, once for every
 * backend: the backend's Q_READ (one device's: Q_READ_DEVICE, through
 * its index) gives them in commit order, never one that an open
 * transaction could still precede; this file keeps the cursor and its
 * text.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/json.h"
#include "registry/registry_int.h"

#define CURSOR_VERSION	1
#define CURSOR_RAW	17	/* version, pos, id: big-endian */

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* see registry.h */
void
reg_cursor_format(const struct reg_cursor *c, char out[REG_CURSOR_TEXT])
{
	uint8_t raw[CURSOR_RAW + 1];	/* + 1: base64 of 18 bytes, no '=' */
	unsigned char b64[REG_CURSOR_TEXT + 4];
	int n;

	if (c->pos == 0 && c->id == 0) {
		out[0] = '\0';
		return;
	}
	raw[0] = CURSOR_VERSION;
	put64(raw + 1, c->pos);
	put64(raw + 9, (uint64_t)c->id);
	raw[CURSOR_RAW] = 0;
	n = EVP_EncodeBlock(b64, raw, CURSOR_RAW + 1);	/* 24 characters */
	for (int i = 0; i < n; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
	out[n] = '\0';
}

/* see registry.h */
int
reg_cursor_parse(const char *text, struct reg_cursor *c)
{
	unsigned char b64[REG_CURSOR_TEXT];
	uint8_t raw[REG_CURSOR_TEXT];
	size_t n = strlen(text);

	memset(c, 0, sizeof(*c));
	if (n == 0)
		return 0;
	if (n != 24)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = text[i];

		if (ch == '+' || ch == '/' || ch == '=')
			return -1;
		b64[i] = ch == '-' ? '+' : ch == '_' ? '/' : (unsigned char)ch;
	}
	if (EVP_DecodeBlock(raw, b64, (int)n) != CURSOR_RAW + 1 ||
	    raw[0] != CURSOR_VERSION || raw[CURSOR_RAW] != 0)
		return -1;
	c->pos = get64(raw + 1);
	c->id = (int64_t)get64(raw + 9);
	return c->id >= 0 ? 0 : -1;
}

/* see registry.h */
void
reg_time_format(int64_t ms, char out[REG_TIME_TEXT])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[24];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, REG_TIME_TEXT, "%s.%03dZ", s, (int)(ms % 1000));
}

/* see registry.h */
long long
reg_read_messages(struct reg_store *st, const struct reg_read *q,
    struct reg_cursor *cursor,
    void (*fn)(void *arg, const struct reg_read_row *row), void *arg)
{
	const char *what = "cannot read the messages";
	/* one device's: through its index, not a filter on everyone's */
	struct reg_stmt *s = reg_stmt(st, q->device_id != NULL ?
	    Q_READ_DEVICE : Q_READ);
	struct reg_read_row row;
	struct reg_cursor at = *cursor;
	char pos[24];
	const char *text;
	long long n = 0;
	int r;

	if (q->limit == 0 || q->limit > REG_READ_MAX)
		return reg_fail(st, "%s: a read gives 1 to %d messages", what,
		    REG_READ_MAX);
	if (reg_ready(st, what) < 0)
		return -1;
	snprintf(pos, sizeof(pos), "%llu", (unsigned long long)at.pos);
	reg_bind_text(st, s, 1, pos);
	reg_bind_int(st, s, 2, at.id);
	reg_bind_text(st, s, 3, q->device_id);
	reg_bind_int(st, s, 4, (int64_t)q->limit);
	if (q->since > 0)
		reg_bind_int(st, s, 5, q->since);
	if (q->events)
		reg_bind_int(st, s, 6, 1);
	while ((r = reg_step(st, s, what)) == REG_ROW) {
		memset(&row, 0, sizeof(row));
		text = reg_col_text(st, s, 0);
		row.cursor.pos = text != NULL ? strtoull(text, NULL, 10) : 0;
		row.cursor.id = row.id = reg_col_int(st, s, 1);
		row.device_id = reg_col_text(st, s, 2);
		row.seq = reg_col_text(st, s, 3) != NULL ?
		    reg_col_int(st, s, 3) : -1;
		row.received_at = reg_col_int(st, s, 4);
		row.body = st->be->col_blob(s, 5, &row.len);
		row.label = reg_col_text(st, s, 6);
		row.kind = (enum reg_kind)reg_col_int(st, s, 7);
		if (row.device_id == NULL)
			row.device_id = "";
		if (row.label == NULL)
			row.label = "";
		at = row.cursor;
		fn(arg, &row);
		n++;
	}
	reg_reset(st, s);
	if (r < 0)
		return -1;
	*cursor = at;
	return n;
}

/* see registry.h */
char *
reg_base64(const void *p, size_t n)
{
	unsigned char *out;

	if (n > INT_MAX / 4 * 3 || (out = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock(out, p, (int)n);
	return (char *)out;
}

/* see registry.h */
int
reg_row_json(struct json *j, const struct reg_read_row *row)
{
	char cursor[REG_CURSOR_TEXT], when[REG_TIME_TEXT];
	const char *body = row->body != NULL ? row->body : "";
	size_t len = row->len;
	char *b64;

	reg_cursor_format(&row->cursor, cursor);
	reg_time_format(row->received_at, when);
	json_object(j, NULL, JSON_COMPACT);
	json_str(j, "cursor", cursor);
	json_int(j, "id", row->id);
	json_str(j, "device", row->device_id);
	json_str(j, "label", row->label);
	if (reg_kind_name(row->kind) != NULL) {
		/* an event: its body is the store's own JSON object */
		json_str(j, "received_at", when);
		json_str(j, "event", reg_kind_name(row->kind));
		if (len > 0 && json_valid_line(body, len))
			json_raw(j, "presence", body, len);
		else
			json_null(j, "presence");
		json_end(j);
		return 0;
	}
	if (row->seq >= 0)
		json_int(j, "seq", row->seq);
	else
		json_null(j, "seq");
	json_str(j, "received_at", when);
	/* a body as JSON when it is one value on one line; a trailing line
	 * end (curl --data-binary @file) does not make it another */
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' ||
	    body[len - 1] == ' ' || body[len - 1] == '\t'))
		len--;
	if (len > 0 && json_valid_line(body, len))
		json_raw(j, "body", body, len);
	else {
		if ((b64 = reg_base64(body, row->len)) == NULL)
			return -1;
		json_str(j, "body_b64", b64);
		free(b64);
	}
	json_end(j);
	return 0;
}
