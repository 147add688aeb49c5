/* SPDX-License-Identifier: MIT */
/*
 * json.c - the JSON writer: members appended to a buffer with their commas
 * and layout, strings escaped, a fixed buffer's end kept valid JSON.
 * json.h says what each call does; this file says how room is kept.
 */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

/* Kept free in a fixed buffer for the member the outermost object gets
 * when something was left out: ",\n  \"truncated\": true" at most. */
#define JSON_TRUNC_ROOM	(sizeof(",\n  \"truncated\": true") - 1)
#define JSON_HEAP_START	1024

void
json_init(struct json *j, char *buf, size_t cap)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->cap = cap;
	_Static_assert(JSON_MIN_CAP >= 1 + JSON_TRUNC_ROOM + 3,
	    "the outermost container always fits");
	if (cap < JSON_MIN_CAP)
		j->failed = 1;
	if (cap > 0)
		buf[0] = '\0';
}

void
json_init_heap(struct json *j)
{
	memset(j, 0, sizeof(*j));
	j->heap = 1;
	if ((j->buf = malloc(JSON_HEAP_START)) == NULL) {
		j->failed = 1;
		return;
	}
	j->cap = JSON_HEAP_START;
	j->buf[0] = '\0';
}

void
json_free(struct json *j)
{
	if (j->heap && j->buf != NULL) {
		explicit_bzero(j->buf, j->cap);	/* it may have held a secret */
		free(j->buf);
	}
	j->buf = NULL;
	j->cap = j->len = 0;
}

/* The bytes a fixed buffer can take now: it keeps room for the ends of
 * the open containers, the "truncated" member and the NUL. */
static size_t
room(const struct json *j)
{
	size_t keep = 1 + j->closing + JSON_TRUNC_ROOM;

	return j->cap >= keep + j->len ? j->cap - keep - j->len : 0;
}

/* 1 if n more bytes can be written now. */
static int
fits(const struct json *j, size_t n)
{
	if (j->failed)
		return 0;
	return j->heap || n <= room(j);
}

/* Appends n bytes; a fixed buffer's room must have been checked (fits),
 * or be the room kept for the ends. */
static int
put(struct json *j, const char *s, size_t n)
{
	if (j->failed)
		return -1;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap;
		char *b;

		if (!j->heap) {
			j->failed = 1;	/* cannot happen if room was kept */
			return -1;
		}
		while (j->len + n + 1 > cap)
			cap *= 2;
		/* Not realloc: the old buffer is wiped before it is freed. */
		if ((b = malloc(cap)) == NULL) {
			j->failed = 1;
			return -1;
		}
		memcpy(b, j->buf, j->len);
		explicit_bzero(j->buf, j->cap);
		free(j->buf);
		j->buf = b;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
	return 0;
}

static int
put_checked(struct json *j, const char *s, size_t n)
{
	return fits(j, n) ? put(j, s, n) : -1;
}

static int
put_indent(struct json *j, unsigned level, int checked)
{
	static const char spaces[] = "                                ";
	size_t n = 2 * (size_t)level;

	if (checked && !fits(j, 1 + n))
		return -1;
	if (put(j, "\n", 1) < 0)
		return -1;
	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		if (put(j, spaces, k) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

size_t
json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2)		/* continuation, or overlong 2-byte */
		return 0;
	if (s[0] < 0xe0) {
		need = 2;
	} else if (s[0] < 0xf0) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* UTF-16 surrogates */
	} else if (s[0] < 0xf5) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

int
json_utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = json_utf8_len(p + i, n - i)) == 0) {
			if (bad != NULL)
				*bad = i;
			return 0;
		}
		i += k;
	}
	return 1;
}

/* The text one character (or one bad byte) of s is written as: returns
 * the bytes of s it takes, and sets *out, *outn. */
static size_t
escape_unit(const unsigned char *s, size_t n, char tmp[8],
    const char **out, size_t *outn)
{
	static const char hex[] = "0123456789abcdef";
	size_t k;

	*out = tmp;
	*outn = 2;
	tmp[0] = '\\';
	switch (s[0]) {
	case '"':  tmp[1] = '"'; return 1;
	case '\\': tmp[1] = '\\'; return 1;
	case '\b': tmp[1] = 'b'; return 1;
	case '\f': tmp[1] = 'f'; return 1;
	case '\n': tmp[1] = 'n'; return 1;
	case '\r': tmp[1] = 'r'; return 1;
	case '\t': tmp[1] = 't'; return 1;
	default:
		break;
	}
	if (s[0] < 0x20 || s[0] == 0x7f) {
		memcpy(tmp, "\\u00", 4);
		tmp[4] = hex[s[0] >> 4];
		tmp[5] = hex[s[0] & 15];
		*outn = 6;
		return 1;
	}
	if ((k = json_utf8_len(s, n)) == 0) {
		*out = "\\ufffd";
		*outn = 6;
		return 1;
	}
	*out = (const char *)s;
	*outn = k;
	return k;
}

/*
 * Writes s[0..n) as a JSON string. shorten: if it does not all fit, stop
 * before the first character that does not (never inside one) and mark
 * j truncated; else fail. Fails if not even "" fits.
 */
static int
put_string(struct json *j, const char *s, size_t n, int shorten)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, outn, run;
	const char *out;
	char tmp[8];

	if (!fits(j, 2) || put(j, "\"", 1) < 0)
		return -1;
	while (i < n) {
		/* Plain bytes go in runs: most strings need no escape. */
		for (run = 0; i + run < n && p[i + run] >= 0x20 &&
		    p[i + run] < 0x7f && p[i + run] != '"' &&
		    p[i + run] != '\\'; run++)
			;
		if (run > 0) {
			if (!fits(j, run + 1)) {
				if (!shorten)
					return -1;
				/* As much of the run as fits, and the
				 * closing quote (fits(2) kept its byte). */
				run = room(j) - 1;
				put(j, s + i, run);
				j->truncated = 1;
				break;
			}
			put(j, s + i, run);
			i += run;
			continue;
		}
		k = escape_unit(p + i, n - i, tmp, &out, &outn);
		if (!fits(j, outn + 1)) {
			if (!shorten)
				return -1;
			j->truncated = 1;
			break;
		}
		put(j, out, outn);
		i += k;
	}
	return put(j, "\"", 1);
}

/*
 * The separator and the key before a value; returns 0 and the length to
 * roll back to, or -1 if the value is to be left out.
 */
static int
begin(struct json *j, const char *key, size_t *mark)
{
	unsigned d = j->depth;

	if (j->failed || (j->truncated && !j->heap))
		return -1;	/* once something is left out, all after is */
	if (d > 0 && (key != NULL) != j->open[d - 1].object) {
		j->failed = 1;	/* a key in an array, or none in an object */
		return -1;
	}
	*mark = j->len;
	if (d > 0) {
		enum json_layout l = j->open[d - 1].layout;

		if (!j->open[d - 1].empty && put_checked(j, ",", 1) < 0)
			goto full;
		if (l >= JSON_LINES && put_indent(j, d, 1) < 0)
			goto full;
		if (l == JSON_INLINE && !j->open[d - 1].empty &&
		    put_checked(j, " ", 1) < 0)
			goto full;
		if (key != NULL && (put_string(j, key, strlen(key), 0) < 0 ||
		    put_checked(j, l == JSON_COMPACT ? ":" : ": ",
		    l == JSON_COMPACT ? 1 : 2) < 0))
			goto full;
	}
	return 0;
full:
	j->len = *mark;
	if (j->buf != NULL && j->cap > 0)
		j->buf[j->len] = '\0';
	j->truncated = 1;
	return -1;
}

/* The value is written (ok = 0) or is rolled back to mark. */
static void
done(struct json *j, size_t mark, int ok)
{
	if (ok < 0) {
		if (!j->failed) {
			j->len = mark;
			j->buf[j->len] = '\0';
			j->truncated = 1;
		}
		return;
	}
	if (j->depth > 0)
		j->open[j->depth - 1].empty = 0;
}

static size_t
closing_cost(enum json_layout l, unsigned depth)
{
	/* "\n", the indent of the level the container is in, the bracket */
	return l >= JSON_LINES ? 2 + 2 * (size_t)(depth - 1) : 1;
}

static void
open_container(struct json *j, const char *key, enum json_layout l,
    int object)
{
	size_t mark, cost;

	if (j->depth == JSON_MAX_DEPTH)
		j->failed = 1;
	if (begin(j, key, &mark) < 0) {
		j->skipped++;
		return;
	}
	cost = closing_cost(l, j->depth + 1);
	if (!fits(j, 1 + cost) || put(j, object ? "{" : "[", 1) < 0) {
		done(j, mark, -1);
		j->skipped++;
		return;
	}
	done(j, mark, 0);
	j->open[j->depth].layout = (unsigned char)l;
	j->open[j->depth].object = (unsigned char)object;
	j->open[j->depth].empty = 1;
	j->depth++;
	j->closing += cost;
}

void
json_object(struct json *j, const char *key, enum json_layout l)
{
	open_container(j, key, l, 1);
}

void
json_array(struct json *j, const char *key, enum json_layout l)
{
	open_container(j, key, l, 0);
}

void
json_end(struct json *j)
{
	unsigned d = j->depth;
	enum json_layout l;

	if (j->skipped > 0) {
		j->skipped--;
		return;
	}
	if (d == 0) {
		j->failed = 1;
		return;
	}
	if (j->failed) {
		j->depth--;	/* nothing more is written; json_finish ends */
		return;
	}
	l = j->open[d - 1].layout;
	j->closing -= closing_cost(l, d);
	if (d == 1 && j->truncated && j->open[0].object && !j->heap) {
		/* Into the room kept from the start. */
		if (!j->open[0].empty)
			put(j, ",", 1);
		if (l >= JSON_LINES)
			put_indent(j, 1, 0);
		else if (l == JSON_INLINE && !j->open[0].empty)
			put(j, " ", 1);
		put(j, l == JSON_COMPACT ? "\"truncated\":true" :
		    "\"truncated\": true", l == JSON_COMPACT ? 16 : 17);
		j->open[0].empty = 0;
	}
	/* The room for what follows was kept when the container opened. */
	if ((l == JSON_LINES_OPEN || (l == JSON_LINES &&
	    !j->open[d - 1].empty)) && put_indent(j, d - 1, 0) < 0)
		return;
	put(j, j->open[d - 1].object ? "}" : "]", 1);
	j->depth--;
}

void
json_strn(struct json *j, const char *key, const char *s, size_t n)
{
	size_t mark;

	if (s == NULL) {
		json_null(j, key);
		return;
	}
	if (begin(j, key, &mark) < 0)
		return;
	done(j, mark, put_string(j, s, n, 1));
}

void
json_str(struct json *j, const char *key, const char *s)
{
	json_strn(j, key, s, s != NULL ? strlen(s) : 0);
}

static void
put_word(struct json *j, const char *key, const char *w, size_t n)
{
	size_t mark;

	if (begin(j, key, &mark) < 0)
		return;
	done(j, mark, put_checked(j, w, n));
}

void
json_raw(struct json *j, const char *key, const char *text, size_t n)
{
	put_word(j, key, text, n);
}

void
json_int(struct json *j, const char *key, long long v)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		*--p = '-';
	put_word(j, key, p, (size_t)(buf + sizeof(buf) - p));
}

void
json_bool(struct json *j, const char *key, int v)
{
	put_word(j, key, v ? "true" : "false", v ? 4 : 5);
}

void
json_null(struct json *j, const char *key)
{
	put_word(j, key, "null", 4);
}

int
json_is_int(const char *s)
{
	int neg = *s == '-';
	size_t n;

	s += neg;
	n = strlen(s);
	if (n == 0 || n > 18 || (s[0] == '0' && (n > 1 || neg)))
		return 0;	/* empty, too long, a leading zero, "-0" */
	return strspn(s, "0123456789") == n;
}

void
json_int_text(struct json *j, const char *key, const char *s)
{
	if (s != NULL && json_is_int(s))
		put_word(j, key, s, strlen(s));
	else
		json_str(j, key, s);
}

const char *
json_finish(struct json *j)
{
	j->skipped = 0;
	while (j->depth > 0)
		json_end(j);
	return j->buf;
}

int
json_flush(struct json *j, FILE *fp)
{
	if (j->failed)
		return -1;
	if (j->len > 0 && fwrite(j->buf, 1, j->len, fp) != j->len)
		return -1;
	j->len = 0;
	j->buf[0] = '\0';
	return ferror(fp) ? -1 : 0;
}

int
json_print(struct json *j, FILE *fp)
{
	int rc;

	json_finish(j);
	rc = json_flush(j, fp) < 0 || fputc('\n', fp) == EOF ? -1 : 0;
	json_free(j);
	return rc;
}
