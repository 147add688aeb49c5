/* SPDX-License-Identifier: MIT */
/*
 * json_valid.c - is a message body one JSON value (RFC 8259), written on
 * one line? Decides whether the readers' lines carry the body as JSON or
 * as base64. One pass, no allocation, no recursion (a bit stack).
 */
#include <stdint.h>
#include <string.h>

#include "common/json.h"

struct scan {
	const unsigned char	*p;
	const unsigned char	*end;
};

static void
skip_ws(struct scan *s)
{
	/* no CR or LF: a reader's line must stay one line */
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
		s->p++;
}

static int
lit(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return 0;
	s->p += n;
	return 1;
}

static int
hex4(const unsigned char *p)
{
	for (int i = 0; i < 4; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')))
			return 0;
	return 1;
}

/* A string, from its opening quote. */
static int
string(struct scan *s)
{
	s->p++;
	while (s->p < s->end) {
		unsigned char c = *s->p;
		size_t n;

		if (c == '"') {
			s->p++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (s->end - s->p < 2)
				return 0;
			c = s->p[1];
			if (c == 'u') {
				if (s->end - s->p < 6 || !hex4(s->p + 2))
					return 0;
				s->p += 6;
			} else if (strchr("\"\\/bfnrt", c) != NULL && c != 0) {
				s->p += 2;
			} else
				return 0;
			continue;
		}
		if ((n = json_utf8_len(s->p, (size_t)(s->end - s->p))) == 0)
			return 0;
		s->p += n;
	}
	return 0;
}

static int
digits(struct scan *s)
{
	const unsigned char *start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start;
}

static int
number(struct scan *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!digits(s))
		return 0;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digits(s))
			return 0;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digits(s))
			return 0;
	}
	return 1;
}

/* see json.h */
int
json_valid_line(const void *text, size_t n)
{
	/* open containers, one bit each: 1 an object, 0 an array */
	uint64_t stack[JSON_VALID_DEPTH / 64] = { 0 };
	struct scan s = { text, (const unsigned char *)text + n };
	unsigned depth = 0;
	int object;

	for (;;) {
		/* a value */
		skip_ws(&s);
		if (s.p == s.end)
			return 0;
		switch (*s.p) {
		case '{':
		case '[':
			if (depth == JSON_VALID_DEPTH)
				return 0;
			object = *s.p == '{';
			if (object)
				stack[depth / 64] |= 1ULL << (depth % 64);
			else
				stack[depth / 64] &= ~(1ULL << (depth % 64));
			depth++;
			s.p++;
			skip_ws(&s);
			if (s.p < s.end && *s.p == (object ? '}' : ']')) {
				s.p++;
				depth--;
				goto after;
			}
			if (object)
				goto key;
			continue;
		case '"':
			if (!string(&s))
				return 0;
			break;
		case 't':
			if (!lit(&s, "true"))
				return 0;
			break;
		case 'f':
			if (!lit(&s, "false"))
				return 0;
			break;
		case 'n':
			if (!lit(&s, "null"))
				return 0;
			break;
		default:
			if (*s.p != '-' && (*s.p < '0' || *s.p > '9'))
				return 0;
			if (!number(&s))
				return 0;
			break;
		}
after:
		/* after a value: a comma, a container's end, or the end */
		for (;;) {
			skip_ws(&s);
			if (depth == 0)
				return s.p == s.end;
			if (s.p == s.end)
				return 0;
			object = (stack[(depth - 1) / 64] >>
			    ((depth - 1) % 64)) & 1;
			if (*s.p == (object ? '}' : ']')) {
				s.p++;
				depth--;
				continue;
			}
			if (*s.p != ',')
				return 0;
			s.p++;
			if (object)
				goto key;
			break;
		}
		continue;
key:
		/* an object's member: "name" : then its value */
		skip_ws(&s);
		if (s.p == s.end || *s.p != '"' || !string(&s))
			return 0;
		skip_ws(&s);
		if (s.p == s.end || *s.p != ':')
			return 0;
		s.p++;
	}
}
