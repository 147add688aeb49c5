/* SPDX-License-Identifier: MIT */
/*
 * app_query.c - the query string of a read: after, device, limit, wait;
 * percent-decoded, each at most once, nothing else accepted (a misspelt
 * parameter silently ignored would read the wrong messages).
 */
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "gateway/app.h"
#include "gateway/limits.h"

#define VALUE_MAX	64	/* a decoded value, with NUL */


/* Decodes p[0..n) into out (VALUE_MAX): '+' is a space, %XX a byte. 0,
 * or -1 (a bad escape, a NUL, too long). */
static int
decode(const char *p, size_t n, char out[VALUE_MAX])
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)p[i];

		if (ch == '%') {
			int hi, lo;

			if (i + 2 >= n || (hi = hex_value(p[i + 1])) < 0 ||
			    (lo = hex_value(p[i + 2])) < 0)
				return -1;
			ch = hi << 4 | lo;
			i += 2;
		} else if (ch == '+') {
			ch = ' ';
		}
		if (ch == 0 || o == VALUE_MAX - 1)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

/* A whole decimal number in [lo, hi]; 0 or -1. */
static int
number(const char *v, long lo, long hi, long *out)
{
	long n = 0;

	if (*v == '\0' || strlen(v) > 9)
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		n = n * 10 + (*v - '0');
	}
	if (n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

/* see app.h */
int
app_query_parse(const char *q, size_t n, struct app_query *out, char *why)
{
	static const char *const names[] = { "after", "device", "limit",
	    "wait", "events", "online" };
	unsigned seen = 0;
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	out->limit = GW_APP_LIMIT;
	out->events = -1;
	while (i < n) {
		const char *pair = q + i, *amp = memchr(pair, '&', n - i);
		size_t plen = amp ? (size_t)(amp - pair) : n - i;
		const char *eq = memchr(pair, '=', plen);
		size_t klen = eq ? (size_t)(eq - pair) : plen;
		char key[VALUE_MAX], val[VALUE_MAX];
		unsigned k;
		long num;

		i += plen + (amp != NULL);
		if (plen == 0)
			continue;		/* "a=1&&b=2" */
		if (decode(pair, klen, key) < 0 || (eq != NULL &&
		    decode(eq + 1, plen - klen - 1, val) < 0)) {
			snprintf(why, APP_WHY_LEN, "a query parameter is "
			    "malformed or longer than %d bytes", VALUE_MAX - 1);
			return -1;
		}
		if (eq == NULL)
			val[0] = '\0';
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(key, names[k]) == 0)
				break;
		if (k == sizeof(names) / sizeof(names[0])) {
			snprintf(why, APP_WHY_LEN, "unknown query parameter "
			    "'%.32s' (after, device, limit, wait, events, online)", key);
			return -1;
		}
		if (seen & 1u << k) {
			snprintf(why, APP_WHY_LEN, "query parameter '%s' given "
			    "twice", key);
			return -1;
		}
		seen |= 1u << k;
		switch (k) {
		case 0: {
			struct reg_cursor c;

			if (reg_cursor_parse(val, &c) < 0) {
				snprintf(why, APP_WHY_LEN, "after: not a cursor "
				    "this gateway gave (copy the \"cursor\" or "
				    "\"next\" of an answer)");
				return -1;
			}
			memcpy(out->after, val, strlen(val) + 1);
			out->has_after = 1;
			break;
		}
		case 1:
			switch (reg_id_normalize(val, out->device)) {
			case REG_ID_OK:
				break;
			case REG_ID_MISTYPED:
				snprintf(why, APP_WHY_LEN, "device: '%.32s' is "
				    "mistyped (its check character does not "
				    "match)", val);
				return -1;
			default:
				snprintf(why, APP_WHY_LEN, "device: '%.32s' is "
				    "not a device id (like d7k3-m9q2-x)", val);
				return -1;
			}
			break;
		case 2:
			if (number(val, 1, GW_APP_MAX_LIMIT, &num) < 0) {
				snprintf(why, APP_WHY_LEN, "limit: give a whole "
				    "number from 1 to %d", GW_APP_MAX_LIMIT);
				return -1;
			}
			out->limit = num;
			break;
		case 4:
		case 5:
			if (strcmp(val, "1") != 0 && strcmp(val, "0") != 0) {
				snprintf(why, APP_WHY_LEN, "%s: give 1 or 0",
				    key);
				return -1;
			}
			if (k == 4)
				out->events = val[0] == '1';
			else
				out->online = val[0] == '1';
			break;
		default:
			if (number(val, 0, GW_APP_MAX_WAIT_MS / 1000, &num) < 0) {
				snprintf(why, APP_WHY_LEN, "wait: give whole "
				    "seconds from 0 to %d", GW_APP_MAX_WAIT_MS /
				    1000);
				return -1;
			}
			out->wait_ms = (int)num * 1000;
			break;
		}
	}
	out->given = seen;
	return 0;
}
