/* SPDX-License-Identifier: MIT */
/*
 * json.h - the one JSON writer of the gateway and the tools: it appends to
 * a caller's buffer, no tree, no parsing; and the UTF-8 check for input.
 *
 * Memory: struct json and its buffer belong to the caller. A fixed buffer
 * (json_init) is never outgrown: what does not fit is left out whole, a
 * string is shortened between characters, and json_finish still closes
 * every container and adds "truncated": true to an outermost object. A
 * growable buffer (json_init_heap) is grown with realloc; json_flush writes
 * what is built so far, so a long list streams; json_free releases it.
 *
 * Strings: " and \ are escaped, every control character and DEL too
 * (\n \r \t \b \f, \u00XX for the others); a byte that does not begin a
 * valid UTF-8 sequence (overlong, surrogate, above U+10FFFF, cut short) is
 * written as \ufffd, never copied. Valid UTF-8 is copied as is.
 */
#ifndef COMMON_JSON_H
#define COMMON_JSON_H

#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	16	/* containers open at once */
#define JSON_MIN_CAP	32	/* the smallest fixed buffer */

/* How a container lays out its members. */
enum json_layout {
	JSON_COMPACT,		/* {"a":1,"b":2}: bodies and log lines */
	JSON_INLINE,		/* {"a": 1, "b": 2} */
	JSON_LINES,		/* one member a line, two spaces a level;
				 * an empty one is [] */
	JSON_LINES_OPEN,	/* the same, but an empty one is [\n] */
};

struct json {
	char		*buf;		/* NUL-terminated after every call */
	size_t		 len;
	size_t		 cap;
	int		 heap;		/* buf is ours to realloc */
	int		 truncated;	/* something did not fit (fixed) */
	int		 failed;	/* out of memory or a misuse */
	size_t		 closing;	/* bytes the open containers' ends need */
	unsigned	 depth;
	unsigned	 skipped;	/* containers left out whole: their
					 * json_end calls do nothing */
	struct {
		unsigned char	layout;
		unsigned char	object;
		unsigned char	empty;
	}		 open[JSON_MAX_DEPTH];
};

/* A fixed buffer buf of cap bytes (linked in: must stay valid while j is
 * used); cap >= JSON_MIN_CAP, else j is failed and writes nothing. */
void	json_init(struct json *j, char *buf, size_t cap);
/* A growable buffer on the heap; json_free wipes and releases it. */
void	json_init_heap(struct json *j);
void	json_free(struct json *j);

/* Values. key: the member's name inside an object (copied, escaped),
 * NULL inside an array or for the outermost value. */
void	json_object(struct json *j, const char *key, enum json_layout l);
void	json_array(struct json *j, const char *key, enum json_layout l);
void	json_end(struct json *j);	/* closes the innermost container */
void	json_str(struct json *j, const char *key, const char *s); /* NULL: null */
void	json_strn(struct json *j, const char *key, const char *s, size_t n);
void	json_int(struct json *j, const char *key, long long v);
void	json_bool(struct json *j, const char *key, int v);
void	json_null(struct json *j, const char *key);
/* s as a number if it is a canonical decimal integer ("0", "-12", no
 * leading zeros or sign, at most 18 digits), else as a string. */
void	json_int_text(struct json *j, const char *key, const char *s);

/* text[0..n) as it is: one JSON value that json_valid_line accepted. */
void	json_raw(struct json *j, const char *key, const char *text, size_t n);

/* Closes what is still open; returns buf. */
const char *json_finish(struct json *j);
/* Writes the text built so far to fp and empties the buffer; the open
 * containers stay open. Returns 0, or -1 if fp failed or j did. */
int	json_flush(struct json *j, FILE *fp);
/* The end of a document: finishes j, writes the rest of it and a newline
 * to fp, frees j. Returns 0, or -1 as json_flush. */
int	json_print(struct json *j, FILE *fp);

/* 1 if s[0..n) is valid UTF-8; else 0 and *bad (if not NULL) is the offset
 * of the first byte that does not begin a valid sequence. */
int	json_utf8_valid(const char *s, size_t n, size_t *bad);
/* The length of the valid UTF-8 sequence at s[0..n), or 0 if none. */
size_t	json_utf8_len(const unsigned char *s, size_t n);
/*
 * 1 if text[0..n) is exactly one JSON value (RFC 8259: strict, UTF-8,
 * nested at most JSON_VALID_DEPTH deep) with no CR or LF anywhere, so it
 * can be copied into one line of newline-delimited JSON; else 0. Reads
 * untrusted bytes (message bodies): fuzz/json_valid.c.
 */
#define JSON_VALID_DEPTH	128	/* a multiple of 64 */
int	json_valid_line(const void *text, size_t n);

/* 1 if s is a canonical decimal integer (see json_int_text). */
int	json_is_int(const char *s);

#endif
