/* SPDX-License-Identifier: MIT */
/*
 * test_json.c - the JSON writer: every escape and control character,
 * invalid UTF-8 (overlong, surrogate, cut short), the four layouts,
 * nesting, and fixed buffers of every size that still end as valid JSON;
 * and the gateway's JSON log lines made with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/json.h"
#include "gateway/gateway.h"

/* A literal's length, NULs inside included. */
#define LIT(s)		.in = s, .len = sizeof(s) - 1

struct str_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	const char	*out;		/* the JSON string written */
	int		 valid;		/* json_utf8_valid */
	size_t		 bad;		/* its offset if not */
};

static const struct str_case str_cases[] = {
	{ .name = "plain", LIT("abc"), .out = "\"abc\"", .valid = 1 },
	{ .name = "empty", LIT(""), .out = "\"\"", .valid = 1 },
	{ .name = "quote and backslash", LIT("a\"b\\c"),
	  .out = "\"a\\\"b\\\\c\"", .valid = 1 },
	{ .name = "short escapes", LIT("\b\f\n\r\t"),
	  .out = "\"\\b\\f\\n\\r\\t\"", .valid = 1 },
	{ .name = "NUL inside", LIT("a\0b"), .out = "\"a\\u0000b\"",
	  .valid = 1 },
	{ .name = "DEL", LIT("\x7f"), .out = "\"\\u007f\"", .valid = 1 },
	{ .name = "ESC", LIT("\x1b[31m"), .out = "\"\\u001b[31m\"",
	  .valid = 1 },
	{ .name = "slash kept", LIT("a/b"), .out = "\"a/b\"", .valid = 1 },
	{ .name = "two-byte", LIT("caf\xc3\xa9"), .out = "\"caf\xc3\xa9\"",
	  .valid = 1 },
	{ .name = "three-byte", LIT("\xe2\x82\xac"), .out = "\"\xe2\x82\xac\"",
	  .valid = 1 },
	{ .name = "four-byte", LIT("\xf0\x9f\x98\x80"),
	  .out = "\"\xf0\x9f\x98\x80\"", .valid = 1 },
	{ .name = "U+10FFFF", LIT("\xf4\x8f\xbf\xbf"),
	  .out = "\"\xf4\x8f\xbf\xbf\"", .valid = 1 },
	{ .name = "lone continuation", LIT("a\x80z"),
	  .out = "\"a\\ufffdz\"", .bad = 1 },
	{ .name = "overlong two-byte slash", LIT("\xc0\xaf"),
	  .out = "\"\\ufffd\\ufffd\"", .bad = 0 },
	{ .name = "overlong three-byte", LIT("x\xe0\x80\xaf"),
	  .out = "\"x\\ufffd\\ufffd\\ufffd\"", .bad = 1 },
	{ .name = "overlong four-byte", LIT("\xf0\x80\x80\xaf"),
	  .out = "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", .bad = 0 },
	{ .name = "surrogate", LIT("\xed\xa0\x80"),
	  .out = "\"\\ufffd\\ufffd\\ufffd\"", .bad = 0 },
	{ .name = "above U+10FFFF", LIT("\xf4\x90\x80\x80"),
	  .out = "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", .bad = 0 },
	{ .name = "F5 lead", LIT("\xf5\x80"), .out = "\"\\ufffd\\ufffd\"",
	  .bad = 0 },
	{ .name = "cut short at the end", LIT("ab\xe2\x82"),
	  .out = "\"ab\\ufffd\\ufffd\"", .bad = 2 },
	{ .name = "cut short by ASCII", LIT("\xc3" "a"),
	  .out = "\"\\ufffda\"", .bad = 0 },
	{ .name = "Latin-1", LIT("caf\xe9"), .out = "\"caf\\ufffd\"",
	  .bad = 3 },
};

static void
test_strings(void **state)
{
	char buf[256];
	struct json j;
	size_t bad;

	(void)state;
	for (size_t i = 0; i < sizeof(str_cases) / sizeof(str_cases[0]); i++) {
		const struct str_case *c = &str_cases[i];

		json_init(&j, buf, sizeof(buf));
		json_strn(&j, NULL, c->in, c->len);
		json_finish(&j);
		if (strcmp(buf, c->out) != 0)
			fail_msg("%s: got %s, want %s", c->name, buf, c->out);
		assert_false(j.truncated);
		bad = 999;
		assert_int_equal(json_utf8_valid(c->in, c->len, &bad),
		    c->valid);
		if (!c->valid && bad != c->bad)
			fail_msg("%s: bad byte %zu, want %zu", c->name, bad,
			    c->bad);
	}
}

/* Every control character: \uXXXX or a short escape, never raw. */
static void
test_every_control(void **state)
{
	char buf[64], in[1], want[16];
	struct json j;

	(void)state;
	for (int c = 0; c < 0x20; c++) {
		in[0] = (char)c;
		json_init(&j, buf, sizeof(buf));
		json_strn(&j, NULL, in, 1);
		json_finish(&j);
		switch (c) {
		case '\b': strcpy(want, "\"\\b\""); break;
		case '\f': strcpy(want, "\"\\f\""); break;
		case '\n': strcpy(want, "\"\\n\""); break;
		case '\r': strcpy(want, "\"\\r\""); break;
		case '\t': strcpy(want, "\"\\t\""); break;
		default: snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		}
		assert_string_equal(buf, want);
	}
}

struct layout_case {
	const char	*name;
	enum json_layout layout;
	int		 empty;
	const char	*out;
};

static const struct layout_case layout_cases[] = {
	{ "compact", JSON_COMPACT, 0,
	  "{\"a\":1,\"b\":[true,null],\"c\":\"x\"}" },
	{ "inline", JSON_INLINE, 0,
	  "{\"a\": 1, \"b\": [true, null], \"c\": \"x\"}" },
	{ "lines", JSON_LINES, 0,
	  "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null\n  ],\n"
	  "  \"c\": \"x\"\n}" },
	{ "compact empty", JSON_COMPACT, 1, "{\"e\":[]}" },
	{ "lines empty", JSON_LINES, 1, "{\n  \"e\": []\n}" },
	{ "lines-open empty", JSON_LINES_OPEN, 1, "{\n  \"e\": [\n  ]\n}" },
};

static void
test_layouts(void **state)
{
	char buf[256];
	struct json j;

	(void)state;
	for (size_t i = 0; i < sizeof(layout_cases) / sizeof(layout_cases[0]);
	    i++) {
		const struct layout_case *c = &layout_cases[i];

		json_init(&j, buf, sizeof(buf));
		json_object(&j, NULL, c->layout);
		if (c->empty) {
			json_array(&j, "e", c->layout);
			json_end(&j);
		} else {
			json_int(&j, "a", 1);
			json_array(&j, "b", c->layout);
			json_bool(&j, NULL, 1);
			json_null(&j, NULL);
			json_end(&j);
			json_str(&j, "c", "x");
		}
		json_end(&j);
		json_finish(&j);
		if (strcmp(buf, c->out) != 0)
			fail_msg("%s: got %s", c->name, buf);
		assert_false(j.failed);
	}
}

static void
test_numbers(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "0", "0" }, { "413", "413" }, { "-7", "-7" },
		{ "007", "\"007\"" }, { "-0", "\"-0\"" }, { "", "\"\"" },
		{ "1e3", "\"1e3\"" }, { "12a", "\"12a\"" }, { "-", "\"-\"" },
		{ "1234567890123456789", "\"1234567890123456789\"" },
		{ "123456789012345678", "123456789012345678" },
	};
	char buf[128];
	struct json j;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_init(&j, buf, sizeof(buf));
		json_int_text(&j, NULL, cases[i].in);
		json_finish(&j);
		assert_string_equal(buf, cases[i].out);
	}
	json_init(&j, buf, sizeof(buf));
	json_array(&j, NULL, JSON_COMPACT);
	json_int(&j, NULL, INT64_MIN);
	json_int(&j, NULL, INT64_MAX);
	json_int(&j, NULL, 0);
	json_finish(&j);
	assert_string_equal(buf, "[-9223372036854775808,"
	    "9223372036854775807,0]");
}

static void
test_nesting(void **state)
{
	char buf[512];
	struct json j;

	(void)state;
	json_init(&j, buf, sizeof(buf));
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_array(&j, NULL, JSON_COMPACT);
	json_int(&j, NULL, 1);
	json_finish(&j);	/* closes all sixteen */
	assert_string_equal(buf, "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]");
	assert_false(j.failed);
	/* a key inside an array, none inside an object: misuse */
	json_init(&j, buf, sizeof(buf));
	json_array(&j, NULL, JSON_COMPACT);
	json_int(&j, "k", 1);
	assert_true(j.failed);
	json_init(&j, buf, sizeof(buf));
	json_object(&j, NULL, JSON_COMPACT);
	json_int(&j, NULL, 1);
	assert_true(j.failed);
}

/* A minimal check that s is one JSON value built of what the writer
 * makes: brackets balance outside strings, strings end, nothing raw
 * below 0x20 inside them, and no comma before a closing bracket. */
static int
looks_valid(const char *s)
{
	int depth = 0, in = 0;
	char last = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (in) {
			if (c < 0x20)
				return 0;
			if (c == '\\')
				s++;
			else if (c == '"')
				in = 0;
			continue;
		}
		if (c == '"')
			in = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (last == ',' || --depth < 0)
				return 0;
		}
		if (c != ' ' && c != '\n')
			last = (char)c;
	}
	return !in && depth == 0;
}

/* Every buffer size from the smallest: the result is valid JSON, says
 * "truncated" when something was left out, and a cut string ends on a
 * character's boundary. */
static void
test_truncation(void **state)
{
	static const char label[] = "caf\xc3\xa9 \xe2\x82\xac \"q\" \x01 end";
	char buf[300];
	struct json j;
	size_t full_len = 0;

	(void)state;
	for (size_t cap = sizeof(buf); cap >= 1; cap--) {
		json_init(&j, buf, cap);
		json_object(&j, NULL, cap % 2 ? JSON_COMPACT : JSON_LINES);
		json_str(&j, "ts", "2026-12-02T05:00:00.000Z");
		json_str(&j, "label", label);
		json_array(&j, "list", JSON_INLINE);
		for (int i = 0; i < 5; i++)
			json_int(&j, NULL, i * 1000);
		json_end(&j);
		json_object(&j, "inner", JSON_COMPACT);
		json_str(&j, "a", "b");
		json_end(&j);
		json_end(&j);
		json_finish(&j);
		if (cap < JSON_MIN_CAP) {
			assert_true(j.failed);
			continue;
		}
		assert_false(j.failed);
		assert_true(j.len < cap);
		assert_int_equal(strlen(buf), j.len);
		if (!looks_valid(buf))
			fail_msg("cap %zu: not valid: %s", cap, buf);
		if (cap == sizeof(buf)) {
			assert_false(j.truncated);
			full_len = j.len;
		} else if (cap % 2 == 0 && j.len < full_len) {
			assert_true(j.truncated);
			if (strstr(buf, "\"truncated\": true") == NULL)
				fail_msg("cap %zu: %s", cap, buf);
		}
		/* No cut inside a UTF-8 sequence (looks_valid: nor inside
		 * an escape, or the string would not end). */
		assert_true(json_utf8_valid(buf, j.len, NULL));
	}
}

/* A string too long for the buffer is shortened, then the object closes. */
static void
test_shortened_value(void **state)
{
	char buf[64], big[200];
	struct json j;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[30] = '\xc3';	/* a two-byte character across the cut */
	big[31] = '\xa9';
	json_init(&j, buf, sizeof(buf));
	json_object(&j, NULL, JSON_COMPACT);
	json_str(&j, "event", "x");
	json_str(&j, "reason", big);
	json_str(&j, "after", "dropped");
	json_finish(&j);
	assert_true(j.truncated);
	assert_non_null(strstr(buf, ",\"truncated\":true}"));
	assert_null(strstr(buf, "after"));
	assert_true(json_utf8_valid(buf, j.len, NULL));
	assert_true(looks_valid(buf));
}

static void
test_heap_and_flush(void **state)
{
	struct json j;
	char *out = NULL;
	size_t outlen = 0;
	FILE *fp = open_memstream(&out, &outlen);

	(void)state;
	assert_non_null(fp);
	json_init_heap(&j);
	json_array(&j, NULL, JSON_LINES);
	for (int i = 0; i < 2000; i++) {
		json_object(&j, NULL, JSON_INLINE);
		json_int(&j, "n", i);
		json_str(&j, "s", "a string that makes the buffer grow");
		json_end(&j);
		if (i % 100 == 0)
			assert_int_equal(json_flush(&j, fp), 0);
	}
	json_finish(&j);
	assert_false(j.truncated);
	assert_int_equal(json_flush(&j, fp), 0);
	json_free(&j);
	fclose(fp);
	assert_true(looks_valid(out));
	assert_non_null(strstr(out, "[\n  {\"n\": 0, \"s\": "));
	assert_non_null(strstr(out, "{\"n\": 1999, \"s\": \"a string that "
	    "makes the buffer grow\"}\n]"));
	free(out);
}

/* A writer that failed (out of memory, a misuse) still finishes: every
 * layout's json_finish returns and json_print reports -1. */
static void
test_failed_finishes(void **state)
{
	static const enum json_layout layouts[] = { JSON_COMPACT,
	    JSON_INLINE, JSON_LINES, JSON_LINES_OPEN };
	FILE *fp = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(fp);
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		struct json j;

		json_init_heap(&j);
		json_object(&j, NULL, layouts[i]);
		json_array(&j, "a", layouts[i]);
		json_int(&j, NULL, 1);
		json_int(&j, "misuse", 2);	/* a key inside an array */
		assert_true(j.failed);
		json_finish(&j);
		assert_int_equal(j.depth, 0);
		assert_int_equal(json_print(&j, fp), -1);
	}
	fclose(fp);
}

/* The lines gw_log writes while fn runs, from stderr. */
static char *
log_lines(void (*fn)(void))
{
	static char out[8192];
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static void
log_some(void)
{
	static char big[5000];

	memset(big, 'r', sizeof(big) - 1);
	memcpy(big + 2030, "\xe2\x82\xac", 3);	/* near the cut */
	gw_log_init(1, 0);
	gw_log(GW_LOG_INFO, "request_refused", "peer", "127.0.0.1:1",
	    "status", "413", "offset", "0012", "reason", "a \"q\"\n\x01\xff",
	    "seq", "-5", NULL);
	gw_log(GW_LOG_WARN, "store_failed", "messages", "3", "reason", big,
	    "answer", "503", NULL);
	gw_log(GW_LOG_DEBUG, "not_written", NULL);
	gw_log_init(0, 0);
}

static void
test_log_lines(void **state)
{
	char *out = log_lines(log_some), *second;
	size_t n;

	(void)state;
	/* Integers as numbers, text that is not canonical as strings. */
	assert_non_null(strstr(out, ",\"level\":\"info\",\"event\":"
	    "\"request_refused\",\"peer\":\"127.0.0.1:1\",\"status\":413,"
	    "\"offset\":\"0012\",\"reason\":\"a \\\"q\\\"\\n\\u0001\\ufffd\","
	    "\"seq\":-5}\n"));
	second = strchr(out, '\n') + 1;
	/* At most 2,048 bytes with its newline, still one JSON object. */
	n = strlen(second);
	if (n > 2048 || n < 2000)
		fail_msg("a line of %zu bytes", n);
	assert_non_null(strstr(second, "\"messages\":3,\"reason\":\"rrr"));
	assert_null(strstr(second, "answer"));
	assert_string_equal(second + n - 21, "r\",\"truncated\":true}\n");
	assert_true(json_utf8_valid(second, strlen(second), NULL));
	assert_true(looks_valid(second));
	assert_null(strstr(out, "not_written"));
}

/* A body is copied into a reader's line only when it is one JSON value
 * on one line; anything else goes as base64. */
static void
test_valid_line(void **state)
{
	static const struct { const char *text; int ok; } cases[] = {
		{ "{\"t\":21.5,\"rh\":40}", 1 },
		{ "[1,-0.5e+3,\"a\\u00e9\\n\",true,false,null,{}]", 1 },
		{ " { \"a\" : [ ] } ", 1 },
		{ "\"caf\xc3\xa9\"", 1 },
		{ "0", 1 }, { "-0", 1 }, { "1E5", 1 },
		{ "", 0 }, { " ", 0 }, { "{", 0 }, { "}", 0 }, { "[1,]", 0 },
		{ "{\"a\":1,}", 0 }, { "{\"a\"}", 0 }, { "{1:2}", 0 },
		{ "01", 0 }, { "1.", 0 }, { ".5", 0 }, { "1e", 0 }, { "-", 0 },
		{ "+1", 0 }, { "tru", 0 }, { "nul", 0 }, { "[1] [2]", 0 },
		{ "\"a\tb\"", 0 },		/* a raw control character */
		{ "\"\\x\"", 0 }, { "\"\\u12g4\"", 0 }, { "\"\\u12\"", 0 },
		{ "\"\xc3\"", 0 },		/* cut short */
		{ "\"\xed\xa0\x80\"", 0 },	/* a surrogate */
		{ "{\"a\":\n1}", 0 },	/* valid JSON, two lines */
		{ "[1]\r", 0 },
		{ "hello", 0 }, { "NaN", 0 },
	};
	char deep[2 * JSON_VALID_DEPTH + 3];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (json_valid_line(cases[i].text, strlen(cases[i].text)) !=
		    cases[i].ok)
			fail_msg("case %zu, '%s': want %d", i, cases[i].text,
			    cases[i].ok);
	/* a NUL inside is a control character; bytes after n are unread */
	assert_false(json_valid_line("\"a\0b\"", 5));
	assert_true(json_valid_line("[1]xyz", 3));
	/* as deep as allowed, and one deeper */
	memset(deep, '[', JSON_VALID_DEPTH);
	memset(deep + JSON_VALID_DEPTH, ']', JSON_VALID_DEPTH);
	assert_true(json_valid_line(deep, 2 * JSON_VALID_DEPTH));
	memset(deep, '[', JSON_VALID_DEPTH + 1);
	memset(deep + JSON_VALID_DEPTH + 1, ']', JSON_VALID_DEPTH + 1);
	assert_false(json_valid_line(deep, 2 * JSON_VALID_DEPTH + 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_every_control),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_shortened_value),
		cmocka_unit_test(test_heap_and_flush),
		cmocka_unit_test(test_failed_finishes),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_valid_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
