/* SPDX-License-Identifier: MIT */
/*
 * text.c - see text.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

/* Room for n more bytes and a NUL; 0, or -1 (failed). */
static int
room(struct text *t, size_t n)
{
	size_t cap;
	char *p;

	if (t->failed)
		return -1;
	if (t->len + n + 1 <= t->cap)
		return 0;
	for (cap = t->cap ? t->cap : 4096; cap < t->len + n + 1; cap *= 2)
		;
	if ((p = realloc(t->buf, cap)) == NULL) {
		t->failed = 1;
		return -1;
	}
	t->buf = p;
	t->cap = cap;
	return 0;
}

void
text_put(struct text *t, const char *s, size_t n)
{
	if (room(t, n) < 0)
		return;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

void
text_str(struct text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

void
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = 1;
		return;
	}
	if (room(t, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void
text_free(struct text *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}
